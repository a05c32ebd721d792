#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes small qcow2 seeds for tests/fuzz/fuzz-qcow2.c with qemu-img and
# qemu-io (no binary images are committed):
#   tests/fuzz/make-corpus-qcow2.sh [OUTDIR]   (default tests/fuzz/corpus/qcow2)
# Seeds use small clusters and sizes so that each stays a few KiB to
# about 100 KiB: v2 and v3, zero and discarded clusters, zlib and zstd
# compression, extended L2 entries, a backing name, a data file name,
# an internal snapshot, an odd virtual size.
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$srcdir/tests/fuzz/corpus/qcow2}
command -v qemu-img >/dev/null && command -v qemu-io >/dev/null ||
    { echo "make-corpus-qcow2.sh: needs qemu-img and qemu-io" >&2; exit 77; }
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-corpus-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# io FILE CMD...: one qemu-io run with each CMD as a -c option.
io() {
    f=$1; shift; n=$#; i=0
    while [ $i -lt $n ]; do set -- "$@" -c "$1"; shift; i=$((i + 1)); done
    qemu-io -f qcow2 "$@" "$f" >/dev/null
}
mk() { qemu-img create -q -f qcow2 "$@"; }

mk -o cluster_size=512,compat=0.10 v2-512.qcow2 256k
io v2-512.qcow2 'write -P 0x11 0 4k' 'write -P 0x22 100k 3k' 'discard 1k 1k'

mk -o cluster_size=512 v3-512.qcow2 256k
io v3-512.qcow2 'write -P 0x11 0 4k' 'write -z 8k 2k' 'write -z -u 1k 1k' 'write -P 0x22 255k 1k'

mk -o cluster_size=4096 v3-4k-odd.qcow2 1000000
io v3-4k-odd.qcow2 'write -P 0x11 0 8k' 'write -P 0x33 999000 1000'

mk -o cluster_size=16k,extended_l2=on ext-l2.qcow2 1M
io ext-l2.qcow2 'write -P 0x11 0 1k' 'write -z 2k 1k' 'write -P 0x22 20k 3k' 'discard 16k 512'

qemu-img create -q -f raw src.raw 64k
qemu-io -f raw -c 'write -P 0x41 0 20k' -c 'write -P 0x42 40k 10k' src.raw >/dev/null
qemu-img convert -c -O qcow2 -o cluster_size=4096 src.raw zlib.qcow2
qemu-img convert -c -O qcow2 -o cluster_size=4096,compression_type=zstd src.raw zstd.qcow2

mk -u -o cluster_size=4096 -b ../base/b.raw -F raw backing.qcow2 64k
qemu-io -f qcow2 -c 'write -P 0x11 4k 4k' 'json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"backing.qcow2"}}' >/dev/null

mk -o cluster_size=4096,data_file=d.raw datafile.qcow2 64k
io datafile.qcow2 'write -P 0x11 0 4k'

mk -o cluster_size=4096 snap.qcow2 64k
io snap.qcow2 'write -P 0x11 0 8k'
qemu-img snapshot -c s1 snap.qcow2
io snap.qcow2 'write -P 0x22 4k 4k'

for f in *.qcow2; do cp "$f" "$out/$f"; done
ls -l "$out"
