/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * raw.c: raw images, regular files and block devices.
 *
 * The whole file is the disk.  Allocation comes from SEEK_DATA/SEEK_HOLE
 * (as nbdkit's file plugin does): holes read as zeros and are reported as
 * ZERO, never UNALLOCATED, because a raw file has no backing file.  Block
 * devices and filesystems without SEEK_DATA report everything as data.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conv/conv-priv.h"

typedef struct {
    gboolean seek_data_works;     /* immutable after open */
} RawPriv;

static gboolean
raw_open(ConvImage *img, GError **error)
{
    RawPriv *priv = g_new0(RawPriv, 1);

    img->size = img->file_size;
    /* ENXIO means "no data at or after 0": SEEK_DATA works, the file is a
     * hole; EINVAL means the filesystem does not know SEEK_DATA. */
    if (!img->is_block_device) {
        if (lseek(img->fd, 0, SEEK_DATA) != (off_t)-1 || errno == ENXIO)
            priv->seek_data_works = TRUE;
    }
    img->priv = priv;
    return TRUE;
}

static void
raw_close(ConvImage *img)
{
    g_free(img->priv);
}

static gboolean
raw_block_status(ConvImage *img, guint64 off, guint64 len, ConvExtents *out,
                 GError **error)
{
    RawPriv *priv = img->priv;
    guint64 end = off + len;
    guint64 pos = off;

    if (!priv->seek_data_works) {
        conv_extents_append(out, off, len, CONV_EXTENT_DATA);
        return TRUE;
    }
    while (pos < end) {
        off_t data = lseek(img->fd, (off_t)pos, SEEK_DATA);
        off_t hole;

        if (data == (off_t)-1) {
            if (errno == ENXIO) {       /* only a hole up to end of file */
                conv_extents_append(out, pos, end - pos, CONV_EXTENT_ZERO);
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

static gboolean
raw_pread(ConvImage *img, void *buf, gsize len, guint64 off, GError **error)
{
    return conv_file_pread(img, buf, len, off, "data", error);
}

const struct ferry_format raw_format = {
    .name = "raw",
    .probe = NULL,
    .open = raw_open,
    .block_status = raw_block_status,
    .pread = raw_pread,
    .close = raw_close,
};
