/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qcow2-priv.h: what the qcow2 reader's files share (qcow2.c reads the
 * header, qcow2-cluster.c maps guest offsets through the L1/L2 tables and
 * reads clusters).  Unit tests may include it; nothing else should.
 *
 * Names follow qemu's docs/interop/qcow2.txt ("Header", "Cluster mapping",
 * "Extended L2 Entries"); every limit below says which rule or which qemu
 * implementation limit it enforces.
 */
#pragma once

#include "conv/conv-priv.h"

G_BEGIN_DECLS

#define QCOW2_MAGIC "QFI\xfb"
#define QCOW2_MAGIC_LEN 4

/* "Header": version 2 ends at byte 72, version 3 is at least 104 bytes. */
#define QCOW2_V2_HEADER_LENGTH 72
#define QCOW2_V3_MIN_HEADER_LENGTH 104
/* The compression_type field is present when header_length > 104. */
#define QCOW2_COMPRESSION_TYPE_OFFSET 104

/* cluster_bits: the spec's minimum (512 bytes) and qemu's 2 MiB limit. */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
/* Extended L2 entries need subclusters of at least 512 bytes. */
#define QCOW2_MIN_CLUSTER_BITS_EXTENDED_L2 14
#define QCOW2_SUBCLUSTERS_PER_CLUSTER 32

/* qemu's implementation limits (QCOW_MAX_L1_SIZE, QCOW_MAX_REFTABLE_SIZE,
 * QCOW_MAX_SNAPSHOTS); an image qemu cannot open is refused here too. */
#define QCOW2_MAX_L1_BYTES (32u * 1024 * 1024)
#define QCOW2_MAX_REFTABLE_BYTES (8u * 1024 * 1024)
#define QCOW2_MAX_SNAPSHOTS 65536u
/* The smallest snapshot table entry ("Snapshots": bytes 0-39). */
#define QCOW2_MIN_SNAPSHOT_ENTRY_BYTES 40u

/* "backing_file_size ... must not be longer than 1023 bytes". */
#define QCOW2_MAX_BACKING_NAME 1023u
/* qemu keeps the backing format in a 16-byte buffer. */
#define QCOW2_MAX_BACKING_FORMAT 15u
/* External data file names are paths. */
#define QCOW2_MAX_DATA_FILE_NAME 4095u
/* refcount_order "may not exceed 6". */
#define QCOW2_MAX_REFCOUNT_ORDER 6u

/* Header extension types ("Header extensions"). */
#define QCOW2_EXT_END 0x00000000u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u
#define QCOW2_EXT_BITMAPS 0x23852875u
#define QCOW2_EXT_CRYPTO_HEADER 0x0537be77u
#define QCOW2_EXT_DATA_FILE 0x44415441u
/* One feature name table entry: type, bit, 46-byte name. */
#define QCOW2_FEATURE_ENTRY_BYTES 48u
#define QCOW2_FEATURE_NAME_BYTES 46u

/* incompatible_features bits. */
#define QCOW2_INCOMPAT_DIRTY (G_GUINT64_CONSTANT(1) << 0)
#define QCOW2_INCOMPAT_CORRUPT (G_GUINT64_CONSTANT(1) << 1)
#define QCOW2_INCOMPAT_DATA_FILE (G_GUINT64_CONSTANT(1) << 2)
#define QCOW2_INCOMPAT_COMPRESSION (G_GUINT64_CONSTANT(1) << 3)
#define QCOW2_INCOMPAT_EXTENDED_L2 (G_GUINT64_CONSTANT(1) << 4)
#define QCOW2_INCOMPAT_KNOWN (G_GUINT64_CONSTANT(0x1f))
/* autoclear_features bits. */
#define QCOW2_AUTOCLEAR_BITMAPS (G_GUINT64_CONSTANT(1) << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (G_GUINT64_CONSTANT(1) << 1)

typedef enum {
    QCOW2_COMPRESSION_ZLIB = 0,
    QCOW2_COMPRESSION_ZSTD = 1,
} Qcow2CompressionType;

/* "L1 table entry" bits 9-55 and "Standard Cluster Descriptor" bits 9-55. */
#define QCOW2_OFFSET_MASK G_GUINT64_CONSTANT(0x00fffffffffffe00)
#define QCOW2_OFLAG_COPIED (G_GUINT64_CONSTANT(1) << 63)
#define QCOW2_OFLAG_COMPRESSED (G_GUINT64_CONSTANT(1) << 62)
#define QCOW2_OFLAG_ZERO (G_GUINT64_CONSTANT(1) << 0)

/* The L2 cache holds slices of L2 tables, so that its memory does not
 * depend on the cluster size: at most 32 slices of 64 KiB (2 MiB). */
