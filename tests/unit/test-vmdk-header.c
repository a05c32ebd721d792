/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vmdk-header.c: sparse VMDK extents built byte by byte: each header
 * check, grain directory and table bounds, zeroed grains, streamOptimized
 * footers and compressed grains, COWD (vmfsSparse) extents, and reads
 * from several threads.
 */
#include <config.h>

#include <string.h>
#include <zlib.h>
#include <glib/gstdio.h>

#include "conv/vmdk-priv.h"

#define GRAIN 65536
#define PATTERN 0x5a

typedef struct {
    char *dir;
    char *path;
} HeaderFixture;

static void
header_setup(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-vmdk-header-XXXXXX", &error);
    g_assert_no_error(error);
    fx->path = g_build_filename(fx->dir, "x.vmdk", NULL);
}

static void
header_teardown(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GDir) dir = g_dir_open(fx->dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(fx->dir, name, NULL);

        g_unlink(path);
    }
    g_rmdir(fx->dir);
    g_free(fx->path);
    g_free(fx->dir);
}

static void
put_le16(guint8 *p, guint16 v)
{
    p[0] = (guint8)v;
    p[1] = (guint8)(v >> 8);
}

static void
put_le32(guint8 *p, guint32 v)
{
    put_le16(p, (guint16)v);
    put_le16(p + 2, (guint16)(v >> 16));
}

static void
put_le64(guint8 *p, guint64 v)
{
    put_le32(p, (guint32)v);
    put_le32(p + 4, (guint32)(v >> 32));
}

static void
header_fill(guint8 *h, guint32 flags, guint64 capacity, guint64 desc_offset,
            guint64 desc_size, guint64 gd_offset, guint64 overhead, guint16 compress)
{
    memcpy(h, "KDMV", 4);
    put_le32(h + 4, 1);
    put_le32(h + 8, flags);
    put_le64(h + 12, capacity);
    put_le64(h + 20, GRAIN / 512);
    put_le64(h + 28, desc_offset);
    put_le64(h + 36, desc_size);
    put_le32(h + 44, 512);
    put_le64(h + 48, 0);
    put_le64(h + 56, gd_offset);
    put_le64(h + 64, overhead);
    memcpy(h + 73, "\n \r\n", 4);
    put_le16(h + 77, compress);
}

/*
 * A 2 MiB monolithicSparse disk:
 *   sector 0 header, 1-20 descriptor, 21 GD, 22-25 GT, 128-255 grain 0.
 * GT entry 0 -> sector 128 (PATTERN), entry 1 -> 1 (zeroed grain).
 */
static GByteArray *
build_sparse(void)
{
    GByteArray *img = g_byte_array_new();
    const char *desc = "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\n"
                       "createType=\"monolithicSparse\"\nRW 4096 SPARSE \"x.vmdk\"\n";
    guint8 *p;

    g_byte_array_set_size(img, 256 * 512);
    p = img->data;
    memset(p, 0, img->len);
    header_fill(p, VMDK4_FLAG_NL_DETECT | VMDK4_FLAG_ZERO_GRAIN, 4096, 1, 20, 21, 128, 0);
    memcpy(p + 512, desc, strlen(desc));
    put_le32(p + 21 * 512, 22);
    put_le32(p + 22 * 512, 128);
    put_le32(p + 22 * 512 + 4, VMDK_GTE_ZEROED);
    memset(p + 128 * 512, PATTERN, GRAIN);
    return img;
}

static void
save(HeaderFixture *fx, GByteArray *img)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(fx->path, (const char *)img->data, img->len, &error));
    g_assert_no_error(error);
}

static void
assert_open_fails(HeaderFixture *fx, GByteArray *img, int code, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) opened = NULL;

    save(fx, img);
    opened = conv_image_open(fx->path, NULL, &error);
    g_assert_null(opened);
    g_assert_error(error, FERRY_ERROR, code);
    g_assert_nonnull(strstr(error->message, fx->path));
    if (!strstr(error->message, needle))
        g_error("'%s' not in: %s", needle, error->message);
}

