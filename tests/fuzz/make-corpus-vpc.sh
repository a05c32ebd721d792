#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes the seeds for fuzz-vpc and fuzz-vhdx in tests/fuzz/corpus/{vpc,vhdx}
# (generated, never committed): small images made by qemu-img and written
# by qemu-io, and, given a build directory, the hand-built images of the
# unit tests (differencing disks, bad headers), each encoded in the sparse
# input format described in fuzz-vpc.c.
#   tests/fuzz/make-corpus-vpc.sh [BUILDDIR]
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$srcdir/tests/fuzz/corpus/vpc" "$srcdir/tests/fuzz/corpus/vhdx"

# encode IMAGE SEED: file size in 64 KiB units, then every run of non-zero
# 512-byte sectors as (sector, length, bytes).
encode() {
    python3 - "$1" "$2" <<'EOPY'
import struct, sys
d = open(sys.argv[1], 'rb').read()[:16 << 20]
out = [struct.pack('<H', min((len(d) + 65535) // 65536, 256))]
s, n = 0, len(d) // 512
while s < n:
    if d[s * 512:(s + 1) * 512].count(0) == 512:
        s += 1
        continue
    e = s
    while e < n and e - s < 64 and d[e * 512:(e + 1) * 512].count(0) != 512:
        e += 1
    if sum(map(len, out)) < 128 << 10:   # keep seeds small for libFuzzer
        out.append(struct.pack('<IH', s, (e - s) * 512) + d[s * 512:e * 512])
    s = e
open(sys.argv[2], 'wb').write(b''.join(out))
EOPY
}

make_seed() {  # FORMAT NAME CREATE_OPTS SIZE [QEMU_IO_CMD...]
    fmt=$1 name=$2 opts=$3 size=$4
    shift 4
    img=$tmp/$name
    qemu-img create -q -f "$fmt" -o "$opts" "$img" "$size"
    for cmd in "$@"; do
        qemu-io -f "$fmt" -c "$cmd" "$img" >/dev/null
    done
    encode "$img" "$srcdir/tests/fuzz/corpus/$fmt/$name"
}

make_seed vpc dynamic-small subformat=dynamic 1000000 \
    "write -P 0x11 0 4k" "write -P 0x22 600k 1k"
make_seed vpc dynamic-empty subformat=dynamic 10M
make_seed vpc fixed-small subformat=fixed 100k "write -P 0x33 8k 4k"
make_seed vpc force-size subformat=dynamic,force_size=on 3M \
    "write -P 0x44 2M 512"
make_seed vhdx dynamic-small subformat=dynamic 1M \
    "write -P 0x55 0 4k" "write -P 0x66 512k 4k"
make_seed vhdx dynamic-1m-blocks subformat=dynamic,block_size=1M 3M \
    "write -P 0x77 1M 64k" "write -z 2M 4k"
make_seed vhdx fixed-small subformat=fixed 1M "write -P 0x88 4k 4k"

if [ -n "$build" ]; then
    for t in vpc vhdx; do
        FERRY_TEST_KEEP=1 "$build/tests/unit/test-$t" 2>"$tmp/kept-$t" >/dev/null || true
        sed -n 's/^kept //p' "$tmp/kept-$t" | while read -r dir; do
            for f in "$dir"/*; do
                [ -f "$f" ] && encode "$f" \
                    "$srcdir/tests/fuzz/corpus/$t/unit-$(basename "$dir")-$(basename "$f")"
            done
            rm -rf "$dir"
        done
    done
fi
ls "$srcdir/tests/fuzz/corpus/vpc" "$srcdir/tests/fuzz/corpus/vhdx" | wc -l
