/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qcow2-compress.c: inflating one compressed qcow2 cluster.
 *
 * docs/interop/qcow2.txt, "Compressed Clusters Descriptor" and the
 * compression_type header field: zlib clusters are raw deflate streams
 * (no zlib header; qemu writes them with a 4 KiB window and ferry accepts
 * any window up to deflate's 32 KiB), zstd clusters are zstd frames.
 * "Decompression stops when it has produced a cluster of data": the
 * output buffer is exactly one cluster, so a stream can never write past
 * it, and a stream that ends early is refused.
 *
 * zlib clusters go to libdeflate first: a whole stream that ends exactly
 * at the end of the cluster (what qemu writes) inflates there at about
 * twice zlib's speed, and inflate was most of the CPU of compressed
 * qcow2 -> raw (bench/reports/convert-2026-12-06.md).  Any other outcome
 * (a stream cut where the cluster is full, a short or corrupt one) is
 * decided by zlib as before.  A stream both decoders take gives the same
 * bytes (RFC 1951 leaves a decoder no choice); they could differ only on
 * malformed Huffman tables one tolerates and the other refuses, the
 * edge of "corrupt" that qemu-img (zlib) draws.
 */
#include <config.h>

#include <string.h>
#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include "conv/qcow2-priv.h"

/* A zstd frame declares its window; qemu compresses at most 2 MiB at a
 * time, so a larger window only serves to make ferry allocate memory. */
#define QCOW2_ZSTD_WINDOW_LOG_MAX 22

static gboolean
qcow2_inflate_zlib(const guint8 *in, gsize in_len, guint8 *out, gsize out_len)
{
    z_stream strm;
    int ret;

    memset(&strm, 0, sizeof(strm));
    /* Negative window bits: a raw deflate stream, as qemu writes it. */
    if (inflateInit2(&strm, -15) != Z_OK)
        return FALSE;
    strm.next_in = (Bytef *)in;
    strm.avail_in = (uInt)in_len;
    strm.next_out = out;
    strm.avail_out = (uInt)out_len;
    ret = inflate(&strm, Z_FINISH);
    inflateEnd(&strm);
    /* qemu's rule: the stream may end with the cluster or be cut where the
     * cluster is full; anything short of a full cluster is corrupt. */
    return (ret == Z_STREAM_END || ret == Z_BUF_ERROR) && strm.avail_out == 0;
}

static gboolean
qcow2_inflate_zstd(ZSTD_DCtx *dctx, const guint8 *in, gsize in_len,
                   guint8 *out, gsize out_len)
{
    ZSTD_inBuffer input = { in, in_len, 0 };
    ZSTD_outBuffer output = { out, out_len, 0 };

    /* The last cluster may have stopped mid-frame, or failed. */
    if (ZSTD_isError(ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only)))
        return FALSE;
    /* A cluster may be several frames; stop when it is full. */
    while (output.pos < output.size) {
        gsize in_before = input.pos, out_before = output.pos;
        size_t ret = ZSTD_decompressStream(dctx, &output, &input);

        if (ZSTD_isError(ret) ||
            (input.pos == in_before && output.pos == out_before))
            return FALSE;
    }
    return TRUE;
}

struct _Qcow2Inflater {
    struct libdeflate_decompressor *deflate;
    ZSTD_DCtx *zstd;
};

void
qcow2_inflater_free(Qcow2Inflater *inflater)
{
    if (!inflater)
        return;
    if (inflater->deflate)
        libdeflate_free_decompressor(inflater->deflate);
    ZSTD_freeDCtx(inflater->zstd);
    g_free(inflater);
}

gboolean
qcow2_decompress(Qcow2CompressionType type, const guint8 *in, gsize in_len,
                 guint8 *out, gsize out_len, Qcow2Inflater **inflater)
{
    Qcow2Inflater *z;

    if (!*inflater)
        *inflater = g_new0(Qcow2Inflater, 1);
    z = *inflater;
    switch (type) {
    case QCOW2_COMPRESSION_ZLIB:
        if (!z->deflate)
            z->deflate = libdeflate_alloc_decompressor();
        /* Without actual_out_nbytes libdeflate succeeds only on a stream
         * that ends having produced exactly out_len bytes. */
        if (z->deflate &&
            libdeflate_deflate_decompress(z->deflate, in, in_len, out, out_len,
                                          NULL) == LIBDEFLATE_SUCCESS)
            return TRUE;
        return qcow2_inflate_zlib(in, in_len, out, out_len);
    case QCOW2_COMPRESSION_ZSTD:
        if (!z->zstd) {
            z->zstd = ZSTD_createDCtx();
            if (!z->zstd)
                return FALSE;
            if (ZSTD_isError(ZSTD_DCtx_setParameter(z->zstd,
                                                    ZSTD_d_windowLogMax,
                                                    QCOW2_ZSTD_WINDOW_LOG_MAX))) {
                g_clear_pointer(&z->zstd, ZSTD_freeDCtx);
                return FALSE;
            }
        }
        return qcow2_inflate_zstd(z->zstd, in, in_len, out, out_len);
    }
    return FALSE;
}
