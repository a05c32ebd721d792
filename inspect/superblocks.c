/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * superblocks.c: what a partition holds, by the signature of its superblock,
 * as util-linux's libblkid finds them (libblkid/src/superblocks/), reading
 * at most 12 KiB of it:
 *
 *   LUKS1/2    0: "LUKS\xba\xbe", 6-7 version (BE), 24-71 label (v2),
 *              168-207 UUID (text)
 *   LVM2 PV    sector 0..3: "LABELONE", 8-15 its own sector, 20-23 offset
 *              of the PV header, 24-31 "LVM2 001"; PV header 0-31 UUID
 *   xfs        0: "XFSB", 4-7 block size (BE), 32-47 UUID, 108-119 label
 *   ext2/3/4   1024: the superblock; 56-57 magic 0xef53, 24 log block size
 *              - 10, 92/96/100 compat/incompat/ro_compat features, 104-119
 *              UUID, 120-135 label
 *   btrfs      65536: 32-47 fsid, 64-71 "_BHRfS_M", 144-147 sector size,
 *              299-554 label
 *   vfat       0: a BPB (11-12 bytes per sector, 13 sectors per cluster,
 *              16 FATs) and 0x55aa; FAT32 when 22-23 (FAT16 size) is 0:
 *              67 volume id, 71-81 label; else 39 and 43-53
 *   ntfs       3: "NTFS    ", 72-79 volume serial
 *   swap       page size - 10: "SWAPSPACE2"; 1036-1051 UUID, 1052-1067 label
 *   iso9660    32768: type 1, "CD001"; 40-71 volume id
 *
 * ext3 versus ext4 follows blkid: a filesystem using any feature ext3 lacks
 * is ext4, one with a journal otherwise ext3, else ext2.
 */
#include <config.h>

#include <string.h>

#include "conv/conv.h"
#include "inspect/inspect-priv.h"

#define HEAD_BYTES 4096u

void
inspect_fs_free(InspectFs *fs)
{
    if (!fs)
        return;
    g_free(fs->type);
    g_free(fs->uuid);
    g_free(fs->label);
    if (fs->features)
        g_ptr_array_unref(fs->features);
    g_free(fs->version);
    g_free(fs);
}

static InspectFs *
inspect_fs_new(const char *type)
{
    InspectFs *fs = g_new0(InspectFs, 1);

    fs->type = g_strdup(type);
    return fs;
}

static gboolean
inspect_is_zero(const guint8 *p, gsize len)
{
    gsize i;

    for (i = 0; i < len; i++)
        if (p[i])
            return FALSE;
    return TRUE;
}

static char *
inspect_uuid_bytes(const guint8 *u)
{
    if (inspect_is_zero(u, 16))
        return NULL;
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x",
                           u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
                           u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                           u[15]);
}

/* A fixed-size text field: up to the first NUL, trailing spaces dropped;
 * NULL when empty or not UTF-8 (a label is shown, never trusted). */
static char *
inspect_text(const guint8 *p, gsize max)
{
    gsize n = 0;

    while (n < max && p[n])
        n++;
    while (n > 0 && p[n - 1] == ' ')
        n--;
    if (n == 0 || !g_utf8_validate((const char *)p, (gssize)n, NULL))
        return NULL;
    return inspect_text_clean(g_strndup((const char *)p, n));
}

static const struct {
    int word;                 /* 0 compat, 1 incompat, 2 ro_compat */
    guint32 bit;
    const char *name;         /* e2p's names, as dumpe2fs prints them */
} ext_features[] = {
    { 0, 0x0001, "dir_prealloc" }, { 0, 0x0002, "imagic_inodes" },
    { 0, 0x0004, "has_journal" }, { 0, 0x0008, "ext_attr" },
    { 0, 0x0010, "resize_inode" }, { 0, 0x0020, "dir_index" },
    { 0, 0x0200, "sparse_super2" }, { 0, 0x0400, "fast_commit" },
    { 0, 0x0800, "stable_inodes" }, { 0, 0x1000, "orphan_file" },
    { 1, 0x0001, "compression" }, { 1, 0x0002, "filetype" },
    { 1, 0x0004, "needs_recovery" }, { 1, 0x0008, "journal_dev" },
    { 1, 0x0010, "meta_bg" }, { 1, 0x0040, "extent" },
    { 1, 0x0080, "64bit" }, { 1, 0x0100, "mmp" },
    { 1, 0x0200, "flex_bg" }, { 1, 0x0400, "ea_inode" },
    { 1, 0x1000, "dirdata" }, { 1, 0x2000, "metadata_csum_seed" },
    { 1, 0x4000, "large_dir" }, { 1, 0x8000, "inline_data" },
    { 1, 0x10000, "encrypt" }, { 1, 0x20000, "casefold" },
    { 2, 0x0001, "sparse_super" }, { 2, 0x0002, "large_file" },
    { 2, 0x0008, "huge_file" }, { 2, 0x0010, "uninit_bg" },
    { 2, 0x0020, "dir_nlink" }, { 2, 0x0040, "extra_isize" },
    { 2, 0x0100, "quota" }, { 2, 0x0200, "bigalloc" },
    { 2, 0x0400, "metadata_csum" }, { 2, 0x1000, "read-only" },
    { 2, 0x2000, "project" }, { 2, 0x8000, "verity" },
    { 2, 0x10000, "orphan_present" },
};

