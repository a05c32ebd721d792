/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmdk.c: the VMDK reader (VMware "Virtual Disk Format 1.1").
 *
 * A VMDK disk is a list of extents laid end to end in the guest's address
 * space.  Two shapes of file start a disk:
 *
 *   - a sparse extent ("KDMV" or "COWD" magic) that is the whole disk:
 *     monolithicSparse and streamOptimized, with the descriptor embedded at
 *     descriptorOffset (vmdk-sparse.c reads the extent);
 *   - a text descriptor ("# Disk DescriptorFile", vmdk-descriptor.c) whose
 *     extent lines name other files: monolithicFlat, twoGbMaxExtentSparse,
 *     twoGbMaxExtentFlat, vmfs, vmfsThin, vmfsSparse and delta disks.
 *     Relative names are taken from the descriptor's directory, as qemu does.
 *
 * Block status: FLAT/VMFS extents are data except where the extent file has
 * holes (SEEK_DATA, as in raw.c); ZERO extents and zeroed grains (GTE 1) are
 * zero; grains with GTE 0 are unallocated (the parent, from
 * parentFileNameHint, decides).  seSparse and vsanSparse are refused with
 * FERRY_ERROR_UNSUPPORTED: their formats are not published.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conv/vmdk-priv.h"

static int
vmdk_probe(const guint8 *head, gsize len)
{
    if (len >= 4 && (memcmp(head, VMDK4_MAGIC, 4) == 0 || memcmp(head, VMDK3_MAGIC, 4) == 0))
        return 100;
    if (len >= strlen(VMDK_DESCRIPTOR_MAGIC) &&
        memcmp(head, VMDK_DESCRIPTOR_MAGIC, strlen(VMDK_DESCRIPTOR_MAGIC)) == 0)
        return 100;
    return 0;
}

/* Opens one extent file named in a descriptor.  A file named by several
 * extent lines is opened once and its descriptor shared. */
static gboolean
vmdk_extent_open_file(ConvImage *img, VmdkPriv *priv, VmdkExtent *ext, const char *name,
                      GError **error)
{
    g_autofree char *path = conv_image_resolve_relative(img, name);
    g_autoptr(GError) local = NULL;
    gpointer owner;

    if (g_hash_table_lookup_extended(priv->files, path, NULL, &owner)) {
        const VmdkExtent *first = &priv->extents[GPOINTER_TO_UINT(owner)];

        ext->fd = first->fd;
        ext->file_size = first->file_size;
        ext->own_fd = FALSE;
        ext->path = g_steal_pointer(&path);
        return TRUE;
    }
    ext->fd = conv_open_readonly(path, &ext->file_size, &local);
    if (ext->fd < 0) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   "%s: vmdk extent '%s': ", img->path, name);
        return FALSE;
    }
    ext->own_fd = TRUE;
    g_hash_table_insert(priv->files, g_strdup(path), GUINT_TO_POINTER(ext - priv->extents));
    ext->path = g_steal_pointer(&path);
    return TRUE;
}

static gboolean
vmdk_add_extent_line(ConvImage *img, VmdkPriv *priv, const VmdkExtentLine *line,
                     guint lineno_index, guint64 start, GError **error)
{
    VmdkExtent *ext = &priv->extents[priv->n_extents];
    guint64 length = line->sectors * VMDK_SECTOR;

    /* Counted first, so that vmdk_priv_free() closes what a failure left. */
    priv->n_extents++;
    ext->fd = -1;
    ext->start = start;
    ext->length = length;

    switch (line->type) {
    case VMDK_TYPE_SESPARSE:
    case VMDK_TYPE_VSANSPARSE:
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: vmdk extent %u: %s extents are not supported (convert the disk with VMware tools first)",
                    img->path, lineno_index + 1, vmdk_extent_type_to_string(line->type));
        return FALSE;
    case VMDK_TYPE_VMFSRDM:
    case VMDK_TYPE_VMFSRAW:
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: vmdk extent %u: %s extents map a raw device and cannot be read from a file",
                    img->path, lineno_index + 1, vmdk_extent_type_to_string(line->type));
        return FALSE;
    case VMDK_TYPE_ZERO:
        ext->kind = VMDK_EXTENT_KIND_ZERO;
        break;
    case VMDK_TYPE_FLAT:
    case VMDK_TYPE_VMFS: {
        guint64 end;

        ext->kind = VMDK_EXTENT_KIND_FLAT;
        ext->flat_offset = line->offset * VMDK_SECTOR;
        if (line->access == VMDK_ACCESS_NOACCESS) {
            ext->kind = VMDK_EXTENT_KIND_ZERO;
            break;
        }
        if (!vmdk_extent_open_file(img, priv, ext, line->file, error))
            return FALSE;
        if (!g_uint64_checked_add(&end, ext->flat_offset, length) || end > ext->file_size) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk extent %u: '%s' (%" G_GUINT64_FORMAT
                        " bytes) is shorter than the extent's offset + size (%"
                        G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT " bytes)",
                        img->path, lineno_index + 1, line->file, ext->file_size,
                        ext->flat_offset, length);
            return FALSE;
        }
        if (lseek(ext->fd, 0, SEEK_DATA) != (off_t)-1 || errno == ENXIO)
            ext->seek_data_works = TRUE;
        break;
    }
    case VMDK_TYPE_SPARSE:
    case VMDK_TYPE_VMFSSPARSE:
        ext->kind = VMDK_EXTENT_KIND_SPARSE;
        if (line->access == VMDK_ACCESS_NOACCESS) {
            ext->kind = VMDK_EXTENT_KIND_ZERO;
            break;
        }
        if (!vmdk_extent_open_file(img, priv, ext, line->file, error))
            return FALSE;
        if (!vmdk_sparse_open(ext, error))
            return FALSE;
        priv->gd_entries_total += ext->header.gd_entries;
        if (priv->gd_entries_total > VMDK_MAX_GD_ENTRIES_TOTAL) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk extent %u: the extents' grain directories hold more than %d entries together",
                        img->path, lineno_index + 1, VMDK_MAX_GD_ENTRIES_TOTAL);
            return FALSE;
        }
        break;
    }
    return TRUE;
}

