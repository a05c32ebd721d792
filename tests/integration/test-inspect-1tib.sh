#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Inspection reads lazily: a 1 TiB qcow2 with a GPT and a 1 TiB ext4 (made
# with lazy inode table and journal init on a sparse file, then converted)
# is inspected in under a second, having read under 64 MiB of it
# ("bytes-read"), and still finds its OS.  (The one time assertion in the
# suite: it is the issue's acceptance criterion, and the margin is > 10x.)
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/inspect-functions.sh"
make_tmpdir

make_root "$tmpdir/root" ubuntu 22.04 "Ubuntu 22.04.4 LTS" 5.15.0-105-generic
raw=$tmpdir/big.raw
truncate -s 1T "$raw"
sfdisk -q "$raw" <<EOF
label: gpt
start=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
EOF
sectors=$(sfdisk --json "$raw" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["size"])')
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1,nodiscard,offset=1048576 \
    -U 6a1f0c52-1d0e-4f5b-9d3c-2b7e8f9a0c1d -d "$tmpdir/root" "$raw" \
    $((sectors / 8)) 2>/dev/null
qemu-img convert -O qcow2 "$raw" "$tmpdir/big.qcow2"
rm -f "$raw"
check_size=$(qemu-img info --output=json "$tmpdir/big.qcow2" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
assert_eq "$check_size" 1099511627776 "virtual size"

start=$(date +%s%N)
"$FERRY" inspect --json "$tmpdir/big.qcow2" >"$tmpdir/r.json" ||
    fail "inspect failed"
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
r=$tmpdir/r.json
bytes=$(report "$r" "r['bytes-read']")
echo "1 TiB qcow2: ${ms} ms, bytes-read $bytes"
[ "$ms" -lt 1000 ] || fail "inspecting 1 TiB took $ms ms"
[ "$bytes" -lt $((64 << 20)) ] || fail "bytes-read $bytes is not under 64 MiB"

check_report "$r" "r['disks'][0]['partitions'][0]['size']" $((sectors * 512))
check_report "$r" "r['disks'][0]['partitions'][0]['filesystem']['uuid']" '"6a1f0c52-1d0e-4f5b-9d3c-2b7e8f9a0c1d"'
check_report "$r" "r['guest']['os-id']" '"ubuntu"'
check_report "$r" "r['guest']['os-disk-size']" 1099511627776
check_report "$r" "r['guest']['kernel-count']" 1
