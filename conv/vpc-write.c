/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpc-write.c: the VHD writer's options, size and geometry rules, plan, and
 * the footer and dynamic header encoders ("Virtual Hard Disk Image Format
 * Specification" 1.0: "Hard Disk Footer Format", "Dynamic Disk Header
 * Format", "Appendix: CHS Calculation").  Emitting is in vpc-write-emit.c;
 * the layout is in vpc-write-priv.h.
 *
 * Options follow qemu-img's names: subformat (dynamic, the default, or
 * fixed) and force_size (on/off), plus ferry's azure (on/off): Azure takes
 * only fixed VHDs whose virtual size is a whole number of MiB, so azure=on
 * means subformat=fixed, the size rounded up to a whole MiB, and
 * force_size=on.  azure=on with subformat=dynamic or force_size=off is
 * refused rather than quietly producing a disk Azure would reject.
 *
 * The size: a VHD's size is read either from its CHS geometry or from
 * current_size, depending on the creator application (vpc.c,
 * vpc_footer_virtual_sectors()).  Without force_size, ferry does what
 * qemu-img does: it rounds the size up to the first one the geometry
 * describes exactly and writes creator "qemu", so every reader agrees on
 * the size.  With force_size the size stays exact (up to a whole sector),
 * the geometry is the spec's for that size, and the creator is "qem2",
 * which qemu (and ferry) read by current_size, as Hyper-V and Azure do.
 *
 * The output is reproducible: the same source gives the same bytes, so a
 * stream sent twice, or to a file and to a pipe, has one SHA-256.  So the
 * time stamp is the source's modification time rather than the time of
 * the conversion, and unique_id is derived from the source's identity
 * (device, inode, size and modification time of each file of its chain)
 * rather than drawn at random: a changed source gets a new id.
 */
#include <config.h>

#include <string.h>
#include <sys/stat.h>

#include "conv/vpc-write-priv.h"

static void
vpc_writer_free(void *data)
{
    VpcWriter *w = data;

    g_free(w->allocated);
    g_free(w);
}

/* ---- geometry and size ------------------------------------------------- */

void
vpc_geometry_from_sectors(guint64 sectors, VpcGeometry *geo)
{
    guint64 spt, heads, cth;

    if (sectors > VPC_MAX_GEOMETRY_SECTORS)
        sectors = VPC_MAX_GEOMETRY_SECTORS;
    if (sectors >= 65535ULL * 16 * 63) {
        spt = 255;
        heads = 16;
        cth = sectors / spt;
    } else {
        spt = 17;
        cth = sectors / spt;
        heads = (cth + 1023) / 1024;
        if (heads < 4)
            heads = 4;
        if (cth >= heads * 1024 || heads > 16) {
            spt = 31;
            heads = 16;
            cth = sectors / spt;
        }
        if (cth >= heads * 1024) {
            spt = 63;
            heads = 16;
            cth = sectors / spt;
        }
    }
    geo->cylinders = (guint16)(cth / heads);
    geo->heads = (guint8)heads;
    geo->sectors_per_track = (guint8)spt;
}

guint64
vpc_geometry_sectors(const VpcGeometry *geo)
{
    return (guint64)geo->cylinders * geo->heads * geo->sectors_per_track;
}