static const char *
vmdk_default_create_type(const VmdkExtent *ext)
{
    if (ext->header.cowd)
        return "vmfsSparse";
    if (ext->compressed)
        return "streamOptimized";
    return "monolithicSparse";
}

static gboolean
vmdk_check_create_type(ConvImage *img, const char *create_type, GError **error)
{
    static const char *const refused[] = { "seSparse", "vsanSparse" };
    static const char *const devices[] = {
        "vmfsRaw", "vmfsRawDeviceMap", "vmfsPassthroughRawDeviceMap",
        "fullDevice", "partitionedDevice",
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(refused); i++) {
        if (g_str_equal(create_type, refused[i])) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                        "%s: vmdk descriptor: createType '%s' is not supported (its format is not published; convert the disk with VMware tools first)",
                        img->path, create_type);
            return FALSE;
        }
    }
    for (i = 0; i < G_N_ELEMENTS(devices); i++) {
        if (g_str_equal(create_type, devices[i])) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                        "%s: vmdk descriptor: createType '%s' maps a raw device and cannot be read from a file",
                        img->path, create_type);
            return FALSE;
        }
    }
    return TRUE;
}

/* The disk is one sparse file (monolithicSparse, streamOptimized, or a lone
 * extent). */
static gboolean
vmdk_open_sparse_file(ConvImage *img, VmdkPriv *priv, VmdkDescriptor **desc_out,
                      GError **error)
{
    VmdkExtent *ext;
    const VmdkHeader *h;

    priv->extents = g_new0(VmdkExtent, 1);
    ext = &priv->extents[0];
    ext->kind = VMDK_EXTENT_KIND_SPARSE;
    ext->fd = img->fd;
    ext->own_fd = FALSE;
    ext->path = g_strdup(img->path);
    ext->file_size = img->file_size;
    priv->n_extents = 1;
    if (!vmdk_sparse_open(ext, error))
        return FALSE;
    h = &ext->header;
    ext->length = h->capacity * VMDK_SECTOR;

    if (!h->cowd && h->desc_offset != 0 && h->desc_size != 0) {
        gsize n = (gsize)(h->desc_size * VMDK_SECTOR);
        g_autofree char *text = g_malloc(n);

        if (!vmdk_extent_pread(ext, text, n, h->desc_offset * VMDK_SECTOR,
                               "vmdk embedded descriptor", error))
            return FALSE;
        *desc_out = vmdk_descriptor_parse(text, n, img->path, error);
        if (!*desc_out)
            return FALSE;
    }
    return TRUE;
}

/* The disk is a text descriptor naming its extents. */
static gboolean
vmdk_open_descriptor_file(ConvImage *img, VmdkPriv *priv, VmdkDescriptor **desc_out,
                          GError **error)
{
    g_autofree char *text = NULL;
    VmdkDescriptor *desc;
    guint64 start = 0;
    guint i;

    if (img->file_size > VMDK_MAX_DESCRIPTOR_BYTES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor size %" G_GUINT64_FORMAT
                    " bytes exceeds the limit (%d bytes)",
                    img->path, img->file_size, VMDK_MAX_DESCRIPTOR_BYTES);
        return FALSE;
    }
    text = g_malloc((gsize)img->file_size + 1);
    if (!conv_file_pread(img, text, (gsize)img->file_size, 0, "vmdk descriptor", error))
        return FALSE;
    desc = *desc_out = vmdk_descriptor_parse(text, (gsize)img->file_size, img->path, error);
    if (!desc)
        return FALSE;
    if (!desc->create_type) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor: createType is missing", img->path);
        return FALSE;
    }
    if (!vmdk_check_create_type(img, desc->create_type, error))
        return FALSE;
    if (desc->extents->len == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor: no extent lines", img->path);
        return FALSE;
    }
    priv->extents = g_new0(VmdkExtent, desc->extents->len);
    priv->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (i = 0; i < desc->extents->len; i++) {
        const VmdkExtentLine *line = &g_array_index(desc->extents, VmdkExtentLine, i);

        if (!vmdk_add_extent_line(img, priv, line, i, start, error))
            return FALSE;
        start += line->sectors * VMDK_SECTOR;
    }
    return TRUE;
}

