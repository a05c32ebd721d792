/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-sftp.c: SFTP (draft-ietf-secsh-filexfer-02, version 3, as OpenSSH's
 * sftp-server speaks it) for writing disk images: a forward-only writer
 * with holes, plus stat, statvfs, rename and unlink.
 *
 * Throughput: libssh2_sftp_write() cuts the buffer it is given into
 * 30000-byte SSH_FXP_WRITE requests and sends them all before waiting for
 * the first status, so the buffer size is the data in flight.  Measured on
 * loopback (bench/sftp.sh, 1 GiB, OpenSSH 9.2 sftp-server, aes128-ctr,
 * bench/reports/sftp-2026-11-23.md): 256 KiB 176 MiB/s, 1 MiB 194,
 * 2 MiB 206-244, 4-16 MiB 201-246 (flat, more RSS); scp with the same
 * cipher 279.  Hence a 2 MiB default (SSH_SFTP_DEFAULT_BUFFER).
 *
 * Extensions (OpenSSH PROTOCOL file): fsync@openssh.com through
 * libssh2_sftp_fsync() (skipped with a debug line if the server lacks it),
 * statvfs@openssh.com through libssh2_sftp_statvfs().  libssh2 1.10 has no
 * call for posix-rename@openssh.com, and OpenSSH's plain SSH_FXP_RENAME
 * refuses to replace an existing file (it uses link(2) + unlink(2)), so
 * ssh_sftp_rename() tries the plain rename first and, only if the target
 * exists, runs `mv -f` over an exec channel, which is one rename(2) on
 * the server.
 *
 * ssh_sftp_writer_open_shared() gives a writer for positional writes
 * into a file another writer created (the parallel streams of
 * ssh-sftp-streams.c): seek64 then write, never a truncation, never a
 * removal.
 *
 * A hole is skipped by moving the handle's offset forward; the file's
 * final size is set at commit with fsetstat(size), which also covers a
 * hole at the end and a resumed upload of a file that was longer.
 */
#include <config.h>

#include <string.h>

#include <libssh2_sftp.h>

#include "transport/ssh-priv.h"

struct _SshSftp {
    SshSession *s;                 /* borrowed; outlives this */
    LIBSSH2_SFTP *sftp;
};

struct _SshSftpWriter {
    SshSftp *sftp;                 /* borrowed */
    LIBSSH2_SFTP_HANDLE *handle;   /* NULL once closed */
    char *path;
    char *final_path;              /* or NULL */
    guint64 offset;                /* stream position, buffered bytes included */
    guint64 handle_pos;            /* where the handle writes next */
    guint8 *buf;                   /* bytes [offset - buf_len, offset) */
    gsize buf_len;
    gsize buf_size;
    RateLimit rate;
    gboolean finished;             /* committed or aborted */
    gboolean shared;               /* ssh_sftp_writer_open_shared() */
};

/* ---- errors ------------------------------------------------------------- */

static const struct {
    unsigned long status;
    int code;
    const char *text;
} ssh_sftp_statuses[] = {
    { LIBSSH2_FX_EOF, FERRY_ERROR_REMOTE, "end of file" },
    { LIBSSH2_FX_NO_SUCH_FILE, FERRY_ERROR_NOT_FOUND, "no such file" },
    { LIBSSH2_FX_PERMISSION_DENIED, FERRY_ERROR_REMOTE, "permission denied" },
    { LIBSSH2_FX_FAILURE, FERRY_ERROR_REMOTE, "failure" },
    { LIBSSH2_FX_BAD_MESSAGE, FERRY_ERROR_REMOTE, "bad message" },
    { LIBSSH2_FX_OP_UNSUPPORTED, FERRY_ERROR_UNSUPPORTED, "operation unsupported" },
    { LIBSSH2_FX_NO_SUCH_PATH, FERRY_ERROR_NOT_FOUND, "no such path" },
    { LIBSSH2_FX_FILE_ALREADY_EXISTS, FERRY_ERROR_REMOTE, "file already exists" },
    { LIBSSH2_FX_WRITE_PROTECT, FERRY_ERROR_REMOTE, "write protected" },
    /* A full pool is FERRY_ERROR_IO, as ENOSPC is for file://. */
    { LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM, FERRY_ERROR_IO, "No space left on device" },
    { LIBSSH2_FX_QUOTA_EXCEEDED, FERRY_ERROR_IO, "quota exceeded" },
    { LIBSSH2_FX_NOT_A_DIRECTORY, FERRY_ERROR_NOT_FOUND, "not a directory" },
};

