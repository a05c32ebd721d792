#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A source that fails half-way (a qcow2 image cut short, so that its last
# clusters lie past the end of the file) makes ferry convert fail with one
# line naming the source, and leaves neither DST nor a temporary; an
# existing DST is left as it was.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io
make_tmpdir

src="$tmpdir/src.qcow2"
qemu-img create -q -f qcow2 "$src" 64M
qemu-io -f qcow2 -c 'write -P 0xab 0 8M' -c 'write -P 0xcd 40M 8M' "$src" >/dev/null
# Sound before it is cut: a reader that fails here is a broken product.
"$FERRY" info "$src" >/dev/null 2>"$tmpdir/err" ||
    fail "ferry info of the intact source: $(cat "$tmpdir/err")"
size=$(stat -c %s "$src")
truncate -s $((size * 3 / 4)) "$src"

for out in raw qcow2; do
    echo keep >"$tmpdir/kept.$out"
    for dst in "$tmpdir/dst.$out" "$tmpdir/kept.$out"; do
        set +e
        "$FERRY" convert -O "$out" "$src" "$dst" >"$tmpdir/out" 2>"$tmpdir/err"
        status=$?
        set -e
        [ "$status" != 0 ] || fail "-O $out from a truncated source exited 0"
        assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr (-O $out)"
        assert_contains "$(cat "$tmpdir/err")" "ferry: $src" "message names the source (-O $out)"
    done
    [ ! -e "$tmpdir/dst.$out" ] || fail "DST exists after a failed -O $out"
    assert_eq "$(cat "$tmpdir/kept.$out")" keep "existing DST after a failed -O $out"
done
assert_eq "$(ls -A "$tmpdir" | grep -c '\.part$' || true)" 0 "temporaries left"
