/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vhdx-read.c: block status and reads for VHDX images (layout in
 * vhdx-priv.h), following [MS-VHDX] 2.5 (BAT), 2.5.1.1 (payload block
 * states) and 2.5.1.2 / 2.4.2 (sector bitmap blocks).
 *
 * Payload block states map to extents as follows:
 *   NOT_PRESENT          zero; in a differencing disk, unallocated (parent)
 *   UNDEFINED, ZERO, UNMAPPED (and the 0.95 draft's 5)
 *                        zero (the spec allows zeros; qemu reads zeros)
 *   FULLY_PRESENT        data at file_offset_mb, where the file has no hole
 *   PARTIALLY_PRESENT    differencing only: per sector, data where the
 *                        sector bitmap bit is set, unallocated where clear
 * qemu has no block status for VHDX and reports every range as data; ferry
 * is more precise, and reads the same bytes.
 *
 * Memory does not grow with the disk: the BAT is read 64 KiB at a time and
 * one block's slice of a sector bitmap is kept, under VhdxPriv.lock.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conv/vhdx-priv.h"

/* BAT entry @index, host-endian.  Called with priv->lock held; open()
 * made sure every index the disk uses fits in the BAT region. */
static gboolean
vhdx_bat_get(ConvImage *img, VhdxPriv *priv, guint64 index, guint64 *entry,
             GError **error)
{
    if (priv->bat_chunk_first == G_MAXUINT64 ||
        index < priv->bat_chunk_first ||
        index >= priv->bat_chunk_first + priv->bat_chunk_len) {
        guint64 first = index - index % VHDX_BAT_CHUNK_ENTRIES;
        guint32 n = (guint32)MIN((guint64)VHDX_BAT_CHUNK_ENTRIES,
                                 priv->bat_entries - first);
        guint32 i;

        priv->bat_chunk_first = G_MAXUINT64;
        if (!conv_file_pread(img, priv->bat_chunk, (gsize)n * 8,
                             priv->bat_offset + first * 8, "vhdx BAT", error))
            return FALSE;
        for (i = 0; i < n; i++)
            priv->bat_chunk[i] = GUINT64_FROM_LE(priv->bat_chunk[i]);
        priv->bat_chunk_first = first;
        priv->bat_chunk_len = n;
    }
    *entry = priv->bat_chunk[index - priv->bat_chunk_first];
    return TRUE;
}

/* The file offset of a block that BAT entry @index says is present, checked
 * to lie past the headers and, for @need bytes, inside the file. */
static gboolean
vhdx_bat_offset(ConvImage *img, guint64 index, guint64 entry, guint64 need,
                guint64 *offset, GError **error)
{
    guint64 at = (entry >> 20) * VHDX_MIB;

    if (at < VHDX_MIB || at > img->file_size || need > img->file_size - at) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx BAT: entry %" G_GUINT64_FORMAT " file_offset_mb %"
                    G_GUINT64_FORMAT " puts its block outside the file (%"
                    G_GUINT64_FORMAT " bytes)", img->path, index, entry >> 20,
                    img->file_size);
        return FALSE;
    }
    *offset = at;
    return TRUE;
}

typedef struct {
    guint64 length;
    ConvExtentKind kind;
    guint64 file_offset;      /* for CONV_EXTENT_DATA */
} VhdxRun;

static inline gboolean
vhdx_bitmap_test(const guint8 *bitmap, guint64 sector)
{
    return (bitmap[sector / 8] >> (sector % 8)) & 1;
}

/* Partially present block @block (differencing only): loads its slice of
 * the chunk's sector bitmap.  Called with priv->lock held. */
static gboolean
vhdx_bitmap_load(ConvImage *img, VhdxPriv *priv, guint64 block,
                 GError **error)
{
    guint64 chunk = block / priv->chunk_ratio;
    guint64 index = chunk * (priv->chunk_ratio + 1) + priv->chunk_ratio;
    guint64 slice = priv->block_size / priv->logical_sector_size / 8;
    guint64 entry, offset;

    if (priv->bitmap_block == block)
        return TRUE;
    priv->bitmap_block = G_MAXUINT64;
    if (!vhdx_bat_get(img, priv, index, &entry, error))
        return FALSE;
    if ((entry & 7) != VHDX_SB_PRESENT) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vhdx BAT: payload block %" G_GUINT64_FORMAT " is "
                    "partially present but its sector bitmap entry %"
                    G_GUINT64_FORMAT " has state %u, not present (6)",
                    img->path, block, index, (guint)(entry & 7));
        return FALSE;
    }
    if (!vhdx_bat_offset(img, index, entry, VHDX_MIB, &offset, error))
        return FALSE;
    if (!conv_file_pread(img, priv->bitmap, (gsize)slice,
                         offset + (block % priv->chunk_ratio) * slice,
                         "vhdx sector bitmap", error))
        return FALSE;
    priv->bitmap_block = block;
    return TRUE;
}

/* Describes the longest run of one kind at guest offset @off, at most @len
 * bytes and never past its block.  Called with priv->lock held. */