/* The SFTP status of the last failure, or LIBSSH2_FX_OK if it was not an
 * SFTP status. */
static unsigned long
ssh_sftp_status(SshSftp *sftp)
{
    if (libssh2_session_last_errno(sftp->s->session) != LIBSSH2_ERROR_SFTP_PROTOCOL)
        return LIBSSH2_FX_OK;
    return libssh2_sftp_last_error(sftp->sftp);
}

static void
ssh_sftp_set_error(SshSftp *sftp, GError **error, const char *what,
                   const char *path)
{
    unsigned long status = ssh_sftp_status(sftp);
    gsize i;

    if (status == LIBSSH2_FX_OK) {
        g_autofree char *w = g_strdup_printf("%s '%s'", what, path);

        ssh_session_set_error(sftp->s, error, FERRY_ERROR_REMOTE, w);
        return;
    }
    for (i = 0; i < G_N_ELEMENTS(ssh_sftp_statuses); i++) {
        if (ssh_sftp_statuses[i].status == status) {
            g_set_error(error, FERRY_ERROR, ssh_sftp_statuses[i].code,
                        "%s: sftp %s '%s': %s", sftp->s->name, what, path,
                        ssh_sftp_statuses[i].text);
            return;
        }
    }
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                "%s: sftp %s '%s': SFTP status %lu", sftp->s->name, what, path,
                status);
}

/* Opens @path for writing with @flags (mode 0600 if created), waiting
 * while the non-blocking session says EAGAIN; NULL with @error set. */
static LIBSSH2_SFTP_HANDLE *
ssh_sftp_open_handle(SshSftp *sftp, const char *path, unsigned long flags,
                     gint64 deadline, GError **error)
{
    LIBSSH2_SFTP_HANDLE *h;

    while (!(h = libssh2_sftp_open_ex(sftp->sftp, path, strlen(path), flags,
                                      0600, LIBSSH2_SFTP_OPENFILE))) {
        if (libssh2_session_last_errno(sftp->s->session) != LIBSSH2_ERROR_EAGAIN) {
            ssh_sftp_set_error(sftp, error, "open", path);
            return NULL;
        }
        if (!ssh_session_wait(sftp->s, deadline, "sftp open", error))
            return NULL;
    }
    return h;
}

/* ---- the subsystem ------------------------------------------------------ */

SshSftp *
ssh_sftp_open(SshSession *s, GError **error)
{
    g_autoptr(SshSftp) sftp = g_new0(SshSftp, 1);
    gint64 deadline = ssh_session_deadline(s);

    sftp->s = s;
    while (!(sftp->sftp = libssh2_sftp_init(s->session))) {
        if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_EAGAIN) {
            ssh_session_set_error(s, error, FERRY_ERROR_REMOTE,
                                  "start the sftp subsystem");
            return NULL;
        }
        if (!ssh_session_wait(s, deadline, "start the sftp subsystem", error))
            return NULL;
    }
    return g_steal_pointer(&sftp);
}

void
ssh_sftp_free(SshSftp *sftp)
{
    if (!sftp)
        return;
    if (sftp->sftp) {
        gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

        while (libssh2_sftp_shutdown(sftp->sftp) == LIBSSH2_ERROR_EAGAIN &&
               g_get_monotonic_time() < deadline)
            g_usleep(1000);
    }
    g_free(sftp);
}

