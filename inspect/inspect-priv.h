/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inspect-priv.h: what inspect/'s readers share.  Not for other folders;
 * unit tests and fuzz targets may include it.
 *
 * The parsers (partitions.c, superblocks.c, fat.c) are pure functions over
 * a read callback, so that they can be fed crafted buffers by tests and
 * fuzzers; inspect.c gives them one that reads a ConvImage and counts the
 * bytes.  Nothing read from the guest is trusted: every count, offset and
 * length is checked against a named limit and the device size first.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Reads exactly @len bytes at @offset of the device, or fails. */
typedef gboolean (*InspectReadFunc)(gpointer data, void *buf, gsize len,
                                    guint64 offset, GError **error);

typedef struct {
    InspectReadFunc read;
    gpointer data;
    guint64 size;             /* the device's size in bytes */
} InspectReader;

/* Reads [@offset, @offset + @len) of @r, failing (FERRY_ERROR_CORRUPT,
 * naming @what) when it is not inside the device. */
gboolean inspect_read(const InspectReader *r, void *buf, gsize len,
                      guint64 offset, const char *what, GError **error);

/* Little-endian fields at any alignment (on-disk structures are packed,
 * and the MBR's entries start at byte 446). */
static inline guint16
inspect_le16(const guint8 *p)
{
    return (guint16)(p[0] | p[1] << 8);
}

static inline guint32
inspect_le32(const guint8 *p)
{
    return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 |
           (guint32)p[3] << 24;
}

static inline guint64
inspect_le64(const guint8 *p)
{
    return (guint64)inspect_le32(p) | (guint64)inspect_le32(p + 4) << 32;
}

static inline guint32
inspect_be32(const guint8 *p)
{
    return (guint32)p[3] | (guint32)p[2] << 8 | (guint32)p[1] << 16 |
           (guint32)p[0] << 24;
}

/* Text from the guest (labels, names, fstab fields, os-release values)
 * reaches JSON, which escapes it, and the summary on a terminal, which
 * would not: control characters become '?' where the text is read, so
 * that a label cannot move the cursor or forge a line.  ASCII for ASCII,
 * so valid UTF-8 stays valid. */
