#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export --resume to azure-disk:// and azure:// after a SIGKILL
# mid-upload.  azure-disk:// (no
# endGetAccess could run: the disk stays ActiveUpload), against the ARM
# contract server whose disks' SAS URLs name a counting proxy in front of
# Azurite (tests/tools/fault-proxy.py logs each Put Page): the resumed run
# asks for a new write SAS, does not PUT the disk again, and sends exactly
# the 4 MiB windows that had not landed (counted at the proxy against
# Get Page Ranges read from Azurite after the kill); the blob, read back
# from Azurite by the test's own client, equals `ferry convert -O vpc -o
# subformat=fixed,azure=on` of the disk and its ferry-sha256 tag is
# sha256sum's; the run's bytes-sent (--json) is the Put Page body bytes
# the proxy forwarded, the kept windows not counted.  A --resume after
# the disk finished sends nothing.
# azure://: the killed run's page blob stays marked ferry_state=partial;
# the test then changes a page of the first window and writes pages into
# a hole; --resume sends exactly the windows that had not landed plus the
# changed one, clears the stale pages (no body: not in bytes-sent), and
# the blob equals ferry convert's VHD with sha256sum's hash as its
# metadata.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/azure-functions.sh"
requires curl python3 sha256sum
requires_azurite
make_tmpdir

img=$tmpdir/img
mkdir "$img"
# 64 MiB, 48 MiB of random data from 0: twelve 4 MiB windows, then holes.
make_random_raw "$img/disk.raw" 67108864 0 50331648
name=ferry-test-$$-azr
write_test_host "$name" "vda:raw:$img/disk.raw"
disk=$name-vda
$FERRY convert -O vpc -o subformat=fixed,azure=on "$img/disk.raw" "$tmpdir/vda.vhd" ||
    fail "convert"

start_azurite
# Every Put Page through the proxy is logged ("B body bytes delayed, N
# in flight").
start_fault_proxy "$tmpdir/proxy.log" "$azurite_port" \
    --on all http-method:PUT http-match:comp=page http-delay:0
start_arm_contract "http://127.0.0.1:$proxy_port/$AZURITE_ACCOUNT"
to="azure-disk://00000000-1111-2222-3333-444444444444/rg-test?location=westeurope"
man=$tmpdir/manifests
mkdir "$man"

put_pages() {
    grep -c 'delayed, ' "$tmpdir/proxy.log" || true
}

# put_page_bytes: the body bytes of every Put Page (and Clear Page) the
# proxy forwarded so far.
put_page_bytes() {
    sed -n 's/.*: \([0-9]*\) body bytes delayed, .*/\1/p' "$tmpdir/proxy.log" |
        awk '{ s += $1 } END { print s + 0 }'
}

# bytes_sent FILE: the bytes-sent of vda's disk-done event in the --json
# output FILE.
bytes_sent() {
    python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
d = [e for e in ev if e.get("event") == "disk-done" and e.get("dev") == "vda"]
assert len(d) == 1, ev
print(d[0]["bytes-sent"])' "$1"
}

# landed_windows: the 4 MiB windows of the disk's blob holding data, as
# Azurite lists them (one number per line).
landed_windows() {
    azure_blob ranges "$container" "$blob" | python3 -c '
import sys
w = set()
for line in sys.stdin:
    s, e = (int(x) for x in line.split())
    w.update(range(s >> 22, ((e - 1) >> 22) + 1))
print("\n".join(str(i) for i in sorted(w)))'
}

