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
 * touch their own item and slot, and a reader handle they take from a
 * queue, so the only shared state is each item's done flag, under one lock.
 */
#include <config.h>

#include <string.h>

#include "conv/engine-priv.h"

/* Items waiting in order at most (bytes and holes use no slot). */
#define CONV_PIPELINE_MAX_ITEMS 256
/* Slot memory at most, for large clusters: 16 MiB of reads plus as much of
 * compressed output. */
#define CONV_PIPELINE_BYTES (16 * 1024 * 1024)

typedef enum {
    CONV_ITEM_BYTES,
    CONV_ITEM_SKIP,
    CONV_ITEM_COPY,
} ConvItemKind;

typedef struct {
    ConvItemKind kind;
    guint flags;                /* CONV_COPY_* */
    guint64 guest_off;          /* COPY: source range */
    gsize guest_len;
    guint64 guest_acc;          /* guest bytes this item completes */
    guint64 skip_len;           /* SKIP */
    guint8 *bytes;              /* BYTES: owned */
    gsize n_bytes;
    int slot;                   /* COPY */
    guint n_clusters;           /* COPY|COMPRESS */
    gsize *zlen;                /* per cluster; 0: stored whole */

    /* Written by the worker, then read by the writer, under eng->lock. */
    gboolean done;
    GError *error;
} ConvItem;

struct _ConvEngine {
    ConvOutput *out;            /* immutable */
    ConvSink *sink;             /* writer thread only */
    GThreadPool *pool;
    GAsyncQueue *handles;       /* ConvImage *: one per worker */
    GPtrArray *all_handles;     /* owns them */
    gsize chunk_bytes;          /* immutable */
    guint n_slots;              /* immutable */
    guint8 **data;              /* slot buffers, chunk_bytes each */
    guint8 **zdata;             /* compressed output, when compressing */
    gboolean *busy;             /* writer thread only */
    gint stop;                  /* atomic: workers skip their work */

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
    g_free(item->bytes);
    g_free(item->zlen);
    g_free(item);
}