static gboolean
vmdk_open(ConvImage *img, GError **error)
{
    VmdkPriv *priv = g_new0(VmdkPriv, 1);
    g_autoptr(VmdkDescriptor) desc = NULL;
    guint8 magic[4];
    const char *create_type;
    gboolean ok;
    guint i;

    g_mutex_init(&priv->lock);
    priv->gt_slot_entries = VMDK_MAX_GTES_PER_GT;
    if (img->file_size < sizeof(magic)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk: file (%" G_GUINT64_FORMAT " bytes) is too small",
                    img->path, img->file_size);
        vmdk_priv_free(priv);
        return FALSE;
    }
    ok = conv_file_pread(img, magic, sizeof(magic), 0, "vmdk magic", error);
    if (ok && (memcmp(magic, VMDK4_MAGIC, 4) == 0 || memcmp(magic, VMDK3_MAGIC, 4) == 0))
        ok = vmdk_open_sparse_file(img, priv, &desc, error);
    else if (ok)
        ok = vmdk_open_descriptor_file(img, priv, &desc, error);
    if (!ok) {
        vmdk_priv_free(priv);
        return FALSE;
    }

    img->size = 0;
    for (i = 0; i < priv->n_extents; i++) {
        if (priv->extents[i].header.cowd)
            priv->gt_slot_entries = VMDK_COWD_GTES_PER_GT;
        img->size += priv->extents[i].length;
    }
    create_type = desc && desc->create_type ? desc->create_type
                                            : vmdk_default_create_type(&priv->extents[0]);
    img->detail = g_strdup_printf("createType=%s", create_type);
    if (desc && desc->parent_hint) {
        img->backing_name = g_strdup(desc->parent_hint);
        img->backing_format = g_strdup("vmdk");
    }
    img->priv = priv;
    return TRUE;
}

static void
vmdk_close(ConvImage *img)
{
    vmdk_priv_free(img->priv);
}

/* The index of the extent holding virtual byte @off (extents are sorted
 * and cover [0, size) without gaps). */
static guint
vmdk_find_extent(const VmdkPriv *priv, guint64 off)
{
    guint lo = 0, hi = priv->n_extents;

    while (hi - lo > 1) {
        guint mid = lo + (hi - lo) / 2;

        if (priv->extents[mid].start <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static gboolean
vmdk_flat_block_status(const VmdkExtent *ext, guint64 rel, guint64 len,
                       ConvExtents *out, GError **error)
{
    guint64 pos = ext->flat_offset + rel;
    guint64 end = pos + len;
    guint64 base = ext->start - ext->flat_offset;   /* file offset -> virtual */

    if (!ext->seek_data_works) {
        conv_extents_append(out, ext->start + rel, len, CONV_EXTENT_DATA);
        return TRUE;
    }
    while (pos < end) {
        off_t data = lseek(ext->fd, (off_t)pos, SEEK_DATA);
        off_t hole;

        if (data == (off_t)-1) {
            if (errno == ENXIO) {
                conv_extents_append(out, base + pos, end - pos, CONV_EXTENT_ZERO);
                return TRUE;
            }
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "lseek SEEK_DATA: %s: %s",
                        ext->path, g_strerror(errno));
            return FALSE;
        }
        if ((guint64)data > pos)
            conv_extents_append(out, base + pos, MIN((guint64)data, end) - pos,
                                CONV_EXTENT_ZERO);
        if ((guint64)data >= end)
            return TRUE;
        hole = lseek(ext->fd, data, SEEK_HOLE);
        if (hole == (off_t)-1) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "lseek SEEK_HOLE: %s: %s",
                        ext->path, g_strerror(errno));
            return FALSE;
        }
        conv_extents_append(out, base + (guint64)data,
                            MIN((guint64)hole, end) - (guint64)data, CONV_EXTENT_DATA);
        pos = MIN((guint64)hole, end);
    }
    return TRUE;
}

