/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qcow2-write-emit.c: writing the planned qcow2 image
 * (docs/interop/qcow2.txt: "Host cluster management", "Cluster mapping",
 * "Compressed Clusters Descriptor").
 *
 * Uncompressed output is one forward pass: header, L1 table, refcount
 * table, refcount blocks (every cluster up to the planned end has refcount
 * 1, and the COPIED flag is set on every L1 and L2 entry, as the spec
 * requires for refcount 1), then each used L2 table followed by its data
 * clusters.  Nothing is seeked back to, so the stream can go to a pipe.
 *
 * Compressed clusters are only known in size once compressed, so that
 * output reserves the metadata area (refcount blocks for the worst case),
 * packs each L2 range's compressed clusters and then its L2 table, and
 * fills in the L1 entries, refcount blocks and refcount table by
 * rewriting the reserved area: it needs a sink that can patch.  Refcount
 * blocks are built one at a time as the output grows, so memory stays one
 * cluster whatever the size.
 */
#include <config.h>

#include <string.h>

#include "conv/qcow2-write-priv.h"

static guint64
qcow2_refcounts_per_block(const Qcow2Layout *lay)
{
    return lay->cluster_size * 8 / (1 << QCOW2_WRITE_REFCOUNT_ORDER);
}

/* Writes @n table entries (host order) big-endian, in cluster-sized
 * pieces, padding the last cluster with zeros. */
typedef struct {
    guint8 *buf;
    gsize fill;
    gsize size;
} Qcow2TableOut;

static gboolean
qcow2_table_put(ConvOutput *out, Qcow2TableOut *t, guint64 entry, gsize width,
                GError **error)
{
    if (width == 8)
        conv_put_be64(t->buf + t->fill, entry);
    else
        conv_put_be16(t->buf + t->fill, (guint16)entry);
    t->fill += width;
    if (t->fill == t->size) {
        t->fill = 0;
        return conv_output_write_bytes(out, t->buf, t->size, error);
    }
    return TRUE;
}

static gboolean
qcow2_table_finish(ConvOutput *out, Qcow2TableOut *t, GError **error)
{
    if (t->fill == 0)
        return TRUE;
    memset(t->buf + t->fill, 0, t->size - t->fill);
    t->fill = 0;
    return conv_output_write_bytes(out, t->buf, t->size, error);
}

/* Guest bytes an L2 table maps. */
static guint64
qcow2_region_bytes(const Qcow2Layout *lay)
{
    return lay->cluster_size * (lay->cluster_size / 8);
}

/*
 * Fills w->l2 for L1 entry @i: each cluster of the region that holds data
 * gets the next host cluster from *@host (uncompressed), or just a mark
 * (compressed; the real entry comes from qcow2_write_on_cluster()).
 * Returns the number of clusters found.
 */
static gboolean
qcow2_region_map(ConvOutput *out, Qcow2Writer *w, guint64 i, guint64 *host,
                 guint64 *found, GError **error)
{
    const Qcow2Layout *lay = &w->lay;
    guint64 start = i * qcow2_region_bytes(lay);
    guint64 end = MIN(start + qcow2_region_bytes(lay), out->size);
    guint64 last = G_MAXUINT64;
    ConvMapIter it;
    gboolean ok = TRUE;

    memset(w->l2, 0, lay->cluster_size);
    w->region_start = start;
    *found = 0;
    conv_map_iter_init(&it, out->src, start, end);
    for (;;) {
        ConvExtent e;
        guint64 c, first, stop;

        ok = conv_map_iter_next(&it, &e, error);
        if (!ok || e.length == 0)
            break;
        if (e.kind != CONV_EXTENT_DATA)
            continue;
        first = (e.start - start) >> lay->cluster_bits;
        stop = (e.start + e.length - 1 - start) >> lay->cluster_bits;
        if (last != G_MAXUINT64 && first <= last)
            first = last + 1;
        for (c = first; c <= stop; c++) {
            w->l2[c] = host ? (*host)++ * lay->cluster_size | QCOW2_OFLAG_COPIED
                            : 1;
            (*found)++;
        }
        if (stop >= first)
            last = stop;
    }
    conv_map_iter_clear(&it);
    return ok;
}

/* Queues copies of the region's runs of marked clusters; the last cluster
 * of a disk that ends inside it is padded with zeros. */
static gboolean
qcow2_region_copy(ConvOutput *out, Qcow2Writer *w, guint flags, GError **error)
{
    const Qcow2Layout *lay = &w->lay;
    guint64 entries = lay->cluster_size / 8;
    guint64 region_end = MIN(w->region_start + qcow2_region_bytes(lay), out->size);
    guint64 copied = 0;
    guint64 c = 0;

    while (c < entries) {
        guint64 run, g0, g1, len;

        if (!w->l2[c]) {
            c++;
            continue;
        }
        for (run = c; run < entries && w->l2[run]; run++)
            ;
        g0 = w->region_start + (c << lay->cluster_bits);
        g1 = w->region_start + (run << lay->cluster_bits);
        len = MIN(g1, out->size) - g0;
        if (!conv_output_copy(out, g0, len, flags, error))
            return FALSE;
        /* Compressed copies pad the last cluster themselves. */
        if (!(flags & CONV_COPY_COMPRESS) &&
            !conv_output_skip(out, (g1 - g0) - len, 0, error))
            return FALSE;
        copied += len;
        c = run;
    }
    conv_output_account(out, (region_end - w->region_start) - copied);
    return TRUE;
}

