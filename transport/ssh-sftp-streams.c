/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-sftp-streams.c: one forward-only upload over N SSH connections.
 *
 * One SSH channel moves at most its window per round trip, and libssh2
 * encrypts on one thread per session; several connections add up on a
 * long link and on a sender with cores to spare.  The writer here takes
 * the ordered stream (write, skip) as SshSftpWriter does, cuts it into
 * chunks of SSH_SFTP_STREAMS_CHUNK bytes as it comes, and hands each to
 * the next free worker thread, which writes it at its offset (seek64 then
 * write) over its own connection into the same file:
 *
 *   producer (the export's thread)
 *     | fills a chunk, waits for a free buffer: at most N + 1 buffers,
 *     | one per worker and the one being filled (N = 4: 10 MiB)
 *   queue  -> worker 0 .. N-1, each with a shared SshSftpWriter on the
 *             file: worker 0 over the caller's connection (the control
 *             connection: the producer does not use it meanwhile), the
 *             others over an SshSession + SshSftp of their own
 *
 * The control connection creates the file (or cuts it to the resume
 * offset) before any worker writes, and at commit, once
 * every worker is done and has closed its handle, sets the size (a hole
 * at the end), fsyncs (fsync(2) flushes the file, whoever wrote it) and
 * closes.  A hole is just an offset no chunk covers: it stays a hole.
 *
 * The producer runs at most SSH_SFTP_STREAMS_WINDOW chunks ahead of the
 * oldest chunk not yet written, which bounds what a cut loses (below).
 *
 * Failures: the first error of any worker is kept and stops everyone (a
 * private GCancellable ends their waits); the producer returns it from its
 * next call.  ssh_sftp_streams_writer_abort() stops the workers, cuts the
 * file over the control connection to the "low-water mark", the end of
 * the longest prefix every byte of which a worker has written, so that
 * what a resume keeps (the file's size) is a prefix of the stream, and
 * returns that mark.  If the control connection is lost too, the file may
 * hold later chunks past a gap of zeros and its size overstates the
 * prefix: the caller resumes at no more than the mark it was given
 * (target-ssh.c), and the check of the whole file's hash catches anything
 * else.  After a failure or an abort the worker connections are dropped
 * and made again by the next writer.  The control connection has no
 * cancellable (see target-ssh.c): worker 0 finishes the chunk it is
 * writing before an abort returns.
 *
 * Worker connections are made lazily, in the workers' threads (so that N
 * handshakes overlap), and kept for the next writer.
 */
#include <config.h>

#include <string.h>

#include "transport/ssh-priv.h"

#define SSH_SFTP_STREAMS_NONE G_MAXUINT64
/* How far (in chunks handed out) the producer may run ahead of the oldest
 * chunk not yet written.  Workers run at their own pace, so without a
 * bound a connection that stalls until the I/O timeout (60 s) lets the
 * others write on far past its chunk, and a resume keeps none of that
 * (it keeps the prefix written in full).  With it a cut loses at most
 * this many chunks of written bytes (32 MiB), and a lagging connection
 * holds the others back only once it is that far behind. */
#define SSH_SFTP_STREAMS_WINDOW 16

typedef struct {
    SshSession *session;
    SshSftp *sftp;
} SshSftpStreamsConn;

struct _SshSftpStreams {
    SshOptions opts;              /* strings borrowed, see _new() */
    guint n;
    SshSftpStreamsConn *conns;    /* n of them, made lazily; not [0] */
    GCancellable *cancellable;    /* the workers' sessions' */
};

typedef struct {
    guint64 offset;
    gsize len;
    guint64 seq;                  /* chunks handed out before this one */
    guint8 *buf;                  /* SSH_SFTP_STREAMS_CHUNK bytes */
} SshSftpChunk;

typedef struct {
    SshSftpStreamsWriter *w;      /* borrowed */
    guint index;
    GThread *thread;
    guint64 inflight;             /* offset of the chunk being written */
    guint64 inflight_seq;         /* and its seq */
} SshSftpStreamsWorker;

