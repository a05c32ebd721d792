#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# -O vpc, fixed and dynamic, from every source format ferry reads (the
# fixtures of test-convert-formats.sh): qemu-img compare finds the output
# identical to the source, and qemu-img info reads the virtual size qemu-img
# itself gives a VHD of that size (force_size=on: the exact size).  Writing
# to stdout ("-") gives the same bytes as writing to a file, and the same
# SHA-256 as --checksum reports.  Also a sparse disk over 4 GiB and a size
# that is not a multiple of 512.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/fixture-functions.sh"
requires qemu-img qemu-io python3 sha256sum
make_tmpdir

base="$tmpdir/base.raw"
make_fixture_base "$base"

vsize() {   # vsize FMT FILE: the virtual size qemu-img reads
    qemu-img info -f "$1" --output=json "$2" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["virtual-size"])'
}

# The virtual size qemu-img gives a VHD of SIZE bytes with OPTS.
oracle_size() {   # oracle_size SIZE OPTS
    rm -f "$tmpdir/oracle.vhd"
    qemu-img create -q -f vpc -o "$2" "$tmpdir/oracle.vhd" "$1"
    vsize vpc "$tmpdir/oracle.vhd"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# check_out SRC SRCFMT OPTS WHAT: convert SRC with -O vpc -o OPTS to a file
# and to stdout; compare, sizes, bytes and SHA-256.
check_out() {
    src=$1 sfmt=$2 opts=$3 what=$4
    dst="$tmpdir/out.vhd"
    rm -f "$dst" "$tmpdir/stdout.vhd"
    "$FERRY" convert --checksum --json -f "$sfmt" -O vpc -o "$opts" "$src" "$dst" \
        >"$tmpdir/result.json" || fail "$what: convert failed"
    qemu-img compare -q -f "$sfmt" -F vpc "$src" "$dst" ||
        fail "$what: output differs from the source"
    src_size=$(vsize "$sfmt" "$src")
    case $opts in
        *force_size=on*) want=$(( (src_size + 511) / 512 * 512 )) ;;
        *) want=$(oracle_size "$src_size" "$opts") ;;
    esac
    assert_eq "$(vsize vpc "$dst")" "$want" "$what: virtual size"
    assert_contains "$(cat "$tmpdir/result.json")" "\"sha256\" : \"$(sha256_of "$dst")\"" \
        "$what: --checksum of the file"
    "$FERRY" convert -f "$sfmt" -O vpc -o "$opts" "$src" - >"$tmpdir/stdout.vhd" ||
        fail "$what: convert to stdout failed"
    cmp "$dst" "$tmpdir/stdout.vhd" || fail "$what: stdout differs from the file"
    assert_eq "$(sha256_of "$tmpdir/stdout.vhd")" "$(sha256_of "$dst")" \
        "$what: SHA-256 of stdout"
    checked=$((checked + 1))
}

checked=0
for kind in $fixture_kinds; do
    src="$tmpdir/src-$kind.img"
    make_fixture "$kind" "$base" "$src"
    fmt=$(qemu-img info --output=json "$src" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["format"])')
    for opts in subformat=fixed subformat=dynamic subformat=fixed,force_size=on; do
        check_out "$src" "$fmt" "$opts" "$kind -> vpc $opts"
    done
    rm -f "$src"
done

# Holes stay holes in a fixed VHD written to a file.
"$FERRY" convert -f raw -O vpc -o subformat=fixed "$base" "$tmpdir/sparse.vhd"
used=$(($(stat -c %b "$tmpdir/sparse.vhd") * 512))
[ "$used" -lt $((12 * 1024 * 1024)) ] ||
    fail "fixed VHD is not sparse: $used bytes allocated for 5.4 MiB of data"

# An odd size: not a multiple of 512, data in the last partial sector.
odd="$tmpdir/odd.raw"
qemu-img create -q -f raw "$odd" 3000001
qemu-io -f raw -c 'write -P 0x5a 2999000 1001' -c 'write -P 0x77 0 4k' "$odd" >/dev/null
for opts in subformat=fixed subformat=dynamic subformat=fixed,force_size=on \
        subformat=dynamic,force_size=on; do
    check_out "$odd" raw "$opts" "odd size -> vpc $opts"
done

# Over 4 GiB virtual, sparse: data on both sides of 4 GiB and at the end.
big="$tmpdir/big.qcow2"
qemu-img create -q -f qcow2 "$big" 4100M
qemu-io -f qcow2 -c 'write -P 0x21 1M 1M' -c 'write -P 0x42 4095M 2M' \
    -c 'write -P 0x63 4099M 1M' "$big" >/dev/null
for opts in subformat=dynamic subformat=fixed; do
    dst="$tmpdir/big.vhd"
    "$FERRY" convert -O vpc -o "$opts" "$big" "$dst" || fail "big -> vpc $opts failed"
    qemu-img compare -q -f qcow2 -F vpc "$big" "$dst" ||
        fail "big -> vpc $opts differs from the source"
    assert_eq "$(vsize vpc "$dst")" "$(oracle_size $((4100 * 1024 * 1024)) "$opts")" \
        "big -> vpc $opts: virtual size"
    rm -f "$dst"
    checked=$((checked + 1))
done
# The dynamic one holds exactly the 2 MiB blocks with data: 1M, 4095M-4097M
# (two blocks), 4099M.
"$FERRY" convert -O vpc "$big" "$tmpdir/big.vhd"
size=$(stat -c %s "$tmpdir/big.vhd")
blocks=$(( ($(vsize vpc "$tmpdir/big.vhd") + 2097151) / 2097152 ))   # BAT entries
want=$((512 + 1024 + (blocks * 4 + 511) / 512 * 512 + 4 * (512 + 2097152) + 512))
assert_eq "$size" "$want" "big dynamic VHD file size"

leftovers=$(find "$tmpdir" -name '*.part' | wc -l)
assert_eq "$leftovers" 0 "temporaries left behind"
echo "$ferry_test_name: $checked conversions checked" >&2
