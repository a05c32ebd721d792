/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmdk-sparse.c: sparse VMDK extents ("Virtual Disk Format 1.1", sections
 * "Hosted Sparse Extent Header", "Grain Directories and Grain Tables",
 * "Stream-Optimized Compressed Sparse Extents"), and ESX vmfsSparse
 * ("COWD") extents, which have the same two-level map.
 *
 * Hosted sparse extent header, 512 bytes, little-endian:
 *
 *    0 -  3  magicNumber         "KDMV"
 *    4 -  7  version             1, 2 or 3 (3: changed-block tracking, read
 *                                as 1, as qemu and VMware KB 2064959 do)
 *    8 - 11  flags               bit 0 newline test valid, bit 1 redundant
 *                                GD, bit 2 zeroed-grain GTEs, bit 16
 *                                compressed grains, bit 17 markers
 *   12 - 19  capacity            sectors
 *   20 - 27  grainSize           sectors, a power of 2
 *   28 - 35  descriptorOffset    sectors (0: no embedded descriptor)
 *   36 - 43  descriptorSize      sectors
 *   44 - 47  numGTEsPerGT        512
 *   48 - 55  rgdOffset           sectors
 *   56 - 63  gdOffset            sectors; 0xffffffffffffffff: in the footer
 *   64 - 71  overHead            sectors of metadata before the grains
 *   72       uncleanShutdown
 *   73 - 76  "\n", " ", "\r", "\n"  (damaged by text-mode transfers)
 *   77 - 78  compressAlgorithm   0 none, 1 deflate
 *
 * The GD holds ceil(capacity / (grainSize * numGTEsPerGT)) 32-bit sector
 * numbers of GTs; a GT holds numGTEsPerGT 32-bit sector numbers of grains.
 * 0 is "not allocated here" (a delta disk's parent decides); 1 is a zeroed
 * grain when flag bit 2 is set.  A streamOptimized extent's grains are
 * zlib streams behind a 12-byte marker (lba 8, size 4); its header's
 * gdOffset is "at end", and the real header is the footer, 1024 bytes before
 * the end of the file behind a footer marker and before the end-of-stream
 * marker.
 *
 * COWD header (little-endian): 0 "COWD", 4 version, 8 flags, 12 capacity
 * (sectors, 32 bits), 16 grain size (sectors), 20 GD offset (sectors),
 * 24 GD entries; GTs hold 4096 entries.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "conv/vmdk-priv.h"

gboolean
vmdk_extent_pread(const VmdkExtent *ext, void *buf, gsize len, guint64 offset,
                  const char *what, GError **error)
{
    return conv_fd_pread(ext->fd, ext->path, ext->file_size, buf, len, offset,
                         what, error);
}

/* Checks that [sector * 512, + bytes) lies inside the file. */
static gboolean
vmdk_range_in_file(guint64 sector, guint64 bytes, guint64 file_size)
{
    guint64 start, end;

    if (sector > G_MAXUINT64 / VMDK_SECTOR)
        return FALSE;
    start = sector * VMDK_SECTOR;
    return g_uint64_checked_add(&end, start, bytes) && end <= file_size;
}

static gboolean
vmdk_cowd_header_decode(const guint8 *buf, guint64 file_size, const char *path,
                        VmdkHeader *h, GError **error)
{
    guint64 span, needed;

    memset(h, 0, sizeof(*h));
    h->cowd = TRUE;
    h->version = conv_le32(buf + 4);
    h->flags = conv_le32(buf + 8);
    h->capacity = conv_le32(buf + 12);
    h->grain_size = conv_le32(buf + 16);
    h->gd_offset = conv_le32(buf + 20);
    h->gd_entries = conv_le32(buf + 24);
    h->gtes_per_gt = VMDK_COWD_GTES_PER_GT;

    if (h->grain_size < VMDK_MIN_GRAIN_SECTORS ||
        h->grain_size > VMDK_MAX_GRAIN_SECTORS ||
        (h->grain_size & (h->grain_size - 1)) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk COWD header: grainSize %" G_GUINT64_FORMAT
                    " sectors is not a power of 2 within %d..%d",
                    path, h->grain_size, VMDK_MIN_GRAIN_SECTORS, VMDK_MAX_GRAIN_SECTORS);
        return FALSE;
    }
    span = h->grain_size * VMDK_COWD_GTES_PER_GT;
    needed = (h->capacity + span - 1) / span;
    if (h->gd_entries < needed || h->gd_entries > VMDK_MAX_GD_ENTRIES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk COWD header: numGDEntries %u is not within %" G_GUINT64_FORMAT
                    "..%d for capacity %" G_GUINT64_FORMAT " sectors",
                    path, h->gd_entries, needed, VMDK_MAX_GD_ENTRIES, h->capacity);
        return FALSE;
    }
    if (h->gd_entries &&
        !vmdk_range_in_file(h->gd_offset, (guint64)h->gd_entries * 4, file_size)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk COWD header: gdOffset %" G_GUINT64_FORMAT
                    " sectors (%u entries) is past end of file (%" G_GUINT64_FORMAT " bytes)",
                    path, h->gd_offset, h->gd_entries, file_size);
        return FALSE;
    }
    return TRUE;
}

