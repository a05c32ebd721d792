/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qcow2-cluster.c: guest offsets to host clusters, block status and reads.
 *
 * Follows docs/interop/qcow2.txt, "Cluster mapping" and "Extended L2
 * Entries":
 *
 *     l2_entries = cluster_size / 8 (or / 16 with extended L2 entries)
 *     l1_index = (offset / cluster_size) / l2_entries
 *     l2_index = (offset / cluster_size) % l2_entries
 *
 *     L1 entry:  bits 9-55 L2 table offset (cluster aligned, 0: none)
 *     L2 entry:  bit 62 compressed, bit 63 copied;
 *                standard: bit 0 reads-as-zero (v3), bits 9-55 host offset;
 *                compressed: bits 0..x-1 host offset, x..61 extra sectors,
 *                x = 62 - (cluster_bits - 8);
 *                extended: a second word, bits 0-31 allocated subclusters,
 *                32-63 zero subclusters.
 *
 * The active L1 table is read and checked at open.  L2 tables are read in
 * slices of at most QCOW2_L2_SLICE_BYTES through a cache of
 * QCOW2_L2_CACHE_SLICES slices, so memory does not grow with the disk.
 * The cache, the last decompressed cluster and the idle decompressor are
 * guarded by priv->lock;
 * data reads and decompression run outside it, so several threads may call
 * block_status and pread at once.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conv/qcow2-priv.h"

struct _Qcow2L2Slice {
    guint64 key;                   /* file offset of the slice, 0: empty */
    guint64 last_used;             /* priv->lru_clock at the last hit */
    guint64 *words;                /* host-endian entries (1 or 2 words) */
};

/* What a guest range is, as the walk reports it. */
typedef enum {
    QCOW2_RUN_DATA,                /* host: file offset of start */
    QCOW2_RUN_ZERO,
    QCOW2_RUN_UNALLOCATED,
    QCOW2_RUN_COMPRESSED,          /* host: the L2 entry */
} Qcow2RunKind;

typedef struct {
    guint64 start;
    guint64 length;
    Qcow2RunKind kind;
    guint64 host;
} Qcow2Run;

typedef gboolean (*Qcow2RunFunc)(ConvImage *img, const Qcow2Run *run,
                                 gpointer opaque, GError **error);

/* Entries fetched from the cache per lock. */
#define QCOW2_WALK_BATCH 512u

