#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every source format ferry reads (qcow2 plain and compressed, a qcow2
# chain, vmdk monolithicSparse and streamOptimized, vpc, vhdx) converts to
# raw and to qcow2 identical to the source by qemu-img compare, and the
# qcow2 output passes qemu-img check.  A format whose reader is missing is
# skipped row by row, saying so.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/fixture-functions.sh"
requires qemu-img qemu-io
make_tmpdir

base="$tmpdir/base.raw"
make_fixture_base "$base"

converted=0
for kind in $fixture_kinds; do
    src="$tmpdir/src-$kind.img"
    make_fixture "$kind" "$base" "$src"
    if ! "$FERRY" info "$src" >/dev/null 2>"$tmpdir/err"; then
        echo "$ferry_test_name: skipping $kind: $(cat "$tmpdir/err")" >&2
        continue
    fi
    for out in raw qcow2; do
        dst="$tmpdir/out-$kind.$out"
        "$FERRY" convert -O "$out" "$src" "$dst" || fail "$kind -> $out failed"
        qemu-img compare -q -F "$out" "$src" "$dst" || fail "$kind -> $out differs"
        if [ "$out" = qcow2 ]; then
            qemu-img check -q "$dst" || fail "$kind -> qcow2 fails qemu-img check"
        fi
        rm -f "$dst"
        converted=$((converted + 1))
    done
done
[ "$converted" -gt 0 ] || skip "ferry reads none of the source formats yet"
echo "$ferry_test_name: $converted conversions checked" >&2
