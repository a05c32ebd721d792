/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * extents.c: sorted, merged lists of data / zero / unallocated ranges, the
 * common currency of block_status() and the copy engine.
 */
#include <config.h>

#include "conv/conv.h"

ConvExtents *
conv_extents_new(void)
{
    ConvExtents *extents = g_new0(ConvExtents, 1);

    extents->items = g_array_new(FALSE, FALSE, sizeof(ConvExtent));
    return extents;
}

void
conv_extents_free(ConvExtents *extents)
{
    if (!extents)
        return;
    g_array_unref(extents->items);
    g_free(extents);
}

void
conv_extents_clear(ConvExtents *extents)
{
    g_array_set_size(extents->items, 0);
}

/* Appending keeps the list merged so that callers (and `ferry map`) see one
 * extent per run, as qemu-img map does. */
void
conv_extents_append(ConvExtents *extents, guint64 start, guint64 length,
                    ConvExtentKind kind)
{
    ConvExtent *last;
    ConvExtent ext = { start, length, kind };

    if (length == 0)
        return;
    if (extents->items->len > 0) {
        last = &g_array_index(extents->items, ConvExtent,
                              extents->items->len - 1);
        g_assert(last->start + last->length == start);
        if (last->kind == kind) {
            last->length += length;
            return;
        }
    }
    g_array_append_val(extents->items, ext);
}

guint
conv_extents_count(const ConvExtents *extents)
{
    return extents->items->len;
}

const ConvExtent *
conv_extents_get(const ConvExtents *extents, guint i)
{
    g_assert(i < extents->items->len);
    return &g_array_index(extents->items, ConvExtent, i);
}

const char *
conv_extent_kind_to_string(ConvExtentKind kind)
{
    switch (kind) {
    case CONV_EXTENT_DATA:
        return "data";
    case CONV_EXTENT_ZERO:
        return "zero";
    case CONV_EXTENT_UNALLOCATED:
        return "unallocated";
    }
    g_assert_not_reached();
}
