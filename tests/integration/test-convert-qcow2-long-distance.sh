#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Compressed qcow2 clusters whose deflate streams refer further back than
# qemu's own 4 KiB window read back exactly with qemu-img (see
# conv/engine-compress.c): each 64 KiB cluster is one 8 KiB random block
# repeated, which a 4 KiB window cannot shrink (qemu-img -c stores those
# clusters whole) and ferry's deflate does by matching 8 KiB back.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img python3
make_tmpdir

src="$tmpdir/src.raw"
python3 - "$src" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    for cluster in range(64):
        f.write(os.urandom(8192) * 8)
PY

"$FERRY" convert -c -O qcow2 "$src" "$tmpdir/ferry.qcow2"
qemu-img check -q "$tmpdir/ferry.qcow2" || fail "qemu-img check: $(qemu-img check "$tmpdir/ferry.qcow2" 2>&1 | head -3)"
qemu-img compare -q -f raw -F qcow2 "$src" "$tmpdir/ferry.qcow2" ||
    fail "qemu-img reads ferry's long-distance clusters differently"
qemu-img convert -c -f raw -O qcow2 "$src" "$tmpdir/qemu.qcow2"
ferry_bytes=$(stat -c %s "$tmpdir/ferry.qcow2")
qemu_bytes=$(stat -c %s "$tmpdir/qemu.qcow2")
# 4 MiB of data: qemu-img's 4 KiB window keeps it all, ferry's clusters
# are about 8 KiB each, so every cluster went through a long distance.
[ "$qemu_bytes" -gt 4000000 ] || fail "qemu-img -c shrank the clusters ($qemu_bytes bytes): the test data has short repeats"
[ "$ferry_bytes" -lt 1500000 ] || fail "ferry -c did not compress the clusters ($ferry_bytes bytes)"
# And ferry reads them back too.
"$FERRY" convert -O raw "$tmpdir/ferry.qcow2" "$tmpdir/back.raw"
cmp -s "$src" "$tmpdir/back.raw" || fail "ferry reads its own long-distance clusters differently"
