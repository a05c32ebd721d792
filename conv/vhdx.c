/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vhdx.c: VHDX images: probe, file identifier, headers, log, region table,
 * metadata and parent locator.  The layout is summed up in vhdx-priv.h;
 * block status and reads live in vhdx-read.c.
 *
 * Follows [MS-VHDX] sections 2.1 (file type identifier), 2.2.2 (headers:
 * the valid one with the highest sequence_number is current), 2.2.3 (region
 * table), 2.3 (log: a log with entries to replay must be replayed before
 * any read, so such a file is refused), 2.6 (metadata items) and 2.6.2.6
 * (parent locator), and qemu's block/vhdx.c where the spec leaves room:
 * two identical headers with one sequence number (Disk2vhd) are accepted.
 */
#include <config.h>

#include <string.h>

#include "conv/crc32c.h"
#include "conv/vhdx-priv.h"

/* GUIDs in on-disk byte order. */
static const guint8 vhdx_guid_bat[16] = {      /* 2DC27766-F623-4200-... */
    0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
    0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 };
static const guint8 vhdx_guid_metadata[16] = { /* 8B7CA206-4790-4B9A-... */
    0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
    0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e };
static const guint8 vhdx_guid_file_parameters[16] = {  /* CAA16737-... */
    0x37, 0x67, 0xa1, 0xca, 0x36, 0xfa, 0x43, 0x4d,
    0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b };
static const guint8 vhdx_guid_virtual_disk_size[16] = {  /* 2FA54224-... */
    0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48,
    0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8 };
static const guint8 vhdx_guid_page83_data[16] = {  /* BECA12AB-... */
    0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45,
    0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46 };
static const guint8 vhdx_guid_logical_sector_size[16] = {  /* 8141BF1D-... */
    0x1d, 0xbf, 0x41, 0x81, 0x6f, 0xa9, 0x09, 0x47,
    0xba, 0x47, 0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f };
static const guint8 vhdx_guid_physical_sector_size[16] = {  /* CDA348C7-... */
    0xc7, 0x48, 0xa3, 0xcd, 0x5d, 0x44, 0x71, 0x44,
    0x9c, 0xc9, 0xe9, 0x88, 0x52, 0x51, 0xc5, 0x56 };
static const guint8 vhdx_guid_parent_locator[16] = {  /* A8D35F2D-... */
    0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3, 0x4d, 0x45,
    0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c };
static const guint8 vhdx_guid_parent_locator_type[16] = {  /* B04AEFB7-... */
    0xb7, 0xef, 0x4a, 0xb0, 0x9e, 0xd1, 0x81, 0x4a,
    0xb7, 0x89, 0x25, 0xb8, 0xe9, 0x44, 0x59, 0x13 };
static const guint8 vhdx_guid_zero[16];

static int
vhdx_probe(const guint8 *head, gsize len)
{
    if (len >= 8 && memcmp(head, "vhdxfile", 8) == 0)
        return 100;
    return 0;
}

/* Checks a CRC-32C stored at @buf + @at over @len bytes, the field itself
 * counted as zero (2.2.2). */
static gboolean
vhdx_crc_ok(const guint8 *buf, gsize len, gsize at, guint32 *stored_out,
            guint32 *computed_out)
{
    static const guint8 zero[4];
    guint32 crc = crc32c_update(0, buf, at);

    crc = crc32c_update(crc, zero, 4);
    crc = crc32c_update(crc, buf + at + 4, len - at - 4);
    *stored_out = conv_le32(buf + at);
    *computed_out = crc;
    return *stored_out == crc;
}

typedef struct {
    guint64 sequence_number;
    guint8 log_guid[16];
    guint16 log_version;
    guint32 log_length;
    guint64 log_offset;
} VhdxHeader;

/* Decodes the header at @offset; FALSE with @error (always CORRUPT) saying
 * why it is not valid. */
