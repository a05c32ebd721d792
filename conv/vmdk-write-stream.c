/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmdk-write-stream.c: writing a streamOptimized vmdk as one forward
 * stream (VMware "Virtual Disk Format 5.0", "Stream-Optimized Compressed
 * Sparse Extents"), the form AWS VM Import and OVF/OVA packages take.
 *
 *   sector 0          header, gdOffset "at end" (0xffffffffffffffff)
 *   1 .. 20           embedded descriptor
 *   128 ..            for each grain table holding data: its grains, each
 *                     a grain marker (lba 8 bytes, size 4) and a zlib
 *                     stream, zero-padded to a sector; then a GT marker
 *                     (val 4, type 1) and the grain table (4 sectors)
 *                   GD marker (val = GD sectors, type 2) and the grain
 *                     directory
 *                   footer marker (val 1, type 3) and the footer: the
 *                     header again with the real gdOffset
 *                   end-of-stream marker (a sector of zeros)
 *
 * Grains that read as all zeros, and grain tables left with no grain, are
 * not written (their entries are 0), as VMware's own streams do.  A grain
 * table goes right after its grains, so only one table and the directory
 * are held in memory; it is queued as a "late" item of the engine, filled
 * in when its grains have been written, so the compressing threads never
 * wait for a table.
 */
#include <config.h>

#include <string.h>

#include "conv/vmdk-write-priv.h"

/* The frame header of one grain: its marker (runs in a worker thread). */
static void
vmdk_stream_grain_header(const ConvOutput *out, guint64 guest_off, gsize zlen,
                         guint8 *buf)
{
    conv_put_le64(buf, guest_off / VMDK_SECTOR);
    conv_put_le32(buf + 8, (guint32)zlen);
}

static gboolean
vmdk_stream_too_far(guint64 sector, GError **error)
{
    if (sector <= VMDK_WRITE_MAX_SECTOR)
        return FALSE;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "vmdk output: the stream passed 2 TiB (sector %" G_GUINT64_FORMAT
                "); grain tables hold 32-bit sector numbers",
                sector);
    return TRUE;
}

/* Where each grain landed (the writer's thread, in stream order). */
static void
vmdk_stream_on_cluster(ConvOutput *out, guint64 guest_off, guint64 host_off,
                       gsize stored, gboolean compressed)
{
    VmdkWriter *w = out->priv;
    guint64 grain = guest_off / VMDK_WRITE_GRAIN_BYTES;
    guint64 table = grain / VMDK_WRITE_GTES_PER_GT;

    if (w->error)
        return;
    /* Each table's late item follows its grains (vmdk_stream_queue_table),
     * so a grain of another table here is a bug in this file. */
    g_assert(compressed);
    g_assert(!w->gt_used || table == w->gt_index);
    if (vmdk_stream_too_far(host_off / VMDK_SECTOR, &w->error))
        return;
    w->gt[grain % VMDK_WRITE_GTES_PER_GT] = (guint32)(host_off / VMDK_SECTOR);
    w->gt_index = table;
    w->gt_used = TRUE;
}

/* The late item after a table's grains: its marker and entries. */
static gboolean
vmdk_stream_fill_table(ConvOutput *out, guint64 host_off, guint8 *buf,
                       gsize *len, gpointer data, GError **error)
{
    VmdkWriter *w = out->priv;
    guint64 i;

    if (w->error) {
        g_propagate_error(error, g_steal_pointer(&w->error));
        return FALSE;
    }
    *len = 0;
    if (!w->gt_used)
        return TRUE;            /* every grain was zeros */
    if (vmdk_stream_too_far(host_off / VMDK_SECTOR + 1, error))
        return FALSE;
    vmdk_write_marker(buf, VMDK_WRITE_GT_SECTORS, VMDK_MARKER_GT);
    for (i = 0; i < VMDK_WRITE_GTES_PER_GT; i++)
        conv_put_le32(buf + VMDK_SECTOR + i * 4, w->gt[i]);
    w->gd[w->gt_index] = (guint32)(host_off / VMDK_SECTOR + 1);
    memset(w->gt, 0, VMDK_WRITE_GT_BYTES);
    w->gt_used = FALSE;
    *len = VMDK_SECTOR + VMDK_WRITE_GT_BYTES;
    return TRUE;
}

static gboolean
vmdk_stream_queue_table(ConvOutput *out, GError **error)
{
    return conv_output_write_late(out, VMDK_SECTOR + VMDK_WRITE_GT_BYTES,
                                  vmdk_stream_fill_table, NULL, error);
}

