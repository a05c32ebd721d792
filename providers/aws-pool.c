/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-pool.c: buffers of a fixed size sent by a few threads at once, for
 * the uploads that cut a stream into pieces: S3 multipart parts
 * (aws-s3.c) and EBS snapshot blocks (aws-ebs.c).
 *
 * The writer (the converter's thread) fills the current buffer and
 * submits it; uploader threads, each with an HttpClient of its own
 * (libcurl easy handles serve one thread at a time), hand submitted
 * buffers to the send callback.  The writer blocks while every buffer is
 * queued or in flight, so memory stays at threads + 1 buffers.  The first
 * error of any send is kept and every later call returns it; buffers
 * still queued then are dropped, since the caller will abort the upload.
 * A cancel reaches sends in flight through the HttpClients' shared
 * GCancellable.
 */
#include <config.h>

#include "providers/aws-target-priv.h"

typedef struct {
    guint8 *buf;                 /* buf_size bytes */
    gsize len;
    guint64 number;              /* the caller's: part number, block index */
    guint seq;                   /* order of submission */
} AwsPoolBuf;

typedef struct {
    AwsPool *pool;
    HttpClient *http;            /* this thread's only */
    GThread *thread;
} AwsPoolThread;

struct _AwsPool {
    /* immutable after aws_pool_new() */
    gsize buf_size;
    AwsPoolSendFunc send;
    gpointer send_data;
    gboolean keep_results;
    guint n_threads;             /* started */
    AwsPoolThread *threads;
    guint n_bufs;
    AwsPoolBuf *bufs;

    /* the writer's thread only */
    AwsPoolBuf *cur;             /* being filled; NULL once failed */
    guint submitted;

    /* under lock */
    GMutex lock;
    GCond cond;                  /* a buffer queued, sent, or stop */
    GQueue free_bufs;
    GQueue queued;
    guint sending;
    GPtrArray *results;          /* [seq]: the send's result */
    GError *failed;              /* the first error of any send */
    gboolean stopping;
};

static gpointer
aws_pool_thread(gpointer data)
{
    AwsPoolThread *w = data;
    AwsPool *p = w->pool;

    g_mutex_lock(&p->lock);
    for (;;) {
        g_autoptr(GError) error = NULL;
        AwsPoolBuf *b;
        char *result = NULL;
        gboolean ok;

        while (!p->stopping && g_queue_is_empty(&p->queued))
            g_cond_wait(&p->cond, &p->lock);
        b = g_queue_pop_head(&p->queued);
        if (!b)
            break;
        if (!p->failed && !p->stopping) {
            p->sending++;
            g_mutex_unlock(&p->lock);
            ok = p->send(p->send_data, w->http, b->number, b->buf, b->len,
                         &result, &error);
            g_mutex_lock(&p->lock);
            p->sending--;
            if (ok && p->keep_results)
                g_ptr_array_index(p->results, b->seq) = result;
            else
                g_free(result);
            if (!ok && !p->failed)
                p->failed = g_steal_pointer(&error);
        }
        b->len = 0;
        g_queue_push_tail(&p->free_bufs, b);
        g_cond_broadcast(&p->cond);
    }
    g_mutex_unlock(&p->lock);
    return NULL;
}

static AwsPool *
aws_pool_start(AwsClient *client, const HttpClientOptions *hopts,
               guint n_threads, gsize buf_size, gboolean keep_results,
               AwsPoolSendFunc send, gpointer data, GError **error)
{
    AwsPool *p = g_new0(AwsPool, 1);
    guint i;

    p->buf_size = buf_size;
    p->send = send;
    p->send_data = data;
    p->keep_results = keep_results;
    p->results = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&p->lock);
    g_cond_init(&p->cond);
    /* malloc maps big buffers lazily: a short stream touches few pages. */
    p->n_bufs = n_threads + 1;
    p->bufs = g_new0(AwsPoolBuf, p->n_bufs);
    for (i = 0; i < p->n_bufs; i++) {
        p->bufs[i].buf = g_malloc(buf_size);
        g_queue_push_tail(&p->free_bufs, &p->bufs[i]);
    }
    p->cur = g_queue_pop_head(&p->free_bufs);
    p->threads = g_new0(AwsPoolThread, n_threads);
    for (i = 0; i < n_threads; i++) {
        AwsPoolThread *w = &p->threads[i];

        w->pool = p;
        w->http = client ? aws_client_new_http(client, error)
                         : http_client_new(hopts, error);
        if (!w->http) {
            aws_pool_free(p);
            return NULL;
        }
        w->thread = g_thread_new("ferry-aws-send", aws_pool_thread, w);
        p->n_threads = i + 1;
    }
    return p;
}

