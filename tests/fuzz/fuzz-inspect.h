/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-inspect.h: the device inspect/'s fuzz targets read.  The input is
 *   bytes 0-3   the device size in 512-byte sectors (LE, at most 64 MiB)
 *   then        the device's first bytes; the rest reads as zeros
 * so that a small input can describe a disk whose backup GPT header or
 * btrfs superblock lies far from its start.
 */
#pragma once

#include <config.h>

#include <string.h>

#include "conv/conv.h"
#include "inspect/inspect-priv.h"

#define FUZZ_MAX_DEVICE (64u << 20)

typedef struct {
    const guint8 *data;
    gsize len;
} FuzzDevice;

static gboolean
fuzz_device_read(gpointer opaque, void *buf, gsize len, guint64 offset,
                 GError **error)
{
    FuzzDevice *d = opaque;
    guint8 *out = buf;

    (void)error;
    memset(out, 0, len);
    if (offset < d->len)
        memcpy(out, d->data + offset, MIN(len, d->len - (gsize)offset));
    return TRUE;
}

/* The reader for @data, or FALSE when the input is too short. */
static gboolean
fuzz_device_init(FuzzDevice *d, InspectReader *r, const guint8 *data,
                 size_t size)
{
    guint64 sectors;

    if (size < 4)
        return FALSE;
    sectors = (guint64)data[0] | (guint64)data[1] << 8 |
              (guint64)data[2] << 16 | (guint64)data[3] << 24;
    d->data = data + 4;
    d->len = size - 4;
    r->read = fuzz_device_read;
    r->data = d;
    r->size = MIN(sectors * 512, (guint64)FUZZ_MAX_DEVICE);
    return TRUE;
}

/* What inspect.c does with a partition: identify it, walk an ESP. */
static void
fuzz_identify(const InspectReader *r, guint64 offset, guint64 size)
{
    g_autoptr(InspectFs) fs = inspect_superblock_identify(r, offset, size,
                                                          NULL);
    g_autoptr(GError) error = NULL;
    gboolean found;

    if (fs) {
        JsonNode *node = inspect_fs_to_json(fs);

        json_node_unref(node);
        if (g_str_equal(fs->type, "vfat"))
            (void)inspect_fat_exists(r, offset, size, "EFI/BOOT/BOOTX64.EFI",
                                     &found, &error);
    }
}
