#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# -O vpc -o azure=on writes what Azure takes: a fixed VHD whose virtual
# size is a whole number of MiB, so the file is that many MiB plus the
# 512-byte footer, and qemu-img reads back exactly that size.  An odd-sized
# source, one already a whole MiB, and a qcow2 one; the same bytes to
# stdout; azure=on with subformat=fixed and force_size=on is accepted.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir

MiB=1048576
vsize() {
    qemu-img info -f "$1" --output=json "$2" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["virtual-size"])'
}

# check_azure SRC FMT SIZE OPTS
check_azure() {
    src=$1 fmt=$2 bytes=$3 opts=$4
    mib=$(( (bytes + MiB - 1) / MiB ))
    dst="$tmpdir/azure.vhd"
    rm -f "$dst"
    "$FERRY" convert -f "$fmt" -O vpc -o "$opts" "$src" "$dst" ||
        fail "$src: -o $opts failed"
    assert_eq "$(stat -c %s "$dst")" $((mib * MiB + 512)) \
        "$src -o $opts: file size (whole MiB + footer)"
    assert_eq "$(vsize vpc "$dst")" $((mib * MiB)) "$src -o $opts: virtual size"
    qemu-img compare -q -f "$fmt" -F vpc "$src" "$dst" ||
        fail "$src -o $opts: output differs from the source"
    # Disk type and creator, from the footer.
    type=$(tail -c 512 "$dst" | od -An -tx1 -j60 -N4 | tr -d ' ')
    assert_eq "$type" 00000002 "$src -o $opts: disk_type fixed"
    assert_eq "$(tail -c 512 "$dst" | dd bs=1 skip=28 count=4 2>/dev/null)" qem2 \
        "$src -o $opts: creator application"
}

odd="$tmpdir/odd.raw"
qemu-img create -q -f raw "$odd" 3000001
qemu-io -f raw -c 'write -P 0x5a 2999000 1001' "$odd" >/dev/null
check_azure "$odd" raw 3000001 azure=on

whole="$tmpdir/whole.raw"
qemu-img create -q -f raw "$whole" 32M
qemu-io -f raw -c 'write -P 0xab 1M 1M' "$whole" >/dev/null
check_azure "$whole" raw $((32 * MiB)) azure=on

qcow="$tmpdir/src.qcow2"
qemu-img create -q -f qcow2 "$qcow" $((5 * MiB + 7 * 512))
qemu-io -f qcow2 -c 'write -P 0x42 5M 3584' "$qcow" >/dev/null
check_azure "$qcow" qcow2 $((5 * MiB + 7 * 512)) azure=on,subformat=fixed,force_size=on

# The same bytes to a pipe.
"$FERRY" convert -f raw -O vpc -o azure=on "$odd" "$tmpdir/file.vhd"
"$FERRY" convert -f raw -O vpc -o azure=on "$odd" - >"$tmpdir/stdout.vhd"
cmp "$tmpdir/file.vhd" "$tmpdir/stdout.vhd" || fail "azure VHD on stdout differs"
