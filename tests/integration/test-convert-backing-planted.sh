#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A backing file whose parent records no backing format is never probed.
# The guest owns its raw base's bytes: here it has planted a qcow2 header
# there whose backing file is a "secret" host file.  Probing would open the
# base as that qcow2 and copy the secret into the export.  ferry refuses
# such a layer (exit 5, as libvirt refuses it) rather than probe it, or
# read it as raw and export a disk that verifies but is garbage if it
# really was a qcow2 base made without -F.  A base whose bytes do not look
# like another format is read as raw (qemu-img's -F raw reading of the same
# chain is the oracle), and ferry info says the format was assumed.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3 cmp
make_tmpdir

cd "$tmpdir"
marker=FERRY-PLANTED-SECRET-7f3a9c
# The host file the planted header points at.
python3 -c 'import sys; sys.stdout.write((sys.argv[1] + "\n") * 65536)' "$marker" >secret.raw
# The guest's raw base, with data of its own, then the planted header.
qemu-img create -q -f raw base.raw 8M
qemu-io -f raw -c 'write -P 0x5a 2M 1M' base.raw >/dev/null
qemu-img create -q -f qcow2 -b "$tmpdir/secret.raw" -F raw planted.qcow2 8M
dd if=planted.qcow2 of=base.raw bs=64k count=1 conv=notrunc status=none
[ "$(qemu-img info --output=json -f raw base.raw | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" = raw ] ||
    fail "qemu-img cannot read base.raw as raw"
qemu-img info base.raw | grep -q 'file format: qcow2' ||
    fail "the planted header does not probe as qcow2"

# make_top BASE: top.qcow2 over BASE, made and written with the format
# recorded, then the backing format extension removed from its header
# (qemu-img 7 refuses to make such an image, older ones and other tools
# do); expected.raw is qemu-img's reading of the chain with BASE as raw.
make_top() {
    rm -f top.qcow2 expected.raw
    qemu-img create -q -f qcow2 -b "$1" -F raw top.qcow2 8M
    qemu-io -f qcow2 -c 'write -P 0xc3 5M 64k' top.qcow2 >/dev/null
    qemu-img convert -f qcow2 -O raw top.qcow2 expected.raw
    ! grep -q "$marker" expected.raw || fail "the oracle holds the secret"
    python3 - top.qcow2 <<'PY' || fail "could not drop the backing format extension"
import struct, sys
path = sys.argv[1]
with open(path, "r+b") as f:
    hdr = f.read(112)
    version, = struct.unpack(">I", hdr[4:8])
    pos = struct.unpack(">I", hdr[100:104])[0] if version >= 3 else 72
    while True:
        f.seek(pos)
        magic, length = struct.unpack(">II", f.read(8))
        if magic == 0:
            sys.exit("no backing format extension")
        if magic == 0xE2792ACA:
            # The end-of-extensions marker in its place: what follows
            # (the feature name table) is optional.
            f.seek(pos)
            f.write(b"\0" * 8)
            break
        pos += 8 + (length + 7) // 8 * 8
PY
    qemu-img info --output=json top.qcow2 >theirs.json
    python3 -c 'import json,sys; d=json.load(open("theirs.json")); sys.exit("backing-filename-format" in d)' ||
        fail "top.qcow2 still records its backing format"
}

# The planted base: refused, by convert to every format and by info,
# with nothing written and the secret nowhere.
make_top base.raw
for out in raw qcow2; do
    set +e
    "$FERRY" convert -O "$out" top.qcow2 "out.$out" 2>err
    status=$?
    set -e
    assert_eq "$status" 5 "exit status of convert -O $out over the planted base"
    assert_eq "$(cat err)" "ferry: top.qcow2: backing file 'base.raw' has no recorded format and looks like a qcow2 image, which ferry does not probe (a guest can write such a header into a raw disk); if it is one, record it: qemu-img rebase -u -F qcow2 -b 'base.raw' 'top.qcow2'" \
        "convert -O $out's message"
    [ ! -e "out.$out" ] || fail "convert -O $out left out.$out"
done
set +e
"$FERRY" info --backing-chain top.qcow2 >info.out 2>err
status=$?
set -e
assert_eq "$status" 5 "exit status of info over the planted base"
! grep -q "$marker" info.out err || fail "info printed the secret"

# A raw base with no header: read as raw, and said so.
qemu-img create -q -f raw clean.raw 8M
qemu-io -f raw -c 'write -P 0x5a 2M 1M' clean.raw >/dev/null
make_top clean.raw
# convert: the base's raw bytes.
for out in raw qcow2; do
    "$FERRY" convert -O "$out" top.qcow2 "out.$out" || fail "convert -O $out failed"
    qemu-img compare -q -f raw -F "$out" expected.raw "out.$out" ||
        fail "-O $out differs from the chain read with -F raw"
    qemu-img convert -f "$out" -O raw "out.$out" check.raw
    ! grep -q "$marker" check.raw || fail "-O $out carries the secret file's bytes"
    rm -f check.raw
done
cmp out.raw expected.raw || fail "-O raw is not byte-identical to qemu-img's"

# info: the base is raw, by assumption, and says so.
"$FERRY" info --json --backing-chain top.qcow2 >ours.json ||
    fail "ferry info --backing-chain failed"
python3 - <<'PY' || fail "ferry info --json of the unrecorded layer"
import json
layers = json.load(open("ours.json"))
assert len(layers) == 2, layers
assert layers[0]["format"] == "qcow2", layers[0]
assert layers[0]["format-source"] == "probed", layers[0]
assert layers[1]["filename"].endswith("clean.raw"), layers[1]
assert layers[1]["format"] == "raw", layers[1]
assert layers[1]["format-source"] == "assumed-raw", layers[1]
assert "backing-filename" not in layers[1], layers[1]
PY
text=$("$FERRY" info --backing-chain top.qcow2)
assert_contains "$text" "format source: assumed-raw" "ferry info text"
