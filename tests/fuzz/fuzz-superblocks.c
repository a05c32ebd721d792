/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-superblocks.c: libFuzzer target for the superblock signatures
 * (inspect_superblock_identify(): ext, xfs, btrfs, vfat, ntfs, swap, LVM2,
 * LUKS, iso9660) and the FAT directory walk, on a partition that is the
 * whole input device.  Input: see fuzz-inspect.h.  Seeds:
 * tests/fuzz/make-corpus-inspect.sh (filesystems made by mkfs.*).
 *   tests/fuzz/build.sh out && out/fuzz-superblocks tests/fuzz/corpus/superblocks
 * FUZZ_EXTRA_SOURCES: inspect/partitions.c inspect/superblocks.c inspect/fat.c
 */
#include "tests/fuzz/fuzz-inspect.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    FuzzDevice d;
    InspectReader r;

    if (!fuzz_device_init(&d, &r, data, size))
        return 0;
    fuzz_identify(&r, 0, r.size);
    /* A partition that starts past the device's first sector too. */
    if (r.size > 4096)
        fuzz_identify(&r, 512, r.size - 512);
    return 0;
}
