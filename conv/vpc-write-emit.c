/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpc-write-emit.c: writing the planned VHD front to back (layout in
 * vpc-write-priv.h; spec sections "Hard Disk Footer Format", "Dynamic Disk
 * Header Format", "Block Allocation Table and Data Blocks").
 *
 * Nothing is ever written twice or out of order, so the stream can go to a
 * pipe: a fixed disk is the guest bytes (zero ranges as holes where the
 * sink can seek, zeros otherwise) then the footer; a dynamic disk is the
 * footer copy, the header and the whole BAT (planned from the allocation
 * map), then each block that holds data as its sector bitmap and its 2 MiB
 * of data, then the footer.
 *
 * A block's bitmap has a bit set for each sector that holds any data in
 * the source and clear for the rest, whose bytes in the block are zeros (a
 * hole where the sink allows).  Readers that honour the bitmap (the spec,
 * ferry) read zeros there, and readers that do not (qemu reads a whole
 * allocated block) read the zeros stored there: both see the same disk.
 */
#include <config.h>

#include <string.h>

#include "conv/vpc-write-priv.h"

#define VPC_WRITE_BLOCK_SECTORS (VPC_WRITE_BLOCK_SIZE / VPC_SECTOR_SIZE)

static gboolean
vpc_emit_footer(ConvOutput *out, const VpcWriter *w, GError **error)
{
    guint8 footer[VPC_FOOTER_SIZE];

    vpc_write_footer(w, footer);
    return conv_output_write_bytes(out, footer, sizeof(footer), error);
}

static gboolean
vpc_emit_fixed(ConvOutput *out, VpcWriter *w, GError **error)
{
    if (!conv_output_copy_flat(out, error))
        return FALSE;
    /* The geometry (or a whole MiB, for Azure) may round the disk up. */
    g_assert(w->size >= out->size);
    return conv_output_skip(out, w->size - out->size, 0, error) &&
           vpc_emit_footer(out, w, error);
}

static gboolean
vpc_emit_bat(ConvOutput *out, const VpcWriter *w, GError **error)
{
    g_autofree guint8 *buf = g_malloc(VPC_WRITE_BAT_CHUNK);
    guint64 sector = vpc_write_data_start(w) / VPC_SECTOR_SIZE;
    guint64 per_block = (VPC_WRITE_BITMAP_SIZE + VPC_WRITE_BLOCK_SIZE) /
                        VPC_SECTOR_SIZE;
    gsize fill = 0, pad;
    guint64 b;

    G_STATIC_ASSERT(VPC_WRITE_BAT_CHUNK % VPC_SECTOR_SIZE == 0);
    for (b = 0; b < w->n_blocks; b++) {
        guint32 entry = VPC_BAT_UNALLOCATED;

        if (vpc_write_block_allocated(w, b)) {
            entry = (guint32)sector;     /* checked against 32 bits in plan */
            sector += per_block;
        }
        conv_put_be32(buf + fill, entry);
        fill += 4;
        if (fill == VPC_WRITE_BAT_CHUNK) {
            if (!conv_output_write_bytes(out, buf, fill, error))
                return FALSE;
            fill = 0;
        }
    }
    /* Pad the table to a whole sector with unallocated entries, as qemu
     * does; a chunk is a whole number of sectors, so the padding fits. */
    pad = (VPC_SECTOR_SIZE - fill % VPC_SECTOR_SIZE) % VPC_SECTOR_SIZE;
    memset(buf + fill, 0xff, pad);
    return conv_output_write_bytes(out, buf, fill + pad, error);
}

/* Sets the bitmap bit of every sector of block @block that holds data. */
static gboolean
vpc_block_bitmap(ConvOutput *out, guint64 block, guint8 *bitmap,
                 GError **error)
{
    guint64 g0 = block * VPC_WRITE_BLOCK_SIZE;
    ConvMapIter it;
    gboolean ok = TRUE;

    memset(bitmap, 0, VPC_WRITE_BITMAP_SIZE);
    if (g0 >= out->size)
        return TRUE;
    conv_map_iter_init(&it, out->src, g0,
                       MIN(g0 + VPC_WRITE_BLOCK_SIZE, out->size));
    for (;;) {
        ConvExtent e;
        guint64 s, last;

        ok = conv_map_iter_next(&it, &e, error);
        if (!ok || e.length == 0)
            break;
        if (e.kind != CONV_EXTENT_DATA)
            continue;
        last = (e.start + e.length - 1 - g0) / VPC_SECTOR_SIZE;
        for (s = (e.start - g0) / VPC_SECTOR_SIZE; s <= last; s++)
            bitmap[s / 8] |= 0x80 >> (s % 8);     /* MSB first (spec) */
    }
    conv_map_iter_clear(&it);
    return ok;
}

static gboolean
vpc_bitmap_test(const guint8 *bitmap, guint64 s)
{
    return (bitmap[s / 8] >> (7 - s % 8)) & 1;
}

/* Writes block @block: its bitmap, then its sectors, each run of set bits
 * copied from the source and each run of clear bits left zero. */
static gboolean
vpc_emit_block(ConvOutput *out, guint64 block, guint8 *bitmap, GError **error)
{
    guint64 g0 = block * VPC_WRITE_BLOCK_SIZE;
    guint64 s = 0;

    if (!vpc_block_bitmap(out, block, bitmap, error) ||
        !conv_output_write_bytes(out, bitmap, VPC_WRITE_BITMAP_SIZE, error))
        return FALSE;
    while (s < VPC_WRITE_BLOCK_SECTORS) {
        gboolean set = vpc_bitmap_test(bitmap, s);
        guint64 t = s + 1, start, end, in_src;

        while (t < VPC_WRITE_BLOCK_SECTORS && vpc_bitmap_test(bitmap, t) == set)
            t++;
        start = g0 + s * VPC_SECTOR_SIZE;
        end = g0 + t * VPC_SECTOR_SIZE;
        /* Source bytes in the run: none past the source's end, which the
         * geometry or the last block's padding may pass. */
        in_src = start < out->size ? MIN(end, out->size) - start : 0;
        if (set) {
            if (!conv_output_copy(out, start, in_src, CONV_COPY_SPARSE, error) ||
                !conv_output_skip(out, (end - start) - in_src, 0, error))
                return FALSE;
        } else if (!conv_output_skip(out, end - start, in_src, error)) {
            return FALSE;
        }
        s = t;
    }
    return TRUE;
}

static gboolean
vpc_emit_dynamic(ConvOutput *out, VpcWriter *w, GError **error)
{
    g_autofree guint8 *buf = g_malloc(MAX(VPC_DYNAMIC_HEADER_SIZE,
                                          VPC_WRITE_BITMAP_SIZE));
    guint64 unaccounted = 0;        /* guest bytes of skipped blocks */
    guint64 b;

    vpc_write_dynamic_header(w, buf);
    if (!vpc_emit_footer(out, w, error) ||
        !conv_output_write_bytes(out, buf, VPC_DYNAMIC_HEADER_SIZE, error) ||
        !vpc_emit_bat(out, w, error))
        return FALSE;
    for (b = 0; b < w->n_blocks; b++) {
        guint64 g0 = b * VPC_WRITE_BLOCK_SIZE;

        if (!vpc_write_block_allocated(w, b)) {
            if (g0 < out->size)
                unaccounted += MIN(VPC_WRITE_BLOCK_SIZE, out->size - g0);
            continue;
        }
        conv_output_account(out, unaccounted);
        unaccounted = 0;
        if (!vpc_emit_block(out, b, buf, error))
            return FALSE;
    }
    conv_output_account(out, unaccounted);
    return vpc_emit_footer(out, w, error);
}

gboolean
vpc_write_emit(ConvOutput *out, ConvSink *sink, GError **error)
{
    VpcWriter *w = out->priv;

    (void)sink;         /* everything goes through the engine, in order */
    if (w->disk_type == VPC_TYPE_FIXED)
        return vpc_emit_fixed(out, w, error);
    return vpc_emit_dynamic(out, w, error);
}
