/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * partitions.c: MBR and GPT partition tables (UEFI 2.10 section 5), read
 * through a callback, with 512-byte logical sectors (what every virtual
 * disk ferry reads presents).
 *
 * MBR, LBA 0:
 *   0-439    bootstrap code (non-zero when a BIOS boot loader is installed)
 *   446-509  four 16-byte entries: 0 status, 4 type, 8-11 first LBA (LE),
 *            12-15 sector count (LE)
 *   510-511  0x55 0xaa
 * An extended partition (0x05, 0x0f, 0x85) holds a chain of EBRs: entry 0
 * is a logical partition relative to its EBR, entry 1 the next EBR relative
 * to the extended partition's start.  The chain is cut at a repeated EBR
 * and after INSPECT_MAX_LOGICAL links.
 *
 * GPT header (LBA 1, the backup at the last LBA):
 *   0-7 "EFI PART", 12-15 header size (92..512), 16-19 header CRC32 (over
 *   the header size, this field zeroed), 24-31 my LBA, 32-39 alternate LBA,
 *   40-47 first usable LBA, 48-55 last usable LBA, 56-71 disk GUID,
 *   72-79 entries LBA, 80-83 entry count, 84-87 entry size (128 * 2^n),
 *   88-91 entries CRC32.
 * Entry: 0-15 type GUID, 16-31 partition GUID, 32-39 first LBA, 40-47 last
 *   LBA (inclusive), 48-55 attributes, 56-127 name (UTF-16LE).
 * The primary table is used when its header and entries CRCs match, else
 * the backup; both states are reported.
 */
#include <config.h>

#include <string.h>
#include <zlib.h>

#include "conv/conv.h"
#include "inspect/inspect-priv.h"

#define SECTOR 512u
#define GPT_HEADER_MIN 92u

static const struct {
    const char *guid;
    const char *name;
} gpt_types[] = {
    { "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "esp" },
    { "21686148-6449-6e6f-744e-656564454649", "bios-boot" },
    { "0fc63daf-8483-4772-8e79-3d69d8477de4", "linux" },
    { "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "linux-root" },   /* x86-64 */
    { "b921b045-1df0-41c3-af44-4c6f280d3fae", "linux-root" },   /* arm64 */
    { "bc13c2ff-59e6-4262-a352-b275fd6f7172", "linux-boot" },   /* XBOOTLDR */
    { "933ac7e1-2eb4-4f13-b844-0e14e2aef915", "linux-home" },
    { "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", "swap" },
    { "e6d6d379-f507-44c2-a23c-238f2a3df928", "lvm" },
    { "a19d880f-05fc-4d3b-a006-743f0f84911e", "raid" },
    { "ca7d7ccb-63ed-4c53-861c-1742536059cc", "luks" },
    { "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", "microsoft-basic-data" },
    { "e3c9e316-0b5c-4db8-817d-f92df00215ae", "microsoft-reserved" },
    { "de94bba4-06d1-4d40-a16a-bfd50179d6ac", "recovery" },
};

const char *
inspect_gpt_type_name(const char *guid)
{
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(gpt_types); i++)
        if (g_ascii_strcasecmp(guid, gpt_types[i].guid) == 0)
            return gpt_types[i].name;
    return "unknown";
}

const char *
inspect_mbr_type_name(guint8 id)
{
    switch (id) {
    case 0x83: return "linux";
    case 0x82: return "swap";
    case 0x8e: return "lvm";
    case 0xfd: return "raid";
    case 0xef: return "esp";
    case 0xee: return "gpt-protective";
    case 0x05: case 0x0f: case 0x85: return "extended";
    case 0x07: return "microsoft-basic-data";   /* NTFS, exFAT */
    case 0x01: case 0x04: case 0x06: case 0x0b: case 0x0c: case 0x0e:
        return "fat";
    case 0x27: return "recovery";
    case 0xe8: return "luks";
    default: return "unknown";
    }
}

const char *
inspect_table_kind_to_string(InspectTableKind kind)
{
    switch (kind) {
    case INSPECT_TABLE_MBR: return "mbr";
    case INSPECT_TABLE_GPT: return "gpt";
    case INSPECT_TABLE_NONE: break;
    }
    return "none";
}

static void
inspect_partition_free(InspectPartition *p)
{
    if (!p)
        return;
    g_free(p->type_id);
    g_free(p->uuid);
    g_free(p->name);
    g_free(p);
}

void
inspect_table_free(InspectTable *table)
{
    if (!table)
        return;
    g_free(table->disk_guid);
    g_ptr_array_unref(table->partitions);
    g_ptr_array_unref(table->notes);
    g_free(table);
}

gboolean
inspect_read(const InspectReader *r, void *buf, gsize len, guint64 offset,
             const char *what, GError **error)
{
    if (offset > r->size || len > r->size - offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %" G_GSIZE_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                    " end past the device's %" G_GUINT64_FORMAT " bytes",
                    what, len, offset, r->size);
        return FALSE;
    }
    return r->read(r->data, buf, len, offset, error);
}

