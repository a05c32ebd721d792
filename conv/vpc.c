/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpc.c: VHD images (qemu's name "vpc"): probe, footer, dynamic disk header
 * and parent locators.  The on-disk layout is summed up in vpc-priv.h; block
 * status and reads live in vpc-read.c.
 *
 * Follows the "Virtual Hard Disk Image Format Specification" 1.0: sections
 * "Hard Disk Footer Format", "Dynamic Disk Header Format" and "Splitting
 * Hard Disk Images" (parent locators), and matches qemu's block/vpc.c where
 * the spec leaves room: the virtual size comes from the CHS geometry or from
 * current_size depending on the creator application, and a file that does
 * not start with the footer copy is a fixed disk (so it probes as raw).
 */
#include <config.h>

#include <string.h>

#include "conv/vpc-priv.h"

static int
vpc_probe(const guint8 *head, gsize len)
{
    /* Dynamic and differencing disks start with the footer copy; a fixed
     * disk has nothing at the start and probes as raw, as in qemu. */
    if (len >= 8 && memcmp(head, "conectix", 8) == 0)
        return 100;
    return 0;
}

/* The footer's checksum: one's complement of the sum of its bytes, with
 * the checksum field itself (bytes 64-67) counted as zero.  The writer
 * (vpc-write.c) signs its footer and header with it too. */
guint32
vpc_checksum(const guint8 *buf, gsize len, gsize checksum_at)
{
    guint32 sum = 0;
    gsize i;

    for (i = 0; i < len; i++) {
        if (i >= checksum_at && i < checksum_at + 4)
            continue;
        sum += buf[i];
    }
    return ~sum;
}

/* Decodes and checks a footer read from @where ("footer" or "footer copy
 * at offset 0"). */
static gboolean
vpc_footer_decode(ConvImage *img, const guint8 *buf, const char *where,
                  VpcFooter *f, GError **error)
{
    guint32 stored = conv_be32(buf + 64);
    guint32 computed = vpc_checksum(buf, VPC_FOOTER_SIZE, 64);

    if (memcmp(buf, "conectix", 8) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc %s: cookie is not \"conectix\"", img->path, where);
        return FALSE;
    }
    if (stored != computed) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc %s: checksum 0x%08x does not match the computed "
                    "0x%08x", img->path, where, stored, computed);
        return FALSE;
    }
    f->data_offset = conv_be64(buf + 16);
    memcpy(f->creator_app, buf + 28, 4);
    f->current_size = conv_be64(buf + 48);
    f->cylinders = conv_be16(buf + 56);
    f->heads = buf[58];
    f->sectors_per_track = buf[59];
    f->disk_type = conv_be32(buf + 60);
    return TRUE;
}

/*
 * The virtual size, exactly as qemu's vpc_open() computes it.  Virtual PC
 * sizes a disk by its CHS geometry, Hyper-V and others by current_size; qemu
 * picks by creator application, and takes current_size whenever the
 * geometry is the maximum (the size would not fit in CHS).  The writer
 * picks its creator application by this same rule.
 */
guint64
vpc_footer_virtual_sectors(const VpcFooter *f)
{
    static const char current_size_creators[][4] = {
        { 'w', 'i', 'n', ' ' },     /* Hyper-V */
        { 'q', 'e', 'm', '2' },     /* qemu with force_size=on */
        { 'd', '2', 'v', ' ' },     /* Disk2vhd */
        { 'C', 'T', 'X', 'S' },     /* XenConverter */
        { 't', 'a', 'p', '\0' },    /* XenServer */
    };
    guint64 sectors = (guint64)f->cylinders * f->heads * f->sectors_per_track;
    gboolean use_chs = TRUE;
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(current_size_creators); i++) {
        if (memcmp(f->creator_app, current_size_creators[i], 4) == 0)
            use_chs = FALSE;
    }
    if (!use_chs || sectors == VPC_MAX_GEOMETRY_SECTORS)
        sectors = f->current_size / VPC_SECTOR_SIZE;
    return sectors;
}

/* Converts @n_units UTF-16 code units at @p (big- or little-endian), up to
 * the first NUL, to UTF-8.  NULL with @error set when not valid UTF-16. */
