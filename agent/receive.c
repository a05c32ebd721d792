/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * receive.c: the receiver of `ferry receive` (docs/receive-protocol.md).
 * The sender's frames arrive on stdin through an SSH exec channel; this
 * end writes one "<file>.part" in the pool directory it was given and
 * nothing else: the name is checked like a file:// target's (no '/', no
 * leading '.', no control bytes) and must end in ".part", the file is
 * reached only through the pool's directory fd, created with
 * O_EXCL|O_NOFOLLOW, mode 0600, and a resumed one must be a regular file
 * of ours (the rules of providers/target-file.c).
 *
 * Every frame is hostile input: its header is checked by
 * receive_frame_decode(), then here its offset must be exactly where the
 * file stands (frames come in order, without gaps or overlaps), and the
 * end must stay under max_size; a compressed payload must inflate to
 * exactly its length.  Buffers are allocated once, at their caps.
 *
 * The SHA-256 is computed as the bytes go to the file (conv's hash sink,
 * the same code the sender hashes with, holes as zeros), so a fresh
 * transfer never reads the file back.  A resume reads the kept prefix once
 * to seed the hash: there is no portable way to store a SHA-256 state.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/receive-priv.h"
#include "providers/providers.h"

/* Bytes read at once when a resume hashes the kept prefix. */
#define RECEIVE_PREFIX_BUFFER (1024 * 1024)

typedef struct {
    const AgentReceiveOptions *o;
    int fd;                     /* the .part, write-only unless resumed */
    guint64 pos;                /* the stream's position */
    guint64 verified;           /* the kept prefix: hashed, not written */
    guint64 written_end;        /* bytes actually in the file up to */
} Receiver;

static gboolean
receive_io_error(GError **error, const char *call, const AgentReceiveOptions *o,
                 int saved)
{
    g_set_error(error, FERRY_ERROR,
                saved == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
                "%s: %s/%s: %s", call, o->pool, o->name, g_strerror(saved));
    return FALSE;
}

/* ---- frames on the pipes ------------------------------------------------ */

static gboolean
receive_write_all(int fd, const void *buf, gsize len, GError **error)
{
    const guint8 *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                        "ferry receive: write to the sender: %s",
                        g_strerror(errno));
            return FALSE;
        }
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

static gboolean
receive_send(int fd, guint8 type, guint64 offset, const void *payload,
             guint32 len, GError **error)
{
    ReceiveFrame f = { .type = type, .payload = len, .offset = offset };
    guint8 hdr[RECEIVE_FRAME_HEADER];

    receive_frame_encode(&f, hdr);
    return receive_write_all(fd, hdr, sizeof(hdr), error) &&
           receive_write_all(fd, payload, len, error);
}

/* Reads exactly @len bytes.  Returns 1, or 0 on an end of file before the
 * first byte when @eof_ok, or -1 with @error. */
static int
receive_read_exact(int fd, void *buf, gsize len, gboolean eof_ok,
                   GError **error)
{
    guint8 *p = buf;
    gsize got = 0;

    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                        "ferry receive: read from the sender: %s",
                        g_strerror(errno));
            return -1;
        }
        if (n == 0) {
            if (got == 0 && eof_ok)
                return 0;
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                        "ferry receive: the sender closed the connection "
                        "inside a frame");
            return -1;
        }
        got += (gsize)n;
    }
    return 1;
}

gboolean
agent_receive_hello(int out_fd, GError **error)
{
    return receive_send(out_fd, RECEIVE_FRAME_HELLO, RECEIVE_PROTOCOL_VERSION,
                        RECEIVE_HELLO_MAGIC, sizeof(RECEIVE_HELLO_MAGIC) - 1,
                        error);
}

gboolean
agent_receive_check_name(const char *name, GError **error)
{
    if (!target_check_name(name, error))
        return FALSE;
    if (!g_str_has_suffix(name, ".part") || strlen(name) == strlen(".part")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "file name '%s': ferry receive writes only '<file>.part'",
                    name);
        return FALSE;
    }
    return TRUE;
}

