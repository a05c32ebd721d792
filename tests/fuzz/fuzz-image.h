/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-image.h: the libFuzzer harness every image-format target shares.
 * A target defines FUZZ_FORMAT ("qcow2") and includes this file.
 *
 * Each input is written to "input.<format>" in a private directory (so
 * relative backing, data-file and extent names find only the input itself)
 * and opened with the format declared; then the chain's block status is
 * read over the first and last 64 MiB, up to four data extents are read,
 * and one unaligned read is made.  Every failure must be a FERRY_ERROR with
 * a message: anything else aborts, so the fuzzer reports it.
 */
#pragma once

#ifndef FUZZ_FORMAT
# error "define FUZZ_FORMAT before including fuzz-image.h"
#endif

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "conv/conv.h"

#define FUZZ_SPAN (64u * 1024 * 1024)
#define FUZZ_READ (64u * 1024)

static char *fuzz_path;
static int fuzz_fd = -1;

static void
fuzz_remove_tmp(void)
{
    g_autofree char *dir = g_path_get_dirname(fuzz_path);

    g_unlink(fuzz_path);
    g_rmdir(dir);
}

/* Every failure is a FERRY_ERROR with a message. */
static void
fuzz_check_error(gboolean ok, GError *error)
{
    if (!ok && !(error && error->domain == FERRY_ERROR && error->message[0]))
        abort();
}

static void
fuzz_setup(void)
{
    const char *base = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm"
                                                                   : g_get_tmp_dir();
    g_autofree char *tmpl = g_build_filename(base, "ferry-fuzz-" FUZZ_FORMAT "-XXXXXX", NULL);
    char *dir = g_mkdtemp(g_steal_pointer(&tmpl));

    if (!dir)
        abort();
    fuzz_path = g_build_filename(dir, "input." FUZZ_FORMAT, NULL);
    fuzz_fd = open(fuzz_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fuzz_fd < 0)
        abort();
    atexit(fuzz_remove_tmp);
    g_free(dir);
}

static void
fuzz_range(ConvImage *img, guint64 off, guint64 len, guint8 *buf)
{
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autoptr(GError) error = NULL;
    guint i, reads = 0;
    gboolean ok;

    ok = conv_image_chain_block_status(img, off, len, ext, &error);
    fuzz_check_error(ok, error);
    if (!ok)
        return;
    for (i = 0; i < conv_extents_count(ext) && reads < 4; i++) {
        const ConvExtent *e = conv_extents_get(ext, i);

        if (e->kind != CONV_EXTENT_DATA)
            continue;
        g_clear_error(&error);
        ok = conv_image_pread(img, buf, (gsize)MIN(e->length, (guint64)FUZZ_READ),
                              e->start, &error);
        fuzz_check_error(ok, error);
        reads++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static guint8 buf[FUZZ_READ];
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(GError) error = NULL;
    guint64 vsize;

    if (fuzz_fd < 0)
        fuzz_setup();
    if (ftruncate(fuzz_fd, 0) < 0 || (size && pwrite(fuzz_fd, data, size, 0) != (ssize_t)size))
        abort();

    img = conv_image_open(fuzz_path, FUZZ_FORMAT, &error);
    fuzz_check_error(img != NULL, error);
    if (!img)
        return 0;
    vsize = conv_image_get_size(img);
    (void)conv_image_get_detail(img);
    fuzz_range(img, 0, MIN(vsize, (guint64)FUZZ_SPAN), buf);
    if (vsize > FUZZ_SPAN)
        fuzz_range(img, vsize - FUZZ_SPAN, FUZZ_SPAN, buf);
    /* An unaligned read across cluster, grain and extent edges. */
    if (vsize > 3) {
        g_clear_error(&error);
        fuzz_check_error(conv_image_pread(img, buf, (gsize)MIN(vsize - 3, (guint64)FUZZ_READ),
                                          3, &error), error);
    }
    return 0;
}
