#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export to azure-disk://SUB/RG?location=L against the ARM contract
# server (tests/tools/azure-arm-contract.py) whose disks' blobs live in
# Azurite: a two-disk UEFI domain becomes two V2 managed disks, each blob
# (read back by the test's own Python client) equal to `ferry convert -O
# vpc -o subformat=fixed,azure=on` and N MiB + 512 long, endGetAccess
# called for each, and --image names both disks (vdb at lun 0).  Injected
# 503s and a 429 on ARM are retried.  A wrong client secret exits 8 with
# one line; a disk of the same name is refused without --overwrite; a
# SIGINT mid-upload calls endGetAccess and deletes the disk (kept with
# --keep); a 2 GiB disk holding 10 MiB sends about 10 MiB of pages.
# Secrets appear in no output, log or manifest.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/azure-functions.sh"
requires qemu-img qemu-io curl
requires_azurite
make_tmpdir

img=$tmpdir/img
mkdir "$img"
# 33 MiB + 1 byte: rounded up to 34 MiB.
make_image qcow2 "$img/root.qcow2" 34603009 "0x22 1M 2M" "0x23 25M 1M"
make_image raw "$img/data.raw" 64M "0x44 40M 10M"
name=ferry-test-$$-azd
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw"
sed -i "s|<os>|<os firmware='efi'>|" "$tmpdir/host.xml"
uri=$test_host_uri

start_azurite
start_arm_contract
to="azure-disk://00000000-1111-2222-3333-444444444444/rg-test?location=westeurope"
man=$tmpdir/manifests
mkdir "$man"

# Wrong secret: exit 8, one line naming the token endpoint's words.
st=0
AZURE_CLIENT_SECRET=wrong-secret-$$ $FERRY export "$name" --connect "$uri" \
    --to "$to" --for none --manifest-dir "$man" >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 8 "exit status with a wrong client secret"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr with a wrong secret"
assert_contains "$(cat "$tmpdir/err")" "invalid_client: AADSTS7000215" "wrong-secret message"
if grep -q "wrong-secret-$$" "$tmpdir/err"; then fail "the secret is in the message"; fi

$FERRY convert -O vpc -o subformat=fixed,azure=on "$img/root.qcow2" "$tmpdir/vda.vhd" ||
    fail "convert vda"
$FERRY convert -O vpc -o subformat=fixed,azure=on "$img/data.raw" "$tmpdir/vdb.vhd" ||
    fail "convert vdb"

# Two 503s on the first disk's PUT, a 429 (Retry-After 1) on a
# beginGetAccess, a 503 on a poll: all retried.
arm_faults '[{"method": "PUT", "path": "/disks/", "status": 503, "count": 2, "retry_after": 0},
             {"method": "POST", "path": "/beginGetAccess", "status": 429, "count": 1, "retry_after": 1},
             {"method": "GET", "path": "/operations/", "status": 503, "count": 1, "retry_after": 0}]'
: >"$arm_log"
$FERRY export "$name" --connect "$uri" --to "$to" --for none --manifest-dir "$man" \
    --image "$name-img" --json >"$tmpdir/events" 2>"$tmpdir/err" ||
    fail "export: $(cat "$tmpdir/err")"
assert_eq "$(arm_calls 'r["status"] in (429, 503)' | wc -l)" 4 "injected faults answered"

sub=/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-test
for dev in vda vdb; do
    disk=$name-$dev
    # The PUT: Upload of the VHD's size, V2 (UEFI), osType on vda only.
    arm_calls "r['method'] == 'PUT' and r.get('disk') == '$disk' and r['status'] == 202" \
        >"$tmpdir/$dev.put"
    assert_eq "$(wc -l <"$tmpdir/$dev.put")" 1 "$dev: one accepted PUT"
    python3 - "$tmpdir/$dev.put" "$tmpdir/$dev.vhd" "$dev" <<'PY' || fail "$dev: PUT $(cat "$tmpdir/$dev.put")"