/* ---- the .part ---------------------------------------------------------- */

static gboolean
receive_refuse(const AgentReceiveOptions *o, const struct stat *st,
               GError **error)
{
    if (S_ISLNK(st->st_mode))
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s/%s is a symbolic link: not followed, not replaced",
                    o->pool, o->name);
    else if (!S_ISREG(st->st_mode))
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s/%s is not a regular file", o->pool, o->name);
    else
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s/%s belongs to uid %u, not to ferry's (%u)", o->pool,
                    o->name, (guint)st->st_uid, (guint)geteuid());
    return FALSE;
}

/* A fresh .part: an earlier one of ours is replaced, anything else under
 * the name refused. */
static int
receive_create(const AgentReceiveOptions *o, GError **error)
{
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    struct stat st;
    int fd;

    fd = openat(o->pool_fd, o->name, flags, 0600);
    if (fd < 0 && errno == EEXIST &&
        fstatat(o->pool_fd, o->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
            receive_refuse(o, &st, error);
            return -1;
        }
        if (unlinkat(o->pool_fd, o->name, 0) < 0) {
            receive_io_error(error, "unlink", o, errno);
            return -1;
        }
        fd = openat(o->pool_fd, o->name, flags, 0600);
    }
    if (fd < 0)
        receive_io_error(error, "create", o, errno);
    return fd;
}

/* The .part to continue: a regular file of ours, not through a link. */
static int
receive_open_existing(const AgentReceiveOptions *o, GError **error)
{
    struct stat st;
    int fd;

    fd = openat(o->pool_fd, o->name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP &&
        fstatat(o->pool_fd, o->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        receive_refuse(o, &st, error);
        return -1;
    }
    if (fd < 0) {
        receive_io_error(error, "open", o, errno);
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != geteuid()) {
        receive_refuse(o, &st, error);
        close(fd);
        return -1;
    }
    return fd;
}

/* A receiver whose connection just dropped may still be writing: wait
 * for it to let go, so that the size read next is final. */
static gboolean
receive_lock(const AgentReceiveOptions *o, int fd, GError **error)
{
    gint64 end = g_get_monotonic_time() +
                 AGENT_RECEIVE_LOCK_WAIT_S * G_USEC_PER_SEC;

    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return receive_io_error(error, "flock", o, errno);
        if (g_get_monotonic_time() >= end) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                        "%s/%s: another receiver still holds it after %d s",
                        o->pool, o->name, AGENT_RECEIVE_LOCK_WAIT_S);
            return FALSE;
        }
        g_usleep(100 * 1000);
    }
    return TRUE;
}

/* ---- the sink under the hash -------------------------------------------- */

static gboolean
receive_part_write(gpointer data, const void *buf, gsize len, GError **error)
{
    Receiver *r = data;
    const guint8 *p = buf;

    /* The kept prefix is hashed on its way through, not written again. */
    if (r->pos < r->verified) {
        gsize drop = (gsize)MIN((guint64)len, r->verified - r->pos);

        r->pos += drop;
        p += drop;
        len -= drop;
    }
    while (len > 0) {
        ssize_t n = pwrite(r->fd, p, len, (off_t)r->pos);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return receive_io_error(error, "write", r->o, errno);
        p += n;
        len -= (gsize)n;
        r->pos += (guint64)n;
    }
    r->written_end = MAX(r->written_end, r->pos);
    return TRUE;
}

static gboolean
receive_part_skip(gpointer data, guint64 len, GError **error)
{
    Receiver *r = data;

    /* The file was cut at the resume point (or is new): a hole reads as
     * zeros once the size covers it. */
    r->pos += len;
    return TRUE;
}

static gboolean
receive_part_commit(gpointer data, GError **error)
{
    Receiver *r = data;

    if (r->written_end < r->pos && ftruncate(r->fd, (off_t)r->pos) < 0)
        return receive_io_error(error, "ftruncate", r->o, errno);
    if (fsync(r->fd) < 0)
        return receive_io_error(error, "fsync", r->o, errno);
    return TRUE;
}

