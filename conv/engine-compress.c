/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * engine-compress.c: compressing one cluster, in the forms the writers
 * store:
 *
 * - qcow2 (docs/interop/qcow2.txt, "Compressed Clusters Descriptor" and
 *   the compression_type header field): type 0 is a raw deflate stream
 *   (qemu's are limited to a 4 KiB window; see below), type 1 one zstd
 *   frame.  A cluster that does not shrink below its own size is reported
 *   as such and the writer stores it whole.
 * - vmdk grains (VMware "Virtual Disk Format 5.0", "Stream-Optimized
 *   Compressed Sparse Extents"): a zlib stream (RFC 1950), what qemu's
 *   vmdk driver makes with compress() and inflates with uncompress().
 *
 * Compression is the slow part of a compressed conversion, so the library
 * and level are chosen by measurement (bench/convert.sh's input: 64 KiB
 * clusters of files from /usr; CPU time on one core of the 2-core build
 * VM; MB/s of input, and output size / input size):
 *
 *                                      MB/s   size
 *   zlib level 6, 4 KiB window          27   0.416   qemu-img's qcow2 -c
 *   zlib compress() level 6             23   0.396   qemu-img's vmdk grains
 *   libdeflate level 1 (raw or zlib)   144   0.424
 *   libdeflate level 2                 105   0.407
 *   libdeflate level 3                  93   0.404
 *   libdeflate level 6                  60   0.392
 *
 * The goal (issue 5) is output no more than 5% larger than qemu-img's at
 * the least CPU: libdeflate level 2 is 2.8% larger than qemu-img's vmdk
 * grains (level 1: 7%) and 2% smaller than its qcow2 clusters, at four
 * times zlib's speed, so both use it.
 *
 * qcow2's 4 KiB window: qemu deflates with windowBits -12 and inflates
 * with -12 too, while libdeflate has no window setting and refers up to
 * 32 KiB back.  zlib checks a distance against its window only when the
 * bytes it refers to have left the output buffer; qemu (every version,
 * and ferry's reader) inflates a cluster in one call into a buffer that
 * holds the whole cluster, so such streams read back exactly.
 * test-convert-qcow2-long-distance.sh keeps that checked with qemu-img on
 * clusters whose only repeats are 8 KiB apart.
 */
#include <config.h>

#include <libdeflate.h>
#include <zstd.h>

#include "conv/engine-priv.h"

/* libdeflate's level for qcow2 clusters and vmdk grains (see above). */
#define CONV_DEFLATE_LEVEL 2

/* Incompressible data (encrypted or already compressed files, random
 * bytes) costs libdeflate as much as text and gains nothing: half-random
 * disks spent 72 % of an aws:// export's CPU there.  A cluster whose
 * first CONV_DEFLATE_PROBE bytes do not shrink by 1/32 is taken as
 * incompressible (16 KiB, not less: repeats 8 KiB apart, which
 * test-convert-qcow2-long-distance.sh makes, must still be found): qcow2 stores it whole, a vmdk grain (which must be a
 * zlib stream) gets stored deflate blocks, a copy.  The decision reads the
 * cluster alone, so the output stays the same whichever thread makes it. */
#define CONV_DEFLATE_PROBE 16384

typedef struct {
    struct libdeflate_compressor *deflate;
    struct libdeflate_compressor *stored;   /* level 0, made when needed */
    guint8 probe[CONV_DEFLATE_PROBE + 64];
} ConvDeflateState;

static ConvDeflateState *
conv_deflate_state(void **state)
{
    ConvDeflateState *ds = *state;

    if (!ds) {
        ds = g_new0(ConvDeflateState, 1);
        ds->deflate = libdeflate_alloc_compressor(CONV_DEFLATE_LEVEL);
        *state = ds;
    }
    return ds->deflate ? ds : NULL;
}

static gboolean
conv_deflate_incompressible(ConvDeflateState *ds, const guint8 *src,
                            gsize in_len)
{
    gsize got;

    if (in_len < 2 * CONV_DEFLATE_PROBE)
        return FALSE;
    got = libdeflate_deflate_compress(ds->deflate, src, CONV_DEFLATE_PROBE,
                                      ds->probe, sizeof(ds->probe));
    return got == 0 || got > CONV_DEFLATE_PROBE - CONV_DEFLATE_PROBE / 32;
}

static gsize
conv_compress_deflate(const guint8 *src, gsize in_len, guint8 *dst,
                      gsize dst_len, void **state)
{
    ConvDeflateState *ds = conv_deflate_state(state);

    /* 0 when it does not fit, or will not: stored whole. */
    if (!ds || conv_deflate_incompressible(ds, src, in_len))
        return 0;
    return libdeflate_deflate_compress(ds->deflate, src, in_len, dst, dst_len);
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
    ConvDeflateState *ds = conv_deflate_state(state);

    if (!ds)
        return 0;
    if (conv_deflate_incompressible(ds, src, in_len)) {
        if (!ds->stored)
            ds->stored = libdeflate_alloc_compressor(0);
        if (ds->stored)
            return libdeflate_zlib_compress(ds->stored, src, in_len, dst,
                                            dst_len);
    }
    /* 0 when it does not fit in dst_len. */
    return libdeflate_zlib_compress(ds->deflate, src, in_len, dst, dst_len);
}

gsize
conv_compress_cluster(ConvCompression type, const guint8 *src, gsize in_len,
                      guint8 *dst, gsize dst_len, void **state)
{
    switch (type) {
    case CONV_COMPRESSION_ZLIB:
        return conv_compress_deflate(src, in_len, dst, dst_len, state);
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
        return libdeflate_deflate_compress_bound(NULL, in_len);
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
    case CONV_COMPRESSION_ZLIB_STREAM: {
        ConvDeflateState *ds = state;

        if (ds->deflate)
            libdeflate_free_compressor(ds->deflate);
        if (ds->stored)
            libdeflate_free_compressor(ds->stored);
        g_free(ds);
        return;
    }
    case CONV_COMPRESSION_ZSTD:
        ZSTD_freeCCtx(state);
        return;
    }
}