gboolean
ssh_sftp_stat_size(SshSftp *sftp, const char *path, guint64 *size,
                   GError **error)
{
    LIBSSH2_SFTP_ATTRIBUTES attrs = { 0 };
    gint64 deadline = ssh_session_deadline(sftp->s);
    int rc;

    while ((rc = libssh2_sftp_stat_ex(sftp->sftp, path, strlen(path),
                                      LIBSSH2_SFTP_STAT, &attrs)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(sftp->s, deadline, "stat", error))
            return FALSE;
    }
    if (rc != 0) {
        ssh_sftp_set_error(sftp, error, "stat", path);
        return FALSE;
    }
    if (!(attrs.flags & LIBSSH2_SFTP_ATTR_SIZE)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "%s: sftp stat '%s': the server sent no size",
                    sftp->s->name, path);
        return FALSE;
    }
    *size = attrs.filesize;
    return TRUE;
}

gboolean
ssh_sftp_statvfs_free(SshSftp *sftp, const char *path, guint64 *bytes_free,
                      GError **error)
{
    LIBSSH2_SFTP_STATVFS st = { 0 };
    gint64 deadline = ssh_session_deadline(sftp->s);
    int rc;

    while ((rc = libssh2_sftp_statvfs(sftp->sftp, path, strlen(path),
                                      &st)) == LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(sftp->s, deadline, "statvfs", error))
            return FALSE;
    }
    if (rc != 0) {
        ssh_sftp_set_error(sftp, error, "statvfs", path);
        return FALSE;
    }
    /* f_bavail: what an unprivileged user may still allocate. */
    if (st.f_frsize && st.f_bavail > G_MAXUINT64 / st.f_frsize)
        *bytes_free = G_MAXUINT64;
    else
        *bytes_free = st.f_bavail * st.f_frsize;
    return TRUE;
}

gboolean
ssh_sftp_unlink(SshSftp *sftp, const char *path, GError **error)
{
    gint64 deadline = ssh_session_deadline(sftp->s);
    int rc;

    while ((rc = libssh2_sftp_unlink_ex(sftp->sftp, path, strlen(path))) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(sftp->s, deadline, "unlink", error))
            return FALSE;
    }
    if (rc != 0) {
        ssh_sftp_set_error(sftp, error, "unlink", path);
        return FALSE;
    }
    return TRUE;
}

gboolean
ssh_sftp_chmod(SshSftp *sftp, const char *path, guint mode, GError **error)
{
    LIBSSH2_SFTP_ATTRIBUTES attrs = { 0 };
    gint64 deadline = ssh_session_deadline(sftp->s);
    int rc;

    g_return_val_if_fail(mode <= 0777, FALSE);
    attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
    attrs.permissions = mode;
    while ((rc = libssh2_sftp_stat_ex(sftp->sftp, path, strlen(path),
                                      LIBSSH2_SFTP_SETSTAT, &attrs)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(sftp->s, deadline, "chmod", error))
            return FALSE;
    }
    if (rc != 0) {
        ssh_sftp_set_error(sftp, error, "chmod", path);
        return FALSE;
    }
    return TRUE;
}