static void
inspect_note(InspectTable *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
inspect_note(InspectTable *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(t->notes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* GUIDs store their first three fields little-endian (RFC 4122 as
 * Microsoft lays it out). */
static char *
inspect_guid_to_string(const guint8 *g)
{
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x",
                           g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6],
                           g[8], g[9], g[10], g[11], g[12], g[13], g[14],
                           g[15]);
}

static gboolean
inspect_all_zero(const guint8 *p, gsize len)
{
    gsize i;

    for (i = 0; i < len; i++)
        if (p[i])
            return FALSE;
    return TRUE;
}

static InspectPartition *
inspect_partition_add(InspectTable *t, guint number, guint64 start_lba,
                      guint64 sectors, guint64 disk_size)
{
    InspectPartition *p;

    if (start_lba > disk_size / SECTOR ||
        sectors > disk_size / SECTOR - start_lba) {
        inspect_note(t, "partition %u: sectors %" G_GUINT64_FORMAT "+%"
                     G_GUINT64_FORMAT " end past the disk (%" G_GUINT64_FORMAT
                     " bytes)", number, start_lba, sectors, disk_size);
        return NULL;
    }
    p = g_new0(InspectPartition, 1);
    p->number = number;
    p->start = start_lba * SECTOR;
    p->size = sectors * SECTOR;
    g_ptr_array_add(t->partitions, p);
    return p;
}

static gboolean
inspect_mbr_is_extended(guint8 id)
{
    return id == 0x05 || id == 0x0f || id == 0x85;
}

/* The logical partitions of the extended partition at @ext_lba. */
static gboolean
inspect_mbr_read_logical(const InspectReader *r, InspectTable *t,
                         guint64 ext_lba, guint64 ext_sectors, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash,
                                                  g_int64_equal);
    g_autofree gint64 *keys = g_new(gint64, INSPECT_MAX_LOGICAL);
    guint8 ebr[SECTOR];
    guint64 ebr_lba = ext_lba;
    guint number = 5;
    guint links;

    for (links = 0; links < INSPECT_MAX_LOGICAL; links++) {
        const guint8 *e0 = ebr + 446, *e1 = ebr + 462;
        guint64 next;

        if (ebr_lba > r->size / SECTOR - 1) {
            inspect_note(t, "extended partition: EBR at sector %"
                         G_GUINT64_FORMAT " is past the disk", ebr_lba);
            return TRUE;
        }
        keys[links] = (gint64)ebr_lba;
        if (g_hash_table_contains(seen, &keys[links])) {
            inspect_note(t, "extended partition: EBR chain loops back to "
                         "sector %" G_GUINT64_FORMAT, ebr_lba);
            return TRUE;
        }
        g_hash_table_add(seen, &keys[links]);
        if (!inspect_read(r, ebr, SECTOR, ebr_lba * SECTOR, "EBR", error))
            return FALSE;
        if (ebr[510] != 0x55 || ebr[511] != 0xaa) {
            inspect_note(t, "extended partition: EBR at sector %"
                         G_GUINT64_FORMAT " has no 0x55aa signature", ebr_lba);
            return TRUE;
        }
        if (e0[4] != 0 && inspect_le32(e0 + 12) != 0) {
            guint64 start = ebr_lba + inspect_le32(e0 + 8);
            InspectPartition *p = inspect_partition_add(
                t, number, start, inspect_le32(e0 + 12),
                r->size);

            if (p) {
                p->type = inspect_mbr_type_name(e0[4]);
                p->type_id = g_strdup_printf("0x%02x", e0[4]);
                p->logical = TRUE;
            }
            number++;
        }
        if (!inspect_mbr_is_extended(e1[4]))
            return TRUE;
        next = inspect_le32(e1 + 8);
        if (next == 0 || next >= ext_sectors) {
            inspect_note(t, "extended partition: next EBR at relative sector %"
                         G_GUINT64_FORMAT " is outside it", next);
            return TRUE;
        }
        ebr_lba = ext_lba + next;
    }
    inspect_note(t, "extended partition: more than %d logical partitions, "
                 "the rest is ignored", INSPECT_MAX_LOGICAL);
    return TRUE;
}

