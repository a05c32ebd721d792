/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-file.c: the file:// target, a directory on this host (local or
 * mounted).  Uploads are plain files written with pwrite (holes left as
 * holes), fsynced before the rename; the check hash is a fresh re-read of
 * the finished .part through conv's hash sink, so what is verified is what
 * the filesystem returns, hashed by the same code as the stream.
 *
 * ferry runs as root and a pool may be shared, so a name in it is never
 * trusted to be what ferry left there: the pool is opened once (it may be
 * reached through symbolic links: the admin chose that path) and every
 * file is then reached through that directory fd with *at() calls that
 * do not follow a symbolic link.  A fresh .part is created with O_EXCL,
 * mode 0600; a resumed one must be a regular file of ours; a final name is
 * never replaced (renameat2 RENAME_NOREPLACE).  Only the rename gives a
 * file its final mode and group.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "providers/target-priv.h"

/* Bytes read at once when hashing a finished file. */
#define TARGET_FILE_HASH_BUFFER (1024 * 1024)

/* The connection: the pool directory, open. */
typedef struct {
    int dfd;
} TargetFile;

static int
target_file_dfd(const Target *t)
{
    g_assert(t->priv);
    return ((TargetFile *)t->priv)->dfd;
}

static gboolean
target_file_error(GError **error, const char *call, const char *path,
                  int saved)
{
    g_set_error(error, FERRY_ERROR,
                saved == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
                "%s: %s: %s", call, path, g_strerror(saved));
    return FALSE;
}

/* For a name that exists but is not a regular file ferry may write. */
static gboolean
target_file_refuse(const Target *t, const char *name, const struct stat *st,
                   GError **error)
{
    if (S_ISLNK(st->st_mode)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s: '%s' is a symbolic link: not followed, not replaced",
                    t->name, name);
    } else if (!S_ISREG(st->st_mode)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s: '%s' is not a regular file", t->name, name);
    } else {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s: '%s' belongs to uid %u, not to ferry's (%u)",
                    t->name, name, (guint)st->st_uid, (guint)geteuid());
    }
    return FALSE;
}

/* An error naming @name for errno @saved from @call on it. */
static gboolean
target_file_name_error(const Target *t, GError **error, const char *call,
                       const char *name, int saved)
{
    g_autofree char *path = target_path(t, name);

    return target_file_error(error, call, path, saved);
}

static void
target_file_disconnect(Target *t)
{
    TargetFile *tf = g_steal_pointer(&t->priv);

    if (!tf)
        return;
    close(tf->dfd);
    g_free(tf);
}

/* Opens the absolute directory @path one component at a time with
 * O_NOFOLLOW, so that no symbolic link on the way is followed; sets errno
 * (ELOOP or ENOTDIR for a link), @failed to the component it stopped at
 * (owned) and returns -1 on failure. */
static int
target_file_open_dir_nofollow(const char *path, char **failed)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    guint i;

    *failed = g_strdup("/");
    for (i = 0; fd >= 0 && parts[i]; i++) {
        int next;

        if (!*parts[i] || g_str_equal(parts[i], "."))
            continue;
        g_free(*failed);
        *failed = g_strdup(parts[i]);
        if (g_str_equal(parts[i], "..")) {
            close(fd);
            errno = EINVAL;
            return -1;
        }
        next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = next;
    }
    return fd;
}