gboolean
ssh_sftp_rename(SshSftp *sftp, const char *from, const char *to,
                GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(SshExecResult) r = NULL;
    guint64 size = 0;
    gint64 deadline = ssh_session_deadline(sftp->s);
    const char *argv[] = { "mv", "-f", "--", from, to, NULL };
    int rc;

    while ((rc = libssh2_sftp_rename_ex(sftp->sftp, from, strlen(from), to,
                                        strlen(to),
                                        LIBSSH2_SFTP_RENAME_OVERWRITE |
                                        LIBSSH2_SFTP_RENAME_ATOMIC |
                                        LIBSSH2_SFTP_RENAME_NATIVE)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(sftp->s, deadline, "rename", error))
            return FALSE;
    }
    if (rc == 0)
        return TRUE;
    ssh_sftp_set_error(sftp, &local, "rename", from);
    /* Only "the target exists" is worth the exec fallback. */
    if (!ssh_sftp_stat_size(sftp, to, &size, NULL)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    g_debug("%s: sftp rename refused over an existing '%s': using mv",
            sftp->s->name, to);
    r = ssh_exec_check(sftp->s, argv, 0, error);
    return r != NULL;
}

/* ---- the writer --------------------------------------------------------- */

static gboolean ssh_sftp_writer_close_handle(SshSftpWriter *w, GError **error);

SshSftpWriter *
ssh_sftp_writer_open(SshSftp *sftp, const char *path, const char *final_path,
                     guint64 resume_offset, GError **error)
{
    g_autoptr(SshSftpWriter) w = g_new0(SshSftpWriter, 1);
    unsigned long flags = LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT;
    gint64 deadline = ssh_session_deadline(sftp->s);

    w->sftp = sftp;
    w->path = g_strdup(path);
    w->final_path = g_strdup(final_path);
    w->buf_size = SSH_SFTP_DEFAULT_BUFFER;
    if (resume_offset > 0) {
        guint64 size = 0;

        if (!ssh_sftp_stat_size(sftp, path, &size, error)) {
            w->finished = TRUE;     /* nothing of ours to remove */
            g_prefix_error(error, "resume: ");
            return NULL;
        }
        if (size < resume_offset) {
            w->finished = TRUE;
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: resume '%s': the file has %" G_GUINT64_FORMAT
                        " bytes, fewer than the resume offset %"
                        G_GUINT64_FORMAT, sftp->s->name, path, size,
                        resume_offset);
            return NULL;
        }
    } else {
        flags |= LIBSSH2_FXF_TRUNC;
    }
    w->handle = ssh_sftp_open_handle(sftp, path, flags, deadline, error);
    if (!w->handle) {
        w->finished = TRUE;
        return NULL;
    }
    w->offset = w->handle_pos = resume_offset;
    if (resume_offset > 0) {
        /* Cut what lies past the resume point, so that a hole skipped
         * later reads as zeros and not as bytes of an earlier attempt. */
        LIBSSH2_SFTP_ATTRIBUTES attrs = { 0 };
        int rc;

        attrs.flags = LIBSSH2_SFTP_ATTR_SIZE;
        attrs.filesize = resume_offset;
        deadline = ssh_session_deadline(sftp->s);
        while ((rc = libssh2_sftp_fstat_ex(w->handle, &attrs, 1)) ==
               LIBSSH2_ERROR_EAGAIN) {
            if (!ssh_session_wait(sftp->s, deadline, "sftp setstat", error))
                goto fail;
        }
        if (rc != 0) {
            ssh_sftp_set_error(sftp, error, "truncate", path);
            goto fail;
        }
        libssh2_sftp_seek64(w->handle, resume_offset);
    }
    w->buf = g_malloc(w->buf_size);
    return g_steal_pointer(&w);

fail:
    /* Keep the partial file: it is what a later resume needs. */
    w->finished = TRUE;
    ssh_sftp_writer_close_handle(w, NULL);
    return NULL;
}

void
ssh_sftp_writer_set_buffer_size(SshSftpWriter *w, gsize size)
{
    g_return_if_fail(w->buf_len == 0);
    if (size == 0)
        size = SSH_SFTP_DEFAULT_BUFFER;
    w->buf_size = MIN(size, SSH_SFTP_MAX_BUFFER);
    g_free(w->buf);
    w->buf = g_malloc(w->buf_size);
}

void
ssh_sftp_writer_set_rate_limit(SshSftpWriter *w, guint64 bytes_per_second)
{
    rate_limit_init(&w->rate, bytes_per_second);
}

guint64
ssh_sftp_writer_get_offset(const SshSftpWriter *w)
{
    return w->offset;
}

/* A failed write.  SFTP version 3 (OpenSSH's) has no status for a full
 * file system: sftp-server answers ENOSPC with the bare SSH_FX_FAILURE.
 * So a failure is followed by a statvfs of the pool: with less free than
 * the write needed, it is called what it is, exit 7 as on file://. */
static void
ssh_sftp_writer_set_error(SshSftpWriter *w, gsize len, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *dir = NULL;
    guint64 free_bytes;

    ssh_sftp_set_error(w->sftp, &local, "write", w->path);
    dir = g_path_get_dirname(w->path);
    if (ssh_sftp_status(w->sftp) == LIBSSH2_FX_FAILURE &&
        ssh_sftp_statvfs_free(w->sftp, dir, &free_bytes, NULL) &&
        free_bytes < len) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s: sftp write '%s': No space left on device (the "
                    "target's file system has %" G_GUINT64_FORMAT " bytes "
                    "free)", w->sftp->s->name, w->path, free_bytes);
        return;
    }
    g_propagate_error(error, g_steal_pointer(&local));
}