static gboolean
inspect_mbr_read(const InspectReader *r, InspectTable *t, const guint8 *mbr,
                 GError **error)
{
    int i;

    t->kind = INSPECT_TABLE_MBR;
    for (i = 0; i < 4; i++) {
        const guint8 *e = mbr + 446 + 16 * i;
        guint32 start = inspect_le32(e + 8);
        guint32 count = inspect_le32(e + 12);
        InspectPartition *p;

        if (e[4] == 0 || count == 0)
            continue;
        p = inspect_partition_add(t, (guint)i + 1, start, count, r->size);
        if (!p)
            continue;
        p->type = inspect_mbr_type_name(e[4]);
        p->type_id = g_strdup_printf("0x%02x", e[4]);
        if (inspect_mbr_is_extended(e[4]) &&
            !inspect_mbr_read_logical(r, t, start, count, error))
            return FALSE;
    }
    return TRUE;
}

typedef struct {
    guint64 my_lba, alternate_lba, first_usable, last_usable;
    guint64 entries_lba;
    guint32 n_entries, entry_size, entries_crc;
    guint8 disk_guid[16];
} GptHeader;

/* Decodes and checks the header in @sec (read from @lba); a note says
 * what is wrong when it returns FALSE. */
static gboolean
inspect_gpt_header_decode(InspectTable *t, const char *which,
                          const guint8 *sec, guint64 lba, guint64 disk_size,
                          GptHeader *h)
{
    guint8 copy[SECTOR];
    guint32 hsize, crc;
    guint64 array_bytes, disk_lbas = disk_size / SECTOR;

    if (memcmp(sec, "EFI PART", 8) != 0) {
        inspect_note(t, "%s GPT header: no \"EFI PART\" signature", which);
        return FALSE;
    }
    hsize = inspect_le32(sec + 12);
    if (hsize < GPT_HEADER_MIN || hsize > SECTOR) {
        inspect_note(t, "%s GPT header: HeaderSize %u is outside %u..%u",
                     which, hsize, GPT_HEADER_MIN, SECTOR);
        return FALSE;
    }
    memcpy(copy, sec, hsize);
    memset(copy + 16, 0, 4);
    crc = (guint32)crc32(0L, copy, hsize);
    if (crc != inspect_le32(sec + 16)) {
        inspect_note(t, "%s GPT header: HeaderCRC32 0x%08x does not match "
                     "the header's 0x%08x", which,
                     inspect_le32(sec + 16), crc);
        return FALSE;
    }
    h->my_lba = inspect_le64(sec + 24);
    h->alternate_lba = inspect_le64(sec + 32);
    h->first_usable = inspect_le64(sec + 40);
    h->last_usable = inspect_le64(sec + 48);
    memcpy(h->disk_guid, sec + 56, 16);
    h->entries_lba = inspect_le64(sec + 72);
    h->n_entries = inspect_le32(sec + 80);
    h->entry_size = inspect_le32(sec + 84);
    h->entries_crc = inspect_le32(sec + 88);
    if (h->my_lba != lba) {
        inspect_note(t, "%s GPT header: MyLBA %" G_GUINT64_FORMAT " is not "
                     "its own sector %" G_GUINT64_FORMAT, which, h->my_lba,
                     lba);
        return FALSE;
    }
    /* UEFI 5.3.2: SizeOfPartitionEntry is 128 * 2^n. */
    if (h->entry_size < 128 || h->entry_size > INSPECT_MAX_GPT_ENTRY_SIZE ||
        (h->entry_size & (h->entry_size - 1)) != 0) {
        inspect_note(t, "%s GPT header: SizeOfPartitionEntry %u is not "
                     "128 * 2^n up to %d", which, h->entry_size,
                     INSPECT_MAX_GPT_ENTRY_SIZE);
        return FALSE;
    }
    if (h->n_entries > INSPECT_MAX_GPT_ENTRIES) {
        inspect_note(t, "%s GPT header: NumberOfPartitionEntries %u is over "
                     "the limit of %d", which, h->n_entries,
                     INSPECT_MAX_GPT_ENTRIES);
        return FALSE;
    }
    array_bytes = (guint64)h->n_entries * h->entry_size;
    if (h->entries_lba >= disk_lbas ||
        array_bytes > (disk_lbas - h->entries_lba) * SECTOR) {
        inspect_note(t, "%s GPT header: PartitionEntryLBA %" G_GUINT64_FORMAT
                     " and %" G_GUINT64_FORMAT " bytes of entries end past "
                     "the disk", which, h->entries_lba, array_bytes);
        return FALSE;
    }
    return TRUE;
}

