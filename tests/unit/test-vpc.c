/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vpc.c: the VHD reader on images built here byte by byte: every
 * footer and dynamic header check, failure cases named for the fault,
 * sector bitmaps, and differencing disks with each kind of parent locator
 * (qemu-img cannot make those, so the oracle tests cannot cover them).
 */
#include <config.h>

#include <string.h>
#include <glib/gstdio.h>

#include "conv/conv.h"

/* ---- a VHD builder -------------------------------------------------- */

#define T_BLOCK 4096u          /* small blocks keep the files small */
#define T_BITMAP 512u          /* 8 sectors of bitmap, padded to 512 */
#define T_BAT_AT 1536u

typedef struct {
    GByteArray *b;
    guint32 type;
    guint64 size;
    guint32 entries;
} Vhd;

static void
put_be16(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static void
put_be32(guint8 *p, guint32 v)
{
    put_be16(p, (guint16)(v >> 16));
    put_be16(p + 2, (guint16)v);
}

static void
put_be64(guint8 *p, guint64 v)
{
    put_be32(p, (guint32)(v >> 32));
    put_be32(p + 4, (guint32)v);
}

static guint32
vhd_sum(const guint8 *p, gsize len, gsize at)
{
    guint32 s = 0;
    gsize i;

    for (i = 0; i < len; i++) {
        if (i < at || i >= at + 4)
            s += p[i];
    }
    return ~s;
}

/* A footer for @size bytes, creator "win " (size from current_size). */
static void
vhd_footer(guint8 *f, guint32 type, guint64 size, guint64 data_offset)
{
    memset(f, 0, 512);
    memcpy(f, "conectix", 8);
    put_be32(f + 8, 2);
    put_be32(f + 12, 0x00010000);
    put_be64(f + 16, data_offset);
    memcpy(f + 28, "win ", 4);
    memcpy(f + 36, "Wi2k", 4);
    put_be64(f + 40, size);
    put_be64(f + 48, size);
    put_be16(f + 56, 1024);
    f[58] = 16;
    f[59] = 63;
    put_be32(f + 60, type);
}

static Vhd *
vhd_new(guint32 type, guint64 size)
{
    Vhd *v = g_new0(Vhd, 1);
    guint8 *h;
    gsize bat_bytes;

    v->b = g_byte_array_new();
    v->type = type;
    v->size = size;
    if (type == 2) {
        g_byte_array_set_size(v->b, size);
        memset(v->b->data, 0x5a, size);
        return v;
    }
    v->entries = (guint32)((size + T_BLOCK - 1) / T_BLOCK);
    bat_bytes = ((gsize)v->entries * 4 + 511) & ~(gsize)511;
    g_byte_array_set_size(v->b, T_BAT_AT + bat_bytes);
    memset(v->b->data, 0, v->b->len);
    vhd_footer(v->b->data, type, size, 512);
    h = v->b->data + 512;
    memcpy(h, "cxsparse", 8);
    put_be64(h + 8, G_MAXUINT64);
    put_be64(h + 16, T_BAT_AT);
    put_be32(h + 24, 0x00010000);
    put_be32(h + 28, v->entries);
    put_be32(h + 32, T_BLOCK);
    memset(v->b->data + T_BAT_AT, 0xff, bat_bytes);
    return v;
}

static void
vhd_free(Vhd *v)
{
    g_byte_array_unref(v->b);
    g_free(v);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Vhd, vhd_free)

/* Appends block @block: bitmap byte @bits (sector 0 = MSB), data @fill. */
static void
vhd_alloc_block(Vhd *v, guint32 block, guint8 bits, guint8 fill)
{
    gsize at = v->b->len;

    g_byte_array_set_size(v->b, at + T_BITMAP + T_BLOCK);
    memset(v->b->data + at, 0, T_BITMAP);
    v->b->data[at] = bits;
    memset(v->b->data + at + T_BITMAP, fill, T_BLOCK);
    put_be32(v->b->data + T_BAT_AT + 4 * block, (guint32)(at / 512));
}

/* Appends @len bytes of locator data and points entry @slot at it. */
static void
vhd_add_locator(Vhd *v, int slot, const char code[4], const guint8 *data,
                guint32 len)
{
    guint8 *e;
    gsize at = v->b->len;

    g_byte_array_set_size(v->b, at + ((len + 511) & ~511u));
    memset(v->b->data + at, 0, v->b->len - at);
    memcpy(v->b->data + at, data, len);
    e = v->b->data + 512 + 576 + 24 * slot;
    memcpy(e, code, 4);
    put_be32(e + 4, (len + 511) / 512);
    put_be32(e + 8, len);
    put_be64(e + 16, at);
}

/* Sets the parent_unicode_name (UTF-16BE). */
static void
vhd_set_parent_name(Vhd *v, const char *name)
{
    guint8 *p = v->b->data + 512 + 64;
    gsize i;

    memset(p, 0, 512);
    for (i = 0; name[i]; i++)
        put_be16(p + 2 * i, (guint8)name[i]);
}

static guint8 *
utf16le(const char *s, guint32 *len)
{
    gsize n = strlen(s), i;
    guint8 *out = g_malloc(2 * n);

    for (i = 0; i < n; i++) {
        out[2 * i] = (guint8)s[i];
        out[2 * i + 1] = 0;
    }
    *len = (guint32)(2 * n);
    return out;
}

/* Adds the footer at the end and fixes every checksum; call again after
 * changing a field (the end footer is rewritten from the copy at 0). */
static void
vhd_seal(Vhd *v)
{
    guint8 *f;

    if (v->type == 2) {
        if (v->b->len == v->size)
            g_byte_array_set_size(v->b, v->size + 512);
        f = v->b->data + v->size;
        if (memcmp(f, "conectix", 8) != 0)
            vhd_footer(f, 2, v->size, G_MAXUINT64);
        put_be32(f + 64, vhd_sum(f, 512, 64));
        return;
    }
    if (memcmp(v->b->data + v->b->len - 512, "conectix", 8) != 0 ||
        v->b->len < T_BAT_AT + 512)
        g_byte_array_set_size(v->b, v->b->len + 512);
    put_be32(v->b->data + 512 + 36, vhd_sum(v->b->data + 512, 1024, 36));
    put_be32(v->b->data + 64, vhd_sum(v->b->data, 512, 64));
    memcpy(v->b->data + v->b->len - 512, v->b->data, 512);
}

static void
vhd_write(Vhd *v, const char *path)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path, (const char *)v->b->data,
                                      (gssize)v->b->len, &error));
    g_assert_no_error(error);
}