import json, os, sys
r = json.loads(open(sys.argv[1]).read())
p = r["body"]["properties"]
size = os.path.getsize(sys.argv[2])
assert r["body"]["location"] == "westeurope", r
assert p["creationData"] == {"createOption": "Upload", "uploadSizeBytes": size}, p
assert (size - 512) % (1 << 20) == 0, size
assert p["hyperVGeneration"] == "V2", p
assert p.get("osType") == ("Linux" if sys.argv[3] == "vda" else None), p
PY
    # endGetAccess: exactly once, after a fixed-VHD footer of the right size.
    arm_calls "r['path'].endswith('/disks/$disk/endGetAccess')" >"$tmpdir/$dev.end"
    assert_eq "$(wc -l <"$tmpdir/$dev.end")" 1 "$dev: endGetAccess calls"
    python3 - "$tmpdir/$dev.end" "$tmpdir/$dev.vhd" <<'PY' || fail "$dev: endGetAccess $(cat "$tmpdir/$dev.end")"
import json, os, sys
r = json.loads(open(sys.argv[1]).read())
assert r["status"] == 202 and r["footer_ok"], r
assert r["blob_size"] == os.path.getsize(sys.argv[2]), r
PY
    container=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["container"])' <"$tmpdir/$dev.end")
    azure_blob get "$container" abcd "$tmpdir/$dev.got" || fail "get $dev's blob"
    want=$(sha256sum <"$tmpdir/$dev.vhd" | cut -d' ' -f1)
    got=$(sha256sum <"$tmpdir/$dev.got" | cut -d' ' -f1)
    assert_eq "$got" "$want" "$dev: the disk's blob is ferry convert -O vpc -o subformat=fixed,azure=on"
    assert_eq "$(grep -c "\"resource-id\" *: *\"$sub/providers/Microsoft.Compute/disks/$disk\"" "$man/$name.ferry.json")" 1 \
        "$dev: resource id in the manifest"
done
# The image: vda as the generalized OS disk, vdb at lun 0.
arm_calls "r['method'] == 'PUT' and r.get('image') == '$name-img'" >"$tmpdir/image"
python3 - "$tmpdir/image" "$sub/providers/Microsoft.Compute/disks/$name" <<'PY' || fail "image request $(cat "$tmpdir/image")"
import json, sys
r = json.loads(open(sys.argv[1]).read())
p = r["body"]["properties"]
sp = p["storageProfile"]
assert p["hyperVGeneration"] == "V2", p
assert sp["osDisk"] == {"osType": "Linux", "osState": "Generalized",
                        "managedDisk": {"id": sys.argv[2] + "-vda"}}, sp
assert sp["dataDisks"] == [{"lun": 0, "managedDisk": {"id": sys.argv[2] + "-vdb"}}], sp
PY
python3 - "$tmpdir/events" "$sub/providers/Microsoft.Compute" "$name" <<'PY' || fail "--json events $(cat "$tmpdir/events")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ids = [e.get("resource-id") for e in ev if e.get("event") == "disk-done"]
assert ids == ["%s/disks/%s-vda" % (sys.argv[2], sys.argv[3]),
               "%s/disks/%s-vdb" % (sys.argv[2], sys.argv[3])], ev
img = [e["image-id"] for e in ev if e.get("event") == "image"]
assert img == ["%s/images/%s-img" % (sys.argv[2], sys.argv[3])], ev
PY
state=$(arm_state)
assert_contains "$state" "\"$name-vda\": \"Unattached\", \"$name-vdb\": \"Unattached\"" \
    "both disks Unattached after endGetAccess"
assert_contains "$state" "\"images\": [\"$name-img\"]" "the image exists"

# No secret anywhere: the client secret, a SAS signature, a bearer token.
for f in "$tmpdir/events" "$tmpdir/err" "$man/$name.ferry.json" "$arm_log"; do
    if grep -q -e "$ARM_SECRET" -e "sig=" -e "Bearer" "$f"; then
        fail "a secret is in $f"
    fi
done

# The same names again: refused before anything is made.
: >"$arm_log"
st=0
$FERRY export "$name" --connect "$uri" --to "$to" --for none --manifest-dir "$tmpdir" \
    >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 12 "exit status for a disk that exists"
