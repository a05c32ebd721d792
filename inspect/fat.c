/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fat.c: just enough FAT12/16/32 (Microsoft's "FAT: General Overview of
 * On-Disk Format", 1.03) to tell whether a file exists on an EFI system
 * partition: EFI/BOOT/BOOTX64.EFI, the fallback loader.
 *
 * Boot sector (BPB): 11-12 bytes per sector, 13 sectors per cluster, 14-15
 * reserved sectors, 16 number of FATs, 17-18 root entries (FAT12/16),
 * 19-20 / 32-35 total sectors, 22-23 / 36-39 sectors per FAT, 44-47 root
 * cluster (FAT32).  The FAT type follows from the count of clusters alone
 * (< 4085 FAT12, < 65525 FAT16), as the spec says.
 * A directory entry is 32 bytes: 0-10 the 8.3 name, 11 attributes (0x10
 * directory, 0x08 volume label, 0x0f a long-name slot), 20-21 high and
 * 26-27 low cluster.  Long-name slots precede their entry, last first:
 * 0 sequence (0x40 = last), 1-10, 14-25, 28-31: 13 UCS-2 characters.
 *
 * Bounded: a directory stops at INSPECT_FAT_MAX_DIR_ENTRIES, a chain at a
 * cluster seen before or past INSPECT_FAT_MAX_CHAIN.
 */
#include <config.h>

#include <string.h>

#include "conv/conv.h"
#include "inspect/inspect-priv.h"

typedef struct {
    const InspectReader *r;
    guint64 offset;           /* the partition's first byte */
    guint32 bps;              /* bytes per sector */
    guint32 cluster_bytes;
    guint64 fat_start;        /* bytes from offset */
    guint64 root_start;       /* FAT12/16 fixed root */
    guint32 root_entries;
    guint64 data_start;
    guint32 clusters;         /* data clusters; valid numbers 2..clusters+1 */
    int bits;                 /* 12, 16, 32 */
    guint32 root_cluster;     /* FAT32 */
} Fat;

static gboolean
fat_corrupt(GError **error, const char *what)
{
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT, "FAT: %s", what);
    return FALSE;
}

static gboolean
fat_open(Fat *fat, const InspectReader *r, guint64 offset, guint64 size,
         GError **error)
{
    guint8 bs[512];
    guint32 spc, reserved, nfats, fatsz, total, root_sectors, data_sectors;

    if (size < 512)
        return fat_corrupt(error, "partition is smaller than a boot sector");
    if (!inspect_read(r, bs, sizeof(bs), offset, "FAT boot sector", error))
        return FALSE;
    fat->r = r;
    fat->offset = offset;
    fat->bps = inspect_le16(bs + 11);
    spc = bs[13];
    reserved = inspect_le16(bs + 14);
    nfats = bs[16];
    fat->root_entries = inspect_le16(bs + 17);
    total = inspect_le16(bs + 19) ? inspect_le16(bs + 19)
                                  : inspect_le32(bs + 32);
    fatsz = inspect_le16(bs + 22) ? inspect_le16(bs + 22)
                                  : inspect_le32(bs + 36);
    if (fat->bps < 512 || fat->bps > 4096 || (fat->bps & (fat->bps - 1)) ||
        spc == 0 || (spc & (spc - 1)) || reserved == 0 || nfats == 0 ||
        fatsz == 0)
        return fat_corrupt(error, "BPB: bytes per sector, sectors per "
                           "cluster, reserved sectors, FATs or FAT size is "
                           "out of range");
    fat->cluster_bytes = fat->bps * spc;
    root_sectors = (fat->root_entries * 32 + fat->bps - 1) / fat->bps;
    fat->fat_start = (guint64)reserved * fat->bps;
    fat->root_start = fat->fat_start + (guint64)nfats * fatsz * fat->bps;
    fat->data_start = fat->root_start + (guint64)root_sectors * fat->bps;
    if ((guint64)total * fat->bps > size || fat->data_start / fat->bps >= total)
        return fat_corrupt(error, "BPB: total sectors end past the partition "
                           "or before the data region");
    data_sectors = total - (guint32)(fat->data_start / fat->bps);
    fat->clusters = data_sectors / spc;
    fat->bits = fat->clusters < 4085 ? 12 : fat->clusters < 65525 ? 16 : 32;
    fat->root_cluster = fat->bits == 32 ? inspect_le32(bs + 44) : 0;
    /* The FAT itself must hold an entry for every cluster. */
    if ((guint64)fatsz * fat->bps * 8 / (guint64)fat->bits <
        (guint64)fat->clusters + 2)
        return fat_corrupt(error, "BPB: the FAT is too small for the "
                           "clusters");
    if (fat->bits == 32 && fat->root_entries != 0)
        return fat_corrupt(error, "BPB: FAT32 with a fixed root directory");
    return TRUE;
}