static void
test_probe(void)
{
    g_assert_cmpstr(conv_format_probe_name((const guint8 *)"KDMV\1\0\0\0", 8), ==, "vmdk");
    g_assert_cmpstr(conv_format_probe_name((const guint8 *)"COWD\1\0\0\0", 8), ==, "vmdk");
    g_assert_cmpstr(conv_format_probe_name((const guint8 *)"# Disk DescriptorFile\n", 22),
                    ==, "vmdk");
    g_assert_cmpstr(conv_format_probe_name((const guint8 *)"# Disk Descr", 12), ==, "raw");
    g_assert_cmpstr(conv_format_probe_name((const guint8 *)"KDM", 3), ==, "raw");
}

static void
test_sparse_reads(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autofree guint8 *buf = g_malloc(3 * GRAIN);
    const ConvExtent *e;

    save(fx, raw);
    img = conv_image_open(fx->path, "vmdk", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(conv_image_get_size(img), ==, 4096 * 512);
    g_assert_cmpstr(conv_image_get_detail(img), ==, "createType=monolithicSparse");
    g_assert_true(conv_image_block_status(img, 0, 4096 * 512, ext, &error));
    g_assert_cmpuint(conv_extents_count(ext), ==, 3);
    e = conv_extents_get(ext, 0);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(e->length, ==, GRAIN);
    e = conv_extents_get(ext, 1);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_ZERO);
    g_assert_cmpuint(e->length, ==, GRAIN);
    e = conv_extents_get(ext, 2);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_UNALLOCATED);
    g_assert_cmpuint(e->start + e->length, ==, 4096 * 512);

    g_assert_true(conv_image_pread(img, buf, 3 * GRAIN, 0, &error));
    g_assert_cmpuint(buf[0], ==, PATTERN);
    g_assert_cmpuint(buf[GRAIN - 1], ==, PATTERN);
    g_assert_cmpuint(buf[GRAIN], ==, 0);
    g_assert_cmpuint(buf[3 * GRAIN - 1], ==, 0);
}

/* Without the zeroed-grain flag, GTE 1 is a grain at sector 1. */
static void
test_gte_one_without_flag_is_data(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();

    put_le32(raw->data + 8, VMDK4_FLAG_NL_DETECT);
    save(fx, raw);
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(conv_image_block_status(img, 0, 2 * GRAIN, ext, &error));
    g_assert_cmpuint(conv_extents_count(ext), ==, 1);
    g_assert_cmpint(conv_extents_get(ext, 0)->kind, ==, CONV_EXTENT_DATA);
}

static void
test_file_too_small(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    g_byte_array_set_size(raw, 300);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "smaller than one header");
}

static void
test_version_4_refused(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le32(raw->data + 4, 4);
    assert_open_fails(fx, raw, FERRY_ERROR_UNSUPPORTED, "version 4");
}

static void
test_grain_size_zero(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 20, 0);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "grainSize 0");
}

static void
test_grain_size_not_power_of_two(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 20, 96);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "grainSize 96");
}

static void
test_grain_size_too_big(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 20, 1ULL << 40);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "grainSize 1099511627776");
}

static void
test_gtes_per_gt_zero(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le32(raw->data + 44, 0);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "numGTEsPerGT 0");
}

static void
test_gtes_per_gt_too_big(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le32(raw->data + 44, 4096);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "numGTEsPerGT 4096");
}

static void
test_capacity_too_big(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 12, G_MAXUINT64 / 2);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "capacity");
}

static void
test_gd_entries_too_many(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 12, 1ULL << 36);   /* 32 TiB */
    put_le64(raw->data + 20, 1);
    put_le32(raw->data + 44, 1);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "grain directory entries");
}

static void
test_gd_offset_past_eof(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 56, 256);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "gdOffset 256");
}

static void
test_gd_offset_huge(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 56, G_MAXUINT64 - 1);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "gdOffset");
}

static void
test_gd_offset_zero(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 56, 0);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "gdOffset 0");
}

static void
test_gt_offset_past_eof(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le32(raw->data + 21 * 512, 254);    /* 4 sectors of GT do not fit */
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "grain directory entry 0: grain table at sector 254");
}

