/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * writer-priv.h: what the copy engine, the sinks and the output writers
 * share.  Not for other folders (unit tests may include it).
 *
 * A writer is a struct ferry_format with plan() and emit() set.  plan()
 * takes its -o options (conv_output_take_option()) and fixes the whole
 * layout from the source's allocation map (walked in windows with
 * ConvMapIter, so memory does not grow with the disk); emit() then
 * produces the output front to back through the engine's pipeline
 * (conv_output_write_bytes(), conv_output_copy(), conv_output_skip()),
 * which reads and compresses in worker threads and writes in order.
 */
#pragma once

#include "conv/conv-priv.h"

G_BEGIN_DECLS

/* ---- sinks ------------------------------------------------------------ */

typedef struct {
    const char *name;                                   /* "file", "sha256" */
    gboolean (*write)(ConvSink *sink, const void *buf, gsize len,
                      GError **error);
    /* Leaves a hole of len bytes; only called when sink->seekable. */
    gboolean (*skip)(ConvSink *sink, guint64 len, GError **error);
    /* Rewrites earlier bytes; only called when sink->patchable. */
    gboolean (*pwrite)(ConvSink *sink, const void *buf, gsize len,
                       guint64 offset, GError **error);
    gboolean (*commit)(ConvSink *sink, GError **error);
    void (*abort)(ConvSink *sink);
    void (*free)(ConvSink *sink);                       /* priv only */
} ConvSinkOps;

struct _ConvSink {
    const ConvSinkOps *ops;     /* immutable */
    ConvSink *next;             /* the layer below (owned), or NULL */
    gboolean seekable;          /* immutable after new */
    gboolean patchable;         /* immutable after new */
    guint64 offset;             /* bytes written or skipped, kept by sink.c */
    gboolean committed;
    gboolean aborted;
    char *sha256;               /* hex, set by a hashing layer on commit */
    void *priv;
};

ConvSink *conv_sink_new(const ConvSinkOps *ops, ConvSink *next, void *priv);

/* ---- the allocation map, in windows ------------------------------------ */

/* Guest bytes of map asked for at once: a window of 1 GiB fragmented into
 * 4 KiB runs is 262144 extents (6 MiB), the worst case held in memory. */
#define CONV_MAP_WINDOW_BYTES (G_GUINT64_CONSTANT(1) << 30)

typedef struct {
    ConvImage *img;             /* borrowed */
    guint64 pos;                /* next guest byte to ask the image about */
    guint64 end;
    ConvExtents *window;
    guint index;
} ConvMapIter;

void conv_map_iter_init(ConvMapIter *it, ConvImage *img, guint64 start,
                        guint64 end);
/* Sets *ext to the next extent (DATA or ZERO, merged across windows);
 * ext->length is 0 at the end.  Returns FALSE with @error on a read error. */
gboolean conv_map_iter_next(ConvMapIter *it, ConvExtent *ext, GError **error);
void conv_map_iter_clear(ConvMapIter *it);

/* ---- outputs ----------------------------------------------------------- */

/* conv_output_copy() flags. */
enum {
    /* A chunk that reads as all zeros becomes a hole (raw output). */
    CONV_COPY_SPARSE = 1 << 0,
    /* Compress each cluster (out->cluster_size) with out->compression;
     * out->on_cluster is told where each one landed. */
    CONV_COPY_COMPRESS = 1 << 1,
};

typedef enum {
    CONV_COMPRESSION_ZLIB,      /* raw deflate (qcow2 type 0) */
    CONV_COMPRESSION_ZSTD,      /* one zstd frame per cluster (qcow2 type 1) */
    /* A zlib stream (RFC 1950: 2-byte header, deflate with a window up to
     * 32 KiB, Adler-32), what zlib's compress() makes: vmdk grains. */
    CONV_COMPRESSION_ZLIB_STREAM,
} ConvCompression;

/*
 * How CONV_COPY_COMPRESS lays each compressed cluster into the stream.  All
 * zero (the default) is qcow2's way: the bare compressed bytes, packed, and
 * a cluster that does not shrink stored whole.  A vmdk stream frames each
 * grain: a 12-byte marker before it and zeros up to the next sector.
 */
typedef struct {
    /* Bytes reserved before each compressed cluster, filled by header(). */
    gsize header_bytes;
    /* Header plus data is padded with zeros to a multiple of this (0 or 1:
     * no padding). */
    gsize align;
    /* Every cluster is stored compressed, even one that grows (a vmdk stream
     * has no way to store a grain otherwise); without it a cluster whose
     * frame is not smaller than the cluster is stored whole. */
    gboolean always;
    /* A cluster that reads as all zeros is left out of the stream; the
     * writer is not told of it (on_cluster is not called). */
    gboolean skip_zero;
    /* Fills the @header_bytes at @buf for the cluster at @guest_off whose
     * compressed data is @zlen bytes.  Runs in a worker thread: it may read
     * only what plan() fixed. */
    void (*header)(const ConvOutput *out, guint64 guest_off, gsize zlen,
                   guint8 *buf);
} ConvClusterFrame;