gboolean
qcow2_cluster_init(ConvImage *img, Qcow2Priv *priv, GError **error)
{
    const Qcow2Header *hdr = &priv->hdr;
    g_autofree guint8 *raw = NULL;
    guint64 l2_covers, l1_bytes, i;
    guint64 slice_bytes;

    priv->l2_entry_bytes = priv->extended_l2 ? 16 : 8;
    priv->l2_entries = priv->cluster_size / priv->l2_entry_bytes;
    slice_bytes = MIN(priv->cluster_size, (guint64)QCOW2_L2_SLICE_BYTES);
    priv->slice_entries = slice_bytes / priv->l2_entry_bytes;
    priv->subcluster_size = priv->cluster_size / QCOW2_SUBCLUSTERS_PER_CLUSTER;
    priv->csize_shift = 62 - (priv->cluster_bits - 8);
    priv->csize_mask = (G_GUINT64_CONSTANT(1) << (priv->cluster_bits - 8)) - 1;
    priv->coffset_mask = (G_GUINT64_CONSTANT(1) << priv->csize_shift) - 1;

    /* Only the entries that cover the virtual size are used (those past it
     * may hold a snapshot's VM state); the header check guaranteed that
     * l1_size has at least that many. */
    l2_covers = priv->l2_entries << priv->cluster_bits;
    priv->l1_entries = hdr->size / l2_covers + (hdr->size % l2_covers != 0);
    g_assert(priv->l1_entries <= hdr->l1_size);
    l1_bytes = priv->l1_entries * 8;
    priv->l1 = g_new0(guint64, MAX(priv->l1_entries, 1));
    raw = g_malloc(MAX(l1_bytes, 1));
    if (!conv_file_pread(img, raw, (gsize)l1_bytes, hdr->l1_table_offset,
                         "qcow2 L1 table", error))
        return FALSE;

    for (i = 0; i < priv->l1_entries; i++) {
        guint64 l2 = conv_be64(raw + i * 8) & QCOW2_OFFSET_MASK;

        if (l2 == 0)
            continue;
        /* "Must be aligned to a cluster boundary"; so an L2 table can
         * never start inside the header cluster. */
        if (l2 & (priv->cluster_size - 1)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: qcow2 L1 entry %" G_GUINT64_FORMAT ": L2 table "
                        "offset 0x%" G_GINT64_MODIFIER "x is not aligned to "
                        "the cluster size (%" G_GUINT64_FORMAT ")",
                        img->path, i, l2, priv->cluster_size);
            return FALSE;
        }
        if (l2 > img->file_size || priv->cluster_size > img->file_size - l2) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: qcow2 L1 entry %" G_GUINT64_FORMAT ": L2 table "
                        "offset 0x%" G_GINT64_MODIFIER "x is past end of file "
                        "(%" G_GUINT64_FORMAT " bytes)",
                        img->path, i, l2, img->file_size);
            return FALSE;
        }
        if (l2 < hdr->l1_table_offset + (guint64)hdr->l1_size * 8 &&
            hdr->l1_table_offset < l2 + priv->cluster_size) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: qcow2 L1 entry %" G_GUINT64_FORMAT ": L2 table "
                        "offset 0x%" G_GINT64_MODIFIER "x overlaps the L1 table",
                        img->path, i, l2);
            return FALSE;
        }
        priv->l1[i] = l2;
    }

    g_mutex_init(&priv->lock);
    priv->slices = g_new0(Qcow2L2Slice, QCOW2_L2_CACHE_SLICES);
    priv->zcache_cluster = G_MAXUINT64;
    return TRUE;
}

void
qcow2_cluster_fini(Qcow2Priv *priv)
{
    guint i;

    g_clear_pointer(&priv->l1, g_free);
    if (!priv->slices)
        return;
    for (i = 0; i < QCOW2_L2_CACHE_SLICES; i++)
        g_free(priv->slices[i].words);
    g_clear_pointer(&priv->slices, g_free);
    g_clear_pointer(&priv->zcache, g_free);
    g_clear_pointer(&priv->inflater, qcow2_inflater_free);
    g_mutex_clear(&priv->lock);
}

/* Returns the cached slice at file offset @key, reading it on a miss.
 * Called with priv->lock held. */
static Qcow2L2Slice *
qcow2_l2_slice_get(ConvImage *img, Qcow2Priv *priv, guint64 key,
                   GError **error)
{
    gsize words = (gsize)priv->slice_entries * (priv->l2_entry_bytes / 8);
    Qcow2L2Slice *victim = &priv->slices[0];
    g_autofree guint8 *raw = NULL;
    gsize i;

    priv->lru_clock++;
    for (i = 0; i < QCOW2_L2_CACHE_SLICES; i++) {
        Qcow2L2Slice *s = &priv->slices[i];

        if (s->key == key) {
            s->last_used = priv->lru_clock;
            return s;
        }
        if (s->last_used < victim->last_used)
            victim = s;
    }

    raw = g_malloc(words * 8);
    victim->key = 0;
    if (!conv_file_pread(img, raw, words * 8, key, "qcow2 L2 table", error))
        return NULL;
    if (!victim->words)
        victim->words = g_new(guint64, words);
    for (i = 0; i < words; i++)
        victim->words[i] = conv_be64(raw + i * 8);
    victim->key = key;
    victim->last_used = priv->lru_clock;
    return victim;
}

/* Copies the L2 entries of guest clusters [@cluster, @cluster + *@n) into
 * @entries/@bitmaps, with *@n cut to the end of the slice holding the
 * first; 0 entries for an L2 table the L1 does not point to. */
