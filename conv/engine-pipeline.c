/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * engine-pipeline.c: the bounded read/compress/write pipeline behind a
 * writer's emit().
 *
 * The writer's thread queues items in output order: bytes (metadata),
 * holes, and copies of guest ranges.  Copies are cut into chunks that a
 * GThreadPool reads (and compresses) into one of a fixed set of slot
 * buffers; the writer's thread writes items to the sink strictly in queue
 * order, waiting for the oldest when every slot is taken.  Workers only
 * touch their own item and slot, and a worker context (a reader handle
 * and a compressor) they take from a queue, so the only shared state is
 * each item's done flag, under one lock.
 *
 * Compressed clusters are framed as out->frame says (writer-priv.h): the
 * worker compresses each cluster behind room for its header, lets the
 * writer fill the header, and pads the frame, so the writer's thread only
 * copies finished frames to the sink.  A "late" item is bytes made by the
 * writer when its turn comes, for tables that point at clusters queued
 * ahead of them (vmdk grain tables).
 */
#include <config.h>

#include <string.h>

#include "conv/engine-priv.h"

/* Items waiting in order at most (bytes and holes use no slot). */
#define CONV_PIPELINE_MAX_ITEMS 256
/* Slot memory at most, for large clusters: 16 MiB of reads plus as much of
 * compressed output. */
#define CONV_PIPELINE_BYTES (16 * 1024 * 1024)
/* Slot buffers start on a page boundary, as qemu's qemu_blockalign()
 * buffers do.  g_malloc() of 1 MiB returns an mmap()ed block 16 bytes past
 * a page, and the kernel's copy of each write into the page cache (rep
 * movsb from a source not aligned like its destination) took 65 % of
 * ferry's samples on qcow2 -> raw against 20 % for qemu-img doing the same
 * copy.  1 GiB half-data qcow2 -> raw, -t unsafe, 9 runs alternating with
 * qemu-img: median 0.29 s (CPU 0.27 s) before, 0.21 s (0.20 s) aligned;
 * qemu-img 0.21 s (0.19 s). */
#define CONV_SLOT_ALIGN 4096

typedef enum {
    CONV_ITEM_BYTES,
    CONV_ITEM_SKIP,
    CONV_ITEM_COPY,
    CONV_ITEM_LATE,
} ConvItemKind;

/* What became of one cluster of a compressed copy. */
typedef enum {
    CONV_CLUSTER_COMPRESSED,    /* a frame of zlen bytes in zdata */
    CONV_CLUSTER_STORED,        /* did not shrink: stored whole */
    CONV_CLUSTER_ZERO,          /* all zeros, left out (frame.skip_zero) */
} ConvClusterHow;

typedef struct {
    gsize zlen;                 /* frame bytes, header and padding included */
    ConvClusterHow how;
} ConvClusterOut;

/* One per worker thread, taken from a queue for one item at a time. */
typedef struct {
    ConvImage *img;             /* a read handle on the source chain */
    void *zstate;               /* the compressor, kept between items */
} ConvWorkerCtx;

/* One piece of the output, queued in order; kind says which member of u
 * holds it. */
typedef struct {
    ConvItemKind kind;
    guint64 guest_acc;          /* guest bytes this item completes */
    union {
        struct {
            guint8 *data;       /* owned */
            gsize len;
        } bytes;
        struct {
            guint64 len;        /* output bytes of hole (may be 0) */
        } skip;
        struct {
            guint flags;        /* CONV_COPY_* */
            guint64 guest_off;  /* the source range */
            gsize guest_len;
            int slot;           /* eng->data (and eng->zdata) index */
            guint n_clusters;   /* CONV_COPY_COMPRESS only */
            ConvClusterOut *clusters;   /* n_clusters, owned */
        } copy;
        struct {
            gsize max;          /* room given to fill */
            ConvLateFunc fill;
            gpointer data;
        } late;
    } u;

    /* Written by the worker (COPY), then read by the writer, under
     * eng->lock.  A copy is written only if read is TRUE: a worker that
     * found the engine stopped leaves the slot as the last item left it. */
    gboolean done;
    gboolean read;
    GError *error;
} ConvItem;

