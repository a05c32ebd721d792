/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * image.c: opening an image file read-only, picking its format, and walking
 * its backing chain.
 *
 * A chain is resolved here once for every format: a layer's "unallocated"
 * ranges are read from the layer below, and what no layer holds, or what
 * lies past the end of a shorter backing file, reads as zeros (qemu's rule).
 * Chains stop at CONV_MAX_CHAIN_DEPTH and at a file seen twice, compared by
 * (device, inode) so that symlinks and "../" spellings cannot hide a loop.
 * Only the top image may be probed: a backing file is opened in the format
 * its parent records, or as raw when none is recorded.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "conv/conv-priv.h"

int
conv_open_readonly(const char *path, guint64 *size_out, GError **error)
{
    struct stat st;
    int fd;

    /* O_NONBLOCK so that a FIFO named as an image or backing file cannot
     * hang open(); the type check below refuses it, then the flag goes. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int saved = errno;

        g_set_error(error, FERRY_ERROR,
                    saved == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
                    "open: %s: %s", path, g_strerror(saved));
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        int saved = errno;

        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "stat: %s: %s",
                    path, g_strerror(saved));
        close(fd);
        return -1;
    }
    if ((S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) &&
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
        int saved = errno;

        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "fcntl: %s: %s",
                    path, g_strerror(saved));
        close(fd);
        return -1;
    }
    if (S_ISREG(st.st_mode)) {
        *size_out = (guint64)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        guint64 bytes = 0;

        if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
            int saved = errno;

            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "ioctl BLKGETSIZE64: %s: %s", path, g_strerror(saved));
            close(fd);
            return -1;
        }
        *size_out = bytes;
    } else {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: not a regular file or block device", path);
        close(fd);
        return -1;
    }
    return fd;
}

gboolean
conv_fd_pread(int fd, const char *path, guint64 file_size, void *buf,
              gsize len, guint64 offset, const char *what, GError **error)
{
    guint8 *p = buf;
    gsize done = 0;

    if (offset > file_size || len > file_size - offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s at offset %" G_GUINT64_FORMAT " (%" G_GSIZE_FORMAT
                    " bytes) is past end of file (%" G_GUINT64_FORMAT " bytes)",
                    path, what, offset, len, file_size);
        return FALSE;
    }
    while (done < len) {
        ssize_t r = pread(fd, p + done, len - done, (off_t)(offset + done));

        if (r < 0) {
            int saved = errno;

            if (saved == EINTR)
                continue;
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "read: %s: %s at offset %" G_GUINT64_FORMAT ": %s",
                        path, what, offset + done, g_strerror(saved));
            return FALSE;
        }
        if (r == 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: %s at offset %" G_GUINT64_FORMAT
                        ": unexpected end of file", path, what,
                        offset + done);
            return FALSE;
        }
        done += (gsize)r;
    }
    return TRUE;
}

gboolean
conv_file_pread(ConvImage *img, void *buf, gsize len, guint64 offset,
                const char *what, GError **error)
{
    return conv_fd_pread(img->fd, img->path, img->file_size, buf, len, offset,
                         what, error);
}

gboolean
conv_file_block_status(ConvImage *img, guint64 off, guint64 len,
                       ConvExtents *out, GError **error)
{
    guint64 end = off + len;
    guint64 pos = off;

    while (pos < end) {
        off_t data = lseek(img->fd, (off_t)pos, SEEK_DATA);
        off_t hole;

        if (data == (off_t)-1) {
            if (errno == ENXIO) {       /* only a hole up to end of file */
                conv_extents_append(out, pos, end - pos, CONV_EXTENT_ZERO);
                return TRUE;
            }
            if (errno == EINVAL) {      /* no SEEK_DATA here: all data */
                conv_extents_append(out, pos, end - pos, CONV_EXTENT_DATA);
                return TRUE;
            }
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "lseek SEEK_DATA: %s: %s", img->path, g_strerror(errno));
            return FALSE;
        }
        if ((guint64)data > pos)
            conv_extents_append(out, pos, MIN((guint64)data, end) - pos,
                                CONV_EXTENT_ZERO);
        if ((guint64)data >= end)
            return TRUE;
        hole = lseek(img->fd, data, SEEK_HOLE);
        if (hole == (off_t)-1) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "lseek SEEK_HOLE: %s: %s", img->path, g_strerror(errno));
            return FALSE;
        }
        conv_extents_append(out, (guint64)data,
                            MIN((guint64)hole, end) - (guint64)data,
                            CONV_EXTENT_DATA);
        pos = MIN((guint64)hole, end);
    }
    return TRUE;
}