static gboolean
qcow2_l2_get_entries(ConvImage *img, Qcow2Priv *priv, guint64 cluster,
                     guint64 *entries, guint64 *bitmaps, guint *n,
                     GError **error)
{
    guint64 l1_index = cluster / priv->l2_entries;
    guint64 l2_index = cluster % priv->l2_entries;
    guint64 in_slice = l2_index % priv->slice_entries;
    guint64 key;
    guint stride = priv->l2_entry_bytes / 8;
    Qcow2L2Slice *slice;
    guint i;

    g_assert(l1_index < priv->l1_entries);
    *n = (guint)MIN((guint64)*n, priv->slice_entries - in_slice);
    key = priv->l1[l1_index] + (l2_index - in_slice) * priv->l2_entry_bytes;

    g_mutex_lock(&priv->lock);
    slice = qcow2_l2_slice_get(img, priv, key, error);
    if (slice) {
        for (i = 0; i < *n; i++) {
            entries[i] = slice->words[(in_slice + i) * stride];
            bitmaps[i] = stride == 2 ? slice->words[(in_slice + i) * 2 + 1] : 0;
        }
    }
    g_mutex_unlock(&priv->lock);
    return slice != NULL;
}

/* The file that holds guest data: the external data file, or the image. */
static guint64
qcow2_data_limit(ConvImage *img, Qcow2Priv *priv)
{
    return priv->data_fd >= 0 ? priv->data_file_size : img->file_size;
}

/* Checks a standard cluster's host offset ("Must be aligned to a cluster
 * boundary"; a cluster starting past the end of the file is refused, a
 * last cluster cut short by the end of the file reads zeros, as in qemu). */
static gboolean
qcow2_check_host_offset(ConvImage *img, Qcow2Priv *priv, guint64 guest,
                        guint64 host, GError **error)
{
    if (host & (priv->cluster_size - 1)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: qcow2 L2 entry for guest offset %" G_GUINT64_FORMAT
                    ": host offset 0x%" G_GINT64_MODIFIER "x is not aligned to "
                    "the cluster size (%" G_GUINT64_FORMAT ")",
                    img->path, guest, host, priv->cluster_size);
        return FALSE;
    }
    if (host >= qcow2_data_limit(img, priv)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: qcow2 L2 entry for guest offset %" G_GUINT64_FORMAT
                    ": host offset 0x%" G_GINT64_MODIFIER "x is past end of "
                    "%s (%" G_GUINT64_FORMAT " bytes)", img->path, guest, host,
                    priv->data_fd >= 0 ? "the data file" : "file",
                    qcow2_data_limit(img, priv));
        return FALSE;
    }
    return TRUE;
}

/* Collects runs and hands on the merged ones. */
typedef struct {
    Qcow2Run pending;
    gboolean have_pending;
    Qcow2RunFunc fn;
    gpointer opaque;
} Qcow2Walk;

static gboolean
qcow2_walk_emit(ConvImage *img, Qcow2Walk *w, guint64 start, guint64 length,
                Qcow2RunKind kind, guint64 host, GError **error)
{
    Qcow2Run *p = &w->pending;

    if (w->have_pending && p->kind == kind && p->start + p->length == start &&
        kind != QCOW2_RUN_COMPRESSED &&
        (kind != QCOW2_RUN_DATA || p->host + p->length == host)) {
        p->length += length;
        return TRUE;
    }
    if (w->have_pending && !w->fn(img, p, w->opaque, error))
        return FALSE;
    p->start = start;
    p->length = length;
    p->kind = kind;
    p->host = host;
    w->have_pending = TRUE;
    return TRUE;
}

/* Emits the runs of guest range [@from, @to) inside the cluster starting
 * at guest offset @gs, described by @entry and @bitmap. */