static void
receive_part_abort(gpointer data)
{
    Receiver *r = data;

    /* What was written stays, durable, for a resume to build on. */
    if (r->fd >= 0)
        (void)fsync(r->fd);
}

static const ConvSinkCustomOps receive_part_ops = {
    .name = "receive-part",
    .write = receive_part_write,
    .skip = receive_part_skip,
    .commit = receive_part_commit,
    .abort = receive_part_abort,
};

/* ---- the protocol ------------------------------------------------------- */

/* Opens or continues the .part and feeds the kept prefix to @sum. */
static gboolean
receive_open(Receiver *r, ConvSink *sum, GError **error)
{
    const AgentReceiveOptions *o = r->o;
    g_autofree guint8 *buf = NULL;
    struct stat st;
    guint64 keep, off = 0;

    if (!o->resume) {
        r->fd = receive_create(o, error);
        return r->fd >= 0 && receive_lock(o, r->fd, error);
    }
    r->fd = receive_open_existing(o, error);
    if (r->fd < 0 || !receive_lock(o, r->fd, error))
        return FALSE;
    if (fstat(r->fd, &st) < 0)
        return receive_io_error(error, "stat", o, errno);
    keep = (guint64)st.st_size / TARGET_RESUME_ALIGN * TARGET_RESUME_ALIGN;
    keep = MIN(keep, o->resume_max / TARGET_RESUME_ALIGN * TARGET_RESUME_ALIGN);
    /* A .part an older ferry left world-readable is private again, and
     * what lies past the resume point goes, so a hole reads as zeros. */
    if (fchmod(r->fd, 0600) < 0)
        return receive_io_error(error, "chmod", o, errno);
    if (ftruncate(r->fd, (off_t)keep) < 0)
        return receive_io_error(error, "ftruncate", o, errno);
    r->verified = keep;
    r->written_end = keep;
    buf = g_malloc(RECEIVE_PREFIX_BUFFER);
    while (off < keep) {
        gsize want = (gsize)MIN(keep - off, (guint64)RECEIVE_PREFIX_BUFFER);
        ssize_t n = pread(r->fd, buf, want, (off_t)off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return receive_io_error(error, "read", o, errno);
        if (n == 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "%s/%s: shrank to %" G_GUINT64_FORMAT " bytes while "
                        "being resumed", o->pool, o->name, off);
            return FALSE;
        }
        if (!conv_sink_write(sum, buf, (gsize)n, error))
            return FALSE;
        off += (guint64)n;
    }
    return TRUE;
}

