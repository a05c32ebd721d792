/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * engine-priv.h: between engine.c (options, planning, emit) and
 * engine-pipeline.c (reader threads, ordered writes).
 */
#pragma once

#include "conv/writer-priv.h"

G_BEGIN_DECLS

/* One read is at most this long: large enough that a thread hand-off costs
 * little next to it, small enough that 16 in flight stay far below the
 * 64 MiB resident-memory goal. */
#define CONV_CHUNK_BYTES (1024 * 1024)
/* Chunks in flight (read, compressed, or waiting for their turn). */
#define CONV_PIPELINE_SLOTS 16
/* Reader/compressor threads at most. */
#define CONV_MAX_THREADS 8

/* Opens the reader handles and threads for @out writing to @sink. */
gboolean conv_engine_start(ConvOutput *out, ConvSink *sink, GError **error);
/* The first error any queued item met (owned by the caller), or NULL. */
GError *conv_engine_take_error(ConvOutput *out);
/* Waits for every worker, drops what was not written, frees the engine. */
void conv_engine_stop(ConvOutput *out);

/* Compresses one cluster of @in_len bytes into @dst (room for @dst_len);
 * returns the compressed length, or 0 if it does not fit in @dst_len.
 * *@state (NULL at first) is the compressor, kept from call to call by one
 * thread and freed with conv_compress_state_free(). */
gsize conv_compress_cluster(ConvCompression type, const guint8 *src,
                            gsize in_len, guint8 *dst, gsize dst_len,
                            void **state);
void conv_compress_state_free(ConvCompression type, void *state);
/* Room that always holds @in_len bytes compressed, however they grow. */
gsize conv_compress_bound(ConvCompression type, gsize in_len);

G_END_DECLS