/* ---- fixture and assertions ------------------------------------------ */

typedef struct {
    char *dir;
    char *path;
} Fx;

static void
fx_setup(Fx *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-vpc-XXXXXX", &error);
    g_assert_no_error(error);
    fx->path = g_build_filename(fx->dir, "disk.vhd", NULL);
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
    GDir *d = g_dir_open(fx->dir, 0, NULL);
    const char *name;

    /* FERRY_TEST_KEEP=1 leaves the images for a look with qemu-img. */
    if (g_getenv("FERRY_TEST_KEEP")) {
        g_printerr("kept %s\n", fx->dir);
        g_clear_pointer(&d, g_dir_close);
    }
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(fx->dir, name, NULL);

        g_unlink(p);
    }
    if (d) {
        g_dir_close(d);
        g_rmdir(fx->dir);
    }
    g_free(fx->path);
    g_free(fx->dir);
}

static void
assert_open_fails(const char *path, const char *format, FerryError code,
                  const char *field)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(path, format, &error);

    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, (gint)code);
    if (!strstr(error->message, field))
        g_error("message does not name '%s': %s", field, error->message);
}

static ConvImage *
open_ok(const char *path, const char *format)
{
    g_autoptr(GError) error = NULL;
    ConvImage *img = conv_image_open(path, format, &error);

    g_assert_no_error(error);
    return img;
}

/* ---- probe and footer -------------------------------------------------- */

static void
test_probe_dynamic_is_vpc(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);
    g_autoptr(ConvImage) img = NULL;

    vhd_seal(v);
    vhd_write(v, fx->path);
    img = open_ok(fx->path, NULL);
    g_assert_cmpstr(conv_image_get_format(img), ==, "vpc");
    g_assert_cmpuint(conv_image_get_size(img), ==, 8 * T_BLOCK);
    g_assert_cmpstr(conv_image_get_detail(img), ==, "subformat=dynamic");
}