static gboolean
vhdx_header_decode(ConvImage *img, guint8 *buf, guint32 offset, int n,
                   VhdxHeader *h, GError **error)
{
    guint32 stored, computed;

    if (!conv_file_pread(img, buf, VHDX_HEADER_SIZE, offset, "vhdx header",
                         error))
        return FALSE;
    if (memcmp(buf, "head", 4) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx header %d: signature is not \"head\"",
                    img->path, n);
        return FALSE;
    }
    if (!vhdx_crc_ok(buf, VHDX_HEADER_SIZE, 4, &stored, &computed)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx header %d: checksum 0x%08x does not match the "
                    "computed CRC-32C 0x%08x", img->path, n, stored, computed);
        return FALSE;
    }
    if (conv_le16(buf + 66) != 1) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx header %d: version %u is not 1", img->path, n,
                    conv_le16(buf + 66));
        return FALSE;
    }
    h->sequence_number = conv_le64(buf + 8);
    memcpy(h->log_guid, buf + 48, 16);
    h->log_version = conv_le16(buf + 64);
    h->log_length = conv_le32(buf + 68);
    h->log_offset = conv_le64(buf + 72);
    return TRUE;
}

/* Picks the current header (2.2.2.1): the valid one, or of two valid ones
 * the one with the higher sequence_number. */
static gboolean
vhdx_headers_read(ConvImage *img, VhdxHeader *current, GError **error)
{
    g_autofree guint8 *b1 = g_malloc(VHDX_HEADER_SIZE);
    g_autofree guint8 *b2 = g_malloc(VHDX_HEADER_SIZE);
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    VhdxHeader h1, h2;
    gboolean ok1 = vhdx_header_decode(img, b1, VHDX_HEADER1_OFFSET, 1, &h1, &e1);
    gboolean ok2 = vhdx_header_decode(img, b2, VHDX_HEADER2_OFFSET, 2, &h2, &e2);

    if (!ok1 && !ok2) {
        /* Report the first header's fault; the second was no better. */
        g_propagate_error(error, g_steal_pointer(&e1));
        return FALSE;
    }
    if (ok1 && ok2) {
        if (h1.sequence_number == h2.sequence_number &&
            memcmp(b1, b2, VHDX_HEADER_SIZE) != 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vhdx headers 1 and 2 differ but have the same "
                        "sequence_number %" G_GUINT64_FORMAT, img->path,
                        h1.sequence_number);
            return FALSE;
        }
        *current = h2.sequence_number > h1.sequence_number ? h2 : h1;
    } else {
        *current = ok1 ? h1 : h2;
    }
    return TRUE;
}

/* A region [offset, offset+length) of the file: 1 MiB aligned, past the
 * first MiB (2.2.3.2), inside the file. */
static gboolean
vhdx_region_check(ConvImage *img, const char *what, guint64 offset,
                  guint64 length, GError **error)
{
    if (offset % VHDX_MIB != 0 || length % VHDX_MIB != 0 ||
        offset < VHDX_MIB || length == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx %s: file_offset %" G_GUINT64_FORMAT
                    " and length %" G_GUINT64_FORMAT " are not non-zero "
                    "multiples of 1 MiB past the first MiB", img->path, what,
                    offset, length);
        return FALSE;
    }
    if (offset > img->file_size || length > img->file_size - offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx %s: file_offset %" G_GUINT64_FORMAT " (%"
                    G_GUINT64_FORMAT " bytes) is past end of file (%"
                    G_GUINT64_FORMAT " bytes)", img->path, what, offset,
                    length, img->file_size);
        return FALSE;
    }
    return TRUE;
}

static gboolean
vhdx_regions_overlap(guint64 a, guint64 alen, guint64 b, guint64 blen)
{
    return a < b + blen && b < a + alen;
}

/*
 * The log (2.3): a non-zero log_guid with at least one valid entry carrying
 * that guid means writes were not yet applied to the file.  They must be
 * replayed before reading (qemu refuses such a file read-only too).
 */