static void
test_grain_past_eof(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    guint8 b;

    put_le32(raw->data + 22 * 512 + 8, 0xfffffff0);   /* GT entry 2 */
    save(fx, raw);
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_no_error(error);
    g_assert_false(conv_image_pread(img, &b, 1, 2 * GRAIN, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "grain table 0 entry 2: grain sector 4294967280"));
}

static void
test_descriptor_size_too_big(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 36, 20 * 1024 * 1024 / 512);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "descriptorSize 40960");
}

static void
test_descriptor_offset_past_eof(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 28, 250);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "descriptorOffset 250");
}

static void
test_embedded_descriptor_bad(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    memcpy(raw->data + 512, "RW 0 SPARSE \"x\"\n", 16);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "descriptor line 1: extent size '0'");
}

static void
test_newline_damaged(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    raw->data[75] = '\n';       /* "\r\n" became "\n" */
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "newline detection");
}

static void
test_compress_algorithm_unknown(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le16(raw->data + 77, 7);
    assert_open_fails(fx, raw, FERRY_ERROR_UNSUPPORTED, "compressAlgorithm 7");
}

static void
test_overhead_past_eof(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();

    put_le64(raw->data + 64, 100000);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "overHead 100000");
}

/* One sparse file named by two extent lines: each loads its 3M-entry grain
 * directory, and together they pass the disk's budget. */
static void
test_gd_total_budget(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GByteArray) raw = build_sparse();
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autofree char *desc_path = g_build_filename(fx->dir, "d.vmdk", NULL);
    const guint64 cap = 3 * 1024 * 1024;
    const char *desc = "# Disk DescriptorFile\ncreateType=\"twoGbMaxExtentSparse\"\n"
                       "RW 3145728 SPARSE \"x.vmdk\"\nRW 3145728 SPARSE \"x.vmdk\"\n";

    put_le64(raw->data + 12, cap);
    put_le64(raw->data + 20, 1);
    put_le32(raw->data + 44, 1);
    put_le64(raw->data + 36, 0);
    put_le64(raw->data + 28, 0);
    g_byte_array_set_size(raw, (guint)(21 * 512 + cap * 4));
    memset(raw->data + 21 * 512, 0, cap * 4);
    save(fx, raw);
    /* Alone, the file opens. */
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(conv_image_get_size(img), ==, cap * 512);
    g_clear_pointer(&img, conv_image_free);

    g_assert_true(g_file_set_contents(desc_path, desc, -1, &error));
    img = conv_image_open(desc_path, NULL, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "vmdk extent 2: the extents' grain directories"));
}

/* ---- streamOptimized ---------------------------------------------------- */

static void
put_marker(GByteArray *img, guint64 val, guint32 type)
{
    guint8 m[512] = { 0 };

    put_le64(m, val);
    put_le32(m + 12, type);
    g_byte_array_append(img, m, sizeof(m));
}

static void
pad_sector(GByteArray *img)
{
    static const guint8 zeros[512];

    if (img->len % 512)
        g_byte_array_append(img, zeros, 512 - img->len % 512);
}

/*
 * A 2 MiB streamOptimized disk: header (gdOffset "at end"), one
 * compressed grain (PATTERN) at sector 2, a GT, a GD, the footer.
 * *deflate_at is the file offset of the zlib stream.
 */
