/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-inspect-superblocks.c: each signature superblocks.c knows, crafted
 * in memory at a partition offset, the ext2/3/4 choice by features, and
 * what is too small or matches nothing.  Real filesystems made by mkfs.*
 * are checked against blkid in tests/integration/test-inspect-*.sh.
 */
#include <config.h>

#include "tests/unit/test-inspect-mem.h"

#define DISK_BYTES (1024u * 1024)
#define OFF 65536u               /* where the "partition" starts */

static InspectFs *
identify(MemDisk *m, guint64 size)
{
    g_autoptr(GError) error = NULL;
    InspectReader r = mem_disk_reader(m);
    InspectFs *fs = inspect_superblock_identify(&r, OFF, size, &error);

    g_assert_no_error(error);
    g_assert_nonnull(fs);
    return fs;
}

static void
put_ext(MemDisk *m, guint32 compat, guint32 incompat, guint32 ro_compat)
{
    guint8 *sb = m->data + OFF + 1024;
    int i;

    put_le16(sb + 56, 0xef53);
    put_le32(sb + 24, 2);               /* 4 KiB blocks */
    put_le32(sb + 92, compat);
    put_le32(sb + 96, incompat);
    put_le32(sb + 100, ro_compat);
    for (i = 0; i < 16; i++)
        sb[104 + i] = (guint8)(0x10 + i);
    memcpy(sb + 120, "rootfs", 6);
}

static void
test_ext_types(void)
{
    static const struct {
        guint32 compat, incompat, ro_compat;
        const char *type;
    } cases[] = {
        { 0, 0x2, 0x1, "ext2" },
        { 0x4, 0x2, 0x3, "ext3" },
        { 0x4, 0x2 | 0x40, 0x3, "ext4" },         /* extent */
        { 0x4, 0x2, 0x3 | 0x400, "ext4" },        /* metadata_csum */
        { 0, 0x8, 0, "jbd" },                     /* journal_dev */
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
        g_autoptr(InspectFs) fs = NULL;

        put_ext(m, cases[i].compat, cases[i].incompat, cases[i].ro_compat);
        fs = identify(m, DISK_BYTES - OFF);
        g_assert_cmpstr(fs->type, ==, cases[i].type);
        g_assert_cmpstr(fs->uuid, ==, "10111213-1415-1617-1819-1a1b1c1d1e1f");
        g_assert_cmpstr(fs->label, ==, "rootfs");
        g_assert_cmpuint(fs->block_size, ==, 4096);
    }
}

static void
test_ext_features_and_bad_block_size(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;

    put_ext(m, 0x4 | 0x20, 0x2 | 0x40, 0x1);
    put_le32(m->data + OFF + 1024 + 24, 40);   /* 1 KiB << 40 */
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpuint(fs->block_size, ==, 0);
    g_assert_cmpuint(fs->features->len, ==, 5);
    g_assert_cmpstr(g_ptr_array_index(fs->features, 0), ==, "has_journal");
    g_assert_cmpstr(g_ptr_array_index(fs->features, 1), ==, "dir_index");
    g_assert_cmpstr(g_ptr_array_index(fs->features, 2), ==, "filetype");
    g_assert_cmpstr(g_ptr_array_index(fs->features, 3), ==, "extent");
    g_assert_cmpstr(g_ptr_array_index(fs->features, 4), ==, "sparse_super");
}

static void
test_xfs(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;
    guint8 *sb = m->data + OFF;

    memcpy(sb, "XFSB", 4);
    sb[6] = 0x10;                               /* 4096, big-endian */
    sb[32] = 0xab;
    memcpy(sb + 108, "data", 4);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "xfs");
    g_assert_cmpuint(fs->block_size, ==, 4096);
    g_assert_cmpstr(fs->uuid, ==, "ab000000-0000-0000-0000-000000000000");
    g_assert_cmpstr(fs->label, ==, "data");
}

static void
test_btrfs(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;
    guint8 *sb = m->data + OFF + 65536;

    memcpy(sb + 64, "_BHRfS_M", 8);
    sb[32] = 0x01;
    put_le32(sb + 144, 4096);
    memcpy(sb + 299, "pool", 4);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "btrfs");
    g_assert_cmpstr(fs->label, ==, "pool");
    g_assert_cmpuint(fs->block_size, ==, 4096);
}

static void
put_bpb(guint8 *bs, gboolean fat32)
{
    bs[0] = 0xeb;
    put_le16(bs + 11, 512);
    bs[13] = 8;
    put_le16(bs + 14, 32);
    bs[16] = 2;
    put_le16(bs + 22, fat32 ? 0 : 16);
    bs[510] = 0x55;
    bs[511] = 0xaa;
}

static void
test_vfat(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;
    guint8 *bs = m->data + OFF;

    put_bpb(bs, TRUE);
    bs[64 + 2] = 0x29;
    put_le32(bs + 64 + 3, 0xabcd1234);
    memcpy(bs + 64 + 7, "EFI        ", 11);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "vfat");
    g_assert_cmpstr(fs->version, ==, "FAT32");
    g_assert_cmpstr(fs->uuid, ==, "ABCD-1234");
    g_assert_cmpstr(fs->label, ==, "EFI");
    g_assert_cmpuint(fs->block_size, ==, 4096);
    inspect_fs_free(g_steal_pointer(&fs));

    /* FAT16, "NO NAME" is no label. */
    memset(bs, 0, 512);
    put_bpb(bs, FALSE);
    bs[36 + 2] = 0x29;
    memcpy(bs + 36 + 7, "NO NAME    ", 11);
    memcpy(bs + 54, "FAT16   ", 8);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->version, ==, "FAT16");
    g_assert_null(fs->label);
    inspect_fs_free(g_steal_pointer(&fs));

    /* A BPB with 3 FATs is no FAT. */
    bs[16] = 3;
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "unknown");
}

