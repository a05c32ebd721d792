/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-inspect-partitions.c: MBR and GPT tables crafted in memory, good
 * and broken: CRCs that do not match, EBR chains that loop or never end,
 * entry counts and sizes past the limits, partitions past the disk.
 */
#include <config.h>

#include <zlib.h>

#include "tests/unit/test-inspect-mem.h"

#define DISK_BYTES (4u * 1024 * 1024)
#define LAST_LBA (DISK_BYTES / 512 - 1)

static const char *const ESP_GUID = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
static const char *const LINUX_GUID = "0fc63daf-8483-4772-8e79-3d69d8477de4";
static const char *const PART1_GUID = "11223344-5566-7788-99aa-bbccddeeff00";

/* The text GUID as GPT stores it: the first three fields little-endian. */
static void
put_guid(guint8 *p, const char *text)
{
    static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12,
                                   13, 14, 15 };
    guint8 bytes[16];
    int i, n = 0;

    for (i = 0; text[i] && n < 16; i++) {
        if (text[i] == '-')
            continue;
        bytes[n++] = (guint8)(g_ascii_xdigit_value(text[i]) << 4 |
                              g_ascii_xdigit_value(text[i + 1]));
        i++;
    }
    for (i = 0; i < 16; i++)
        p[i] = bytes[order[i]];
}

static void
put_mbr_entry(guint8 *sector, int i, guint8 type, guint32 start,
              guint32 count)
{
    guint8 *e = sector + 446 + 16 * i;

    e[4] = type;
    put_le32(e + 8, start);
    put_le32(e + 12, count);
    sector[510] = 0x55;
    sector[511] = 0xaa;
}

/* Writes a GPT header at @lba with @entries_lba, CRCs computed. */
static void
gpt_put_header(MemDisk *m, guint64 lba, guint64 alt, guint64 entries_lba,
               guint32 n, guint32 esize)
{
    guint8 *h = m->data + lba * 512;
    const guint8 *entries = m->data + entries_lba * 512;

    memset(h, 0, 512);
    memcpy(h, "EFI PART", 8);
    put_le32(h + 8, 0x00010000);
    put_le32(h + 12, 92);
    put_le64(h + 24, lba);
    put_le64(h + 32, alt);
    put_le64(h + 40, 34);
    put_le64(h + 48, LAST_LBA - 33);
    put_guid(h + 56, "01234567-89ab-cdef-0123-456789abcdef");
    put_le64(h + 72, entries_lba);
    put_le32(h + 80, n);
    put_le32(h + 84, esize);
    if ((guint64)n * esize <= DISK_BYTES - entries_lba * 512)
        put_le32(h + 88, (guint32)crc32(0L, entries,
                                        (uInt)((guint64)n * esize)));
    put_le32(h + 16, (guint32)crc32(0L, h, 92));
}

/* A protective MBR and two partitions (ESP, Linux "root") in both
 * copies of a 128 x 128-byte table. */