static inline char *
inspect_text_clean(char *s)
{
    char *p;

    for (p = s; p && *p; p++)
        if ((guchar)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return s;
}

/* ---- partition tables (partitions.c) ----------------------------------- */

/* MBR extended chains and GPT entry arrays are bounded.  Linux's msdos
 * parser stops at 256 partitions (DISK_MAX_PARTS).  Every tool that writes
 * a GPT writes 128 entries of 128 bytes (16 KiB); UEFI allows more and
 * larger entries, so accept up to 1024 entries of up to 512 bytes, at most
 * 1 MiB of array in all. */
#define INSPECT_MAX_LOGICAL 256
#define INSPECT_MAX_GPT_ENTRIES 1024
#define INSPECT_MAX_GPT_ENTRY_SIZE 512
#define INSPECT_MAX_GPT_ARRAY_BYTES (1024 * 1024)

typedef enum {
    INSPECT_TABLE_NONE,
    INSPECT_TABLE_MBR,
    INSPECT_TABLE_GPT,
} InspectTableKind;

typedef struct {
    guint number;             /* 1-based, as Linux numbers them */
    guint64 start;            /* bytes */
    guint64 size;             /* bytes */
    const char *type;         /* "esp", "linux", ... (static) */
    char *type_id;            /* GUID in lower case, or "0x83" */
    char *uuid;               /* GPT partition GUID, or NULL */
    char *name;               /* GPT partition name (UTF-8), or NULL */
    gboolean logical;         /* MBR logical partition */
} InspectPartition;

typedef struct {
    InspectTableKind kind;
    gboolean mbr_boot_code;   /* non-zero bytes in the MBR's 440-byte code */
    char *disk_guid;          /* GPT */
    gboolean primary_ok;      /* GPT header and entries CRCs */
    gboolean backup_ok;
    GPtrArray *partitions;    /* of InspectPartition, by number */
    GPtrArray *notes;         /* of char *: what was wrong and skipped */
} InspectTable;

void inspect_table_free(InspectTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InspectTable, inspect_table_free)

const char *inspect_table_kind_to_string(InspectTableKind kind);

/**
 * inspect_partitions_read:
 * @r: the disk, 512-byte sectors
 * @error: only for a failed read (the callback's error)
 *
 * Reads the MBR and, with a protective MBR, the GPT (primary, else the
 * backup).  What breaks the spec is no error: the entry is skipped and a
 * note says why, so one bad table still leaves a report.
 */
InspectTable *inspect_partitions_read(const InspectReader *r, GError **error);

/* "esp", "linux"... for a GPT type GUID (lower case text) or MBR id. */
const char *inspect_gpt_type_name(const char *guid);
const char *inspect_mbr_type_name(guint8 id);

/* ---- filesystems by their superblocks (superblocks.c) ------------------- */

typedef struct {
    char *type;               /* "ext4", "xfs", "vfat", "lvm2-pv", ... */
    char *uuid;               /* or NULL */
    char *label;              /* or NULL */
    GPtrArray *features;      /* of char *, or NULL */
    guint32 block_size;       /* 0 when not known */
    char *version;            /* "1", "2" for LUKS, "FAT32"..., or NULL */
} InspectFs;

void inspect_fs_free(InspectFs *fs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InspectFs, inspect_fs_free)

/**
 * inspect_superblock_identify:
 * @r: the device
 * @offset: where the partition (or whole disk) starts
 * @size: its size
 * @error: only for a failed read
 *
 * Returns: the filesystem or container found at @offset, or one of type
 * "unknown" when no signature matches (never NULL without @error set).
 */
InspectFs *inspect_superblock_identify(const InspectReader *r, guint64 offset,
                                       guint64 size, GError **error);

/* The object of docs/inspect.md for @fs. */
JsonNode *inspect_fs_to_json(const InspectFs *fs);

/* ---- FAT (fat.c) --------------------------------------------------------- */

/* Bounds of the FAT walk: a directory of more entries than this, or a
 * cluster chain longer, is taken as corrupt (an ESP directory holds tens). */
#define INSPECT_FAT_MAX_DIR_ENTRIES 65536
#define INSPECT_FAT_MAX_CHAIN 65536

/**
 * inspect_fat_exists:
 * @path: components separated by '/', compared case-insensitively against
 *        long (LFN) and 8.3 names ("EFI/BOOT/BOOTX64.EFI")
 * @found: set to whether a file (not a directory) is there
 * @error: FERRY_ERROR_CORRUPT for a FAT that breaks its spec, or the
 *         read's error
 */
gboolean inspect_fat_exists(const InspectReader *r, guint64 offset,
                            guint64 size, const char *path, gboolean *found,
                            GError **error);

/* ---- ext2/3/4 through libext2fs (ext.c) ---------------------------------- */

/* Every file read from a guest is capped; os-release and fstab are a few
 * hundred bytes, modules.builtin a few tens of KiB. */
#define INSPECT_MAX_FILE_BYTES (1024 * 1024)
/* Directory entries visited in one directory (/boot, /lib/modules). */
#define INSPECT_MAX_DIR_ENTRIES 4096
/* A directory on a looked-up path: a lookup reads it whole.  /usr/lib of
 * a big distribution is a few hundred KiB; 16 MiB is a million names. */
#define INSPECT_MAX_DIR_BYTES (16 * 1024 * 1024)
/* Symlinks followed in one lookup: libext2fs's EXT2FS_MAX_NESTED_LINKS
 * (the kernel allows 40; a guest's /etc/os-release needs 1). */
#define INSPECT_MAX_SYMLINK_HOPS 8
/* A symlink target: PATH_MAX. */
#define INSPECT_MAX_LINK_BYTES 4096
/* Kernel versions under /lib/modules looked at. */
#define INSPECT_MAX_KERNELS 32

typedef struct _InspectExt InspectExt;

/* Opens the ext2/3/4 filesystem at @offset, read-only.  FERRY_ERROR_CORRUPT
 * with libext2fs's message when it cannot. */
InspectExt *inspect_ext_open(const InspectReader *r, guint64 offset,
                             guint64 size, GError **error);
void inspect_ext_close(InspectExt *ext);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InspectExt, inspect_ext_close)

