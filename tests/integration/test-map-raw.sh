#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry map --json` reports the same data/zero runs as
# `qemu-img map --output=json` for a raw image with data and holes
# (ferry leaves out qemu's depth, present and offset keys).
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir

img="$tmpdir/disk.raw"
qemu-img create -q -f raw "$img" 64M
qemu-io -f raw -c 'write -P 0xab 1M 3M' -c 'write -P 0xcd 40M 64k' \
    -c 'write -P 0x11 63M 1M' "$img" >/dev/null

ours=$("$FERRY" map --json "$img" | map_runs flags)
theirs=$(qemu-img map --output=json -f raw "$img" | map_runs flags)
assert_eq "$ours" "$theirs" "map of a raw image with holes"
case "$ours" in
    *"True False"*) ;;
    *) fail "no data run in the map: $ours" ;;
esac

# -f raw gives the same answer as probing.
forced=$("$FERRY" map --json -f raw "$img" | map_runs flags)
assert_eq "$forced" "$ours" "map with -f raw"

# An empty image has a one-run map.
truncate -s 1G "$tmpdir/empty.raw"
ours=$("$FERRY" map --json "$tmpdir/empty.raw" | map_runs flags)
assert_eq "$ours" "0 1073741824 False True" "map of an all-hole image"
