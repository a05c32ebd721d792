/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-qcow2-cluster.c: the qcow2 cluster mapping on images crafted in
 * memory, one case per fault in the L1/L2 tables or a compressed stream,
 * plus the L2 cache under eviction and under several threads.
 *
 * Layout of a crafted image: cluster 0 header, 1 refcount table, 2 L1
 * table, 3.. L2 tables and data as each case places them.
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <glib/gstdio.h>

#include "conv/qcow2-priv.h"

typedef struct {
    guint version;
    guint cb;
    guint64 cs;
    guint8 *buf;
    gsize len;                     /* file size */
    char *dir;
    char *path;
} Img;

static void
put_be32(guint8 *p, guint32 v)
{
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void
put_be64(guint8 *p, guint64 v)
{
    put_be32(p, (guint32)(v >> 32));
    put_be32(p + 4, (guint32)v);
}

static void
img_init(Img *im, guint version, guint cb, guint64 size, guint32 l1_size,
         guint n_clusters, guint64 incompat)
{
    memset(im, 0, sizeof(*im));
    im->version = version;
    im->cb = cb;
    im->cs = G_GUINT64_CONSTANT(1) << cb;
    im->len = n_clusters * im->cs;
    im->buf = g_malloc0(im->len);
    memcpy(im->buf, "QFI\xfb", 4);
    put_be32(im->buf + 4, version);
    put_be32(im->buf + 20, cb);
    put_be64(im->buf + 24, size);
    put_be32(im->buf + 36, l1_size);
    put_be64(im->buf + 40, 2 * im->cs);
    put_be64(im->buf + 48, im->cs);
    put_be32(im->buf + 56, 1);
    if (version == 3) {
        put_be64(im->buf + 72, incompat);
        put_be32(im->buf + 96, 4);
        put_be32(im->buf + 100, 112);
    }
}

static void
img_clear(Img *im)
{
    if (im->path)
        g_unlink(im->path);
    if (im->dir)
        g_rmdir(im->dir);
    g_free(im->path);
    g_free(im->dir);
    g_free(im->buf);
}

static void
img_set_l1(Img *im, guint idx, guint64 l2_offset)
{
    put_be64(im->buf + 2 * im->cs + idx * 8, l2_offset | QCOW2_OFLAG_COPIED);
}

static void
img_set_l2(Img *im, guint64 l2_offset, guint idx, guint64 entry)
{
    put_be64(im->buf + l2_offset + idx * 8, entry);
}

static void
img_set_l2_ext(Img *im, guint64 l2_offset, guint idx, guint64 entry,
               guint64 bitmap)
{
    put_be64(im->buf + l2_offset + idx * 16, entry);
    put_be64(im->buf + l2_offset + idx * 16 + 8, bitmap);
}

static ConvImage *
img_open(Img *im, GError **error)
{
    int fd;

    im->dir = g_dir_make_tmp("ferry-test-qcow2-XXXXXX", NULL);
    g_assert_nonnull(im->dir);
    im->path = g_build_filename(im->dir, "t.qcow2", NULL);
    fd = open(im->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, im->buf, im->len), ==, (gssize)im->len);
    close(fd);
    return conv_image_open(im->path, NULL, error);
}

static void
assert_message_has(const GError *error, const char *a, const char *b)
{
    if (!strstr(error->message, a) || (b && !strstr(error->message, b)))
        g_error("expected '%s' and '%s' in: %s", a, b ? b : "", error->message);
}

/* A 1 MiB image of 64 KiB clusters with one L2 table at cluster 3. */
#define CB 16
#define CS (G_GUINT64_CONSTANT(1) << CB)

static void
simple_image(Img *im, guint version, guint64 incompat)
{
    img_init(im, version, CB, 1024 * 1024, 1, 8, incompat);
    img_set_l1(im, 0, 3 * CS);
}