/* The version, the newline detection characters and the compression
 * algorithm: whether ferry can read this file at all. */
static gboolean
vmdk_header_check_format(const VmdkHeader *h, const guint8 *buf,
                         const char *path, const char *where, GError **error)
{
    /* Version 3 adds changed-block tracking, readable as version 1. */
    if (h->version < 1 || h->version > 3) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: %s: version %u is not supported (1 to 3 are)",
                    path, where, h->version);
        return FALSE;
    }
    /* Spec: the four characters detect a file corrupted by FTP text mode. */
    if ((h->flags & VMDK4_FLAG_NL_DETECT) && memcmp(buf + 73, "\n \r\n", 4) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: newline detection characters are damaged (was the file copied in text mode?)",
                    path, where);
        return FALSE;
    }
    if (h->compress_algorithm != VMDK4_COMPRESSION_NONE &&
        h->compress_algorithm != VMDK4_COMPRESSION_DEFLATE) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: %s: compressAlgorithm %u is not supported (0 and 1 are)",
                    path, where, h->compress_algorithm);
        return FALSE;
    }
    return TRUE;
}

/* capacity, grainSize and numGTEsPerGT against their limits; sets
 * h->gd_entries from them. */
static gboolean
vmdk_header_check_geometry(VmdkHeader *h, const char *path, const char *where,
                           GError **error)
{
    guint64 span;

    if (h->capacity > VMDK_MAX_CAPACITY_SECTORS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: capacity %" G_GUINT64_FORMAT
                    " sectors exceeds the limit (%llu sectors)",
                    path, where, h->capacity, VMDK_MAX_CAPACITY_SECTORS);
        return FALSE;
    }
    /* Spec: "grainSize ... must be a power of 2". */
    if (h->grain_size < VMDK_MIN_GRAIN_SECTORS ||
        h->grain_size > VMDK_MAX_GRAIN_SECTORS ||
        (h->grain_size & (h->grain_size - 1)) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: grainSize %" G_GUINT64_FORMAT
                    " sectors is not a power of 2 within %d..%d",
                    path, where, h->grain_size, VMDK_MIN_GRAIN_SECTORS,
                    VMDK_MAX_GRAIN_SECTORS);
        return FALSE;
    }
    if (h->gtes_per_gt == 0 || h->gtes_per_gt > VMDK_MAX_GTES_PER_GT) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: numGTEsPerGT %u is not within 1..%d",
                    path, where, h->gtes_per_gt, VMDK_MAX_GTES_PER_GT);
        return FALSE;
    }
    span = h->grain_size * h->gtes_per_gt;
    if ((h->capacity + span - 1) / span > VMDK_MAX_GD_ENTRIES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: capacity %" G_GUINT64_FORMAT
                    " sectors needs more than %d grain directory entries",
                    path, where, h->capacity, VMDK_MAX_GD_ENTRIES);
        return FALSE;
    }
    h->gd_entries = (guint32)((h->capacity + span - 1) / span);

    return TRUE;
}

