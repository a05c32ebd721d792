/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vhdx-priv.h: what vhdx.c (headers, region table, metadata, log) and
 * vhdx-read.c (BAT, sector bitmaps, block status, reads) share.
 *
 * Layout of a VHDX file ([MS-VHDX] section 2; all fields little-endian,
 * GUIDs in their mixed-endian on-disk form):
 *
 *   0        file type identifier: "vhdxfile", creator (UTF-16)
 *   64 KiB   header 1 (4 KiB, CRC-32C)     128 KiB  header 2
 *   192 KiB  region table 1 (64 KiB)       256 KiB  region table 2
 *   1 MiB..  log, metadata region, BAT region, payload and sector bitmap
 *            blocks, all at 1 MiB multiples
 *
 * Header (2.2.2): 0-3 signature "head", 4-7 checksum, 8-15 sequence_number,
 *   16-31 file_write_guid, 32-47 data_write_guid, 48-63 log_guid,
 *   64-65 log_version, 66-67 version (1), 68-71 log_length, 72-79 log_offset
 * Region table (2.2.3): 0-3 signature "regi", 4-7 checksum, 8-11
 *   entry_count, then 32-byte entries at 16: guid, file_offset (8),
 *   length (4), required (bit 0 of 4 bytes)
 * Metadata table (2.6.1): 0-7 signature "metadata", 10-11 entry_count, then
 *   32-byte entries at 32: item_id, offset (4, from the region start),
 *   length (4), flags (4: is_user, is_virtual_disk, is_required)
 * BAT entry (2.5.1): bits 0-2 state, bits 20-63 file_offset_mb.  Payload
 *   block i is entry i + i / chunk_ratio; the sector bitmap block of chunk
 *   c is entry c * (chunk_ratio + 1) + chunk_ratio.
 */
#pragma once

#include "conv/conv-priv.h"

G_BEGIN_DECLS

#define VHDX_MIB (1024u * 1024u)
#define VHDX_HEADER1_OFFSET (64u * 1024u)
#define VHDX_HEADER2_OFFSET (128u * 1024u)
#define VHDX_HEADER_SIZE 4096u
#define VHDX_REGION_TABLE1_OFFSET (192u * 1024u)
#define VHDX_REGION_TABLE2_OFFSET (256u * 1024u)
#define VHDX_REGION_TABLE_SIZE (64u * 1024u)
#define VHDX_METADATA_TABLE_SIZE (64u * 1024u)
#define VHDX_LOG_ENTRY_HEADER_SIZE 64u
#define VHDX_LOG_SECTOR 4096u

/* Limits from the spec, named for the checks that use them. */
#define VHDX_MAX_TABLE_ENTRIES 2047u         /* region and metadata tables */
#define VHDX_MIN_BLOCK_SIZE VHDX_MIB         /* 2.6.2.1 */
#define VHDX_MAX_BLOCK_SIZE (256u * VHDX_MIB)
#define VHDX_MAX_VIRTUAL_SIZE (64ULL << 40)  /* 2.6.2.2: 64 TiB */
#define VHDX_MAX_METADATA_ITEM VHDX_MIB      /* 2.6.1.2 */
/* 2^23 sectors per sector bitmap block (2.5). */
#define VHDX_SECTORS_PER_BITMAP_BLOCK (1ULL << 23)
/* The spec does not bound the log; Hyper-V and qemu write 1 MiB.  A log
 * is only scanned for entries, 4 KiB at a time, so the bound is generous. */
#define VHDX_MAX_LOG_LENGTH (1024u * VHDX_MIB)
/* A 64 TiB disk of 1 MiB blocks has a 512 MiB BAT; it is read in chunks
 * of 64 KiB and never held whole. */
#define VHDX_BAT_CHUNK_ENTRIES 8192u

#define VHDX_PAYLOAD_NOT_PRESENT 0
#define VHDX_PAYLOAD_UNDEFINED 1
#define VHDX_PAYLOAD_ZERO 2
#define VHDX_PAYLOAD_UNMAPPED 3
#define VHDX_PAYLOAD_UNMAPPED_V095 5      /* 0.95 draft value, as qemu */
#define VHDX_PAYLOAD_FULLY_PRESENT 6
#define VHDX_PAYLOAD_PARTIALLY_PRESENT 7
#define VHDX_SB_PRESENT 6

typedef struct {
    /* Immutable after open. */
    guint32 block_size;
    guint32 logical_sector_size;
    guint64 chunk_ratio;           /* payload blocks per sector bitmap block */
    gboolean has_parent;
    guint64 bat_offset;
    guint64 bat_entries;           /* as many as the disk needs */

    /* Caches, guarded by lock: one chunk of the BAT and the sector bitmap
     * slice of one payload block. */
    GMutex lock;
    guint64 *bat_chunk;            /* host-endian, VHDX_BAT_CHUNK_ENTRIES */
    guint64 bat_chunk_first;       /* or G_MAXUINT64 */
    guint32 bat_chunk_len;
    guint8 *bitmap;                /* block_size / logical_sector_size / 8 */
    guint64 bitmap_block;          /* payload block, or G_MAXUINT64 */
} VhdxPriv;

/* vhdx-read.c */
gboolean vhdx_block_status(ConvImage *img, guint64 off, guint64 len,
                           ConvExtents *out, GError **error);
gboolean vhdx_pread(ConvImage *img, void *buf, gsize len, guint64 off,
                    GError **error);

G_END_DECLS
