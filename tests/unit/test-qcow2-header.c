/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-qcow2-header.c: qcow2_header_decode() and opening, one case per
 * header rule.  Headers are crafted in memory from a valid version 3 image
 * (64 KiB clusters, 1 MiB virtual, L1 at 0x30000, refcount table at
 * 0x10000, file 0x40000 bytes) with one field broken per case.
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "conv/qcow2-priv.h"

#define CLUSTER 65536u
#define FILE_SIZE (4u * CLUSTER)

typedef struct {
    guint8 buf[CLUSTER];
    gsize len;
    guint64 file_size;
    guint32 ext_off;             /* where the next header extension goes */
} HeaderCase;

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
case_init(HeaderCase *c, guint32 version)
{
    memset(c, 0, sizeof(*c));
    c->len = sizeof(c->buf);
    c->file_size = FILE_SIZE;
    memcpy(c->buf, "QFI\xfb", 4);
    put_be32(c->buf + 4, version);
    put_be32(c->buf + 20, 16);                  /* cluster_bits */
    put_be64(c->buf + 24, 1024 * 1024);         /* size */
    put_be32(c->buf + 36, 1);                   /* l1_size */
    put_be64(c->buf + 40, 3 * CLUSTER);         /* l1_table_offset */
    put_be64(c->buf + 48, CLUSTER);             /* refcount_table_offset */
    put_be32(c->buf + 56, 1);                   /* refcount_table_clusters */
    if (version == 3) {
        put_be32(c->buf + 96, 4);               /* refcount_order */
        put_be32(c->buf + 100, 112);            /* header_length */
        c->ext_off = 112;
    } else {
        c->ext_off = 72;
    }
}

static void
case_add_ext(HeaderCase *c, guint32 type, const void *data, guint32 len)
{
    put_be32(c->buf + c->ext_off, type);
    put_be32(c->buf + c->ext_off + 4, len);
    memcpy(c->buf + c->ext_off + 8, data, len);
    c->ext_off += 8 + ((len + 7) & ~7u);
}

static void
case_set_backing(HeaderCase *c, guint64 offset, const char *name)
{
    put_be64(c->buf + 8, offset);
    put_be32(c->buf + 16, (guint32)strlen(name));
    memcpy(c->buf + offset, name, strlen(name));
}

static gboolean
case_decode(HeaderCase *c, Qcow2Header *hdr, GError **error)
{
    return qcow2_header_decode("t.qcow2", c->buf, c->len, c->file_size, hdr,
                               error);
}

/* Decodes @c, expects failure with @code and every word of @fields in the
 * message (the field and the value at fault). */
static void
case_expect_error(HeaderCase *c, int code, const char *const *needles)
{
    g_autoptr(GError) error = NULL;
    Qcow2Header hdr;

    g_assert_false(case_decode(c, &hdr, &error));
    g_assert_error(error, FERRY_ERROR, code);
    g_assert_true(g_str_has_prefix(error->message, "t.qcow2: qcow2 header: "));
    for (; *needles; needles++) {
        if (!strstr(error->message, *needles))
            g_error("'%s' not in: %s", *needles, error->message);
    }
    g_assert_null(hdr.backing_name);
}

#define EXPECT_ERROR(c, code, ...) \
    case_expect_error((c), (code), (const char *const[]){ __VA_ARGS__, NULL })