char *
conv_image_resolve_relative(const ConvImage *img, const char *name)
{
    g_autofree char *dir = NULL;

    if (g_path_is_absolute(name))
        return g_strdup(name);
    dir = g_path_get_dirname(img->path);
    return g_build_filename(dir, name, NULL);
}

char *
conv_windows_path_to_posix(const char *path, gboolean basename_only)
{
    g_autofree char *p = g_strdup(path);
    const char *c;

    g_strdelimit(p, "\\", '/');
    if (basename_only) {
        const char *slash = strrchr(p, '/');

        return g_strdup(slash ? slash + 1 : p);
    }
    c = p;
    while (g_str_has_prefix(c, "./"))
        c += 2;
    return g_strdup(c);
}

static void
conv_image_free_one(ConvImage *img)
{
    if (img->format && img->format->close)
        img->format->close(img);
    if (img->fd >= 0)
        close(img->fd);
    g_free(img->path);
    g_free(img->backing_name);
    g_free(img->backing_format);
    g_free(img->detail);
    g_free(img);
}

void
conv_image_free(ConvImage *img)
{
    /* Iterative, so a 64-deep chain costs no stack. */
    while (img) {
        ConvImage *next = img->backing;

        conv_image_free_one(img);
        img = next;
    }
}

/*
 * Opens one layer.  @strict: the declared format must agree with what the
 * header says, except where a format has no header at the start of the file
 * (fixed VHD keeps its only footer at the end, so it probes as raw, as in
 * qemu); that format's own open() then checks it.
 */
static ConvImage *
conv_image_open_one(const char *path, const char *format, gboolean strict,
                    GError **error)
{
    g_autoptr(ConvImage) img = g_new0(ConvImage, 1);
    guint8 head[CONV_PROBE_BYTES];
    gsize head_len;
    const struct ferry_format *probed;
    struct stat st;

    img->fd = -1;
    img->path = g_strdup(path);
    if (format && !conv_format_find(format)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: unknown image format '%s'", path, format);
        return NULL;
    }
    img->fd = conv_open_readonly(path, &img->file_size, error);
    if (img->fd < 0)
        return NULL;
    if (fstat(img->fd, &st) == 0) {
        img->dev = st.st_dev;
        img->ino = st.st_ino;
        img->is_block_device = S_ISBLK(st.st_mode);
    }

    head_len = (gsize)MIN((guint64)sizeof(head), img->file_size);
    memset(head, 0, sizeof(head));
    if (!conv_file_pread(img, head, head_len, 0, "header", error))
        return NULL;
    probed = conv_format_probe(head, head_len);
    img->probed_format = probed;

    if (!format) {
        img->format = probed;
    } else {
        img->format = conv_format_find(format);
        if (strict && probed != img->format && probed != &raw_format) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: declared format is %s but the file holds a %s image",
                        path, img->format->name, probed->name);
            return NULL;
        }
    }
    if (!img->format->open(img, error)) {
        /* open() failed: there is no priv for close() to free. */
        img->format = NULL;
        return NULL;
    }
    return g_steal_pointer(&img);
}