/* Sends @len bytes at the stream offset @at, seeking first if a hole was
 * skipped since the last write. */
static gboolean
ssh_sftp_writer_send(SshSftpWriter *w, const guint8 *p, gsize len,
                     guint64 at, GError **error)
{
    SshSession *s = w->sftp->s;
    gint64 deadline = ssh_session_deadline(s);

    if (!rate_limit_wait(&w->rate, len, s->cancellable, error))
        return FALSE;
    if (w->handle_pos != at) {
        libssh2_sftp_seek64(w->handle, at);
        w->handle_pos = at;
    }
    while (len > 0) {
        ssize_t n = libssh2_sftp_write(w->handle, (const char *)p, len);

        if (n == LIBSSH2_ERROR_EAGAIN) {
            if (!ssh_session_wait(s, deadline, "sftp write", error))
                return FALSE;
            continue;
        }
        if (n < 0) {
            ssh_sftp_writer_set_error(w, len, error);
            return FALSE;
        }
        p += n;
        len -= n;
        w->handle_pos += n;
        deadline = ssh_session_deadline(s);
    }
    return TRUE;
}

static gboolean
ssh_sftp_writer_flush(SshSftpWriter *w, GError **error)
{
    gsize len = w->buf_len;

    if (len == 0)
        return TRUE;
    w->buf_len = 0;
    return ssh_sftp_writer_send(w, w->buf, len, w->offset - len, error);
}

