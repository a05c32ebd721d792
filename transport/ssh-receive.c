/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-receive.c: the sender's end of `ferry receive`
 * (docs/receive-protocol.md) over an RFC 4254 exec channel: the target's
 * ferry writes the file, hashes it as it writes and answers the SHA-256,
 * so the file is never read back on the target, and the bytes stream
 * without SFTP's request/status round trips.
 *
 * Why not SFTP: libssh2_sftp_write() sends one buffer of 30000-byte
 * requests and waits for every status before the next buffer, so on a
 * link with latency the channel idles once per buffer; here the only
 * bound is the channel window the server grants (OpenSSH: 2 MiB for a
 * session channel, topped up as it consumes).  The window this end
 * advertises (SSH_RECEIVE_WINDOW) only bounds what the receiver sends
 * back, a few frames, but it is set so that a stderr burst never stalls.
 *
 * Frames the receiver sends are checked like any hostile input
 * (receive_frame_decode(), then type and offsets here); its ERROR message
 * is cut to one line of valid UTF-8 before it reaches a message.
 *
 * Compression (ssh_receiver_set_compression()): the stream is cut into
 * RECEIVE_COMPRESS_CHUNK pieces, deflated by a GThreadPool, and framed in
 * order by the caller's thread, which alone touches libssh2; at most
 * two chunks per worker are in flight, which bounds the memory.
 */
#include <config.h>

#include <libdeflate.h>
#include <string.h>

#include "transport/ssh-priv.h"

/* Stream bytes per DATA frame without compression: large writes on the
 * target, few headers. */
#define RECEIVE_SEND_CHUNK RECEIVE_MAX_DATA
/* ... and per compressed chunk: small enough to keep the workers busy
 * while the channel sends, large enough for deflate's window. */
#define RECEIVE_COMPRESS_CHUNK (1024 * 1024)
#define RECEIVE_MAX_THREADS 4
/* The receiver's stderr kept for a message. */
#define RECEIVE_MAX_STDERR 4096

typedef struct {
    guint8 type;                /* DATA or HOLE */
    guint64 offset;
    guint64 length;
    guint8 *data;               /* DATA: the stream's bytes */
    guint8 *out;                /* DATA: deflated, or NULL to send as is */
    gsize out_len;
    int level;
    gboolean done;              /* under the receiver's lock */
} ReceiveItem;

struct _SshReceiver {
    SshSession *s;              /* borrowed */
    LIBSSH2_CHANNEL *ch;
    char *what;                 /* "ferry receive '<pool>/<name>'" */
    GByteArray *in;             /* frames from the receiver, not yet read */
    GByteArray *err;            /* its stderr, at most RECEIVE_MAX_STDERR */
    guint64 pos;                /* stream offset of the next byte */
    guint8 *buf;                /* data not yet framed, ending at pos */
    gsize buf_len;
    gsize chunk;                /* bytes per DATA frame */
    guint64 wire;
    gboolean finished;
    /* compression */
    int level;
    GThreadPool *workers;
    GQueue queue;               /* of ReceiveItem, in stream order */
    guint max_inflight;
    GMutex lock;
    GCond cond;
};

static void
receive_item_free(ReceiveItem *it)
{
    g_free(it->data);
    g_free(it->out);
    g_free(it);
}

/* ---- channel I/O -------------------------------------------------------- */

/* Reads what the channel holds on stdout (into r->in, capped at one
 * frame's worth: more is a protocol error caught by the reader) and
 * stderr.  Returns -1 with @error on a channel error. */