static ConvImage *
conv_image_open_chain(const char *path, const char *format, gboolean strict,
                      GError **error)
{
    g_autoptr(ConvImage) top = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                       g_free, NULL);
    ConvImage *layer;
    int depth = 0;

    top = conv_image_open_one(path, format, strict, error);
    if (!top)
        return NULL;
    /* Only the image the caller names may be probed. */
    top->format_source = format ? CONV_FORMAT_SOURCE_DECLARED :
                                  CONV_FORMAT_SOURCE_PROBED;
    layer = top;
    for (;;) {
        g_autofree char *key = g_strdup_printf("%ju:%ju", (uintmax_t)layer->dev,
                                               (uintmax_t)layer->ino);
        g_autofree char *backing_path = NULL;
        g_autoptr(GError) local = NULL;

        if (g_hash_table_contains(seen, key)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: backing chain loops back to %s", path, layer->path);
            return NULL;
        }
        g_hash_table_add(seen, g_steal_pointer(&key));
        if (!layer->backing_name)
            break;
        if (++depth > CONV_MAX_CHAIN_DEPTH) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                        "%s: backing chain is deeper than %d files",
                        path, CONV_MAX_CHAIN_DEPTH);
            return NULL;
        }
        backing_path = conv_image_resolve_relative(layer, layer->backing_name);
        /* The recorded backing format is honoured, as qemu does.  Without
         * one the layer is raw, never probed into another format: its bytes
         * are the guest's, and a guest that writes a qcow2 header whose
         * backing file is /etc/shadow into its raw base would otherwise
         * have the export carry that file.  If its first bytes do look
         * like another format, it is refused, as libvirt refuses it: read
         * as raw, an old qcow2 base made without -F would be exported as
         * garbage that still verifies. */
        layer->backing = conv_image_open_one(backing_path,
                                             layer->backing_format ?
                                             layer->backing_format : "raw",
                                             FALSE, &local);
        if (!layer->backing) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                       "%s: backing file: ", layer->path);
            return NULL;
        }
        layer->backing->format_source = layer->backing_format ?
                                        CONV_FORMAT_SOURCE_RECORDED :
                                        CONV_FORMAT_SOURCE_ASSUMED_RAW;
        if (!layer->backing_format &&
            layer->backing->probed_format != &raw_format) {
            const char *looks = layer->backing->probed_format->name;

            g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                        "%s: backing file '%s' has no recorded format and "
                        "looks like a %s image, which ferry does not probe "
                        "(a guest can write such a header into a raw disk); "
                        "if it is one, record it: qemu-img rebase -u -F %s "
                        "-b '%s' '%s'", layer->path, layer->backing_name,
                        looks, looks, layer->backing_name, layer->path);
            return NULL;
        }
        layer = layer->backing;
    }
    return g_steal_pointer(&top);
}

ConvImage *
conv_image_open(const char *path, const char *format, GError **error)
{
    return conv_image_open_chain(path, format, TRUE, error);
}

ConvImage *
conv_image_open_forced(const char *path, const char *format, GError **error)
{
    return conv_image_open_chain(path, format, FALSE, error);
}

const char *
conv_image_get_path(const ConvImage *img)
{
    return img->path;
}

const char *
conv_image_get_format(const ConvImage *img)
{
    return img->format->name;
}

ConvFormatSource
conv_image_get_format_source(const ConvImage *img)
{
    return img->format_source;
}

const char *
conv_format_source_to_string(ConvFormatSource source)
{
    switch (source) {
    case CONV_FORMAT_SOURCE_DECLARED:
        return "declared";
    case CONV_FORMAT_SOURCE_PROBED:
        return "probed";
    case CONV_FORMAT_SOURCE_RECORDED:
        return "recorded";
    case CONV_FORMAT_SOURCE_ASSUMED_RAW:
        return "assumed-raw";
    }
    g_assert_not_reached();
}

guint64
conv_image_get_size(const ConvImage *img)
{
    return img->size;
}

guint64
conv_image_get_file_size(const ConvImage *img)
{
    return img->file_size;
}

ConvImage *
conv_image_get_backing(const ConvImage *img)
{
    return img->backing;
}

const char *
conv_image_get_backing_name(const ConvImage *img)
{
    return img->backing_name;
}

const char *
conv_image_get_detail(const ConvImage *img)
{
    return img->detail;
}

