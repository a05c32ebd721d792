/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-file.c: the file:// target, a directory on this host (local or
 * mounted).  Uploads are plain files written with pwrite (holes left as
 * holes), fsynced before the rename; the check hash is a fresh re-read of
 * the finished .part, so what is verified is what the filesystem returns.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "providers/target-priv.h"

/* Bytes read at once when hashing a finished file. */
#define TARGET_FILE_HASH_BUFFER (1024 * 1024)

static gboolean
target_file_error(GError **error, const char *call, const char *path,
                  int saved)
{
    g_set_error(error, FERRY_ERROR,
                saved == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
                "%s: %s: %s", call, path, g_strerror(saved));
    return FALSE;
}

static gboolean
target_file_connect(Target *t, GError **error)
{
    struct stat st;

    if (g_stat(t->pool, &st) < 0)
        return target_file_error(error, "stat", t->pool, errno);
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "%s: pool '%s' is not a directory", t->name, t->pool);
        return FALSE;
    }
    if (access(t->pool, W_OK | X_OK) < 0)
        return target_file_error(error, "access", t->pool, errno);
    t->priv = GINT_TO_POINTER(1);
    return TRUE;
}

static void
target_file_disconnect(Target *t)
{
    t->priv = NULL;
}

static gboolean
target_file_free_space(Target *t, guint64 *bytes, GError **error)
{
    struct statvfs sv;

    if (statvfs(t->pool, &sv) < 0)
        return target_file_error(error, "statvfs", t->pool, errno);
    *bytes = (guint64)sv.f_bavail * sv.f_frsize;
    return TRUE;
}

static gboolean
target_file_stat(Target *t, const char *path, guint64 *size, GError **error)
{
    struct stat st;

    if (g_stat(path, &st) < 0)
        return target_file_error(error, "stat", path, errno);
    *size = (guint64)st.st_size;
    return TRUE;
}

static gboolean
target_file_unlink(Target *t, const char *path, GError **error)
{
    if (g_unlink(path) < 0)
        return target_file_error(error, "unlink", path, errno);
    return TRUE;
}

static gboolean
target_file_rename(Target *t, const char *from, const char *to,
                   GError **error)
{
    g_autofree char *dir = NULL;
    int dfd;

    if (g_rename(from, to) < 0)
        return target_file_error(error, "rename", to, errno);
    dir = g_path_get_dirname(to);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return TRUE;
}

typedef struct {
    int fd;
    char *path;
    guint64 offset;             /* stream position */
    guint64 end;                /* bytes written up to */
} TargetFileUpload;

static void
target_file_upload_free(TargetFileUpload *u)
{
    if (u->fd >= 0)
        close(u->fd);
    g_free(u->path);
    g_free(u);
}

static gpointer
target_file_upload_open(Target *t, const char *path, guint64 resume,
                        GError **error)
{
    TargetFileUpload *u;
    struct stat st;
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC),
              0644);
    if (fd < 0) {
        target_file_error(error, "open", path, errno);
        return NULL;
    }
    if (resume) {
        if (fstat(fd, &st) < 0 || (guint64)st.st_size < resume) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: resume '%s': the file is shorter than the resume "
                        "offset %" G_GUINT64_FORMAT, t->name, path, resume);
            close(fd);
            return NULL;
        }
        /* Cut what lies past the resume point, so a hole reads as zeros. */
        if (ftruncate(fd, (off_t)resume) < 0) {
            target_file_error(error, "ftruncate", path, errno);
            close(fd);
            return NULL;
        }
    }
    u = g_new0(TargetFileUpload, 1);
    u->fd = fd;
    u->path = g_strdup(path);
    u->offset = u->end = resume;
    return u;
}

static gboolean
target_file_upload_write(gpointer h, const void *buf, gsize len,
                         GError **error)
{
    TargetFileUpload *u = h;
    const guint8 *p = buf;

    while (len > 0) {
        ssize_t r = pwrite(u->fd, p, len, (off_t)u->offset);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return target_file_error(error, "write", u->path, errno);
        }
        p += r;
        len -= (gsize)r;
        u->offset += (guint64)r;
    }
    u->end = u->offset;
    return TRUE;
}

static gboolean
target_file_upload_skip(gpointer h, guint64 len, GError **error)
{
    TargetFileUpload *u = h;

    u->offset += len;
    return TRUE;
}

static gboolean
target_file_upload_finish(gpointer h, GError **error)
{
    TargetFileUpload *u = h;
    gboolean ok = FALSE;

    if (u->end < u->offset && ftruncate(u->fd, (off_t)u->offset) < 0)
        target_file_error(error, "ftruncate", u->path, errno);
    else if (fsync(u->fd) < 0)
        target_file_error(error, "fsync", u->path, errno);
    else if (close(u->fd) < 0)
        target_file_error(error, "close", u->path, errno);
    else
        ok = TRUE;
    u->fd = -1;
    target_file_upload_free(u);
    return ok;
}

static void
target_file_upload_close(gpointer h)
{
    target_file_upload_free(h);
}

static char *
target_file_sha256(Target *t, const char *path, GError **error)
{
    g_autoptr(TargetHash) sum = target_hash_new();
    char hex[65];
    g_autofree guint8 *buf = g_malloc(TARGET_FILE_HASH_BUFFER);
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        target_file_error(error, "open", path, errno);
        return NULL;
    }
    for (;;) {
        ssize_t r = read(fd, buf, TARGET_FILE_HASH_BUFFER);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            target_file_error(error, "read", path, errno);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        target_hash_update(sum, buf, (gsize)r);
        if (t->cancellable &&
            g_cancellable_set_error_if_cancelled(t->cancellable, error)) {
            close(fd);
            return NULL;
        }
    }
    close(fd);
    target_hash_finish(sum, hex);
    return g_strdup(hex);
}

const struct ferry_target target_file_backend = {
    .scheme = "file",
    .connect = target_file_connect,
    .disconnect = target_file_disconnect,
    .free_space = target_file_free_space,
    .stat = target_file_stat,
    .unlink = target_file_unlink,
    .rename = target_file_rename,
    .upload_open = target_file_upload_open,
    .upload_write = target_file_upload_write,
    .upload_skip = target_file_upload_skip,
    .upload_finish = target_file_upload_finish,
    .upload_close = target_file_upload_close,
    .sha256 = target_file_sha256,
};