static void
test_probe_fixed_is_raw(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(2, 64 * 1024);
    g_autoptr(ConvImage) raw = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autoptr(GError) error = NULL;
    guint8 buf[512];

    vhd_seal(v);
    vhd_write(v, fx->path);
    raw = open_ok(fx->path, NULL);
    g_assert_cmpstr(conv_image_get_format(raw), ==, "raw");
    img = open_ok(fx->path, "vpc");
    g_assert_cmpstr(conv_image_get_format(img), ==, "vpc");
    g_assert_cmpuint(conv_image_get_size(img), ==, 64 * 1024);
    g_assert_cmpstr(conv_image_get_detail(img), ==, "subformat=fixed");
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), 64 * 1024 - 512,
                                   &error));
    g_assert_no_error(error);
    g_assert_cmpint(buf[0], ==, 0x5a);
    g_assert_cmpint(buf[511], ==, 0x5a);
    g_assert_true(conv_image_chain_block_status(img, 0, 64 * 1024, ext,
                                                &error));
    g_assert_cmpuint(conv_extents_count(ext), ==, 1);
    g_assert_cmpint(conv_extents_get(ext, 0)->kind, ==, CONV_EXTENT_DATA);
}

static void
test_footer_checksum_bad(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    vhd_seal(v);
    v->b->data[64] ^= 1;
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "footer copy: checksum");
}

static void
test_footer_fixed_cookie_bad(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(2, 4096);

    vhd_seal(v);
    memcpy(v->b->data + 4096, "conectiX", 8);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, "vpc", FERRY_ERROR_CORRUPT, "cookie");
}

static void
test_footer_fixed_checksum_bad(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(2, 4096);

    vhd_seal(v);
    v->b->data[4096 + 48] ^= 0x10;      /* current_size, checksum kept */
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, "vpc", FERRY_ERROR_CORRUPT, "footer: checksum");
}

static void
test_footer_copy_disk_type_fixed(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    put_be32(v->b->data + 60, 2);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "disk_type");
}

static void
test_footer_fixed_size_past_footer(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(2, 4096);

    vhd_seal(v);
    put_be64(v->b->data + 4096 + 48, 8192);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, "vpc", FERRY_ERROR_CORRUPT, "current_size");
}

static void
test_footer_size_above_2040_gib(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    put_be64(v->b->data + 48, 2041ULL << 30);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_UNSUPPORTED, "virtual size");
}

static void
test_footer_file_smaller_than_footer(Fx *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(fx->path, "tiny", 4, &error));
    assert_open_fails(fx->path, "vpc", FERRY_ERROR_CORRUPT, "footer");
}

/* ---- dynamic header -------------------------------------------------- */

static void
test_header_checksum_bad(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    vhd_seal(v);
    v->b->data[512 + 40] ^= 1;          /* parent_unique_id, not re-summed */
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT,
                      "dynamic header: checksum");
}

static void
test_header_cookie_bad(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    memcpy(v->b->data + 512, "cxsparsE", 8);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "cxsparse");
}

static void
test_header_data_offset_past_eof(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    put_be64(v->b->data + 16, 1ULL << 40);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "data_offset");
}

static void
test_header_block_size_not_power_of_two(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    put_be32(v->b->data + 512 + 32, 3 * 4096);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "block_size");
}

static void
test_header_block_size_too_large(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    put_be32(v->b->data + 512 + 32, 1u << 31);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "block_size");
}

static void
test_header_max_table_entries_too_small(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    put_be32(v->b->data + 512 + 28, 7);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "max_table_entries");
}

static void
test_header_max_table_entries_above_limit(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    put_be32(v->b->data + 512 + 28, 0x40000000);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "max_table_entries");
}

static void
test_header_bat_past_eof(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    put_be64(v->b->data + 512 + 16, 1ULL << 33);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "table_offset");
}

static void
test_bat_entry_past_eof(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);

    vhd_alloc_block(v, 1, 0xff, 0x11);
    put_be32(v->b->data + T_BAT_AT + 4 * 5, 0x00ffffff);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "vpc BAT: entry 5");
}

/* ---- blocks and bitmaps ---------------------------------------------- */

