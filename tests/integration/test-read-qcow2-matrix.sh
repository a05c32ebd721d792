#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The qcow2 reader through the CLI, judged by qemu: for each image of a
# matrix (cluster sizes 512 B to 2 MiB, compat 0.10 and 1.1, zlib and
# zstd compression, extended L2 entries, zero and discarded clusters,
# raw and qcow2 backing files with relative names, an external data file,
# a 6 GiB and a 1000000-byte image), `ferry map --json` must give qemu-img
# map's data/zero runs and `ferry convert -O raw` must give qemu's bytes
# (qemu-img compare).
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir
cd "$tmpdir"

# io FILE CMD...: one qemu-io run with each CMD as a -c option.
io() {
    f=$1; shift; n=$#; i=0
    while [ $i -lt $n ]; do set -- "$@" -c "$1"; shift; i=$((i + 1)); done
    qemu-io -f qcow2 "$@" "$f" >/dev/null
}

# check NAME: NAME.qcow2 read by ferry agrees with qemu.
check() {
    ours=$("$FERRY" map --json "$1.qcow2" | map_runs data) ||
        fail "$1: ferry map failed"
    theirs=$(qemu-img map --output=json -f qcow2 "$1.qcow2" | map_runs data)
    assert_eq "$ours" "$theirs" "$1: map"
    "$FERRY" convert -f qcow2 -O raw "$1.qcow2" "$1.out.raw" ||
        fail "$1: ferry convert failed"
    qemu-img compare -q -f qcow2 -F raw "$1.qcow2" "$1.out.raw" ||
        fail "$1: converted bytes differ from qemu's"
    rm -f "$1.out.raw"
    checked=$((checked + 1))
}
checked=0

for cs in 512 4096 65536 2M; do
    for compat in 0.10 1.1; do
        name=c$cs-$compat
        qemu-img create -q -f qcow2 -o cluster_size=$cs,compat=$compat $name.qcow2 24M
        io $name.qcow2 'write -P 0x11 0 100k' 'write -P 0x22 5M 3M' \
            'write -z 6M 1M' 'discard 7M 512k' 'write -P 0x33 24575k 1k'
        check $name
    done
done

qemu-img create -q -f raw text.raw 16M
qemu-io -f raw -c 'write -P 0x41 0 4M' -c 'write -P 0x42 9M 1M' text.raw >/dev/null
head -c 2000000 /dev/urandom | dd of=text.raw seek=12M oflag=seek_bytes \
    conv=notrunc status=none
qemu-img convert -c -O qcow2 text.raw zlib.qcow2
check zlib
qemu-img convert -c -O qcow2 -o compression_type=zstd text.raw zstd.qcow2
check zstd
qemu-img convert -c -O qcow2 -o compression_type=zstd,cluster_size=2M text.raw zstd2m.qcow2
check zstd2m

qemu-img create -q -f qcow2 -o extended_l2=on,cluster_size=64k extl2.qcow2 16M
io extl2.qcow2 'write -P 0x11 0 3k' 'write -P 0x22 66k 6k' 'write -z 80k 4k' \
    'write -P 0x33 1M 64k' 'write -z 1030k 2k'
check extl2

mkdir base
qemu-img create -q -f raw base/b.raw 6M
qemu-io -f raw -c 'write -P 0x66 0 6M' base/b.raw >/dev/null
qemu-img create -q -f qcow2 -b b.raw -F raw base/mid.qcow2 8M
io base/mid.qcow2 'write -P 0x67 1M 1M' 'write -z 2M 64k'
qemu-img create -q -f qcow2 -b base/mid.qcow2 -F qcow2 chain.qcow2 10M
io chain.qcow2 'write -P 0x11 64k 64k' 'write -P 0x12 9M 4k'
check chain

qemu-img create -q -f qcow2 -o data_file=ext.data extdata.qcow2 8M
io extdata.qcow2 'write -P 0x11 0 64k' 'write -P 0x22 3M 100k' 'write -z 64k 64k'
check extdata

qemu-img create -q -f qcow2 big.qcow2 6G
io big.qcow2 'write -P 0x11 0 64k' 'write -P 0x22 4G 100k' 'write -P 0x44 6143M 1M'
check big

qemu-img create -q -f qcow2 odd.qcow2 1000000
io odd.qcow2 'write -P 0x11 0 4096' 'write -P 0x22 999000 1000'
check odd

assert_eq "$checked" 16 "images checked"