static gboolean
target_file_connect(Target *t, GError **error)
{
    TargetFile *tf;
    g_autofree char *failed = NULL;
    int dfd;

    /* Following symbolic links here is deliberate unless the caller says
     * otherwise: the pool path is the admin's, and /srv/pool -> /data/pool
     * is common. */
    if (t->opts->pool_no_symlinks) {
        dfd = target_file_open_dir_nofollow(t->pool, &failed);
        if (dfd < 0 && (errno == ELOOP || errno == ENOTDIR || errno == EINVAL)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                        "%s: pool '%s': '%s' is not a plain directory (a symbolic "
                        "link is not followed here)", t->name, t->pool, failed);
            return FALSE;
        }
    } else {
        dfd = open(t->pool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd < 0 && errno == ENOTDIR) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "%s: pool '%s' is not a directory", t->name, t->pool);
        return FALSE;
    }
    if (dfd < 0)
        return target_file_error(error, "open", t->pool, errno);
    if (faccessat(dfd, ".", W_OK | X_OK, 0) < 0) {
        int saved = errno;

        close(dfd);
        return target_file_error(error, "access", t->pool, saved);
    }
    tf = g_new0(TargetFile, 1);
    tf->dfd = dfd;
    t->priv = tf;
    return TRUE;
}

static gboolean
target_file_free_space(Target *t, guint64 *bytes, GError **error)
{
    struct statvfs sv;

    if (fstatvfs(target_file_dfd(t), &sv) < 0)
        return target_file_error(error, "statvfs", t->pool, errno);
    *bytes = (guint64)sv.f_bavail * sv.f_frsize;
    return TRUE;
}