struct _ConvEngine {
    ConvOutput *out;            /* immutable */
    ConvSink *sink;             /* writer thread only */
    GThreadPool *pool;
    GAsyncQueue *workers;       /* ConvWorkerCtx *: one per thread */
    GPtrArray *all_workers;     /* owns them */
    gsize chunk_bytes;          /* immutable */
    gsize zstride;              /* immutable: zdata bytes per cluster */
    guint n_slots;              /* immutable */
    guint8 **data;              /* slot buffers, chunk_bytes each */
    guint8 **zdata;             /* compressed frames, zstride per cluster */
    gboolean *busy;             /* writer thread only */
    gint stop;                  /* atomic: workers skip their work */
    /* Writer thread only: the first error of any item, kept until emit
     * ends.  Once set nothing more reaches the sink, and every call into
     * the pipeline fails with it, so an error met where nobody can take
     * it (conv_output_account()) is not lost. */
    GError *error;

    GMutex lock;
    GCond cond;

    /* Writer thread only. */
    GQueue queue;
    guint64 queued_offset;      /* sink offset once the queue is written */
    gboolean offset_known;      /* FALSE while compressed copies wait */
    guint64 done_guest;
};

static void
conv_item_free(ConvItem *item)
{
    if (item->error)
        g_error_free(item->error);
    switch (item->kind) {
    case CONV_ITEM_BYTES:
        g_free(item->u.bytes.data);
        break;
    case CONV_ITEM_COPY:
        g_free(item->u.copy.clusters);
        break;
    case CONV_ITEM_SKIP:
    case CONV_ITEM_LATE:
        break;
    }
    g_free(item);
}

