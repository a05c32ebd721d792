/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vhdx-build.h: a VHDX builder for the unit tests.  Layout of a built
 * image: headers and region tables as the spec places them, the log at
 * 1 MiB, the metadata region at 2 MiB (table, then items from 64 KiB), the
 * BAT region at 3 MiB, and 1 MiB payload blocks (chunk ratio 4096, 512-byte
 * sectors) appended from 4 MiB on.
 */
#pragma once

#include <glib.h>

#define MIB (1024u * 1024u)
#define X_LOG_AT (1 * MIB)
#define X_META_AT (2 * MIB)
#define X_BAT_AT (3 * MIB)
#define X_DATA_AT (4 * MIB)
#define X_BLOCK MIB
#define X_CHUNK_RATIO 4096u     /* 2^23 * 512 / 1 MiB */

enum { I_PARAMS, I_SIZE, I_PAGE83, I_LSS, I_PSS, I_LOCATOR };

typedef struct {
    guint8 *d;
    gsize len;
    gboolean diff;
    guint64 size;
    guint64 sb_at;            /* sector bitmap block of chunk 0, or 0 */
} Vx;

void put_le16(guint8 *p, guint16 v);
void put_le32(guint8 *p, guint32 v);
void put_le64(guint8 *p, guint64 v);

/* A dynamic (or, with @diff, differencing, parent ".\\parent.vhdx") VHDX
 * of @size bytes with every block NOT_PRESENT; checksums are set by
 * vx_seal(). */
Vx *vx_new(guint64 size, gboolean diff);
void vx_free(Vx *x);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Vx, vx_free)

/* The metadata table entry in slot @i. */
guint8 *vx_metadata_entry(Vx *x, int i);
/* Puts a parent locator item with one key/value pair in slot @slot. */
void vx_locator(Vx *x, int slot, const char *key, const char *value);
/* Sets payload block @block's state; 6 and 7 get a block filled with @fill. */
void vx_block(Vx *x, guint64 block, guint state, guint8 fill);
/* Marks sectors [first, first+n) of @block present in chunk 0's bitmap. */
void vx_bitmap_set(Vx *x, guint64 block, guint64 first, guint64 n);
/* Recomputes the checksums of both headers and both region tables. */
void vx_seal(Vx *x);
/* Writes the image sparsely to @path. */
void vx_write(Vx *x, const char *path);