static char *
vpc_utf16_to_utf8(ConvImage *img, const guint8 *p, gsize n_units,
                  gboolean big_endian, const char *field, GError **error)
{
    g_autofree gunichar2 *units = g_new(gunichar2, n_units + 1);
    g_autoptr(GError) local = NULL;
    gsize n = 0;
    char *out;

    while (n < n_units) {
        gunichar2 u = big_endian ? conv_be16(p + 2 * n) : conv_le16(p + 2 * n);

        if (u == 0)
            break;
        units[n++] = u;
    }
    units[n] = 0;
    out = g_utf16_to_utf8(units, (glong)n, NULL, NULL, &local);
    if (!out) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc dynamic header: %s is not valid UTF-16: %s",
                    img->path, field, local->message);
        return NULL;
    }
    return out;
}

/* A MacX locator is a UTF-8 file URL: "file://localhost/Users/a/b.vhd" or
 * "file:///Users/a/b.vhd".  Returns the path, or NULL if not a file URL. */
static char *
vpc_macx_to_path(const char *url)
{
    const char *p;

    if (!g_str_has_prefix(url, "file://"))
        return NULL;
    p = url + strlen("file://");
    if (g_str_has_prefix(p, "localhost/"))
        p += strlen("localhost");
    if (*p != '/')
        return NULL;
    return g_uri_unescape_string(p, NULL);
}

#define VPC_PLATFORM_W2RU 0x57327275u   /* "W2ru": relative Windows path */
#define VPC_PLATFORM_W2KU 0x57326B75u   /* "W2ku": absolute Windows path */
#define VPC_PLATFORM_MACX 0x4D616358u   /* "MacX": file URL, UTF-8 */

/*
 * Picks the parent's name for a differencing disk: the relative Windows
 * path (W2ru) first, then a Mac file URL (MacX), then the file name from
 * parent_unicode_name, then the file name of the absolute Windows path
 * (W2ku), whose drive letter means nothing on this host.
 */
static gboolean
vpc_parent_decode(ConvImage *img, const guint8 *hdr, GError **error)
{
    g_autofree char *name = NULL;
    g_autofree char *w2ru = NULL;
    g_autofree char *w2ku = NULL;
    g_autofree char *macx = NULL;
    int i;

    name = vpc_utf16_to_utf8(img, hdr + 64, 256, TRUE, "parent_unicode_name",
                             error);
    if (!name)
        return FALSE;
    for (i = 0; i < 8; i++) {
        const guint8 *e = hdr + 576 + 24 * i;
        guint32 code = conv_be32(e);
        guint32 length = conv_be32(e + 8);
        guint64 offset = conv_be64(e + 16);
        g_autofree guint8 *data = NULL;
        g_autofree char *field = NULL;
        char **slot;

        if (code == VPC_PLATFORM_W2RU)
            slot = &w2ru;
        else if (code == VPC_PLATFORM_W2KU)
            slot = &w2ku;
        else if (code == VPC_PLATFORM_MACX)
            slot = &macx;
        else
            continue;       /* none, or a platform this host cannot use */
        if (*slot || length == 0)
            continue;
        field = g_strdup_printf("parent_locator_entry[%d]", i);
        if (length > VPC_MAX_LOCATOR_BYTES) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vpc dynamic header: %s platform_data_length %u is "
                        "larger than %u bytes", img->path, field, length,
                        VPC_MAX_LOCATOR_BYTES);
            return FALSE;
        }
        if (offset > img->file_size || length > img->file_size - offset) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vpc dynamic header: %s platform_data_offset %"
                        G_GUINT64_FORMAT " (%u bytes) is past end of file (%"
                        G_GUINT64_FORMAT " bytes)", img->path, field, offset,
                        length, img->file_size);
            return FALSE;
        }
        data = g_malloc(length + 1);
        if (!conv_file_pread(img, data, length, offset, field, error))
            return FALSE;
        data[length] = 0;
        if (code == VPC_PLATFORM_MACX) {
            if (!g_utf8_validate((const char *)data, -1, NULL)) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "%s: vpc dynamic header: %s MacX data is not "
                            "valid UTF-8", img->path, field);
                return FALSE;
            }
            *slot = vpc_macx_to_path((const char *)data);
        } else {
            *slot = vpc_utf16_to_utf8(img, data, length / 2, FALSE, field,
                                      error);
            if (!*slot)
                return FALSE;
        }
        if (*slot && !**slot)
            g_clear_pointer(slot, g_free);
    }

    if (w2ru)
        img->backing_name = conv_windows_path_to_posix(w2ru, FALSE);
    else if (macx)
        img->backing_name = g_strdup(macx);
    else if (*name)
        img->backing_name = conv_windows_path_to_posix(name, TRUE);
    else if (w2ku)
        img->backing_name = conv_windows_path_to_posix(w2ku, TRUE);
    if (!img->backing_name || !*img->backing_name) {
        g_clear_pointer(&img->backing_name, g_free);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc dynamic header: differencing disk names no "
                    "parent (parent_unicode_name and parent locators are "
                    "empty)", img->path);
        return FALSE;
    }
    img->backing_format = g_strdup("vpc");
    return TRUE;
}

