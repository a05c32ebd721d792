/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-vpc-common.h: the body of fuzz-vpc.c and fuzz-vhdx.c, which differ
 * only in FUZZ_FORMAT.  The input format is described in fuzz-vpc.c.
 */
#include <config.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "conv/conv.h"

#define FUZZ_MAX_FILE (16u << 20)
#define FUZZ_SCAN_BYTES (8u << 20)     /* block status at each end */
#define FUZZ_READ_BYTES (64u << 10)

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static char *fuzz_image_path;

static void
fuzz_remove_tmp(void)
{
    g_autofree char *dir = g_path_get_dirname(fuzz_image_path);

    g_unlink(fuzz_image_path);
    g_rmdir(dir);
}

static const char *
fuzz_path(void)
{
    char *path = fuzz_image_path;

    if (!path) {
        g_autofree char *dir = g_dir_make_tmp("ferry-fuzz-" FUZZ_FORMAT "-XXXXXX",
                                              NULL);

        g_assert(dir);
        path = fuzz_image_path = g_build_filename(dir, "image", NULL);
        atexit(fuzz_remove_tmp);
    }
    return path;
}

static gboolean
fuzz_write_file(const char *path, const guint8 *data, size_t size)
{
    guint64 file_size;
    size_t pos = 2;
    int fd;

    if (size < 2)
        return FALSE;
    file_size = MIN((guint64)(data[0] | data[1] << 8) * 65536, FUZZ_MAX_FILE);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)file_size) < 0)
        abort();
    while (pos + 6 <= size) {
        guint64 off = (guint64)(data[pos] | data[pos + 1] << 8 |
                                data[pos + 2] << 16 |
                                (guint32)data[pos + 3] << 24) * 512;
        size_t len = (size_t)(data[pos + 4] | data[pos + 5] << 8);

        pos += 6;
        len = MIN(len, size - pos);
        if (off < file_size) {
            size_t n = (size_t)MIN((guint64)len, file_size - off);

            if (pwrite(fd, data + pos, n, (off_t)off) != (ssize_t)n)
                abort();
        }
        pos += len;
    }
    close(fd);
    return TRUE;
}

static void
fuzz_scan(ConvImage *img, guint64 off, guint64 len)
{
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *buf = g_malloc(FUZZ_READ_BYTES);
    guint i;

    if (!conv_image_chain_block_status(img, off, len, ext, &error))
        return;
    for (i = 0; i < conv_extents_count(ext) && i < 16; i++) {
        const ConvExtent *e = conv_extents_get(ext, i);
        gsize n = (gsize)MIN(e->length, (guint64)FUZZ_READ_BYTES);

        g_clear_error(&error);
        conv_image_pread(img, buf, n, e->start, &error);
    }
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    const char *path = fuzz_path();
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    guint64 vsize;

    if (!fuzz_write_file(path, data, size))
        return 0;
    img = conv_image_open_forced(path, FUZZ_FORMAT, &error);
    if (!img) {
        /* Every failure is a FERRY_ERROR with a message. */
        g_assert(error && error->domain == FERRY_ERROR && error->message[0]);
        return 0;
    }
    vsize = conv_image_get_size(img);
    fuzz_scan(img, 0, MIN(vsize, (guint64)FUZZ_SCAN_BYTES));
    if (vsize > FUZZ_SCAN_BYTES)
        fuzz_scan(img, vsize - FUZZ_SCAN_BYTES, FUZZ_SCAN_BYTES);
    return 0;
}