static void
test_standard_cluster_reads_data(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    guint8 buf[100];
    Img im;

    simple_image(&im, 3, 0);
    img_set_l2(&im, 3 * CS, 1, 4 * CS | QCOW2_OFLAG_COPIED);
    memset(im.buf + 4 * CS, 0x5a, CS);
    img = img_open(&im, &error);
    g_assert_no_error(error);
    g_assert_true(conv_image_block_status(img, 0, 1024 * 1024, ext, &error));
    g_assert_cmpuint(conv_extents_count(ext), ==, 3);
    g_assert_cmpuint(conv_extents_get(ext, 1)->start, ==, CS);
    g_assert_cmpuint(conv_extents_get(ext, 1)->length, ==, CS);
    g_assert_cmpint(conv_extents_get(ext, 1)->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpint(conv_extents_get(ext, 2)->kind, ==, CONV_EXTENT_UNALLOCATED);
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), 2 * CS - 50, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(buf[0], ==, 0x5a);
    g_assert_cmpuint(buf[49], ==, 0x5a);
    g_assert_cmpuint(buf[50], ==, 0);
    img_clear(&im);
}

static void
test_l1_entry_unaligned(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    Img im;

    simple_image(&im, 3, 0);
    img_set_l1(&im, 0, 3 * CS + 512);
    img = img_open(&im, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    assert_message_has(error, "L1 entry 0", "0x30200 is not aligned");
    img_clear(&im);
}

static void
test_l1_entry_past_eof(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    Img im;

    simple_image(&im, 3, 0);
    img_set_l1(&im, 0, 100 * CS);
    img = img_open(&im, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    assert_message_has(error, "L1 entry 0", "past end of file");
    img_clear(&im);
}

static void
test_l1_entry_overlaps_l1(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    Img im;

    simple_image(&im, 3, 0);
    img_set_l1(&im, 0, 2 * CS);
    img = img_open(&im, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    assert_message_has(error, "L1 entry 0", "overlaps the L1 table");
    img_clear(&im);
}

static void
expect_read_error(Img *im, guint64 off, const char *a, const char *b)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = img_open(im, &error);
    guint8 buf[64];

    g_assert_no_error(error);
    g_assert_false(conv_image_pread(img, buf, sizeof(buf), off, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    assert_message_has(error, a, b);
    g_assert_true(g_str_has_prefix(error->message, im->path));
}

static void
expect_status_error(Img *im, const char *a, const char *b)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = img_open(im, &error);
    g_autoptr(ConvExtents) ext = conv_extents_new();

    g_assert_no_error(error);
    g_assert_false(conv_image_block_status(img, 0, conv_image_get_size(img),
                                           ext, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    assert_message_has(error, a, b);
}

static void
test_l2_entry_past_eof(void)
{
    Img im;

    simple_image(&im, 3, 0);
    img_set_l2(&im, 3 * CS, 2, 64 * CS | QCOW2_OFLAG_COPIED);
    expect_status_error(&im, "guest offset 131072", "0x400000 is past end of file");
    img_clear(&im);
}

static void
test_l2_entry_unaligned(void)
{
    Img im;

    simple_image(&im, 3, 0);
    img_set_l2(&im, 3 * CS, 2, (4 * CS + 4096) | QCOW2_OFLAG_COPIED);
    expect_read_error(&im, 2 * CS, "guest offset 131072", "not aligned");
    img_clear(&im);
}

static void
test_last_cluster_cut_short_reads_zeros(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    guint8 buf[200];
    Img im;

    simple_image(&im, 3, 0);
    img_set_l2(&im, 3 * CS, 0, 4 * CS | QCOW2_OFLAG_COPIED);
    memset(im.buf + 4 * CS, 0x77, 100);
    im.len = 4 * CS + 100;
    img = img_open(&im, &error);
    g_assert_no_error(error);
    memset(buf, 0xff, sizeof(buf));
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), 0, &error));
    g_assert_cmpuint(buf[99], ==, 0x77);
    g_assert_cmpuint(buf[100], ==, 0);
    g_assert_cmpuint(buf[199], ==, 0);
    img_clear(&im);
}

static void
test_zero_flag_v2_corrupt(void)
{
    Img im;

    simple_image(&im, 2, 0);
    img_set_l2(&im, 3 * CS, 3, QCOW2_OFLAG_ZERO);
    expect_status_error(&im, "guest offset 196608", "version 2");
    img_clear(&im);
}

static void
test_zero_flag_v3_reads_zero(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    guint8 buf[16];
    Img im;

    simple_image(&im, 3, 0);
    /* A preallocated host cluster full of junk, flagged zero. */
    img_set_l2(&im, 3 * CS, 0, 4 * CS | QCOW2_OFLAG_COPIED | QCOW2_OFLAG_ZERO);
    memset(im.buf + 4 * CS, 0x99, CS);
    img = img_open(&im, &error);
    g_assert_no_error(error);
    g_assert_true(conv_image_block_status(img, 0, CS, ext, &error));
    g_assert_cmpint(conv_extents_get(ext, 0)->kind, ==, CONV_EXTENT_ZERO);
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), 0, &error));
    g_assert_cmpuint(buf[0], ==, 0);
    img_clear(&im);
}