static gboolean
conv_buffer_is_zero(const guint8 *buf, gsize len)
{
    /* The first byte, then the buffer against itself shifted by one. */
    return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

static void
conv_worker_ctx_free(gpointer data)
{
    ConvWorkerCtx *w = data;

    conv_image_free(w->img);
    g_free(w);
}

/* Compresses and frames one cluster of @in into @frame (zstride bytes). */
static void
conv_engine_compress_one(ConvEngine *eng, ConvWorkerCtx *w, guint64 guest_off,
                         const guint8 *in, guint8 *frame, ConvClusterOut *res)
{
    const ConvOutput *out = eng->out;
    const ConvClusterFrame *f = &out->frame;
    gsize cs = out->cluster_size;
    gsize room, zlen, framed;

    if (f->skip_zero && conv_buffer_is_zero(in, cs)) {
        res->how = CONV_CLUSTER_ZERO;
        return;
    }
    /* Without f->always a frame must end short of a whole cluster to be
     * worth it; with it there is room for the worst case. */
    room = f->always ? eng->zstride - f->header_bytes
                     : cs - 1 - f->header_bytes;
    zlen = conv_compress_cluster(out->compression, in, cs,
                                 frame + f->header_bytes, room, &w->zstate);
    if (zlen == 0) {
        /* Only an allocation failure gets here with f->always; the
         * cluster is then stored whole, which such a writer refuses. */
        res->how = CONV_CLUSTER_STORED;
        return;
    }
    framed = f->header_bytes + zlen;
    if (f->align > 1 && framed % f->align) {
        gsize pad = f->align - framed % f->align;

        memset(frame + framed, 0, pad);
        framed += pad;
    }
    if (f->header)
        f->header(out, guest_off, zlen, frame);
    res->how = CONV_CLUSTER_COMPRESSED;
    res->zlen = framed;
}

static void
conv_engine_worker(gpointer data, gpointer user_data)
{
    ConvItem *item = data;
    ConvEngine *eng = user_data;
    ConvOutput *out = eng->out;
    GError *err = NULL;
    gboolean ok = FALSE;

    g_assert(item->kind == CONV_ITEM_COPY);
    if (!g_atomic_int_get(&eng->stop)) {
        ConvWorkerCtx *w = g_async_queue_pop(eng->workers);
        guint8 *buf = eng->data[item->u.copy.slot];

        ok = conv_image_pread(w->img, buf, item->u.copy.guest_len,
                              item->u.copy.guest_off, &err);
        if (ok && (item->u.copy.flags & CONV_COPY_COMPRESS)) {
            gsize cs = out->cluster_size;
            guint8 *zbuf = eng->zdata[item->u.copy.slot];
            guint i;

            /* The last cluster of a disk whose size is not a multiple of
             * the cluster size is compressed whole, zero-padded (qemu). */
            memset(buf + item->u.copy.guest_len, 0,
                   item->u.copy.n_clusters * cs - item->u.copy.guest_len);
            for (i = 0; i < item->u.copy.n_clusters; i++)
                conv_engine_compress_one(eng, w,
                                         item->u.copy.guest_off + i * cs,
                                         buf + i * cs,
                                         zbuf + i * eng->zstride,
                                         &item->u.copy.clusters[i]);
        }
        g_async_queue_push(eng->workers, w);
    }
    g_mutex_lock(&eng->lock);
    item->error = err;
    item->read = ok;
    item->done = TRUE;
    g_cond_broadcast(&eng->cond);
    g_mutex_unlock(&eng->lock);
}

gboolean
conv_engine_start(ConvOutput *out, ConvSink *sink, GError **error)
{
    ConvEngine *eng = g_new0(ConvEngine, 1);
    guint threads = out->opts->threads;
    guint i;

    eng->out = out;
    eng->sink = sink;
    eng->offset_known = TRUE;
    eng->queued_offset = conv_sink_get_offset(sink);
    g_mutex_init(&eng->lock);
    g_cond_init(&eng->cond);
    g_queue_init(&eng->queue);
    out->engine = eng;

    eng->chunk_bytes = CONV_CHUNK_BYTES;
    if (out->cluster_size > eng->chunk_bytes)
        eng->chunk_bytes = out->cluster_size;
    /* Room per compressed cluster: the cluster itself (what does not fit
     * is stored whole), or the worst case of a frame that must hold it. */
    eng->zstride = out->cluster_size;
    if (out->frame.always) {
        gsize align = MAX(out->frame.align, 1);

        eng->zstride = out->frame.header_bytes +
                       conv_compress_bound(out->compression, out->cluster_size);
        eng->zstride = (eng->zstride + align - 1) / align * align;
    }
    g_assert(out->frame.always || !out->cluster_size ||
             out->frame.header_bytes < out->cluster_size);
    eng->n_slots = MIN(CONV_PIPELINE_SLOTS,
                       MAX(4, CONV_PIPELINE_BYTES / eng->chunk_bytes));
    eng->data = g_new0(guint8 *, eng->n_slots);
    eng->zdata = g_new0(guint8 *, eng->n_slots);
    eng->busy = g_new0(gboolean, eng->n_slots);

    if (threads == 0)
        threads = MIN(g_get_num_processors(), CONV_MAX_THREADS);
    threads = CLAMP(threads, 1, CONV_MAX_THREADS);
    eng->workers = g_async_queue_new();
    eng->all_workers = g_ptr_array_new_with_free_func(conv_worker_ctx_free);
    for (i = 0; i < threads; i++) {
        ConvWorkerCtx *w = g_new0(ConvWorkerCtx, 1);

        w->img = conv_image_open_forced(conv_image_get_path(out->src),
                                        conv_image_get_format(out->src),
                                        error);
        g_ptr_array_add(eng->all_workers, w);
        if (!w->img)
            return FALSE;
        g_async_queue_push(eng->workers, w);
    }
    eng->pool = g_thread_pool_new(conv_engine_worker, eng, (int)threads, FALSE,
                                  error);
    return eng->pool != NULL;
}

void
conv_engine_stop(ConvOutput *out)
{
    ConvEngine *eng = out->engine;
    ConvItem *item;
    guint i;

    if (!eng)
        return;
    g_atomic_int_set(&eng->stop, 1);
    if (eng->pool)
        g_thread_pool_free(eng->pool, FALSE, TRUE);   /* waits for workers */
    while ((item = g_queue_pop_head(&eng->queue)))
        conv_item_free(item);
    g_clear_error(&eng->error);
    for (i = 0; i < eng->n_slots; i++) {
        g_aligned_free(eng->data[i]);
        g_free(eng->zdata[i]);
    }
    g_free(eng->data);
    g_free(eng->zdata);
    g_free(eng->busy);
    for (i = 0; i < eng->all_workers->len; i++) {
        ConvWorkerCtx *w = g_ptr_array_index(eng->all_workers, i);

        conv_compress_state_free(out->compression, w->zstate);
    }
    g_async_queue_unref(eng->workers);
    g_ptr_array_unref(eng->all_workers);
    g_mutex_clear(&eng->lock);
    g_cond_clear(&eng->cond);
    g_free(eng);
    out->engine = NULL;
}

static gboolean
conv_engine_write_copy(ConvEngine *eng, ConvItem *item, GError **error)
{
    ConvOutput *out = eng->out;
    guint flags = item->u.copy.flags;
    guint64 guest_off = item->u.copy.guest_off;
    gsize guest_len = item->u.copy.guest_len;
    const guint8 *buf = eng->data[item->u.copy.slot];
    const guint8 *zbuf = eng->zdata[item->u.copy.slot];
    gsize cs = out->cluster_size;
    guint i;

    if (!(flags & CONV_COPY_COMPRESS)) {
        if ((flags & CONV_COPY_SPARSE) && conv_sink_can_seek(eng->sink) &&
            conv_buffer_is_zero(buf, guest_len))
            return conv_sink_skip(eng->sink, guest_len, error);
        return conv_sink_write(eng->sink, buf, guest_len, error);
    }
    for (i = 0; i < item->u.copy.n_clusters; i++) {
        const ConvClusterOut *c = &item->u.copy.clusters[i];
        guint64 host = conv_sink_get_offset(eng->sink);

        if (c->how == CONV_CLUSTER_ZERO)
            continue;
        if (c->how == CONV_CLUSTER_COMPRESSED) {
            if (!conv_sink_write(eng->sink, zbuf + i * eng->zstride, c->zlen,
                                 error))
                return FALSE;
            out->on_cluster(out, guest_off + i * cs, host, c->zlen, TRUE);
            continue;
        }
        if (out->frame.always) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                        "%s output: cannot compress the cluster at guest offset %"
                        G_GUINT64_FORMAT " (out of memory)",
                        out->writer->name, guest_off + i * cs);
            return FALSE;
        }
        /* Did not shrink: stored whole, which needs a cluster of its own. */
        if (host % cs) {
            if (!conv_sink_skip(eng->sink, cs - host % cs, error))
                return FALSE;
            host = conv_sink_get_offset(eng->sink);
        }
        if (!conv_sink_write(eng->sink, buf + i * cs, cs, error))
            return FALSE;
        out->on_cluster(out, guest_off + i * cs, host, cs, FALSE);
    }
    return TRUE;
}

