#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Incompressible clusters skip the compressor (conv/engine-compress.c):
# on a disk of alternating 2 MiB of random bytes and 2 MiB of text, qcow2
# -c compresses exactly the text clusters (qemu-img check counts them:
# half of the allocated ones) and stores the random ones whole; a
# streamOptimized VMDK holds the random grains as stored deflate blocks,
# so it is no bigger than the random bytes plus the compressed text and
# its overhead.  Both read back exactly with qemu-img, and the output is
# the same bytes on every run whichever worker thread took a cluster.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img python3 cmp
make_tmpdir
src=$tmpdir/src.raw
python3 - "$src" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    f.truncate(64 << 20)
    for off in range(0, 64 << 20, 8 << 20):
        f.seek(off)
        f.write(os.urandom(2 << 20))
        f.write((b"ferry text %08d\n" % off) * ((2 << 20) // 20))
PY
"$FERRY" convert -c -O qcow2 "$src" "$tmpdir/c.qcow2" || fail "convert -c"
qemu-img compare -q -f raw -F qcow2 "$src" "$tmpdir/c.qcow2" || fail "qcow2 -c reads back differently"
check=$(qemu-img check "$tmpdir/c.qcow2")
assert_contains "$check" "512/1024 = 50.00% allocated" "allocated clusters"
assert_contains "$check" "50.00% compressed clusters" "only the text clusters compressed"

for run in 1 2 3; do
    "$FERRY" convert -O vmdk -o subformat=streamOptimized "$src" "$tmpdir/s$run.vmdk" ||
        fail "convert to vmdk, run $run"
done
qemu-img compare -q -f raw -F vmdk "$src" "$tmpdir/s1.vmdk" || fail "vmdk reads back differently"
cmp -s "$tmpdir/s1.vmdk" "$tmpdir/s2.vmdk" && cmp -s "$tmpdir/s1.vmdk" "$tmpdir/s3.vmdk" ||
    fail "the streamOptimized output differs between runs"
size=$(stat -c %s "$tmpdir/s1.vmdk")
random=$((16 << 20))
# Stored deflate adds 5 bytes a 64 KiB block; markers, tables and the
# compressed text stay well under 1 MiB.
[ "$size" -ge "$random" ] || fail "vmdk of $size bytes is smaller than its random data"
[ "$size" -lt $((random + (1 << 20))) ] || fail "vmdk of $size bytes: random grains were not stored"
echo "test-convert-incompressible: ok (vmdk $size bytes)"