static int
receive_pump(SshReceiver *r, GError **error)
{
    char chunk[4096];
    int got = 0;
    ssize_t n = 0;

    while (r->in->len < RECEIVE_FRAME_HEADER + RECEIVE_MAX_MESSAGE &&
           (n = libssh2_channel_read(r->ch, chunk,
                                     MIN(sizeof(chunk),
                                         RECEIVE_FRAME_HEADER +
                                         RECEIVE_MAX_MESSAGE - r->in->len))) > 0) {
        g_byte_array_append(r->in, (guint8 *)chunk, (guint)n);
        got = 1;
    }
    if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
        ssh_session_set_error(r->s, error, FERRY_ERROR_NETWORK, r->what);
        return -1;
    }
    while ((n = libssh2_channel_read_stderr(r->ch, chunk, sizeof(chunk))) > 0) {
        if (r->err->len < RECEIVE_MAX_STDERR)
            g_byte_array_append(r->err, (guint8 *)chunk,
                                (guint)MIN((gsize)n, RECEIVE_MAX_STDERR -
                                                     r->err->len));
        got = 1;
    }
    if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
        ssh_session_set_error(r->s, error, FERRY_ERROR_NETWORK, r->what);
        return -1;
    }
    return got;
}

/* The receiver is gone without a frame: its exit status and first line
 * of stderr say why. */
static gboolean
receive_set_closed_error(SshReceiver *r, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    g_autofree char *line = NULL;
    const char *e = (const char *)r->err->data;
    gsize n;
    int status;

    while (libssh2_channel_wait_closed(r->ch) == LIBSSH2_ERROR_EAGAIN &&
           ssh_session_wait(r->s, deadline, r->what, NULL))
        ;
    status = libssh2_channel_get_exit_status(r->ch);
    for (n = 0; n < r->err->len && e[n] != '\n' && e[n] != '\r'; n++)
        ;
    line = g_utf8_make_valid(e ? e : "", MIN(n, 200));
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                "%s: %s ended with exit status %d%s%s",
                ssh_session_get_name(r->s), r->what, status,
                *line ? ": " : "", line);
    return FALSE;
}

/* Reads one frame into @f and @payload (at least RECEIVE_MAX_MESSAGE + 1
 * bytes).  An ERROR frame becomes @error. */
static gboolean
receive_read_frame(SshReceiver *r, ReceiveFrame *f, char *payload,
                   GError **error)
{
    gint64 deadline = ssh_session_deadline(r->s);
    gsize need = RECEIVE_FRAME_HEADER;
    gboolean have_header = FALSE;

    for (;;) {
        int got;

        if (!have_header && r->in->len >= RECEIVE_FRAME_HEADER) {
            if (!receive_frame_decode(r->in->data, f, error)) {
                g_prefix_error(error, "%s: %s: ", ssh_session_get_name(r->s),
                               r->what);
                return FALSE;
            }
            if (f->type == RECEIVE_FRAME_DATA || f->type == RECEIVE_FRAME_HOLE ||
                f->type == RECEIVE_FRAME_END) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "%s: %s: a receiver does not send %s frames",
                            ssh_session_get_name(r->s), r->what,
                            receive_frame_type_name(f->type));
                return FALSE;
            }
            /* Every frame a receiver sends is small (decode checked). */
            g_assert(f->payload <= RECEIVE_MAX_MESSAGE);
            need = RECEIVE_FRAME_HEADER + f->payload;
            have_header = TRUE;
        }
        if (have_header && r->in->len >= need)
            break;
        got = receive_pump(r, error);
        if (got < 0)
            return FALSE;
        if (got > 0) {
            deadline = ssh_session_deadline(r->s);
            continue;
        }
        if (libssh2_channel_eof(r->ch))
            return receive_set_closed_error(r, error);
        if (!ssh_session_wait(r->s, deadline, r->what, error))
            return FALSE;
    }
    memcpy(payload, r->in->data + RECEIVE_FRAME_HEADER, f->payload);
    payload[f->payload] = '\0';
    g_byte_array_remove_range(r->in, 0, (guint)need);
    if (f->type == RECEIVE_FRAME_ERROR) {
        g_autofree char *msg = g_utf8_make_valid(payload, f->payload);
        int code = f->offset < FERRY_ERROR_LAST ? (int)f->offset
                                                : FERRY_ERROR_REMOTE;

        g_strdelimit(msg, "\r\n\t", ' ');
        g_set_error(error, FERRY_ERROR, code, "%s: %s: %s",
                    ssh_session_get_name(r->s), r->what, msg);
        return FALSE;
    }
    return TRUE;
}

