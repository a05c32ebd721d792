#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A VMDK delta disk (parentFileNameHint) reads through its parent:
# `ferry map --json` agrees with qemu-img map, `ferry convert -O raw`
# equals the chain (qemu-img compare), zeroed grains hide the parent's
# data, and a missing parent is named in the error.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir

cd "$tmpdir"
qemu-img create -q -f vmdk base.vmdk 64M
qemu-io -f vmdk -c 'write -P 0xb1 0 4M' -c 'write -P 0xb2 40M 1M' base.vmdk >/dev/null
qemu-img create -q -f vmdk -o zeroed_grain=on -b base.vmdk -F vmdk delta.vmdk
qemu-io -f vmdk -c 'write -P 0xd1 1M 4096' -c 'write -z 2M 512k' \
    -c 'write -P 0xd2 50M 64k' delta.vmdk >/dev/null

ours=$("$FERRY" map --json delta.vmdk | map_runs class)
theirs=$(qemu-img map --output=json delta.vmdk | map_runs class)
assert_eq "$ours" "$theirs" "delta: map"
# The zeroed grains at 2 MiB hide the parent's 0xb1 there.
assert_contains "$ours" "2097152 524288 zero" "delta: zeroed grains over parent data"

"$FERRY" convert -O raw delta.vmdk delta.raw
qemu-img compare -q -f vmdk -F raw delta.vmdk delta.raw ||
    fail "delta: ferry convert -O raw differs from the chain"

assert_contains "$("$FERRY" info delta.vmdk)" "base.vmdk" "delta: info names the parent"

rm base.vmdk
if "$FERRY" map --json delta.vmdk >out.txt 2>err.txt; then
    fail "delta: map succeeded without its parent"
fi
assert_contains "$(cat err.txt)" "base.vmdk" "delta: error names the missing parent"
