#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Memory stays bounded whatever the size: a qcow2 of 2 TiB virtual with
# 64 KiB of data written at 64 places spread over all of it converts to
# qcow2 and vmdk streamOptimized, and exports to a file:// pool, each in a
# peak RSS under 64 MiB (GNU time), and each output compares equal with
# qemu-img.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io /usr/bin/time
make_tmpdir
img=$tmpdir/big.qcow2
qemu-img create -q -f qcow2 "$img" 2T
i=0 cmds=""
while [ $i -lt 64 ]; do
    # Spread over the disk, off any power-of-two boundary.
    off=$(( i * 34359738368 + i * 7340032 + 12288 ))
    cmds="$cmds -c 'write -P $((i % 250 + 1)) $off 64k'"
    i=$((i + 1))
done
eval qemu-io -f qcow2 $cmds "$img" >/dev/null || fail "qemu-io could not write the data"

# Under AddressSanitizer (the suite's second run) RSS holds ASan's shadow
# memory and quarantine, not ferry's: the bound there only catches growth
# with the disk's size.
limit_mib=64
if ldd "$FERRY" 2>/dev/null | grep -q libasan; then
    limit_mib=256
    echo "an ASan build: peak RSS bound $limit_mib MiB instead of 64" >&2
fi

# rss_of LABEL CMD...: runs CMD under GNU time; fails over the bound.
rss_of() {
    label=$1
    shift
    /usr/bin/time -f '%M' -o "$tmpdir/rss" "$@" >/dev/null 2>"$tmpdir/err" ||
        fail "$label failed: $(cat "$tmpdir/err")"
    kib=$(tail -1 "$tmpdir/rss")
    echo "$label: peak RSS $((kib / 1024)) MiB" >&2
    [ "$kib" -lt $((limit_mib * 1024)) ] ||
        fail "$label: peak RSS $kib KiB is not under $limit_mib MiB"
}

rss_of "convert -O qcow2" "$FERRY" convert -O qcow2 "$img" "$tmpdir/out.qcow2"
qemu-img compare -q "$img" "$tmpdir/out.qcow2" || fail "qcow2 output differs"
rss_of "convert -O vmdk streamOptimized" "$FERRY" convert -O vmdk \
    -o subformat=streamOptimized "$img" "$tmpdir/out.vmdk"
qemu-img compare -q -F vmdk "$img" "$tmpdir/out.vmdk" || fail "vmdk output differs"

name=ferry-test-$$-big
write_test_host "$name" "vda:qcow2:$img"
mkdir "$tmpdir/pool"
rm -f "$tmpdir/out.qcow2" "$tmpdir/out.vmdk"
rss_of "export to file://" "$FERRY" export "$name" --connect "$test_host_uri" \
    --to "file://$tmpdir/pool"
qemu-img compare -q "$img" "$tmpdir/pool/$name-vda.qcow2" || fail "exported disk differs"