/* Reads and checks the header at @lba and its entries into @array_out
 * (left NULL, with a note, when they are not usable).  FALSE only for a
 * failed read. */
static gboolean
inspect_gpt_read_one(const InspectReader *r, InspectTable *t,
                     const char *which, guint64 lba, GptHeader *h,
                     guint8 **array_out, GError **error)
{
    guint8 sec[SECTOR];
    g_autofree guint8 *array = NULL;
    gsize bytes;

    *array_out = NULL;
    if (!inspect_read(r, sec, SECTOR, lba * SECTOR, "GPT header", error))
        return FALSE;
    if (!inspect_gpt_header_decode(t, which, sec, lba, r->size, h))
        return TRUE;
    bytes = (gsize)h->n_entries * h->entry_size;
    array = g_malloc0(bytes ? bytes : 1);
    if (bytes && !inspect_read(r, array, bytes, h->entries_lba * SECTOR,
                               "GPT entries", error))
        return FALSE;
    if ((guint32)crc32(0L, array, (uInt)bytes) != h->entries_crc) {
        inspect_note(t, "%s GPT: PartitionEntryArrayCRC32 0x%08x does not "
                     "match the entries", which, h->entries_crc);
        return TRUE;
    }
    *array_out = g_steal_pointer(&array);
    return TRUE;
}

static char *
inspect_gpt_name(const guint8 *utf16, gsize max_units)
{
    gunichar2 units[36];
    gsize n;

    for (n = 0; n < max_units && n < G_N_ELEMENTS(units); n++) {
        units[n] = inspect_le16(utf16 + 2 * n);
        if (units[n] == 0)
            break;
    }
    if (n == 0)
        return NULL;
    return inspect_text_clean(g_utf16_to_utf8(units, (glong)n, NULL, NULL,
                                              NULL));
}