gboolean
vpc_write_size(guint64 src_size, gboolean force_size, gboolean azure,
               guint64 *size, VpcGeometry *geo, GError **error)
{
    guint64 bytes = src_size;
    guint64 sectors;

    if (azure) {
        bytes = (bytes + VPC_WRITE_AZURE_ALIGN - 1) & ~(VPC_WRITE_AZURE_ALIGN - 1);
        force_size = TRUE;
    }
    /* A partial last sector is kept (qemu-img truncates it away when it
     * creates the image, then rounds up by geometry; same result). */
    sectors = conv_div_round_up(bytes, VPC_SECTOR_SIZE);
    if (sectors > VPC_MAX_SECTORS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-O vpc: the disk is %" G_GUINT64_FORMAT " bytes%s, more "
                    "than the %llu bytes (2040 GiB) a VHD can hold", bytes,
                    azure ? " (rounded up to a whole MiB for -o azure=on)" : "",
                    VPC_MAX_SECTORS * VPC_SECTOR_SIZE);
        return FALSE;
    }
    if (force_size) {
        vpc_geometry_from_sectors(sectors, geo);
    } else {
        guint64 want = MIN(sectors, VPC_MAX_GEOMETRY_SECTORS);
        guint64 i;

        /* qemu-img's rule: the geometry of the first sector count from
         * here up whose CHS product covers the disk (or the maximum
         * geometry).  The granularity is at most 16 * 255 sectors, so this
         * ends within 4080 steps. */
        memset(geo, 0, sizeof(*geo));
        for (i = 0; vpc_geometry_sectors(geo) < want; i++)
            vpc_geometry_from_sectors(want + i, geo);
        /* At the maximum geometry every reader takes current_size. */
        if (vpc_geometry_sectors(geo) != VPC_MAX_GEOMETRY_SECTORS)
            sectors = vpc_geometry_sectors(geo);
    }
    *size = sectors * VPC_SECTOR_SIZE;
    return TRUE;
}

/* ---- footer and header ------------------------------------------------- */

void
vpc_write_footer(const VpcWriter *w, guint8 *buf)
{
    memset(buf, 0, VPC_FOOTER_SIZE);
    memcpy(buf, "conectix", 8);
    /* features: bit 1 is "reserved", and the spec says it is always set. */
    conv_put_be32(buf + 8, 0x00000002);
    conv_put_be32(buf + 12, 0x00010000);             /* file_format_version */
    conv_put_be64(buf + 16, w->disk_type == VPC_TYPE_FIXED ?
                            G_MAXUINT64 : VPC_FOOTER_SIZE);
    conv_put_be32(buf + 24, w->time_stamp);
    /* The creator application decides how readers size the disk. */
    memcpy(buf + 28, w->force_size ? "qem2" : "qemu", 4);
    conv_put_be32(buf + 32, 0x00050003);             /* as qemu-img: VPC 2007 */
    memcpy(buf + 36, "Wi2k", 4);                     /* creator_host_os */
    conv_put_be64(buf + 40, w->size);                /* original_size */
    conv_put_be64(buf + 48, w->size);                /* current_size */
    conv_put_be16(buf + 56, w->geometry.cylinders);
    buf[58] = w->geometry.heads;
    buf[59] = w->geometry.sectors_per_track;
    conv_put_be32(buf + 60, w->disk_type);
    memcpy(buf + 68, w->unique_id, sizeof(w->unique_id));
    /* 84 saved_state: 0; 85-511 reserved: zeros */
    conv_put_be32(buf + 64, vpc_checksum(buf, VPC_FOOTER_SIZE, 64));
}

void
vpc_write_dynamic_header(const VpcWriter *w, guint8 *buf)
{
    memset(buf, 0, VPC_DYNAMIC_HEADER_SIZE);
    memcpy(buf, "cxsparse", 8);
    /* data_offset is unused; the spec says 0xFFFFFFFF but Microsoft's
     * tools expect all 64 bits set, and qemu writes that. */
    conv_put_be64(buf + 8, G_MAXUINT64);
    conv_put_be64(buf + 16, VPC_FOOTER_SIZE + VPC_DYNAMIC_HEADER_SIZE);
    conv_put_be32(buf + 24, 0x00010000);             /* header_version */
    conv_put_be32(buf + 28, w->n_blocks);            /* max_table_entries */
    conv_put_be32(buf + 32, VPC_WRITE_BLOCK_SIZE);
    /* 40 parent_unique_id ... 768 parent locators: none, all zeros */
    conv_put_be32(buf + 36, vpc_checksum(buf, VPC_DYNAMIC_HEADER_SIZE, 36));
}