# find_blob: sets $container and $blob to where the upload goes (the
# disk's, from the contract server, once it made it).
find_disk_blob() {
    set -- $(arm_state | python3 -c '
import json, sys
b = json.load(sys.stdin)["blobs"].get(sys.argv[1])
print(" ".join(b) if b else "")' "$disk")
    container=${1:-} blob=${2:-}
}

# kill_mid_upload FIND ARGS...: runs `ferry export ARGS...` slowed down,
# SIGKILLs it once three windows landed ($container and $blob set by
# FIND), and sets $landed to the windows there once in-flight requests
# settled.
kill_mid_upload() {
    find=$1
    shift
    $FERRY export "$@" --bwlimit 6M >"$tmpdir/out1" 2>"$tmpdir/err1" &
    pid=$!
    i=0
    until [ -n "${container:-}" ] && [ "$(landed_windows | wc -l)" -ge 3 ]; do
        i=$((i + 1)); [ $i -lt 300 ] || fail "three windows did not land within 30 s"
        kill -0 $pid 2>/dev/null || fail "export ended before the kill: $(cat "$tmpdir/err1")"
        [ -n "${container:-}" ] || $find
        sleep 0.1
    done
    kill -KILL $pid
    st=0
    wait $pid || st=$?
    assert_eq "$st" 137 "exit status after SIGKILL"
    # A Put Page the proxy still held lands or not; let it settle.
    sleep 2
    landed=$(landed_windows | wc -l)
}

# Run 1, slowed down, killed once three windows landed.
container=
kill_mid_upload find_disk_blob "$name" --connect "$test_host_uri" --to "$to" \
    --for none --manifest-dir "$man"
assert_contains "$(arm_state)" "\"$disk\": \"ActiveUpload\"" "the killed run's disk"
assert_eq "$(arm_calls "r['path'].endswith('/endGetAccess')" | wc -l)" 0 \
    "endGetAccess after SIGKILL"
before=$(put_pages)
before_bytes=$(put_page_bytes)

# Run 2: --resume, at full speed.
: >"$arm_log"
$FERRY export "$name" --connect "$test_host_uri" --to "$to" --for none \
    --manifest-dir "$man" --resume --json >"$tmpdir/out2" 2>"$tmpdir/err2" ||
    fail "export --resume: $(cat "$tmpdir/err2")"
sent=$(( $(put_pages) - before ))
sent_bytes=$(( $(put_page_bytes) - before_bytes ))
echo "resume: $landed windows had landed; the resumed run sent $sent Put Pages, $sent_bytes bytes"
total=$(landed_windows | wc -l)
[ "$landed" -ge 3 ] && [ "$landed" -lt "$total" ] ||
    fail "the kill left $landed of $total windows: not mid-upload"
assert_eq "$sent" $((total - landed)) \
    "Put Pages of the resumed run ($landed of $total windows had landed)"
# The data windows are whole 4 MiB, the footer's 512 bytes: the kept
# windows are neither sent nor counted.
[ "$sent_bytes" -gt 0 ] && [ "$sent_bytes" -lt $((12 * 4194304 + 512)) ] ||
    fail "the resumed run's Put Pages carried $sent_bytes bytes"
assert_eq "$(bytes_sent "$tmpdir/out2")" "$sent_bytes" \
    "bytes-sent of the resumed run (Put Page bodies at the proxy)"
assert_eq "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["disks"][0]["bytes-sent"])' \
    <"$man/$name.ferry.json")" "$sent_bytes" "the manifest's bytes-sent"
assert_eq "$(arm_calls "r['method'] == 'PUT' and r.get('disk') == '$disk'" | wc -l)" 0 \
    "PUT of the disk by the resumed run"
assert_eq "$(arm_calls "r['path'].endswith('/disks/$disk/beginGetAccess') and r['status'] == 202" | wc -l)" 1 \
    "beginGetAccess of the resumed run"
arm_calls "r['path'].endswith('/disks/$disk/endGetAccess')" >"$tmpdir/end"
assert_eq "$(wc -l <"$tmpdir/end")" 1 "endGetAccess of the resumed run"
python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["footer_ok"], r' <"$tmpdir/end" ||
    fail "footer at endGetAccess: $(cat "$tmpdir/end")"
assert_contains "$(arm_state)" "\"$disk\": \"Unattached\"" "the resumed disk"

azure_blob get "$container" "$blob" "$tmpdir/got.vhd" || fail "read the blob back"
cmp "$tmpdir/got.vhd" "$tmpdir/vda.vhd" ||
    fail "the blob differs from ferry convert -O vpc -o subformat=fixed,azure=on"
sum=$(sha256sum <"$tmpdir/vda.vhd" | cut -d' ' -f1)
tag=$(curl -sf -H "Authorization: Bearer $(curl -sf \
        --data-urlencode grant_type=client_credentials \
        --data-urlencode client_id=test-client \
        --data-urlencode "client_secret=$ARM_SECRET" \
        --data-urlencode "scope=$arm_url/.default" \
        "$arm_url/test-tenant/oauth2/v2.0/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')" \
    "$arm_url/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-test/providers/Microsoft.Compute/disks/$disk?api-version=2023-04-02" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["tags"]["ferry-sha256"])') ||
    fail "GET the disk's tags"
assert_eq "$tag" "$sum" "the disk's ferry-sha256 tag"

# Run 3: the disk is finished; without the manifest, --resume takes the
# disk by its tag and sends nothing.
rm -f "$man/$name.ferry.json"
before=$(put_pages)
: >"$arm_log"
$FERRY export "$name" --connect "$test_host_uri" --to "$to" --for none \
    --manifest-dir "$man" --resume --json >"$tmpdir/out3" 2>"$tmpdir/err3" ||
    fail "export --resume of a finished disk: $(cat "$tmpdir/err3")"
assert_eq "$(( $(put_pages) - before ))" 0 "Put Pages for a finished disk"
assert_eq "$(bytes_sent "$tmpdir/out3")" 0 "bytes-sent for a finished disk"
assert_eq "$(arm_calls "r['method'] in ('PUT', 'PATCH') or r['path'].endswith('GetAccess')" | wc -l)" 0 \
    "ARM writes for a finished disk"
assert_contains "$(cat "$man/$name.ferry.json")" "$sum" "the manifest's sha256"

# azure://, through the proxy: the killed run leaves a partial blob.
azure_env "http://127.0.0.1:$(cat "$tmpdir/proxy.port")/$AZURITE_ACCOUNT"
container=
find_page_blob() {
    if azure_blob list resume 2>/dev/null | grep -qx "$name-vda.vhd"; then
        container=resume blob=$name-vda.vhd
    fi
}
kill_mid_upload find_page_blob "$name" --connect "$test_host_uri" \
    --to "azure://$AZURITE_ACCOUNT/resume" --for none
assert_contains "$(azure_blob props resume "$blob")" '"ferry_state": "partial"' \
    "the killed run's blob"
# Pages the resume must not trust: the first window changed, and data in
# the hole at 56 MiB (the stream has zeros there: cleared, not sent).
azure_blob put-page resume "$blob" 0 4096 0x5a || fail "Put Page 0"
azure_blob put-page resume "$blob" 58720256 8192 0x5b || fail "Put Page 56 MiB"
landed=$(landed_windows | python3 -c 'import sys; print(sum(1 for l in sys.stdin if int(l) < 12))')
before=$(put_pages)
before_bytes=$(put_page_bytes)
$FERRY export "$name" --connect "$test_host_uri" --to "azure://$AZURITE_ACCOUNT/resume" \
    --for none --resume --json >"$tmpdir/out2" 2>"$tmpdir/err2" ||
    fail "azure:// export --resume: $(cat "$tmpdir/err2")"
sent=$(( $(put_pages) - before ))
sent_bytes=$(( $(put_page_bytes) - before_bytes ))
total=$(landed_windows | wc -l)
echo "azure:// resume: $landed of $total windows had landed; the resumed run sent $sent Put Pages, $sent_bytes bytes"
[ "$landed" -ge 3 ] && [ "$landed" -lt "$total" ] ||
    fail "azure://: the kill left $landed of $total windows: not mid-upload"
# The changed window goes again: one Put Page more; the stale pages go
# by one Clear Page (a Put Page too, through the proxy).
assert_eq "$sent" $((total - landed + 2)) "azure://: Put Pages of the resumed run"
[ "$sent_bytes" -gt 0 ] && [ "$sent_bytes" -lt $((12 * 4194304 + 512)) ] ||
    fail "azure://: the resumed run's Put Pages carried $sent_bytes bytes"
assert_eq "$(bytes_sent "$tmpdir/out2")" "$sent_bytes" \
    "azure://: bytes-sent of the resumed run (Put Page bodies at the proxy)"
azure_blob get resume "$blob" "$tmpdir/got2.vhd" || fail "read the page blob back"
cmp "$tmpdir/got2.vhd" "$tmpdir/vda.vhd" ||
    fail "azure://: the blob differs from ferry convert -O vpc -o subformat=fixed,azure=on"
assert_eq "$(azure_blob props resume "$blob" |
    python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["meta"], sort_keys=True))')" \
    "{\"sha256\": \"$sum\"}" "azure://: the blob's metadata"