/* A compressed descriptor for @len bytes at @offset (64 KiB clusters). */
static guint64
compressed_entry(guint64 offset, guint64 len)
{
    guint shift = 62 - (CB - 8);
    guint64 sectors = (offset + len - 1) / 512 - offset / 512;

    return QCOW2_OFLAG_COMPRESSED | sectors << shift | offset;
}

static gsize
deflate_raw(const guint8 *in, gsize in_len, guint8 *out, gsize out_len)
{
    z_stream s;

    memset(&s, 0, sizeof(s));
    g_assert_cmpint(deflateInit2(&s, 6, Z_DEFLATED, -12, 9,
                                 Z_DEFAULT_STRATEGY), ==, Z_OK);
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)in_len;
    s.next_out = out;
    s.avail_out = (uInt)out_len;
    g_assert_cmpint(deflate(&s, Z_FINISH), ==, Z_STREAM_END);
    deflateEnd(&s);
    return out_len - s.avail_out;
}

static void
test_compressed_zlib_reads(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autofree guint8 *plain = g_malloc(CS);
    g_autofree guint8 *got = g_malloc(CS);
    gsize n, i;
    Img im;

    for (i = 0; i < CS; i++)
        plain[i] = (guint8)(i * 7 / 300);
    simple_image(&im, 3, 0);
    /* Unaligned, as qemu packs them. */
    n = deflate_raw(plain, CS, im.buf + 4 * CS + 100, CS);
    img_set_l2(&im, 3 * CS, 1, compressed_entry(4 * CS + 100, n));
    img = img_open(&im, &error);
    g_assert_no_error(error);
    /* In two pieces: the second comes from the decompressed cluster kept. */
    g_assert_true(conv_image_pread(img, got, 1000, CS, &error));
    g_assert_true(conv_image_pread(img, got + 1000, CS - 1000, CS + 1000, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(got, CS, plain, CS);
    img_clear(&im);
}

/* A whole cluster is inflated straight into the caller's buffer (libdeflate)
 * and not kept: a piece of the same cluster read after it must inflate it
 * again, not copy from a stale cache. */
static void
test_compressed_whole_cluster_reads(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autofree guint8 *plain = g_malloc(2 * CS);
    g_autofree guint8 *got = g_malloc(2 * CS);
    gsize n1, n2, i;
    Img im;

    for (i = 0; i < 2 * CS; i++)
        plain[i] = (guint8)(i * 13 / 700 + i / CS);
    simple_image(&im, 3, 0);
    n1 = deflate_raw(plain, CS, im.buf + 4 * CS + 100, CS);
    n2 = deflate_raw(plain + CS, CS, im.buf + 4 * CS + 100 + n1, CS);
    img_set_l2(&im, 3 * CS, 1, compressed_entry(4 * CS + 100, n1));
    img_set_l2(&im, 3 * CS, 2, compressed_entry(4 * CS + 100 + n1, n2));
    img = img_open(&im, &error);
    g_assert_no_error(error);
    /* A piece of the first cluster (kept), then both whole, then a piece
     * of the first again. */
    g_assert_true(conv_image_pread(img, got, 10, CS, &error));
    g_assert_true(conv_image_pread(img, got, 2 * CS, CS, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(got, 2 * CS, plain, 2 * CS);
    memset(got, 0, 2 * CS);
    g_assert_true(conv_image_pread(img, got, 100, 2 * CS + 5, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(got, 100, plain + CS + 5, 100);
    img_clear(&im);
}

/* qemu's rule: a stream may be cut where the cluster is full.  One that
 * goes on past the cluster is not what libdeflate takes, and zlib reads
 * the cluster's worth of it, as before. */
static void
test_compressed_stream_longer_than_cluster(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autofree guint8 *plain = g_malloc(CS + 5000);
    g_autofree guint8 *got = g_malloc(CS);
    gsize n, i;
    Img im;

    for (i = 0; i < CS + 5000; i++)
        plain[i] = (guint8)(i * 5 / 300);
    simple_image(&im, 3, 0);
    n = deflate_raw(plain, CS + 5000, im.buf + 4 * CS, CS);
    img_set_l2(&im, 3 * CS, 1, compressed_entry(4 * CS, n));
    img = img_open(&im, &error);
    g_assert_no_error(error);
    g_assert_true(conv_image_pread(img, got, CS, CS, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(got, CS, plain, CS);
    img_clear(&im);
}

static void
test_compressed_stream_corrupt(void)
{
    Img im;

    simple_image(&im, 3, 0);
    memset(im.buf + 4 * CS, 0xff, 2048);
    img_set_l2(&im, 3 * CS, 2, compressed_entry(4 * CS, 2048));
    expect_read_error(&im, 2 * CS + 10, "compressed cluster at guest offset 131072",
                      "zlib stream is corrupt");
    img_clear(&im);
}

static void
test_compressed_stream_short(void)
{
    guint8 plain[1000];
    gsize n;
    Img im;

    memset(plain, 0x42, sizeof(plain));
    simple_image(&im, 3, 0);
    n = deflate_raw(plain, sizeof(plain), im.buf + 4 * CS, CS);
    img_set_l2(&im, 3 * CS, 2, compressed_entry(4 * CS, n));
    expect_read_error(&im, 2 * CS, "guest offset 131072", "stream is corrupt");
    img_clear(&im);
}

static void
test_compressed_zstd_corrupt(void)
{
    Img im;

    simple_image(&im, 3, QCOW2_INCOMPAT_COMPRESSION);
    im.buf[104] = QCOW2_COMPRESSION_ZSTD;
    /* A zstd magic followed by garbage. */
    memcpy(im.buf + 4 * CS, "\x28\xb5\x2f\xfd\xff\xff\xff\xff", 8);
    img_set_l2(&im, 3 * CS, 0, compressed_entry(4 * CS, 1024));
    expect_read_error(&im, 0, "guest offset 0", "zstd stream is corrupt");
    img_clear(&im);
}

/* One zstd context serves every cluster a handle reads: a cluster whose
 * frame runs past the cluster (cut where it is full) and a corrupt one
 * must not leave it mid-frame for the next. */
static void
test_compressed_zstd_context_reused(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autofree guint8 *plain = g_malloc(CS + 5000);
    g_autofree guint8 *got = g_malloc(CS);
    gsize bound = ZSTD_compressBound(CS + 5000);
    g_autofree guint8 *z = g_malloc(bound);
    gsize n1, n2, i;
    Img im;

    for (i = 0; i < CS + 5000; i++)
        plain[i] = (guint8)(i * 11 / 500);
    simple_image(&im, 3, QCOW2_INCOMPAT_COMPRESSION);
    im.buf[104] = QCOW2_COMPRESSION_ZSTD;
    /* Cluster 0: a frame of CS + 5000 bytes; cluster 1: garbage after a
     * zstd magic; cluster 2: the second half of plain, whole. */
    n1 = ZSTD_compress(z, bound, plain, CS + 5000, 3);
    g_assert_false(ZSTD_isError(n1));
    g_assert_cmpuint(n1, <, CS / 2);
    memcpy(im.buf + 4 * CS, z, n1);
    img_set_l2(&im, 3 * CS, 0, compressed_entry(4 * CS, n1));
    memcpy(im.buf + 4 * CS + CS / 2, "\x28\xb5\x2f\xfd\xff\xff\xff\xff", 8);
    img_set_l2(&im, 3 * CS, 1, compressed_entry(4 * CS + CS / 2, 1024));
    n2 = ZSTD_compress(z, bound, plain + 5000, CS, 3);
    g_assert_false(ZSTD_isError(n2));
    memcpy(im.buf + 5 * CS, z, n2);
    img_set_l2(&im, 3 * CS, 2, compressed_entry(5 * CS, n2));
    img = img_open(&im, &error);
    g_assert_no_error(error);
    g_assert_true(conv_image_pread(img, got, CS, 0, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(got, CS, plain, CS);
    g_assert_false(conv_image_pread(img, got, CS, CS, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_clear_error(&error);
    g_assert_true(conv_image_pread(img, got, CS, 2 * CS, &error));
    g_assert_no_error(error);
    g_assert_cmpmem(got, CS, plain + 5000, CS);
    img_clear(&im);
}

static void
test_compressed_offset_past_eof(void)
{
    Img im;

    simple_image(&im, 3, 0);
    img_set_l2(&im, 3 * CS, 2, compressed_entry(40 * CS + 3, 100));
    expect_read_error(&im, 2 * CS, "compressed cluster at guest offset 131072",
                      "past end of file");
    img_clear(&im);
}

static void
test_subcluster_alloc_and_zero(void)
{
    Img im;

    simple_image(&im, 3, QCOW2_INCOMPAT_EXTENDED_L2);
    img_set_l2_ext(&im, 3 * CS, 1, 4 * CS | QCOW2_OFLAG_COPIED,
                   G_GUINT64_CONSTANT(0x0000000400000006));
    expect_status_error(&im, "guest offset 65536", "subcluster 2 is both");
    img_clear(&im);
}

static void
test_subcluster_alloc_without_host(void)
{
    Img im;

    simple_image(&im, 3, QCOW2_INCOMPAT_EXTENDED_L2);
    img_set_l2_ext(&im, 3 * CS, 1, 0, 1);
    expect_status_error(&im, "guest offset 65536", "without a host offset");
    img_clear(&im);
}

static void
test_subclusters_mixed(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    const guint64 sc = CS / 32;
    guint8 buf[8];
    Img im;

    simple_image(&im, 3, QCOW2_INCOMPAT_EXTENDED_L2);
    /* Subclusters 0-1 data, 2 zero, 3 unallocated, 4 data, rest unallocated. */
    img_set_l2_ext(&im, 3 * CS, 0, 4 * CS | QCOW2_OFLAG_COPIED,
                   G_GUINT64_CONSTANT(0x0000000400000013));
    memset(im.buf + 4 * CS, 0x31, CS);
    img = img_open(&im, &error);
    g_assert_no_error(error);
    g_assert_true(conv_image_block_status(img, 0, CS, ext, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(conv_extents_count(ext), ==, 5);
    g_assert_cmpuint(conv_extents_get(ext, 0)->length, ==, 2 * sc);
    g_assert_cmpint(conv_extents_get(ext, 1)->kind, ==, CONV_EXTENT_ZERO);
    g_assert_cmpint(conv_extents_get(ext, 2)->kind, ==, CONV_EXTENT_UNALLOCATED);
    g_assert_cmpint(conv_extents_get(ext, 3)->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(conv_extents_get(ext, 3)->start, ==, 4 * sc);
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), 4 * sc - 4, &error));
    g_assert_cmpuint(buf[3], ==, 0);
    g_assert_cmpuint(buf[4], ==, 0x31);
    img_clear(&im);
}

static void
data_file_image(Img *im)
{
    simple_image(im, 3, QCOW2_INCOMPAT_DATA_FILE);
    put_be32(im->buf + 112, QCOW2_EXT_DATA_FILE);
    put_be32(im->buf + 116, 6);
    memcpy(im->buf + 120, "t.data", 6);
    /* Guest cluster 1 is host cluster 1 of the data file. */
    img_set_l2(im, 3 * CS, 1, CS | QCOW2_OFLAG_COPIED);
}

static void
test_data_file_reads_data(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autofree char *data = NULL;
    g_autofree guint8 *bytes = g_malloc(2 * CS);
    guint8 buf[4];
    Img im;

    data_file_image(&im);
    img = img_open(&im, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    assert_message_has(error, "external data file", "t.data");
    g_clear_error(&error);

    data = g_build_filename(im.dir, "t.data", NULL);
    memset(bytes, 0x6d, 2 * CS);
    g_assert_true(g_file_set_contents(data, (const char *)bytes, 2 * CS, NULL));
    img = conv_image_open(im.path, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(conv_image_pread(img, buf, 4, CS - 2, &error));
    g_assert_cmpuint(buf[1], ==, 0);
    g_assert_cmpuint(buf[2], ==, 0x6d);
    g_clear_pointer(&img, conv_image_free);
    g_unlink(data);
    img_clear(&im);
}

static void
test_data_file_fifo_refused(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autofree char *fifo = NULL;
    Img im;

    data_file_image(&im);
    img = img_open(&im, &error);
    g_clear_error(&error);
    fifo = g_build_filename(im.dir, "t.data", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    img = conv_image_open(im.path, NULL, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    assert_message_has(error, "external data file", "not a regular file");
    g_unlink(fifo);
    img_clear(&im);
}

/* 4 KiB clusters, 40 L2 tables (more than the cache holds), one data
 * cluster per table whose bytes say which table it is. */
#define MANY_TABLES 40u
#define SMALL_CS 4096u
#define TABLE_SPAN (512u * SMALL_CS)

static void
many_tables_image(Img *im)
{
    guint t;

    img_init(im, 3, 12, (guint64)MANY_TABLES * TABLE_SPAN, MANY_TABLES,
             3 + 2 * MANY_TABLES, 0);
    for (t = 0; t < MANY_TABLES; t++) {
        guint64 l2 = (3 + t) * (guint64)SMALL_CS;
        guint64 data = (3 + MANY_TABLES + t) * (guint64)SMALL_CS;

        img_set_l1(im, t, l2);
        img_set_l2(im, l2, t % 512, data | QCOW2_OFLAG_COPIED);
        memset(im->buf + data, (int)(t + 1), SMALL_CS);
    }
}

static void
test_cache_evicts_and_rereads(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    guint round, t;
    Img im;

    many_tables_image(&im);
    img = img_open(&im, &error);
    g_assert_no_error(error);
    for (round = 0; round < 3; round++) {
        for (t = 0; t < MANY_TABLES; t++) {
            guint64 off = (guint64)t * TABLE_SPAN + (t % 512) * SMALL_CS;
            guint8 b[2];

            g_assert_true(conv_image_pread(img, b, 2, off + 100, &error));
            g_assert_no_error(error);
            g_assert_cmpuint(b[0], ==, t + 1);
            g_assert_true(conv_image_pread(img, b, 1, off + SMALL_CS, &error));
            g_assert_cmpuint(b[0], ==, 0);
        }
    }
    img_clear(&im);
}

static gpointer
reader_thread(gpointer data)
{
    ConvImage *img = data;
    GRand *rand = g_rand_new_with_seed(GPOINTER_TO_UINT(g_thread_self()));
    guint i;
    gboolean ok = TRUE;

    for (i = 0; i < 2000 && ok; i++) {
        guint t = (guint)g_rand_int_range(rand, 0, MANY_TABLES);
        guint64 off = (guint64)t * TABLE_SPAN + (t % 512) * SMALL_CS;
        guint8 b[3];

        if (!conv_image_pread(img, b, 3, off + SMALL_CS - 2, NULL) ||
            b[0] != t + 1 || b[1] != t + 1 || b[2] != 0)
            ok = FALSE;
    }
    g_rand_free(rand);
    return GINT_TO_POINTER(ok);
}

static void
test_threads_read_concurrently(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    GThread *threads[4];
    guint i;
    Img im;

    many_tables_image(&im);
    img = img_open(&im, &error);
    g_assert_no_error(error);
    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("reader", reader_thread, img);
    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        g_assert_true(GPOINTER_TO_INT(g_thread_join(threads[i])));
    img_clear(&im);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/conv/qcow2/cluster/standard-cluster-reads-data",
                    test_standard_cluster_reads_data);
    g_test_add_func("/conv/qcow2/cluster/l1-entry-unaligned",
                    test_l1_entry_unaligned);
    g_test_add_func("/conv/qcow2/cluster/l1-entry-past-eof",
                    test_l1_entry_past_eof);
    g_test_add_func("/conv/qcow2/cluster/l1-entry-overlaps-l1",
                    test_l1_entry_overlaps_l1);
    g_test_add_func("/conv/qcow2/cluster/l2-entry-past-eof",
                    test_l2_entry_past_eof);
    g_test_add_func("/conv/qcow2/cluster/l2-entry-unaligned",
                    test_l2_entry_unaligned);
    g_test_add_func("/conv/qcow2/cluster/last-cluster-cut-short-reads-zeros",
                    test_last_cluster_cut_short_reads_zeros);
    g_test_add_func("/conv/qcow2/cluster/zero-flag-v2-corrupt",
                    test_zero_flag_v2_corrupt);
    g_test_add_func("/conv/qcow2/cluster/zero-flag-v3-reads-zero",
                    test_zero_flag_v3_reads_zero);
    g_test_add_func("/conv/qcow2/cluster/compressed-zlib-reads",
                    test_compressed_zlib_reads);
    g_test_add_func("/conv/qcow2/cluster/compressed-whole-cluster-reads",
                    test_compressed_whole_cluster_reads);
    g_test_add_func("/conv/qcow2/cluster/compressed-stream-longer-than-cluster",
                    test_compressed_stream_longer_than_cluster);
    g_test_add_func("/conv/qcow2/cluster/compressed-stream-corrupt",
                    test_compressed_stream_corrupt);
    g_test_add_func("/conv/qcow2/cluster/compressed-stream-short",
                    test_compressed_stream_short);
    g_test_add_func("/conv/qcow2/cluster/compressed-zstd-corrupt",
                    test_compressed_zstd_corrupt);
    g_test_add_func("/conv/qcow2/cluster/compressed-zstd-context-reused",
                    test_compressed_zstd_context_reused);
    g_test_add_func("/conv/qcow2/cluster/compressed-offset-past-eof",
                    test_compressed_offset_past_eof);
    g_test_add_func("/conv/qcow2/cluster/subcluster-alloc-and-zero",
                    test_subcluster_alloc_and_zero);
    g_test_add_func("/conv/qcow2/cluster/subcluster-alloc-without-host",
                    test_subcluster_alloc_without_host);
    g_test_add_func("/conv/qcow2/cluster/subclusters-mixed",
                    test_subclusters_mixed);
    g_test_add_func("/conv/qcow2/cluster/data-file-reads-data",
                    test_data_file_reads_data);
    g_test_add_func("/conv/qcow2/cluster/data-file-fifo-refused",
                    test_data_file_fifo_refused);
    g_test_add_func("/conv/qcow2/cluster/cache-evicts-and-rereads",
                    test_cache_evicts_and_rereads);
    g_test_add_func("/conv/qcow2/cluster/threads-read-concurrently",
                    test_threads_read_concurrently);
    return g_test_run();
}