static void
test_valid_v3(void)
{
    g_autoptr(GError) error = NULL;
    HeaderCase c;
    Qcow2Header hdr;

    case_init(&c, 3);
    g_assert_true(case_decode(&c, &hdr, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(hdr.version, ==, 3);
    g_assert_cmpuint(hdr.cluster_bits, ==, 16);
    g_assert_cmpuint(hdr.size, ==, 1024 * 1024);
    g_assert_cmpuint(hdr.header_length, ==, 112);
    g_assert_cmpuint(hdr.compression_type, ==, QCOW2_COMPRESSION_ZLIB);
    g_assert_null(hdr.backing_name);
    qcow2_header_clear(&hdr);
}

static void
test_valid_v2(void)
{
    g_autoptr(GError) error = NULL;
    HeaderCase c;
    Qcow2Header hdr;

    case_init(&c, 2);
    /* Version 2 has no feature fields: bytes 72.. are extensions. */
    case_set_backing(&c, 1024, "base.raw");
    g_assert_true(case_decode(&c, &hdr, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(hdr.header_length, ==, 72);
    g_assert_cmpuint(hdr.refcount_order, ==, 4);
    g_assert_cmpstr(hdr.backing_name, ==, "base.raw");
    qcow2_header_clear(&hdr);
}

static void
test_file_too_short(void)
{
    HeaderCase c;

    case_init(&c, 3);
    c.len = 40;
    c.file_size = 40;
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "too short", "40 bytes");
}

static void
test_bad_magic(void)
{
    HeaderCase c;

    case_init(&c, 3);
    c.buf[3] = 0xfc;
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "magic");
}

static void
test_version_unsupported(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 4, 4);
    EXPECT_ERROR(&c, FERRY_ERROR_UNSUPPORTED, "version 4");
}

static void
test_cluster_bits_too_small(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 20, 8);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "cluster_bits 8", "9..21");
}

static void
test_cluster_bits_too_large(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 20, 22);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "cluster_bits 22", "9..21");
}

static void
test_header_length_too_short(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 100, 96);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "header_length 96");
}

static void
test_header_length_not_multiple_of_8(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 100, 108);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "header_length 108", "multiple of 8");
}

static void
test_header_length_past_cluster(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 100, CLUSTER + 8);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "header_length 65544", "cluster size");
}

static void
test_encrypted_refused(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 32, 2);
    EXPECT_ERROR(&c, FERRY_ERROR_UNSUPPORTED, "crypt_method 2", "luks",
                 "encrypted qcow2 images are not supported");
    put_be32(c.buf + 32, 1);
    EXPECT_ERROR(&c, FERRY_ERROR_UNSUPPORTED, "crypt_method 1", "aes");
}

static void
test_crypto_extension_refused(void)
{
    HeaderCase c;
    guint8 data[16] = { 0 };

    case_init(&c, 3);
    case_add_ext(&c, QCOW2_EXT_CRYPTO_HEADER, data, sizeof(data));
    EXPECT_ERROR(&c, FERRY_ERROR_UNSUPPORTED, "encryption header",
                 "encrypted qcow2 images are not supported");
}

static void
test_refcount_order_too_large(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 96, 7);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "refcount_order 7");
}

static void
test_backing_name_too_long(void)
{
    HeaderCase c;
    char name[1025];

    case_init(&c, 3);
    memset(name, 'a', 1024);
    name[1024] = '\0';
    case_set_backing(&c, 4096, name);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "backing_file_size 1024", "1023");
}

static void
test_backing_name_past_first_cluster(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 8, CLUSTER - 4);
    put_be32(c.buf + 16, 8);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "backing_file_offset 65532",
                 "first cluster");
}

static void
test_backing_name_past_eof(void)
{
    HeaderCase c;

    case_init(&c, 3);
    case_set_backing(&c, 2048, "base.qcow2");
    c.len = c.file_size = 2050;
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "backing_file_offset 2048",
                 "past end of file");
}

static void
test_backing_name_overlaps_header(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 8, 64);
    put_be32(c.buf + 16, 8);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "backing_file_offset 64", "overlaps");
}

static void
test_backing_name_holds_nul(void)
{
    HeaderCase c;

    case_init(&c, 3);
    case_set_backing(&c, 1024, "base.qcow2");
    c.buf[1027] = '\0';
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "backing file name", "NUL");
}

static void
test_backing_format_read(void)
{
    g_autoptr(GError) error = NULL;
    HeaderCase c;
    Qcow2Header hdr;

    case_init(&c, 3);
    case_add_ext(&c, QCOW2_EXT_BACKING_FORMAT, "qcow2", 5);
    case_add_ext(&c, 0x12345678, "ignored", 7);
    case_set_backing(&c, 1024, "../base.qcow2");
    g_assert_true(case_decode(&c, &hdr, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(hdr.backing_format, ==, "qcow2");
    g_assert_cmpstr(hdr.backing_name, ==, "../base.qcow2");
    qcow2_header_clear(&hdr);
}

static void
test_backing_format_too_long(void)
{
    HeaderCase c;

    case_init(&c, 3);
    case_add_ext(&c, QCOW2_EXT_BACKING_FORMAT, "abcdefghijklmnop", 16);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "backing format", "length 16");
}

static void
test_backing_format_twice(void)
{
    HeaderCase c;

    case_init(&c, 3);
    case_add_ext(&c, QCOW2_EXT_BACKING_FORMAT, "raw", 3);
    case_add_ext(&c, QCOW2_EXT_BACKING_FORMAT, "qcow2", 5);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "backing format", "twice");
}