static void
test_bitmap_dynamic_clear_bits_read_as_zero(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *buf = g_malloc(8 * T_BLOCK);
    const ConvExtent *e;
    gsize i;

    /* Block 2: sectors 0-1 and 4 written (bits 11001000). */
    vhd_alloc_block(v, 2, 0xc8, 0x77);
    vhd_alloc_block(v, 5, 0xff, 0x66);
    vhd_seal(v);
    vhd_write(v, fx->path);
    img = open_ok(fx->path, NULL);
    g_assert_true(conv_image_block_status(img, 0, 8 * T_BLOCK, ext, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(conv_extents_count(ext), ==, 7);
    e = conv_extents_get(ext, 0);
    g_assert_cmpuint(e->length, ==, 2 * T_BLOCK);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_ZERO);
    e = conv_extents_get(ext, 1);
    g_assert_cmpuint(e->start, ==, 2 * T_BLOCK);
    g_assert_cmpuint(e->length, ==, 1024);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_DATA);
    e = conv_extents_get(ext, 2);
    g_assert_cmpuint(e->length, ==, 1024);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_ZERO);
    e = conv_extents_get(ext, 3);
    g_assert_cmpuint(e->length, ==, 512);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_DATA);
    e = conv_extents_get(ext, 5);
    g_assert_cmpuint(e->start, ==, 5 * T_BLOCK);
    g_assert_cmpuint(e->length, ==, T_BLOCK);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_DATA);

    g_assert_true(conv_image_pread(img, buf, 8 * T_BLOCK, 0, &error));
    g_assert_no_error(error);
    for (i = 0; i < 8 * T_BLOCK; i++) {
        guint8 want = 0;
        gsize s = (i - 2 * T_BLOCK) / 512;

        if (i >= 2 * T_BLOCK && i < 3 * T_BLOCK && (s <= 1 || s == 4))
            want = 0x77;
        else if (i >= 5 * T_BLOCK && i < 6 * T_BLOCK)
            want = 0x66;
        if (buf[i] != want)
            g_error("byte %zu is 0x%02x, expected 0x%02x", i, buf[i], want);
    }
}

typedef struct {
    ConvImage *img;
    const guint8 *want;
    gsize len;
} ReadJob;

static gpointer
read_many_times(gpointer data)
{
    ReadJob *job = data;
    g_autofree guint8 *buf = g_malloc(job->len);
    int round;

    for (round = 0; round < 200; round++) {
        /* Start at different blocks so threads evict each other's cached
         * bitmap and BAT chunk. */
        gsize off = (gsize)((round * 7) % 8) * T_BLOCK;
        g_autoptr(GError) error = NULL;

        if (!conv_image_pread(job->img, buf, job->len - off, off, &error) ||
            memcmp(buf, job->want + off, job->len - off) != 0)
            return GINT_TO_POINTER(1);
    }
    return NULL;
}

static void
test_read_concurrent_reads_agree(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(3, 8 * T_BLOCK);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *want = g_malloc(8 * T_BLOCK);
    GThread *threads[4];
    ReadJob job;
    guint32 i;

    for (i = 0; i < 8; i += 2)
        vhd_alloc_block(v, i, (guint8)(0x0f << (i / 2)), (guint8)(0x10 + i));
    vhd_seal(v);
    vhd_write(v, fx->path);
    img = open_ok(fx->path, NULL);
    g_assert_true(conv_image_pread(img, want, 8 * T_BLOCK, 0, &error));
    g_assert_no_error(error);
    job.img = img;
    job.want = want;
    job.len = 8 * T_BLOCK;
    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        threads[i] = g_thread_new("reader", read_many_times, &job);
    for (i = 0; i < G_N_ELEMENTS(threads); i++)
        g_assert_null(g_thread_join(threads[i]));
}

/* ---- differencing ------------------------------------------------------ */

/* A dynamic parent of 4 blocks filled with 0xaa, at @path. */
static void
write_parent(const char *path)
{
    g_autoptr(Vhd) p = vhd_new(3, 4 * T_BLOCK);
    guint32 i;

    for (i = 0; i < 4; i++)
        vhd_alloc_block(p, i, 0xff, 0xaa);
    vhd_seal(p);
    vhd_write(p, path);
}