struct _SshSftpStreamsWriter {
    SshSftpStreams *ss;           /* borrowed */
    SshSftp *control_sftp;        /* borrowed: worker 0's connection */
    SshSftpWriter *control;       /* owned, on the caller's connection */
    char *path;
    GCancellable *outer;          /* the caller's, or NULL; referenced */
    guint64 resume_offset;
    guint64 offset;               /* stream position */
    SshSftpChunk *fill;           /* being filled, or NULL */
    guint64 next_seq;             /* the next chunk's seq */

    GMutex lock;
    GCond cond;                   /* anything changed */
    GQueue queue;                 /* of SshSftpChunk, in stream order */
    GPtrArray *spare;             /* free buffers */
    guint buffers;                /* allocated */
    guint max_buffers;
    gboolean eof;                 /* no more chunks will come */
    gboolean stop;                /* a failure or an abort */
    GError *error;                /* the first failure */
    SshSftpStreamsWorker *workers;
    gboolean finished;
};

SshSftpStreams *
ssh_sftp_streams_new(const SshOptions *opts, guint n)
{
    SshSftpStreams *ss = g_new0(SshSftpStreams, 1);

    g_return_val_if_fail(n >= 1 && n <= SSH_SFTP_MAX_STREAMS, NULL);
    ss->opts = *opts;
    ss->n = n;
    ss->conns = g_new0(SshSftpStreamsConn, n);
    ss->cancellable = g_cancellable_new();
    return ss;
}

static void
ssh_sftp_streams_drop(SshSftpStreams *ss)
{
    guint i;

    for (i = 0; i < ss->n; i++) {
        g_clear_pointer(&ss->conns[i].sftp, ssh_sftp_free);
        g_clear_pointer(&ss->conns[i].session, ssh_session_free);
    }
    g_clear_object(&ss->cancellable);
    ss->cancellable = g_cancellable_new();
}

void
ssh_sftp_streams_free(SshSftpStreams *ss)
{
    if (!ss)
        return;
    /* Cancelled first: nothing waits on a dead link for the polite
     * goodbye. */
    g_cancellable_cancel(ss->cancellable);
    ssh_sftp_streams_drop(ss);
    g_clear_object(&ss->cancellable);
    g_free(ss->conns);
    g_free(ss);
}

guint
ssh_sftp_streams_get_n(const SshSftpStreams *ss)
{
    return ss->n;
}

/* ---- the workers -------------------------------------------------------- */

static void
ssh_sftp_streams_fail(SshSftpStreamsWriter *w, GError *error)
{
    /* Called with the lock held. */
    if (!w->error)
        w->error = error;
    else
        g_error_free(error);
    w->stop = TRUE;
    g_cancellable_cancel(w->ss->cancellable);
    g_cond_broadcast(&w->cond);
}

static SshSftp *
ssh_sftp_streams_conn_ready(SshSftpStreamsWriter *w, guint i, GError **error)
{
    SshSftpStreams *ss = w->ss;
    SshSftpStreamsConn *c = &ss->conns[i];

    if (i == 0)
        return w->control_sftp;
    if (c->sftp)
        return c->sftp;
    g_clear_pointer(&c->session, ssh_session_free);
    c->session = ssh_session_connect(&ss->opts, ss->cancellable, error);
    if (!c->session)
        return NULL;
    c->sftp = ssh_sftp_open(c->session, error);
    return c->sftp;
}