static gboolean
vhdx_next_run(ConvImage *img, VhdxPriv *priv, guint64 off, guint64 len,
              VhdxRun *run, GError **error)
{
    guint64 block = off / priv->block_size;
    guint64 in_block = off % priv->block_size;
    guint64 avail = MIN(len, priv->block_size - in_block);
    guint64 index = block + block / priv->chunk_ratio;
    guint64 block_bytes = MIN((guint64)priv->block_size,
                              img->size - block * priv->block_size);
    guint64 entry, offset, lss = priv->logical_sector_size;
    guint64 sector, end_sector;
    gboolean set;
    guint state;

    if (!vhdx_bat_get(img, priv, index, &entry, error))
        return FALSE;
    state = entry & 7;
    run->length = avail;
    switch (state) {
    case VHDX_PAYLOAD_NOT_PRESENT:
        run->kind = priv->has_parent ? CONV_EXTENT_UNALLOCATED :
                                       CONV_EXTENT_ZERO;
        return TRUE;
    case VHDX_PAYLOAD_UNDEFINED:
    case VHDX_PAYLOAD_ZERO:
    case VHDX_PAYLOAD_UNMAPPED:
    case VHDX_PAYLOAD_UNMAPPED_V095:
        run->kind = CONV_EXTENT_ZERO;
        return TRUE;
    case VHDX_PAYLOAD_FULLY_PRESENT:
        if (!vhdx_bat_offset(img, index, entry, block_bytes, &offset, error))
            return FALSE;
        run->kind = CONV_EXTENT_DATA;
        run->file_offset = offset + in_block;
        return TRUE;
    case VHDX_PAYLOAD_PARTIALLY_PRESENT:
        if (!priv->has_parent) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vhdx BAT: entry %" G_GUINT64_FORMAT " is "
                        "partially present (7) in a disk with no parent",
                        img->path, index);
            return FALSE;
        }
        if (!vhdx_bat_offset(img, index, entry, block_bytes, &offset, error) ||
            !vhdx_bitmap_load(img, priv, block, error))
            return FALSE;
        sector = in_block / lss;
        end_sector = (in_block + avail + lss - 1) / lss;
        set = vhdx_bitmap_test(priv->bitmap, sector);
        while (sector + 1 < end_sector &&
               vhdx_bitmap_test(priv->bitmap, sector + 1) == set)
            sector++;
        run->length = MIN((sector + 1) * lss, in_block + avail) - in_block;
        run->kind = set ? CONV_EXTENT_DATA : CONV_EXTENT_UNALLOCATED;
        run->file_offset = offset + in_block;
        return TRUE;
    }
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                "%s: vhdx BAT: entry %" G_GUINT64_FORMAT " has reserved "
                "state %u", img->path, index, state);
    return FALSE;
}

/* Appends a data run at guest @off, splitting out the file's holes (they
 * read as zeros) with SEEK_DATA/SEEK_HOLE; without them, all data. */
static gboolean
vhdx_append_data(ConvImage *img, guint64 off, guint64 len, guint64 file_off,
                 ConvExtents *out, GError **error)
{
    guint64 pos = file_off, end = file_off + len;

    if (img->is_block_device) {
        conv_extents_append(out, off, len, CONV_EXTENT_DATA);
        return TRUE;
    }
    while (pos < end) {
        off_t data = lseek(img->fd, (off_t)pos, SEEK_DATA);
        off_t hole;

        if (data == (off_t)-1) {
            conv_extents_append(out, off + (pos - file_off), end - pos,
                                errno == ENXIO ? CONV_EXTENT_ZERO :
                                                 CONV_EXTENT_DATA);
            return TRUE;
        }
        if ((guint64)data > pos)
            conv_extents_append(out, off + (pos - file_off),
                                MIN((guint64)data, end) - pos,
                                CONV_EXTENT_ZERO);
        if ((guint64)data >= end)
            return TRUE;
        hole = lseek(img->fd, data, SEEK_HOLE);
        if (hole == (off_t)-1) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "lseek SEEK_HOLE: %s: %s", img->path, g_strerror(errno));
            return FALSE;
        }
        conv_extents_append(out, off + ((guint64)data - file_off),
                            MIN((guint64)hole, end) - (guint64)data,
                            CONV_EXTENT_DATA);
        pos = MIN((guint64)hole, end);
    }
    return TRUE;
}

gboolean
vhdx_block_status(ConvImage *img, guint64 off, guint64 len, ConvExtents *out,
                  GError **error)
{
    VhdxPriv *priv = img->priv;
    guint64 end = off + len;

    while (off < end) {
        VhdxRun run;
        gboolean ok;

        g_mutex_lock(&priv->lock);
        ok = vhdx_next_run(img, priv, off, end - off, &run, error);
        g_mutex_unlock(&priv->lock);
        if (!ok)
            return FALSE;
        if (run.kind == CONV_EXTENT_DATA) {
            if (!vhdx_append_data(img, off, run.length, run.file_offset, out,
                                  error))
                return FALSE;
        } else {
            conv_extents_append(out, off, run.length, run.kind);
        }
        off += run.length;
    }
    return TRUE;
}

gboolean
vhdx_pread(ConvImage *img, void *buf, gsize len, guint64 off, GError **error)
{
    VhdxPriv *priv = img->priv;
    guint8 *p = buf;

    while (len > 0) {
        VhdxRun run;
        gboolean ok;

        g_mutex_lock(&priv->lock);
        ok = vhdx_next_run(img, priv, off, len, &run, error);
        g_mutex_unlock(&priv->lock);
        if (!ok)
            return FALSE;
        if (run.kind == CONV_EXTENT_DATA) {
            if (!conv_file_pread(img, p, (gsize)run.length, run.file_offset,
                                 "vhdx payload block", error))
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