gboolean
ssh_sftp_writer_write(SshSftpWriter *w, const void *buf, gsize len,
                      GError **error)
{
    const guint8 *p = buf;

    g_return_val_if_fail(!w->finished, FALSE);
    if (w->offset + len < w->offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: sftp write '%s': offset overflows", w->sftp->s->name,
                    w->path);
        return FALSE;
    }
    while (len > 0) {
        gsize n;

        /* A large write with nothing buffered goes out without a copy,
         * one buffer size at a time: that size is what is in flight. */
        if (w->buf_len == 0 && len >= w->buf_size) {
            n = w->buf_size;
            if (!ssh_sftp_writer_send(w, p, n, w->offset, error))
                return FALSE;
            w->offset += n;
            p += n;
            len -= n;
            continue;
        }
        n = MIN(len, w->buf_size - w->buf_len);
        memcpy(w->buf + w->buf_len, p, n);
        w->buf_len += n;
        w->offset += n;
        p += n;
        len -= n;
        if (w->buf_len == w->buf_size && !ssh_sftp_writer_flush(w, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- positional writes into a shared file ------------------------------- */

SshSftpWriter *
ssh_sftp_writer_open_shared(SshSftp *sftp, const char *path, GError **error)
{
    g_autoptr(SshSftpWriter) w = g_new0(SshSftpWriter, 1);
    gint64 deadline = ssh_session_deadline(sftp->s);

    w->sftp = sftp;
    w->path = g_strdup(path);
    w->shared = TRUE;
    w->buf_size = SSH_SFTP_DEFAULT_BUFFER;
    /* No CREAT, no TRUNC: the file is someone else's to create and cut. */
    w->handle = ssh_sftp_open_handle(sftp, path, LIBSSH2_FXF_WRITE, deadline,
                                     error);
    if (!w->handle) {
        w->finished = TRUE;
        return NULL;
    }
    return g_steal_pointer(&w);
}

gboolean
ssh_sftp_writer_pwrite(SshSftpWriter *w, const void *buf, gsize len,
                       guint64 offset, GError **error)
{
    const guint8 *p = buf;

    g_return_val_if_fail(w->shared && !w->finished, FALSE);
    if (offset + len < offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: sftp write '%s': offset overflows", w->sftp->s->name,
                    w->path);
        return FALSE;
    }
    /* One buffer size at a time: that is what is in flight. */
    while (len > 0) {
        gsize n = MIN(len, w->buf_size);

        if (!ssh_sftp_writer_send(w, p, n, offset, error))
            return FALSE;
        p += n;
        len -= n;
        offset += n;
    }
    return TRUE;
}

gboolean
ssh_sftp_writer_close(SshSftpWriter *w, GError **error)
{
    g_return_val_if_fail(w->shared && !w->finished, FALSE);
    w->finished = TRUE;
    return ssh_sftp_writer_close_handle(w, error);
}

gboolean
ssh_sftp_writer_skip(SshSftpWriter *w, guint64 len, GError **error)
{
    g_return_val_if_fail(!w->finished, FALSE);
    if (w->offset + len < w->offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: sftp skip '%s': offset overflows", w->sftp->s->name,
                    w->path);
        return FALSE;
    }
    if (!ssh_sftp_writer_flush(w, error))
        return FALSE;
    w->offset += len;        /* the seek happens with the next write */
    return TRUE;
}

static gboolean
ssh_sftp_writer_close_handle(SshSftpWriter *w, GError **error)
{
    SshSftp *sftp = w->sftp;
    gint64 deadline = ssh_session_deadline(sftp->s);
    int rc;

    if (!w->handle)
        return TRUE;
    while ((rc = libssh2_sftp_close_handle(w->handle)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(sftp->s, deadline, "sftp close", error)) {
            w->handle = NULL;   /* the session is unusable anyway */
            return FALSE;
        }
    }
    w->handle = NULL;
    if (rc != 0) {
        ssh_sftp_set_error(sftp, error, "close", w->path);
        return FALSE;
    }
    return TRUE;
}

gboolean
ssh_sftp_writer_commit(SshSftpWriter *w, GError **error)
{
    SshSftp *sftp = w->sftp;
    LIBSSH2_SFTP_ATTRIBUTES attrs = { 0 };
    gint64 deadline;
    int rc;

    g_return_val_if_fail(!w->finished, FALSE);
    if (!ssh_sftp_writer_flush(w, error))
        return FALSE;
    /* The size: a hole at the end, or a longer file being resumed. */
    attrs.flags = LIBSSH2_SFTP_ATTR_SIZE;
    attrs.filesize = w->offset;
    deadline = ssh_session_deadline(sftp->s);
    while ((rc = libssh2_sftp_fstat_ex(w->handle, &attrs, 1)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(sftp->s, deadline, "sftp setstat", error))
            return FALSE;
    }
    if (rc != 0) {
        ssh_sftp_set_error(sftp, error, "set size of", w->path);
        return FALSE;
    }
    deadline = ssh_session_deadline(sftp->s);
    while ((rc = libssh2_sftp_fsync(w->handle)) == LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(sftp->s, deadline, "sftp fsync", error))
            return FALSE;
    }
    if (rc != 0) {
        if (ssh_sftp_status(sftp) != LIBSSH2_FX_OP_UNSUPPORTED) {
            ssh_sftp_set_error(sftp, error, "fsync", w->path);
            return FALSE;
        }
        g_debug("%s: no fsync@openssh.com: '%s' not synced", sftp->s->name,
                w->path);
    }
    if (!ssh_sftp_writer_close_handle(w, error))
        return FALSE;
    if (w->final_path && !ssh_sftp_rename(sftp, w->path, w->final_path, error))
        return FALSE;
    w->finished = TRUE;
    return TRUE;
}

void
ssh_sftp_writer_abort(SshSftpWriter *w)
{
    g_autoptr(GError) error = NULL;

    if (w->finished)
        return;
    w->finished = TRUE;
    if (!ssh_sftp_writer_close_handle(w, &error)) {
        g_debug("abort: %s", error->message);
        g_clear_error(&error);
    }
    /* A shared file is not ours to remove. */
    if (w->shared)
        return;
    if (!ssh_sftp_unlink(w->sftp, w->path, &error))
        g_debug("abort: %s", error->message);
}

void
ssh_sftp_writer_free(SshSftpWriter *w)
{
    if (!w)
        return;
    ssh_sftp_writer_abort(w);
    g_free(w->buf);
    g_free(w->path);
    g_free(w->final_path);
    g_free(w);
}