/* The L2 table being built, big-endian, into @buf. */
static void
qcow2_l2_to_be(const Qcow2Writer *w, guint8 *buf)
{
    guint64 entries = w->lay.cluster_size / 8;
    guint64 c;

    for (c = 0; c < entries; c++)
        conv_put_be64(buf + c * 8, w->l2[c]);
}

static gboolean
qcow2_emit_forward(ConvOutput *out, Qcow2Writer *w, GError **error)
{
    const Qcow2Layout *lay = &w->lay;
    gsize cs = lay->cluster_size;
    guint64 per_block = qcow2_refcounts_per_block(lay);
    g_autofree guint8 *buf = g_malloc(cs);
    Qcow2TableOut t = { buf, 0, cs };
    guint64 host, i, j;

    qcow2_write_header(w, buf);
    if (!conv_output_write_bytes(out, buf, cs, error))
        return FALSE;

    /* L1: entry i points at the L2 table that opens its region. */
    host = lay->data_start;
    for (i = 0; i < lay->l1_size; i++) {
        guint64 entry = 0;

        if (w->counts[i]) {
            entry = host * cs | QCOW2_OFLAG_COPIED;
            host += 1 + w->counts[i];
        }
        if (!qcow2_table_put(out, &t, entry, 8, error))
            return FALSE;
    }
    if (!qcow2_table_finish(out, &t, error))
        return FALSE;
    for (j = (lay->l1_size * 8 + cs - 1) / cs; j < lay->l1_clusters; j++) {
        memset(buf, 0, cs);
        if (!conv_output_write_bytes(out, buf, cs, error))
            return FALSE;
    }
    g_assert(host == lay->total_clusters);

    /* Refcount table, then blocks: every cluster up to the end is used once. */
    for (j = 0; j < lay->rt_clusters * (cs / 8); j++) {
        guint64 entry = j < lay->rb_clusters ? (lay->rb_start + j) * cs : 0;

        if (!qcow2_table_put(out, &t, entry, 8, error))
            return FALSE;
    }
    for (j = 0; j < lay->rb_clusters * per_block; j++) {
        if (!qcow2_table_put(out, &t, j < lay->total_clusters ? 1 : 0, 2, error))
            return FALSE;
    }

    /* Each used L2 table, then its data. */
    host = lay->data_start;
    for (i = 0; i < lay->l1_size; i++) {
        guint64 found = 0;

        if (!w->counts[i]) {
            guint64 start = i * qcow2_region_bytes(lay);

            conv_output_account(out, MIN(qcow2_region_bytes(lay),
                                         out->size - start));
            continue;
        }
        host++;                               /* the L2 table itself */
        if (!qcow2_region_map(out, w, i, &host, &found, error))
            return FALSE;
        if (found != w->counts[i]) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                        "%s: allocation map changed while converting "
                        "(%" G_GUINT64_FORMAT " clusters planned at guest offset %"
                        G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " found)",
                        conv_image_get_path(out->src), (guint64)w->counts[i],
                        w->region_start, found);
            return FALSE;
        }
        qcow2_l2_to_be(w, buf);
        if (!conv_output_write_bytes(out, buf, cs, error))
            return FALSE;
        if (!qcow2_region_copy(out, w, 0, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- compressed output ------------------------------------------------- */

static gboolean
qcow2_rb_flush(Qcow2Writer *w, GError **error)
{
    const Qcow2Layout *lay = &w->lay;
    guint64 per_block = qcow2_refcounts_per_block(lay);
    g_autofree guint8 *buf = NULL;
    guint64 k;

    if (!w->rb_dirty)
        return TRUE;
    if (w->rb_index >= lay->rb_clusters) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "qcow2 output: refcount block %" G_GUINT64_FORMAT
                    " is beyond the %" G_GUINT64_FORMAT " reserved",
                    w->rb_index, lay->rb_clusters);
        return FALSE;
    }
    buf = g_malloc(lay->cluster_size);
    for (k = 0; k < per_block; k++)
        conv_put_be16(buf + 2 * k, w->rb[k]);
    w->rb_dirty = FALSE;
    return conv_sink_pwrite(w->sink, buf, lay->cluster_size,
                            (lay->rb_start + w->rb_index) * lay->cluster_size,
                            error);
}

/* Adds one reference to each host cluster in [first, last]. */
static gboolean
qcow2_rb_ref(Qcow2Writer *w, guint64 first, guint64 last, GError **error)
{
    guint64 per_block = qcow2_refcounts_per_block(&w->lay);
    guint64 c;

    for (c = first; c <= last; c++) {
        if (c / per_block != w->rb_index) {
            if (!qcow2_rb_flush(w, error))
                return FALSE;
            memset(w->rb, 0, per_block * sizeof(guint16));
            w->rb_index = c / per_block;
        }
        w->rb[c % per_block]++;
        w->rb_dirty = TRUE;
    }
    return TRUE;
}

