/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * engine-compress.c: compressing one cluster, as qcow2 stores it
 * (docs/interop/qcow2.txt, "Compressed Clusters Descriptor" and the
 * compression_type header field): type 0 is a raw deflate stream with a
 * 4 KiB window (windowBits -12, as qemu writes it), type 1 one zstd frame.
 * A cluster that does not shrink below its own size is reported as such
 * and the writer stores it whole.
 */
#include <config.h>

#include <zlib.h>
#include <zstd.h>

#include "conv/engine-priv.h"

static gsize
conv_compress_zlib(const guint8 *src, gsize in_len, guint8 *dst, gsize dst_len,
                   void **state)
{
    z_stream *zs = *state;
    int r;

    if (!zs) {
        zs = g_new0(z_stream, 1);
        if (deflateInit2(zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
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

gsize
conv_compress_cluster(ConvCompression type, const guint8 *src, gsize in_len,
                      guint8 *dst, gsize dst_len, void **state)
{
    switch (type) {
    case CONV_COMPRESSION_ZLIB:
        return conv_compress_zlib(src, in_len, dst, dst_len, state);
    case CONV_COMPRESSION_ZSTD:
        return conv_compress_zstd(src, in_len, dst, dst_len, state);
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
    }
}