static void
test_differencing_reads_through_parent(Fx *fx, gconstpointer data)
{
    g_autofree char *parent = g_build_filename(fx->dir, "parent.vhd", NULL);
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) layer = conv_extents_new();
    g_autoptr(ConvExtents) chain = conv_extents_new();
    g_autoptr(GError) error = NULL;
    g_autofree guint8 *buf = g_malloc(4 * T_BLOCK);
    guint32 len;
    g_autofree guint8 *rel = utf16le(".\\parent.vhd", &len);
    gsize i;

    write_parent(parent);
    vhd_set_parent_name(v, "C:\\vms\\parent.vhd");
    vhd_add_locator(v, 0, "W2ru", rel, len);
    vhd_alloc_block(v, 1, 0xf0, 0xbb);     /* first half written */
    vhd_alloc_block(v, 3, 0xff, 0xcc);
    vhd_seal(v);
    vhd_write(v, fx->path);

    img = open_ok(fx->path, NULL);
    g_assert_cmpstr(conv_image_get_detail(img), ==, "subformat=differencing");
    g_assert_cmpstr(conv_image_get_backing_name(img), ==, "parent.vhd");
    g_assert_nonnull(conv_image_get_backing(img));
    g_assert_true(conv_image_block_status(img, 0, 4 * T_BLOCK, layer, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(conv_extents_count(layer), ==, 4);
    g_assert_cmpint(conv_extents_get(layer, 0)->kind, ==,
                    CONV_EXTENT_UNALLOCATED);
    g_assert_cmpuint(conv_extents_get(layer, 0)->length, ==, T_BLOCK);
    g_assert_cmpint(conv_extents_get(layer, 1)->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(conv_extents_get(layer, 1)->length, ==, T_BLOCK / 2);
    g_assert_cmpint(conv_extents_get(layer, 2)->kind, ==,
                    CONV_EXTENT_UNALLOCATED);
    g_assert_cmpint(conv_extents_get(layer, 3)->kind, ==, CONV_EXTENT_DATA);

    g_assert_true(conv_image_chain_block_status(img, 0, 4 * T_BLOCK, chain,
                                                &error));
    g_assert_cmpuint(conv_extents_count(chain), ==, 1);
    g_assert_cmpint(conv_extents_get(chain, 0)->kind, ==, CONV_EXTENT_DATA);

    g_assert_true(conv_image_pread(img, buf, 4 * T_BLOCK, 0, &error));
    g_assert_no_error(error);
    for (i = 0; i < 4 * T_BLOCK; i++) {
        guint8 want = 0xaa;

        if (i >= T_BLOCK && i < T_BLOCK + T_BLOCK / 2)
            want = 0xbb;
        else if (i >= 3 * T_BLOCK)
            want = 0xcc;
        if (buf[i] != want)
            g_error("byte %zu is 0x%02x, expected 0x%02x", i, buf[i], want);
    }
}

static void
test_differencing_parent_from_macx(Fx *fx, gconstpointer data)
{
    g_autofree char *parent = g_build_filename(fx->dir, "par ent.vhd", NULL);
    g_autofree char *escaped = g_uri_escape_string(parent, "/", FALSE);
    g_autofree char *url = g_strdup_printf("file://localhost%s", escaped);
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);
    g_autoptr(ConvImage) img = NULL;

    write_parent(parent);
    vhd_add_locator(v, 3, "MacX", (const guint8 *)url, (guint32)strlen(url));
    vhd_seal(v);
    vhd_write(v, fx->path);
    img = open_ok(fx->path, NULL);
    g_assert_cmpstr(conv_image_get_backing_name(img), ==, parent);
    g_assert_nonnull(conv_image_get_backing(img));
}

static void
test_differencing_parent_from_unicode_name(Fx *fx, gconstpointer data)
{
    g_autofree char *parent = g_build_filename(fx->dir, "base.vhd", NULL);
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);
    g_autoptr(ConvImage) img = NULL;
    guint32 len;
    g_autofree guint8 *abs = utf16le("D:\\images\\elsewhere.vhd", &len);

    write_parent(parent);
    vhd_set_parent_name(v, "D:\\images\\base.vhd");
    vhd_add_locator(v, 0, "W2ku", abs, len);
    vhd_seal(v);
    vhd_write(v, fx->path);
    img = open_ok(fx->path, NULL);
    g_assert_cmpstr(conv_image_get_backing_name(img), ==, "base.vhd");
}

static void
test_differencing_locator_past_eof(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);
    guint32 len;
    g_autofree guint8 *rel = utf16le(".\\parent.vhd", &len);

    vhd_add_locator(v, 1, "W2ru", rel, len);
    put_be64(v->b->data + 512 + 576 + 24 + 16, 1ULL << 32);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT,
                      "parent_locator_entry[1] platform_data_offset");
}

static void
test_differencing_locator_too_long(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);
    guint32 len;
    g_autofree guint8 *rel = utf16le(".\\parent.vhd", &len);

    vhd_add_locator(v, 0, "W2ku", rel, len);
    put_be32(v->b->data + 512 + 576 + 8, 1u << 20);
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT,
                      "platform_data_length");
}

static void
test_differencing_locator_bad_utf16(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);
    static const guint8 lone_surrogate[] = { 0x00, 0xd8, 0x41, 0x00 };

    vhd_add_locator(v, 0, "W2ru", lone_surrogate, sizeof(lone_surrogate));
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "UTF-16");
}