/* Queues the grains of the data runs, each table after its grains. */
static gboolean
vmdk_stream_queue_grains(ConvOutput *out, GError **error)
{
    guint64 done = 0;                /* guest bytes accounted */
    guint64 table = G_MAXUINT64;     /* the table of the grains queued last */
    VmdkRunIter it;
    gboolean ok = TRUE;

    vmdk_run_iter_init(&it, out->src, out->size);
    for (;;) {
        guint64 first = 0, end = 0, g;

        ok = vmdk_run_iter_next(&it, &first, &end, error);
        if (!ok || first == end)
            break;
        for (g = first; g < end && ok; ) {
            guint64 t = g / VMDK_WRITE_GTES_PER_GT;
            guint64 stop = MIN(end, (t + 1) * VMDK_WRITE_GTES_PER_GT);
            guint64 g0 = g * VMDK_WRITE_GRAIN_BYTES;
            guint64 len = MIN(stop * VMDK_WRITE_GRAIN_BYTES, out->size) - g0;

            if (table != G_MAXUINT64 && t != table)
                ok = vmdk_stream_queue_table(out, error);
            table = t;
            conv_output_account(out, g0 - done);
            /* The engine pads a last partial grain with zeros. */
            ok = ok && conv_output_copy(out, g0, len, CONV_COPY_COMPRESS, error);
            done = g0 + len;
            g = stop;
        }
        if (!ok)
            break;
    }
    vmdk_run_iter_clear(&it);
    if (!ok)
        return FALSE;
    if (table != G_MAXUINT64 && !vmdk_stream_queue_table(out, error))
        return FALSE;
    conv_output_account(out, out->size - done);
    return TRUE;
}

void
vmdk_write_stream_frame(ConvOutput *out)
{
    out->cluster_size = VMDK_WRITE_GRAIN_BYTES;
    out->compression = CONV_COMPRESSION_ZLIB_STREAM;
    out->frame.header_bytes = VMDK_GRAIN_MARKER_BYTES;
    out->frame.align = VMDK_SECTOR;
    out->frame.always = TRUE;
    out->frame.skip_zero = TRUE;
    out->frame.header = vmdk_stream_grain_header;
    out->on_cluster = vmdk_stream_on_cluster;
}

gboolean
vmdk_write_emit_stream(ConvOutput *out, ConvSink *sink, GError **error)
{
    VmdkWriter *w = out->priv;
    g_autofree guint8 *desc = NULL;
    g_autofree guint8 *gd = NULL;
    gsize desc_len = 0, gd_bytes = w->gd_sectors * VMDK_SECTOR;
    guint8 sector[VMDK_SECTOR];
    guint64 at, i;

    w->gd = g_new0(guint32, w->gd_entries);
    w->gt = g_new0(guint32, VMDK_WRITE_GTES_PER_GT);
    vmdk_write_header(w, VMDK4_GD_AT_END, sector);
    desc = vmdk_write_descriptor(w, &desc_len);
    if (!conv_output_write_bytes(out, sector, sizeof(sector), error) ||
        !conv_output_write_bytes(out, desc, desc_len, error) ||
        !conv_output_skip(out, w->overhead * VMDK_SECTOR - sizeof(sector) -
                          desc_len, 0, error))
        return FALSE;
    if (!vmdk_stream_queue_grains(out, error) ||
        !conv_output_flush(out, error))
        return FALSE;

    /* Every table has landed: the directory, the footer, the end. */
    at = conv_output_get_offset(out) / VMDK_SECTOR;
    if (vmdk_stream_too_far(at + 1, error))
        return FALSE;
    gd = g_malloc0(gd_bytes);
    for (i = 0; i < w->gd_entries; i++)
        conv_put_le32(gd + i * 4, w->gd[i]);
    vmdk_write_marker(sector, w->gd_sectors, VMDK_MARKER_GD);
    if (!conv_output_write_bytes(out, sector, sizeof(sector), error) ||
        !conv_output_write_bytes(out, gd, gd_bytes, error))
        return FALSE;
    vmdk_write_marker(sector, 1, VMDK_MARKER_FOOTER);
    if (!conv_output_write_bytes(out, sector, sizeof(sector), error))
        return FALSE;
    vmdk_write_header(w, at + 1, sector);
    if (!conv_output_write_bytes(out, sector, sizeof(sector), error))
        return FALSE;
    vmdk_write_marker(sector, 0, VMDK_MARKER_EOS);
    return conv_output_write_bytes(out, sector, sizeof(sector), error);
}