static gboolean
conv_image_check_range(const ConvImage *img, guint64 offset, guint64 length,
                       GError **error)
{
    if (offset > img->size || length > img->size - offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: range %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
                    " is past the virtual size (%" G_GUINT64_FORMAT " bytes)",
                    img->path, offset, length, img->size);
        return FALSE;
    }
    return TRUE;
}

gboolean
conv_image_block_status(ConvImage *img, guint64 offset, guint64 length,
                        ConvExtents *out, GError **error)
{
    if (!conv_image_check_range(img, offset, length, error))
        return FALSE;
    if (length == 0)
        return TRUE;
    return img->format->block_status(img, offset, length, out, error);
}

/* Appends the chain's view of [offset, offset+length) of @img, where that
 * range may run past @img's own size (a shorter backing file). */
static gboolean
conv_chain_block_status_layer(ConvImage *img, guint64 offset, guint64 length,
                              ConvExtents *out, GError **error)
{
    g_autoptr(ConvExtents) layer = NULL;
    guint64 inside;
    guint i;

    if (offset >= img->size) {
        conv_extents_append(out, offset, length, CONV_EXTENT_ZERO);
        return TRUE;
    }
    inside = MIN(length, img->size - offset);
    layer = conv_extents_new();
    if (!img->format->block_status(img, offset, inside, layer, error))
        return FALSE;
    for (i = 0; i < conv_extents_count(layer); i++) {
        const ConvExtent *e = conv_extents_get(layer, i);

        if (e->kind != CONV_EXTENT_UNALLOCATED) {
            conv_extents_append(out, e->start, e->length, e->kind);
        } else if (img->backing) {
            if (!conv_chain_block_status_layer(img->backing, e->start, e->length,
                                               out, error))
                return FALSE;
        } else {
            conv_extents_append(out, e->start, e->length, CONV_EXTENT_ZERO);
        }
    }
    if (inside < length)
        conv_extents_append(out, offset + inside, length - inside,
                            CONV_EXTENT_ZERO);
    return TRUE;
}

gboolean
conv_image_chain_block_status(ConvImage *img, guint64 offset, guint64 length,
                              ConvExtents *out, GError **error)
{
    if (!conv_image_check_range(img, offset, length, error))
        return FALSE;
    if (length == 0)
        return TRUE;
    return conv_chain_block_status_layer(img, offset, length, out, error);
}

/* Reads guest bytes of @img, which may lie past its size (zeros there). */
static gboolean
conv_chain_pread_layer(ConvImage *img, guint8 *buf, gsize len, guint64 offset,
                       GError **error)
{
    g_autoptr(ConvExtents) layer = NULL;
    gsize inside;
    guint i;

    if (offset >= img->size) {
        memset(buf, 0, len);
        return TRUE;
    }
    inside = (gsize)MIN((guint64)len, img->size - offset);
    if (inside < len)
        memset(buf + inside, 0, len - inside);

    /* A layer alone reads its unallocated ranges as zeros, so only a layer
     * with a backing file needs to split the read. */
    if (!img->backing)
        return img->format->pread(img, buf, inside, offset, error);

    layer = conv_extents_new();
    if (!img->format->block_status(img, offset, inside, layer, error))
        return FALSE;
    for (i = 0; i < conv_extents_count(layer); i++) {
        const ConvExtent *e = conv_extents_get(layer, i);
        guint8 *dst = buf + (e->start - offset);
        gboolean ok = TRUE;

        switch (e->kind) {
        case CONV_EXTENT_DATA:
            ok = img->format->pread(img, dst, e->length, e->start, error);
            break;
        case CONV_EXTENT_ZERO:
            memset(dst, 0, e->length);
            break;
        case CONV_EXTENT_UNALLOCATED:
            ok = conv_chain_pread_layer(img->backing, dst, e->length, e->start,
                                        error);
            break;
        }
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

gboolean
conv_image_pread(ConvImage *img, void *buf, gsize len, guint64 offset,
                 GError **error)
{
    if (!conv_image_check_range(img, offset, len, error))
        return FALSE;
    if (len == 0)
        return TRUE;
    return conv_chain_pread_layer(img, buf, len, offset, error);
}