static gboolean
vhdx_log_check(ConvImage *img, const VhdxHeader *h, GError **error)
{
    g_autofree guint8 *sector = NULL;
    guint64 pos;

    if (memcmp(h->log_guid, vhdx_guid_zero, 16) == 0)
        return TRUE;
    if (h->log_version != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: vhdx header: log_version %u is not 0", img->path,
                    h->log_version);
        return FALSE;
    }
    if (h->log_length > VHDX_MAX_LOG_LENGTH) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx header: log_length %u is larger than %u bytes",
                    img->path, h->log_length, VHDX_MAX_LOG_LENGTH);
        return FALSE;
    }
    if (!vhdx_region_check(img, "header log", h->log_offset, h->log_length,
                           error))
        return FALSE;

    sector = g_malloc(VHDX_LOG_SECTOR);
    for (pos = 0; pos < h->log_length; pos += VHDX_LOG_SECTOR) {
        guint32 entry_length, stored, crc, done;
        static const guint8 zero[4];

        if (!conv_file_pread(img, sector, VHDX_LOG_SECTOR, h->log_offset + pos,
                             "vhdx log", error))
            return FALSE;
        if (memcmp(sector, "loge", 4) != 0 ||
            memcmp(sector + 32, h->log_guid, 16) != 0)
            continue;
        entry_length = conv_le32(sector + 8);
        if (entry_length < VHDX_LOG_SECTOR ||
            entry_length % VHDX_LOG_SECTOR != 0 ||
            entry_length > h->log_length)
            continue;
        /* The CRC covers the whole entry, which may wrap around the end of
         * the circular log (2.3.1); read it a sector at a time. */
        stored = conv_le32(sector + 4);
        crc = crc32c_update(0, sector, 4);
        crc = crc32c_update(crc, zero, 4);
        crc = crc32c_update(crc, sector + 8, VHDX_LOG_SECTOR - 8);
        for (done = VHDX_LOG_SECTOR; done < entry_length;
             done += VHDX_LOG_SECTOR) {
            g_autofree guint8 *more = g_malloc(VHDX_LOG_SECTOR);
            guint64 at = (pos + done) % h->log_length;

            if (!conv_file_pread(img, more, VHDX_LOG_SECTOR, h->log_offset + at,
                                 "vhdx log", error))
                return FALSE;
            crc = crc32c_update(crc, more, VHDX_LOG_SECTOR);
        }
        if (crc == stored) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                        "%s: vhdx log: entry at log offset %" G_GUINT64_FORMAT
                        " needs replay; open the image once in Hyper-V or "
                        "with 'qemu-img check -r all' to apply it",
                        img->path, pos);
            return FALSE;
        }
    }
    return TRUE;
}

typedef struct {
    guint64 bat_offset, bat_length;
    guint64 metadata_offset, metadata_length;
} VhdxRegions;

static gboolean
vhdx_region_table_decode(ConvImage *img, const guint8 *rt, int n,
                         const VhdxHeader *h, VhdxRegions *r, GError **error)
{
    guint32 stored, computed, count, i;
    gboolean have_bat = FALSE, have_metadata = FALSE;

    if (memcmp(rt, "regi", 4) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx region table %d: signature is not \"regi\"",
                    img->path, n);
        return FALSE;
    }
    if (!vhdx_crc_ok(rt, VHDX_REGION_TABLE_SIZE, 4, &stored, &computed)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx region table %d: checksum 0x%08x does not match "
                    "the computed CRC-32C 0x%08x", img->path, n, stored,
                    computed);
        return FALSE;
    }
    count = conv_le32(rt + 8);
    if (count > VHDX_MAX_TABLE_ENTRIES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx region table %d: entry_count %u is larger than "
                    "%u", img->path, n, count, VHDX_MAX_TABLE_ENTRIES);
        return FALSE;
    }
    for (i = 0; i < count; i++) {
        const guint8 *e = rt + 16 + 32 * i;
        guint64 offset = conv_le64(e + 16);
        guint32 length = conv_le32(e + 24);
        gboolean required = conv_le32(e + 28) & 1;
        gboolean is_bat = memcmp(e, vhdx_guid_bat, 16) == 0;
        gboolean is_metadata = memcmp(e, vhdx_guid_metadata, 16) == 0;

        if (!is_bat && !is_metadata) {
            if (required) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                            "%s: vhdx region table %d: entry %u is a required "
                            "region of an unknown kind", img->path, n, i);
                return FALSE;
            }
            continue;
        }
        if ((is_bat && have_bat) || (is_metadata && have_metadata)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vhdx region table %d: the %s region is listed "
                        "twice", img->path, n, is_bat ? "BAT" : "metadata");
            return FALSE;
        }
        if (!vhdx_region_check(img, is_bat ? "BAT region" : "metadata region",
                               offset, length, error))
            return FALSE;
        if (is_bat) {
            r->bat_offset = offset;
            r->bat_length = length;
            have_bat = TRUE;
        } else {
            r->metadata_offset = offset;
            r->metadata_length = length;
            have_metadata = TRUE;
        }
    }
    if (!have_bat || !have_metadata) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx region table %d: no %s region", img->path, n,
                    have_bat ? "metadata" : "BAT");
        return FALSE;
    }
    if (vhdx_regions_overlap(r->bat_offset, r->bat_length, r->metadata_offset,
                             r->metadata_length) ||
        (h->log_length != 0 &&
         (vhdx_regions_overlap(r->bat_offset, r->bat_length, h->log_offset,
                               h->log_length) ||
          vhdx_regions_overlap(r->metadata_offset, r->metadata_length,
                               h->log_offset, h->log_length)))) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx region table %d: the BAT, metadata and log "
                    "regions overlap", img->path, n);
        return FALSE;
    }
    return TRUE;
}