static gboolean
vpc_dynamic_header_decode(ConvImage *img, VpcPriv *priv, const VpcFooter *f,
                          GError **error)
{
    guint8 hdr[VPC_DYNAMIC_HEADER_SIZE];
    guint32 stored, computed, block_size, entries;
    guint64 table_offset;

    /* The dynamic header follows the footer copy; it may not overlap it. */
    if (f->data_offset < VPC_FOOTER_SIZE ||
        f->data_offset > img->file_size ||
        img->file_size - f->data_offset < VPC_DYNAMIC_HEADER_SIZE) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc footer: data_offset %" G_GUINT64_FORMAT
                    " is outside the file (%" G_GUINT64_FORMAT " bytes)",
                    img->path, f->data_offset, img->file_size);
        return FALSE;
    }
    if (!conv_file_pread(img, hdr, sizeof(hdr), f->data_offset,
                         "vpc dynamic header", error))
        return FALSE;
    if (memcmp(hdr, "cxsparse", 8) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc dynamic header: cookie is not \"cxsparse\"",
                    img->path);
        return FALSE;
    }
    stored = conv_be32(hdr + 36);
    computed = vpc_checksum(hdr, sizeof(hdr), 36);
    if (stored != computed) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc dynamic header: checksum 0x%08x does not match "
                    "the computed 0x%08x", img->path, stored, computed);
        return FALSE;
    }

    block_size = conv_be32(hdr + 32);
    if (block_size < VPC_MIN_BLOCK_SIZE || block_size > VPC_MAX_BLOCK_SIZE ||
        (block_size & (block_size - 1)) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc dynamic header: block_size %u is not a power of "
                    "two from %u to %u", img->path, block_size,
                    VPC_MIN_BLOCK_SIZE, VPC_MAX_BLOCK_SIZE);
        return FALSE;
    }
    entries = conv_be32(hdr + 28);
    if (entries > VPC_MAX_BAT_ENTRIES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc dynamic header: max_table_entries %u is larger "
                    "than %u", img->path, entries, VPC_MAX_BAT_ENTRIES);
        return FALSE;
    }
    /* Every block of the virtual disk needs an entry (qemu: "Page table too
     * small"). */
    if ((guint64)entries * block_size < img->size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc dynamic header: max_table_entries %u of %u bytes "
                    "do not cover the virtual size (%" G_GUINT64_FORMAT
                    " bytes)", img->path, entries, block_size, img->size);
        return FALSE;
    }
    table_offset = conv_be64(hdr + 16);
    if (table_offset > img->file_size ||
        (guint64)entries * 4 > img->file_size - table_offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc dynamic header: table_offset %" G_GUINT64_FORMAT
                    " with %u entries is past end of file (%" G_GUINT64_FORMAT
                    " bytes)", img->path, table_offset, entries,
                    img->file_size);
        return FALSE;
    }
    priv->block_size = block_size;
    priv->bitmap_size = ((block_size / VPC_SECTOR_SIZE / 8) + 511) & ~511u;
    priv->max_table_entries = entries;
    priv->table_offset = table_offset;

    if (priv->disk_type == VPC_TYPE_DIFFERENCING)
        return vpc_parent_decode(img, hdr, error);
    return TRUE;
}

static void
vpc_priv_free(VpcPriv *priv)
{
    if (!priv)
        return;
    g_mutex_clear(&priv->lock);
    g_free(priv->bat_chunk);
    g_free(priv->bitmap);
    g_free(priv);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VpcPriv, vpc_priv_free)