/* ---- options ----------------------------------------------------------- */

static gboolean
vpc_write_parse_bool(const char *key, const char *text, gboolean *value,
                     GError **error)
{
    if (g_str_equal(text, "on") || g_str_equal(text, "yes") ||
        g_str_equal(text, "true")) {
        *value = TRUE;
        return TRUE;
    }
    if (g_str_equal(text, "off") || g_str_equal(text, "no") ||
        g_str_equal(text, "false")) {
        *value = FALSE;
        return TRUE;
    }
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "-o %s=%s: expected on or off", key, text);
    return FALSE;
}

static gboolean
vpc_write_options(ConvOutput *out, VpcWriter *w, GError **error)
{
    g_autofree char *subformat = conv_output_take_option(out, "subformat");
    g_autofree char *force = conv_output_take_option(out, "force_size");
    g_autofree char *azure = conv_output_take_option(out, "azure");
    gboolean force_size = FALSE;

    if (out->opts->compress) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-c: the vpc output format cannot be compressed");
        return FALSE;
    }
    if (azure && !vpc_write_parse_bool("azure", azure, &w->azure, error))
        return FALSE;
    if (force && !vpc_write_parse_bool("force_size", force, &force_size, error))
        return FALSE;
    w->disk_type = w->azure ? VPC_TYPE_FIXED : VPC_TYPE_DYNAMIC;
    if (subformat) {
        if (g_str_equal(subformat, "fixed")) {
            w->disk_type = VPC_TYPE_FIXED;
        } else if (g_str_equal(subformat, "dynamic")) {
            w->disk_type = VPC_TYPE_DYNAMIC;
        } else {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o subformat=%s: expected fixed or dynamic", subformat);
            return FALSE;
        }
    }
    if (w->azure && w->disk_type != VPC_TYPE_FIXED) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-o azure=%s: Azure takes only fixed VHDs, not "
                    "subformat=%s", azure, subformat);
        return FALSE;
    }
    if (w->azure && force && !force_size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-o azure=%s: Azure needs the exact size in the footer, "
                    "not force_size=%s", azure, force);
        return FALSE;
    }
    w->force_size = force_size || w->azure;
    return TRUE;
}

/* Reproducible time stamp and unique_id (see the top of this file). */
static void
vpc_write_identity(ConvOutput *out, VpcWriter *w)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize len = sizeof(digest);
    gint64 mtime = 0;
    ConvImage *img;

    g_checksum_update(sum, (const guchar *)"ferry vpc unique_id", -1);
    for (img = out->src; img; img = conv_image_get_backing(img)) {
        struct stat st;
        gint64 fields[5] = { 0 };

        if (fstat(img->fd, &st) == 0) {
            fields[0] = (gint64)st.st_dev;
            fields[1] = (gint64)st.st_ino;
            fields[2] = (gint64)st.st_size;
            fields[3] = (gint64)st.st_mtim.tv_sec;
            fields[4] = (gint64)st.st_mtim.tv_nsec;
            if (img == out->src)
                mtime = st.st_mtim.tv_sec;
        }
        g_checksum_update(sum, (const guchar *)fields, sizeof(fields));
    }
    g_checksum_update(sum, (const guchar *)&w->disk_type, sizeof(w->disk_type));
    g_checksum_update(sum, (const guchar *)&w->size, sizeof(w->size));
    g_checksum_get_digest(sum, digest, &len);
    memcpy(w->unique_id, digest, sizeof(w->unique_id));
    /* An RFC 9562 version 8 (custom) UUID. */
    w->unique_id[6] = (w->unique_id[6] & 0x0f) | 0x80;
    w->unique_id[8] = (w->unique_id[8] & 0x3f) | 0x80;
    w->time_stamp = (guint32)CLAMP(mtime - VPC_WRITE_TIME_BASE, 0, G_MAXUINT32);
}

/* ---- plan ---------------------------------------------------------------- */