AwsPool *
aws_pool_new(AwsClient *client, guint n_threads, gsize buf_size,
             gboolean keep_results, AwsPoolSendFunc send, gpointer data,
             GError **error)
{
    return aws_pool_start(client, NULL, n_threads, buf_size, keep_results,
                          send, data, error);
}

AwsPool *
aws_pool_new_http(const HttpClientOptions *hopts, guint n_threads,
                  gsize buf_size, AwsPoolSendFunc send, gpointer data,
                  GError **error)
{
    return aws_pool_start(NULL, hopts, n_threads, buf_size, FALSE, send,
                          data, error);
}

/* The first send error, copied to @error; FALSE if there was one.  With
 * p->lock held. */
static gboolean
aws_pool_check(AwsPool *p, GError **error)
{
    if (!p->failed)
        return TRUE;
    g_propagate_error(error, g_error_copy(p->failed));
    return FALSE;
}

guint8 *
aws_pool_get_buffer(AwsPool *p, GError **error)
{
    gboolean ok;

    if (p->cur)
        return p->cur->buf;
    g_mutex_lock(&p->lock);
    ok = aws_pool_check(p, error);
    g_mutex_unlock(&p->lock);
    g_assert(!ok);
    return NULL;
}

gboolean
aws_pool_submit(AwsPool *p, guint64 number, gsize len, GError **error)
{
    gboolean ok;

    g_assert(len <= p->buf_size);
    if (!p->cur)
        return aws_pool_get_buffer(p, error) != NULL;
    g_mutex_lock(&p->lock);
    if (!p->failed) {
        p->cur->number = number;
        p->cur->len = len;
        p->cur->seq = p->submitted++;
        if (p->keep_results)
            g_ptr_array_set_size(p->results, p->submitted);
        g_queue_push_tail(&p->queued, p->cur);
        g_cond_broadcast(&p->cond);
        while (!p->failed && g_queue_is_empty(&p->free_bufs))
            g_cond_wait(&p->cond, &p->lock);
    }
    p->cur = p->failed ? NULL : g_queue_pop_head(&p->free_bufs);
    ok = aws_pool_check(p, error);
    g_mutex_unlock(&p->lock);
    return ok;
}

gboolean
aws_pool_drain(AwsPool *p, GError **error)
{
    gboolean ok;

    g_mutex_lock(&p->lock);
    while (!p->failed && (!g_queue_is_empty(&p->queued) || p->sending))
        g_cond_wait(&p->cond, &p->lock);
    ok = aws_pool_check(p, error);
    g_mutex_unlock(&p->lock);
    return ok;
}

const GPtrArray *
aws_pool_get_results(AwsPool *p)
{
    return p->results;
}

guint
aws_pool_get_submitted(const AwsPool *p)
{
    return p->submitted;
}

void
aws_pool_free(AwsPool *p)
{
    guint i;

    if (!p)
        return;
    g_mutex_lock(&p->lock);
    p->stopping = TRUE;
    g_cond_broadcast(&p->cond);
    g_mutex_unlock(&p->lock);
    for (i = 0; i < p->n_threads; i++) {
        g_thread_join(p->threads[i].thread);
        http_client_free(p->threads[i].http);
    }
    for (i = 0; i < p->n_bufs; i++)
        g_free(p->bufs[i].buf);
    g_free(p->bufs);
    g_free(p->threads);
    g_queue_clear(&p->free_bufs);
    g_queue_clear(&p->queued);
    g_ptr_array_unref(p->results);
    g_clear_error(&p->failed);
    g_mutex_clear(&p->lock);
    g_cond_clear(&p->cond);
    g_free(p);
}