/* What ext3 knows (blkid's EXT3_FEATURE_*_SUPP): the rest means ext4. */
#define EXT3_INCOMPAT_SUPP (0x0002 | 0x0004 | 0x0010)
#define EXT3_RO_COMPAT_SUPP (0x0001 | 0x0002 | 0x0004)
#define EXT_JOURNAL_DEV 0x0008

static InspectFs *
inspect_ext(const guint8 *sb)
{
    guint32 words[3] = { inspect_le32(sb + 92), inspect_le32(sb + 96),
                         inspect_le32(sb + 100) };
    guint32 log = inspect_le32(sb + 24);
    const char *type;
    InspectFs *fs;
    gsize i;

    /* blkid gives a journal device its own type, jbd; it holds no files. */
    if (words[1] & EXT_JOURNAL_DEV)
        type = "jbd";
    else if ((words[1] & ~(guint32)EXT3_INCOMPAT_SUPP) ||
             (words[2] & ~(guint32)EXT3_RO_COMPAT_SUPP))
        type = "ext4";
    else if (words[0] & 0x0004)
        type = "ext3";
    else
        type = "ext2";
    fs = inspect_fs_new(type);
    fs->uuid = inspect_uuid_bytes(sb + 104);
    fs->label = inspect_text(sb + 120, 16);
    /* s_log_block_size: 1 KiB to 64 KiB (e2fsprogs' EXT2_MAX_BLOCK_LOG_SIZE). */
    fs->block_size = log <= 6 ? 1024u << log : 0;
    fs->features = g_ptr_array_new_with_free_func(g_free);
    for (i = 0; i < G_N_ELEMENTS(ext_features); i++)
        if (words[ext_features[i].word] & ext_features[i].bit)
            g_ptr_array_add(fs->features, g_strdup(ext_features[i].name));
    return fs;
}

static InspectFs *
inspect_vfat(const guint8 *bs)
{
    guint16 bps = inspect_le16(bs + 11);
    guint8 spc = bs[13];
    gboolean fat32 = inspect_le16(bs + 22) == 0;
    const guint8 *ext = bs + (fat32 ? 64 : 36);   /* extended BPB */
    InspectFs *fs;
    char *label;

    if (bs[510] != 0x55 || bs[511] != 0xaa)
        return NULL;
    if ((bs[0] != 0xeb && bs[0] != 0xe9) || bps < 512 || bps > 4096 ||
        (bps & (bps - 1)) || spc == 0 || (spc & (spc - 1)) ||
        inspect_le16(bs + 14) == 0 || bs[16] == 0 || bs[16] > 2)
        return NULL;
    if (memcmp(bs + 3, "NTFS    ", 8) == 0)
        return NULL;
    fs = inspect_fs_new("vfat");
    fs->block_size = (guint32)bps * spc;
    fs->version = g_strdup(fat32 ? "FAT32"
                           : memcmp(bs + 54, "FAT12", 5) == 0 ? "FAT12"
                                                              : "FAT16");
    /* Extended boot signature 0x29: volume id and label are valid. */
    if (ext[2] == 0x29) {
        guint32 id = inspect_le32(ext + 3);

        fs->uuid = g_strdup_printf("%04X-%04X", id >> 16, id & 0xffff);
        label = inspect_text(ext + 7, 11);
        if (label && g_strcmp0(label, "NO NAME") != 0)
            fs->label = g_steal_pointer(&label);
        g_free(label);
    }
    return fs;
}

/* blkid's LVM2 UUID layout: 6-4-4-4-4-4-6 characters. */
static char *
inspect_lvm_uuid(const guint8 *u)
{
    static const int groups[] = { 6, 4, 4, 4, 4, 4, 6 };
    GString *s = g_string_new(NULL);
    gsize i, k = 0;
    int j;

    for (i = 0; i < G_N_ELEMENTS(groups); i++) {
        if (i)
            g_string_append_c(s, '-');
        for (j = 0; j < groups[i]; j++, k++) {
            if (!g_ascii_isalnum(u[k])) {
                g_string_free(s, TRUE);
                return NULL;
            }
            g_string_append_c(s, (char)u[k]);
        }
    }
    return g_string_free(s, FALSE);
}