static gboolean
target_file_stat(Target *t, const char *name, guint64 *size, GError **error)
{
    struct stat st;

    if (fstatat(target_file_dfd(t), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return target_file_name_error(t, error, "stat", name, errno);
    if (!S_ISREG(st.st_mode))
        return target_file_refuse(t, name, &st, error);
    *size = (guint64)st.st_size;
    return TRUE;
}

static gboolean
target_file_unlink(Target *t, const char *name, GError **error)
{
    if (unlinkat(target_file_dfd(t), name, 0) < 0)
        return target_file_name_error(t, error, "unlink", name, errno);
    return TRUE;
}

/* Opens @name in the pool without following a symbolic link and checks
 * that it is a regular file of ours; -1 with @error otherwise. */
static int
target_file_open_existing(Target *t, const char *name, int flags,
                          GError **error)
{
    struct stat st;
    int fd;

    fd = openat(target_file_dfd(t), name, flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ELOOP &&
        fstatat(target_file_dfd(t), name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        target_file_refuse(t, name, &st, error);
        return -1;
    }
    if (fd < 0) {
        target_file_name_error(t, error, "open", name, errno);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        target_file_name_error(t, error, "stat", name, errno);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        target_file_refuse(t, name, &st, error);
        close(fd);
        return -1;
    }
    return fd;
}

/* renameat2(RENAME_NOREPLACE), or where the filesystem does not have it
 * (EINVAL: some FUSE and network filesystems), link and unlink, which
 * refuse an existing @to just as atomically. */
static int
target_file_rename_noreplace(int dfd, const char *from, const char *to)
{
    if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat(dfd, from, dfd, to, 0) < 0)
        return -1;
    return unlinkat(dfd, from, 0);
}

static gboolean
target_file_rename(Target *t, const char *from, const char *to,
                   GError **error)
{
    int dfd = target_file_dfd(t);
    struct stat st;
    int fd;

    fd = target_file_open_existing(t, from, O_RDONLY, error);
    if (fd < 0)
        return FALSE;
    /* chown first: it clears set-id bits a chmod would have set. */
    if (t->set_file_gid && fchown(fd, (uid_t)-1, t->file_gid) < 0) {
        target_file_name_error(t, error, "chown", from, errno);
        close(fd);
        return FALSE;
    }
    if (fchmod(fd, t->file_mode) < 0) {
        target_file_name_error(t, error, "chmod", from, errno);
        close(fd);
        return FALSE;
    }
    close(fd);
    if (target_file_rename_noreplace(dfd, from, to) < 0) {
        int saved = errno;

        if (saved != EEXIST)
            return target_file_name_error(t, error, "rename", to, saved);
        if (fstatat(dfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            return target_file_refuse(t, to, &st, error);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                    "%s: '%s' already exists: not replaced", t->name, to);
        return FALSE;
    }
    (void)fsync(dfd);
    return TRUE;
}

typedef struct {
    int fd;
    char *path;                 /* for messages */
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

/* A fresh @name: created, never opened through a link.  A regular file of
 * ours (an earlier run's .part not being resumed) is replaced; anything
 * else under the name is refused. */
static int
target_file_create(Target *t, const char *name, GError **error)
{
    int dfd = target_file_dfd(t);
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    struct stat st;
    int fd;

    fd = openat(dfd, name, flags, 0600);
    if (fd < 0 && errno == EEXIST &&
        fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
            target_file_refuse(t, name, &st, error);
            return -1;
        }
        if (unlinkat(dfd, name, 0) < 0) {
            target_file_name_error(t, error, "unlink", name, errno);
            return -1;
        }
        /* Whatever appears under the name meanwhile makes this fail. */
        fd = openat(dfd, name, flags, 0600);
    }
    if (fd < 0)
        target_file_name_error(t, error, "create", name, errno);
    return fd;
}

static gpointer
target_file_upload_open(Target *t, const char *name, guint64 *resume_p,
                        GError **error)
{
    guint64 resume = *resume_p;
    TargetFileUpload *u;
    struct stat st;
    int fd;

    if (!resume)
        fd = target_file_create(t, name, error);
    else
        fd = target_file_open_existing(t, name, O_WRONLY, error);
    if (fd < 0)
        return NULL;
    u = g_new0(TargetFileUpload, 1);
    u->fd = fd;
    u->path = target_path(t, name);
    u->offset = u->end = resume;
    if (resume) {
        if (fstat(fd, &st) < 0 || (guint64)st.st_size < resume) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: resume '%s': the file is shorter than the resume "
                        "offset %" G_GUINT64_FORMAT, t->name, name, resume);
            target_file_upload_free(u);
            return NULL;
        }
        /* A .part an older ferry left world-readable is private again. */
        if (fchmod(fd, 0600) < 0) {
            target_file_error(error, "chmod", u->path, errno);
            target_file_upload_free(u);
            return NULL;
        }
        /* Cut what lies past the resume point, so a hole reads as zeros. */
        if (ftruncate(fd, (off_t)resume) < 0) {
            target_file_error(error, "ftruncate", u->path, errno);
            target_file_upload_free(u);
            return NULL;
        }
    }
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

static gboolean
target_file_discard_write(gpointer data, const void *buf, gsize len,
                          GError **error)
{
    return TRUE;
}

static gboolean
target_file_discard_commit(gpointer data, GError **error)
{
    return TRUE;
}

static void
target_file_discard_abort(gpointer data)
{
}

/* Under conv's hash sink when re-reading a file: only the hash matters. */
static const ConvSinkCustomOps target_file_discard_ops = {
    .name = "discard",
    .write = target_file_discard_write,
    .commit = target_file_discard_commit,
    .abort = target_file_discard_abort,
};

static char *
target_file_sha256(Target *t, const char *name, GError **error)
{
    g_autoptr(ConvSink) sum = NULL;
    g_autofree guint8 *buf = NULL;
    int fd = target_file_open_existing(t, name, O_RDONLY, error);

    if (fd < 0)
        return NULL;
    sum = conv_sink_new_sha256(
        conv_sink_new_custom(&target_file_discard_ops, NULL, NULL));
    buf = g_malloc(TARGET_FILE_HASH_BUFFER);
    for (;;) {
        ssize_t r = read(fd, buf, TARGET_FILE_HASH_BUFFER);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            target_file_name_error(t, error, "read", name, errno);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        if (!conv_sink_write(sum, buf, (gsize)r, error) ||
            (t->cancellable &&
             g_cancellable_set_error_if_cancelled(t->cancellable, error))) {
            close(fd);
            return NULL;
        }
    }
    close(fd);
    if (!conv_sink_commit(sum, error))
        return NULL;
    return g_strdup(conv_sink_get_sha256(sum));
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
