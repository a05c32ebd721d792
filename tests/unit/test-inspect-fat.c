/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-inspect-fat.c: the FAT walk for the fallback loader on a FAT16
 * crafted in memory: 8.3 and long names in any case, a directory where a
 * file was asked for, a directory chain that loops, clusters out of range,
 * a BPB out of range.  (mkfs.vfat + mtools images are read in
 * tests/integration/test-inspect-*.sh.)
 *
 * Layout: 512-byte sectors, 1 per cluster, 1 reserved sector, 1 FAT of
 * 20 sectors, 16 root entries (1 sector) at sector 21, data from sector 22
 * (cluster 2), 5000 sectors: 4978 clusters, so FAT16.
 */
#include <config.h>

#include "tests/unit/test-inspect-mem.h"

#define FAT_BYTES (5000u * 512)
#define ROOT (21u * 512)
#define CLUSTER(n) ((22u + (n) - 2) * 512)

static void
put_entry(guint8 *e, const char *name11, guint8 attr, guint16 cluster)
{
    memcpy(e, name11, 11);
    e[11] = attr;
    put_le16(e + 26, cluster);
}

/* One long-name slot holding (up to 13 characters of) @name. */
static void
put_lfn(guint8 *e, guint8 seq, const char *name)
{
    static const int pos[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28,
                                 30 };
    gsize len = strlen(name);
    gsize i;

    memset(e, 0, 32);
    e[0] = seq;
    e[11] = 0x0f;
    for (i = 0; i < 13; i++)
        put_le16(e + pos[i], i < len ? (guint16)name[i]
                             : i == len ? 0 : 0xffff);
}

static void
fat_set(MemDisk *m, guint16 cluster, guint16 next)
{
    put_le16(m->data + 512 + cluster * 2, next);
}

/* EFI/ (cluster 2) and EFI/BOOT/ (cluster 3) with BOOTX64.EFI as a long
 * name "BootX64.efi" over a mangled 8.3 name. */
static MemDisk *
fat_new(void)
{
    MemDisk *m = mem_disk_new(FAT_BYTES);
    guint8 *bs = m->data;

    bs[0] = 0xeb;
    put_le16(bs + 11, 512);
    bs[13] = 1;
    put_le16(bs + 14, 1);
    bs[16] = 1;
    put_le16(bs + 17, 16);
    put_le16(bs + 19, 5000);
    put_le16(bs + 22, 20);
    bs[510] = 0x55;
    bs[511] = 0xaa;
    fat_set(m, 0, 0xfff8);
    fat_set(m, 1, 0xffff);
    fat_set(m, 2, 0xffff);
    fat_set(m, 3, 0xffff);
    put_entry(m->data + ROOT, "ESP        ", 0x08, 0);
    put_entry(m->data + ROOT + 32, "EFI        ", 0x10, 2);
    put_entry(m->data + CLUSTER(2), ".          ", 0x10, 2);
    put_entry(m->data + CLUSTER(2) + 32, "BOOT       ", 0x10, 3);
    put_lfn(m->data + CLUSTER(3), 0x41, "BootX64.efi");
    put_entry(m->data + CLUSTER(3) + 32, "BOOTX6~1EFI", 0x20, 4);
    return m;
}

static gboolean
fat_exists(MemDisk *m, const char *path, GError **error)
{
    InspectReader r = mem_disk_reader(m);
    gboolean found = FALSE;

    if (!inspect_fat_exists(&r, 0, m->size, path, &found, error))
        return FALSE;
    return found;
}

static void
test_long_name(void)
{
    g_autoptr(MemDisk) m = fat_new();
    g_autoptr(GError) error = NULL;

    g_assert_true(fat_exists(m, "EFI/BOOT/BOOTX64.EFI", &error));
    g_assert_no_error(error);
    g_assert_true(fat_exists(m, "efi/boot/bootx64.efi", &error));
    g_assert_false(fat_exists(m, "EFI/BOOT/BOOTAA64.EFI", &error));
    g_assert_no_error(error);
    /* A directory is not the file asked for. */
    g_assert_false(fat_exists(m, "EFI/BOOT", &error));
    g_assert_no_error(error);
    g_assert_false(fat_exists(m, "ESP", &error));   /* the volume label */
}

static void
test_short_name(void)
{
    g_autoptr(MemDisk) m = fat_new();
    g_autoptr(GError) error = NULL;

    memset(m->data + CLUSTER(3), 0, 64);
    put_entry(m->data + CLUSTER(3), "BOOTX64 EFI", 0x20, 4);
    g_assert_true(fat_exists(m, "EFI/BOOT/BootX64.efi", &error));
    g_assert_no_error(error);
    /* A deleted entry does not count. */
    m->data[CLUSTER(3)] = 0xe5;
    g_assert_false(fat_exists(m, "EFI/BOOT/BOOTX64.EFI", &error));
    g_assert_no_error(error);
}

static void
test_chain_loop(void)
{
    g_autoptr(MemDisk) m = fat_new();
    g_autoptr(GError) error = NULL;
    guint i;

    /* EFI/BOOT/ fills its cluster with other names and chains to itself. */
    for (i = 0; i < 16; i++)
        put_entry(m->data + CLUSTER(3) + i * 32, "OTHER   EFI", 0x20, 0);
    fat_set(m, 3, 3);
    g_assert_false(fat_exists(m, "EFI/BOOT/BOOTX64.EFI", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "loops"));
}

static void
test_cluster_out_of_range(void)
{
    g_autoptr(MemDisk) m = fat_new();
    g_autoptr(GError) error = NULL;

    put_entry(m->data + CLUSTER(2) + 32, "BOOT       ", 0x10, 60000);
    g_assert_false(fat_exists(m, "EFI/BOOT/BOOTX64.EFI", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "leaves the data region"));
}

static void
test_bad_bpb(void)
{
    g_autoptr(MemDisk) m = fat_new();
    g_autoptr(GError) error = NULL;

    m->data[13] = 3;                    /* sectors per cluster: no power of 2 */
    g_assert_false(fat_exists(m, "EFI", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_clear_error(&error);
    m->data[13] = 1;
    put_le16(m->data + 19, 60000);      /* past the partition */
    g_assert_false(fat_exists(m, "EFI", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "total sectors"));
    g_clear_error(&error);
    put_le16(m->data + 19, 5000);
    put_le16(m->data + 22, 1);          /* a FAT too small for its clusters */
    g_assert_false(fat_exists(m, "EFI", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/inspect/fat/long-name", test_long_name);
    g_test_add_func("/inspect/fat/short-name", test_short_name);
    g_test_add_func("/inspect/fat/chain-loop", test_chain_loop);
    g_test_add_func("/inspect/fat/cluster-out-of-range",
                    test_cluster_out_of_range);
    g_test_add_func("/inspect/fat/bad-bpb", test_bad_bpb);
    return g_test_run();
}
