/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qcow2-write.c: the qcow2 writer's options, plan and header
 * (docs/interop/qcow2.txt: "Header", "Host cluster management",
 * "Cluster mapping").  Emitting is in qcow2-write-emit.c.
 *
 * The plan walks the source's allocation map once and counts, for every
 * L1 entry, the clusters that hold any data; that is all the layout needs
 * (qcow2-write-priv.h), so the header, L1 table, refcount table and
 * refcount blocks can be written first and the file produced front to
 * back.  Options follow qemu-img's names: compat (0.10 | 1.1),
 * cluster_size (512 to 2M, a power of two), compression_type (zlib | zstd,
 * compat=1.1 only), refcount_bits (16 only) and preallocation (off only).
 */
#include <config.h>

#include <string.h>

#include "conv/qcow2-write-priv.h"

static void
qcow2_writer_free(void *data)
{
    Qcow2Writer *w = data;

    g_free(w->counts);
    g_free(w->l2);
    g_free(w->rb);
    if (w->error)
        g_error_free(w->error);
    g_free(w);
}

gboolean
qcow2_write_layout(guint64 size, guint cluster_bits, guint64 n_l2,
                   guint64 n_data, gboolean compressed, Qcow2Layout *lay,
                   GError **error)
{
    guint64 cs = G_GUINT64_CONSTANT(1) << cluster_bits;
    guint64 l2_entries = cs / 8;
    guint64 per_block = cs * 8 / (1 << QCOW2_WRITE_REFCOUNT_ORDER);
    guint64 fixed;

    memset(lay, 0, sizeof(*lay));
    lay->cluster_bits = cluster_bits;
    lay->cluster_size = cs;
    lay->l1_size = conv_div_round_up(conv_div_round_up(size, cs), l2_entries);
    if (lay->l1_size > QCOW2_WRITE_MAX_L1_BYTES / 8) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-o cluster_size=%" G_GUINT64_FORMAT ": a %" G_GUINT64_FORMAT
                    "-byte disk needs an L1 table larger than %d bytes; use a "
                    "larger cluster_size", cs, size, QCOW2_WRITE_MAX_L1_BYTES);
        return FALSE;
    }
    lay->l1_start = 1;
    lay->l1_clusters = MAX(1, conv_div_round_up(lay->l1_size * 8, cs));
    lay->rt_start = lay->l1_start + lay->l1_clusters;

    /* Clusters besides the refcount structures. */
    fixed = 1 + lay->l1_clusters + n_l2 + n_data;
    if (compressed)
        fixed += n_l2 + n_data + 1;     /* alignment padding, worst case */

    /* The refcount structures count themselves: grow them until they
     * cover everything including their own clusters. */
    lay->rt_clusters = 1;
    lay->rb_clusters = 1;
    for (;;) {
        guint64 total = fixed + lay->rt_clusters + lay->rb_clusters;
        guint64 rb = conv_div_round_up(total, per_block);
        guint64 rt = conv_div_round_up(rb * 8, cs);

        if (rb <= lay->rb_clusters && rt <= lay->rt_clusters) {
            lay->total_clusters = total;
            break;
        }
        lay->rb_clusters = MAX(rb, lay->rb_clusters);
        lay->rt_clusters = MAX(rt, lay->rt_clusters);
    }
    lay->rb_start = lay->rt_start + lay->rt_clusters;
    lay->data_start = lay->rb_start + lay->rb_clusters;
    return TRUE;
}

void
qcow2_write_header(const Qcow2Writer *w, guint8 *buf)
{
    const Qcow2Layout *lay = &w->lay;
    guint64 cs = lay->cluster_size;

    memset(buf, 0, cs);
    memcpy(buf, "QFI\xfb", 4);
    conv_put_be32(buf + 4, w->version);
    /* 8 backing_file_offset, 16 backing_file_size: none */
    conv_put_be32(buf + 20, lay->cluster_bits);
    conv_put_be64(buf + 24, w->size);
    /* 32 crypt_method: none */
    conv_put_be32(buf + 36, (guint32)lay->l1_size);
    conv_put_be64(buf + 40, lay->l1_start * cs);
    conv_put_be64(buf + 48, lay->rt_start * cs);
    conv_put_be32(buf + 56, (guint32)lay->rt_clusters);
    /* 60 nb_snapshots, 64 snapshots_offset: none */
    if (w->version < 3)
        return;                    /* v2 header: 72 bytes, then zeros */
    conv_put_be64(buf + 72, w->zstd_header ? QCOW2_INCOMPAT_COMPRESSION : 0);
    /* 80 compatible_features, 88 autoclear_features: none */
    conv_put_be32(buf + 96, QCOW2_WRITE_REFCOUNT_ORDER);
    /* header_length: 104, or 112 with the compression_type byte padded to
     * a multiple of 8 as the spec asks.  The extension area after it reads
     * as the end-of-extensions marker (type 0) since it is all zeros. */
    conv_put_be32(buf + 100, w->zstd_header ? 112 : 104);
    if (w->zstd_header)
        buf[104] = 1;
}

