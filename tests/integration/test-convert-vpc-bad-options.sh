#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# -O vpc options that do not exist or do not fit are refused before
# anything is written: status 2, one line on stderr naming the option, and
# no DST nor temporary beside it.  azure=on asks for what Azure takes (a
# fixed VHD with the exact size in its footer), so subformat=dynamic or
# force_size=off with it is refused rather than quietly ignored.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img
make_tmpdir

mkdir "$tmpdir/src" "$tmpdir/dst"
src="$tmpdir/src/src.raw"
qemu-img create -q -f raw "$src" 4M
# Larger than the 2040 GiB a VHD can hold (sparse: no space used).
huge="$tmpdir/src/huge.raw"
qemu-img create -q -f raw "$huge" 2041G

check_refused() {
    opts=$1 want=$2 from=${3:-$src}
    set +e
    # shellcheck disable=SC2086
    "$FERRY" convert -f raw -O vpc $opts "$from" "$tmpdir/dst/out.vhd" \
        >"$tmpdir/out" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" 2 "exit status for $opts"
    assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr for $opts"
    assert_contains "$(cat "$tmpdir/err")" "$want" "message for $opts"
    assert_eq "$(ls -A "$tmpdir/dst" | wc -l)" 0 "files left by $opts"
    assert_eq "$(wc -c <"$tmpdir/out")" 0 "bytes on stdout for $opts"
}

check_refused "-o subformat=bogus" "subformat=bogus"
check_refused "-o subformat=differencing" "subformat=differencing"
check_refused "-o force_size=maybe" "force_size=maybe"
check_refused "-o azure=maybe" "azure=maybe"
check_refused "-o azure=on,subformat=dynamic" "subformat=dynamic"
check_refused "-o azure=on,force_size=off" "force_size=off"
check_refused "-o block_size=1M" "block_size"
check_refused "-o bogus=1" "bogus"
check_refused "-c" "-c"
check_refused "-o subformat=fixed" "2040 GiB" "$huge"
check_refused "-o azure=on" "2040 GiB" "$huge"

# Nothing reaches stdout either when DST is "-".
set +e
"$FERRY" convert -f raw -O vpc -o subformat=bogus "$src" - >"$tmpdir/out" 2>/dev/null
status=$?
set -e
assert_eq "$status" 2 "exit status for a refused option to stdout"
assert_eq "$(wc -c <"$tmpdir/out")" 0 "bytes on stdout for a refused option"