static void
qcow2_write_on_cluster(ConvOutput *out, guint64 guest_off, guint64 host_off,
                       gsize stored, gboolean compressed)
{
    Qcow2Writer *w = out->priv;
    guint cb = w->lay.cluster_bits;
    guint64 idx = (guest_off - w->region_start) >> cb;
    guint64 entry;

    if (w->error)
        return;
    if (compressed) {
        guint x = 62 - (cb - 8);
        guint64 sectors = ((host_off + stored - 1) >> 9) - (host_off >> 9);

        entry = QCOW2_OFLAG_COMPRESSED | sectors << x | host_off;
        if (!qcow2_rb_ref(w, host_off >> cb, (host_off + stored - 1) >> cb,
                          &w->error))
            return;
    } else {
        entry = host_off | QCOW2_OFLAG_COPIED;
        if (!qcow2_rb_ref(w, host_off >> cb, host_off >> cb, &w->error))
            return;
    }
    w->l2[idx] = entry;
}

static gboolean
qcow2_take_error(Qcow2Writer *w, GError **error)
{
    if (!w->error)
        return TRUE;
    g_propagate_error(error, g_steal_pointer(&w->error));
    return FALSE;
}

static gboolean
qcow2_emit_compressed(ConvOutput *out, Qcow2Writer *w, GError **error)
{
    const Qcow2Layout *lay = &w->lay;
    gsize cs = lay->cluster_size;
    guint64 per_block = qcow2_refcounts_per_block(lay);
    g_autofree guint8 *buf = g_malloc0(cs);
    guint64 i, y, total, used_blocks;

    if (!conv_sink_can_patch(w->sink)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "-c: compressed qcow2 output needs a destination that can "
                    "be rewritten in place (a local file, without --checksum)");
        return FALSE;
    }
    w->rb = g_new0(guint16, per_block);
    out->on_cluster = qcow2_write_on_cluster;

    qcow2_write_header(w, buf);
    if (!conv_output_write_bytes(out, buf, cs, error) ||
        !conv_output_skip(out, (lay->data_start - 1) * cs, 0, error) ||
        !qcow2_rb_ref(w, 0, lay->rb_start - 1, error))
        return FALSE;

    for (i = 0; i < lay->l1_size; i++) {
        guint64 found = 0, off, l2_host;

        if (!w->counts[i]) {
            guint64 start = i * qcow2_region_bytes(lay);

            conv_output_account(out, MIN(qcow2_region_bytes(lay),
                                         out->size - start));
            continue;
        }
        if (!qcow2_region_map(out, w, i, NULL, &found, error) ||
            !qcow2_region_copy(out, w, CONV_COPY_COMPRESS, error) ||
            !conv_output_flush(out, error) ||
            !qcow2_take_error(w, error))
            return FALSE;
        /* The L2 table takes a cluster of its own. */
        off = conv_output_get_offset(out);
        l2_host = (off + cs - 1) / cs * cs;
        qcow2_l2_to_be(w, buf);
        if (!conv_output_skip(out, l2_host - off, 0, error) ||
            !conv_output_write_bytes(out, buf, cs, error) ||
            !qcow2_rb_ref(w, l2_host / cs, l2_host / cs, error))
            return FALSE;
        conv_put_be64(buf, l2_host | QCOW2_OFLAG_COPIED);
        if (!conv_output_pwrite(out, buf, 8, lay->l1_start * cs + i * 8, error))
            return FALSE;
    }
    if (!conv_output_flush(out, error) || !qcow2_take_error(w, error) ||
        !qcow2_rb_flush(w, error))
        return FALSE;

    /* Now the real end is known: reference the refcount blocks in use, and
     * list them in the refcount table.  Reserved blocks beyond stay free
     * (refcount 0, unreferenced), which qemu-img check accepts. */
    total = (MAX(conv_output_get_offset(out), lay->data_start * cs) + cs - 1) / cs;
    used_blocks = (total + per_block - 1) / per_block;
    g_assert(used_blocks <= lay->rb_clusters);
    for (y = lay->rb_start; y < lay->rb_start + used_blocks; y++) {
        conv_put_be16(buf, 1);
        if (!conv_sink_pwrite(w->sink, buf, 2,
                              (lay->rb_start + y / per_block) * cs +
                              (y % per_block) * 2, error))
            return FALSE;
    }
    for (y = 0; y < used_blocks; y++) {
        conv_put_be64(buf, (lay->rb_start + y) * cs);
        if (!conv_sink_pwrite(w->sink, buf, 8, lay->rt_start * cs + y * 8, error))
            return FALSE;
    }
    return TRUE;
}

gboolean
qcow2_write_emit(ConvOutput *out, ConvSink *sink, GError **error)
{
    Qcow2Writer *w = out->priv;

    w->sink = sink;
    w->l2 = g_malloc0(w->lay.cluster_size);
    if (w->compress)
        return qcow2_emit_compressed(out, w, error);
    return qcow2_emit_forward(out, w, error);
}
