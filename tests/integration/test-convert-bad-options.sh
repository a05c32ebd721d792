#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Options that do not exist or do not fit are refused before anything is
# written: status 2, one line on stderr naming the option, no DST and no
# temporary beside it.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img
make_tmpdir

src="$tmpdir/src.raw"
qemu-img create -q -f raw "$src" 4M

check_refused() {
    fmt=$1 opts=$2 want=$3
    set +e
    "$FERRY" convert -O "$fmt" $opts "$src" "$tmpdir/dst" >"$tmpdir/out" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" 2 "exit status for -O $fmt $opts"
    assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr for -O $fmt $opts"
    assert_contains "$(cat "$tmpdir/err")" "$want" "message for -O $fmt $opts"
    assert_eq "$(ls -A "$tmpdir" | grep -v '^src.raw$' | grep -v '^out$' | grep -v '^err$' | wc -l)" 0 \
        "files left by -O $fmt $opts"
}

check_refused qcow2 "-o cluster_size=3000" "cluster_size=3000"
check_refused qcow2 "-o cluster_size=4M" "cluster_size=4M"
check_refused qcow2 "-o cluster_size=256" "cluster_size=256"
check_refused qcow2 "-o bogus=1" "bogus"
check_refused qcow2 "-o compat=0.9" "compat=0.9"
check_refused qcow2 "-o compat=0.10,compression_type=zstd" "compression_type=zstd"
check_refused qcow2 "-o compression_type=lz4" "compression_type=lz4"
check_refused qcow2 "-o refcount_bits=8" "refcount_bits=8"
check_refused qcow2 "-o preallocation=full" "preallocation=full"
check_refused qcow2 "-o cluster_size" "cluster_size"
check_refused raw "-o cluster_size=65536" "cluster_size"
check_refused raw "-c" "-c"
check_refused vdi "" "vdi"
check_refused qcow2 "-t bogus" "-t: expected writeback or unsafe"

# A DST that exists is left alone by a refused conversion.
echo keep >"$tmpdir/dst"
set +e
"$FERRY" convert -O qcow2 -o bogus=1 "$src" "$tmpdir/dst" 2>/dev/null
set -e
assert_eq "$(cat "$tmpdir/dst")" keep "existing DST after a refused option"
