/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmdk-write.c: the VMDK writer's options, plan, header and descriptor
 * (VMware "Virtual Disk Format 5.0": "Hosted Sparse Extent Header", "The
 * Descriptor File", "Stream-Optimized Compressed Sparse Extents").  The two
 * layouts are emitted by vmdk-write-sparse.c and vmdk-write-stream.c.
 *
 * Options follow qemu-img's names and defaults:
 *   subformat     monolithicSparse (default) | streamOptimized; the
 *                 multi-file subformats (monolithicFlat, twoGbMaxExtent*)
 *                 are refused: one output stream holds one file
 *   adapter_type  ide (default) | buslogic | lsilogic | legacyESX
 *   hwversion     ddb.virtualHWVersion, a decimal number (default 4)
 *   toolsversion  ddb.toolsVersion, a decimal number up to 2147483647
 *                 (default 2147483647, as qemu-img and ovftool)
 * -c is accepted for streamOptimized, whose grains are always compressed.
 *
 * Header as written (little-endian, 512 bytes):
 *                    monolithicSparse        streamOptimized
 *   version          1                       3
 *   flags            NL test | redundant GD  NL test | compressed | markers
 *   capacity         virtual size in sectors, rounded up
 *   grainSize        128 (64 KiB)
 *   descriptor       sectors 1-20            sectors 1-20
 *   numGTEsPerGT     512
 *   rgdOffset        21                      0
 *   gdOffset         after the RGD and RGTs  "at end" (the footer has it)
 *   overHead         first grain, a multiple of 128 sectors
 *   compressAlgo     0                       1 (deflate, zlib streams)
 */
#include <config.h>

#include <string.h>
#include <zlib.h>

#include "conv/vmdk-write-priv.h"

/* qemu-img's adapter types; VMware's geometry has 16 heads for IDE and
 * 255 for SCSI controllers. */
static const struct {
    const char *name;
    guint heads;
} vmdk_write_adapters[] = {
    { "ide", 16 },
    { "buslogic", 255 },
    { "lsilogic", 255 },
    { "legacyESX", 255 },
};

static void
vmdk_writer_free(void *data)
{
    VmdkWriter *w = data;

    g_free(w->hwversion);
    g_free(w->toolsversion);
    g_free(w->extent_name);
    g_free(w->gd);
    g_free(w->gt);
    if (w->error)
        g_error_free(w->error);
    g_free(w);
}

void
vmdk_write_header(const VmdkWriter *w, guint64 gd_offset, guint8 *buf)
{
    gboolean stream = w->subformat == VMDK_SUBFORMAT_STREAM_OPTIMIZED;
    guint32 flags = VMDK4_FLAG_NL_DETECT;

    if (stream)
        flags |= VMDK4_FLAG_COMPRESS | VMDK4_FLAG_MARKER;
    else
        flags |= VMDK4_FLAG_RGD;
    memset(buf, 0, VMDK_SECTOR);
    memcpy(buf, VMDK4_MAGIC, 4);
    /* Version 3 is what VMware writes for streams (qemu too); readers
     * treat it as 1. */
    conv_put_le32(buf + 4, stream ? 3 : 1);
    conv_put_le32(buf + 8, flags);
    conv_put_le64(buf + 12, w->capacity);
    conv_put_le64(buf + 20, VMDK_WRITE_GRAIN_SECTORS);
    conv_put_le64(buf + 28, VMDK_WRITE_DESC_OFFSET);
    conv_put_le64(buf + 36, VMDK_WRITE_DESC_SECTORS);
    conv_put_le32(buf + 44, VMDK_WRITE_GTES_PER_GT);
    conv_put_le64(buf + 48, stream ? 0 : w->rgd_offset);
    conv_put_le64(buf + 56, gd_offset);
    conv_put_le64(buf + 64, w->overhead);
    /* 72 uncleanShutdown: 0.  The newline test characters let a reader
     * see a file damaged by a text-mode transfer. */
    buf[73] = '\n';
    buf[74] = ' ';
    buf[75] = '\r';
    buf[76] = '\n';
    conv_put_le16(buf + 77, stream ? VMDK4_COMPRESSION_DEFLATE
                                   : VMDK4_COMPRESSION_NONE);
}

void
vmdk_write_marker(guint8 *buf, guint64 val, guint32 type)
{
    /* Spec: a metadata marker is a whole sector: val (the sectors of
     * metadata that follow), size 0, type, then zeros.  The end-of-stream
     * marker is a sector of zeros (val 0, type 0). */
    memset(buf, 0, VMDK_SECTOR);
    conv_put_le64(buf, val);
    conv_put_le32(buf + 12, type);
}

guint8 *
vmdk_write_descriptor(const VmdkWriter *w, gsize *len)
{
    gsize room = VMDK_WRITE_DESC_SECTORS * VMDK_SECTOR;
    g_autofree char *text = NULL;
    guint8 *buf;
    gsize n;

    text = g_strdup_printf(
        "# Disk DescriptorFile\n"
        "version=1\n"
        "CID=%08x\n"
        "parentCID=ffffffff\n"
        "createType=\"%s\"\n"
        "\n"
        "# Extent description\n"
        "RW %" G_GUINT64_FORMAT " SPARSE \"%s\"\n"
        "\n"
        "# The Disk Data Base\n"
        "#DDB\n"
        "\n"
        "ddb.virtualHWVersion = \"%s\"\n"
        "ddb.geometry.cylinders = \"%" G_GUINT64_FORMAT "\"\n"
        "ddb.geometry.heads = \"%u\"\n"
        "ddb.geometry.sectors = \"63\"\n"
        "ddb.adapterType = \"%s\"\n"
        "ddb.toolsVersion = \"%s\"\n",
        w->cid,
        w->subformat == VMDK_SUBFORMAT_STREAM_OPTIMIZED ? "streamOptimized"
                                                        : "monolithicSparse",
        w->capacity, w->extent_name, w->hwversion,
        w->capacity / (w->heads * 63), w->heads, w->adapter_type,
        w->toolsversion);
    n = strlen(text);
    /* The options are bounded (vmdk_write_options), so it always fits. */
    g_assert(n < room);
    buf = g_malloc0(room);
    memcpy(buf, text, n);
    *len = room;
    return buf;
}

/* ---- runs of grains holding data ---------------------------------------- */

void
vmdk_run_iter_init(VmdkRunIter *it, ConvImage *img, guint64 size)
{
    conv_map_iter_init(&it->map, img, 0, size);
    it->first = it->end = 0;
    it->pending = FALSE;
}

void
vmdk_run_iter_clear(VmdkRunIter *it)
{
    conv_map_iter_clear(&it->map);
}

gboolean
vmdk_run_iter_next(VmdkRunIter *it, guint64 *first, guint64 *end,
                   GError **error)
{
    for (;;) {
        ConvExtent e;
        guint64 g0, g1;

        if (!conv_map_iter_next(&it->map, &e, error))
            return FALSE;
        if (e.length == 0) {
            *first = it->first;
            *end = it->pending ? it->end : it->first;
            it->pending = FALSE;
            it->first = it->end;
            return TRUE;
        }
        if (e.kind != CONV_EXTENT_DATA)
            continue;
        g0 = e.start / VMDK_WRITE_GRAIN_BYTES;
        g1 = conv_div_round_up(e.start + e.length, VMDK_WRITE_GRAIN_BYTES);
        /* Extents that share a grain, or meet, make one run. */
        if (it->pending && g0 <= it->end) {
            it->end = MAX(it->end, g1);
            continue;
        }
        if (it->pending) {
            *first = it->first;
            *end = it->end;
            it->first = g0;
            it->end = g1;
            return TRUE;
        }
        it->first = g0;
        it->end = g1;
        it->pending = TRUE;
    }
}

/* ---- options and plan ---------------------------------------------------- */

/* A decimal number no larger than @max, without sign or spaces. */
static gboolean
vmdk_parse_decimal(const char *text, guint64 max, guint64 *value)
{
    const char *p;

    if (!*text || strlen(text) > 10)
        return FALSE;
    for (p = text; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
    }
    *value = g_ascii_strtoull(text, NULL, 10);
    return *value <= max;
}

static gboolean
vmdk_write_options(ConvOutput *out, VmdkWriter *w, GError **error)
{
    g_autofree char *subformat = conv_output_take_option(out, "subformat");
    g_autofree char *adapter = conv_output_take_option(out, "adapter_type");
    g_autofree char *hw = conv_output_take_option(out, "hwversion");
    g_autofree char *tools = conv_output_take_option(out, "toolsversion");
    guint64 n = 0;
    gsize i;

    w->subformat = VMDK_SUBFORMAT_MONOLITHIC_SPARSE;
    if (subformat) {
        if (g_str_equal(subformat, "streamOptimized")) {
            w->subformat = VMDK_SUBFORMAT_STREAM_OPTIMIZED;
        } else if (g_str_equal(subformat, "monolithicFlat") ||
                   g_str_has_prefix(subformat, "twoGbMaxExtent")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o subformat=%s: ferry writes single-file vmdk only "
                        "(monolithicSparse or streamOptimized); %s needs "
                        "several files", subformat, subformat);
            return FALSE;
        } else if (!g_str_equal(subformat, "monolithicSparse")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o subformat=%s: expected monolithicSparse or "
                        "streamOptimized", subformat);
            return FALSE;
        }
    }

    w->adapter_type = vmdk_write_adapters[0].name;
    w->heads = vmdk_write_adapters[0].heads;
    if (adapter) {
        for (i = 0; i < G_N_ELEMENTS(vmdk_write_adapters); i++) {
            if (g_str_equal(adapter, vmdk_write_adapters[i].name))
                break;
        }
        if (i == G_N_ELEMENTS(vmdk_write_adapters)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o adapter_type=%s: expected ide, buslogic, lsilogic "
                        "or legacyESX", adapter);
            return FALSE;
        }
        w->adapter_type = vmdk_write_adapters[i].name;
        w->heads = vmdk_write_adapters[i].heads;
    }

    /* VMware's hardware versions are small integers (4 to 21 so far). */
    if (hw && (!vmdk_parse_decimal(hw, 255, &n) || n == 0)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-o hwversion=%s: expected a VMware hardware version "
                    "number from 1 to 255", hw);
        return FALSE;
    }
    w->hwversion = g_strdup(hw ? hw : VMDK_WRITE_DEFAULT_HWVERSION);

    /* A tools version is a 32-bit signed number (major*1024 + minor*32 +
     * patch; 2147483647 for "unmanaged"). */
    if (tools && !vmdk_parse_decimal(tools, G_MAXINT32, &n)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-o toolsversion=%s: expected a decimal number from 0 to "
                    "2147483647", tools);
        return FALSE;
    }
    w->toolsversion = g_strdup(tools ? tools : VMDK_WRITE_DEFAULT_TOOLSVERSION);

    if (out->opts->compress &&
        w->subformat != VMDK_SUBFORMAT_STREAM_OPTIMIZED) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-c: only the streamOptimized vmdk subformat is compressed "
                    "(add -o subformat=streamOptimized)");
        return FALSE;
    }
    return TRUE;
}