/* Marks every block that holds data, from one walk of the allocation map. */
static gboolean
vpc_write_plan_blocks(ConvOutput *out, VpcWriter *w, GError **error)
{
    guint64 n_blocks = conv_div_round_up(w->size, VPC_WRITE_BLOCK_SIZE);
    guint64 last_bitmap;
    ConvMapIter it;
    gboolean ok = TRUE;

    /* The size is at most VPC_MAX_SECTORS, so 2^20 blocks at most. */
    g_assert(n_blocks <= VPC_MAX_BAT_ENTRIES);
    w->n_blocks = (guint32)n_blocks;
    w->bat_bytes = (n_blocks * 4 + VPC_SECTOR_SIZE - 1) & ~(guint64)(VPC_SECTOR_SIZE - 1);
    w->allocated = g_malloc0(n_blocks / 8 + 1);

    conv_map_iter_init(&it, out->src, 0, out->size);
    for (;;) {
        ConvExtent e;
        guint64 b, first, last;

        ok = conv_map_iter_next(&it, &e, error);
        if (!ok || e.length == 0)
            break;
        if (e.kind != CONV_EXTENT_DATA)
            continue;
        first = e.start / VPC_WRITE_BLOCK_SIZE;
        last = (e.start + e.length - 1) / VPC_WRITE_BLOCK_SIZE;
        for (b = first; b <= last; b++) {
            if (!vpc_write_block_allocated(w, b)) {
                w->allocated[b / 8] |= 1u << (b % 8);
                w->n_allocated++;
            }
        }
    }
    conv_map_iter_clear(&it);
    if (!ok)
        return FALSE;

    /* BAT entries are 32-bit sector numbers: the last bitmap must fit. */
    last_bitmap = vpc_write_data_start(w) / VPC_SECTOR_SIZE +
                  (guint64)MAX(w->n_allocated, 1) *
                  ((VPC_WRITE_BITMAP_SIZE + VPC_WRITE_BLOCK_SIZE) / VPC_SECTOR_SIZE);
    if (last_bitmap >= VPC_BAT_UNALLOCATED) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-O vpc: %u blocks of data do not fit in a dynamic VHD "
                    "(BAT entries are 32-bit sector numbers); use "
                    "subformat=fixed", w->n_allocated);
        return FALSE;
    }
    return TRUE;
}

static gboolean
vpc_write_plan(ConvOutput *out, GError **error)
{
    VpcWriter *w = g_new0(VpcWriter, 1);

    out->priv = w;
    out->priv_free = vpc_writer_free;
    if (!vpc_write_options(out, w, error))
        return FALSE;
    if (!vpc_write_size(out->size, w->force_size, w->azure, &w->size,
                        &w->geometry, error))
        return FALSE;
    vpc_write_identity(out, w);
    if (w->disk_type == VPC_TYPE_FIXED) {
        out->planned_size = w->size + VPC_FOOTER_SIZE;
        return TRUE;
    }
    if (!vpc_write_plan_blocks(out, w, error))
        return FALSE;
    out->planned_size = vpc_write_data_start(w) +
                        (guint64)w->n_allocated *
                        (VPC_WRITE_BITMAP_SIZE + VPC_WRITE_BLOCK_SIZE) +
                        VPC_FOOTER_SIZE;
    return TRUE;
}

const struct ferry_format vpc_writer = {
    .name = "vpc",
    .plan = vpc_write_plan,
    .emit = vpc_write_emit,
};

/* ---- for providers ------------------------------------------------------- */

char *
conv_vpc_azure_options(const char *options)
{
    g_auto(GStrv) parts = NULL;
    gsize i;

    if (!options || !*options)
        return g_strdup("azure=on");
    parts = g_strsplit(options, ",", -1);
    for (i = 0; parts[i]; i++) {
        if (g_str_equal(parts[i], "azure") ||
            g_str_has_prefix(parts[i], "azure="))
            return g_strdup(options);          /* the caller decided */
    }
    return g_strconcat(options, ",azure=on", NULL);
}