/* Region table 1, or its copy when table 1 is damaged (2.2.3). */
static gboolean
vhdx_region_table_read(ConvImage *img, const VhdxHeader *h, VhdxRegions *r,
                       GError **error)
{
    g_autofree guint8 *rt = g_malloc(VHDX_REGION_TABLE_SIZE);
    g_autoptr(GError) first = NULL;

    if (!conv_file_pread(img, rt, VHDX_REGION_TABLE_SIZE,
                         VHDX_REGION_TABLE1_OFFSET, "vhdx region table",
                         error))
        return FALSE;
    if (vhdx_region_table_decode(img, rt, 1, h, r, &first))
        return TRUE;
    if (first->code != FERRY_ERROR_CORRUPT ||
        !conv_file_pread(img, rt, VHDX_REGION_TABLE_SIZE,
                         VHDX_REGION_TABLE2_OFFSET, "vhdx region table",
                         NULL) ||
        !vhdx_region_table_decode(img, rt, 2, h, r, NULL)) {
        g_propagate_error(error, g_steal_pointer(&first));
        return FALSE;
    }
    return TRUE;
}

typedef struct {
    const guint8 *guid;
    const char *name;
    guint32 min_length;
    gboolean required;
    guint32 offset, length;       /* filled in; length 0: absent */
} VhdxItem;

enum {
    VHDX_ITEM_FILE_PARAMETERS,
    VHDX_ITEM_VIRTUAL_DISK_SIZE,
    VHDX_ITEM_PAGE83_DATA,
    VHDX_ITEM_LOGICAL_SECTOR_SIZE,
    VHDX_ITEM_PHYSICAL_SECTOR_SIZE,
    VHDX_ITEM_PARENT_LOCATOR,
    VHDX_ITEM_LAST
};

/* Reads a metadata item's first @len bytes. */
static gboolean
vhdx_item_read(ConvImage *img, const VhdxRegions *r, const VhdxItem *item,
               guint8 *buf, gsize len, GError **error)
{
    return conv_file_pread(img, buf, len, r->metadata_offset + item->offset,
                           item->name, error);
}

/* UTF-16LE of @len bytes to UTF-8, or NULL if not valid. */
static char *
vhdx_utf16le_to_utf8(const guint8 *p, guint32 len)
{
    g_autofree gunichar2 *units = g_new(gunichar2, len / 2 + 1);
    guint32 i;

    for (i = 0; i < len / 2; i++)
        units[i] = conv_le16(p + 2 * i);
    return g_utf16_to_utf8(units, (glong)(len / 2), NULL, NULL, NULL);
}

/*
 * The parent locator item (2.6.2.6): a locator type GUID, then key/value
 * pairs of UTF-16LE strings.  The parent is found by relative_path first
 * (resolved from the child's directory, as qemu resolves backing names),
 * else by the file name of absolute_win32_path or volume_path, whose drive
 * or volume means nothing on this host.
 */
