#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A compressed qcow2 cluster that does not inflate fails every conversion
# with exit 6 (corrupt input), whatever the output format, and leaves
# nothing under DST's name.  The source is large and mostly unallocated so
# that the writers queue many holes behind the bad cluster: the read error
# used to be dropped once the copy engine's queue was full, the rest of the
# output written from stale buffers, and both sides of the checksum hashed
# the same wrong stream (qcow2 output exited 0 with a 720 KiB image).
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img base64
make_tmpdir

text="$tmpdir/text.raw"
src="$tmpdir/src.qcow2"
# 4 MiB of text (base64, which deflates to about 3 MiB) in a 200 GiB disk.
head -c 3145728 /dev/urandom | base64 -w 76 | head -c 4194304 >"$text"
truncate -s 200G "$text"
qemu-img convert -q -c -f raw -O qcow2 "$text" "$src"
rm -f "$text"
size=$(stat -c %s "$src")
[ "$size" -gt 704096 ] || fail "compressed source is only $size bytes"
# 4 KiB of random bytes over compressed cluster data.
head -c 4096 /dev/urandom |
    dd of="$src" bs=1 seek=700000 conv=notrunc status=none
# The oracle: qemu-img reads the image's metadata as sound but cannot
# read every cluster back.
qemu-img check -q "$src" || fail "qemu-img check refuses the damaged source's metadata"
if qemu-img convert -q -O raw "$src" "$tmpdir/oracle.raw" 2>/dev/null; then
    fail "qemu-img reads the damaged source without error"
fi
rm -f "$tmpdir/oracle.raw"

# label|format|flags...
for row in \
    "raw|raw" \
    "qcow2|qcow2" \
    "qcow2-c|qcow2|-c" \
    "vmdk-sparse|vmdk|-o|subformat=monolithicSparse" \
    "vmdk-stream|vmdk|-o|subformat=streamOptimized" \
    "vpc-dynamic|vpc|-o|subformat=dynamic" \
    "vpc-fixed|vpc|-o|subformat=fixed"; do
    label=${row%%|*}
    rest=${row#*|}
    fmt=${rest%%|*}
    flags=""
    [ "$rest" = "$fmt" ] || flags=$(echo "${rest#*|}" | tr '|' ' ')
    dst="$tmpdir/dst-$label"
    set +e
    # shellcheck disable=SC2086
    "$FERRY" convert -O "$fmt" $flags "$src" "$dst" >"$tmpdir/out" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" 6 "exit status of -O $label ($(cat "$tmpdir/err"))"
    assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr (-O $label)"
    assert_contains "$(cat "$tmpdir/err")" "ferry: $src" "message names the source (-O $label)"
    [ ! -e "$dst" ] || fail "-O $label left $(stat -c %s "$dst") bytes under DST's name"
done
assert_eq "$(ls -A "$tmpdir" | grep -c '\.part$' || true)" 0 "temporaries left"