static MemDisk *
gpt_disk_new(void)
{
    MemDisk *m = mem_disk_new(DISK_BYTES);
    guint64 copies[2] = { 2, LAST_LBA - 32 };
    int c;

    put_mbr_entry(m->data, 0, 0xee, 1, LAST_LBA);
    for (c = 0; c < 2; c++) {
        guint8 *e = m->data + copies[c] * 512;

        put_guid(e, ESP_GUID);
        put_guid(e + 16, PART1_GUID);
        put_le64(e + 32, 2048);
        put_le64(e + 40, 4095);
        e += 128;
        put_guid(e, LINUX_GUID);
        put_guid(e + 16, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
        put_le64(e + 32, 4096);
        put_le64(e + 40, LAST_LBA - 34);
        put_le16(e + 56, 'r');
        put_le16(e + 58, 'o');
        put_le16(e + 60, 'o');
        put_le16(e + 62, 't');
    }
    gpt_put_header(m, 1, LAST_LBA, 2, 128, 128);
    gpt_put_header(m, LAST_LBA, 1, LAST_LBA - 32, 128, 128);
    return m;
}

static InspectTable *
read_table(MemDisk *m)
{
    g_autoptr(GError) error = NULL;
    InspectReader r = mem_disk_reader(m);
    InspectTable *t = inspect_partitions_read(&r, &error);

    g_assert_no_error(error);
    g_assert_nonnull(t);
    return t;
}

static const InspectPartition *
part(const InspectTable *t, guint i)
{
    g_assert_cmpuint(i, <, t->partitions->len);
    return g_ptr_array_index(t->partitions, i);
}

static void
test_gpt_good(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = read_table(m);

    g_assert_cmpint(t->kind, ==, INSPECT_TABLE_GPT);
    g_assert_true(t->primary_ok);
    g_assert_true(t->backup_ok);
    g_assert_cmpstr(t->disk_guid, ==, "01234567-89ab-cdef-0123-456789abcdef");
    g_assert_cmpuint(t->partitions->len, ==, 2);
    g_assert_cmpuint(part(t, 0)->number, ==, 1);
    g_assert_cmpstr(part(t, 0)->type, ==, "esp");
    g_assert_cmpstr(part(t, 0)->type_id, ==, ESP_GUID);
    g_assert_cmpstr(part(t, 0)->uuid, ==, PART1_GUID);
    g_assert_cmpuint(part(t, 0)->start, ==, 2048 * 512);
    g_assert_cmpuint(part(t, 0)->size, ==, 2048 * 512);
    g_assert_null(part(t, 0)->name);
    g_assert_cmpstr(part(t, 1)->type, ==, "linux");
    g_assert_cmpstr(part(t, 1)->name, ==, "root");
    g_assert_cmpuint(t->notes->len, ==, 0);
    g_assert_false(t->mbr_boot_code);
}

static void
test_gpt_primary_header_crc(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = NULL;

    m->data[512 + 56] ^= 0xff;          /* disk GUID, CRC not updated */
    t = read_table(m);
    g_assert_false(t->primary_ok);
    g_assert_true(t->backup_ok);
    g_assert_cmpuint(t->partitions->len, ==, 2);
    g_assert_true(notes_contain(t->notes, "primary GPT header: HeaderCRC32"));
}

static void
test_gpt_primary_entries_crc(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = NULL;

    m->data[2 * 512 + 40] = 0x77;       /* first entry's EndingLBA */
    t = read_table(m);
    g_assert_false(t->primary_ok);
    g_assert_true(t->backup_ok);
    g_assert_cmpuint(part(t, 0)->size, ==, 2048 * 512);
    g_assert_true(notes_contain(t->notes,
                                "primary GPT: PartitionEntryArrayCRC32"));
}

static void
test_gpt_both_bad(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = NULL;

    memcpy(m->data + 512, "NOT PART", 8);
    memcpy(m->data + (gsize)LAST_LBA * 512, "NOT PART", 8);
    t = read_table(m);
    g_assert_cmpint(t->kind, ==, INSPECT_TABLE_GPT);
    g_assert_false(t->primary_ok);
    g_assert_false(t->backup_ok);
    g_assert_cmpuint(t->partitions->len, ==, 0);
    g_assert_true(notes_contain(t->notes, "neither header is usable"));
}

static void
test_gpt_huge_count(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = NULL;

    gpt_put_header(m, 1, LAST_LBA, 2, 0xffffffff, 128);
    t = read_table(m);
    g_assert_false(t->primary_ok);
    g_assert_true(notes_contain(t->notes,
                                "NumberOfPartitionEntries 4294967295 is over "
                                "the limit"));
    g_assert_cmpuint(t->partitions->len, ==, 2);   /* from the backup */
}

static void
test_gpt_bad_entry_size(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = NULL;

    gpt_put_header(m, 1, LAST_LBA, 2, 128, 100);
    gpt_put_header(m, LAST_LBA, 1, LAST_LBA - 32, 4, 0x80000000);
    t = read_table(m);
    g_assert_cmpuint(t->partitions->len, ==, 0);
    g_assert_true(notes_contain(t->notes, "SizeOfPartitionEntry 100"));
    g_assert_true(notes_contain(t->notes, "SizeOfPartitionEntry 2147483648"));
}

static void
test_gpt_entries_past_end(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = NULL;

    gpt_put_header(m, 1, LAST_LBA, LAST_LBA - 1, 128, 128);
    t = read_table(m);
    g_assert_false(t->primary_ok);
    g_assert_true(notes_contain(t->notes, "end past the disk"));
}

static void
test_gpt_partition_past_end(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = NULL;

    put_le64(m->data + 2 * 512 + 128 + 40, G_MAXUINT64);
    put_le64(m->data + (LAST_LBA - 32) * 512 + 128 + 40, G_MAXUINT64);
    gpt_put_header(m, 1, LAST_LBA, 2, 128, 128);
    gpt_put_header(m, LAST_LBA, 1, LAST_LBA - 32, 128, 128);
    t = read_table(m);
    g_assert_cmpuint(t->partitions->len, ==, 1);
    g_assert_true(notes_contain(t->notes, "partition 2: sectors 4096+"));
}

static void
test_gpt_truncated(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(InspectTable) t = NULL;

    m->size = DISK_BYTES / 2;           /* the backup is gone */
    t = read_table(m);
    g_assert_true(t->primary_ok);
    g_assert_false(t->backup_ok);
    g_assert_cmpuint(t->partitions->len, ==, 1);  /* the second ends past */
}

static void
test_mbr_primary(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectTable) t = NULL;

    m->data[0] = 0xeb;
    m->data[1] = 0x63;
    put_mbr_entry(m->data, 0, 0x83, 2048, 2048);
    put_mbr_entry(m->data, 2, 0x82, 4096, 1024);
    m->data[446] = 0x80;
    t = read_table(m);
    g_assert_cmpint(t->kind, ==, INSPECT_TABLE_MBR);
    g_assert_true(t->mbr_boot_code);
    g_assert_cmpuint(t->partitions->len, ==, 2);
    g_assert_cmpuint(part(t, 0)->number, ==, 1);
    g_assert_cmpstr(part(t, 0)->type_id, ==, "0x83");
    g_assert_cmpuint(part(t, 1)->number, ==, 3);
    g_assert_cmpstr(part(t, 1)->type, ==, "swap");
    g_assert_cmpuint(part(t, 1)->start, ==, 4096 * 512);
}