static gboolean
vmdk_sparse_block_status(VmdkPriv *priv, const VmdkExtent *ext, guint64 rel,
                         guint64 len, ConvExtents *out, GError **error)
{
    guint64 end = rel + len;

    while (rel < end) {
        guint64 gd_index = rel / ext->gt_span;
        guint64 piece_end;
        VmdkGrainState state;
        guint64 sector;
        static const ConvExtentKind kinds[] = {
            [VMDK_GRAIN_UNALLOCATED] = CONV_EXTENT_UNALLOCATED,
            [VMDK_GRAIN_ZERO] = CONV_EXTENT_ZERO,
            [VMDK_GRAIN_DATA] = CONV_EXTENT_DATA,
        };

        if (gd_index >= ext->header.gd_entries || ext->gd[gd_index] == 0) {
            /* A whole grain table's span is unallocated: skip it at once. */
            piece_end = gd_index >= ext->header.gd_entries ? end
                                                           : (gd_index + 1) * ext->gt_span;
            state = VMDK_GRAIN_UNALLOCATED;
        } else {
            piece_end = (rel / ext->grain_bytes + 1) * ext->grain_bytes;
            if (!vmdk_sparse_lookup(priv, ext, rel, &state, &sector, error))
                return FALSE;
        }
        piece_end = MIN(piece_end, end);
        conv_extents_append(out, ext->start + rel, piece_end - rel, kinds[state]);
        rel = piece_end;
    }
    return TRUE;
}

static gboolean
vmdk_block_status(ConvImage *img, guint64 off, guint64 len, ConvExtents *out,
                  GError **error)
{
    VmdkPriv *priv = img->priv;
    guint64 end = off + len;
    guint i = vmdk_find_extent(priv, off);

    for (; off < end && i < priv->n_extents; i++) {
        const VmdkExtent *ext = &priv->extents[i];
        guint64 rel = off - ext->start;
        guint64 n = MIN(end, ext->start + ext->length) - off;
        gboolean ok = TRUE;

        if (ext->length == 0)
            continue;
        switch (ext->kind) {
        case VMDK_EXTENT_KIND_ZERO:
            conv_extents_append(out, off, n, CONV_EXTENT_ZERO);
            break;
        case VMDK_EXTENT_KIND_FLAT:
            ok = vmdk_flat_block_status(ext, rel, n, out, error);
            break;
        case VMDK_EXTENT_KIND_SPARSE:
            ok = vmdk_sparse_block_status(priv, ext, rel, n, out, error);
            break;
        }
        if (!ok)
            return FALSE;
        off += n;
    }
    return TRUE;
}

static gboolean
vmdk_sparse_pread(VmdkPriv *priv, const VmdkExtent *ext, guint8 *buf, guint64 rel,
                  gsize len, GError **error)
{
    while (len > 0) {
        guint64 grain_end = (rel / ext->grain_bytes + 1) * ext->grain_bytes;
        gsize n = (gsize)MIN((guint64)len, grain_end - rel);
        VmdkGrainState state;
        guint64 sector;

        if (!vmdk_sparse_lookup(priv, ext, rel, &state, &sector, error))
            return FALSE;
        if (state == VMDK_GRAIN_DATA) {
            if (!vmdk_sparse_read_grain(priv, ext, sector, rel, buf, n, error))
                return FALSE;
        } else {
            memset(buf, 0, n);
        }
        buf += n;
        rel += n;
        len -= n;
    }
    return TRUE;
}

static gboolean
vmdk_pread(ConvImage *img, void *buf, gsize len, guint64 off, GError **error)
{
    VmdkPriv *priv = img->priv;
    guint8 *p = buf;
    guint i = vmdk_find_extent(priv, off);

    for (; len > 0 && i < priv->n_extents; i++) {
        const VmdkExtent *ext = &priv->extents[i];
        guint64 rel = off - ext->start;
        gsize n = (gsize)MIN((guint64)len, ext->start + ext->length - off);
        gboolean ok = TRUE;

        if (ext->length == 0)
            continue;
        switch (ext->kind) {
        case VMDK_EXTENT_KIND_ZERO:
            memset(p, 0, n);
            break;
        case VMDK_EXTENT_KIND_FLAT:
            ok = vmdk_extent_pread(ext, p, n, ext->flat_offset + rel, "vmdk flat extent data",
                                   error);
            break;
        case VMDK_EXTENT_KIND_SPARSE:
            ok = vmdk_sparse_pread(priv, ext, p, rel, n, error);
            break;
        }
        if (!ok)
            return FALSE;
        p += n;
        off += n;
        len -= n;
    }
    g_assert(len == 0);
    return TRUE;
}

const struct ferry_format vmdk_format = {
    .name = "vmdk",
    .probe = vmdk_probe,
    .open = vmdk_open,
    .block_status = vmdk_block_status,
    .pread = vmdk_pread,
    .close = vmdk_close,
};