static void
test_differencing_names_no_parent(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);

    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_CORRUPT, "parent");
}

static void
test_differencing_parent_missing(Fx *fx, gconstpointer data)
{
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);

    vhd_set_parent_name(v, "gone.vhd");
    vhd_seal(v);
    vhd_write(v, fx->path);
    assert_open_fails(fx->path, NULL, FERRY_ERROR_NOT_FOUND, "gone.vhd");
}

static void
test_differencing_parent_is_fixed(Fx *fx, gconstpointer data)
{
    g_autofree char *parent = g_build_filename(fx->dir, "fixed.vhd", NULL);
    g_autoptr(Vhd) p = vhd_new(2, 4 * T_BLOCK);
    g_autoptr(Vhd) v = vhd_new(4, 4 * T_BLOCK);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(GError) error = NULL;
    guint8 buf[16];

    vhd_seal(p);
    vhd_write(p, parent);
    vhd_set_parent_name(v, "fixed.vhd");
    vhd_seal(v);
    vhd_write(v, fx->path);
    img = open_ok(fx->path, NULL);
    g_assert_true(conv_image_pread(img, buf, sizeof(buf), 3 * T_BLOCK, &error));
    g_assert_no_error(error);
    g_assert_cmpint(buf[0], ==, 0x5a);
    g_assert_cmpint(buf[15], ==, 0x5a);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)
    ADD("/conv/vpc/probe/dynamic-is-vpc", test_probe_dynamic_is_vpc);
    ADD("/conv/vpc/probe/fixed-is-raw-unless-declared", test_probe_fixed_is_raw);
    ADD("/conv/vpc/footer/footer-checksum-bad", test_footer_checksum_bad);
    ADD("/conv/vpc/footer/fixed-cookie-bad", test_footer_fixed_cookie_bad);
    ADD("/conv/vpc/footer/fixed-checksum-bad", test_footer_fixed_checksum_bad);
    ADD("/conv/vpc/footer/copy-disk-type-fixed", test_footer_copy_disk_type_fixed);
    ADD("/conv/vpc/footer/fixed-size-past-footer",
        test_footer_fixed_size_past_footer);
    ADD("/conv/vpc/footer/size-above-2040-gib", test_footer_size_above_2040_gib);
    ADD("/conv/vpc/footer/file-smaller-than-footer",
        test_footer_file_smaller_than_footer);
    ADD("/conv/vpc/header/header-checksum-bad", test_header_checksum_bad);
    ADD("/conv/vpc/header/cookie-bad", test_header_cookie_bad);
    ADD("/conv/vpc/header/data-offset-past-eof", test_header_data_offset_past_eof);
    ADD("/conv/vpc/header/block-size-not-power-of-two",
        test_header_block_size_not_power_of_two);
    ADD("/conv/vpc/header/block-size-too-large", test_header_block_size_too_large);
    ADD("/conv/vpc/header/max-table-entries-too-small",
        test_header_max_table_entries_too_small);
    ADD("/conv/vpc/header/max-table-entries-above-limit",
        test_header_max_table_entries_above_limit);
    ADD("/conv/vpc/header/bat-past-eof", test_header_bat_past_eof);
    ADD("/conv/vpc/bat/entry-past-eof", test_bat_entry_past_eof);
    ADD("/conv/vpc/bitmap/dynamic-clear-bits-read-as-zero",
        test_bitmap_dynamic_clear_bits_read_as_zero);
    ADD("/conv/vpc/read/concurrent-reads-agree", test_read_concurrent_reads_agree);
    ADD("/conv/vpc/differencing/reads-through-parent",
        test_differencing_reads_through_parent);
    ADD("/conv/vpc/differencing/parent-from-macx",
        test_differencing_parent_from_macx);
    ADD("/conv/vpc/differencing/parent-from-unicode-name",
        test_differencing_parent_from_unicode_name);
    ADD("/conv/vpc/differencing/locator-past-eof",
        test_differencing_locator_past_eof);
    ADD("/conv/vpc/differencing/locator-too-long",
        test_differencing_locator_too_long);
    ADD("/conv/vpc/differencing/locator-bad-utf16",
        test_differencing_locator_bad_utf16);
    ADD("/conv/vpc/differencing/names-no-parent", test_differencing_names_no_parent);
    ADD("/conv/vpc/differencing/parent-missing", test_differencing_parent_missing);
    ADD("/conv/vpc/differencing/parent-is-fixed", test_differencing_parent_is_fixed);
#undef ADD
    return g_test_run();
}
