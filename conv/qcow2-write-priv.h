/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qcow2-write-priv.h: what the qcow2 writer's files share (and its unit
 * test reads): the options, the planned layout, and the emit state.
 */
#pragma once

#include "conv/writer-priv.h"

G_BEGIN_DECLS

#define QCOW2_WRITE_MIN_CLUSTER_BITS 9       /* 512 bytes */
#define QCOW2_WRITE_MAX_CLUSTER_BITS 21      /* 2 MiB */
#define QCOW2_WRITE_DEFAULT_CLUSTER_BITS 16  /* 64 KiB, as qemu-img */
/* qemu refuses to open an image whose L1 table is larger (QCOW_MAX_L1_SIZE). */
#define QCOW2_WRITE_MAX_L1_BYTES (32 * 1024 * 1024)
/* ferry writes 16-bit refcounts (refcount_order 4), the only width v2 has. */
#define QCOW2_WRITE_REFCOUNT_ORDER 4

#define QCOW2_OFLAG_COPIED (G_GUINT64_CONSTANT(1) << 63)
#define QCOW2_OFLAG_COMPRESSED (G_GUINT64_CONSTANT(1) << 62)
#define QCOW2_INCOMPAT_COMPRESSION (G_GUINT64_CONSTANT(1) << 3)

/* Where everything goes, in clusters, fixed before the first byte.
 *   0                      header (and an empty header extension area)
 *   l1_start .. +l1        L1 table
 *   rt_start .. +rt        refcount table
 *   rb_start .. +rb        refcount blocks
 *   data_start ..          per used L1 entry: its L2 table, then its data
 *                          clusters in guest order (compressed output:
 *                          the data first, packed, then the L2 table)
 */
typedef struct {
    guint cluster_bits;
    guint64 cluster_size;
    guint64 l1_size;               /* entries */
    guint64 l1_start, l1_clusters;
    guint64 rt_start, rt_clusters;
    guint64 rb_start, rb_clusters;
    guint64 data_start;
    guint64 total_clusters;        /* uncompressed: exact; compressed: at most */
} Qcow2Layout;

/**
 * qcow2_write_layout:
 * @size: virtual size in bytes; @cluster_bits: 9..21
 * @n_l2: L2 tables needed; @n_data: data clusters
 * @compressed: size the refcount blocks for the worst case of packed
 *              compressed output (each data cluster and L2 table may also
 *              need a cluster of alignment padding)
 *
 * Returns FALSE with FERRY_ERROR_INVALID when the L1 table would exceed
 * QCOW2_WRITE_MAX_L1_BYTES.
 */
gboolean qcow2_write_layout(guint64 size, guint cluster_bits, guint64 n_l2,
                            guint64 n_data, gboolean compressed,
                            Qcow2Layout *lay, GError **error);

typedef struct {
    /* Options, immutable after plan. */
    guint version;                 /* 2 (compat=0.10) or 3 (compat=1.1) */
    gboolean compress;
    ConvCompression compression;
    gboolean zstd_header;          /* compression_type field written */
    guint64 size;                  /* virtual size, rounded up to 512 */

    /* Plan. */
    Qcow2Layout lay;
    guint32 *counts;               /* data clusters per L1 entry */
    guint64 n_l2;
    guint64 n_data;

    /* Emit (writer thread only). */
    ConvSink *sink;
    guint64 *l2;                   /* the L2 table being built, host order */
    guint64 region_start;          /* guest offset that l2[0] maps */
    guint16 *rb;                   /* compressed: the refcount block being built */
    guint64 rb_index;
    gboolean rb_dirty;
    GError *error;                 /* from a callback, reported after flush */
} Qcow2Writer;

/* Encodes the header (and zero padding) into @buf of cluster_size bytes. */
void qcow2_write_header(const Qcow2Writer *w, guint8 *buf);

gboolean qcow2_write_emit(ConvOutput *out, ConvSink *sink, GError **error);

G_END_DECLS
