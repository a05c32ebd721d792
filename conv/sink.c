/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sink.c: the sink interface and the local file sink.
 *
 * A sink takes an output image as an ordered byte stream.  The generic part
 * here keeps the offset, turns a hole into zeros for a sink that cannot
 * seek, and makes commit/abort happen once.  The file sink writes to
 * ".NAME.XXXXXX.part" in the destination's directory and renames it into
 * place only after fsync, so a crash, a failure or a cancel never leaves a
 * partial image under the destination's name (DESIGN.md, safety rules).
 * "-" is standard output: no holes (zeros are written), no patching.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "conv/writer-priv.h"

/* Zeros written at once for a hole in a sink that cannot seek. */
#define CONV_SINK_ZERO_BYTES (256 * 1024)
/* A file's pages are sent to the disk in the background every this many
 * bytes, so that commit's fsync finds little left to write: without it a
 * 2 GiB output waited 0.9 s in fsync after the copy had ended. */
#define CONV_SINK_WRITEBACK_BYTES (32 * 1024 * 1024)
/* Pages this far behind the end of the output are dropped from the page
 * cache once written back: an export of a large disk must not push the
 * host's running VMs out of the cache, and memory the output never holds
 * is memory the next command does not have to reclaim (see
 * file_sink_start_writeback()). */
#define CONV_SINK_DROP_BEHIND_BYTES (256 * 1024 * 1024)

ConvSink *
conv_sink_new(const ConvSinkOps *ops, ConvSink *next, void *priv)
{
    ConvSink *sink = g_new0(ConvSink, 1);

    sink->ops = ops;
    sink->next = next;
    sink->priv = priv;
    return sink;
}

gboolean
conv_sink_write(ConvSink *sink, const void *buf, gsize len, GError **error)
{
    g_assert(!sink->committed && !sink->aborted);
    if (len == 0)
        return TRUE;
    if (!sink->ops->write(sink, buf, len, error))
        return FALSE;
    sink->offset += len;
    return TRUE;
}

gboolean
conv_sink_skip(ConvSink *sink, guint64 len, GError **error)
{
    static const guint8 zeros[CONV_SINK_ZERO_BYTES];

    g_assert(!sink->committed && !sink->aborted);
    if (len == 0)
        return TRUE;
    if (sink->seekable) {
        if (!sink->ops->skip(sink, len, error))
            return FALSE;
        sink->offset += len;
        return TRUE;
    }
    while (len > 0) {
        gsize n = (gsize)MIN(len, (guint64)sizeof(zeros));

        if (!conv_sink_write(sink, zeros, n, error))
            return FALSE;
        len -= n;
    }
    return TRUE;
}

gboolean
conv_sink_can_seek(const ConvSink *sink)
{
    return sink->seekable;
}

gboolean
conv_sink_can_patch(const ConvSink *sink)
{
    return sink->patchable;
}

gboolean
conv_sink_pwrite(ConvSink *sink, const void *buf, gsize len, guint64 offset,
                 GError **error)
{
    if (!sink->patchable) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s sink: output cannot be rewritten in place",
                    sink->ops->name);
        return FALSE;
    }
    g_assert(offset <= sink->offset && len <= sink->offset - offset);
    return sink->ops->pwrite(sink, buf, len, offset, error);
}

guint64
conv_sink_get_offset(const ConvSink *sink)
{
    return sink->offset;
}

gboolean
conv_sink_commit(ConvSink *sink, GError **error)
{
    g_assert(!sink->committed && !sink->aborted);
    if (!sink->ops->commit(sink, error)) {
        conv_sink_abort(sink);
        return FALSE;
    }
    sink->committed = TRUE;
    return TRUE;
}

void
conv_sink_abort(ConvSink *sink)
{
    if (!sink || sink->committed || sink->aborted)
        return;
    sink->aborted = TRUE;
    sink->ops->abort(sink);
}

const char *
conv_sink_get_sha256(const ConvSink *sink)
{
    for (; sink; sink = sink->next) {
        if (sink->sha256)
            return sink->committed ? sink->sha256 : NULL;
    }
    return NULL;
}

void
conv_sink_free(ConvSink *sink)
{
    while (sink) {
        ConvSink *next = sink->next;

        conv_sink_abort(sink);
        if (sink->ops->free)
            sink->ops->free(sink);
        g_free(sink->sha256);
        g_free(sink);
        sink = next;
    }
}

/* ---- the local file sink ---------------------------------------------- */

typedef struct {
    int fd;
    gboolean is_stdout;
    char *path;                 /* the destination */
    char *tmp_path;             /* the temporary, or NULL once renamed/gone */
    guint64 file_end;           /* bytes actually written up to */
    gboolean unsafe;            /* skip the fsyncs (qemu-img's -t unsafe) */
    guint64 writeback_from;     /* start of what writeback was not asked for */
    guint64 dropped_to;         /* pages before this were dropped from cache */
} FileSink;