static gpointer
ssh_sftp_streams_worker(gpointer data)
{
    SshSftpStreamsWorker *wk = data;
    SshSftpStreamsWriter *w = wk->w;
    g_autoptr(SshSftpWriter) out = NULL;
    GError *error = NULL;
    SshSftp *sftp = ssh_sftp_streams_conn_ready(w, wk->index, &error);

    if (!sftp || !(out = ssh_sftp_writer_open_shared(sftp, w->path, &error))) {
        g_mutex_lock(&w->lock);
        ssh_sftp_streams_fail(w, error);
        g_mutex_unlock(&w->lock);
        return NULL;
    }
    for (;;) {
        SshSftpChunk *c;
        gboolean ok;

        g_mutex_lock(&w->lock);
        while (!w->stop && !w->eof && g_queue_is_empty(&w->queue))
            g_cond_wait(&w->cond, &w->lock);
        if (w->stop || g_queue_is_empty(&w->queue)) {
            g_mutex_unlock(&w->lock);
            break;
        }
        c = g_queue_pop_head(&w->queue);
        wk->inflight = c->offset;
        wk->inflight_seq = c->seq;
        g_mutex_unlock(&w->lock);

        ok = ssh_sftp_writer_pwrite(out, c->buf, c->len, c->offset, &error);

        g_mutex_lock(&w->lock);
        if (!ok) {
            /* wk->inflight stays: that chunk is not written. */
            g_ptr_array_add(w->spare, c->buf);
            g_free(c);
            ssh_sftp_streams_fail(w, error);
            g_mutex_unlock(&w->lock);
            return NULL;
        }
        wk->inflight = wk->inflight_seq = SSH_SFTP_STREAMS_NONE;
        g_ptr_array_add(w->spare, c->buf);
        g_free(c);
        g_cond_broadcast(&w->cond);
        g_mutex_unlock(&w->lock);
    }
    if (!ssh_sftp_writer_close(out, &error)) {
        g_mutex_lock(&w->lock);
        ssh_sftp_streams_fail(w, error);
        g_mutex_unlock(&w->lock);
    }
    return NULL;
}

/* ---- the producer ------------------------------------------------------- */

SshSftpStreamsWriter *
ssh_sftp_streams_writer_open(SshSftpStreams *ss, SshSftp *control,
                             const char *path, guint64 resume_offset,
                             GCancellable *cancellable, GError **error)
{
    SshSftpStreamsWriter *w;
    SshSftpWriter *cw;
    guint i;

    /* Creates the file, or cuts it at the resume offset, before any
     * worker opens it. */
    cw = ssh_sftp_writer_open(control, path, NULL, resume_offset, error);
    if (!cw)
        return NULL;
    w = g_new0(SshSftpStreamsWriter, 1);
    w->ss = ss;
    w->control = cw;
    w->control_sftp = control;
    w->path = g_strdup(path);
    w->outer = cancellable ? g_object_ref(cancellable) : NULL;
    w->resume_offset = w->offset = resume_offset;
    g_mutex_init(&w->lock);
    g_cond_init(&w->cond);
    g_queue_init(&w->queue);
    w->spare = g_ptr_array_new_with_free_func(g_free);
    /* One chunk per worker and the one being filled.  Measured with
     * 4 streams (256 MiB, bench/reports/streams-2026-12-06.md, second
     * section): 2N + 1 buffers of 4 MiB peaked at 82 MiB of client RSS,
     * N + 1 of 2 MiB at 57 MiB, in the same time through the 20 ms relay
     * (medians 4.74 s and 4.79 s); a queued spare buffer gains nothing
     * since the producer refills a buffer far faster than a worker sends
     * it. */
    w->max_buffers = ss->n + 1;
    w->workers = g_new0(SshSftpStreamsWorker, ss->n);
    for (i = 0; i < ss->n; i++) {
        SshSftpStreamsWorker *wk = &w->workers[i];
        g_autofree char *name = g_strdup_printf("ferry-sftp-%u", i);

        wk->w = w;
        wk->index = i;
        wk->inflight = wk->inflight_seq = SSH_SFTP_STREAMS_NONE;
        wk->thread = g_thread_new(name, ssh_sftp_streams_worker, wk);
    }
    return w;
}

/* With the lock held: the caller's cancellation, or the first failure. */
static gboolean
ssh_sftp_streams_check(SshSftpStreamsWriter *w, GError **error)
{
    if (w->outer && g_cancellable_is_cancelled(w->outer) && !w->stop)
        ssh_sftp_streams_fail(w, g_error_new_literal(G_IO_ERROR,
                                                     G_IO_ERROR_CANCELLED,
                                                     "Operation was cancelled"));
    if (!w->stop)
        return TRUE;
    g_propagate_error(error, g_error_copy(w->error));
    return FALSE;
}

