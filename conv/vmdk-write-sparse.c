/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmdk-write-sparse.c: writing a monolithicSparse vmdk front to back
 * (VMware "Virtual Disk Format 5.0", "Hosted Sparse Extent Header" and
 * "Grain Directories and Grain Tables").
 *
 *   sector 0                  header
 *   1 .. 20                   embedded descriptor
 *   rgd_offset                redundant grain directory, then every
 *                             redundant grain table (4 sectors each)
 *   gd_offset                 grain directory, then every grain table
 *   overhead (x 128)          the grains that hold data, in guest order
 *
 * Every grain table is allocated, as qemu and VMware do for this
 * subformat, so that a later writer finds them in place.  The grain of the
 * n-th data grain is at overhead + n * 128, so each table can be written
 * from the allocation map before any data: the map is walked once per copy
 * of the tables and once for the data, holding one table at a time.
 */
#include <config.h>

#include <string.h>

#include "conv/vmdk-write-priv.h"

/* Tables are queued in pieces of this many bytes. */
#define VMDK_TABLE_PIECE_BYTES (64 * 1024)

typedef struct {
    guint8 buf[VMDK_TABLE_PIECE_BYTES];
    gsize fill;
} VmdkTableOut;

static gboolean
vmdk_table_put(ConvOutput *out, VmdkTableOut *t, guint32 entry, GError **error)
{
    conv_put_le32(t->buf + t->fill, entry);
    t->fill += 4;
    if (t->fill == sizeof(t->buf)) {
        t->fill = 0;
        return conv_output_write_bytes(out, t->buf, sizeof(t->buf), error);
    }
    return TRUE;
}

/* Writes what is left, zero-padded to a whole sector. */
static gboolean
vmdk_table_finish(ConvOutput *out, VmdkTableOut *t, GError **error)
{
    gsize len = (t->fill + VMDK_SECTOR - 1) / VMDK_SECTOR * VMDK_SECTOR;

    memset(t->buf + t->fill, 0, len - t->fill);
    t->fill = 0;
    return conv_output_write_bytes(out, t->buf, len, error);
}

/* A grain directory whose tables follow it, each 4 sectors. */
static gboolean
vmdk_emit_directory(ConvOutput *out, const VmdkWriter *w, guint64 at,
                    VmdkTableOut *t, GError **error)
{
    guint64 i;

    for (i = 0; i < w->gd_entries; i++) {
        guint64 gt = at + w->gd_sectors + i * VMDK_WRITE_GT_SECTORS;

        if (!vmdk_table_put(out, t, (guint32)gt, error))
            return FALSE;
    }
    return vmdk_table_finish(out, t, error);
}

static gboolean
vmdk_map_changed(ConvOutput *out, guint64 planned, guint64 found,
                 GError **error)
{
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                "%s: allocation map changed while converting (%" G_GUINT64_FORMAT
                " grains of data planned, %" G_GUINT64_FORMAT " found)",
                conv_image_get_path(out->src), planned, found);
    return FALSE;
}

/* Every grain table, in order: entry g of the n-th data grain holds
 * overhead + n * 128, the others 0. */
static gboolean
vmdk_emit_tables(ConvOutput *out, const VmdkWriter *w, VmdkTableOut *t,
                 GError **error)
{
    guint64 total = w->gd_entries * VMDK_WRITE_GTES_PER_GT;
    guint64 next = 0;                /* next grain whose entry is due */
    guint64 rank = 0;                /* data grains so far */
    VmdkRunIter it;
    gboolean ok = TRUE;

    vmdk_run_iter_init(&it, out->src, out->size);
    for (;;) {
        guint64 first = 0, end = 0, g;

        ok = vmdk_run_iter_next(&it, &first, &end, error);
        if (!ok || first == end)
            break;
        if (rank + (end - first) > w->n_data) {
            rank += end - first;
            break;
        }
        for (; next < first && ok; next++)
            ok = vmdk_table_put(out, t, 0, error);
        for (g = first; g < end && ok; g++, rank++) {
            ok = vmdk_table_put(out, t, (guint32)(w->overhead + rank *
                                                  VMDK_WRITE_GRAIN_SECTORS),
                                error);
        }
        if (!ok)
            break;
        next = end;
    }
    vmdk_run_iter_clear(&it);
    if (!ok)
        return FALSE;
    if (rank != w->n_data)
        return vmdk_map_changed(out, w->n_data, rank, error);
    for (; next < total; next++) {
        if (!vmdk_table_put(out, t, 0, error))
            return FALSE;
    }
    return vmdk_table_finish(out, t, error);
}

/* The grains holding data, whole: a disk that ends inside its last grain
 * is padded with zeros. */
static gboolean
vmdk_emit_grains(ConvOutput *out, const VmdkWriter *w, GError **error)
{
    guint64 done = 0;                /* guest bytes accounted */
    guint64 rank = 0;
    VmdkRunIter it;
    gboolean ok = TRUE;

    vmdk_run_iter_init(&it, out->src, out->size);
    for (;;) {
        guint64 first = 0, end = 0, g0, g1, len;

        ok = vmdk_run_iter_next(&it, &first, &end, error);
        if (!ok || first == end)
            break;
        rank += end - first;
        if (rank > w->n_data)
            break;
        g0 = first * VMDK_WRITE_GRAIN_BYTES;
        g1 = end * VMDK_WRITE_GRAIN_BYTES;
        len = MIN(g1, out->size) - g0;
        conv_output_account(out, g0 - done);
        ok = conv_output_copy(out, g0, len, CONV_COPY_SPARSE, error) &&
             conv_output_skip(out, (g1 - g0) - len, 0, error);
        if (!ok)
            break;
        done = g0 + len;
    }
    vmdk_run_iter_clear(&it);
    if (!ok)
        return FALSE;
    if (rank != w->n_data)
        return vmdk_map_changed(out, w->n_data, rank, error);
    conv_output_account(out, out->size - done);
    return TRUE;
}

gboolean
vmdk_write_emit_sparse(ConvOutput *out, ConvSink *sink, GError **error)
{
    VmdkWriter *w = out->priv;
    g_autofree VmdkTableOut *t = g_new0(VmdkTableOut, 1);
    g_autofree guint8 *desc = NULL;
    guint8 header[VMDK_SECTOR];
    gsize desc_len = 0;
    guint64 at;

    vmdk_write_header(w, w->gd_offset, header);
    desc = vmdk_write_descriptor(w, &desc_len);
    if (!conv_output_write_bytes(out, header, sizeof(header), error) ||
        !conv_output_write_bytes(out, desc, desc_len, error))
        return FALSE;

    g_assert(conv_output_get_offset(out) == w->rgd_offset * VMDK_SECTOR);
    if (!vmdk_emit_directory(out, w, w->rgd_offset, t, error) ||
        !vmdk_emit_tables(out, w, t, error))
        return FALSE;
    g_assert(conv_output_get_offset(out) == w->gd_offset * VMDK_SECTOR);
    if (!vmdk_emit_directory(out, w, w->gd_offset, t, error) ||
        !vmdk_emit_tables(out, w, t, error))
        return FALSE;

    at = conv_output_get_offset(out);
    if (!conv_output_skip(out, w->overhead * VMDK_SECTOR - at, 0, error) ||
        !vmdk_emit_grains(out, w, error))
        return FALSE;
    g_assert(conv_output_get_offset(out) ==
             (w->overhead + w->n_data * VMDK_WRITE_GRAIN_SECTORS) * VMDK_SECTOR);
    return TRUE;
}