static void
test_extension_past_area(void)
{
    HeaderCase c;

    case_init(&c, 3);
    case_set_backing(&c, 1024, "base");
    put_be32(c.buf + 112, 0x12345678);
    put_be32(c.buf + 116, 1024);    /* runs into the backing name */
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "header extension 0x12345678",
                 "length 1024", "extension area");
}

static void
test_extension_header_truncated(void)
{
    HeaderCase c;

    case_init(&c, 3);
    /* An extension whose padding ends 4 bytes before the backing name. */
    case_set_backing(&c, 132, "base");
    put_be32(c.buf + 112, 0x12345678);
    put_be32(c.buf + 116, 8);
    put_be32(c.buf + 128, 0x12345678);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "header extension at offset 128");
}

static void
test_unknown_incompatible_bit(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 72, G_GUINT64_CONSTANT(1) << 40);
    EXPECT_ERROR(&c, FERRY_ERROR_UNSUPPORTED, "incompatible_features bit 40");
}

static void
test_unknown_incompatible_bit_named(void)
{
    HeaderCase c;
    guint8 entry[48] = { 0 };

    case_init(&c, 3);
    put_be64(c.buf + 72, G_GUINT64_CONSTANT(1) << 5);
    entry[0] = 0;
    entry[1] = 5;
    memcpy(entry + 2, "teleport", 8);
    case_add_ext(&c, QCOW2_EXT_FEATURE_TABLE, entry, sizeof(entry));
    EXPECT_ERROR(&c, FERRY_ERROR_UNSUPPORTED, "incompatible_features bit 5",
                 "'teleport'");
}

static void
test_dirty_bit_accepted(void)
{
    g_autoptr(GError) error = NULL;
    HeaderCase c;
    Qcow2Header hdr;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_DIRTY);
    g_assert_true(case_decode(&c, &hdr, &error));
    g_assert_no_error(error);
    qcow2_header_clear(&hdr);
}

static void
test_corrupt_bit_refused(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_CORRUPT);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "incompatible_features bit 1",
                 "corrupt");
}

static void
test_zstd_accepted(void)
{
    g_autoptr(GError) error = NULL;
    HeaderCase c;
    Qcow2Header hdr;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_COMPRESSION);
    c.buf[104] = 1;
    g_assert_true(case_decode(&c, &hdr, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(hdr.compression_type, ==, QCOW2_COMPRESSION_ZSTD);
    qcow2_header_clear(&hdr);
}

static void
test_compression_bit_without_type(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_COMPRESSION);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "compression_type is 0");
}

static void
test_compression_type_without_bit(void)
{
    HeaderCase c;

    case_init(&c, 3);
    c.buf[104] = 1;
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "compression_type 1", "bit 3");
}

static void
test_compression_type_unknown(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_COMPRESSION);
    c.buf[104] = 2;
    EXPECT_ERROR(&c, FERRY_ERROR_UNSUPPORTED, "compression_type 2");
}

static void
test_extended_l2_small_clusters(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_EXTENDED_L2);
    put_be32(c.buf + 20, 13);
    c.len = 8192;
    put_be64(c.buf + 40, 3 * 8192);
    put_be64(c.buf + 48, 8192);
    put_be32(c.buf + 36, 16);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "cluster_bits 13", "extended L2");
}

static void
test_data_file_bit_without_name(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_DATA_FILE);
    EXPECT_ERROR(&c, FERRY_ERROR_UNSUPPORTED, "bit 2", "data file");
}

static void
test_raw_data_without_data_file(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 88, QCOW2_AUTOCLEAR_DATA_FILE_RAW);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "autoclear_features bit 1");
}