static gboolean
inspect_gpt_read(const InspectReader *r, InspectTable *t, GError **error)
{
    g_autofree guint8 *primary = NULL;
    g_autofree guint8 *backup = NULL;
    GptHeader hp = { 0 }, hb = { 0 };
    const GptHeader *h;
    const guint8 *array;
    guint64 last_lba = r->size / SECTOR - 1;
    guint i;

    t->kind = INSPECT_TABLE_GPT;
    if (!inspect_gpt_read_one(r, t, "primary", 1, &hp, &primary, error))
        return FALSE;
    /* The backup header is at the disk's last LBA (UEFI 5.3.2); a primary
     * that names another AlternateLBA is trusted only if it is in range. */
    if (primary && hp.alternate_lba != last_lba && hp.alternate_lba > 1 &&
        hp.alternate_lba <= last_lba)
        last_lba = hp.alternate_lba;
    if (!inspect_gpt_read_one(r, t, "backup", last_lba, &hb, &backup, error))
        return FALSE;
    t->primary_ok = primary != NULL;
    t->backup_ok = backup != NULL;
    if (!primary && !backup) {
        inspect_note(t, "GPT: neither header is usable: no partitions read");
        return TRUE;
    }
    h = primary ? &hp : &hb;
    array = primary ? primary : backup;
    t->disk_guid = inspect_guid_to_string(h->disk_guid);
    for (i = 0; i < h->n_entries; i++) {
        const guint8 *e = array + (gsize)i * h->entry_size;
        guint64 first = inspect_le64(e + 32);
        guint64 last = inspect_le64(e + 40);
        InspectPartition *p;

        if (inspect_all_zero(e, 16))
            continue;
        if (last < first) {
            inspect_note(t, "GPT entry %u: EndingLBA %" G_GUINT64_FORMAT
                         " is before StartingLBA %" G_GUINT64_FORMAT, i + 1,
                         last, first);
            continue;
        }
        p = inspect_partition_add(t, i + 1, first, last - first + 1, r->size);
        if (!p)
            continue;
        p->type_id = inspect_guid_to_string(e);
        p->type = inspect_gpt_type_name(p->type_id);
        p->uuid = inspect_guid_to_string(e + 16);
        p->name = inspect_gpt_name(e + 56, (h->entry_size - 56) / 2);
    }
    return TRUE;
}

InspectTable *
inspect_partitions_read(const InspectReader *r, GError **error)
{
    g_autoptr(InspectTable) t = g_new0(InspectTable, 1);
    guint8 mbr[SECTOR];
    gboolean protective = FALSE;
    int i;

    t->partitions = g_ptr_array_new_with_free_func(
        (GDestroyNotify)inspect_partition_free);
    t->notes = g_ptr_array_new_with_free_func(g_free);
    if (r->size < 2 * SECTOR)
        return g_steal_pointer(&t);
    if (!inspect_read(r, mbr, SECTOR, 0, "MBR", error))
        return NULL;
    if (mbr[510] != 0x55 || mbr[511] != 0xaa)
        return g_steal_pointer(&t);
    t->mbr_boot_code = !inspect_all_zero(mbr, 440);
    for (i = 0; i < 4; i++)
        if (mbr[446 + 16 * i + 4] == 0xee)
            protective = TRUE;
    if (protective) {
        if (!inspect_gpt_read(r, t, error))
            return NULL;
        return g_steal_pointer(&t);
    }
    /* A FAT or NTFS boot sector also ends in 0x55aa: its "entries" are
     * code, and a jump instruction at byte 0 with a BPB says which. */
    if ((mbr[0] == 0xeb || mbr[0] == 0xe9) &&
        (memcmp(mbr + 3, "NTFS    ", 8) == 0 ||
         memcmp(mbr + 54, "FAT", 3) == 0 || memcmp(mbr + 82, "FAT", 3) == 0 ||
         memcmp(mbr + 3, "mkfs.fat", 8) == 0))
        return g_steal_pointer(&t);
    for (i = 0; i < 4; i++) {
        guint8 status = mbr[446 + 16 * i];

        /* The status byte is 0x00 or 0x80; anything else is no table. */
        if (status != 0 && status != 0x80)
            return g_steal_pointer(&t);
    }
    if (!inspect_mbr_read(r, t, mbr, error))
        return NULL;
    return g_steal_pointer(&t);
}