static char *
vhdx_parent_locator_decode(ConvImage *img, const guint8 *item, guint32 length,
                           GError **error)
{
    g_autofree char *relative = NULL;
    g_autofree char *absolute = NULL;
    g_autofree char *volume = NULL;
    guint32 count, i;

    if (memcmp(item, vhdx_guid_parent_locator_type, 16) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: vhdx parent_locator: locator_type is not the VHDX "
                    "parent locator", img->path);
        return NULL;
    }
    count = conv_le16(item + 18);
    if (20 + 12ULL * count > length) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx parent_locator: key_value_count %u does not "
                    "fit in the item (%u bytes)", img->path, count, length);
        return NULL;
    }
    for (i = 0; i < count; i++) {
        const guint8 *e = item + 20 + 12 * i;
        guint32 key_offset = conv_le32(e);
        guint32 value_offset = conv_le32(e + 4);
        guint16 key_length = conv_le16(e + 8);
        guint16 value_length = conv_le16(e + 10);
        g_autofree char *key = NULL;
        g_autofree char *value = NULL;

        if (key_offset > length || key_length > length - key_offset ||
            value_offset > length || value_length > length - value_offset ||
            key_length % 2 != 0 || value_length % 2 != 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vhdx parent_locator: entry %u key_offset %u or "
                        "value_offset %u is past the item (%u bytes)",
                        img->path, i, key_offset, value_offset, length);
            return NULL;
        }
        key = vhdx_utf16le_to_utf8(item + key_offset, key_length);
        value = vhdx_utf16le_to_utf8(item + value_offset, value_length);
        if (!key || !value) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vhdx parent_locator: entry %u is not valid "
                        "UTF-16", img->path, i);
            return NULL;
        }
        if (!*value)
            continue;
        if (g_str_equal(key, "relative_path") && !relative)
            relative = g_steal_pointer(&value);
        else if (g_str_equal(key, "absolute_win32_path") && !absolute)
            absolute = g_steal_pointer(&value);
        else if (g_str_equal(key, "volume_path") && !volume)
            volume = g_steal_pointer(&value);
    }
    if (relative)
        return conv_windows_path_to_posix(relative, FALSE);
    if (absolute)
        return conv_windows_path_to_posix(absolute, TRUE);
    if (volume)
        return conv_windows_path_to_posix(volume, TRUE);
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                "%s: vhdx parent_locator: no relative_path, absolute_win32_path "
                "or volume_path", img->path);
    return NULL;
}

/* Reads the metadata table (2.6.1) and fills in where each item of
 * @items is, refusing duplicates, misplaced items and an unknown required
 * item; every required item must be there. */
static gboolean
vhdx_metadata_table_read(ConvImage *img, const VhdxRegions *r,
                         VhdxItem items[VHDX_ITEM_LAST], GError **error)
{
    g_autofree guint8 *table = g_malloc(VHDX_METADATA_TABLE_SIZE);
    guint32 count, i;

    if (!conv_file_pread(img, table, VHDX_METADATA_TABLE_SIZE,
                         r->metadata_offset, "vhdx metadata table", error))
        return FALSE;
    if (memcmp(table, "metadata", 8) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx metadata table: signature is not \"metadata\"",
                    img->path);
        return FALSE;
    }
    count = conv_le16(table + 10);
    if (count > VHDX_MAX_TABLE_ENTRIES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx metadata table: entry_count %u is larger than %u",
                    img->path, count, VHDX_MAX_TABLE_ENTRIES);
        return FALSE;
    }
    for (i = 0; i < count; i++) {
        const guint8 *e = table + 32 + 32 * i;
        guint32 offset = conv_le32(e + 16);
        guint32 length = conv_le32(e + 20);
        gboolean required = (conv_le32(e + 24) >> 2) & 1;
        VhdxItem *item = NULL;
        int k;

        for (k = 0; k < VHDX_ITEM_LAST; k++) {
            if (memcmp(e, items[k].guid, 16) == 0)
                item = &items[k];
        }
        if (!item) {
            if (required) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                            "%s: vhdx metadata table: entry %u is a required "
                            "item of an unknown kind", img->path, i);
                return FALSE;
            }
            continue;
        }
        if (item->length != 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vhdx metadata table: %s is listed twice",
                        img->path, item->name);
            return FALSE;
        }
        /* Items live past the 64 KiB table, inside the region, and are at
         * most 1 MiB (2.6.1.2). */
        if (length < item->min_length || length > VHDX_MAX_METADATA_ITEM ||
            offset < VHDX_METADATA_TABLE_SIZE ||
            offset > r->metadata_length ||
            length > r->metadata_length - offset) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vhdx metadata table: %s at offset %u (%u bytes) "
                        "is not inside the metadata region (%" G_GUINT64_FORMAT
                        " bytes) or shorter than %u bytes", img->path,
                        item->name, offset, length, r->metadata_length,
                        item->min_length);
            return FALSE;
        }
        item->offset = offset;
        item->length = length;
    }
    for (i = 0; i < VHDX_ITEM_LAST; i++) {
        if (items[i].required && items[i].length == 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vhdx metadata table: required item %s is missing",
                        img->path, items[i].name);
            return FALSE;
        }
    }
    return TRUE;
}

