/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vhdx-build.c: builds small VHDX images byte by byte for test-vhdx.c
 * (layout in test-vhdx-build.h), so that each field can be broken alone.
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conv/crc32c.h"
#include "tests/unit/test-vhdx-build.h"

static const guint8 guid_bat[16] = {
    0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
    0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 };
static const guint8 guid_metadata[16] = {
    0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
    0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e };
static const guint8 guid_items[6][16] = {
    { 0x37, 0x67, 0xa1, 0xca, 0x36, 0xfa, 0x43, 0x4d,     /* file params */
      0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b },
    { 0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48,     /* virtual size */
      0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8 },
    { 0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45,     /* page 83 */
      0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46 },
    { 0x1d, 0xbf, 0x41, 0x81, 0x6f, 0xa9, 0x09, 0x47,     /* logical sector */
      0xba, 0x47, 0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f },
    { 0xc7, 0x48, 0xa3, 0xcd, 0x5d, 0x44, 0x71, 0x44,     /* physical sector */
      0x9c, 0xc9, 0xe9, 0x88, 0x52, 0x51, 0xc5, 0x56 },
    { 0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3, 0x4d, 0x45,     /* parent locator */
      0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c },
};
static const guint8 guid_locator_type[16] = {
    0xb7, 0xef, 0x4a, 0xb0, 0x9e, 0xd1, 0x81, 0x4a,
    0xb7, 0x89, 0x25, 0xb8, 0xe9, 0x44, 0x59, 0x13 };


/* ---- a VHDX builder -------------------------------------------------- */


void
put_le16(guint8 *p, guint16 v)
{
    p[0] = (guint8)v;
    p[1] = (guint8)(v >> 8);
}

void
put_le32(guint8 *p, guint32 v)
{
    put_le16(p, (guint16)v);
    put_le16(p + 2, (guint16)(v >> 16));
}

void
put_le64(guint8 *p, guint64 v)
{
    put_le32(p, (guint32)v);
    put_le32(p + 4, (guint32)(v >> 32));
}

static guint64
vx_grow(Vx *x, gsize n)
{
    guint64 at = x->len;

    x->d = g_realloc(x->d, x->len + n);
    memset(x->d + x->len, 0, n);
    x->len += n;
    return at;
}

guint8 *
vx_metadata_entry(Vx *x, int i)
{
    return x->d + X_META_AT + 32 + 32 * i;
}

/* Adds metadata item @k at region offset @off with @len bytes. */
static void
vx_item(Vx *x, int slot, int k, guint32 off, const void *val, guint32 len)
{
    guint8 *e = vx_metadata_entry(x, slot);

    memcpy(e, guid_items[k], 16);
    put_le32(e + 16, off);
    put_le32(e + 20, len);
    put_le32(e + 24, 1u << 2);         /* is_required */
    memcpy(x->d + X_META_AT + off, val, len);
}

static void
vx_header(Vx *x, guint32 at, guint64 seq)
{
    guint8 *h = x->d + at;

    memset(h, 0, 4096);
    memcpy(h, "head", 4);
    put_le64(h + 8, seq);
    h[16] = (guint8)seq;                /* file_write_guid differs */
    put_le16(h + 66, 1);
    put_le32(h + 68, MIB);
    put_le64(h + 72, X_LOG_AT);
}

static void
vx_region_table(Vx *x, guint32 at)
{
    guint8 *r = x->d + at;

    memcpy(r, "regi", 4);
    put_le32(r + 8, 2);
    memcpy(r + 16, guid_bat, 16);
    put_le64(r + 32, X_BAT_AT);
    put_le32(r + 40, MIB);
    put_le32(r + 44, 1);
    memcpy(r + 48, guid_metadata, 16);
    put_le64(r + 64, X_META_AT);
    put_le32(r + 72, MIB);
    put_le32(r + 76, 1);
}

static guint8 *
utf16le(const char *s, guint32 *len)
{
    gsize n = strlen(s), i;
    guint8 *out = g_malloc0(2 * n + 2);

    for (i = 0; i < n; i++)
        out[2 * i] = (guint8)s[i];
    *len = (guint32)(2 * n);
    return out;
}