static InspectFs *
inspect_head(const guint8 *head, gsize len)
{
    InspectFs *fs;
    guint s;

    if (len >= 512 && memcmp(head, "LUKS\xba\xbe", 6) == 0) {
        guint16 version = (guint16)(head[6] << 8 | head[7]);

        fs = inspect_fs_new("luks");
        fs->version = g_strdup_printf("%u", version);
        fs->uuid = inspect_text(head + 168, 40);
        if (version == 2)
            fs->label = inspect_text(head + 24, 48);
        return fs;
    }
    for (s = 0; s < 4 && (s + 1) * 512 <= len; s++) {
        const guint8 *label = head + s * 512;
        guint32 off = inspect_le32(label + 20);

        if (memcmp(label, "LABELONE", 8) != 0 ||
            inspect_le64(label + 8) != s || memcmp(label + 24, "LVM2 001", 8))
            continue;
        fs = inspect_fs_new("lvm2-pv");
        if (off >= 32 && off <= 512 - 32)
            fs->uuid = inspect_lvm_uuid(label + off);
        return fs;
    }
    if (len >= 512 && memcmp(head, "XFSB", 4) == 0) {
        fs = inspect_fs_new("xfs");
        fs->block_size = inspect_be32(head + 4);
        fs->uuid = inspect_uuid_bytes(head + 32);
        fs->label = inspect_text(head + 108, 12);
        return fs;
    }
    if (len >= 2048 && inspect_le16(head + 1024 + 56) == 0xef53)
        return inspect_ext(head + 1024);
    if (len >= 512 && memcmp(head + 3, "NTFS    ", 8) == 0 &&
        head[510] == 0x55 && head[511] == 0xaa) {
        fs = inspect_fs_new("ntfs");
        fs->uuid = g_strdup_printf("%016" G_GINT64_MODIFIER "X",
                                   inspect_le64(head + 72));
        return fs;
    }
    if (len >= 512 && (fs = inspect_vfat(head)))
        return fs;
    return NULL;
}

static InspectFs *
inspect_swap(const guint8 *head, gsize len, const guint8 *page_end)
{
    InspectFs *fs;

    if (memcmp(page_end, "SWAPSPACE2", 10) != 0 &&
        memcmp(page_end, "SWAP-SPACE", 10) != 0)
        return NULL;
    fs = inspect_fs_new("swap");
    if (len >= 1068 && memcmp(page_end, "SWAPSPACE2", 10) == 0) {
        fs->uuid = inspect_uuid_bytes(head + 1036);
        fs->label = inspect_text(head + 1052, 16);
    }
    return fs;
}

InspectFs *
inspect_superblock_identify(const InspectReader *r, guint64 offset,
                            guint64 size, GError **error)
{
    static const guint32 page_sizes[] = { 4096, 8192, 16384, 65536 };
    guint8 head[HEAD_BYTES];
    guint8 tail[512];
    gsize len = (gsize)MIN((guint64)HEAD_BYTES, size);
    InspectFs *fs;
    gsize i;

    if (len < 512)
        return inspect_fs_new("unknown");
    if (!inspect_read(r, head, len, offset, "superblock", error))
        return NULL;
    if ((fs = inspect_head(head, len)))
        return fs;
    for (i = 0; i < G_N_ELEMENTS(page_sizes); i++) {
        guint32 ps = page_sizes[i];

        if (ps > size)
            break;
        if (ps == HEAD_BYTES) {
            fs = inspect_swap(head, len, head + ps - 10);
        } else {
            if (!inspect_read(r, tail, 512, offset + ps - 512, "swap header",
                              error))
                return NULL;
            fs = inspect_swap(head, len, tail + 512 - 10);
        }
        if (fs)
            return fs;
    }
    if (size >= 65536 + 4096) {
        guint8 sb[4096];

        if (!inspect_read(r, sb, sizeof(sb), offset + 65536, "btrfs superblock",
                          error))
            return NULL;
        if (memcmp(sb + 64, "_BHRfS_M", 8) == 0) {
            fs = inspect_fs_new("btrfs");
            fs->uuid = inspect_uuid_bytes(sb + 32);
            fs->block_size = inspect_le32(sb + 144);
            fs->label = inspect_text(sb + 299, 256);
            return fs;
        }
    }
    if (size >= 32768 + 2048) {
        guint8 pvd[2048];

        if (!inspect_read(r, pvd, sizeof(pvd), offset + 32768,
                          "iso9660 volume descriptor", error))
            return NULL;
        if (pvd[0] == 1 && memcmp(pvd + 1, "CD001", 5) == 0) {
            fs = inspect_fs_new("iso9660");
            fs->label = inspect_text(pvd + 40, 32);
            fs->block_size = inspect_le16(pvd + 128);
            return fs;
        }
    }
    return inspect_fs_new("unknown");
}

JsonNode *
inspect_fs_to_json(const InspectFs *fs)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    guint i;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, fs->type);
    json_builder_set_member_name(b, "uuid");
    if (fs->uuid)
        json_builder_add_string_value(b, fs->uuid);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "label");
    if (fs->label)
        json_builder_add_string_value(b, fs->label);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "features");
    json_builder_begin_array(b);
    for (i = 0; fs->features && i < fs->features->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(fs->features, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "block-size");
    if (fs->block_size)
        json_builder_add_int_value(b, fs->block_size);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "version");
    if (fs->version)
        json_builder_add_string_value(b, fs->version);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