/* A write that failed or stalled: the receiver may have said why. */
static gboolean
receive_write_failed(SshReceiver *r, GError **error)
{
    ReceiveFrame f;
    char payload[RECEIVE_MAX_MESSAGE + 1];
    g_autoptr(GError) local = NULL;

    if (!receive_read_frame(r, &f, payload, &local)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                "%s: %s: unexpected %s frame while sending",
                ssh_session_get_name(r->s), r->what,
                receive_frame_type_name(f.type));
    return FALSE;
}

static gboolean
receive_write_all(SshReceiver *r, const void *buf, gsize len, GError **error)
{
    const char *p = buf;
    gint64 deadline = ssh_session_deadline(r->s);

    while (len > 0) {
        ssize_t n = libssh2_channel_write(r->ch, p, len);

        if (n == LIBSSH2_ERROR_EAGAIN) {
            int got = receive_pump(r, error);

            if (got < 0)
                return FALSE;
            /* Anything on stdout before END is an ERROR frame. */
            if (r->in->len > 0 || libssh2_channel_eof(r->ch))
                return receive_write_failed(r, error);
            if (got == 0 &&
                !ssh_session_wait(r->s, deadline, r->what, error))
                return FALSE;
            continue;
        }
        if (n < 0) {
            if (n == LIBSSH2_ERROR_CHANNEL_CLOSED ||
                n == LIBSSH2_ERROR_CHANNEL_EOF_SENT)
                return receive_write_failed(r, error);
            ssh_session_set_error(r->s, error, FERRY_ERROR_NETWORK, r->what);
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
        r->wire += (guint64)n;
        deadline = ssh_session_deadline(r->s);
    }
    return TRUE;
}

static gboolean
receive_send_frame(SshReceiver *r, guint8 type, guint8 flags, guint64 offset,
                   guint64 length, const void *payload, gsize payload_len,
                   GError **error)
{
    ReceiveFrame f = {
        .type = type, .flags = flags, .payload = (guint32)payload_len,
        .offset = offset, .length = length,
    };
    guint8 hdr[RECEIVE_FRAME_HEADER];

    receive_frame_encode(&f, hdr);
    return receive_write_all(r, hdr, sizeof(hdr), error) &&
           receive_write_all(r, payload, payload_len, error);
}

/* ---- the stream, in order ----------------------------------------------- */

static void
receive_compress_worker(gpointer data, gpointer user_data)
{
    ReceiveItem *it = data;
    SshReceiver *r = user_data;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(it->level);

    if (c) {
        gsize bound = libdeflate_deflate_compress_bound(c, (size_t)it->length);
        guint8 *out = g_malloc(bound);
        gsize n = libdeflate_deflate_compress(c, it->data, (size_t)it->length,
                                              out, bound);

        /* Incompressible data goes as it is. */
        if (n > 0 && n < it->length) {
            it->out = out;
            it->out_len = n;
        } else {
            g_free(out);
        }
        libdeflate_free_compressor(c);
    }
    g_mutex_lock(&r->lock);
    it->done = TRUE;
    g_cond_broadcast(&r->cond);
    g_mutex_unlock(&r->lock);
}

static gboolean
receive_send_item(SshReceiver *r, ReceiveItem *it, GError **error)
{
    if (it->type == RECEIVE_FRAME_HOLE)
        return receive_send_frame(r, RECEIVE_FRAME_HOLE, 0, it->offset,
                                  it->length, NULL, 0, error);
    if (it->out)
        return receive_send_frame(r, RECEIVE_FRAME_DATA, RECEIVE_FLAG_DEFLATE,
                                  it->offset, it->length, it->out,
                                  it->out_len, error);
    return receive_send_frame(r, RECEIVE_FRAME_DATA, 0, it->offset,
                              it->length, it->data, (gsize)it->length, error);
}

/* Sends the queue's finished head items; with @all, waits for each. */
static gboolean
receive_drain(SshReceiver *r, gboolean all, GError **error)
{
    for (;;) {
        ReceiveItem *it = g_queue_peek_head(&r->queue);
        gboolean ok;

        if (!it)
            return TRUE;
        g_mutex_lock(&r->lock);
        if (all || r->queue.length > r->max_inflight) {
            while (!it->done)
                g_cond_wait(&r->cond, &r->lock);
        }
        g_mutex_unlock(&r->lock);
        if (!it->done)
            return TRUE;
        g_queue_pop_head(&r->queue);
        ok = receive_send_item(r, it, error);
        receive_item_free(it);
        if (!ok)
            return FALSE;
    }
}

static gboolean
receive_push(SshReceiver *r, guint8 type, guint64 offset, guint64 length,
             guint8 *data, GError **error)
{
    ReceiveItem *it = g_new0(ReceiveItem, 1);

    it->type = type;
    it->offset = offset;
    it->length = length;
    it->data = data;
    it->level = r->level;
    if (!r->workers || type == RECEIVE_FRAME_HOLE) {
        it->done = TRUE;
    }
    g_queue_push_tail(&r->queue, it);
    if (!it->done)
        g_thread_pool_push(r->workers, it, NULL);
    return receive_drain(r, FALSE, error);
}

static gboolean
receive_flush(SshReceiver *r, GError **error)
{
    guint8 *data;

    if (r->buf_len == 0)
        return TRUE;
    data = g_steal_pointer(&r->buf);
    r->buf = g_malloc(r->chunk);
    /* The buffer's bytes end at pos. */
    if (!receive_push(r, RECEIVE_FRAME_DATA, r->pos - r->buf_len, r->buf_len,
                      data, error))
        return FALSE;
    r->buf_len = 0;
    return TRUE;
}

gboolean
ssh_receiver_write(SshReceiver *r, const void *buf, gsize len, GError **error)
{
    const guint8 *p = buf;

    g_return_val_if_fail(!r->finished, FALSE);
    while (len > 0) {
        gsize n = MIN(len, r->chunk - r->buf_len);

        memcpy(r->buf + r->buf_len, p, n);
        r->buf_len += n;
        r->pos += n;
        p += n;
        len -= n;
        if (r->buf_len == r->chunk && !receive_flush(r, error))
            return FALSE;
    }
    return TRUE;
}

gboolean
ssh_receiver_skip(SshReceiver *r, guint64 len, GError **error)
{
    guint64 at;

    g_return_val_if_fail(!r->finished, FALSE);
    if (len == 0)
        return TRUE;
    if (!receive_flush(r, error))
        return FALSE;
    at = r->pos;
    if (!g_uint64_checked_add(&r->pos, r->pos, len)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: %s: offset overflows", ssh_session_get_name(r->s),
                    r->what);
        return FALSE;
    }
    return receive_push(r, RECEIVE_FRAME_HOLE, at, len, NULL, error);
}