/* file_parameters, the two sector sizes and virtual_disk_size (2.6.2):
 * sets priv->block_size, has_parent, logical_sector_size and img->size;
 * *@flags is file_parameters' flags word. */
static gboolean
vhdx_metadata_read_sizes(ConvImage *img, VhdxPriv *priv, const VhdxRegions *r,
                         const VhdxItem items[VHDX_ITEM_LAST], guint32 *flags,
                         GError **error)
{
    guint8 v[8];
    guint32 block_size, lss, pss;
    guint64 size;

    if (!vhdx_item_read(img, r, &items[VHDX_ITEM_FILE_PARAMETERS], v, 8, error))
        return FALSE;
    block_size = conv_le32(v);
    *flags = conv_le32(v + 4);
    if (block_size < VHDX_MIN_BLOCK_SIZE || block_size > VHDX_MAX_BLOCK_SIZE ||
        (block_size & (block_size - 1)) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx file_parameters: block_size %u is not a power "
                    "of two from 1 MiB to 256 MiB", img->path, block_size);
        return FALSE;
    }
    priv->block_size = block_size;
    priv->has_parent = (*flags >> 1) & 1;

    if (!vhdx_item_read(img, r, &items[VHDX_ITEM_LOGICAL_SECTOR_SIZE], v, 4,
                        error))
        return FALSE;
    lss = conv_le32(v);
    if (lss != 512 && lss != 4096) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx logical_sector_size %u is not 512 or 4096",
                    img->path, lss);
        return FALSE;
    }
    priv->logical_sector_size = lss;
    if (!vhdx_item_read(img, r, &items[VHDX_ITEM_PHYSICAL_SECTOR_SIZE], v, 4,
                        error))
        return FALSE;
    pss = conv_le32(v);
    if (pss != 512 && pss != 4096) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx physical_sector_size %u is not 512 or 4096",
                    img->path, pss);
        return FALSE;
    }

    if (!vhdx_item_read(img, r, &items[VHDX_ITEM_VIRTUAL_DISK_SIZE], v, 8,
                        error))
        return FALSE;
    size = conv_le64(v);
    if (size > VHDX_MAX_VIRTUAL_SIZE || size % lss != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx virtual_disk_size %" G_GUINT64_FORMAT " is not "
                    "a multiple of logical_sector_size %u up to 64 TiB",
                    img->path, size, lss);
        return FALSE;
    }
    img->size = size;
    return TRUE;
}

/* The BAT entries the disk needs (2.5) against the BAT region's length. */
static gboolean
vhdx_metadata_check_bat(ConvImage *img, VhdxPriv *priv, const VhdxRegions *r,
                        GError **error)
{
    guint64 payload_blocks;
    guint32 block_size = priv->block_size;
    guint32 lss = priv->logical_sector_size;
    guint64 size = img->size;

    /* 2.5: chunk_ratio = 2^23 * logical_sector_size / block_size, at
     * least 16 with the limits above. */
    priv->chunk_ratio = VHDX_SECTORS_PER_BITMAP_BLOCK * lss / block_size;
    payload_blocks = (size + block_size - 1) / block_size;
    if (priv->has_parent) {
        guint64 bitmap_blocks = (payload_blocks + priv->chunk_ratio - 1) /
                                priv->chunk_ratio;

        priv->bat_entries = bitmap_blocks * (priv->chunk_ratio + 1);
    } else {
        priv->bat_entries = payload_blocks == 0 ? 0 :
            payload_blocks + (payload_blocks - 1) / priv->chunk_ratio;
    }
    if (priv->bat_entries > r->bat_length / 8) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx BAT region: %" G_GUINT64_FORMAT " bytes hold "
                    "fewer than the %" G_GUINT64_FORMAT " entries the disk "
                    "needs", img->path, r->bat_length, priv->bat_entries);
        return FALSE;
    }
    priv->bat_offset = r->bat_offset;

    return TRUE;
}