/* An extended partition at 2048 with EBRs at 2048, 3072, 4096. */
static MemDisk *
mbr_extended_new(guint n_logical)
{
    MemDisk *m = mem_disk_new(DISK_BYTES);
    guint i;

    put_mbr_entry(m->data, 0, 0x05, 2048, 6000);
    for (i = 0; i < n_logical; i++) {
        guint8 *ebr = m->data + (2048 + i * 8) * 512;

        put_mbr_entry(ebr, 0, 0x83, 2, 4);
        if (i + 1 < n_logical)
            put_mbr_entry(ebr, 1, 0x05, (i + 1) * 8, 8);
    }
    return m;
}

static void
test_mbr_logical(void)
{
    g_autoptr(MemDisk) m = mbr_extended_new(3);
    g_autoptr(InspectTable) t = read_table(m);

    g_assert_cmpuint(t->partitions->len, ==, 4);
    g_assert_cmpstr(part(t, 0)->type, ==, "extended");
    g_assert_cmpuint(part(t, 1)->number, ==, 5);
    g_assert_true(part(t, 1)->logical);
    g_assert_cmpuint(part(t, 1)->start, ==, (2048 + 2) * 512);
    g_assert_cmpuint(part(t, 3)->number, ==, 7);
    g_assert_cmpuint(part(t, 3)->start, ==, (2048 + 16 + 2) * 512);
    g_assert_cmpuint(t->notes->len, ==, 0);
}

static void
test_mbr_ebr_loop(void)
{
    g_autoptr(MemDisk) m = mbr_extended_new(2);
    g_autoptr(InspectTable) t = NULL;

    /* The second EBR names the first as its next. */
    put_mbr_entry(m->data + (2048 + 8) * 512, 1, 0x05, 8, 8);
    t = read_table(m);
    g_assert_true(notes_contain(t->notes, "loops back to sector 2056"));
    g_assert_cmpuint(t->partitions->len, ==, 3);
}

static void
test_mbr_ebr_chain_limit(void)
{
    g_autoptr(MemDisk) m = mbr_extended_new(300);
    g_autoptr(InspectTable) t = read_table(m);

    g_assert_cmpuint(t->partitions->len, ==, 1 + INSPECT_MAX_LOGICAL);
    g_assert_true(notes_contain(t->notes, "more than 256 logical"));
}