static gboolean
qcow2_walk_cluster(ConvImage *img, Qcow2Priv *priv, Qcow2Walk *w, guint64 gs,
                   guint64 from, guint64 to, guint64 entry, guint64 bitmap,
                   GError **error)
{
    guint64 host = entry & QCOW2_OFFSET_MASK;
    /* With an external data file, host offset 0 with bit 63 set is the
     * data file's first cluster. */
    gboolean has_host = host != 0 ||
        (priv->data_fd >= 0 && (entry & QCOW2_OFLAG_COPIED));
    guint32 alloc, zero;
    guint64 pos;

    if (entry & QCOW2_OFLAG_COMPRESSED) {
        if (priv->data_fd >= 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: qcow2 L2 entry for guest offset %" G_GUINT64_FORMAT
                        ": compressed cluster in an image with an external "
                        "data file", img->path, gs);
            return FALSE;
        }
        return qcow2_walk_emit(img, w, from, to - from, QCOW2_RUN_COMPRESSED,
                               entry, error);
    }

    if (!priv->extended_l2) {
        if (entry & QCOW2_OFLAG_ZERO) {
            /* "With version 2 ... this is always 0" (qemu: corruption). */
            if (priv->hdr.version < 3) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "%s: qcow2 L2 entry for guest offset %"
                            G_GUINT64_FORMAT ": zero flag in a version 2 image",
                            img->path, gs);
                return FALSE;
            }
            return qcow2_walk_emit(img, w, from, to - from, QCOW2_RUN_ZERO, 0,
                                   error);
        }
        if (!has_host)
            return qcow2_walk_emit(img, w, from, to - from,
                                   QCOW2_RUN_UNALLOCATED, 0, error);
        if (!qcow2_check_host_offset(img, priv, gs, host, error))
            return FALSE;
        return qcow2_walk_emit(img, w, from, to - from, QCOW2_RUN_DATA,
                               host + (from - gs), error);
    }

    /* Extended L2: 32 subclusters, each allocated, zero, or neither. */
    alloc = (guint32)bitmap;
    zero = (guint32)(bitmap >> 32);
    if (alloc & zero) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: qcow2 L2 entry for guest offset %" G_GUINT64_FORMAT
                    ": subcluster %d is both allocated and zero",
                    img->path, gs, g_bit_nth_lsf((gulong)(alloc & zero), -1));
        return FALSE;
    }
    if (alloc) {
        if (!has_host) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: qcow2 L2 entry for guest offset %" G_GUINT64_FORMAT
                        ": allocated subclusters (bitmap 0x%08x) without a "
                        "host offset", img->path, gs, alloc);
            return FALSE;
        }
        if (!qcow2_check_host_offset(img, priv, gs, host, error))
            return FALSE;
    }
    for (pos = from; pos < to;) {
        guint sc = (guint)((pos - gs) / priv->subcluster_size);
        guint64 sc_end = MIN(gs + (guint64)(sc + 1) * priv->subcluster_size, to);
        Qcow2RunKind kind = (alloc >> sc) & 1 ? QCOW2_RUN_DATA :
                            (zero >> sc) & 1 ? QCOW2_RUN_ZERO :
                            QCOW2_RUN_UNALLOCATED;

        if (!qcow2_walk_emit(img, w, pos, sc_end - pos, kind,
                             kind == QCOW2_RUN_DATA ? host + (pos - gs) : 0,
                             error))
            return FALSE;
        pos = sc_end;
    }
    return TRUE;
}

/* Calls @fn on the merged runs covering guest range [@off, @off + @len),
 * which lies inside the virtual size. */
