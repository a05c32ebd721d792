/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmdk-write-priv.h: what the VMDK writer's files share (vmdk-write.c:
 * options, plan, header and descriptor; vmdk-write-sparse.c and
 * vmdk-write-stream.c: the two layouts), and what its unit test reads.
 *
 * Terms and structures are VMware's "Virtual Disk Format 5.0": a hosted
 * sparse extent header, an embedded text descriptor, a grain directory
 * (GD) of grain table (GT) sector numbers, grain tables of grain sector
 * numbers, the grains; for streamOptimized, markers before each grain and
 * each table (conv/vmdk-priv.h has the reader's constants, shared here).
 */
#pragma once

#include "conv/writer-priv.h"
#include "conv/vmdk-priv.h"

G_BEGIN_DECLS

/* 64 KiB grains and 512-entry grain tables, as qemu and VMware write. */
#define VMDK_WRITE_GRAIN_SECTORS 128ULL
#define VMDK_WRITE_GRAIN_BYTES (VMDK_WRITE_GRAIN_SECTORS * VMDK_SECTOR)
#define VMDK_WRITE_GTES_PER_GT 512ULL
#define VMDK_WRITE_GT_BYTES (VMDK_WRITE_GTES_PER_GT * 4)
#define VMDK_WRITE_GT_SECTORS (VMDK_WRITE_GT_BYTES / VMDK_SECTOR)
/* Guest bytes one grain table maps: 32 MiB. */
#define VMDK_WRITE_GT_SPAN (VMDK_WRITE_GTES_PER_GT * VMDK_WRITE_GRAIN_BYTES)
/* The embedded descriptor starts at sector 1 and has 20 sectors, as qemu
 * lays it out: room for tools that rewrite it in place (ddb.uuid.*). */
#define VMDK_WRITE_DESC_OFFSET 1ULL
#define VMDK_WRITE_DESC_SECTORS 20ULL
/* GD and GT entries are 32-bit sector numbers: nothing a table points at
 * may start beyond this sector (2 TiB into the file). */
#define VMDK_WRITE_MAX_SECTOR G_MAXUINT32
/* A grain marker: lba (8 bytes), size of the compressed data (4). */
#define VMDK_GRAIN_MARKER_BYTES 12
/* Defaults, as qemu-img: ddb.virtualHWVersion "4".  ddb.toolsVersion is
 * what qemu-img and VMware's ovftool write for "tools not installed /
 * unmanaged" (INT32_MAX); AWS VM Import refuses a streamOptimized disk
 * without it. */
#define VMDK_WRITE_DEFAULT_HWVERSION "4"
#define VMDK_WRITE_DEFAULT_TOOLSVERSION "2147483647"

typedef enum {
    VMDK_SUBFORMAT_MONOLITHIC_SPARSE,
    VMDK_SUBFORMAT_STREAM_OPTIMIZED,
} VmdkSubformat;

typedef struct {
    /* Options, immutable after plan. */
    VmdkSubformat subformat;
    const char *adapter_type;      /* static: one of vmdk_write_adapters */
    guint heads;                   /* geometry: 16 for ide, else 255 */
    char *hwversion;
    char *toolsversion;
    guint32 cid;
    char *extent_name;             /* in the descriptor's extent line */

    /* Plan (sectors unless said). */
    guint64 capacity;              /* virtual size, rounded up to a sector */
    guint64 n_grains;
    guint64 gd_entries;            /* grain tables for the whole capacity */
    guint64 gd_sectors;
    guint64 rgd_offset;            /* monolithicSparse: redundant GD */
    guint64 gd_offset;             /* monolithicSparse: GD */
    guint64 overhead;              /* the first grain */
    guint64 n_data;                /* monolithicSparse: grains holding data */

    /* Emit (the writer's thread only). */
    guint32 *gd;                   /* streamOptimized: filled as GTs land */
    guint32 *gt;                   /* streamOptimized: the GT being filled */
    guint64 gt_index;              /* which GT gt is */
    gboolean gt_used;              /* gt has an entry */
    GError *error;                 /* from on_cluster, reported by the next GT */
} VmdkWriter;

/* Encodes the 512-byte sparse extent header (or a streamOptimized footer,
 * which is the same header with the real @gd_offset). */
void vmdk_write_header(const VmdkWriter *w, guint64 gd_offset, guint8 *buf);
/* Encodes a metadata marker sector: @val sectors of type @type follow
 * (VMDK_MARKER_GT, _GD, _FOOTER), or an end-of-stream marker. */
void vmdk_write_marker(guint8 *buf, guint64 val, guint32 type);
/* The descriptor text, NUL-padded to VMDK_WRITE_DESC_SECTORS sectors. */
guint8 *vmdk_write_descriptor(const VmdkWriter *w, gsize *len);

/* Runs of grains that hold data, in order, merged across extents. */
typedef struct {
    ConvMapIter map;
    guint64 first, end;            /* the pending run, grains */
    gboolean pending;
} VmdkRunIter;

void vmdk_run_iter_init(VmdkRunIter *it, ConvImage *img, guint64 size);
/* Sets [*first, *end) to the next run; *first == *end at the end. */
gboolean vmdk_run_iter_next(VmdkRunIter *it, guint64 *first, guint64 *end,
                            GError **error);
void vmdk_run_iter_clear(VmdkRunIter *it);

gboolean vmdk_write_emit_sparse(ConvOutput *out, ConvSink *sink,
                                GError **error);
/* Sets the engine's compression and grain framing (from plan(): the
 * engine sizes its buffers from them before emit()). */
void vmdk_write_stream_frame(ConvOutput *out);
gboolean vmdk_write_emit_stream(ConvOutput *out, ConvSink *sink,
                                GError **error);

G_END_DECLS