static gboolean
fat_next_cluster(Fat *fat, guint32 cluster, guint32 *next, GError **error)
{
    guint8 b[4];
    guint64 off;

    switch (fat->bits) {
    case 12:
        off = cluster + cluster / 2;
        if (!inspect_read(fat->r, b, 2, fat->offset + fat->fat_start + off,
                          "FAT entry", error))
            return FALSE;
        *next = inspect_le16(b);
        *next = (cluster & 1) ? *next >> 4 : *next & 0xfff;
        if (*next >= 0xff8)
            *next = 0;
        break;
    case 16:
        if (!inspect_read(fat->r, b, 2,
                          fat->offset + fat->fat_start + (guint64)cluster * 2,
                          "FAT entry", error))
            return FALSE;
        *next = inspect_le16(b);
        if (*next >= 0xfff8)
            *next = 0;
        break;
    default:
        if (!inspect_read(fat->r, b, 4,
                          fat->offset + fat->fat_start + (guint64)cluster * 4,
                          "FAT entry", error))
            return FALSE;
        *next = inspect_le32(b) & 0x0fffffff;
        if (*next >= 0x0ffffff8)
            *next = 0;
        break;
    }
    return TRUE;
}

typedef struct {
    gunichar2 lfn[20 * 13 + 1];
    gboolean lfn_valid;
    const char *want;
    gboolean found;
    guint32 cluster;
    gboolean is_dir;
    guint entries;
} FatSearch;

static void
fat_lfn_slot(FatSearch *s, const guint8 *e)
{
    static const int pos[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28,
                                 30 };
    guint seq = e[0] & 0x1f;
    int i;

    if (e[0] & 0x40) {
        memset(s->lfn, 0, sizeof(s->lfn));
        s->lfn_valid = TRUE;
    }
    if (!s->lfn_valid || seq == 0 || seq > 20) {
        s->lfn_valid = FALSE;
        return;
    }
    for (i = 0; i < 13; i++)
        s->lfn[(seq - 1) * 13 + i] = inspect_le16(e + pos[i]);
}

/* Compares a long name (UCS-2, ASCII case folded) with @want. */
static gboolean
fat_lfn_equal(const gunichar2 *lfn, const char *want)
{
    gsize i;

    for (i = 0; want[i]; i++)
        if (lfn[i] >= 0x80 ||
            g_ascii_toupper((char)lfn[i]) != g_ascii_toupper(want[i]))
            return FALSE;
    return lfn[i] == 0 || lfn[i] == 0xffff;
}

static gboolean
fat_short_equal(const guint8 *e, const char *want)
{
    char name[13];
    int n = 0, i;

    for (i = 0; i < 8 && e[i] != ' '; i++)
        name[n++] = (char)e[i];
    if (e[8] != ' ') {
        name[n++] = '.';
        for (i = 8; i < 11 && e[i] != ' '; i++)
            name[n++] = (char)e[i];
    }
    name[n] = '\0';
    if (name[0] == 0x05)   /* a real 0xe5 first byte */
        name[0] = (char)0xe5;
    return g_ascii_strcasecmp(name, want) == 0;
}

/* Scans @len bytes of directory entries; TRUE in *done at the end marker,
 * a match, or the entry limit. */