static gboolean
qcow2_write_options(ConvOutput *out, Qcow2Writer *w, guint *cluster_bits,
                    GError **error)
{
    g_autofree char *compat = conv_output_take_option(out, "compat");
    g_autofree char *cluster = conv_output_take_option(out, "cluster_size");
    g_autofree char *ctype = conv_output_take_option(out, "compression_type");
    g_autofree char *refbits = conv_output_take_option(out, "refcount_bits");
    g_autofree char *prealloc = conv_output_take_option(out, "preallocation");

    w->version = 3;
    if (compat) {
        if (g_str_equal(compat, "0.10") || g_str_equal(compat, "v2")) {
            w->version = 2;
        } else if (!g_str_equal(compat, "1.1") && !g_str_equal(compat, "v3")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o compat=%s: expected 0.10 or 1.1", compat);
            return FALSE;
        }
    }
    *cluster_bits = QCOW2_WRITE_DEFAULT_CLUSTER_BITS;
    if (cluster) {
        guint64 cs = 0;

        if (!conv_output_parse_size("cluster_size", cluster, &cs, error))
            return FALSE;
        if (cs < (1u << QCOW2_WRITE_MIN_CLUSTER_BITS) ||
            cs > (1u << QCOW2_WRITE_MAX_CLUSTER_BITS) || (cs & (cs - 1))) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o cluster_size=%s: must be a power of two from %u to %u",
                        cluster, 1u << QCOW2_WRITE_MIN_CLUSTER_BITS,
                        1u << QCOW2_WRITE_MAX_CLUSTER_BITS);
            return FALSE;
        }
        *cluster_bits = (guint)g_bit_nth_lsf(cs, -1);
    }
    w->compression = CONV_COMPRESSION_ZLIB;
    if (ctype) {
        if (g_str_equal(ctype, "zstd")) {
            w->compression = CONV_COMPRESSION_ZSTD;
            w->zstd_header = TRUE;
        } else if (!g_str_equal(ctype, "zlib")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o compression_type=%s: expected zlib or zstd", ctype);
            return FALSE;
        }
        if (w->zstd_header && w->version < 3) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o compression_type=%s: needs compat=1.1", ctype);
            return FALSE;
        }
    }
    if (refbits && !g_str_equal(refbits, "16")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-o refcount_bits=%s: ferry writes 16-bit refcounts only",
                    refbits);
        return FALSE;
    }
    if (prealloc && !g_str_equal(prealloc, "off")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-o preallocation=%s: ferry writes sparse images only "
                    "(preallocation=off)", prealloc);
        return FALSE;
    }
    w->compress = out->opts->compress;
    return TRUE;
}

/* Counts, per L1 entry, the clusters holding any data. */
static gboolean
qcow2_write_count(ConvOutput *out, Qcow2Writer *w, guint cluster_bits,
                  GError **error)
{
    guint l2_bits = cluster_bits - 3;
    guint64 last = G_MAXUINT64;            /* last cluster counted */
    guint64 l1_size = w->lay.l1_size;
    ConvMapIter it;
    gboolean ok = TRUE;
    guint64 i;

    w->counts = g_new0(guint32, MAX(l1_size, 1));
    conv_map_iter_init(&it, out->src, 0, out->size);
    for (;;) {
        ConvExtent e;
        guint64 c, first, end;

        ok = conv_map_iter_next(&it, &e, error);
        if (!ok || e.length == 0)
            break;
        if (e.kind != CONV_EXTENT_DATA)
            continue;
        first = e.start >> cluster_bits;
        end = (e.start + e.length - 1) >> cluster_bits;
        if (last != G_MAXUINT64 && first <= last)
            first = last + 1;
        for (c = first; c <= end; c++)
            w->counts[c >> l2_bits]++;
        if (end >= first)
            last = end;
    }
    conv_map_iter_clear(&it);
    if (!ok)
        return FALSE;
    for (i = 0; i < l1_size; i++) {
        if (w->counts[i]) {
            w->n_l2++;
            w->n_data += w->counts[i];
        }
    }
    return TRUE;
}

static gboolean
qcow2_write_plan(ConvOutput *out, GError **error)
{
    Qcow2Writer *w = g_new0(Qcow2Writer, 1);
    guint cluster_bits = 0;

    out->priv = w;
    out->priv_free = qcow2_writer_free;
    if (!qcow2_write_options(out, w, &cluster_bits, error))
        return FALSE;
    /* qemu makes qcow2 sizes a multiple of 512; the rest reads as zeros. */
    w->size = (out->size + 511) & ~G_GUINT64_CONSTANT(511);
    /* Refuse an L1 table qemu would not open before reading any map. */
    if (!qcow2_write_layout(w->size, cluster_bits, 0, 0, FALSE, &w->lay, error))
        return FALSE;
    if (!qcow2_write_count(out, w, cluster_bits, error))
        return FALSE;
    if (!qcow2_write_layout(w->size, cluster_bits, w->n_l2, w->n_data,
                            w->compress, &w->lay, error))
        return FALSE;
    out->cluster_size = w->lay.cluster_size;
    out->compression = w->compression;
    out->planned_size = w->lay.total_clusters * w->lay.cluster_size;
    return TRUE;
}

const struct ferry_format qcow2_writer = {
    .name = "qcow2",
    .plan = qcow2_write_plan,
    .emit = qcow2_write_emit,
};
