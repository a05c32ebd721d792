/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmdk-priv.h: what the VMDK reader's files share (vmdk.c, vmdk-descriptor.c,
 * vmdk-sparse.c).  Unit tests include it to reach the decoders directly.
 *
 * Terms follow VMware's "Virtual Disk Format 1.1": a disk is a list of
 * extents named by a text descriptor; a hosted sparse extent has a 512-byte
 * header ("KDMV"), a grain directory (GD) of grain table (GT) sector numbers,
 * grain tables of grain sector numbers (GTEs) and the grains.  ESX's older
 * vmfsSparse extents ("COWD") have the same two-level shape with 4096-entry
 * tables.
 */
#pragma once

#include "conv/conv-priv.h"

G_BEGIN_DECLS

#define VMDK_SECTOR 512ULL

/* A descriptor, embedded or in its own file, is bounded before it is read:
 * VMware writes well under 2 KiB; qemu reads at most 1 MiB. */
#define VMDK_MAX_DESCRIPTOR_BYTES (1024 * 1024)
/* Extent lines in one descriptor: a 62 TiB twoGbMaxExtent disk has 31744. */
#define VMDK_MAX_EXTENTS 32768
/* Extent and parent file names, as written in the descriptor. */
#define VMDK_MAX_FILE_NAME 4096
/* Spec: grainSize is a power of 2 and greater than 8 sectors; VMware and
 * qemu write 128.  1 MiB bounds the buffer of one compressed grain. */
#define VMDK_MIN_GRAIN_SECTORS 1
#define VMDK_MAX_GRAIN_SECTORS 2048
/* Spec: numGTEsPerGT is 512; qemu accepts fewer, never more. */
#define VMDK_MAX_GTES_PER_GT 512
/* vmfsSparse (COWD) grain tables always hold 4096 entries. */
#define VMDK_COWD_GTES_PER_GT 4096
/* Virtual size: VMware's limit is 62 TiB; 64 TiB leaves room for rounding. */
#define VMDK_MAX_CAPACITY_SECTORS (64ULL * 1024 * 1024 * 1024 * 1024 / VMDK_SECTOR)
/* Grain directory entries of one extent: 64 TiB / 512 sectors / 512 GTEs
 * is 262144 (1 MiB of table); qemu's own cap is 32M entries. */
#define VMDK_MAX_GD_ENTRIES (4 * 1024 * 1024)
/* Grain directory entries of all the extents of one disk together: a
 * descriptor naming one sparse file 32768 times must not load its GD
 * 32768 times. */
#define VMDK_MAX_GD_ENTRIES_TOTAL VMDK_MAX_GD_ENTRIES
/* Grain tables kept in memory per image (fixed, whatever the disk size):
 * 64 tables cover 2 GiB of a disk with 64 KiB grains. */
#define VMDK_GT_CACHE_SLOTS 64

#define VMDK4_MAGIC "KDMV"
#define VMDK3_MAGIC "COWD"
#define VMDK_DESCRIPTOR_MAGIC "# Disk DescriptorFile"

/* SparseExtentHeader.flags */
#define VMDK4_FLAG_NL_DETECT   (1U << 0)
#define VMDK4_FLAG_RGD         (1U << 1)
#define VMDK4_FLAG_ZERO_GRAIN  (1U << 2)
#define VMDK4_FLAG_COMPRESS    (1U << 16)
#define VMDK4_FLAG_MARKER      (1U << 17)
#define VMDK4_COMPRESSION_NONE    0
#define VMDK4_COMPRESSION_DEFLATE 1
/* streamOptimized: the real header is in the footer. */
#define VMDK4_GD_AT_END 0xffffffffffffffffULL
/* A GTE of 1 is a zeroed grain when VMDK4_FLAG_ZERO_GRAIN is set. */
#define VMDK_GTE_ZEROED 1
/* streamOptimized marker types (spec 'Stream-Optimized Compressed Sparse
 * Extents'). */
#define VMDK_MARKER_EOS    0
#define VMDK_MARKER_GT     1
#define VMDK_MARKER_GD     2
#define VMDK_MARKER_FOOTER 3

/*
 * One sparse extent header, host-endian, checked.  Offsets are in sectors
 * as on disk.  The COWD header is decoded into the same struct.
 */
typedef struct {
    gboolean cowd;              /* vmfsSparse "COWD" header */
    guint32 version;
    guint32 flags;
    guint64 capacity;           /* sectors */
    guint64 grain_size;         /* sectors */
    guint64 desc_offset;        /* sectors, 0: none */
    guint64 desc_size;          /* sectors */
    guint32 gtes_per_gt;
    guint64 rgd_offset;         /* sectors */
    guint64 gd_offset;          /* sectors, or VMDK4_GD_AT_END */
    guint64 overhead;           /* sectors */
    guint16 compress_algorithm;
    guint32 gd_entries;         /* derived: ceil(capacity / (grain * gtes)) */
} VmdkHeader;

/*
 * vmdk_header_decode:
 * @buf: the first 512 bytes of the extent file (or the footer's header)
 * @file_size: the extent file's size, for offset checks
 * @footer: TRUE when @buf is a streamOptimized footer (gd_offset must then
 *          be real)
 *
 * Decodes and checks every field against the spec and the VMDK_MAX_* limits.
 * Errors: FERRY_ERROR_CORRUPT naming the field, FERRY_ERROR_UNSUPPORTED for
 * versions or compression ferry does not know.  Messages start with @path.
 */
gboolean vmdk_header_decode(const guint8 *buf, guint64 file_size, gboolean footer,
                            const char *path, VmdkHeader *out, GError **error);

