#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every source format ferry reads (qcow2 plain and compressed, a qcow2
# chain, vmdk monolithicSparse and streamOptimized, vpc, vhdx) converts to
# raw and to qcow2 identical to the source by qemu-img compare, and the
# qcow2 output passes qemu-img check.  Every row must convert: a reader
# that fails is a failure of the test, not a row dropped.
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
    "$FERRY" info "$src" >/dev/null 2>"$tmpdir/err" ||
        fail "ferry info of the $kind fixture: $(cat "$tmpdir/err")"
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
assert_eq "$converted" "$(( $(echo $fixture_kinds | wc -w) * 2 ))" "conversions checked"
echo "$ferry_test_name: $converted conversions checked" >&2
