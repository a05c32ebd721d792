#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes small VMDK seeds for tests/fuzz/fuzz-vmdk.c with qemu-img and
# qemu-io, plus hand-written descriptors (no binary images are committed):
#   tests/fuzz/make-corpus-vmdk.sh [OUTDIR]   (default tests/fuzz/corpus/vmdk)
# qemu writes 64 KiB grains, so sparse seeds are 130-200 KiB: a
# monolithicSparse disk with zeroed grains and an odd size, a delta whose
# parent is the input itself, a streamOptimized disk; descriptors use
# every extent type and name "input.vmdk" (the fuzz input's own name).
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$srcdir/tests/fuzz/corpus/vmdk}
command -v qemu-img >/dev/null && command -v qemu-io >/dev/null ||
    { echo "make-corpus-vmdk.sh: needs qemu-img and qemu-io" >&2; exit 77; }
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-corpus-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

qemu-img create -q -f vmdk -o zeroed_grain=on sparse.vmdk 1000000
qemu-io -f vmdk -c 'write -P 0x11 0 4k' -c 'write -z 64k 64k' -c 'write -P 0x22 999000 1000' \
    sparse.vmdk >/dev/null

qemu-img create -q -f vmdk base.vmdk 256k
qemu-img create -q -f vmdk -b base.vmdk -F vmdk delta.vmdk
qemu-io -f vmdk -c 'write -P 0x33 0 4k' delta.vmdk >/dev/null
# The parent's name is the fuzz input's own: a loop to refuse.
sed 's/parentFileNameHint="base.vmdk"/parentFileNameHint="input.vmdk"/' delta.vmdk >delta-self.vmdk

qemu-img create -q -f raw src.raw 300k
qemu-io -f raw -c 'write -P 0x41 0 20k' -c 'write -P 0x42 200k 100k' src.raw >/dev/null
qemu-img convert -O vmdk -o subformat=streamOptimized src.raw stream.vmdk

# Descriptors: the input names itself as a FLAT extent (padded so the
# file is long enough), plus ZERO, VMFS and sparse lines.
{
    printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n'
    printf 'createType="monolithicFlat"\n'
    printf 'RW 2 FLAT "input.vmdk" 0\nRW 7 ZERO\nRDONLY 1 VMFS "input.vmdk"\n'
    printf 'NOACCESS 3 FLAT "input.vmdk" 1\n'
    printf 'ddb.geometry.cylinders = "1"\n'
    i=0; while [ $i -lt 40 ]; do printf '# padding line padding line\n'; i=$((i + 1)); done
} >desc-flat.vmdk
{
    printf '# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\n'
    printf 'createType="twoGbMaxExtentSparse"\nparentFileNameHint="input.vmdk"\n'
    printf 'RW 4096 SPARSE "input.vmdk"\nRW 8 VMFSSPARSE "input.vmdk"\n'
} >desc-sparse.vmdk

cp sparse.vmdk delta-self.vmdk stream.vmdk desc-flat.vmdk desc-sparse.vmdk "$out/"
ls -l "$out"