/* The descriptor, the grain directory and overHead inside the file. */
static gboolean
vmdk_header_check_offsets(const VmdkHeader *h, guint64 file_size,
                          gboolean footer, const char *path, const char *where,
                          GError **error)
{
    if (h->desc_offset != 0) {
        if (h->desc_size > VMDK_MAX_DESCRIPTOR_BYTES / VMDK_SECTOR) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: %s: descriptorSize %" G_GUINT64_FORMAT
                        " sectors exceeds the limit (%d bytes)",
                        path, where, h->desc_size, VMDK_MAX_DESCRIPTOR_BYTES);
            return FALSE;
        }
        if (!vmdk_range_in_file(h->desc_offset, h->desc_size * VMDK_SECTOR, file_size)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: %s: descriptorOffset %" G_GUINT64_FORMAT
                        " sectors (%" G_GUINT64_FORMAT " sectors) is past end of file (%"
                        G_GUINT64_FORMAT " bytes)",
                        path, where, h->desc_offset, h->desc_size, file_size);
            return FALSE;
        }
    }
    if (h->gd_offset == VMDK4_GD_AT_END) {
        if (footer) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: %s: gdOffset is \"at end\" in the footer itself",
                        path, where);
            return FALSE;
        }
        /* The footer holds the real one; vmdk_sparse_open() reads it. */
    } else if (h->gd_entries > 0 &&
               (h->gd_offset == 0 ||
                !vmdk_range_in_file(h->gd_offset, (guint64)h->gd_entries * 4, file_size))) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: gdOffset %" G_GUINT64_FORMAT
                    " sectors (%u entries) is past end of file (%" G_GUINT64_FORMAT " bytes)",
                    path, where, h->gd_offset, h->gd_entries, file_size);
        return FALSE;
    }
    /* qemu: "File truncated, expecting at least overHead sectors". */
    if (!vmdk_range_in_file(h->overhead, 0, file_size)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: overHead %" G_GUINT64_FORMAT
                    " sectors is past end of file (%" G_GUINT64_FORMAT " bytes)",
                    path, where, h->overhead, file_size);
        return FALSE;
    }
    return TRUE;
}

gboolean
vmdk_header_decode(const guint8 *buf, guint64 file_size, gboolean footer,
                   const char *path, VmdkHeader *h, GError **error)
{
    const char *where = footer ? "vmdk footer" : "vmdk header";

    if (memcmp(buf, VMDK3_MAGIC, 4) == 0 && !footer)
        return vmdk_cowd_header_decode(buf, file_size, path, h, error);
    memset(h, 0, sizeof(*h));
    if (memcmp(buf, VMDK4_MAGIC, 4) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: %s: magicNumber is not \"KDMV\"", path, where);
        return FALSE;
    }
    h->version = conv_le32(buf + 4);
    h->flags = conv_le32(buf + 8);
    h->capacity = conv_le64(buf + 12);
    h->grain_size = conv_le64(buf + 20);
    h->desc_offset = conv_le64(buf + 28);
    h->desc_size = conv_le64(buf + 36);
    h->gtes_per_gt = conv_le32(buf + 44);
    h->rgd_offset = conv_le64(buf + 48);
    h->gd_offset = conv_le64(buf + 56);
    h->overhead = conv_le64(buf + 64);
    h->compress_algorithm = conv_le16(buf + 77);

    return vmdk_header_check_format(h, buf, path, where, error) &&
           vmdk_header_check_geometry(h, path, where, error) &&
           vmdk_header_check_offsets(h, file_size, footer, path, where, error);
}

/* Reads the streamOptimized footer: footer marker, header, end-of-stream
 * marker in the last three sectors (spec: "The Footer"). */