static gboolean
file_sink_pwrite_all(FileSink *fs, const guint8 *p, gsize len, guint64 offset,
                     GError **error)
{
    while (len > 0) {
        ssize_t r = fs->is_stdout ? write(fs->fd, p, len)
                                  : pwrite(fs->fd, p, len, (off_t)offset);

        if (r < 0) {
            int saved = errno;

            if (saved == EINTR)
                continue;
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "write: %s: %s", fs->is_stdout ? "stdout" : fs->path,
                        g_strerror(saved));
            return FALSE;
        }
        p += r;
        len -= (gsize)r;
        offset += (guint64)r;
    }
    return TRUE;
}

/*
 * Starts writeback of what was written since the last call, once that is
 * CONV_SINK_WRITEBACK_BYTES, without waiting for it: the disk writes while
 * the copy goes on.  Then drops the pages more than
 * CONV_SINK_DROP_BEHIND_BYTES behind from the page cache; the kernel skips
 * any still dirty or under writeback, so this never waits either.
 * Durability still comes from commit's fsync alone, so a failure here
 * changes nothing and is ignored.
 *
 * Measured on the 4 GiB half-data bench input (2 GiB of output), each run
 * after a qemu-img run as in bench/convert.sh: qcow2 -> vpc fixed, vpc
 * dynamic and raw took 3.2-4.8 s with writeback started early but nothing
 * dropped, and 1.0-1.5 s with this.  Waiting for writeback instead of
 * skipping busy pages cost 0.3-0.5 s more.
 */
static void
file_sink_start_writeback(FileSink *fs)
{
#ifdef SYNC_FILE_RANGE_WRITE
    /* -t unsafe leaves writeback to the kernel entirely, as qemu-img does. */
    if (fs->is_stdout || fs->unsafe ||
        fs->file_end - fs->writeback_from < CONV_SINK_WRITEBACK_BYTES)
        return;
    (void)sync_file_range(fs->fd, (off_t)fs->writeback_from,
                          (off_t)(fs->file_end - fs->writeback_from),
                          SYNC_FILE_RANGE_WRITE);
    fs->writeback_from = fs->file_end;
    if (fs->writeback_from - fs->dropped_to > CONV_SINK_DROP_BEHIND_BYTES) {
        guint64 end = fs->writeback_from - CONV_SINK_DROP_BEHIND_BYTES;

        (void)posix_fadvise(fs->fd, (off_t)fs->dropped_to,
                            (off_t)(end - fs->dropped_to), POSIX_FADV_DONTNEED);
        fs->dropped_to = end;
    }
#else
    (void)fs;
#endif
}

static gboolean
file_sink_write(ConvSink *sink, const void *buf, gsize len, GError **error)
{
    FileSink *fs = sink->priv;

    if (!file_sink_pwrite_all(fs, buf, len, sink->offset, error))
        return FALSE;
    fs->file_end = sink->offset + len;
    file_sink_start_writeback(fs);
    return TRUE;
}

static gboolean
file_sink_skip(ConvSink *sink, guint64 len, GError **error)
{
    /* Nothing to do: the next write lands past the hole, and commit()
     * extends the file if it ends in one. */
    return TRUE;
}

static gboolean
file_sink_pwrite(ConvSink *sink, const void *buf, gsize len, guint64 offset,
                 GError **error)
{
    FileSink *fs = sink->priv;

    if (!file_sink_pwrite_all(fs, buf, len, offset, error))
        return FALSE;
    fs->file_end = MAX(fs->file_end, offset + len);
    return TRUE;
}

static gboolean
file_sink_commit(ConvSink *sink, GError **error)
{
    FileSink *fs = sink->priv;
    g_autofree char *dir = NULL;
    int dfd;

    if (fs->is_stdout)
        return TRUE;
    if (fs->file_end < sink->offset &&
        ftruncate(fs->fd, (off_t)sink->offset) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "ftruncate: %s: %s",
                    fs->tmp_path, g_strerror(errno));
        return FALSE;
    }
    if (!fs->unsafe && fsync(fs->fd) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "fsync: %s: %s",
                    fs->tmp_path, g_strerror(errno));
        return FALSE;
    }
    if (close(fs->fd) < 0) {
        fs->fd = -1;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "close: %s: %s",
                    fs->tmp_path, g_strerror(errno));
        return FALSE;
    }
    fs->fd = -1;
    if (rename(fs->tmp_path, fs->path) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "rename: %s: %s",
                    fs->path, g_strerror(errno));
        return FALSE;
    }
    g_clear_pointer(&fs->tmp_path, g_free);
    if (fs->unsafe)
        return TRUE;
    /* The rename itself is durable only once the directory is synced. */
    dir = g_path_get_dirname(fs->path);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return TRUE;
}

