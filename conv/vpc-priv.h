/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpc-priv.h: what vpc.c (footer, dynamic header, parent locators) and
 * vpc-read.c (BAT, sector bitmaps, block status, reads) share.
 *
 * Layout of a VHD file (Microsoft "Virtual Hard Disk Image Format
 * Specification" 1.0; all fields big-endian):
 *
 *   fixed:    [guest data ...][footer, 512 bytes]
 *   dynamic / differencing:
 *             [footer copy, 512][dynamic header, 1024][BAT, 4 bytes/block]
 *             [block: sector bitmap, padded to 512 | block_size bytes] ...
 *             [footer, 512]
 *
 * Footer (hard disk footer):
 *   0-7 cookie "conectix"   8-11 features   12-15 file_format_version
 *   16-23 data_offset (dynamic header; 0xFFFFFFFFFFFFFFFF for fixed)
 *   24-27 time_stamp  28-31 creator_application  32-35 creator_version
 *   36-39 creator_host_os  40-47 original_size  48-55 current_size
 *   56-59 disk_geometry (cylinders 16 bits, heads 8, sectors/track 8)
 *   60-63 disk_type (2 fixed, 3 dynamic, 4 differencing)
 *   64-67 checksum (one's complement of the byte sum, field as zero)
 *   68-83 unique_id  84 saved_state  85-511 reserved
 *
 * Dynamic disk header:
 *   0-7 cookie "cxsparse"  8-15 data_offset (unused)  16-23 table_offset
 *   24-27 header_version  28-31 max_table_entries  32-35 block_size
 *   36-39 checksum  40-55 parent_unique_id  56-59 parent_time_stamp
 *   60-63 reserved  64-575 parent_unicode_name (UTF-16BE)
 *   576-767 parent_locator_entry[8], 24 bytes each: platform_code,
 *           platform_data_space, platform_data_length, reserved,
 *           platform_data_offset (8 bytes)
 *   768-1023 reserved
 *
 * BAT entries are sector numbers (file offset / 512) of a block's bitmap,
 * 0xFFFFFFFF when the block is not allocated.  Bitmap bit i (most
 * significant bit of byte 0 first) says whether sector i of the block is
 * stored in this file.
 */
#pragma once

#include "conv/conv-priv.h"

G_BEGIN_DECLS

#define VPC_SECTOR_SIZE 512
#define VPC_FOOTER_SIZE 512
#define VPC_DYNAMIC_HEADER_SIZE 1024

#define VPC_TYPE_FIXED 2
#define VPC_TYPE_DYNAMIC 3
#define VPC_TYPE_DIFFERENCING 4

#define VPC_BAT_UNALLOCATED 0xFFFFFFFFu

/* Every size limit below is named for the check that uses it. */

/* qemu refuses disks above 0xff000000 sectors (2040 GiB), the most a VHD
 * can describe with CHS geometry plus the spare room Hyper-V uses. */
#define VPC_MAX_SECTORS 0xff000000ULL
/* CHS 65535/16/255: when the geometry is the maximum, the real size can
 * only be in current_size (qemu's VHD_MAX_GEOMETRY). */
#define VPC_MAX_GEOMETRY_SECTORS (65535ULL * 16 * 255)
/* qemu accepts any power of two from one sector up; above 256 MiB one
 * block's bitmap would pass 64 KiB and no known writer goes there. */
#define VPC_MIN_BLOCK_SIZE 512u
#define VPC_MAX_BLOCK_SIZE (256u << 20)
/* qemu's bound (INT_MAX / 4): a BAT of at most 2 GiB.  It is never held
 * in memory whole; it is read in chunks of VPC_BAT_CHUNK_ENTRIES. */
#define VPC_MAX_BAT_ENTRIES 0x1fffffffu
#define VPC_BAT_CHUNK_ENTRIES 16384u       /* 64 KiB per read */
/* A Windows path is at most 32767 UTF-16 units. */
#define VPC_MAX_LOCATOR_BYTES 65536u

typedef struct {
    /* Immutable after open. */
    guint32 disk_type;             /* VPC_TYPE_* */
    guint32 block_size;            /* dynamic/differencing only */
    guint32 bitmap_size;           /* bytes, a multiple of 512 */
    guint32 max_table_entries;
    guint64 table_offset;

    /* Caches, guarded by lock: one chunk of the BAT and one block bitmap. */
    GMutex lock;
    guint32 *bat_chunk;            /* host-endian, VPC_BAT_CHUNK_ENTRIES */
    guint64 bat_chunk_first;       /* index of bat_chunk[0], or G_MAXUINT64 */
    guint32 bat_chunk_len;
    guint8 *bitmap;                /* bitmap_size bytes */
    guint64 bitmap_block;          /* block whose bitmap it is, or G_MAXUINT64 */
} VpcPriv;

/* The footer fields that decide how big the disk is (vpc.c decodes them). */
typedef struct {
    guint64 data_offset;
    char creator_app[4];
    guint64 current_size;
    guint16 cylinders;
    guint8 heads;
    guint8 sectors_per_track;
    guint32 disk_type;
} VpcFooter;

/* vpc.c */
/* One's complement of the byte sum of @buf, the 4 bytes at @checksum_at
 * counted as zero (footer: 64, dynamic header: 36). */
guint32 vpc_checksum(const guint8 *buf, gsize len, gsize checksum_at);
/* The virtual size in sectors as qemu reads it: from the CHS geometry or
 * from current_size, by creator application. */
guint64 vpc_footer_virtual_sectors(const VpcFooter *f);

/* vpc-read.c */
gboolean vpc_bat_scan(ConvImage *img, GError **error);
gboolean vpc_block_status(ConvImage *img, guint64 off, guint64 len,
                          ConvExtents *out, GError **error);
gboolean vpc_pread(ConvImage *img, void *buf, gsize len, guint64 off,
                   GError **error);

G_END_DECLS