guint64
ssh_receiver_get_wire_bytes(const SshReceiver *r)
{
    return r->wire;
}

void
ssh_receiver_set_compression(SshReceiver *r, int level, guint threads)
{
    g_return_if_fail(r->buf_len == 0 && r->workers == NULL);
    if (level <= 0)
        return;
    r->level = MIN(level, 12);
    if (threads == 0)
        threads = MIN(g_get_num_processors(), RECEIVE_MAX_THREADS);
    r->max_inflight = 2 * threads;
    r->chunk = RECEIVE_COMPRESS_CHUNK;
    g_free(r->buf);
    r->buf = g_malloc(r->chunk);
    r->workers = g_thread_pool_new(receive_compress_worker, r, (gint)threads,
                                   FALSE, NULL);
}

/* ---- open, finish, free ------------------------------------------------- */

/* Checks the greeting: the one frame every version lays out alike. */
static gboolean
receive_check_hello(SshSession *s, const char *remote_ferry,
                    const ReceiveFrame *f, const char *payload, GError **error)
{
    if (f->type != RECEIVE_FRAME_HELLO ||
        memcmp(payload, RECEIVE_HELLO_MAGIC, f->payload) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "%s: '%s receive' did not greet with the ferry receive "
                    "protocol", ssh_session_get_name(s), remote_ferry);
        return FALSE;
    }
    if (f->offset != RECEIVE_PROTOCOL_VERSION) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: '%s receive' on the target speaks receive protocol "
                    "%" G_GUINT64_FORMAT ", this ferry speaks %d: install the "
                    "same ferry release on both hosts, or export with "
                    "--transport sftp", ssh_session_get_name(s), remote_ferry,
                    f->offset, RECEIVE_PROTOCOL_VERSION);
        return FALSE;
    }
    return TRUE;
}