#define QCOW2_L2_SLICE_BYTES (64u * 1024)
#define QCOW2_L2_CACHE_SLICES 32u

/* The header, host-endian, as qcow2_header_decode() checked it. */
typedef struct {
    guint32 version;
    guint64 backing_file_offset;
    guint32 backing_file_size;
    guint32 cluster_bits;
    guint64 size;
    guint32 crypt_method;
    guint32 l1_size;
    guint64 l1_table_offset;
    guint64 refcount_table_offset;
    guint32 refcount_table_clusters;
    guint32 nb_snapshots;
    guint64 snapshots_offset;
    /* Version 3 fields; version 2 implies 0, 0, 0, 4, 72, zlib. */
    guint64 incompatible_features;
    guint64 compatible_features;
    guint64 autoclear_features;
    guint32 refcount_order;
    guint32 header_length;
    Qcow2CompressionType compression_type;

    /* From the rest of the first cluster (owned, NULL when absent). */
    char *backing_name;          /* backing_file_offset/size */
    char *backing_format;        /* QCOW2_EXT_BACKING_FORMAT */
    char *data_file;             /* QCOW2_EXT_DATA_FILE */
} Qcow2Header;

void qcow2_header_clear(Qcow2Header *hdr);

/**
 * qcow2_header_decode:
 * @path: the image, for messages
 * @buf: the first min(file size, cluster size) bytes of the file (callers
 *       that do not know the cluster size yet pass what they have; a
 *       buffer too short for the header is refused)
 * @len: bytes in @buf
 * @file_size: the image file's size, for bounds checks
 * @hdr: (out): filled on success; clear it with qcow2_header_clear()
 * @error: FERRY_ERROR_CORRUPT for a header that breaks the spec,
 *         FERRY_ERROR_UNSUPPORTED for a valid one ferry will not read
 *         (encryption, unknown incompatible features, version)
 *
 * Checks every field against the spec, the named limits and @file_size,
 * walks the header extensions, and reads the backing file name.
 */
gboolean qcow2_header_decode(const char *path, const guint8 *buf, gsize len,
                             guint64 file_size, Qcow2Header *hdr,
                             GError **error);

/* The qcow2 layer's state, img->priv. */
typedef struct _Qcow2L2Slice Qcow2L2Slice;

typedef struct {
    /* Immutable after open. */
    Qcow2Header hdr;
    guint64 cluster_size;
    guint cluster_bits;
    gboolean extended_l2;
    guint l2_entry_bytes;          /* 8, or 16 with extended L2 entries */
    guint64 l2_entries;            /* entries per L2 table */
    guint64 slice_entries;         /* entries per cached slice */
    guint64 subcluster_size;       /* cluster_size / 32 with extended L2 */
    guint64 *l1;                   /* host-endian, l1_entries of them */
    guint64 l1_entries;            /* those that cover the virtual size */
    guint csize_shift;             /* compressed descriptor layout */
    guint64 csize_mask;
    guint64 coffset_mask;
    int data_fd;                   /* external data file, or -1 */
    char *data_path;
    guint64 data_file_size;

    /* Guarded by lock: the L2 slice cache and the last decompressed
     * cluster.  Callers may read from several threads. */
    GMutex lock;
    Qcow2L2Slice *slices;          /* QCOW2_L2_CACHE_SLICES of them */
    guint64 lru_clock;
    guint64 zcache_cluster;        /* guest cluster index, or G_MAXUINT64 */
    guint8 *zcache;                /* cluster_size bytes, or NULL */
    /* An idle inflater, taken by one reader at a time (NULL while taken
     * or not made yet). */
    struct _Qcow2Inflater *inflater;
} Qcow2Priv;

/* qcow2-cluster.c */
/* Reads and checks the L1 table and sets up the cache; @img->priv is not
 * set yet. */
gboolean qcow2_cluster_init(ConvImage *img, Qcow2Priv *priv, GError **error);
void qcow2_cluster_fini(Qcow2Priv *priv);
gboolean qcow2_block_status(ConvImage *img, guint64 off, guint64 len,
                            ConvExtents *out, GError **error);
gboolean qcow2_pread(ConvImage *img, void *buf, gsize len, guint64 off,
                     GError **error);

/* qcow2-compress.c: a decompressor (zlib or zstd) kept between clusters. */
typedef struct _Qcow2Inflater Qcow2Inflater;
void qcow2_inflater_free(Qcow2Inflater *inflater);
/* Inflates one compressed cluster into @out (@out_len bytes exactly);
 * FALSE on a bad stream, with no error set.  *@inflater (NULL at first) is
 * made on first use and kept by the caller from call to call. */
gboolean qcow2_decompress(Qcow2CompressionType type, const guint8 *in,
                          gsize in_len, guint8 *out, gsize out_len,
                          Qcow2Inflater **inflater);

G_END_DECLS