static gboolean
qcow2_walk(ConvImage *img, guint64 off, guint64 len, Qcow2RunFunc fn,
           gpointer opaque, GError **error)
{
    Qcow2Priv *priv = img->priv;
    Qcow2Walk w = { .fn = fn, .opaque = opaque };
    guint64 entries[QCOW2_WALK_BATCH], bitmaps[QCOW2_WALK_BATCH];
    guint64 end = off + len;
    guint64 pos = off;

    while (pos < end) {
        guint64 cluster = pos >> priv->cluster_bits;
        guint64 l1_index = cluster / priv->l2_entries;
        guint n, i;

        if (priv->l1[l1_index] == 0) {
            /* No L2 table: the whole range it would map is unallocated. */
            guint64 table_end = (l1_index + 1) * priv->l2_entries <<
                                priv->cluster_bits;
            guint64 stop = MIN(end, table_end);

            if (!qcow2_walk_emit(img, &w, pos, stop - pos,
                                 QCOW2_RUN_UNALLOCATED, 0, error))
                return FALSE;
            pos = stop;
            continue;
        }
        n = (guint)MIN((guint64)QCOW2_WALK_BATCH,
                       ((end - 1) >> priv->cluster_bits) - cluster + 1);
        if (!qcow2_l2_get_entries(img, priv, cluster, entries, bitmaps, &n,
                                  error))
            return FALSE;
        for (i = 0; i < n && pos < end; i++) {
            guint64 gs = (cluster + i) << priv->cluster_bits;
            guint64 to = MIN(end, gs + priv->cluster_size);

            if (!qcow2_walk_cluster(img, priv, &w, gs, pos, to, entries[i],
                                    bitmaps[i], error))
                return FALSE;
            pos = to;
        }
    }
    if (w.have_pending && !fn(img, &w.pending, opaque, error))
        return FALSE;
    return TRUE;
}

static gboolean
qcow2_block_status_run(ConvImage *img, const Qcow2Run *run, gpointer opaque,
                       GError **error)
{
    static const ConvExtentKind kinds[] = {
        [QCOW2_RUN_DATA] = CONV_EXTENT_DATA,
        [QCOW2_RUN_ZERO] = CONV_EXTENT_ZERO,
        [QCOW2_RUN_UNALLOCATED] = CONV_EXTENT_UNALLOCATED,
        [QCOW2_RUN_COMPRESSED] = CONV_EXTENT_DATA,
    };

    conv_extents_append(opaque, run->start, run->length, kinds[run->kind]);
    return TRUE;
}

gboolean
qcow2_block_status(ConvImage *img, guint64 off, guint64 len, ConvExtents *out,
                   GError **error)
{
    return qcow2_walk(img, off, len, qcow2_block_status_run, out, error);
}

/* Reads @len bytes of guest data at host offset @host; what lies past the
 * end of the file reads as zeros (a last cluster written short). */
static gboolean
qcow2_read_data(ConvImage *img, Qcow2Priv *priv, guint8 *buf, guint64 len,
                guint64 host, GError **error)
{
    guint64 limit = qcow2_data_limit(img, priv);
    guint64 avail = host >= limit ? 0 : MIN(len, limit - host);
    int fd = priv->data_fd >= 0 ? priv->data_fd : img->fd;
    const char *path = priv->data_fd >= 0 ? priv->data_path : img->path;
    guint64 done = 0;

    memset(buf + avail, 0, len - avail);
    while (done < avail) {
        ssize_t r = pread(fd, buf + done, (size_t)(avail - done),
                          (off_t)(host + done));

        if (r < 0) {
            int saved = errno;

            if (saved == EINTR)
                continue;
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "read: %s: qcow2 data at offset %" G_GUINT64_FORMAT
                        ": %s", path, host + done, g_strerror(saved));
            return FALSE;
        }
        if (r == 0) {
            /* The file shrank under us. */
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "%s: qcow2 data at offset %" G_GUINT64_FORMAT
                        ": unexpected end of file", path, host + done);
            return FALSE;
        }
        done += (guint64)r;
    }
    return TRUE;
}

/* Copies @len bytes at @in_cluster of the compressed guest cluster that
 * starts at @gs, described by L2 entry @entry.  A whole cluster (what the
 * engine asks for: its chunks are cluster-aligned) is inflated straight
 * into @buf; a piece of one goes through the last-cluster cache, as a
 * reader may ask for the rest of it next. */
