/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpc-write-priv.h: what the VHD writer's files share (and its unit test
 * reads): the options, the size and geometry rules, the planned layout and
 * the encoders.  The on-disk layout is summed up in vpc-priv.h.
 *
 * What ferry writes (offsets in bytes):
 *
 *   fixed:    0 .. size            guest data (holes where the sink can)
 *             size .. +512         footer
 *   dynamic:  0 .. 512             footer copy
 *             512 .. 1536          dynamic header
 *             1536 .. +bat_bytes   BAT, one entry per 2 MiB block, padded
 *                                  to a sector with 0xFF (unallocated)
 *             then, for each block holding data, in guest order:
 *                                  sector bitmap (512), block data (2 MiB)
 *             last 512             footer
 *
 * That is qemu-img's own layout, so the same disk converted by both has
 * its blocks at the same offsets.
 */
#pragma once

#include "conv/vpc-priv.h"
#include "conv/writer-priv.h"

G_BEGIN_DECLS

/* qemu-img's, Hyper-V's and Virtual PC's block size. */
#define VPC_WRITE_BLOCK_SIZE (2u << 20)
/* One bit per sector of a block, padded to a whole sector. */
#define VPC_WRITE_BITMAP_SIZE \
    (((VPC_WRITE_BLOCK_SIZE / VPC_SECTOR_SIZE / 8) + 511) & ~511u)
/* Azure takes only fixed VHDs whose virtual size is a whole number of MiB. */
#define VPC_WRITE_AZURE_ALIGN (G_GUINT64_CONSTANT(1) << 20)
/* VHD time stamps count seconds from 2000-01-01 00:00:00 UTC. */
#define VPC_WRITE_TIME_BASE G_GINT64_CONSTANT(946684800)
/* BAT bytes queued per write. */
#define VPC_WRITE_BAT_CHUNK (64 * 1024)

typedef struct {
    guint16 cylinders;
    guint8 heads;
    guint8 sectors_per_track;
} VpcGeometry;

/* The spec's "Appendix: CHS Calculation" for @sectors (capped at
 * 65535/16/255); the product may be smaller than @sectors. */
void vpc_geometry_from_sectors(guint64 sectors, VpcGeometry *geo);
guint64 vpc_geometry_sectors(const VpcGeometry *geo);

/**
 * vpc_write_size:
 * @src_size: the source's virtual size in bytes
 * @force_size: keep the size exact (rounded up to a sector only) and say so
 *              with creator application "qem2"; otherwise round it up to
 *              what the CHS geometry can describe, as qemu-img does
 * @azure: first round the size up to a whole MiB (implies @force_size)
 * @size: (out): the VHD's current_size
 * @geo: (out): its geometry, from the spec's algorithm
 *
 * Returns FALSE with FERRY_ERROR_INVALID when the disk is larger than a
 * VHD can hold (VPC_MAX_SECTORS, 2040 GiB).
 */
gboolean vpc_write_size(guint64 src_size, gboolean force_size, gboolean azure,
                        guint64 *size, VpcGeometry *geo, GError **error);

typedef struct {
    /* Options, immutable after plan. */
    guint32 disk_type;             /* VPC_TYPE_FIXED or VPC_TYPE_DYNAMIC */
    gboolean force_size;
    gboolean azure;

    /* Footer fields, immutable after plan. */
    guint64 size;                  /* current_size, a multiple of 512 */
    VpcGeometry geometry;
    guint32 time_stamp;
    guint8 unique_id[16];

    /* Dynamic disks: the plan. */
    guint32 n_blocks;              /* BAT entries */
    guint32 n_allocated;           /* blocks that hold data */
    guint8 *allocated;             /* one bit per block, LSB first */
    guint64 bat_bytes;             /* the BAT padded to a sector */
} VpcWriter;

static inline gboolean
vpc_write_block_allocated(const VpcWriter *w, guint64 block)
{
    return (w->allocated[block / 8] >> (block % 8)) & 1;
}

/* File offset of the first block's bitmap. */
static inline guint64
vpc_write_data_start(const VpcWriter *w)
{
    return VPC_FOOTER_SIZE + VPC_DYNAMIC_HEADER_SIZE + w->bat_bytes;
}

/* Encodes the 512-byte footer (also the dynamic disk's footer copy). */
void vpc_write_footer(const VpcWriter *w, guint8 *buf);
/* Encodes the 1024-byte dynamic disk header. */
void vpc_write_dynamic_header(const VpcWriter *w, guint8 *buf);

gboolean vpc_write_emit(ConvOutput *out, ConvSink *sink, GError **error);

G_END_DECLS