static void
test_data_file_name_read(void)
{
    g_autoptr(GError) error = NULL;
    HeaderCase c;
    Qcow2Header hdr;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_DATA_FILE);
    case_add_ext(&c, QCOW2_EXT_DATA_FILE, "disk.data", 9);
    g_assert_true(case_decode(&c, &hdr, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(hdr.data_file, ==, "disk.data");
    qcow2_header_clear(&hdr);
}

static void
test_l1_size_too_large(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 36, QCOW2_MAX_L1_BYTES / 8 + 1);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "l1_size 4194305");
}

static void
test_l1_too_small_for_size(void)
{
    HeaderCase c;

    case_init(&c, 3);
    /* One L2 table of 64 KiB clusters maps 512 MiB. */
    put_be64(c.buf + 24, G_GUINT64_CONSTANT(512) * 1024 * 1024 + 1);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "l1_size 1", "too small",
                 "2 entries needed");
}

static void
test_size_huge_needs_huge_l1(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 24, G_MAXUINT64);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "l1_size 1", "too small");
}

static void
test_l1_offset_unaligned(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 40, 3 * CLUSTER + 512);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "l1_table_offset 0x30200", "aligned");
}

static void
test_l1_offset_past_eof(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 40, 0x7fff0000);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "l1_table_offset 0x7fff0000",
                 "past end of file (262144 bytes)");
}

static void
test_l1_end_past_eof(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 36, CLUSTER / 8 + 1);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "l1_table_offset 0x30000",
                 "past end of file");
}

static void
test_l1_overlaps_header(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 40, 0);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "l1_table_offset 0x0", "header");
}

static void
test_refcount_table_unaligned(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be64(c.buf + 48, CLUSTER + 8);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "refcount_table_offset 0x10008");
}

static void
test_refcount_table_past_eof(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 56, 4);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "refcount_table_offset 0x10000",
                 "past end of file");
}

static void
test_refcount_table_too_large(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 56, 0x80000000u);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "refcount_table_clusters 2147483648");
}

static void
test_snapshots_too_many(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 60, QCOW2_MAX_SNAPSHOTS + 1);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "nb_snapshots 65537");
}

static void
test_snapshots_past_eof(void)
{
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 60, 2);
    put_be64(c.buf + 64, 16 * CLUSTER);
    EXPECT_ERROR(&c, FERRY_ERROR_CORRUPT, "snapshots_offset 0x100000",
                 "past end of file");
}

/* Through conv_image_open(): the header as `ferry info` shows it. */
static char *
write_case(HeaderCase *c, const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, c->buf, c->len, 0), ==, (gssize)c->len);
    g_assert_cmpint(ftruncate(fd, (off_t)c->file_size), ==, 0);
    close(fd);
    return path;
}

