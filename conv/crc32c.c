/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crc32c.c: CRC-32C (Castagnoli) in the table-driven byte-at-a-time form.
 *
 * VHDX checksums cover at most a 64 KiB region table or one log entry per
 * call, so the plain 256-entry table is fast enough.  The table is built
 * once, on first use, under a GOnce (thread-safe).
 */
#include <config.h>

#include "conv/crc32c.h"

/* The reflected form of the Castagnoli polynomial 0x1EDC6F41. */
#define CRC32C_POLY_REFLECTED 0x82F63B78u

static guint32 crc32c_table[256];

static gpointer
crc32c_table_init(gpointer data)
{
    guint32 i;

    for (i = 0; i < 256; i++) {
        guint32 c = i;
        int k;

        for (k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
        crc32c_table[i] = c;
    }
    return NULL;
}

guint32
crc32c_update(guint32 crc, const void *buf, gsize len)
{
    static GOnce once = G_ONCE_INIT;
    const guint8 *p = buf;

    g_once(&once, crc32c_table_init, NULL);
    crc = ~crc;
    while (len--)
        crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}