assert_contains "$(cat "$tmpdir/err")" "'$name-vda.vhd' already exists" "duplicate message"
assert_eq "$(arm_calls 'r["method"] == "PUT"' | wc -l)" 0 "PUTs for a refused export"
# With --overwrite: the disks, the image and the manifest are replaced.
: >"$arm_log"
$FERRY export "$name" --connect "$uri" --to "$to" --for none --manifest-dir "$man" \
    --image "$name-img" --overwrite >"$tmpdir/out" 2>"$tmpdir/err" ||
    fail "export --overwrite: $(cat "$tmpdir/err")"
assert_eq "$(arm_calls "r['method'] == 'DELETE' and r['status'] == 202" | wc -l)" 3 \
    "two disks and the image deleted by --overwrite"
assert_eq "$(arm_calls "r['method'] == 'PUT' and r['status'] in (201, 202)" | wc -l)" 3 \
    "two disks and the image made again"

# A 2 GiB disk holding 10 MiB: about 10 MiB of pages (the footer's
# window aside), counted from Get Page Ranges at endGetAccess.
big=$name-big
make_image raw "$img/big.raw" 2G "0x55 1G 10M"
write_test_host "$big" "vda:raw:$img/big.raw"
# A 413 on the disk's PUT is not retried: exit 10, ARM's words, no disk.
arm_faults '[{"method": "PUT", "path": "/disks/", "status": 413, "count": 1}]'
st=0
$FERRY export "$big" --connect "$test_host_uri" --to "$to" --for none --manifest-dir "$man" \
    >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 10 "exit status after a 413"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr after a 413"
assert_contains "$(cat "$tmpdir/err")" "azure-disk PutDisk: Injected413: injected by the test (HTTP 413)" \
    "413 message"
case $(arm_state) in *"$big-vda"*) fail "a disk is left after a 413" ;; esac
: >"$arm_log"
$FERRY export "$big" --connect "$test_host_uri" --to "$to" --for none --manifest-dir "$man" \
    >"$tmpdir/out" 2>"$tmpdir/err" || fail "export $big: $(cat "$tmpdir/err")"
pages=$(arm_calls "r['path'].endswith('/endGetAccess')" |
    python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert r["footer_ok"], r; print(r["page_bytes"])')
[ "$pages" -ge 10485760 ] && [ "$pages" -le 11534336 ] ||
    fail "2 GiB disk with 10 MiB of data: $pages bytes of pages"
PUT_GEN=$(arm_calls "r['method'] == 'PUT' and r.get('disk') == '$big-vda'" |
    python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["body"]["properties"]["hyperVGeneration"])')
assert_eq "$PUT_GEN" V1 "a BIOS domain's disk is V1"

# SIGINT mid-upload (slowed down): endGetAccess, then the disk deleted;
# with --keep the disk stays.
slow=$name-slow
make_random_raw "$img/slow.raw" 67108864 0 50331648
write_test_host "$slow" "vda:raw:$img/slow.raw"
for keep in "" --keep; do
    : >"$arm_log"
    $FERRY export "$slow" --connect "$test_host_uri" --to "$to" --for none --manifest-dir "$man" \
        --bwlimit 8M $keep >"$tmpdir/out" 2>"$tmpdir/err" &
    pid=$!
    i=0
    until arm_calls "r['path'].endswith('/beginGetAccess') and r['status'] == 202" | grep -q .; do
        i=$((i + 1)); [ $i -lt 200 ] || fail "no beginGetAccess within 20 s"
        sleep 0.1
    done
    sleep 1
    kill -INT $pid
    st=0
    wait $pid || st=$?
    assert_eq "$st" 130 "exit status after SIGINT${keep:+ with $keep}"
    arm_calls "r['path'].endswith('/disks/$slow-vda/endGetAccess')" >"$tmpdir/end"
    assert_eq "$(wc -l <"$tmpdir/end")" 1 "endGetAccess after SIGINT${keep:+ with $keep}"
    deletes=$(arm_calls "r['method'] == 'DELETE' and r['path'].endswith('/disks/$slow-vda')" | wc -l)
    if [ -z "$keep" ]; then
        assert_eq "$deletes" 1 "the unfinished disk deleted"
        case $(arm_state) in *"$slow-vda"*) fail "the cancelled disk is left" ;; esac
    else
        assert_eq "$deletes" 0 "the unfinished disk kept with --keep"
        assert_contains "$(arm_state)" "\"$slow-vda\": \"Unattached\"" \
            "the kept disk is closed for upload"
    fi
done