static void
test_open_sets_size_detail_backing(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("ferry-test-qcow2-XXXXXX", NULL);
    g_autofree char *path = NULL;
    g_autofree char *base = NULL;
    g_autoptr(ConvImage) img = NULL;
    HeaderCase c;
    int fd;

    case_init(&c, 3);
    put_be64(c.buf + 72, QCOW2_INCOMPAT_COMPRESSION);
    c.buf[104] = 1;
    case_add_ext(&c, QCOW2_EXT_BACKING_FORMAT, "raw", 3);
    case_set_backing(&c, 1024, "base.raw");
    path = write_case(&c, dir, "top.qcow2");
    base = g_build_filename(dir, "base.raw", NULL);
    fd = open(base, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(fd, >=, 0);
    close(fd);

    img = conv_image_open(path, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_format(img), ==, "qcow2");
    g_assert_cmpuint(conv_image_get_size(img), ==, 1024 * 1024);
    g_assert_cmpstr(conv_image_get_backing_name(img), ==, "base.raw");
    g_assert_nonnull(conv_image_get_backing(img));
    g_assert_cmpstr(conv_image_get_detail(img), ==,
                    "compat=1.1 cluster_size=65536 compression=zstd");
    g_clear_pointer(&img, conv_image_free);
    g_unlink(path);
    g_unlink(base);
    g_rmdir(dir);
}

static void
test_open_v1_refused_by_name(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("ferry-test-qcow2-XXXXXX", NULL);
    g_autofree char *path = NULL;
    g_autoptr(ConvImage) img = NULL;
    HeaderCase c;

    case_init(&c, 3);
    put_be32(c.buf + 4, 1);
    path = write_case(&c, dir, "old.qcow");
    img = conv_image_open(path, NULL, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(error->message, "version 1"));
    g_assert_nonnull(strstr(error->message, "old.qcow"));
    g_unlink(path);
    g_rmdir(dir);
}

static const struct {
    const char *path;              /* under /conv/qcow2/ */
    GTestFunc func;
} header_tests[] = {
    { "header/valid-v3", test_valid_v3 },
    { "header/valid-v2", test_valid_v2 },
    { "header/file-too-short", test_file_too_short },
    { "header/bad-magic", test_bad_magic },
    { "header/version-unsupported", test_version_unsupported },
    { "header/cluster-bits-too-small", test_cluster_bits_too_small },
    { "header/cluster-bits-too-large", test_cluster_bits_too_large },
    { "header/header-length-too-short", test_header_length_too_short },
    { "header/header-length-not-multiple-of-8", test_header_length_not_multiple_of_8 },
    { "header/header-length-past-cluster", test_header_length_past_cluster },
    { "header/encrypted-refused", test_encrypted_refused },
    { "header/crypto-extension-refused", test_crypto_extension_refused },
    { "header/refcount-order-too-large", test_refcount_order_too_large },
    { "header/backing-name-too-long", test_backing_name_too_long },
    { "header/backing-name-past-first-cluster", test_backing_name_past_first_cluster },
    { "header/backing-name-past-eof", test_backing_name_past_eof },
    { "header/backing-name-overlaps-header", test_backing_name_overlaps_header },
    { "header/backing-name-holds-nul", test_backing_name_holds_nul },
    { "header/backing-format-read", test_backing_format_read },
    { "header/backing-format-too-long", test_backing_format_too_long },
    { "header/backing-format-twice", test_backing_format_twice },
    { "header/extension-past-area", test_extension_past_area },
    { "header/extension-header-truncated", test_extension_header_truncated },
    { "header/unknown-incompatible-bit", test_unknown_incompatible_bit },
    { "header/unknown-incompatible-bit-named", test_unknown_incompatible_bit_named },
    { "header/dirty-bit-accepted", test_dirty_bit_accepted },
    { "header/corrupt-bit-refused", test_corrupt_bit_refused },
    { "header/zstd-accepted", test_zstd_accepted },
    { "header/compression-bit-without-type", test_compression_bit_without_type },
    { "header/compression-type-without-bit", test_compression_type_without_bit },
    { "header/compression-type-unknown", test_compression_type_unknown },
    { "header/extended-l2-small-clusters", test_extended_l2_small_clusters },
    { "header/data-file-bit-without-name", test_data_file_bit_without_name },
    { "header/raw-data-without-data-file", test_raw_data_without_data_file },
    { "header/data-file-name-read", test_data_file_name_read },
    { "header/l1-size-too-large", test_l1_size_too_large },
    { "header/l1-too-small-for-size", test_l1_too_small_for_size },
    { "header/size-huge-needs-huge-l1", test_size_huge_needs_huge_l1 },
    { "header/l1-offset-unaligned", test_l1_offset_unaligned },
    { "header/l1-offset-past-eof", test_l1_offset_past_eof },
    { "header/l1-end-past-eof", test_l1_end_past_eof },
    { "header/l1-overlaps-header", test_l1_overlaps_header },
    { "header/refcount-table-unaligned", test_refcount_table_unaligned },
    { "header/refcount-table-past-eof", test_refcount_table_past_eof },
    { "header/refcount-table-too-large", test_refcount_table_too_large },
    { "header/snapshots-too-many", test_snapshots_too_many },
    { "header/snapshots-past-eof", test_snapshots_past_eof },
    { "open/sets-size-detail-backing", test_open_sets_size_detail_backing },
    { "open/version-1-refused-by-name", test_open_v1_refused_by_name },
};

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(header_tests); i++) {
        g_autofree char *path = g_strconcat("/conv/qcow2/", header_tests[i].path,
                                            NULL);

        g_test_add_func(path, header_tests[i].func);
    }
    return g_test_run();
}