static GByteArray *
build_stream(gsize *deflate_at)
{
    GByteArray *img = g_byte_array_new();
    guint8 hdr[512] = { 0 };
    guint8 gt[2048] = { 0 };
    guint8 gd[512] = { 0 };
    guint8 marker[12];
    g_autofree guint8 *grain = g_malloc(GRAIN);
    uLongf zlen = compressBound(GRAIN);
    g_autofree guint8 *z = g_malloc(zlen);
    guint32 flags = VMDK4_FLAG_NL_DETECT | VMDK4_FLAG_COMPRESS | VMDK4_FLAG_MARKER;
    guint64 gt_sector, gd_sector;

    memset(grain, PATTERN, GRAIN);
    g_assert_cmpint(compress(z, &zlen, grain, GRAIN), ==, Z_OK);
    header_fill(hdr, flags, 4096, 0, 0, VMDK4_GD_AT_END, 1, 1);
    g_byte_array_append(img, hdr, 512);
    g_byte_array_append(img, gd, 512);                  /* a spare sector */
    put_le64(marker, 0);
    put_le32(marker + 8, (guint32)zlen);
    g_byte_array_append(img, marker, sizeof(marker));
    *deflate_at = img->len;
    g_byte_array_append(img, z, (guint)zlen);
    pad_sector(img);
    put_marker(img, 4, VMDK_MARKER_GT);
    gt_sector = img->len / 512;
    put_le32(gt, 2);
    g_byte_array_append(img, gt, sizeof(gt));
    put_marker(img, 1, VMDK_MARKER_GD);
    gd_sector = img->len / 512;
    put_le32(gd, (guint32)gt_sector);
    g_byte_array_append(img, gd, sizeof(gd));
    put_marker(img, 1, VMDK_MARKER_FOOTER);
    header_fill(hdr, flags, 4096, 0, 0, gd_sector, 1, 1);
    g_byte_array_append(img, hdr, 512);
    put_marker(img, 0, VMDK_MARKER_EOS);
    return img;
}

static void
test_stream_reads(HeaderFixture *fx, gconstpointer data)
{
    gsize at;
    g_autoptr(GByteArray) raw = build_stream(&at);
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    guint8 buf[1000];

    save(fx, raw);
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_detail(img), ==, "createType=streamOptimized");
    g_assert_true(conv_image_block_status(img, 0, 4096 * 512, ext, &error));
    g_assert_cmpuint(conv_extents_count(ext), ==, 2);
    g_assert_cmpint(conv_extents_get(ext, 0)->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(conv_extents_get(ext, 0)->length, ==, GRAIN);
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), GRAIN - 500, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(buf[0], ==, PATTERN);
    g_assert_cmpuint(buf[499], ==, PATTERN);
    g_assert_cmpuint(buf[500], ==, 0);
}

static void
test_stream_bad_deflate(HeaderFixture *fx, gconstpointer data)
{
    gsize at;
    g_autoptr(GByteArray) raw = build_stream(&at);
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    guint8 b;

    memset(raw->data + at + 2, 0xff, 8);
    save(fx, raw);
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_no_error(error);
    g_assert_false(conv_image_pread(img, &b, 1, 100, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "grain at virtual offset 0"));
    g_assert_nonnull(strstr(error->message, "deflate stream is damaged"));
}

static void
test_stream_compressed_size_too_big(HeaderFixture *fx, gconstpointer data)
{
    gsize at;
    g_autoptr(GByteArray) raw = build_stream(&at);
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    guint8 b;

    put_le32(raw->data + at - 4, 0x7fffffff);
    save(fx, raw);
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_no_error(error);
    g_assert_false(conv_image_pread(img, &b, 1, 0, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "compressed size 2147483647"));
}

static void
test_stream_footer_marker_missing(HeaderFixture *fx, gconstpointer data)
{
    gsize at;
    g_autoptr(GByteArray) raw = build_stream(&at);

    put_le32(raw->data + raw->len - 3 * 512 + 12, VMDK_MARKER_GT);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "footer marker");
}

static void
test_stream_eos_marker_missing(HeaderFixture *fx, gconstpointer data)
{
    gsize at;
    g_autoptr(GByteArray) raw = build_stream(&at);

    put_le64(raw->data + raw->len - 512, 5);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "end-of-stream marker");
}

static void
test_stream_footer_gd_at_end(HeaderFixture *fx, gconstpointer data)
{
    gsize at;
    g_autoptr(GByteArray) raw = build_stream(&at);

    put_le64(raw->data + raw->len - 2 * 512 + 56, VMDK4_GD_AT_END);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "vmdk footer: gdOffset is \"at end\"");
}

static void
test_stream_too_small_for_footer(HeaderFixture *fx, gconstpointer data)
{
    gsize at;
    g_autoptr(GByteArray) raw = build_stream(&at);

    g_byte_array_set_size(raw, 1024);
    assert_open_fails(fx, raw, FERRY_ERROR_CORRUPT, "too small for a footer");
}