gboolean
ssh_receive_probe(SshSession *s, const char *remote_ferry, GError **error)
{
    const char *argv[] = { remote_ferry, "receive", "--hello", NULL };
    g_autoptr(SshExecResult) res = NULL;
    const guint8 *out;
    gsize len = 0;
    ReceiveFrame f;

    res = ssh_exec(s, argv, RECEIVE_FRAME_HEADER + RECEIVE_MAX_MESSAGE, error);
    if (!res)
        return FALSE;
    out = g_bytes_get_data(res->out, &len);
    if (len < RECEIVE_FRAME_HEADER || !receive_frame_decode(out, &f, NULL) ||
        f.type != RECEIVE_FRAME_HELLO ||
        len < RECEIVE_FRAME_HEADER + f.payload) {
        /* Not there (127 from the shell), not runnable (126), or a ferry
         * that predates `receive` (2, unknown command). */
        if (res->exit_status != 0) {
            const char *e = g_bytes_get_data(res->err, NULL);
            gsize elen = g_bytes_get_size(res->err), n;
            g_autofree char *line = NULL;

            for (n = 0; n < elen && e[n] != '\n'; n++)
                ;
            line = g_utf8_make_valid(e ? e : "", MIN(n, 200));
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                        "%s: '%s receive' is not available on the target "
                        "(exit status %d%s%s)", ssh_session_get_name(s),
                        remote_ferry, res->exit_status, *line ? ": " : "",
                        line);
            return FALSE;
        }
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "%s: '%s receive' did not greet with the ferry receive "
                    "protocol", ssh_session_get_name(s), remote_ferry);
        return FALSE;
    }
    {
        g_autofree char *payload = g_strndup((const char *)out +
                                             RECEIVE_FRAME_HEADER, f.payload);

        return receive_check_hello(s, remote_ferry, &f, payload, error);
    }
}

SshReceiver *
ssh_receiver_open(SshSession *s, const char *remote_ferry, const char *pool,
                  const char *name, guint64 *resume, GError **error)
{
    g_autoptr(SshReceiver) r = g_new0(SshReceiver, 1);
    g_autofree char *resume_text = g_strdup_printf("%" G_GUINT64_FORMAT,
                                                   *resume);
    g_autofree char *cmdline = NULL;
    g_autofree char *pool_path = g_build_filename(pool, name, NULL);
    const char *argv[7];
    char payload[RECEIVE_MAX_MESSAGE + 1];
    gint64 deadline = ssh_session_deadline(s);
    ReceiveFrame f;
    int rc, i = 0;

    r->s = s;
    r->what = g_strdup_printf("ferry receive '%s'", pool_path);
    r->in = g_byte_array_new();
    r->err = g_byte_array_new();
    r->chunk = RECEIVE_SEND_CHUNK;
    r->buf = g_malloc(r->chunk);
    g_mutex_init(&r->lock);
    g_cond_init(&r->cond);
    argv[i++] = remote_ferry;
    argv[i++] = "receive";
    if (*resume > 0) {
        argv[i++] = "--resume";
        argv[i++] = resume_text;
    }
    argv[i++] = pool;
    argv[i++] = name;
    argv[i] = NULL;
    cmdline = ssh_command_line(argv);
    g_debug("%s: exec %s", ssh_session_get_name(s), cmdline);

    while (!(r->ch = libssh2_channel_open_ex(s->session, "session",
                                             sizeof("session") - 1,
                                             SSH_RECEIVE_WINDOW,
                                             SSH_RECEIVE_PACKET, NULL, 0))) {
        if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_EAGAIN) {
            ssh_session_set_error(s, error, FERRY_ERROR_REMOTE,
                                  "open a channel");
            return NULL;
        }
        if (!ssh_session_wait(s, deadline, "open a channel", error))
            return NULL;
    }
    while ((rc = libssh2_channel_exec(r->ch, cmdline)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(s, deadline, r->what, error))
            return NULL;
    }
    if (rc != 0) {
        ssh_session_set_error(s, error, FERRY_ERROR_REMOTE, r->what);
        return NULL;
    }
    if (!receive_read_frame(r, &f, payload, error) ||
        !receive_check_hello(s, remote_ferry, &f, payload, error) ||
        !receive_read_frame(r, &f, payload, error))
        return NULL;
    if (f.type != RECEIVE_FRAME_READY || f.offset > *resume ||
        f.offset % (1024 * 1024) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: expected READY at a MiB offset up to %"
                    G_GUINT64_FORMAT ", got %s at %" G_GUINT64_FORMAT,
                    ssh_session_get_name(s), r->what, *resume,
                    receive_frame_type_name(f.type), f.offset);
        return NULL;
    }
    *resume = r->pos = f.offset;
    return g_steal_pointer(&r);
}

