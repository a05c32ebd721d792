#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seeds for fuzz-partitions and fuzz-superblocks (generated, never
# committed): tests/fuzz/corpus/partitions/ holds disks laid out by sfdisk
# (GPT, MBR with logical partitions, an ESP made by mkfs.vfat and mtools),
# tests/fuzz/corpus/superblocks/ filesystems made by mkfs.ext2/3/4, vfat,
# xfs, mkswap and cryptsetup, each in the input format of fuzz-inspect.h:
# the device size in sectors (4 bytes LE), then its first bytes.
#   tests/fuzz/make-corpus-inspect.sh [CORPUS-DIR]   (default tests/fuzz/corpus)
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$srcdir/tests/fuzz/corpus}
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-corpus-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/partitions" "$out/superblocks"

# encode FILE SEED KEEP_BYTES: size header and the first KEEP_BYTES.
encode() {
    python3 - "$1" "$2" "$3" <<'EOPY'
import os, struct, sys
size = os.path.getsize(sys.argv[1])
with open(sys.argv[1], "rb") as f:
    head = f.read(int(sys.argv[3]))
open(sys.argv[2], "wb").write(struct.pack("<I", size // 512) + head.rstrip(b"\0"))
EOPY
}

# Filesystems: the first 80 KiB hold every superblock looked at.
if command -v mkfs.ext4 >/dev/null; then
    for t in ext2 ext3 ext4; do
        truncate -s 8M "$work/$t"
        "mkfs.$t" -q -F -L seed "$work/$t"
        encode "$work/$t" "$out/superblocks/$t" 81920
    done
fi
if command -v mkfs.vfat >/dev/null && command -v mmd >/dev/null; then
    mkfs.vfat -C -n ESP "$work/vfat" 8192 >/dev/null
    mmd -i "$work/vfat" ::/EFI ::/EFI/BOOT
    echo efi >"$work/loader"
    mcopy -i "$work/vfat" "$work/loader" ::/EFI/BOOT/BOOTX64.EFI
    encode "$work/vfat" "$out/superblocks/vfat" 81920
    mkfs.vfat -F 32 -C "$work/vfat32" 40000 >/dev/null
    mmd -i "$work/vfat32" ::/EFI ::/EFI/BOOT
    mcopy -i "$work/vfat32" "$work/loader" ::/EFI/BOOT/bootx64.efi
    encode "$work/vfat32" "$out/superblocks/vfat32" 1200000
fi
if command -v mkfs.xfs >/dev/null; then
    truncate -s 300M "$work/xfs"
    mkfs.xfs -q -f -L seed "$work/xfs"
    encode "$work/xfs" "$out/superblocks/xfs" 4096
fi
if command -v mkswap >/dev/null; then
    truncate -s 1M "$work/swap"
    mkswap -q -L seed "$work/swap" >/dev/null 2>&1
    encode "$work/swap" "$out/superblocks/swap" 4096
fi
if command -v cryptsetup >/dev/null; then
    truncate -s 20M "$work/luks"
    printf 'k' >"$work/key"
    cryptsetup luksFormat -q --batch-mode --type luks2 --pbkdf pbkdf2 \
        --pbkdf-force-iterations 1000 --key-file "$work/key" "$work/luks"
    encode "$work/luks" "$out/superblocks/luks2" 4096
fi

# Partition tables.
if command -v sfdisk >/dev/null; then
    # 256 KiB disks keep the seeds small (both GPT copies must be in).
    truncate -s 256K "$work/gpt"
    printf 'label: gpt\nfirst-lba: 34\nstart=40, size=100, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\nstart=140, size=60, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n' |
        sfdisk -q "$work/gpt"
    python3 - "$work/gpt" "$out/partitions/gpt" <<'EOPY'
import struct, sys
d = open(sys.argv[1], "rb").read()
# The whole disk: both GPT copies matter; zeros runs are cheap to mutate.
open(sys.argv[2], "wb").write(struct.pack("<I", len(d) // 512) + d)
EOPY
    truncate -s 256K "$work/mbr"
    printf 'label: dos\nstart=8, size=64, type=83\nstart=80, type=5\nstart=96, size=64, type=83\nstart=176, size=64, type=82\n' |
        sfdisk -q "$work/mbr"
    encode "$work/mbr" "$out/partitions/mbr-logical" 262144
fi
ls "$out/partitions" "$out/superblocks" | wc -l
