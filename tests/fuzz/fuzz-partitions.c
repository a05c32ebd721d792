/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-partitions.c: libFuzzer target for MBR and GPT tables
 * (inspect_partitions_read()), then each partition found identified by
 * its superblock and, for a FAT one, walked for the fallback loader, as
 * `ferry inspect` does.  Input: see fuzz-inspect.h.  Seeds:
 * tests/fuzz/make-corpus-inspect.sh (disks laid out by sfdisk).
 *   tests/fuzz/build.sh out && out/fuzz-partitions tests/fuzz/corpus/partitions
 * FUZZ_EXTRA_SOURCES: inspect/partitions.c inspect/superblocks.c inspect/fat.c
 */
#include "tests/fuzz/fuzz-inspect.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    g_autoptr(InspectTable) t = NULL;
    FuzzDevice d;
    InspectReader r;
    guint i;

    if (!fuzz_device_init(&d, &r, data, size))
        return 0;
    t = inspect_partitions_read(&r, NULL);
    if (!t)
        return 0;
    for (i = 0; i < t->partitions->len; i++) {
        const InspectPartition *p = g_ptr_array_index(t->partitions, i);

        /* The parser promises partitions inside the disk. */
        if (p->start > r.size || p->size > r.size - p->start)
            __builtin_trap();
        fuzz_identify(&r, p->start, p->size);
    }
    return 0;
}