static gboolean
receive_frames(Receiver *r, ConvSink *sum, GError **error)
{
    const AgentReceiveOptions *o = r->o;
    g_autofree guint8 *payload = g_malloc(RECEIVE_MAX_PAYLOAD);
    g_autofree guint8 *inflated = NULL;
    struct libdeflate_decompressor *dec = NULL;
    gboolean ok = FALSE;

    for (;;) {
        guint8 hdr[RECEIVE_FRAME_HEADER];
        ReceiveFrame f;
        const guint8 *data = payload;
        guint64 end;
        int rc = receive_read_exact(o->in_fd, hdr, sizeof(hdr), TRUE, error);

        if (rc == 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                        "ferry receive: %s/%s: the sender left before the "
                        "end, at offset %" G_GUINT64_FORMAT, o->pool, o->name,
                        r->pos);
            goto out;
        }
        if (rc < 0 || !receive_frame_decode(hdr, &f, error))
            goto out;
        if (f.type != RECEIVE_FRAME_DATA && f.type != RECEIVE_FRAME_HOLE &&
            f.type != RECEIVE_FRAME_END) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "receive protocol: a sender does not send %s frames",
                        receive_frame_type_name(f.type));
            goto out;
        }
        if (f.offset != r->pos) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "receive protocol: %s frame: offset %" G_GUINT64_FORMAT
                        " is not the file's position %" G_GUINT64_FORMAT,
                        receive_frame_type_name(f.type), f.offset, r->pos);
            goto out;
        }
        if (f.type == RECEIVE_FRAME_END) {
            ok = TRUE;
            goto out;
        }
        /* Checked for wrap-around by receive_frame_decode(). */
        end = f.offset + f.length;
        if (end > o->max_size) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "receive protocol: %s frame: end %" G_GUINT64_FORMAT
                        " is past the size limit %" G_GUINT64_FORMAT,
                        receive_frame_type_name(f.type), end, o->max_size);
            goto out;
        }
        if (f.type == RECEIVE_FRAME_HOLE) {
            if (!conv_sink_skip(sum, f.length, error))
                goto out;
            continue;
        }
        if (receive_read_exact(o->in_fd, payload, f.payload, FALSE,
                               error) < 0)
            goto out;
        if (f.flags & RECEIVE_FLAG_DEFLATE) {
            size_t actual = 0;
            enum libdeflate_result res;

            if (!dec && !(dec = libdeflate_alloc_decompressor())) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                            "ferry receive: libdeflate_alloc_decompressor failed");
                goto out;
            }
            if (!inflated)
                inflated = g_malloc(RECEIVE_MAX_DATA);
            res = libdeflate_deflate_decompress(dec, payload, f.payload,
                                                inflated, (size_t)f.length,
                                                &actual);
            if (res != LIBDEFLATE_SUCCESS || actual != f.length) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "receive protocol: DATA frame at offset %"
                            G_GUINT64_FORMAT ": deflate payload does not "
                            "inflate to its length %" G_GUINT64_FORMAT,
                            f.offset, f.length);
                goto out;
            }
            data = inflated;
        }
        if (!conv_sink_write(sum, data, (gsize)f.length, error))
            goto out;
    }
out:
    if (dec)
        libdeflate_free_decompressor(dec);
    return ok;
}

/* Best effort: the sender may be gone. */
static void
receive_send_error(const AgentReceiveOptions *o, const GError *error)
{
    g_autoptr(GError) local = NULL;
    gsize len = MIN(strlen(error->message), (gsize)RECEIVE_MAX_MESSAGE);
    guint64 code = error->domain == FERRY_ERROR ? (guint64)error->code
                                                : FERRY_ERROR_FAILED;

    if (len == 0)
        return;
    if (!receive_send(o->out_fd, RECEIVE_FRAME_ERROR, code, error->message,
                      (guint32)len, &local))
        g_debug("%s", local->message);
}

gboolean
agent_receive_run(const AgentReceiveOptions *o, GError **error)
{
    Receiver r = { .o = o, .fd = -1 };
    g_autoptr(ConvSink) sum = NULL;
    g_autoptr(GError) local = NULL;
    const char *hex;
    gboolean ok = FALSE;

    if (!agent_receive_hello(o->out_fd, error))
        return FALSE;
    sum = conv_sink_new_sha256(conv_sink_new_custom(&receive_part_ops, &r,
                                                    NULL));
    if (!agent_receive_check_name(o->name, &local) ||
        !receive_open(&r, sum, &local) ||
        !receive_send(o->out_fd, RECEIVE_FRAME_READY, r.verified, NULL, 0,
                      &local) ||
        !receive_frames(&r, sum, &local) ||
        !conv_sink_commit(sum, &local))
        goto out;
    hex = conv_sink_get_sha256(sum);
    g_assert(hex && strlen(hex) == 64);
    if (!receive_send(o->out_fd, RECEIVE_FRAME_RESULT, r.pos, hex, 64, &local))
        goto out;
    ok = TRUE;
out:
    if (!ok) {
        receive_send_error(o, local);
        conv_sink_abort(sum);
        g_propagate_error(error, g_steal_pointer(&local));
    }
    g_clear_pointer(&sum, conv_sink_free);
    if (r.fd >= 0)
        close(r.fd);
    return ok;
}
