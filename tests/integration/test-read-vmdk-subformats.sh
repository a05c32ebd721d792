#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry reads every VMDK subformat qemu-img writes: `ferry map --json`
# classifies bytes as zero or data as `qemu-img map --output=json` does,
# `ferry convert -O raw` equals the image (qemu-img compare), and `ferry
# info` names the createType.  Sizes are odd (not a multiple of a grain)
# and twoGbMaxExtent disks span three extent files.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir

check() {
    sub=$1 size=$2
    img="$tmpdir/$sub.vmdk"
    qemu-img create -q -f vmdk -o "subformat=$sub" "$img" "$size"
    qemu-io -f vmdk -c 'write -P 0x11 0 64k' -c 'write -P 0x22 1049088 3000' \
        -c 'write -P 0x44 33550336 8192' "$img" >/dev/null
    if [ "$size" -gt 3000000000 ]; then
        qemu-io -f vmdk -c 'write -P 0x55 2147479552 8192' \
            -c 'write -P 0x66 4294963200 12288' "$img" >/dev/null
    fi
    qemu-io -f vmdk -c "write -P 0x33 $((size - 512)) 512" "$img" >/dev/null

    ours=$("$FERRY" map --json "$img" | map_runs class)
    theirs=$(qemu-img map --output=json -f vmdk "$img" | map_runs class)
    assert_eq "$ours" "$theirs" "$sub: map"
    assert_contains "$ours" " data" "$sub: map has data"

    "$FERRY" convert -O raw "$img" "$tmpdir/$sub.raw"
    qemu-img compare -q -f vmdk -F raw "$img" "$tmpdir/$sub.raw" ||
        fail "$sub: ferry convert -O raw differs from the image"
    assert_eq "$(stat -c %s "$tmpdir/$sub.raw")" "$size" "$sub: raw size"
    rm -f "$tmpdir/$sub.raw"

    assert_contains "$("$FERRY" info "$img")" "createType=$sub" "$sub: info"
}

check monolithicSparse 104859136
check monolithicFlat 41943552
check twoGbMaxExtentSparse 5368710656
check twoGbMaxExtentFlat 5368711680

# streamOptimized comes from qemu-img convert (qemu writes it forward only).
qemu-img create -q -f raw "$tmpdir/src.raw" 52429312
qemu-io -f raw -c 'write -P 0x11 0 64k' -c 'write -P 0x22 1049088 3000' \
    -c 'write -P 0x33 52428800 512' "$tmpdir/src.raw" >/dev/null
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$tmpdir/src.raw" \
    "$tmpdir/stream.vmdk"
ours=$("$FERRY" map --json "$tmpdir/stream.vmdk" | map_runs class)
theirs=$(qemu-img map --output=json "$tmpdir/stream.vmdk" | map_runs class)
assert_eq "$ours" "$theirs" "streamOptimized: map"
"$FERRY" convert -O raw "$tmpdir/stream.vmdk" "$tmpdir/stream.raw"
cmp "$tmpdir/src.raw" "$tmpdir/stream.raw" || fail "streamOptimized: converted bytes differ"
assert_contains "$("$FERRY" info "$tmpdir/stream.vmdk")" "createType=streamOptimized" \
    "streamOptimized: info"