/* A differencing disk's parent_locator item, into img->backing_name. */
static gboolean
vhdx_metadata_read_parent(ConvImage *img, const VhdxRegions *r,
                          const VhdxItem items[VHDX_ITEM_LAST], GError **error)
{
    const VhdxItem *pl = &items[VHDX_ITEM_PARENT_LOCATOR];
    g_autofree guint8 *buf = NULL;

    if (pl->length == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx file_parameters: has_parent is set but "
                    "there is no parent_locator item", img->path);
        return FALSE;
    }
    buf = g_malloc(pl->length);
    if (!vhdx_item_read(img, r, pl, buf, pl->length, error))
        return FALSE;
    img->backing_name = vhdx_parent_locator_decode(img, buf, pl->length,
                                                   error);
    if (!img->backing_name)
        return FALSE;
    img->backing_format = g_strdup("vhdx");
    return TRUE;
}

static gboolean
vhdx_metadata_read(ConvImage *img, VhdxPriv *priv, const VhdxRegions *r,
                   GError **error)
{
    VhdxItem items[VHDX_ITEM_LAST] = {
        { vhdx_guid_file_parameters, "file_parameters", 8, TRUE, 0, 0 },
        { vhdx_guid_virtual_disk_size, "virtual_disk_size", 8, TRUE, 0, 0 },
        { vhdx_guid_page83_data, "page_83_data", 16, TRUE, 0, 0 },
        { vhdx_guid_logical_sector_size, "logical_sector_size", 4, TRUE, 0, 0 },
        { vhdx_guid_physical_sector_size, "physical_sector_size", 4, TRUE, 0, 0 },
        { vhdx_guid_parent_locator, "parent_locator", 20, FALSE, 0, 0 },
    };
    guint32 flags = 0;

    if (!vhdx_metadata_table_read(img, r, items, error) ||
        !vhdx_metadata_read_sizes(img, priv, r, items, &flags, error) ||
        !vhdx_metadata_check_bat(img, priv, r, error))
        return FALSE;
    if (priv->has_parent && !vhdx_metadata_read_parent(img, r, items, error))
        return FALSE;
    img->detail = g_strdup_printf("subformat=%s block_size=%u "
                                  "logical_sector_size=%u",
                                  priv->has_parent ? "differencing" :
                                  (flags & 1) ? "fixed" : "dynamic",
                                  priv->block_size, priv->logical_sector_size);
    return TRUE;
}

static void
vhdx_priv_free(VhdxPriv *priv)
{
    if (!priv)
        return;
    g_mutex_clear(&priv->lock);
    g_free(priv->bat_chunk);
    g_free(priv->bitmap);
    g_free(priv);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VhdxPriv, vhdx_priv_free)

static gboolean
vhdx_open(ConvImage *img, GError **error)
{
    g_autoptr(VhdxPriv) priv = g_new0(VhdxPriv, 1);
    guint8 ident[8];
    VhdxHeader h;
    VhdxRegions r;

    g_mutex_init(&priv->lock);
    priv->bat_chunk_first = G_MAXUINT64;
    priv->bitmap_block = G_MAXUINT64;
    if (img->file_size < VHDX_MIB) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx file is %" G_GUINT64_FORMAT " bytes, smaller "
                    "than its 1 MiB of headers", img->path, img->file_size);
        return FALSE;
    }
    if (!conv_file_pread(img, ident, 8, 0, "vhdx file identifier", error))
        return FALSE;
    if (memcmp(ident, "vhdxfile", 8) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx file identifier: signature is not \"vhdxfile\"",
                    img->path);
        return FALSE;
    }
    if (!vhdx_headers_read(img, &h, error) ||
        !vhdx_log_check(img, &h, error) ||
        !vhdx_region_table_read(img, &h, &r, error) ||
        !vhdx_metadata_read(img, priv, &r, error))
        return FALSE;

    priv->bat_chunk = g_new(guint64, VHDX_BAT_CHUNK_ENTRIES);
    priv->bitmap = g_malloc(priv->block_size / priv->logical_sector_size / 8);
    img->priv = g_steal_pointer(&priv);
    return TRUE;
}

static void
vhdx_close(ConvImage *img)
{
    vhdx_priv_free(img->priv);
    img->priv = NULL;
}

const struct ferry_format vhdx_format = {
    .name = "vhdx",
    .probe = vhdx_probe,
    .open = vhdx_open,
    .block_status = vhdx_block_status,
    .pread = vhdx_pread,
    .close = vhdx_close,
};
