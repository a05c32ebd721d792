#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# vmdk output options that do not exist or do not fit are refused before
# anything is written: status 2, one line on stderr naming the option and
# its value, no DST and no temporary beside it, to a file or to stdout.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img
make_tmpdir

src="$tmpdir/src.raw"
qemu-img create -q -f raw "$src" 4M
mkdir "$tmpdir/out"

check_refused() {
    args=$1 want=$2
    for dst in "$tmpdir/out/dst.vmdk" -; do
        set +e
        # shellcheck disable=SC2086
        "$FERRY" convert -O vmdk $args "$src" "$dst" >"$tmpdir/stdout" 2>"$tmpdir/err"
        status=$?
        set -e
        assert_eq "$status" 2 "exit status for $args to $dst"
        assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr for $args to $dst"
        assert_contains "$(cat "$tmpdir/err")" "ferry: " "message for $args to $dst"
        assert_contains "$(cat "$tmpdir/err")" "$want" "message for $args to $dst"
        assert_eq "$(ls -A "$tmpdir/out" | wc -l)" 0 "files left by $args"
        assert_eq "$(stat -c %s "$tmpdir/stdout")" 0 "bytes on stdout for $args to $dst"
    done
}

check_refused "-o subformat=bogus" "subformat=bogus"
check_refused "-o subformat=monolithicFlat" "subformat=monolithicFlat"
check_refused "-o subformat=twoGbMaxExtentSparse" "subformat=twoGbMaxExtentSparse"
check_refused "-o adapter_type=bogus" "adapter_type=bogus"
check_refused "-o adapter_type=IDE" "adapter_type=IDE"
check_refused "-o subformat=streamOptimized,toolsversion=garbage" "toolsversion=garbage"
check_refused "-o toolsversion=-1" "toolsversion=-1"
check_refused "-o toolsversion=2147483648" "toolsversion=2147483648"
check_refused "-o toolsversion=" "toolsversion"
check_refused "-o hwversion=x7" "hwversion=x7"
check_refused "-o hwversion=0" "hwversion=0"
check_refused "-o cluster_size=65536" "cluster_size"
check_refused "-o zeroed_grain=on" "zeroed_grain"
check_refused "-c" "-c"

# An existing DST is left alone by a refused conversion.
echo keep >"$tmpdir/out/dst.vmdk"
set +e
"$FERRY" convert -O vmdk -o subformat=bogus "$src" "$tmpdir/out/dst.vmdk" 2>/dev/null
set -e
assert_eq "$(cat "$tmpdir/out/dst.vmdk")" keep "existing DST after a refused option"