gboolean
ssh_receiver_finish(SshReceiver *r, char sha256[65], GError **error)
{
    char payload[RECEIVE_MAX_MESSAGE + 1];
    gint64 deadline;
    ReceiveFrame f;
    gsize i;

    g_return_val_if_fail(!r->finished, FALSE);
    if (!receive_flush(r, error) || !receive_drain(r, TRUE, error) ||
        !receive_send_frame(r, RECEIVE_FRAME_END, 0, r->pos, 0, NULL, 0,
                            error) ||
        !receive_read_frame(r, &f, payload, error))
        return FALSE;
    if (f.type != RECEIVE_FRAME_RESULT || f.offset != r->pos) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: expected RESULT for %" G_GUINT64_FORMAT
                    " bytes, got %s at %" G_GUINT64_FORMAT,
                    ssh_session_get_name(r->s), r->what, r->pos,
                    receive_frame_type_name(f.type), f.offset);
        return FALSE;
    }
    for (i = 0; i < 64; i++) {
        if (!g_ascii_isxdigit(payload[i])) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: %s: RESULT is not a hex SHA-256",
                        ssh_session_get_name(r->s), r->what);
            return FALSE;
        }
        sha256[i] = g_ascii_tolower(payload[i]);
    }
    sha256[64] = '\0';
    r->finished = TRUE;
    deadline = ssh_session_deadline(r->s);
    while (libssh2_channel_send_eof(r->ch) == LIBSSH2_ERROR_EAGAIN &&
           ssh_session_wait(r->s, deadline, r->what, NULL))
        ;
    return TRUE;
}

void
ssh_receiver_free(SshReceiver *r)
{
    if (!r)
        return;
    if (r->workers)
        g_thread_pool_free(r->workers, FALSE, TRUE);
    g_queue_clear_full(&r->queue, (GDestroyNotify)receive_item_free);
    if (r->ch) {
        gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

        /* The receiver sees the end of its input: without END it keeps
         * what it wrote, fsynced, for a resume. */
        while (libssh2_channel_close(r->ch) == LIBSSH2_ERROR_EAGAIN &&
               ssh_session_wait(r->s, deadline, r->what, NULL))
            ;
        while (libssh2_channel_free(r->ch) == LIBSSH2_ERROR_EAGAIN &&
               ssh_session_wait(r->s, deadline, r->what, NULL))
            ;
    }
    g_mutex_clear(&r->lock);
    g_cond_clear(&r->cond);
    if (r->in)
        g_byte_array_unref(r->in);
    if (r->err)
        g_byte_array_unref(r->err);
    g_free(r->buf);
    g_free(r->what);
    g_free(r);
}