static gboolean
vmdk_read_footer(VmdkExtent *ext, GError **error)
{
    guint8 buf[3 * VMDK_SECTOR];
    const guint8 *marker = buf, *eos = buf + 2 * VMDK_SECTOR;

    if (ext->file_size < 4 * VMDK_SECTOR) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk header: gdOffset is \"at end\" but the file (%"
                    G_GUINT64_FORMAT " bytes) is too small for a footer",
                    ext->path, ext->file_size);
        return FALSE;
    }
    if (!vmdk_extent_pread(ext, buf, sizeof(buf), ext->file_size - sizeof(buf),
                           "vmdk footer", error))
        return FALSE;
    /* The footer marker's value is the footer's sector count (1); qemu
     * checks only its size and type, and so does ferry. */
    if (conv_le32(marker + 8) != 0 || conv_le32(marker + 12) != VMDK_MARKER_FOOTER) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk footer: footer marker (type %u) is missing before the footer",
                    ext->path, conv_le32(marker + 12));
        return FALSE;
    }
    if (conv_le64(eos) != 0 || conv_le32(eos + 8) != 0 ||
        conv_le32(eos + 12) != VMDK_MARKER_EOS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk footer: end-of-stream marker is missing after the footer",
                    ext->path);
        return FALSE;
    }
    return vmdk_header_decode(buf + VMDK_SECTOR, ext->file_size, TRUE, ext->path,
                              &ext->header, error);
}

gboolean
vmdk_sparse_open(VmdkExtent *ext, GError **error)
{
    guint8 buf[VMDK_SECTOR];
    g_autofree guint8 *raw = NULL;
    VmdkHeader *h = &ext->header;
    gsize gt_bytes;
    guint32 i;

    if (ext->file_size < VMDK_SECTOR) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk header: file (%" G_GUINT64_FORMAT
                    " bytes) is smaller than one header", ext->path, ext->file_size);
        return FALSE;
    }
    if (!vmdk_extent_pread(ext, buf, sizeof(buf), 0, "vmdk header", error))
        return FALSE;
    if (!vmdk_header_decode(buf, ext->file_size, FALSE, ext->path, h, error))
        return FALSE;
    if (!h->cowd && h->gd_offset == VMDK4_GD_AT_END && !vmdk_read_footer(ext, error))
        return FALSE;

    ext->grain_bytes = h->grain_size * VMDK_SECTOR;
    ext->gt_span = ext->grain_bytes * h->gtes_per_gt;
    ext->compressed = !h->cowd && h->compress_algorithm == VMDK4_COMPRESSION_DEFLATE;
    ext->markers = !h->cowd && (h->flags & VMDK4_FLAG_MARKER);
    ext->zero_grain = !h->cowd && (h->flags & VMDK4_FLAG_ZERO_GRAIN);

    /* The GD is bounded by VMDK_MAX_GD_ENTRIES and checked against the file
     * by vmdk_header_decode(); each GT it names is checked here. */
    ext->gd = g_new0(guint32, MAX(h->gd_entries, 1));
    raw = g_malloc((gsize)h->gd_entries * 4 + 1);
    if (!vmdk_extent_pread(ext, raw, (gsize)h->gd_entries * 4,
                           h->gd_offset * VMDK_SECTOR, "vmdk grain directory", error))
        return FALSE;
    gt_bytes = (gsize)h->gtes_per_gt * 4;
    for (i = 0; i < h->gd_entries; i++) {
        ext->gd[i] = conv_le32(raw + 4 * (gsize)i);
        if (ext->gd[i] != 0 && !vmdk_range_in_file(ext->gd[i], gt_bytes, ext->file_size)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk grain directory entry %u: grain table at sector %u is past end of file (%"
                        G_GUINT64_FORMAT " bytes)",
                        ext->path, i, ext->gd[i], ext->file_size);
            return FALSE;
        }
    }
    return TRUE;
}

/* Returns the cached GT at @gt_sector of @ext, loading it into the least
 * recently used slot.  Caller holds priv->lock. */