static gboolean
conv_engine_write_late(ConvEngine *eng, ConvItem *item, GError **error)
{
    g_autofree guint8 *buf = g_malloc0(item->u.late.max);
    gsize len = 0;

    if (!item->u.late.fill(eng->out, conv_sink_get_offset(eng->sink), buf,
                           &len, item->u.late.data, error))
        return FALSE;
    g_assert(len <= item->u.late.max);
    return conv_sink_write(eng->sink, buf, len, error);
}

/* Keeps @err (taken) if it is the engine's first error, and stops the
 * workers: whatever follows in the queue is dropped, never written. */
static void
conv_engine_fail(ConvEngine *eng, GError *err)
{
    if (!eng->error)
        eng->error = err;
    else
        g_error_free(err);
    g_atomic_int_set(&eng->stop, 1);
}

/* FALSE with a copy of the first error once one is kept. */
static gboolean
conv_engine_check(ConvEngine *eng, GError **error)
{
    if (!eng->error)
        return TRUE;
    g_propagate_error(error, g_error_copy(eng->error));
    return FALSE;
}

GError *
conv_engine_take_error(ConvOutput *out)
{
    ConvEngine *eng = out->engine;

    return eng ? g_steal_pointer(&eng->error) : NULL;
}

static gboolean
conv_engine_write_item(ConvEngine *eng, ConvItem *item, GError **error)
{
    switch (item->kind) {
    case CONV_ITEM_BYTES:
        return conv_sink_write(eng->sink, item->u.bytes.data,
                               item->u.bytes.len, error);
    case CONV_ITEM_SKIP:
        return conv_sink_skip(eng->sink, item->u.skip.len, error);
    case CONV_ITEM_COPY:
        return conv_engine_write_copy(eng, item, error);
    case CONV_ITEM_LATE:
        return conv_engine_write_late(eng, item, error);
    }
    g_assert_not_reached();
}