static void
test_ntfs(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;
    guint8 *bs = m->data + OFF;

    bs[0] = 0xeb;
    memcpy(bs + 3, "NTFS    ", 8);
    put_le64(bs + 72, 0x0123456789abcdefull);
    bs[510] = 0x55;
    bs[511] = 0xaa;
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "ntfs");
    g_assert_cmpstr(fs->uuid, ==, "0123456789ABCDEF");
}

static void
test_swap_page_sizes(void)
{
    static const guint32 pages[] = { 4096, 8192, 65536 };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(pages); i++) {
        g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
        g_autoptr(InspectFs) fs = NULL;

        memcpy(m->data + OFF + pages[i] - 10, "SWAPSPACE2", 10);
        memcpy(m->data + OFF + 1052, "swap0", 5);
        fs = identify(m, DISK_BYTES - OFF);
        g_assert_cmpstr(fs->type, ==, "swap");
        g_assert_cmpstr(fs->label, ==, "swap0");
    }
}

static void
test_lvm2(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;
    guint8 *label = m->data + OFF + 512;

    memcpy(label, "LABELONE", 8);
    put_le64(label + 8, 1);
    put_le32(label + 20, 32);
    memcpy(label + 24, "LVM2 001", 8);
    memcpy(label + 32, "AbCdEf0123456789GhIjKlMnOpQrStUv", 32);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "lvm2-pv");
    g_assert_cmpstr(fs->uuid, ==, "AbCdEf-0123-4567-89Gh-IjKl-MnOp-QrStUv");
    inspect_fs_free(g_steal_pointer(&fs));

    /* A label that names another sector than its own is not one; an
     * offset pointing past the sector gives no UUID. */
    put_le64(label + 8, 2);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "unknown");
    inspect_fs_free(g_steal_pointer(&fs));
    put_le64(label + 8, 1);
    put_le32(label + 20, 0xfffffff0);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "lvm2-pv");
    g_assert_null(fs->uuid);
}

static void
test_luks(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;
    guint8 *h = m->data + OFF;

    memcpy(h, "LUKS\xba\xbe", 6);
    h[7] = 2;
    memcpy(h + 24, "cryptroot", 9);
    memcpy(h + 168, "ee30d01c-4457-4627-81e0-ae2e4d75e255", 36);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "luks");
    g_assert_cmpstr(fs->version, ==, "2");
    g_assert_cmpstr(fs->label, ==, "cryptroot");
    g_assert_cmpstr(fs->uuid, ==, "ee30d01c-4457-4627-81e0-ae2e4d75e255");
}

static void
test_iso9660(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;
    guint8 *pvd = m->data + OFF + 32768;

    pvd[0] = 1;
    memcpy(pvd + 1, "CD001", 5);
    memcpy(pvd + 40, "DEBIAN 12                       ", 32);
    put_le16(pvd + 128, 2048);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_cmpstr(fs->type, ==, "iso9660");
    g_assert_cmpstr(fs->label, ==, "DEBIAN 12");
}

static void
test_unknown_and_small(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = identify(m, DISK_BYTES - OFF);
    g_autoptr(InspectFs) tiny = NULL;

    g_assert_cmpstr(fs->type, ==, "unknown");
    /* A partition smaller than a sector is read not at all. */
    m->reads = 0;
    tiny = identify(m, 100);
    g_assert_cmpstr(tiny->type, ==, "unknown");
    g_assert_cmpuint(m->reads, ==, 0);
}

static void
test_label_not_utf8(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectFs) fs = NULL;

    put_ext(m, 0, 0x2, 0x1);
    memcpy(m->data + OFF + 1024 + 120, "\xff\xfe", 2);
    fs = identify(m, DISK_BYTES - OFF);
    g_assert_null(fs->label);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/inspect/superblocks/ext/types", test_ext_types);
    g_test_add_func("/inspect/superblocks/ext/features-bad-block-size",
                    test_ext_features_and_bad_block_size);
    g_test_add_func("/inspect/superblocks/ext/label-not-utf8",
                    test_label_not_utf8);
    g_test_add_func("/inspect/superblocks/xfs", test_xfs);
    g_test_add_func("/inspect/superblocks/btrfs", test_btrfs);
    g_test_add_func("/inspect/superblocks/vfat", test_vfat);
    g_test_add_func("/inspect/superblocks/ntfs", test_ntfs);
    g_test_add_func("/inspect/superblocks/swap/page-sizes", test_swap_page_sizes);
    g_test_add_func("/inspect/superblocks/lvm2", test_lvm2);
    g_test_add_func("/inspect/superblocks/luks", test_luks);
    g_test_add_func("/inspect/superblocks/iso9660", test_iso9660);
    g_test_add_func("/inspect/superblocks/unknown-and-small",
                    test_unknown_and_small);
    return g_test_run();
}
