/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-raw.c: the raw reader, probing fallback and opening errors. */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "conv/conv.h"

typedef struct {
    char *dir;
    char *path;
} RawFixture;

static void
raw_fixture_setup(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    guint8 block[4096];
    int fd;

    fx->dir = g_dir_make_tmp("ferry-test-raw-XXXXXX", &error);
    g_assert_no_error(error);
    fx->path = g_build_filename(fx->dir, "disk.img", NULL);
    fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(fd, >=, 0);
    memset(block, 0xab, sizeof(block));
    /* 1 MiB file: data at 0 and at 512 KiB, holes elsewhere. */
    g_assert_cmpint(pwrite(fd, block, sizeof(block), 0), ==, sizeof(block));
    g_assert_cmpint(pwrite(fd, block, sizeof(block), 512 * 1024), ==, sizeof(block));
    g_assert_cmpint(ftruncate(fd, 1024 * 1024), ==, 0);
    close(fd);
}

static void
raw_fixture_teardown(RawFixture *fx, gconstpointer data)
{
    g_unlink(fx->path);
    g_rmdir(fx->dir);
    g_free(fx->path);
    g_free(fx->dir);
}

static void
test_raw_open_size_and_format(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->path, NULL, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_format(img), ==, "raw");
    g_assert_cmpuint(conv_image_get_size(img), ==, 1024 * 1024);
    g_assert_null(conv_image_get_backing(img));
}

static void
test_raw_block_status_sees_holes(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->path, "raw", &error);
    g_autoptr(ConvExtents) ext = conv_extents_new();
    guint64 data_bytes = 0;
    guint i;

    g_assert_no_error(error);
    g_assert_true(conv_image_chain_block_status(img, 0, 1024 * 1024, ext, &error));
    g_assert_no_error(error);
    for (i = 0; i < conv_extents_count(ext); i++) {
        const ConvExtent *e = conv_extents_get(ext, i);

        g_assert_cmpint(e->kind, !=, CONV_EXTENT_UNALLOCATED);
        if (e->kind == CONV_EXTENT_DATA)
            data_bytes += e->length;
    }
    /* Filesystems allocate in blocks of at least 4 KiB but never the whole
     * file for two 4 KiB writes. */
    g_assert_cmpuint(data_bytes, >=, 8192);
    g_assert_cmpuint(data_bytes, <, 1024 * 1024);
    g_assert_cmpuint(conv_extents_get(ext, 0)->kind, ==, CONV_EXTENT_DATA);
}

static void
test_raw_pread_reads_bytes_and_zeros(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->path, NULL, &error);
    guint8 buf[8192];

    g_assert_no_error(error);
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), 0, &error));
    g_assert_cmpuint(buf[0], ==, 0xab);
    g_assert_cmpuint(buf[4095], ==, 0xab);
    g_assert_cmpuint(buf[4096], ==, 0);
}

static void
test_raw_pread_past_end_is_refused(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->path, NULL, &error);
    guint8 buf[16];

    g_assert_false(conv_image_pread(img, buf, sizeof(buf), 1024 * 1024 - 8, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "virtual size"));
}

static void
test_raw_missing_file_names_path(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *missing = g_build_filename(fx->dir, "nope.img", NULL);
    g_autoptr(ConvImage) img = conv_image_open(missing, NULL, &error);

    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "nope.img"));
}

static void
test_raw_unknown_format_is_refused(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->path, "qed", &error);

    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "'qed'"));
}

static void
test_raw_declared_raw_but_qcow2_header(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    const guint8 magic[] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
    int fd = open(fx->path, O_WRONLY);

    g_assert_cmpint(pwrite(fd, magic, sizeof(magic), 0), ==, sizeof(magic));
    close(fd);
    img = conv_image_open(fx->path, "raw", &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "declared format is raw"));
}

static void
test_raw_fifo_is_refused_without_hanging(RawFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *fifo = g_build_filename(fx->dir, "pipe", NULL);
    g_autoptr(ConvImage) img = NULL;

    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    img = conv_image_open(fifo, NULL, &error);
    g_unlink(fifo);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "not a regular file or block device"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define RAW_TEST(path, fn) \
    g_test_add(path, RawFixture, NULL, raw_fixture_setup, fn, raw_fixture_teardown)
    RAW_TEST("/conv/raw/open/size-and-format", test_raw_open_size_and_format);
    RAW_TEST("/conv/raw/block-status/sees-holes", test_raw_block_status_sees_holes);
    RAW_TEST("/conv/raw/pread/bytes-and-zeros", test_raw_pread_reads_bytes_and_zeros);
    RAW_TEST("/conv/raw/pread/past-end-refused", test_raw_pread_past_end_is_refused);
    RAW_TEST("/conv/raw/open/missing-file-names-path", test_raw_missing_file_names_path);
    RAW_TEST("/conv/raw/open/unknown-format", test_raw_unknown_format_is_refused);
    RAW_TEST("/conv/raw/open/fifo-refused-without-hanging",
             test_raw_fifo_is_refused_without_hanging);
    RAW_TEST("/conv/raw/open/declared-raw-holds-qcow2", test_raw_declared_raw_but_qcow2_header);
    return g_test_run();
}