/* The extent line's file name: the source's name with a .vmdk suffix.
 * Readers of a single-file vmdk ignore it (the extent is the file
 * itself), so it only needs to be harmless inside the quotes; it does not
 * depend on DST, so a pipe and a file get the same bytes. */
static char *
vmdk_extent_name(const char *src_path)
{
    g_autofree char *base = g_path_get_basename(src_path);
    char *dot = strrchr(base, '.');
    char *p;

    if (dot && dot != base)
        *dot = '\0';
    for (p = base; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("._-+", *p))
            *p = '_';
    }
    if (strlen(base) > 200)
        base[200] = '\0';
    return g_strconcat(base, ".vmdk", NULL);
}

/* Counts the grains holding data (monolithicSparse allocates them all up
 * front). */
static gboolean
vmdk_write_count(ConvOutput *out, VmdkWriter *w, GError **error)
{
    VmdkRunIter it;
    gboolean ok;

    vmdk_run_iter_init(&it, out->src, out->size);
    for (;;) {
        guint64 first = 0, end = 0;

        ok = vmdk_run_iter_next(&it, &first, &end, error);
        if (!ok || first == end)
            break;
        w->n_data += end - first;
    }
    vmdk_run_iter_clear(&it);
    return ok;
}

static gboolean
vmdk_write_plan(ConvOutput *out, GError **error)
{
    VmdkWriter *w = g_new0(VmdkWriter, 1);
    g_autofree char *id = NULL;
    guint64 tables;

    out->priv = w;
    out->priv_free = vmdk_writer_free;
    if (!vmdk_write_options(out, w, error))
        return FALSE;

    /* qemu rounds a vmdk's size up to a sector; the rest reads as zeros. */
    w->capacity = conv_div_round_up(out->size, VMDK_SECTOR);
    if (w->capacity > VMDK_MAX_CAPACITY_SECTORS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "vmdk output: a %" G_GUINT64_FORMAT "-byte disk is larger "
                    "than a vmdk can be (%llu bytes)", out->size,
                    VMDK_MAX_CAPACITY_SECTORS * VMDK_SECTOR);
        return FALSE;
    }
    w->n_grains = conv_div_round_up(w->capacity, VMDK_WRITE_GRAIN_SECTORS);
    w->gd_entries = MAX(1, conv_div_round_up(w->n_grains,
                                             VMDK_WRITE_GTES_PER_GT));
    w->gd_sectors = conv_div_round_up(w->gd_entries * 4, VMDK_SECTOR);
    w->extent_name = vmdk_extent_name(conv_image_get_path(out->src));
    /* Deterministic, so that the same conversion gives the same bytes
     * (a file and a pipe, the same SHA-256).  qemu picks a random CID;
     * readers only compare a child's parentCID with its parent's CID. */
    id = g_strdup_printf("%s\n%" G_GUINT64_FORMAT,
                         conv_image_get_path(out->src), w->capacity);
    w->cid = (guint32)crc32(0, (const Bytef *)id, (uInt)strlen(id));
    if (w->cid == 0xffffffff)
        w->cid = 0xfffffffe;      /* "no parent" is not a CID */

    if (w->subformat == VMDK_SUBFORMAT_STREAM_OPTIMIZED) {
        /* The first grain starts at the grain boundary after the
         * descriptor, as VMware's streams do. */
        w->overhead = VMDK_WRITE_GRAIN_SECTORS;
        vmdk_write_stream_frame(out);
        out->planned_size = 0;    /* known once compressed */
        return TRUE;
    }

    /* monolithicSparse, as qemu lays it out: header, descriptor, RGD,
     * every RGT, GD, every GT, then the grains from a grain boundary. */
    tables = w->gd_sectors + w->gd_entries * VMDK_WRITE_GT_SECTORS;
    w->rgd_offset = VMDK_WRITE_DESC_OFFSET + VMDK_WRITE_DESC_SECTORS;
    w->gd_offset = w->rgd_offset + tables;
    w->overhead = conv_div_round_up(w->gd_offset + tables,
                                    VMDK_WRITE_GRAIN_SECTORS) *
                  VMDK_WRITE_GRAIN_SECTORS;
    if (!vmdk_write_count(out, w, error))
        return FALSE;
    if (w->n_data > 0 &&
        w->overhead + (w->n_data - 1) * VMDK_WRITE_GRAIN_SECTORS >
        VMDK_WRITE_MAX_SECTOR) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "vmdk output: %" G_GUINT64_FORMAT " grains of data do not "
                    "fit in a monolithicSparse file (grain tables hold 32-bit "
                    "sector numbers, 2 TiB); use -o subformat=streamOptimized",
                    w->n_data);
        return FALSE;
    }
    out->planned_size = (w->overhead + w->n_data * VMDK_WRITE_GRAIN_SECTORS) *
                        VMDK_SECTOR;
    return TRUE;
}

static gboolean
vmdk_write_emit(ConvOutput *out, ConvSink *sink, GError **error)
{
    VmdkWriter *w = out->priv;

    if (w->subformat == VMDK_SUBFORMAT_STREAM_OPTIMIZED)
        return vmdk_write_emit_stream(out, sink, error);
    return vmdk_write_emit_sparse(out, sink, error);
}

const struct ferry_format vmdk_writer = {
    .name = "vmdk",
    .plan = vmdk_write_plan,
    .emit = vmdk_write_emit,
};
