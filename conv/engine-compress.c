/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * engine-compress.c: compressing one cluster, in the forms the writers
 * store:
 *
 * - qcow2 (docs/interop/qcow2.txt, "Compressed Clusters Descriptor" and
 *   the compression_type header field): type 0 is a raw deflate stream
 *   with a 4 KiB window (windowBits -12, as qemu writes it), type 1 one
 *   zstd frame.  A cluster that does not shrink below its own size is
 *   reported as such and the writer stores it whole.
 * - vmdk grains (VMware "Virtual Disk Format 5.0", "Stream-Optimized
 *   Compressed Sparse Extents"): a zlib stream (RFC 1950), what qemu's
 *   vmdk driver makes with compress() and inflates with uncompress().
 *
 * Compression is the slow part of a compressed conversion, so the level
 * and the library are chosen by measurement (bench/convert.sh's input:
 * 64 KiB clusters of files from /usr, one core of the 2-core build VM,
 * MB/s of input and output size / input size):
 *
 *   zlib, window 4 KiB (qcow2)   level 1: 41 MB/s 0.459   level 3: 34 MB/s 0.447
 *                                level 6: 25 MB/s 0.430 (qemu-img's level)
 *   zlib compress() (vmdk)       level 6: 22 MB/s 0.411 (qemu-img's level)
 *   libdeflate, zlib stream      level 1: 121 MB/s 0.439  level 3: 94 MB/s 0.419
 *                                level 6: 55 MB/s 0.407
 *
 * The goal is output no more than 5% larger than qemu-img's at the least
 * CPU: libdeflate level 3 for vmdk grains (2% larger than zlib's level 6,
 * four times as fast; level 1 is 7% larger), zlib level 3 for qcow2
 * (4% larger, 1.4 times as fast; level 2 is just over 5%).  libdeflate has
 * no window setting: its streams may reach 32 KiB back, which qcow2's
 * 4 KiB window forbids, so qcow2 stays with zlib (see CONV_QCOW2_ZLIB_LEVEL).
 */
#include <config.h>

#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include "conv/engine-priv.h"

/* qcow2 type 0: zlib at this level with qemu's window (4 KiB) and
 * memLevel (9).  See the table above. */
#define CONV_QCOW2_ZLIB_LEVEL 3
#define CONV_QCOW2_ZLIB_WINDOW_BITS 12
/* vmdk grains: libdeflate at this level.  See the table above. */
#define CONV_ZLIB_STREAM_LEVEL 3

static gsize
conv_compress_zlib(const guint8 *src, gsize in_len, guint8 *dst, gsize dst_len,
                   void **state)
{
    z_stream *zs = *state;
    int r;

    if (!zs) {
        zs = g_new0(z_stream, 1);
        if (deflateInit2(zs, CONV_QCOW2_ZLIB_LEVEL, Z_DEFLATED,
                         -CONV_QCOW2_ZLIB_WINDOW_BITS, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            g_free(zs);
            return 0;
        }
        *state = zs;
    } else if (deflateReset(zs) != Z_OK) {
        return 0;
    }
    zs->next_in = (Bytef *)src;
    zs->avail_in = (uInt)in_len;
    zs->next_out = dst;
    zs->avail_out = (uInt)dst_len;
    r = deflate(zs, Z_FINISH);
    if (r != Z_STREAM_END)
        return 0;                        /* did not fit: store whole */
    return dst_len - zs->avail_out;
}

static gsize
conv_compress_zstd(const guint8 *src, gsize in_len, guint8 *dst, gsize dst_len,
                   void **state)
{
    ZSTD_CCtx *cctx = *state;
    size_t r;

    if (!cctx) {
        cctx = ZSTD_createCCtx();
        if (!cctx)
            return 0;
        *state = cctx;
    }
    r = ZSTD_compressCCtx(cctx, dst, dst_len, src, in_len, ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(r))
        return 0;                        /* did not fit: store whole */
    return r;
}

static gsize
conv_compress_zlib_stream(const guint8 *src, gsize in_len, guint8 *dst,
                          gsize dst_len, void **state)
{
    struct libdeflate_compressor *c = *state;

    if (!c) {
        c = libdeflate_alloc_compressor(CONV_ZLIB_STREAM_LEVEL);
        if (!c)
            return 0;
        *state = c;
    }
    /* 0 when it does not fit in dst_len. */
    return libdeflate_zlib_compress(c, src, in_len, dst, dst_len);
}

gsize
conv_compress_cluster(ConvCompression type, const guint8 *src, gsize in_len,
                      guint8 *dst, gsize dst_len, void **state)
{
    switch (type) {
    case CONV_COMPRESSION_ZLIB:
        return conv_compress_zlib(src, in_len, dst, dst_len, state);
    case CONV_COMPRESSION_ZSTD:
        return conv_compress_zstd(src, in_len, dst, dst_len, state);
    case CONV_COMPRESSION_ZLIB_STREAM:
        return conv_compress_zlib_stream(src, in_len, dst, dst_len, state);
    }
    g_assert_not_reached();
}

gsize
conv_compress_bound(ConvCompression type, gsize in_len)
{
    switch (type) {
    case CONV_COMPRESSION_ZLIB:
        return compressBound((uLong)in_len);
    case CONV_COMPRESSION_ZSTD:
        return ZSTD_compressBound(in_len);
    case CONV_COMPRESSION_ZLIB_STREAM:
        return libdeflate_zlib_compress_bound(NULL, in_len);
    }
    g_assert_not_reached();
}

void
conv_compress_state_free(ConvCompression type, void *state)
{
    if (!state)
        return;
    switch (type) {
    case CONV_COMPRESSION_ZLIB:
        deflateEnd(state);
        g_free(state);
        return;
    case CONV_COMPRESSION_ZSTD:
        ZSTD_freeCCtx(state);
        return;
    case CONV_COMPRESSION_ZLIB_STREAM:
        libdeflate_free_compressor(state);
        return;
    }
}