/* With the lock held: is the oldest chunk not yet written
 * SSH_SFTP_STREAMS_WINDOW chunks behind or more? */
static gboolean
ssh_sftp_streams_too_far_ahead(SshSftpStreamsWriter *w)
{
    guint64 oldest = SSH_SFTP_STREAMS_NONE;
    GList *l;
    guint i;

    for (l = w->queue.head; l; l = l->next)
        oldest = MIN(oldest, ((SshSftpChunk *)l->data)->seq);
    for (i = 0; i < w->ss->n; i++)
        oldest = MIN(oldest, w->workers[i].inflight_seq);
    return oldest != SSH_SFTP_STREAMS_NONE &&
           w->next_seq - oldest >= SSH_SFTP_STREAMS_WINDOW;
}

/* A buffer to fill: a spare one, a new one below the cap, or the next one
 * a worker gives back; never more than SSH_SFTP_STREAMS_WINDOW chunks
 * past the oldest one not yet written. */
static gboolean
ssh_sftp_streams_take(SshSftpStreamsWriter *w, GError **error)
{
    guint8 *buf = NULL;

    g_mutex_lock(&w->lock);
    for (;;) {
        if (!ssh_sftp_streams_check(w, error)) {
            g_mutex_unlock(&w->lock);
            return FALSE;
        }
        if (ssh_sftp_streams_too_far_ahead(w)) {
            g_cond_wait_until(&w->cond, &w->lock, g_get_monotonic_time() +
                              50 * G_TIME_SPAN_MILLISECOND);
            continue;
        }
        if (w->spare->len > 0) {
            buf = g_ptr_array_steal_index_fast(w->spare, w->spare->len - 1);
            break;
        }
        if (w->buffers < w->max_buffers) {
            w->buffers++;
            break;
        }
        /* Timed, so that the caller's cancellation is seen. */
        g_cond_wait_until(&w->cond, &w->lock,
                          g_get_monotonic_time() + 50 * G_TIME_SPAN_MILLISECOND);
    }
    g_mutex_unlock(&w->lock);
    w->fill = g_new0(SshSftpChunk, 1);
    w->fill->buf = buf ? buf : g_malloc(SSH_SFTP_STREAMS_CHUNK);
    w->fill->offset = w->offset;
    w->fill->seq = w->next_seq++;
    return TRUE;
}

static void
ssh_sftp_streams_push(SshSftpStreamsWriter *w)
{
    SshSftpChunk *c = g_steal_pointer(&w->fill);

    if (!c)
        return;
    g_mutex_lock(&w->lock);
    if (c->len == 0) {
        w->next_seq = c->seq;          /* the last one handed out */
        g_ptr_array_add(w->spare, c->buf);
        g_free(c);
    } else {
        g_queue_push_tail(&w->queue, c);
        g_cond_broadcast(&w->cond);
    }
    g_mutex_unlock(&w->lock);
}

gboolean
ssh_sftp_streams_writer_write(SshSftpStreamsWriter *w, const void *buf,
                              gsize len, GError **error)
{
    const guint8 *p = buf;

    g_return_val_if_fail(!w->finished, FALSE);
    if (w->offset + len < w->offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "sftp write '%s': offset overflows", w->path);
        return FALSE;
    }
    while (len > 0) {
        gsize n;

        if (!w->fill && !ssh_sftp_streams_take(w, error))
            return FALSE;
        n = MIN(len, SSH_SFTP_STREAMS_CHUNK - w->fill->len);
        memcpy(w->fill->buf + w->fill->len, p, n);
        w->fill->len += n;
        w->offset += n;
        p += n;
        len -= n;
        if (w->fill->len == SSH_SFTP_STREAMS_CHUNK)
            ssh_sftp_streams_push(w);
    }
    return TRUE;
}