static void
test_mbr_past_end(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectTable) t = NULL;

    put_mbr_entry(m->data, 0, 0x83, 2048, 0xffffffff);
    t = read_table(m);
    g_assert_cmpuint(t->partitions->len, ==, 0);
    g_assert_true(notes_contain(t->notes, "partition 1: sectors 2048+"));
}

static void
test_none(void)
{
    g_autoptr(MemDisk) m = mem_disk_new(DISK_BYTES);
    g_autoptr(InspectTable) t = read_table(m);

    g_assert_cmpint(t->kind, ==, INSPECT_TABLE_NONE);
    /* A FAT boot sector ends in 0x55aa too, but is no table. */
    m->data[0] = 0xeb;
    memcpy(m->data + 3, "mkfs.fat", 8);
    memcpy(m->data + 54, "FAT16   ", 8);
    put_mbr_entry(m->data, 0, 0x83, 1, 1);
    inspect_table_free(g_steal_pointer(&t));
    t = read_table(m);
    g_assert_cmpint(t->kind, ==, INSPECT_TABLE_NONE);
}

static void
test_read_error(void)
{
    g_autoptr(MemDisk) m = gpt_disk_new();
    g_autoptr(GError) error = NULL;
    InspectReader r = mem_disk_reader(m);

    m->fail = TRUE;
    g_assert_null(inspect_partitions_read(&r, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_IO);
}

static void
test_type_names(void)
{
    g_assert_cmpstr(inspect_gpt_type_name("21686148-6449-6E6F-744E-656564454649"),
                    ==, "bios-boot");
    g_assert_cmpstr(inspect_gpt_type_name("e6d6d379-f507-44c2-a23c-238f2a3df928"),
                    ==, "lvm");
    g_assert_cmpstr(inspect_gpt_type_name("ebd0a0a2-b9e5-4433-87c0-68b6b72699c7"),
                    ==, "microsoft-basic-data");
    g_assert_cmpstr(inspect_gpt_type_name("de94bba4-06d1-4d40-a16a-bfd50179d6ac"),
                    ==, "recovery");
    g_assert_cmpstr(inspect_gpt_type_name("00000000-0000-0000-0000-000000000001"),
                    ==, "unknown");
    g_assert_cmpstr(inspect_mbr_type_name(0xfd), ==, "raid");
    g_assert_cmpstr(inspect_mbr_type_name(0x8e), ==, "lvm");
    g_assert_cmpstr(inspect_mbr_type_name(0x0f), ==, "extended");
    g_assert_cmpstr(inspect_mbr_type_name(0xef), ==, "esp");
    g_assert_cmpstr(inspect_mbr_type_name(0x07), ==, "microsoft-basic-data");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/inspect/partitions/gpt/good", test_gpt_good);
    g_test_add_func("/inspect/partitions/gpt/primary-header-crc",
                    test_gpt_primary_header_crc);
    g_test_add_func("/inspect/partitions/gpt/primary-entries-crc",
                    test_gpt_primary_entries_crc);
    g_test_add_func("/inspect/partitions/gpt/both-headers-bad",
                    test_gpt_both_bad);
    g_test_add_func("/inspect/partitions/gpt/huge-entry-count",
                    test_gpt_huge_count);
    g_test_add_func("/inspect/partitions/gpt/bad-entry-size",
                    test_gpt_bad_entry_size);
    g_test_add_func("/inspect/partitions/gpt/entries-past-end",
                    test_gpt_entries_past_end);
    g_test_add_func("/inspect/partitions/gpt/partition-past-end",
                    test_gpt_partition_past_end);
    g_test_add_func("/inspect/partitions/gpt/truncated-disk", test_gpt_truncated);
    g_test_add_func("/inspect/partitions/mbr/primary", test_mbr_primary);
    g_test_add_func("/inspect/partitions/mbr/logical", test_mbr_logical);
    g_test_add_func("/inspect/partitions/mbr/ebr-loop", test_mbr_ebr_loop);
    g_test_add_func("/inspect/partitions/mbr/ebr-chain-limit",
                    test_mbr_ebr_chain_limit);
    g_test_add_func("/inspect/partitions/mbr/partition-past-end",
                    test_mbr_past_end);
    g_test_add_func("/inspect/partitions/none", test_none);
    g_test_add_func("/inspect/partitions/read-error", test_read_error);
    g_test_add_func("/inspect/partitions/type-names", test_type_names);
    return g_test_run();
}
