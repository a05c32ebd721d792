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

    if (!priv->seek_data_works) {
        conv_extents_append(out, off, len, CONV_EXTENT_DATA);
        return TRUE;
    }
    return conv_file_block_status(img, off, len, out, error);
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