static const guint32 *
vmdk_gt_get(VmdkPriv *priv, const VmdkExtent *ext, guint64 gt_sector, GError **error)
{
    guint32 n = ext->header.gtes_per_gt;
    g_autofree guint8 *raw = NULL;
    guint best = 0;
    guint i = priv->gt_last_slot;

    /* Block status walks grain by grain: the last table usually serves. */
    if (priv->gt_cache[i].extent == ext && priv->gt_cache[i].gt_sector == gt_sector) {
        priv->gt_cache[i].last_use = ++priv->gt_clock;
        return priv->gt_cache[i].entries;
    }
    for (i = 0; i < VMDK_GT_CACHE_SLOTS; i++) {
        if (priv->gt_cache[i].extent == ext && priv->gt_cache[i].gt_sector == gt_sector) {
            priv->gt_cache[i].last_use = ++priv->gt_clock;
            priv->gt_last_slot = i;
            return priv->gt_cache[i].entries;
        }
        if (priv->gt_cache[i].last_use < priv->gt_cache[best].last_use)
            best = i;
    }
    g_assert(n <= priv->gt_slot_entries);
    raw = g_malloc((gsize)n * 4);
    if (!vmdk_extent_pread(ext, raw, (gsize)n * 4, gt_sector * VMDK_SECTOR,
                           "vmdk grain table", error))
        return NULL;
    if (!priv->gt_cache[best].entries)
        priv->gt_cache[best].entries = g_new(guint32, priv->gt_slot_entries);
    for (i = 0; i < n; i++)
        priv->gt_cache[best].entries[i] = conv_le32(raw + 4 * (gsize)i);
    priv->gt_cache[best].extent = ext;
    priv->gt_cache[best].gt_sector = gt_sector;
    priv->gt_cache[best].last_use = ++priv->gt_clock;
    priv->gt_last_slot = best;
    return priv->gt_cache[best].entries;
}

gboolean
vmdk_sparse_lookup(VmdkPriv *priv, const VmdkExtent *ext, guint64 rel,
                   VmdkGrainState *state, guint64 *grain_sector, GError **error)
{
    guint64 gd_index = rel / ext->gt_span;
    guint64 gte;
    const guint32 *gt;

    *grain_sector = 0;
    /* An extent line may claim more sectors than the header's capacity;
     * what no table covers is not allocated here. */
    if (gd_index >= ext->header.gd_entries || ext->gd[gd_index] == 0) {
        *state = VMDK_GRAIN_UNALLOCATED;
        return TRUE;
    }
    g_mutex_lock(&priv->lock);
    gt = vmdk_gt_get(priv, ext, ext->gd[gd_index], error);
    gte = gt ? gt[(rel % ext->gt_span) / ext->grain_bytes] : 0;
    g_mutex_unlock(&priv->lock);
    if (!gt)
        return FALSE;

    if (gte == 0) {
        *state = VMDK_GRAIN_UNALLOCATED;
    } else if (gte == VMDK_GTE_ZEROED && ext->zero_grain) {
        *state = VMDK_GRAIN_ZERO;
    } else if (gte * VMDK_SECTOR >= ext->file_size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk grain table %" G_GUINT64_FORMAT " entry %" G_GUINT64_FORMAT
                    ": grain sector %" G_GUINT64_FORMAT " is past end of file (%"
                    G_GUINT64_FORMAT " bytes)",
                    ext->path, gd_index, (rel % ext->gt_span) / ext->grain_bytes,
                    gte, ext->file_size);
        return FALSE;
    } else {
        *state = VMDK_GRAIN_DATA;
        *grain_sector = gte;
    }
    return TRUE;
}

/* Inflates the grain at @grain_sector into priv->grain_buf.  Caller holds
 * priv->lock. */
