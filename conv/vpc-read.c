/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpc-read.c: block status and reads for VHD images (layout in vpc-priv.h).
 *
 * Fixed disks are the file's first bytes; holes in the file are reported as
 * zeros, as qemu-img map does through the file layer.  Dynamic and
 * differencing disks go through the BAT ("Block Allocation Table") and each
 * block's sector bitmap (spec: "Dynamic Disk Header Format", "Block
 * Allocation Table and Data Blocks").  A clear bitmap bit means "never
 * written": zeros in a dynamic disk, the parent's data in a differencing
 * one.  qemu sets every bit when it allocates a block, so for qemu's images
 * an allocated block is all data, as qemu-img map reports it.
 *
 * Memory does not grow with the disk: the BAT is read 64 KiB at a time and
 * one block bitmap is kept, both under VpcPriv.lock.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conv/vpc-priv.h"

/* Loads the BAT chunk holding entry @index.  Called with priv->lock held. */
static gboolean
vpc_bat_load_chunk(ConvImage *img, VpcPriv *priv, guint64 index,
                   GError **error)
{
    guint64 first = index - index % VPC_BAT_CHUNK_ENTRIES;
    guint32 n = (guint32)MIN((guint64)VPC_BAT_CHUNK_ENTRIES,
                             priv->max_table_entries - first);
    guint32 i;

    priv->bat_chunk_first = G_MAXUINT64;
    if (!conv_file_pread(img, priv->bat_chunk, (gsize)n * 4,
                         priv->table_offset + first * 4, "vpc BAT", error))
        return FALSE;
    for (i = 0; i < n; i++)
        priv->bat_chunk[i] = GUINT32_FROM_BE(priv->bat_chunk[i]);
    priv->bat_chunk_first = first;
    priv->bat_chunk_len = n;
    return TRUE;
}

/* The file offset of block @block's bitmap, or 0 if not allocated.  Called
 * with priv->lock held.  Every entry is checked against the file size. */
static gboolean
vpc_bat_lookup(ConvImage *img, VpcPriv *priv, guint64 block,
               guint64 *bitmap_offset, GError **error)
{
    guint32 entry;
    guint64 offset;

    if (block >= priv->max_table_entries) {
        /* open() checked that the table covers the virtual size. */
        *bitmap_offset = 0;
        return TRUE;
    }
    if (priv->bat_chunk_first == G_MAXUINT64 ||
        block < priv->bat_chunk_first ||
        block >= priv->bat_chunk_first + priv->bat_chunk_len) {
        if (!vpc_bat_load_chunk(img, priv, block, error))
            return FALSE;
    }
    entry = priv->bat_chunk[block - priv->bat_chunk_first];
    if (entry == VPC_BAT_UNALLOCATED) {
        *bitmap_offset = 0;
        return TRUE;
    }
    offset = (guint64)entry * VPC_SECTOR_SIZE;
    if (offset < VPC_FOOTER_SIZE ||
        offset > img->file_size ||
        (guint64)priv->bitmap_size + priv->block_size >
            img->file_size - offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vpc BAT: entry %" G_GUINT64_FORMAT " (sector %u) "
                    "puts its block past end of file (%" G_GUINT64_FORMAT
                    " bytes)", img->path, block, entry, img->file_size);
        return FALSE;
    }
    *bitmap_offset = offset;
    return TRUE;
}

/* Checks every BAT entry at open, as qemu does (its "image has been
 * truncated" check), reading the table a chunk at a time. */
gboolean
vpc_bat_scan(ConvImage *img, GError **error)
{
    VpcPriv *priv = img->priv;
    guint64 i;

    g_mutex_lock(&priv->lock);
    for (i = 0; i < priv->max_table_entries; i++) {
        guint64 unused;

        if (!vpc_bat_lookup(img, priv, i, &unused, error)) {
            g_mutex_unlock(&priv->lock);
            return FALSE;
        }
    }
    g_mutex_unlock(&priv->lock);
    return TRUE;
}

/* Loads block @block's bitmap.  Called with priv->lock held. */
static gboolean
vpc_bitmap_load(ConvImage *img, VpcPriv *priv, guint64 block,
                guint64 bitmap_offset, GError **error)
{
    if (priv->bitmap_block == block)
        return TRUE;
    priv->bitmap_block = G_MAXUINT64;
    if (!conv_file_pread(img, priv->bitmap, priv->bitmap_size, bitmap_offset,
                         "vpc sector bitmap", error))
        return FALSE;
    priv->bitmap_block = block;
    return TRUE;
}

