#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export to azure://ACCOUNT/CONTAINER/PREFIX against Azurite (which
# checks every SharedKey signature): a two-disk domain's disks arrive as
# page blobs equal (SHA-256) to `ferry convert -O vpc -o azure=on` of each
# disk, N MiB + 512 bytes long, with only the 4 MiB windows that hold
# data written (Get Page Ranges, read by a client of the test's own) and
# the disk's SHA-256 as metadata.  A wrong key exits 8 with one line; a
# second export is refused (exit 12) and --overwrite replaces the blobs.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/azure-functions.sh"
requires qemu-img qemu-io curl
requires_azurite
make_tmpdir

img=$tmpdir/img
mkdir "$img"
# 33 MiB + 1 byte: rounded up to 34 MiB; data in windows 0 and 6.
make_image qcow2 "$img/root.qcow2" 34603009 "0x22 1M 2M" "0x23 25M 1M"
# 256 MiB holding 10 MiB at 128 MiB (windows 32 to 34).
make_image raw "$img/data.raw" 256M "0x44 128M 10M"
name=ferry-test-$$-azure
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw"
uri=$test_host_uri

start_azurite
to=azure://$AZURITE_ACCOUNT/exports/web
container=exports

# Wrong key: exit 8, one line, the key nowhere in it.
wrong=$(printf 'wrong-key-wrong-key-wrong-key!!' | base64)
azure_env "$azurite_url" "$wrong"
st=0
$FERRY export "$name" --connect "$uri" --to "$to" --for none >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 8 "exit status with a wrong key"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr with a wrong key"
assert_contains "$(cat "$tmpdir/err")" "failed to authenticate" "wrong-key message"
if grep -q "$wrong" "$tmpdir/err"; then fail "the key is in the message"; fi

azure_env
$FERRY convert -O vpc -o azure=on "$img/root.qcow2" "$tmpdir/vda.vhd" || fail "convert vda"
$FERRY convert -O vpc -o azure=on "$img/data.raw" "$tmpdir/vdb.vhd" || fail "convert vdb"

$FERRY export "$name" --connect "$uri" --to "$to" --json >"$tmpdir/events" 2>"$tmpdir/err" ||
    fail "export: $(cat "$tmpdir/err")"
if grep -q "$AZURITE_KEY" "$tmpdir/events" "$tmpdir/err"; then
    fail "the account key is in the output"
fi

for dev in vda vdb; do
    blob=web/$name-$dev.vhd
    azure_blob get "$container" "$blob" "$tmpdir/$dev.got" || fail "get $blob"
    want=$(sha256sum <"$tmpdir/$dev.vhd" | cut -d' ' -f1)
    got=$(sha256sum <"$tmpdir/$dev.got" | cut -d' ' -f1)
    assert_eq "$got" "$want" "$dev: the blob is ferry convert -O vpc -o azure=on"
    size=$(stat -c %s "$tmpdir/$dev.got")
    assert_eq "$(( (size - 512) % 1048576 ))" 0 "$dev: blob size $size is N MiB + 512"
    azure_blob props "$container" "$blob" >"$tmpdir/$dev.props" || fail "props $blob"
    python3 - "$tmpdir/$dev.props" "$want" <<'PY' || fail "$dev: properties $(cat "$tmpdir/$dev.props")"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["type"] == "PageBlob", p
assert p["meta"] == {"sha256": sys.argv[2]}, p
PY
    # Every range listed lies in a 4 MiB window that holds data, and
    # the pages sent are no more than those windows.
    azure_blob ranges "$container" "$blob" >"$tmpdir/$dev.ranges" || fail "ranges $blob"
    python3 - "$tmpdir/$dev.vhd" "$tmpdir/$dev.ranges" <<'PY' || fail "$dev: page ranges $(cat "$tmpdir/$dev.ranges")"
import sys
W = 4 << 20
data = set()
with open(sys.argv[1], "rb") as f:
    i = 0
    while True:
        b = f.read(W)
        if not b:
            break
        if b.count(0) != len(b):
            data.add(i)
        i += 1
sent = 0
for line in open(sys.argv[2]):
    s, e = map(int, line.split())
    assert s // W in data and (e - 1) // W in data, (s, e, sorted(data))
    sent += e - s
assert sent <= len(data) * W, (sent, len(data))
print("pages sent", sent, "of", len(data), "windows", file=sys.stderr)
PY
    # bytes-sent is what the Put Pages carried: the pages Azurite holds.
    assert_eq "$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print([e for e in ev if e.get("event") == "disk-done" and e["dev"] == sys.argv[2]][0]["bytes-sent"])' \
        "$tmpdir/events" "$dev")" "$(awk '{ n += $2 - $1 } END { print n }' "$tmpdir/$dev.ranges")" \
        "$dev: bytes-sent against the pages Get Page Ranges lists"
done
# vdb: 256 MiB with 10 MiB of data sends about 10 MiB, not 256.
vdb_sent=$(awk '{ n += $2 - $1 } END { print n }' "$tmpdir/vdb.ranges")
[ "$vdb_sent" -le $((12 * 1048576 + 512)) ] || fail "vdb: $vdb_sent bytes of pages for 10 MiB of data"
azure_blob list "$container" >"$tmpdir/list"
assert_contains "$(cat "$tmpdir/list")" "web/$name.ferry.json" "the manifest blob"

# A second export is refused, naming the blob; --overwrite replaces.
st=0
$FERRY export "$name" --connect "$uri" --to "$to" --for none >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 12 "exit status for an existing export"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr for an existing export"
assert_contains "$(cat "$tmpdir/err")" "already exists" "existing-export message"
$FERRY export "$name" --connect "$uri" --to "$to" --overwrite >"$tmpdir/out" 2>"$tmpdir/err" ||
    fail "export --overwrite: $(cat "$tmpdir/err")"
azure_blob get "$container" "web/$name-vda.vhd" "$tmpdir/vda.again" || fail "get again"
cmp -s "$tmpdir/vda.again" "$tmpdir/vda.vhd" || fail "vda differs after --overwrite"

# A blob in the way of a disk (not ferry's): refused at Put Blob.
azure_blob put-page-blob "$container" "other/$name-vda.vhd" 1024 || fail "planting a blob"
st=0
$FERRY export "$name" --connect "$uri" --to "azure://$AZURITE_ACCOUNT/$container/other" \
    >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 12 "exit status for a blob in the way"
exit 0