static gboolean
qcow2_read_compressed(ConvImage *img, Qcow2Priv *priv, guint8 *buf,
                      gsize len, guint64 gs, guint64 in_cluster,
                      guint64 entry, GError **error)
{
    guint64 cluster = gs >> priv->cluster_bits;
    guint64 coffset = entry & priv->coffset_mask;
    guint64 nb_sectors = ((entry >> priv->csize_shift) & priv->csize_mask) + 1;
    guint64 csize = nb_sectors * 512 - (coffset & 511);
    gboolean whole = in_cluster == 0 && len == priv->cluster_size;
    Qcow2Inflater *inflater;
    g_autofree guint8 *in = NULL;
    g_autofree guint8 *out = NULL;
    gboolean ok;

    g_mutex_lock(&priv->lock);
    if (priv->zcache_cluster == cluster) {
        memcpy(buf, priv->zcache + in_cluster, len);
        g_mutex_unlock(&priv->lock);
        return TRUE;
    }
    g_mutex_unlock(&priv->lock);

    if (coffset >= img->file_size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: qcow2 compressed cluster at guest offset %"
                    G_GUINT64_FORMAT ": host offset 0x%" G_GINT64_MODIFIER
                    "x is past end of file (%" G_GUINT64_FORMAT " bytes)",
                    img->path, gs, coffset, img->file_size);
        return FALSE;
    }
    /* The last sector may run past the end of the file: the stream ends
     * before it does. */
    csize = MIN(csize, img->file_size - coffset);
    in = g_malloc(csize);
    if (!conv_file_pread(img, in, (gsize)csize, coffset,
                         "qcow2 compressed cluster", error))
        return FALSE;
    if (!whole)
        out = g_malloc(priv->cluster_size);

    g_mutex_lock(&priv->lock);
    inflater = g_steal_pointer(&priv->inflater);
    g_mutex_unlock(&priv->lock);
    ok = qcow2_decompress(priv->hdr.compression_type, in, (gsize)csize,
                          whole ? buf : out, (gsize)priv->cluster_size,
                          &inflater);
    g_mutex_lock(&priv->lock);
    if (!priv->inflater)
        priv->inflater = g_steal_pointer(&inflater);
    g_mutex_unlock(&priv->lock);
    qcow2_inflater_free(inflater);

    if (!ok) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: qcow2 compressed cluster at guest offset %"
                    G_GUINT64_FORMAT " (host offset 0x%" G_GINT64_MODIFIER
                    "x, %" G_GUINT64_FORMAT " bytes): %s stream is corrupt",
                    img->path, gs, coffset, csize,
                    priv->hdr.compression_type == QCOW2_COMPRESSION_ZSTD ?
                    "zstd" : "zlib");
        return FALSE;
    }
    if (whole)
        return TRUE;
    memcpy(buf, out + in_cluster, len);

    /* Keep it: the rest of the cluster may be asked for next. */
    g_mutex_lock(&priv->lock);
    g_free(priv->zcache);
    priv->zcache = g_steal_pointer(&out);
    priv->zcache_cluster = cluster;
    g_mutex_unlock(&priv->lock);
    return TRUE;
}

typedef struct {
    guint8 *buf;
    guint64 off;                   /* guest offset of buf[0] */
} Qcow2ReadCtx;

static gboolean
qcow2_pread_run(ConvImage *img, const Qcow2Run *run, gpointer opaque,
                GError **error)
{
    Qcow2ReadCtx *ctx = opaque;
    Qcow2Priv *priv = img->priv;
    guint8 *dst = ctx->buf + (run->start - ctx->off);

    switch (run->kind) {
    case QCOW2_RUN_DATA:
        return qcow2_read_data(img, priv, dst, run->length, run->host, error);
    case QCOW2_RUN_ZERO:
    case QCOW2_RUN_UNALLOCATED:
        memset(dst, 0, run->length);
        return TRUE;
    case QCOW2_RUN_COMPRESSED: {
        guint64 gs = run->start & ~(priv->cluster_size - 1);

        return qcow2_read_compressed(img, priv, dst, (gsize)run->length, gs,
                                     run->start - gs, run->host, error);
    }
    }
    g_assert_not_reached();
}

gboolean
qcow2_pread(ConvImage *img, void *buf, gsize len, guint64 off, GError **error)
{
    Qcow2ReadCtx ctx = { buf, off };

    return qcow2_walk(img, off, len, qcow2_pread_run, &ctx, error);
}