typedef struct _ConvEngine ConvEngine;

struct _ConvOutput {
    /* Immutable after conv_output_new(). */
    ConvImage *src;                      /* borrowed */
    const ConvConvertOptions *opts;      /* borrowed */
    const struct ferry_format *writer;
    guint64 size;                        /* virtual size of the output */
    GHashTable *options;                 /* -o key -> value, before plan */

    /* Set by plan(). */
    guint64 planned_size;
    gsize cluster_size;                  /* for CONV_COPY_COMPRESS */
    ConvCompression compression;
    ConvClusterFrame frame;
    void *priv;
    void (*priv_free)(void *priv);
    /* Called in stream order for each compressed-copy cluster: @host_off is
     * where its bytes (its frame, with a header) start in the output,
     * @stored their length, @compressed FALSE when it did not shrink and
     * was stored whole, cluster-aligned. */
    void (*on_cluster)(ConvOutput *out, guint64 guest_off, guint64 host_off,
                       gsize stored, gboolean compressed);

    /* During emit(). */
    ConvEngine *engine;
};

/* Takes (removes and returns) option @key, or NULL if not given. */
char *conv_output_take_option(ConvOutput *out, const char *key);
/* Parses a size option ("65536", "64k", "2M") into @value. */
gboolean conv_output_parse_size(const char *key, const char *text,
                                guint64 *value, GError **error);

gboolean conv_output_write_bytes(ConvOutput *out, const void *buf, gsize len,
                                 GError **error);

/* Fills @buf (room for the @max_len given to conv_output_write_late())
 * with the bytes due at output offset @host_off, and sets *@len to how many
 * there are (0 to write nothing).  Returns FALSE with @error to stop. */
typedef gboolean (*ConvLateFunc)(ConvOutput *out, guint64 host_off,
                                 guint8 *buf, gsize *len, gpointer data,
                                 GError **error);
/* Queues up to @max_len bytes whose content is made by @fill in the
 * calling thread only when everything queued before has been written (so
 * every earlier on_cluster call has been made): a table that points at
 * compressed clusters queued ahead of it, without waiting for them. */
gboolean conv_output_write_late(ConvOutput *out, gsize max_len,
                                ConvLateFunc fill, gpointer data,
                                GError **error);
/* Copies guest [@guest_off, +@len) into the output (split in chunks). */
gboolean conv_output_copy(ConvOutput *out, guint64 guest_off, guint64 len,
                          guint flags, GError **error);
/* Leaves @len bytes of zeros (a hole where the sink allows), accounting for
 * @guest_len guest bytes in the progress. */
gboolean conv_output_skip(ConvOutput *out, guint64 len, guint64 guest_len,
                          GError **error);
/* The whole guest disk as a flat image (raw, the data part of a fixed
 * VHD): data copied (zero chunks become holes), zero ranges skipped. */
gboolean conv_output_copy_flat(ConvOutput *out, GError **error);
/* Counts @guest_len guest bytes as done without output (zero ranges). */
void conv_output_account(ConvOutput *out, guint64 guest_len);
/* Waits until everything queued is in the sink. */
gboolean conv_output_flush(ConvOutput *out, GError **error);
/* The sink's offset once everything queued is written (flush first when
 * compressed copies are queued). */
guint64 conv_output_get_offset(ConvOutput *out);
/* Rewrites earlier output bytes (flushes first); needs a patchable sink. */
gboolean conv_output_pwrite(ConvOutput *out, const void *buf, gsize len,
                            guint64 offset, GError **error);

/* Big-endian stores into an output buffer. */
static inline void conv_put_be16(guint8 *p, guint16 v) { p[0] = v >> 8; p[1] = (guint8)v; }
static inline void conv_put_be32(guint8 *p, guint32 v)
{ conv_put_be16(p, (guint16)(v >> 16)); conv_put_be16(p + 2, (guint16)v); }
static inline void conv_put_be64(guint8 *p, guint64 v)
{ conv_put_be32(p, (guint32)(v >> 32)); conv_put_be32(p + 4, (guint32)v); }
/* Little-endian stores. */
static inline void conv_put_le16(guint8 *p, guint16 v) { p[0] = (guint8)v; p[1] = v >> 8; }
static inline void conv_put_le32(guint8 *p, guint32 v)
{ conv_put_le16(p, (guint16)v); conv_put_le16(p + 2, (guint16)(v >> 16)); }
static inline void conv_put_le64(guint8 *p, guint64 v)
{ conv_put_le32(p, (guint32)v); conv_put_le32(p + 4, (guint32)(v >> 32)); }

/* Writers (conv/write-raw.c, conv/qcow2-write*.c, conv/vmdk-write*.c,
 * conv/vpc-write*.c). */
extern const struct ferry_format raw_writer;
extern const struct ferry_format qcow2_writer;
extern const struct ferry_format vmdk_writer;
extern const struct ferry_format vpc_writer;

G_END_DECLS