/* The file's bytes (symlinks followed, at most INSPECT_MAX_FILE_BYTES), or
 * NULL: FERRY_ERROR_NOT_FOUND when missing. */
GBytes *inspect_ext_read_file(InspectExt *ext, const char *path,
                              GError **error);
gboolean inspect_ext_exists(InspectExt *ext, const char *path);
/* Names in directory @path (no "." or ".."), sorted, at most
 * INSPECT_MAX_DIR_ENTRIES; NULL when it is no directory. */
GPtrArray *inspect_ext_list(InspectExt *ext, const char *path);

/* ---- the OS (os.c) ------------------------------------------------------- */

/* One fstab line's fields. */
typedef struct {
    char *spec;
    char *file;
    char *vfstype;
    const char *by;           /* uuid|label|partuuid|partlabel|device|other */
} InspectFstabEntry;

void inspect_fstab_entry_free(InspectFstabEntry *e);

/* Lines of fstab text (comments and blank lines skipped, at most 1024). */
GPtrArray *inspect_fstab_parse(const char *text, gsize len);
/* "uuid" for "UUID=...", "device" for /dev/[hsv]dX, /dev/xvdX, /dev/nvmeX;
 * "other" otherwise (also /dev/mapper, /dev/disk/by-*). */
const char *inspect_fstab_spec_kind(const char *spec);
/* Whether @spec names a device by a kernel name that changes between
 * hypervisors (/dev/[hsv]dX, /dev/xvdX, /dev/nvmeX). */
gboolean inspect_fstab_spec_is_device(const char *spec);

/* KEY=value lines of os-release: the unquoted value of @key, or NULL. */
char *inspect_os_release_get(const char *text, gsize len, const char *key);

/* A partition (or whole disk) holding a recognised filesystem. */
typedef struct {
    guint disk;               /* 0-based */
    guint partition;          /* its number, 0 for the whole disk */
    const InspectReader *r;
    guint64 offset;
    guint64 size;
    const InspectFs *fs;
    const char *part_uuid;    /* GPT partition GUID, or NULL */
    const char *part_label;   /* GPT partition name, or NULL */
} InspectVolume;

/* The driver modules looked for, by name (os.drivers, "drivers"). */
typedef struct {
    char *root;               /* "disk 0 partition 2" */
    const char *root_fs_type; /* borrowed from the volume */
    char *id;
    char *version_id;
    char *pretty_name;
    GPtrArray *fstab;         /* of InspectFstabEntry, NULL without fstab */
    GPtrArray *kernels;       /* of char * ("6.1.0-13-amd64") */
    GPtrArray *initramfs;     /* of char * (file names in /boot) */
    GPtrArray *drivers;       /* of char *, sorted */
    char *grub;               /* "/boot/grub/grub.cfg", or NULL */
    gboolean cloud_init;
    gboolean boot_separate;   /* fstab mounts /boot */
} InspectOs;

void inspect_os_free(InspectOs *os);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InspectOs, inspect_os_free)

/**
 * inspect_os_find:
 * @volumes: of InspectVolume, disks in order
 * @notes: where what could not be read is said (of char *)
 *
 * Finds the root among the ext2/3/4 volumes (the one with /etc/os-release
 * or /etc/fstab mounting "/") and reads the OS from it, and kernels from a
 * separate /boot.  NULL when there is none.
 */
InspectOs *inspect_os_find(GPtrArray *volumes, GPtrArray *notes);

G_END_DECLS