static void
conv_engine_worker(gpointer data, gpointer user_data)
{
    ConvItem *item = data;
    ConvEngine *eng = user_data;
    ConvOutput *out = eng->out;
    GError *err = NULL;

    if (!g_atomic_int_get(&eng->stop)) {
        ConvImage *h = g_async_queue_pop(eng->handles);
        guint8 *buf = eng->data[item->slot];
        gboolean ok;

        ok = conv_image_pread(h, buf, item->guest_len, item->guest_off, &err);
        g_async_queue_push(eng->handles, h);
        if (ok && (item->flags & CONV_COPY_COMPRESS)) {
            gsize cs = out->cluster_size;
            void *state = NULL;
            guint i;

            /* The last cluster of a disk whose size is not a multiple of
             * the cluster size is compressed whole, zero-padded (qemu). */
            memset(buf + item->guest_len, 0,
                   item->n_clusters * cs - item->guest_len);
            for (i = 0; i < item->n_clusters; i++)
                item->zlen[i] = conv_compress_cluster(out->compression,
                                                      buf + i * cs, cs,
                                                      eng->zdata[item->slot] + i * cs,
                                                      cs - 1, &state);
            conv_compress_state_free(out->compression, state);
        }
    }
    g_mutex_lock(&eng->lock);
    item->error = err;
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
    eng->n_slots = MIN(CONV_PIPELINE_SLOTS,
                       MAX(4, CONV_PIPELINE_BYTES / eng->chunk_bytes));
    eng->data = g_new0(guint8 *, eng->n_slots);
    eng->zdata = g_new0(guint8 *, eng->n_slots);
    eng->busy = g_new0(gboolean, eng->n_slots);

    if (threads == 0)
        threads = MIN(g_get_num_processors(), CONV_MAX_THREADS);
    threads = CLAMP(threads, 1, CONV_MAX_THREADS);
    eng->handles = g_async_queue_new();
    eng->all_handles = g_ptr_array_new_with_free_func((GDestroyNotify)conv_image_free);
    for (i = 0; i < threads; i++) {
        ConvImage *h = conv_image_open_forced(conv_image_get_path(out->src),
                                              conv_image_get_format(out->src),
                                              error);
        if (!h)
            return FALSE;
        g_ptr_array_add(eng->all_handles, h);
        g_async_queue_push(eng->handles, h);
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
    for (i = 0; i < eng->n_slots; i++) {
        g_free(eng->data[i]);
        g_free(eng->zdata[i]);
    }
    g_free(eng->data);
    g_free(eng->zdata);
    g_free(eng->busy);
    g_async_queue_unref(eng->handles);
    g_ptr_array_unref(eng->all_handles);
    g_mutex_clear(&eng->lock);
    g_cond_clear(&eng->cond);
    g_free(eng);
    out->engine = NULL;
}

static gboolean
conv_buffer_is_zero(const guint8 *buf, gsize len)
{
    /* The first byte, then the buffer against itself shifted by one. */
    return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

static gboolean
conv_engine_write_copy(ConvEngine *eng, ConvItem *item, GError **error)
{
    ConvOutput *out = eng->out;
    const guint8 *buf = eng->data[item->slot];
    gsize cs = out->cluster_size;
    guint i;

    if (!(item->flags & CONV_COPY_COMPRESS)) {
        if ((item->flags & CONV_COPY_SPARSE) && conv_sink_can_seek(eng->sink) &&
            conv_buffer_is_zero(buf, item->guest_len))
            return conv_sink_skip(eng->sink, item->guest_len, error);
        return conv_sink_write(eng->sink, buf, item->guest_len, error);
    }
    for (i = 0; i < item->n_clusters; i++) {
        guint64 host = conv_sink_get_offset(eng->sink);

        if (item->zlen[i] > 0) {
            if (!conv_sink_write(eng->sink, eng->zdata[item->slot] + i * cs,
                                 item->zlen[i], error))
                return FALSE;
            out->on_cluster(out, item->guest_off + i * cs, host, item->zlen[i],
                            TRUE);
            continue;
        }
        /* Did not shrink: stored whole, which needs a cluster of its own. */
        if (host % cs) {
            if (!conv_sink_skip(eng->sink, cs - host % cs, error))
                return FALSE;
            host = conv_sink_get_offset(eng->sink);
        }
        if (!conv_sink_write(eng->sink, buf + i * cs, cs, error))
            return FALSE;
        out->on_cluster(out, item->guest_off + i * cs, host, cs, FALSE);
    }
    return TRUE;
}

/* Writes the oldest queued item once it is ready. */
static gboolean
conv_engine_drain_one(ConvEngine *eng, GError **error)
{
    ConvOutput *out = eng->out;
    g_autoptr(GError) local = NULL;
    ConvItem *item = g_queue_peek_head(&eng->queue);
    gboolean ok = TRUE;

    g_assert(item);
    g_mutex_lock(&eng->lock);
    while (!item->done)
        g_cond_wait(&eng->cond, &eng->lock);
    g_mutex_unlock(&eng->lock);
    g_queue_pop_head(&eng->queue);

    if (item->error) {
        g_propagate_error(error, g_steal_pointer(&item->error));
        ok = FALSE;
    } else if (out->opts->cancellable &&
               g_cancellable_set_error_if_cancelled(out->opts->cancellable,
                                                    error)) {
        ok = FALSE;
    } else {
        switch (item->kind) {
        case CONV_ITEM_BYTES:
            ok = conv_sink_write(eng->sink, item->bytes, item->n_bytes, error);
            break;
        case CONV_ITEM_SKIP:
            ok = conv_sink_skip(eng->sink, item->skip_len, error);
            break;
        case CONV_ITEM_COPY:
            ok = conv_engine_write_copy(eng, item, error);
            break;
        }
    }
    if (item->kind == CONV_ITEM_COPY)
        eng->busy[item->slot] = FALSE;
    if (ok && item->guest_acc) {
        eng->done_guest += item->guest_acc;
        if (out->opts->progress)
            out->opts->progress(eng->done_guest, out->size,
                                out->opts->progress_data);
    }
    if (!ok)
        g_atomic_int_set(&eng->stop, 1);
    conv_item_free(item);
    return ok;
}

static gboolean
conv_engine_push(ConvEngine *eng, ConvItem *item, GError **error)
{
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
    item->bytes = g_memdup2(buf, len);
    item->n_bytes = len;
    eng->queued_offset += len;
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
    item->skip_len = len;
    item->guest_acc = guest_len;
    eng->queued_offset += len;
    return conv_engine_push(eng, item, error);
}

void
conv_output_account(ConvOutput *out, guint64 guest_len)
{
    /* Queued as an empty hole so that progress stays in output order; an
     * empty hole cannot fail, but the queue may write older items that do,
     * and those errors come back from the next call. */
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
                    eng->data[i] = g_malloc(eng->chunk_bytes);
                if (compress && !eng->zdata[i])
                    eng->zdata[i] = g_malloc(eng->chunk_bytes);
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
        item->flags = flags;
        item->guest_off = guest_off;
        item->guest_len = n;
        item->guest_acc = n;
        item->slot = slot;
        if (compress) {
            item->n_clusters = (guint)((n + out->cluster_size - 1) /
                                       out->cluster_size);
            item->zlen = g_new0(gsize, item->n_clusters);
        } else {
            eng->queued_offset += n;
        }
        if (!conv_engine_push(eng, item, error))
            return FALSE;
        if (!g_thread_pool_push(eng->pool, item, error))
            return FALSE;
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