/* Writes the oldest queued item once it is ready, or drops it once the
 * engine has an error; FALSE with that (first) error. */
static gboolean
conv_engine_drain_one(ConvEngine *eng, GError **error)
{
    ConvOutput *out = eng->out;
    ConvItem *item = g_queue_peek_head(&eng->queue);
    GError *local = NULL;

    g_assert(item);
    g_mutex_lock(&eng->lock);
    while (!item->done)
        g_cond_wait(&eng->cond, &eng->lock);
    g_mutex_unlock(&eng->lock);
    g_queue_pop_head(&eng->queue);

    if (item->error) {
        conv_engine_fail(eng, g_steal_pointer(&item->error));
    } else if (!eng->error && item->kind == CONV_ITEM_COPY && !item->read) {
        /* Workers skip only after a failure, which is kept first; this
         * guards the rule that a slot nobody filled is never written. */
        conv_engine_fail(eng, g_error_new(FERRY_ERROR, FERRY_ERROR_FAILED,
                                          "%s: guest range at offset %"
                                          G_GUINT64_FORMAT " was not read",
                                          conv_image_get_path(out->src),
                                          item->u.copy.guest_off));
    } else if (!eng->error && out->opts->cancellable &&
               g_cancellable_set_error_if_cancelled(out->opts->cancellable,
                                                    &local)) {
        conv_engine_fail(eng, local);
    } else if (!eng->error && !conv_engine_write_item(eng, item, &local)) {
        conv_engine_fail(eng, local);
    }
    if (item->kind == CONV_ITEM_COPY)
        eng->busy[item->u.copy.slot] = FALSE;
    if (!eng->error && item->guest_acc) {
        eng->done_guest += item->guest_acc;
        if (out->opts->progress)
            out->opts->progress(eng->done_guest, out->size,
                                out->opts->progress_data);
    }
    conv_item_free(item);
    return conv_engine_check(eng, error);
}

static gboolean
conv_engine_push(ConvEngine *eng, ConvItem *item, GError **error)
{
    if (!conv_engine_check(eng, error)) {
        conv_item_free(item);
        return FALSE;
    }
    while (g_queue_get_length(&eng->queue) >= CONV_PIPELINE_MAX_ITEMS) {
        if (!conv_engine_drain_one(eng, error)) {
            conv_item_free(item);
            return FALSE;
        }
    }
    if (item->kind != CONV_ITEM_COPY)
        item->done = TRUE;
    g_queue_push_tail(&eng->queue, item);
    return TRUE;
}

gboolean
conv_output_write_bytes(ConvOutput *out, const void *buf, gsize len,
                        GError **error)
{
    ConvEngine *eng = out->engine;
    ConvItem *item;

    if (len == 0)
        return TRUE;
    item = g_new0(ConvItem, 1);
    item->kind = CONV_ITEM_BYTES;
    item->u.bytes.data = g_memdup2(buf, len);
    item->u.bytes.len = len;
    eng->queued_offset += len;
    return conv_engine_push(eng, item, error);
}

gboolean
conv_output_write_late(ConvOutput *out, gsize max_len, ConvLateFunc fill,
                       gpointer data, GError **error)
{
    ConvEngine *eng = out->engine;
    ConvItem *item = g_new0(ConvItem, 1);

    item->kind = CONV_ITEM_LATE;
    item->u.late.max = max_len;
    item->u.late.fill = fill;
    item->u.late.data = data;
    /* Its length is only known when it is written. */
    eng->offset_known = FALSE;
    return conv_engine_push(eng, item, error);
}

gboolean
conv_output_skip(ConvOutput *out, guint64 len, guint64 guest_len,
                 GError **error)
{
    ConvEngine *eng = out->engine;
    ConvItem *item;

    if (len == 0 && guest_len == 0)
        return TRUE;
    item = g_new0(ConvItem, 1);
    item->kind = CONV_ITEM_SKIP;
    item->u.skip.len = len;
    item->guest_acc = guest_len;
    eng->queued_offset += len;
    return conv_engine_push(eng, item, error);
}