static inline gboolean
vpc_bitmap_test(const guint8 *bitmap, guint64 sector)
{
    return (bitmap[sector / 8] >> (7 - sector % 8)) & 1;
}

/* One piece of a block: where it is and what it holds. */
typedef struct {
    guint64 length;
    ConvExtentKind kind;
    guint64 file_offset;      /* for CONV_EXTENT_DATA */
} VpcRun;

/*
 * Describes the longest run at guest offset @off (at most @len bytes, never
 * past the end of its block) that has one kind.  Called with priv->lock
 * held.
 */
static gboolean
vpc_next_run(ConvImage *img, VpcPriv *priv, guint64 off, guint64 len,
             VpcRun *run, GError **error)
{
    guint64 block = off / priv->block_size;
    guint64 in_block = off % priv->block_size;
    guint64 avail = MIN(len, priv->block_size - in_block);
    guint64 bitmap_offset;
    guint64 sector, end_sector;
    gboolean set;

    if (!vpc_bat_lookup(img, priv, block, &bitmap_offset, error))
        return FALSE;
    if (bitmap_offset == 0) {
        run->length = avail;
        run->kind = priv->disk_type == VPC_TYPE_DIFFERENCING ?
                    CONV_EXTENT_UNALLOCATED : CONV_EXTENT_ZERO;
        return TRUE;
    }
    if (!vpc_bitmap_load(img, priv, block, bitmap_offset, error))
        return FALSE;
    /* Guest offsets are whole sectors in a VHD; a request that starts
     * mid-sector takes that sector's bit. */
    sector = in_block / VPC_SECTOR_SIZE;
    end_sector = (in_block + avail + VPC_SECTOR_SIZE - 1) / VPC_SECTOR_SIZE;
    set = vpc_bitmap_test(priv->bitmap, sector);
    while (sector + 1 < end_sector &&
           vpc_bitmap_test(priv->bitmap, sector + 1) == set)
        sector++;
    run->length = MIN((sector + 1) * VPC_SECTOR_SIZE, in_block + avail) -
                  in_block;
    if (set) {
        run->kind = CONV_EXTENT_DATA;
        run->file_offset = bitmap_offset + priv->bitmap_size + in_block;
    } else {
        run->kind = priv->disk_type == VPC_TYPE_DIFFERENCING ?
                    CONV_EXTENT_UNALLOCATED : CONV_EXTENT_ZERO;
    }
    return TRUE;
}


gboolean
vpc_block_status(ConvImage *img, guint64 off, guint64 len, ConvExtents *out,
                 GError **error)
{
    VpcPriv *priv = img->priv;
    guint64 end = off + len;

    if (priv->disk_type == VPC_TYPE_FIXED) {
        if (img->is_block_device) {
            conv_extents_append(out, off, len, CONV_EXTENT_DATA);
            return TRUE;
        }
        return conv_file_block_status(img, off, len, out, error);
    }
    g_mutex_lock(&priv->lock);
    while (off < end) {
        VpcRun run;

        if (!vpc_next_run(img, priv, off, end - off, &run, error)) {
            g_mutex_unlock(&priv->lock);
            return FALSE;
        }
        conv_extents_append(out, off, run.length, run.kind);
        off += run.length;
    }
    g_mutex_unlock(&priv->lock);
    return TRUE;
}

gboolean
vpc_pread(ConvImage *img, void *buf, gsize len, guint64 off, GError **error)
{
    VpcPriv *priv = img->priv;
    guint8 *p = buf;

    if (priv->disk_type == VPC_TYPE_FIXED)
        return conv_file_pread(img, buf, len, off, "vpc data", error);
    while (len > 0) {
        VpcRun run;

        g_mutex_lock(&priv->lock);
        if (!vpc_next_run(img, priv, off, len, &run, error)) {
            g_mutex_unlock(&priv->lock);
            return FALSE;
        }
        g_mutex_unlock(&priv->lock);
        if (run.kind == CONV_EXTENT_DATA) {
            if (!conv_file_pread(img, p, (gsize)run.length, run.file_offset,
                                 "vpc data block", error))
                return FALSE;
        } else {
            memset(p, 0, (gsize)run.length);
        }
        p += run.length;
        off += run.length;
        len -= (gsize)run.length;
    }
    return TRUE;
}