static gboolean
vmdk_inflate_grain(VmdkPriv *priv, const VmdkExtent *ext, guint64 grain_sector,
                   guint64 rel, GError **error)
{
    guint64 off = grain_sector * VMDK_SECTOR;
    /* deflate never grows data by more than 0.1% plus a few bytes; twice
     * the grain is qemu's buffer too. */
    guint64 max_in = 2 * ext->grain_bytes + VMDK_SECTOR;
    guint64 in_len;
    g_autofree guint8 *in = NULL;
    z_stream zs;
    int zr;

    if (ext->markers) {
        guint8 marker[12];

        if (!vmdk_extent_pread(ext, marker, sizeof(marker), off, "vmdk grain marker", error))
            return FALSE;
        in_len = conv_le32(marker + 8);
        off += sizeof(marker);
        if (in_len == 0 || in_len > max_in) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk grain at virtual offset %" G_GUINT64_FORMAT
                        ": compressed size %" G_GUINT64_FORMAT " is not within 1..%" G_GUINT64_FORMAT,
                        ext->path, ext->start + rel, in_len, max_in);
            return FALSE;
        }
    } else {
        in_len = MIN(max_in, ext->file_size - off);
    }
    in = g_malloc(in_len);
    if (!vmdk_extent_pread(ext, in, in_len, off, "vmdk compressed grain", error))
        return FALSE;
    if (priv->grain_buf_size < ext->grain_bytes) {
        g_free(priv->grain_buf);
        priv->grain_buf = g_malloc(ext->grain_bytes);
        priv->grain_buf_size = ext->grain_bytes;
    }
    priv->grain_extent = NULL;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "%s: zlib inflateInit failed", ext->path);
        return FALSE;
    }
    zs.next_in = in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = priv->grain_buf;
    zs.avail_out = (uInt)ext->grain_bytes;
    zr = inflate(&zs, Z_FINISH);
    if (zr != Z_STREAM_END) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk grain at virtual offset %" G_GUINT64_FORMAT
                    " (file offset %" G_GUINT64_FORMAT "): deflate stream is damaged: %s",
                    ext->path, ext->start + rel, off,
                    zs.msg ? zs.msg : (zr == Z_BUF_ERROR ? "longer than a grain or truncated"
                                                         : "inflate failed"));
        inflateEnd(&zs);
        return FALSE;
    }
    /* qemu writes the last grain of an odd-sized disk short: the rest is
     * zeros. */
    memset(priv->grain_buf + zs.total_out, 0, ext->grain_bytes - zs.total_out);
    inflateEnd(&zs);
    priv->grain_extent = ext;
    priv->grain_sector = grain_sector;
    return TRUE;
}

gboolean
vmdk_sparse_read_grain(VmdkPriv *priv, const VmdkExtent *ext, guint64 grain_sector,
                       guint64 rel, guint8 *buf, gsize len, GError **error)
{
    guint64 in_grain = rel % ext->grain_bytes;

    g_assert(in_grain + len <= ext->grain_bytes);
    if (!ext->compressed)
        return vmdk_extent_pread(ext, buf, len, grain_sector * VMDK_SECTOR + in_grain,
                                 "vmdk grain", error);

    g_mutex_lock(&priv->lock);
    if (priv->grain_extent != ext || priv->grain_sector != grain_sector) {
        if (!vmdk_inflate_grain(priv, ext, grain_sector, rel - in_grain, error)) {
            g_mutex_unlock(&priv->lock);
            return FALSE;
        }
    }
    memcpy(buf, priv->grain_buf + in_grain, len);
    g_mutex_unlock(&priv->lock);
    return TRUE;
}

void
vmdk_priv_free(VmdkPriv *priv)
{
    guint i;

    if (!priv)
        return;
    for (i = 0; i < priv->n_extents; i++) {
        VmdkExtent *ext = &priv->extents[i];

        if (ext->own_fd && ext->fd >= 0)
            close(ext->fd);
        g_free(ext->path);
        g_free(ext->gd);
    }
    g_free(priv->extents);
    for (i = 0; i < VMDK_GT_CACHE_SLOTS; i++)
        g_free(priv->gt_cache[i].entries);
    g_free(priv->grain_buf);
    if (priv->files)
        g_hash_table_unref(priv->files);
    g_mutex_clear(&priv->lock);
    g_free(priv);
}