gboolean
ssh_sftp_streams_writer_skip(SshSftpStreamsWriter *w, guint64 len,
                             GError **error)
{
    g_return_val_if_fail(!w->finished, FALSE);
    if (w->offset + len < w->offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "sftp skip '%s': offset overflows", w->path);
        return FALSE;
    }
    if (len == 0)
        return TRUE;
    ssh_sftp_streams_push(w);
    w->offset += len;
    return TRUE;
}

/* Waits for the workers: after the last chunk (@stop FALSE) or at once. */
static void
ssh_sftp_streams_join(SshSftpStreamsWriter *w, gboolean stop)
{
    guint i;

    g_mutex_lock(&w->lock);
    w->eof = TRUE;
    if (stop && !w->stop) {
        w->stop = TRUE;
        g_cancellable_cancel(w->ss->cancellable);
    }
    g_cond_broadcast(&w->cond);
    g_mutex_unlock(&w->lock);
    for (i = 0; i < w->ss->n; i++)
        g_clear_pointer(&w->workers[i].thread, g_thread_join);
}

/* Once the workers are joined: where the written prefix ends. */
static guint64
ssh_sftp_streams_low_water(SshSftpStreamsWriter *w)
{
    guint64 low = w->fill && w->fill->len ? w->fill->offset : w->offset;
    GList *l;
    guint i;

    for (l = w->queue.head; l; l = l->next) {
        SshSftpChunk *c = l->data;

        low = MIN(low, c->offset);
    }
    for (i = 0; i < w->ss->n; i++)
        low = MIN(low, w->workers[i].inflight);
    return MAX(low, w->resume_offset);
}

gboolean
ssh_sftp_streams_writer_commit(SshSftpStreamsWriter *w, GError **error)
{
    g_return_val_if_fail(!w->finished, FALSE);
    ssh_sftp_streams_push(w);
    ssh_sftp_streams_join(w, FALSE);
    if (w->stop) {
        /* Freeing cuts the file at what was written. */
        if (w->outer && g_cancellable_is_cancelled(w->outer) && !w->error)
            w->error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           "Operation was cancelled");
        g_propagate_error(error, g_error_copy(w->error));
        return FALSE;
    }
    w->finished = TRUE;
    /* Size (a hole at the end), fsync, close. */
    if (!ssh_sftp_writer_skip(w->control, w->offset - w->resume_offset,
                              error))
        return FALSE;
    return ssh_sftp_writer_commit(w->control, error);
}

guint64
ssh_sftp_streams_writer_get_offset(const SshSftpStreamsWriter *w)
{
    return w->offset;
}

guint64
ssh_sftp_streams_writer_abort(SshSftpStreamsWriter *w)
{
    g_autoptr(GError) error = NULL;
    guint64 low;

    if (w->finished)
        return w->offset;
    w->finished = TRUE;
    ssh_sftp_streams_join(w, TRUE);
    low = ssh_sftp_streams_low_water(w);
    g_debug("sftp streams '%s': stopped; the first %" G_GUINT64_FORMAT
            " bytes are written", w->path, low);
    /* Cut at the written prefix, fsync and close: what a resume keeps. */
    if (!ssh_sftp_writer_skip(w->control, low - w->resume_offset, &error) ||
        !ssh_sftp_writer_commit(w->control, &error))
        g_debug("sftp streams '%s': %s", w->path, error->message);
    return low;
}

void
ssh_sftp_streams_writer_free(SshSftpStreamsWriter *w)
{
    SshSftpChunk *c;

    if (!w)
        return;
    ssh_sftp_streams_writer_abort(w);
    /* Failed or aborted: the workers' sessions are in no known state. */
    if (w->stop)
        ssh_sftp_streams_drop(w->ss);
    ssh_sftp_writer_free(w->control);
    if (w->fill) {
        g_free(w->fill->buf);
        g_free(w->fill);
    }
    while ((c = g_queue_pop_head(&w->queue))) {
        g_free(c->buf);
        g_free(c);
    }
    g_ptr_array_unref(w->spare);
    g_clear_error(&w->error);
    g_clear_object(&w->outer);
    g_mutex_clear(&w->lock);
    g_cond_clear(&w->cond);
    g_free(w->workers);
    g_free(w->path);
    g_free(w);
}