static void
file_sink_abort(ConvSink *sink)
{
    FileSink *fs = sink->priv;

    if (fs->fd >= 0 && !fs->is_stdout)
        close(fs->fd);
    fs->fd = -1;
    if (fs->tmp_path) {
        (void)g_unlink(fs->tmp_path);
        g_clear_pointer(&fs->tmp_path, g_free);
    }
}

static void
file_sink_free(ConvSink *sink)
{
    FileSink *fs = sink->priv;

    g_free(fs->path);
    g_free(fs->tmp_path);
    g_free(fs);
}

static const ConvSinkOps file_sink_ops;

void
conv_sink_file_set_unsafe(ConvSink *sink, gboolean unsafe)
{
    g_return_if_fail(sink->ops == &file_sink_ops);
    ((FileSink *)sink->priv)->unsafe = unsafe;
}

static const ConvSinkOps file_sink_ops = {
    .name = "file",
    .write = file_sink_write,
    .skip = file_sink_skip,
    .pwrite = file_sink_pwrite,
    .commit = file_sink_commit,
    .abort = file_sink_abort,
    .free = file_sink_free,
};

ConvSink *
conv_sink_new_file(const char *path, GError **error)
{
    g_autofree char *dir = NULL;
    g_autofree char *base = NULL;
    g_autofree char *tmpl = NULL;
    FileSink *fs;
    ConvSink *sink;
    struct stat st;
    int fd;

    if (g_str_equal(path, "-")) {
        fs = g_new0(FileSink, 1);
        fs->fd = STDOUT_FILENO;
        fs->is_stdout = TRUE;
        fs->path = g_strdup(path);
        return conv_sink_new(&file_sink_ops, NULL, fs);
    }
    /* The temporary is renamed over DST: over /dev/null or a disk's node
     * that would put a regular file in the device's place (as root: found
     * when /dev/null turned into a file during a profiling run). */
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: not a regular file (%s): ferry writes a new file and "
                    "renames it into place; name a file, or '-' for standard "
                    "output", path, S_ISDIR(st.st_mode) ? "a directory" :
                    S_ISBLK(st.st_mode) ? "a block device" :
                    S_ISCHR(st.st_mode) ? "a character device" : "a special file");
        return NULL;
    }
    dir = g_path_get_dirname(path);
    base = g_path_get_basename(path);
    tmpl = g_strdup_printf("%s/.%s.XXXXXX.part", dir, base);
    fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) {
        int saved = errno;

        g_set_error(error, FERRY_ERROR,
                    saved == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
                    "create: %s: %s", path, g_strerror(saved));
        return NULL;
    }
    fs = g_new0(FileSink, 1);
    fs->fd = fd;
    fs->path = g_strdup(path);
    fs->tmp_path = g_steal_pointer(&tmpl);
    sink = conv_sink_new(&file_sink_ops, NULL, fs);
    sink->seekable = TRUE;
    sink->patchable = TRUE;
    return sink;
}

/* ---- a sink made of someone else's callbacks -------------------------- */

typedef struct {
    const ConvSinkCustomOps *ops;
    gpointer data;
    GDestroyNotify free_data;
} CustomSink;

static gboolean
custom_sink_write(ConvSink *sink, const void *buf, gsize len, GError **error)
{
    CustomSink *cs = sink->priv;

    return cs->ops->write(cs->data, buf, len, error);
}

static gboolean
custom_sink_skip(ConvSink *sink, guint64 len, GError **error)
{
    CustomSink *cs = sink->priv;

    return cs->ops->skip(cs->data, len, error);
}

static gboolean
custom_sink_commit(ConvSink *sink, GError **error)
{
    CustomSink *cs = sink->priv;

    return cs->ops->commit(cs->data, error);
}

static void
custom_sink_abort(ConvSink *sink)
{
    CustomSink *cs = sink->priv;

    cs->ops->abort(cs->data);
}

static void
custom_sink_free(ConvSink *sink)
{
    CustomSink *cs = sink->priv;

    if (cs->free_data)
        cs->free_data(cs->data);
    g_free(cs);
}

static const ConvSinkOps custom_sink_ops = {
    .name = "custom",
    .write = custom_sink_write,
    .skip = custom_sink_skip,
    .commit = custom_sink_commit,
    .abort = custom_sink_abort,
    .free = custom_sink_free,
};

ConvSink *
conv_sink_new_custom(const ConvSinkCustomOps *ops, gpointer data,
                     GDestroyNotify free_data)
{
    CustomSink *cs = g_new0(CustomSink, 1);
    ConvSink *sink;

    cs->ops = ops;
    cs->data = data;
    cs->free_data = free_data;
    sink = conv_sink_new(&custom_sink_ops, NULL, cs);
    sink->seekable = ops->skip != NULL;
    return sink;
}