typedef enum {
    VMDK_ACCESS_RW,
    VMDK_ACCESS_RDONLY,
    VMDK_ACCESS_NOACCESS,
} VmdkAccess;

typedef enum {
    VMDK_TYPE_FLAT,
    VMDK_TYPE_SPARSE,
    VMDK_TYPE_ZERO,
    VMDK_TYPE_VMFS,
    VMDK_TYPE_VMFSSPARSE,
    VMDK_TYPE_VMFSRDM,
    VMDK_TYPE_VMFSRAW,
    VMDK_TYPE_SESPARSE,
    VMDK_TYPE_VSANSPARSE,
} VmdkExtentType;

typedef struct {
    VmdkAccess access;
    guint64 sectors;
    VmdkExtentType type;
    char *file;                 /* NULL for ZERO */
    guint64 offset;             /* sectors into the file (FLAT) */
} VmdkExtentLine;

typedef struct {
    char *create_type;          /* NULL if absent */
    char *parent_hint;          /* parentFileNameHint, NULL if absent */
    guint32 cid;
    guint32 parent_cid;         /* 0xffffffff: no parent */
    GArray *extents;            /* of VmdkExtentLine */
    GHashTable *ddb;            /* "ddb.geometry.sectors" -> "63" */
    guint64 total_sectors;      /* sum of the extent lines */
} VmdkDescriptor;

void vmdk_descriptor_free(VmdkDescriptor *desc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmdkDescriptor, vmdk_descriptor_free)

/*
 * vmdk_descriptor_parse:
 * @text: descriptor bytes (NULs end it: embedded descriptors are padded)
 * @len: at most VMDK_MAX_DESCRIPTOR_BYTES
 * @path: the file holding it, for messages
 *
 * Parses "key=value" lines, extent lines ("RW 4192256 SPARSE \"a.vmdk\"")
 * and ddb.* lines.  Each extent line is checked (access word, sector count,
 * type, quoted name, offset only for FLAT); the sum of the extents is
 * checked against VMDK_MAX_CAPACITY_SECTORS.  Errors: FERRY_ERROR_CORRUPT
 * with the line number.
 */
VmdkDescriptor *vmdk_descriptor_parse(const char *text, gsize len, const char *path,
                                      GError **error);

const char *vmdk_extent_type_to_string(VmdkExtentType type);

/* ---- open extents ----------------------------------------------------- */

typedef enum {
    VMDK_EXTENT_KIND_FLAT,
    VMDK_EXTENT_KIND_SPARSE,
    VMDK_EXTENT_KIND_ZERO,
} VmdkExtentKind;

/* One extent of an open disk.  Immutable after open. */
typedef struct {
    VmdkExtentKind kind;
    guint64 start;              /* virtual byte offset of the extent */
    guint64 length;             /* bytes */
    char *path;                 /* extent file, NULL for ZERO */
    int fd;                     /* -1 for ZERO */
    gboolean own_fd;            /* FALSE when fd is the image's own */
    guint64 file_size;

    /* FLAT */
    guint64 flat_offset;        /* bytes into the file */
    gboolean seek_data_works;

    /* SPARSE */
    VmdkHeader header;
    guint32 *gd;                /* gd_entries host-endian GT sectors */
    guint64 grain_bytes;
    guint64 gt_span;            /* virtual bytes covered by one GT */
    gboolean compressed;
    gboolean markers;
    gboolean zero_grain;
} VmdkExtent;

typedef enum {
    VMDK_GRAIN_UNALLOCATED,
    VMDK_GRAIN_ZERO,
    VMDK_GRAIN_DATA,
} VmdkGrainState;

/* The reader's state (img->priv). */
typedef struct {
    VmdkExtent *extents;        /* immutable after open */
    guint n_extents;
    guint64 gd_entries_total;   /* open only */
    GHashTable *files;          /* open only: extent path -> fd owner index */

    /* Guarded by lock: block_status and pread may run on several threads. */
    GMutex lock;
    struct {
        const VmdkExtent *extent;   /* NULL: empty slot */
        guint64 gt_sector;
        guint64 last_use;
        guint32 *entries;           /* host-endian */
    } gt_cache[VMDK_GT_CACHE_SLOTS];
    guint64 gt_clock;
    guint gt_last_slot;             /* where the last lookup hit */
    gsize gt_slot_entries;
    /* The last decompressed grain (streamOptimized reads come in pieces). */
    const VmdkExtent *grain_extent;
    guint64 grain_sector;
    guint8 *grain_buf;
    gsize grain_buf_size;
} VmdkPriv;

/* Reads exactly @len bytes of an extent file or fails with a message naming
 * the file and @what. */
gboolean vmdk_extent_pread(const VmdkExtent *ext, void *buf, gsize len,
                           guint64 offset, const char *what, GError **error);

/* Reads the header (and footer) of a sparse extent already opened in @ext
 * (fd, path, file_size set), checks it, and loads its grain directory. */
gboolean vmdk_sparse_open(VmdkExtent *ext, GError **error);

/* Looks up the grain holding extent-relative byte @rel: its state and, for
 * DATA, the sector of the grain (or of its marker when compressed). */
gboolean vmdk_sparse_lookup(VmdkPriv *priv, const VmdkExtent *ext, guint64 rel,
                            VmdkGrainState *state, guint64 *grain_sector,
                            GError **error);

/* Copies @len bytes at extent-relative @rel (inside one grain) of an
 * allocated grain at @grain_sector into @buf, inflating compressed grains. */
gboolean vmdk_sparse_read_grain(VmdkPriv *priv, const VmdkExtent *ext,
                                guint64 grain_sector, guint64 rel, guint8 *buf,
                                gsize len, GError **error);

void vmdk_priv_free(VmdkPriv *priv);

G_END_DECLS
