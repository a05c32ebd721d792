#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry info --json --backing-chain` on a three-layer qcow2 chain lists
# every layer, top first, with qemu-img info's filename, format,
# virtual-size and backing-filename; and `ferry map --json` of the chain
# agrees with qemu-img map on what is data and what is zero.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir

cd "$tmpdir"
qemu-img create -q -f raw base.raw 16M
qemu-io -f raw -c 'write -P 0xab 0 2M' base.raw >/dev/null
qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 24M
qemu-io -f qcow2 -c 'write -P 0xcd 4M 1M' mid.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -z 0 512k' -c 'write -P 0xee 10M 64k' top.qcow2 >/dev/null
"$FERRY" info --json --backing-chain top.qcow2 >ours.json ||
    fail "ferry info --json --backing-chain of a three-layer chain failed"
qemu-img info --output=json --backing-chain top.qcow2 >theirs.json
python3 - <<'PY' || fail "info --backing-chain differs from qemu-img's"
import json
ours = json.load(open("ours.json"))
theirs = json.load(open("theirs.json"))
assert len(ours) == len(theirs) == 3, (len(ours), len(theirs))
# Only the top image is probed; each backing format is the parent's record.
assert [o["format-source"] for o in ours] == ["probed", "recorded", "recorded"], ours
for o, t in zip(ours, theirs):
    for key in ("filename", "format", "virtual-size", "backing-filename"):
        assert o.get(key) == t.get(key), (key, o.get(key), t.get(key))
PY

ours=$("$FERRY" map --json top.qcow2 | map_runs flags)
theirs=$(qemu-img map --output=json top.qcow2 | map_runs flags)
assert_eq "$ours" "$theirs" "map of a three-layer chain"