/* Reads from four threads at once agree with one thread (the GT and grain
 * caches are shared). */
static gpointer
read_thread(gpointer data)
{
    ConvImage *img = data;
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *buf = g_malloc(4096);
    int i;

    for (i = 0; i < 2000; i++) {
        guint64 off = (guint64)g_random_int_range(0, 4096 * 512 - 4096);
        guint64 j;

        if (!conv_image_pread(img, buf, 4096, off, &error))
            return GINT_TO_POINTER(1);
        for (j = 0; j < 4096; j++) {
            if (buf[j] != (off + j < GRAIN ? PATTERN : 0))
                return GINT_TO_POINTER(2);
        }
    }
    return NULL;
}

static void
test_stream_threads(HeaderFixture *fx, gconstpointer data)
{
    gsize at;
    g_autoptr(GByteArray) raw = build_stream(&at);
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    GThread *threads[4];
    guint i;

    save(fx, raw);
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_no_error(error);
    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("reader", read_thread, img);
    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        g_assert_null(g_thread_join(threads[i]));
}

/* ---- COWD (vmfsSparse) -------------------------------------------------- */

/* A 2 MiB COWD delta: 4 KiB grains, GD at sector 4, GT at 5, grain 1 at
 * sector 40, under a vmfsSparse descriptor naming a parent. */
static void
build_cowd(HeaderFixture *fx, guint32 gd_entries)
{
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *f = g_malloc0(48 * 512);
    g_autofree char *cowd = g_build_filename(fx->dir, "x-delta.vmdk", NULL);
    const char *desc = "# Disk DescriptorFile\ncreateType=\"vmfsSparse\"\nparentCID=1\n"
                       "parentFileNameHint=\"base.vmdk\"\nRW 4096 VMFSSPARSE \"x-delta.vmdk\"\n";

    memcpy(f, "COWD", 4);
    put_le32(f + 4, 1);
    put_le32(f + 8, 3);
    put_le32(f + 12, 4096);
    put_le32(f + 16, 8);
    put_le32(f + 20, 4);
    put_le32(f + 24, gd_entries);
    put_le32(f + 4 * 512, 5);
    put_le32(f + 5 * 512 + 4, 40);
    memset(f + 40 * 512, PATTERN, 4096);
    g_assert_true(g_file_set_contents(cowd, (const char *)f, 48 * 512, &error));
    g_assert_true(g_file_set_contents(fx->path, desc, -1, &error));
    g_assert_no_error(error);
}

static void
test_cowd_reads(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    guint8 buf[8192];

    build_cowd(fx, 1);
    /* The parent is missing: open names it. */
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "base.vmdk"));
    g_clear_error(&error);

    {
        g_autofree char *base = g_build_filename(fx->dir, "base.vmdk", NULL);
        g_autofree char *flat = g_build_filename(fx->dir, "base-flat.vmdk", NULL);
        g_autofree guint8 *ones = g_malloc(4096 * 512);
        const char *bdesc = "# Disk DescriptorFile\ncreateType=\"vmfs\"\n"
                            "RW 4096 VMFS \"base-flat.vmdk\"\n";

        memset(ones, 0x01, 4096 * 512);
        g_assert_true(g_file_set_contents(flat, (const char *)ones, 4096 * 512, &error));
        g_assert_true(g_file_set_contents(base, bdesc, -1, &error));
    }
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_detail(img), ==, "createType=vmfsSparse");
    g_assert_true(conv_image_block_status(img, 0, 4096 * 512, ext, &error));
    g_assert_cmpuint(conv_extents_count(ext), ==, 3);
    g_assert_cmpint(conv_extents_get(ext, 0)->kind, ==, CONV_EXTENT_UNALLOCATED);
    g_assert_cmpint(conv_extents_get(ext, 1)->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(conv_extents_get(ext, 1)->start, ==, 4096);
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), 0, &error));
    g_assert_cmpuint(buf[0], ==, 0x01);         /* from the parent */
    g_assert_cmpuint(buf[4096], ==, PATTERN);   /* from the delta */
}