static void
fat_scan(FatSearch *s, const guint8 *buf, gsize len, gboolean *done)
{
    gsize i;

    for (i = 0; i + 32 <= len; i += 32) {
        const guint8 *e = buf + i;

        if (++s->entries > INSPECT_FAT_MAX_DIR_ENTRIES || e[0] == 0) {
            *done = TRUE;
            return;
        }
        if (e[0] == 0xe5) {
            s->lfn_valid = FALSE;
            continue;
        }
        if (e[11] == 0x0f) {
            fat_lfn_slot(s, e);
            continue;
        }
        if (!(e[11] & 0x08) &&
            ((s->lfn_valid && fat_lfn_equal(s->lfn, s->want)) ||
             fat_short_equal(e, s->want))) {
            s->found = TRUE;
            s->is_dir = (e[11] & 0x10) != 0;
            s->cluster = (guint32)inspect_le16(e + 26) |
                         (guint32)inspect_le16(e + 20) << 16;
            *done = TRUE;
            return;
        }
        s->lfn_valid = FALSE;
    }
}

/* Looks up @name in the directory starting at @cluster (0: the fixed root
 * of FAT12/16). */
static gboolean
fat_lookup(Fat *fat, guint32 cluster, FatSearch *s, GError **error)
{
    g_autoptr(GHashTable) seen = NULL;
    g_autofree guint8 *buf = NULL;
    gboolean done = FALSE;
    guint chain = 0;

    if (cluster == 0 && fat->bits != 32) {
        gsize len = (gsize)fat->root_entries * 32;

        buf = g_malloc(len ? len : 1);
        if (len && !inspect_read(fat->r, buf, len,
                                 fat->offset + fat->root_start,
                                 "FAT root directory", error))
            return FALSE;
        fat_scan(s, buf, len, &done);
        return TRUE;
    }
    seen = g_hash_table_new(NULL, NULL);
    buf = g_malloc(fat->cluster_bytes);
    while (!done && cluster != 0) {
        if (cluster < 2 || cluster > fat->clusters + 1)
            return fat_corrupt(error, "directory cluster chain leaves the "
                               "data region");
        if (g_hash_table_contains(seen, GUINT_TO_POINTER(cluster)) ||
            ++chain > INSPECT_FAT_MAX_CHAIN)
            return fat_corrupt(error, "directory cluster chain loops");
        g_hash_table_add(seen, GUINT_TO_POINTER(cluster));
        if (!inspect_read(fat->r, buf, fat->cluster_bytes,
                          fat->offset + fat->data_start +
                              (guint64)(cluster - 2) * fat->cluster_bytes,
                          "FAT directory", error))
            return FALSE;
        fat_scan(s, buf, fat->cluster_bytes, &done);
        if (!done && !fat_next_cluster(fat, cluster, &cluster, error))
            return FALSE;
    }
    return TRUE;
}

gboolean
inspect_fat_exists(const InspectReader *r, guint64 offset, guint64 size,
                   const char *path, gboolean *found, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    Fat fat = { 0 };
    guint32 cluster;
    gboolean is_dir = TRUE;
    guint i;

    *found = FALSE;
    if (!fat_open(&fat, r, offset, size, error))
        return FALSE;
    cluster = fat.root_cluster;
    for (i = 0; parts[i]; i++) {
        g_autofree FatSearch *s = g_new0(FatSearch, 1);

        if (!parts[i][0])
            continue;
        if (!is_dir)
            return TRUE;
        s->want = parts[i];
        if (!fat_lookup(&fat, cluster, s, error))
            return FALSE;
        if (!s->found)
            return TRUE;
        cluster = fat.bits == 32 ? s->cluster : s->cluster & 0xffff;
        is_dir = s->is_dir;
        /* ".." naming the root records cluster 0; a subdirectory at 0 is
         * the root again on FAT12/16, and on FAT32 means the root too. */
        if (cluster == 0 && fat.bits == 32)
            cluster = fat.root_cluster;
    }
    *found = !is_dir;
    return TRUE;
}
