/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crc32c.h: CRC-32C (Castagnoli), the checksum of VHDX headers, region
 * tables and log entries ([MS-VHDX] section 2.2.2: polynomial 0x1EDC6F41,
 * reflected, initial value and final XOR 0xFFFFFFFF).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Starts or continues a checksum: pass 0 for the first piece, then the
 * previous result.  crc32c_update(crc32c_update(0, a, n), b, m) equals the
 * checksum of a followed by b. */
guint32 crc32c_update(guint32 crc, const void *buf, gsize len);

static inline guint32
crc32c(const void *buf, gsize len)
{
    return crc32c_update(0, buf, len);
}

G_END_DECLS