static void
test_cowd_gd_entries_too_few(HeaderFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;

    build_cowd(fx, 0);
    img = conv_image_open(fx->path, NULL, &error);
    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "numGDEntries 0"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/conv/vmdk/probe/magic-and-descriptor", test_probe);
#define HDR_TEST(path, fn) \
    g_test_add(path, HeaderFixture, NULL, header_setup, fn, header_teardown)
    HDR_TEST("/conv/vmdk/sparse/reads-data-zero-unallocated", test_sparse_reads);
    HDR_TEST("/conv/vmdk/sparse/gte-one-without-flag-is-data", test_gte_one_without_flag_is_data);
    HDR_TEST("/conv/vmdk/header/file-too-small", test_file_too_small);
    HDR_TEST("/conv/vmdk/header/version-4-refused", test_version_4_refused);
    HDR_TEST("/conv/vmdk/header/grain-size-zero", test_grain_size_zero);
    HDR_TEST("/conv/vmdk/header/grain-size-not-power-of-two", test_grain_size_not_power_of_two);
    HDR_TEST("/conv/vmdk/header/grain-size-too-big", test_grain_size_too_big);
    HDR_TEST("/conv/vmdk/header/gtes-per-gt-zero", test_gtes_per_gt_zero);
    HDR_TEST("/conv/vmdk/header/gtes-per-gt-too-big", test_gtes_per_gt_too_big);
    HDR_TEST("/conv/vmdk/header/capacity-too-big", test_capacity_too_big);
    HDR_TEST("/conv/vmdk/header/gd-entries-too-many", test_gd_entries_too_many);
    HDR_TEST("/conv/vmdk/header/gd-offset-past-eof", test_gd_offset_past_eof);
    HDR_TEST("/conv/vmdk/header/gd-offset-huge", test_gd_offset_huge);
    HDR_TEST("/conv/vmdk/header/gd-offset-zero", test_gd_offset_zero);
    HDR_TEST("/conv/vmdk/header/gd-total-budget", test_gd_total_budget);
    HDR_TEST("/conv/vmdk/header/gt-offset-past-eof", test_gt_offset_past_eof);
    HDR_TEST("/conv/vmdk/header/grain-past-eof", test_grain_past_eof);
    HDR_TEST("/conv/vmdk/header/descriptor-size-too-big", test_descriptor_size_too_big);
    HDR_TEST("/conv/vmdk/header/descriptor-offset-past-eof", test_descriptor_offset_past_eof);
    HDR_TEST("/conv/vmdk/header/embedded-descriptor-bad", test_embedded_descriptor_bad);
    HDR_TEST("/conv/vmdk/header/newline-damaged", test_newline_damaged);
    HDR_TEST("/conv/vmdk/header/compress-algorithm-unknown", test_compress_algorithm_unknown);
    HDR_TEST("/conv/vmdk/header/overhead-past-eof", test_overhead_past_eof);
    HDR_TEST("/conv/vmdk/stream/reads", test_stream_reads);
    HDR_TEST("/conv/vmdk/stream/bad-deflate", test_stream_bad_deflate);
    HDR_TEST("/conv/vmdk/stream/compressed-size-too-big", test_stream_compressed_size_too_big);
    HDR_TEST("/conv/vmdk/stream/footer-marker-missing", test_stream_footer_marker_missing);
    HDR_TEST("/conv/vmdk/stream/eos-marker-missing", test_stream_eos_marker_missing);
    HDR_TEST("/conv/vmdk/stream/footer-gd-at-end", test_stream_footer_gd_at_end);
    HDR_TEST("/conv/vmdk/stream/too-small-for-footer", test_stream_too_small_for_footer);
    HDR_TEST("/conv/vmdk/stream/threads-agree", test_stream_threads);
    HDR_TEST("/conv/vmdk/cowd/reads-over-parent", test_cowd_reads);
    HDR_TEST("/conv/vmdk/cowd/gd-entries-too-few", test_cowd_gd_entries_too_few);
    return g_test_run();
}
