/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-inspect-mem.h: an in-memory disk for inspect/'s parsers, and the
 * little-endian writers the crafted headers are built with.
 */
#pragma once

#include <glib.h>
#include <string.h>

#include "conv/conv.h"
#include "inspect/inspect-priv.h"

typedef struct {
    guint8 *data;
    gsize size;
    gboolean fail;            /* every read fails, as an I/O error */
    guint reads;
} MemDisk;

static inline gboolean
mem_disk_read(gpointer data, void *buf, gsize len, guint64 offset,
              GError **error)
{
    MemDisk *m = data;

    m->reads++;
    if (m->fail) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "mem: read failed");
        return FALSE;
    }
    g_assert_cmpuint(offset + len, <=, m->size);
    memcpy(buf, m->data + offset, len);
    return TRUE;
}

static inline InspectReader
mem_disk_reader(MemDisk *m)
{
    InspectReader r = { mem_disk_read, m, m->size };

    return r;
}

static inline MemDisk *
mem_disk_new(gsize size)
{
    MemDisk *m = g_new0(MemDisk, 1);

    m->data = g_malloc0(size);
    m->size = size;
    return m;
}

static inline void
mem_disk_free(MemDisk *m)
{
    g_free(m->data);
    g_free(m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MemDisk, mem_disk_free)

static inline void
put_le16(guint8 *p, guint16 v)
{
    p[0] = (guint8)v;
    p[1] = (guint8)(v >> 8);
}

static inline void
put_le32(guint8 *p, guint32 v)
{
    put_le16(p, (guint16)v);
    put_le16(p + 2, (guint16)(v >> 16));
}

static inline void
put_le64(guint8 *p, guint64 v)
{
    put_le32(p, (guint32)v);
    put_le32(p + 4, (guint32)(v >> 32));
}

/* Whether one of @table's notes contains @needle. */
static inline gboolean
notes_contain(GPtrArray *notes, const char *needle)
{
    guint i;

    for (i = 0; i < notes->len; i++)
        if (strstr(g_ptr_array_index(notes, i), needle))
            return TRUE;
    return FALSE;
}