/* Parent locator item with one key/value pair. */
void
vx_locator(Vx *x, int slot, const char *key, const char *value)
{
    guint8 item[512];
    guint32 klen, vlen;
    g_autofree guint8 *k = utf16le(key, &klen);
    g_autofree guint8 *v = utf16le(value, &vlen);

    memset(item, 0, sizeof(item));
    memcpy(item, guid_locator_type, 16);
    put_le16(item + 18, 1);
    put_le32(item + 20, 32);
    put_le32(item + 24, 32 + klen);
    put_le16(item + 28, (guint16)klen);
    put_le16(item + 30, (guint16)vlen);
    memcpy(item + 32, k, klen);
    memcpy(item + 32 + klen, v, vlen);
    vx_item(x, slot, I_LOCATOR, 0x10000 + 4096, item, sizeof(item));
}

Vx *
vx_new(guint64 size, gboolean diff)
{
    Vx *x = g_new0(Vx, 1);
    guint8 v[16];
    guint8 *m;

    x->diff = diff;
    x->size = size;
    vx_grow(x, X_DATA_AT);
    memcpy(x->d, "vhdxfile", 8);
    vx_header(x, 64 * 1024, 1);
    vx_header(x, 128 * 1024, 2);
    vx_region_table(x, 192 * 1024);
    vx_region_table(x, 256 * 1024);
    m = x->d + X_META_AT;
    memcpy(m, "metadata", 8);
    put_le16(m + 10, diff ? 6 : 5);
    put_le32(v, X_BLOCK);
    put_le32(v + 4, diff ? 2 : 0);
    vx_item(x, 0, I_PARAMS, 0x10000, v, 8);
    put_le64(v, size);
    vx_item(x, 1, I_SIZE, 0x10000 + 8, v, 8);
    memset(v, 0x42, 16);
    vx_item(x, 2, I_PAGE83, 0x10000 + 16, v, 16);
    put_le32(v, 512);
    vx_item(x, 3, I_LSS, 0x10000 + 32, v, 4);
    vx_item(x, 4, I_PSS, 0x10000 + 36, v, 4);
    if (diff)
        vx_locator(x, 5, "relative_path", ".\\parent.vhdx");
    return x;
}

void
vx_free(Vx *x)
{
    g_free(x->d);
    g_free(x);
}

static guint64
bat_index(guint64 block)
{
    return block + block / X_CHUNK_RATIO;
}

/* Sets payload block @block's state; states 6 and 7 get a fresh block
 * filled with @fill. */
void
vx_block(Vx *x, guint64 block, guint state, guint8 fill)
{
    guint64 entry = state;

    if (state == 6 || state == 7) {
        guint64 at = vx_grow(x, X_BLOCK);

        memset(x->d + at, fill, X_BLOCK);
        entry |= (at / MIB) << 20;
    }
    put_le64(x->d + X_BAT_AT + 8 * bat_index(block), entry);
}

/* Marks sectors [first, first+n) of block @block present in chunk 0's
 * sector bitmap (allocated on first use). */
void
vx_bitmap_set(Vx *x, guint64 block, guint64 first, guint64 n)
{
    guint64 s;

    if (!x->sb_at) {
        x->sb_at = vx_grow(x, MIB);
        put_le64(x->d + X_BAT_AT + 8 * X_CHUNK_RATIO,
                 ((x->sb_at / MIB) << 20) | 6);
    }
    for (s = block * (X_BLOCK / 512) + first;
         s < block * (X_BLOCK / 512) + first + n; s++)
        x->d[x->sb_at + s / 8] |= (guint8)(1u << (s % 8));
}

static void
vx_crc(guint8 *p, gsize len)
{
    put_le32(p + 4, 0);
    put_le32(p + 4, crc32c(p, len));
}

/* Recomputes both headers' and both region tables' checksums. */
void
vx_seal(Vx *x)
{
    vx_crc(x->d + 64 * 1024, 4096);
    vx_crc(x->d + 128 * 1024, 4096);
    vx_crc(x->d + 192 * 1024, 64 * 1024);
    vx_crc(x->d + 256 * 1024, 64 * 1024);
}

/* Writes only the non-zero 4 KiB pieces, so the file stays sparse. */
void
vx_write(Vx *x, const char *path)
{
    static const guint8 zero[4096];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    gsize at;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)x->len), ==, 0);
    for (at = 0; at < x->len; at += 4096) {
        gsize n = MIN((gsize)4096, x->len - at);

        if (memcmp(x->d + at, zero, n) != 0)
            g_assert_cmpint(pwrite(fd, x->d + at, n, (off_t)at), ==, (gssize)n);
    }
    close(fd);
}