void
conv_output_account(ConvOutput *out, guint64 guest_len)
{
    /* Queued as an empty hole so that progress stays in output order; an
     * empty hole cannot fail, but the queue may write older items that do:
     * the engine keeps that error, and the next call into the pipeline,
     * the final flush and conv_output_emit() all fail with it. */
    if (guest_len > 0)
        (void)conv_output_skip(out, 0, guest_len, NULL);
}

/* Takes a free slot, writing finished items until one frees. */
static int
conv_engine_take_slot(ConvEngine *eng, gboolean compress, GError **error)
{
    for (;;) {
        guint i;

        for (i = 0; i < eng->n_slots; i++) {
            if (!eng->busy[i]) {
                eng->busy[i] = TRUE;
                /* Slots are allocated on first use: a small disk never
                 * pays for all of them. */
                if (!eng->data[i])
                    eng->data[i] = g_aligned_alloc(eng->chunk_bytes, 1,
                                                   CONV_SLOT_ALIGN);
                if (compress && !eng->zdata[i])
                    eng->zdata[i] = g_malloc(eng->chunk_bytes /
                                             eng->out->cluster_size *
                                             eng->zstride);
                return (int)i;
            }
        }
        if (!conv_engine_drain_one(eng, error))
            return -1;
    }
}

gboolean
conv_output_copy(ConvOutput *out, guint64 guest_off, guint64 len, guint flags,
                 GError **error)
{
    ConvEngine *eng = out->engine;
    gboolean compress = (flags & CONV_COPY_COMPRESS) != 0;
    gsize step = eng->chunk_bytes;

    if (compress) {
        g_assert(out->cluster_size > 0 && guest_off % out->cluster_size == 0);
        step -= step % out->cluster_size;
        eng->offset_known = FALSE;
    }
    while (len > 0) {
        gsize n = (gsize)MIN(len, (guint64)step);
        GError *local = NULL;
        ConvItem *item;
        int slot;

        if (out->opts->cancellable &&
            g_cancellable_set_error_if_cancelled(out->opts->cancellable, error))
            return FALSE;
        slot = conv_engine_take_slot(eng, compress, error);
        if (slot < 0)
            return FALSE;
        item = g_new0(ConvItem, 1);
        item->kind = CONV_ITEM_COPY;
        item->guest_acc = n;
        item->u.copy.flags = flags;
        item->u.copy.guest_off = guest_off;
        item->u.copy.guest_len = n;
        item->u.copy.slot = slot;
        if (compress) {
            item->u.copy.n_clusters = (guint)((n + out->cluster_size - 1) /
                                              out->cluster_size);
            item->u.copy.clusters = g_new0(ConvClusterOut,
                                           item->u.copy.n_clusters);
        } else {
            eng->queued_offset += n;
        }
        if (!conv_engine_push(eng, item, error))
            return FALSE;
        if (!g_thread_pool_push(eng->pool, item, &local)) {
            /* No worker will take it: done, unread, and the error kept. */
            item->done = TRUE;
            conv_engine_fail(eng, g_error_copy(local));
            g_propagate_error(error, local);
            return FALSE;
        }
        guest_off += n;
        len -= n;
    }
    return TRUE;
}

gboolean
conv_output_flush(ConvOutput *out, GError **error)
{
    ConvEngine *eng = out->engine;

    while (!g_queue_is_empty(&eng->queue)) {
        if (!conv_engine_drain_one(eng, error))
            return FALSE;
    }
    /* An error kept while the queue was drained by a call that could not
     * return it (conv_output_account()) fails the flush. */
    if (!conv_engine_check(eng, error))
        return FALSE;
    eng->queued_offset = conv_sink_get_offset(eng->sink);
    eng->offset_known = TRUE;
    return TRUE;
}

guint64
conv_output_get_offset(ConvOutput *out)
{
    ConvEngine *eng = out->engine;

    g_assert(eng->offset_known);
    return eng->queued_offset;
}

gboolean
conv_output_pwrite(ConvOutput *out, const void *buf, gsize len,
                   guint64 offset, GError **error)
{
    if (!conv_output_flush(out, error))
        return FALSE;
    return conv_sink_pwrite(out->engine->sink, buf, len, offset, error);
}