static const char *
vpc_disk_type_name(guint32 type)
{
    switch (type) {
    case VPC_TYPE_FIXED: return "fixed";
    case VPC_TYPE_DYNAMIC: return "dynamic";
    case VPC_TYPE_DIFFERENCING: return "differencing";
    }
    return "unknown";
}

static gboolean
vpc_open(ConvImage *img, GError **error)
{
    g_autoptr(VpcPriv) priv = g_new0(VpcPriv, 1);
    guint8 buf[VPC_FOOTER_SIZE];
    VpcFooter f;
    guint64 sectors;

    g_mutex_init(&priv->lock);
    priv->bat_chunk_first = G_MAXUINT64;
    priv->bitmap_block = G_MAXUINT64;
    if (img->file_size < VPC_FOOTER_SIZE) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc footer: file is too small (%" G_GUINT64_FORMAT
                    " bytes) to hold one", img->path, img->file_size);
        return FALSE;
    }
    if (!conv_file_pread(img, buf, sizeof(buf), 0, "vpc footer copy", error))
        return FALSE;
    if (memcmp(buf, "conectix", 8) == 0) {
        /* Dynamic or differencing: qemu trusts the copy at offset 0. */
        if (!vpc_footer_decode(img, buf, "footer copy", &f, error))
            return FALSE;
        if (f.disk_type != VPC_TYPE_DYNAMIC &&
            f.disk_type != VPC_TYPE_DIFFERENCING) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vpc footer copy: disk_type %u is not dynamic (3) "
                        "or differencing (4)", img->path, f.disk_type);
            return FALSE;
        }
    } else {
        if (!conv_file_pread(img, buf, sizeof(buf),
                             img->file_size - VPC_FOOTER_SIZE, "vpc footer",
                             error))
            return FALSE;
        if (!vpc_footer_decode(img, buf, "footer", &f, error))
            return FALSE;
        if (f.disk_type != VPC_TYPE_FIXED) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vpc footer: disk_type %u is not fixed (2), and "
                        "there is no footer copy at offset 0", img->path,
                        f.disk_type);
            return FALSE;
        }
    }
    priv->disk_type = f.disk_type;

    sectors = vpc_footer_virtual_sectors(&f);
    if (sectors > VPC_MAX_SECTORS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: vpc footer: virtual size of %" G_GUINT64_FORMAT
                    " sectors is larger than %llu sectors (2040 GiB)",
                    img->path, sectors, VPC_MAX_SECTORS);
        return FALSE;
    }
    img->size = sectors * VPC_SECTOR_SIZE;

    if (priv->disk_type == VPC_TYPE_FIXED) {
        if (img->size > img->file_size - VPC_FOOTER_SIZE) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vpc footer: current_size %" G_GUINT64_FORMAT
                        " is larger than the data before the footer (%"
                        G_GUINT64_FORMAT " bytes)", img->path, img->size,
                        img->file_size - VPC_FOOTER_SIZE);
            return FALSE;
        }
    } else {
        if (!vpc_dynamic_header_decode(img, priv, &f, error))
            return FALSE;
        priv->bat_chunk = g_new(guint32, VPC_BAT_CHUNK_ENTRIES);
        priv->bitmap = g_malloc(priv->bitmap_size);
    }
    img->detail = g_strdup_printf("subformat=%s",
                                  vpc_disk_type_name(priv->disk_type));
    if (priv->disk_type == VPC_TYPE_FIXED) {
        img->priv = g_steal_pointer(&priv);
        return TRUE;
    }
    /* vpc_bat_scan() works on img; on failure priv goes back to be freed
     * here, since close() is not called after a failed open(). */
    img->priv = g_steal_pointer(&priv);
    if (!vpc_bat_scan(img, error)) {
        priv = g_steal_pointer(&img->priv);
        return FALSE;
    }
    return TRUE;
}

static void
vpc_close(ConvImage *img)
{
    vpc_priv_free(img->priv);
    img->priv = NULL;
}

const struct ferry_format vpc_format = {
    .name = "vpc",
    .probe = vpc_probe,
    .open = vpc_open,
    .block_status = vpc_block_status,
    .pread = vpc_pread,
    .close = vpc_close,
};
