/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ext.c: files of an ext2/3/4 filesystem, through libext2fs, read-only.
 *
 * libext2fs reads through an io_manager; the one here reads from the
 * InspectReader (and so from conv_image_pread(), through qcow2, vmdk, vhd
 * and backing chains) at the partition's offset, refuses every write, and
 * the filesystem is opened without EXT2_FLAG_RW.  libext2fs names the
 * device by a string only, so the reader's address travels in it
 * ("ferry-inspect:0x..."), as the test io_managers of e2fsprogs pass theirs.
 *
 * Reads are lazy: opening reads the superblock and group descriptors
 * (64 bytes per 32768 blocks: 512 KiB for 1 TiB at 4 KiB blocks), and each
 * lookup only the directory blocks and inodes on its path.  Every file
 * read is capped at INSPECT_MAX_FILE_BYTES, every directory listing at
 * INSPECT_MAX_DIR_ENTRIES, every directory on a path at
 * INSPECT_MAX_DIR_BYTES, and a path at INSPECT_MAX_SYMLINK_HOPS symlinks.
 */
#include <config.h>

#include <et/com_err.h>
#include <ext2fs/ext2fs.h>
#include <stdio.h>
#include <string.h>

#include "conv/conv.h"
#include "inspect/inspect-priv.h"

typedef struct {
    const InspectReader *r;
    guint64 offset;
    guint64 size;
    GError *error;            /* the first failed read, for the message */
} InspectExtIo;

struct _InspectExt {
    ext2_filsys fs;
    InspectExtIo io;
};

static struct struct_io_manager inspect_io_manager;

static errcode_t
inspect_io_open(const char *name, int flags, io_channel *channel)
{
    InspectExtIo *io = NULL;
    io_channel ch;

    if (flags & IO_FLAG_RW)
        return EXT2_ET_RO_FILSYS;
    if (!name || sscanf(name, "ferry-inspect:%p", (void **)&io) != 1 || !io)
        return EXT2_ET_BAD_DEVICE_NAME;
    ch = g_new0(struct struct_io_channel, 1);
    ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
    ch->manager = &inspect_io_manager;
    ch->name = g_strdup(name);
    ch->block_size = 1024;
    ch->refcount = 1;
    ch->private_data = io;
    *channel = ch;
    return 0;
}

static errcode_t
inspect_io_close(io_channel channel)
{
    if (--channel->refcount > 0)
        return 0;
    g_free(channel->name);
    g_free(channel);
    return 0;
}

static errcode_t
inspect_io_set_blksize(io_channel channel, int blksize)
{
    if (blksize <= 0)
        return EXT2_ET_INVALID_ARGUMENT;
    channel->block_size = blksize;
    return 0;
}

static errcode_t
inspect_io_read_blk64(io_channel channel, unsigned long long block, int count,
                      void *data)
{
    InspectExtIo *io = channel->private_data;
    guint64 len, off;

    /* A negative count is a byte count (ext2_io.h). */
    len = count < 0 ? (guint64)-(gint64)count
                    : (guint64)count * (guint64)channel->block_size;
    if (block > G_MAXUINT64 / (guint64)channel->block_size)
        return EXT2_ET_SHORT_READ;
    off = block * (guint64)channel->block_size;
    if (off > io->size || len > io->size - off || len > G_MAXSIZE)
        return EXT2_ET_SHORT_READ;
    if (len == 0)
        return 0;
    if (!io->r->read(io->r->data, data, (gsize)len, io->offset + off,
                     io->error ? NULL : &io->error))
        return EXT2_ET_SHORT_READ;
    return 0;
}

static errcode_t
inspect_io_read_blk(io_channel channel, unsigned long block, int count,
                    void *data)
{
    return inspect_io_read_blk64(channel, block, count, data);
}

static errcode_t
inspect_io_write_blk(io_channel channel, unsigned long block, int count,
                     const void *data)
{
    (void)channel, (void)block, (void)count, (void)data;
    return EXT2_ET_RO_FILSYS;
}

static errcode_t
inspect_io_write_blk64(io_channel channel, unsigned long long block, int count,
                       const void *data)
{
    (void)channel, (void)block, (void)count, (void)data;
    return EXT2_ET_RO_FILSYS;
}

static errcode_t
inspect_io_write_byte(io_channel channel, unsigned long offset, int count,
                      const void *data)
{
    (void)channel, (void)offset, (void)count, (void)data;
    return EXT2_ET_RO_FILSYS;
}

static errcode_t
inspect_io_flush(io_channel channel)
{
    (void)channel;
    return 0;
}

static errcode_t
inspect_io_set_option(io_channel channel, const char *option, const char *arg)
{
    (void)channel, (void)option, (void)arg;
    return EXT2_ET_INVALID_ARGUMENT;
}

static struct struct_io_manager inspect_io_manager = {
    .magic = EXT2_ET_MAGIC_IO_MANAGER,
    .name = "ferry inspect (read-only, through conv)",
    .open = inspect_io_open,
    .close = inspect_io_close,
    .set_blksize = inspect_io_set_blksize,
    .read_blk = inspect_io_read_blk,
    .write_blk = inspect_io_write_blk,
    .flush = inspect_io_flush,
    .write_byte = inspect_io_write_byte,
    .set_option = inspect_io_set_option,
    .read_blk64 = inspect_io_read_blk64,
    .write_blk64 = inspect_io_write_blk64,
};

void
inspect_ext_close(InspectExt *ext)
{
    if (!ext)
        return;
    if (ext->fs)
        ext2fs_close_free(&ext->fs);
    g_clear_error(&ext->io.error);
    g_free(ext);
}

InspectExt *
inspect_ext_open(const InspectReader *r, guint64 offset, guint64 size,
                 GError **error)
{
    g_autoptr(InspectExt) ext = g_new0(InspectExt, 1);
    g_autofree char *name = NULL;
    errcode_t err;

    static gsize tables_ready;

    /* error_message() knows libext2fs's codes only once its com_err table
     * is registered; the registration is process-wide and idempotent. */
    if (g_once_init_enter(&tables_ready)) {
        initialize_ext2_error_table();
        g_once_init_leave(&tables_ready, 1);
    }
    ext->io.r = r;
    ext->io.offset = offset;
    ext->io.size = size;
    name = g_strdup_printf("ferry-inspect:%p", (void *)&ext->io);
    err = ext2fs_open2(name, NULL, EXT2_FLAG_64BITS, 0, 0, &inspect_io_manager,
                       &ext->fs);
    if (err) {
        ext->fs = NULL;
        if (ext->io.error) {
            g_propagate_prefixed_error(error, g_steal_pointer(&ext->io.error),
                                       "ext filesystem: ");
            return NULL;
        }
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "ext filesystem: %s", error_message(err));
        return NULL;
    }
    return g_steal_pointer(&ext);
}

/* A symlink's target (at most PATH_MAX bytes), wherever ext keeps it: in
 * the inode (fast symlinks), inline data, or a data block. */
static char *
inspect_ext_readlink(InspectExt *ext, ext2_ino_t ino, struct ext2_inode *inode)
{
    guint64 size = EXT2_I_SIZE(inode);
    g_autofree char *buf = NULL;
    ext2_file_t file = NULL;
    unsigned int got = 0;
    size_t inline_size = 0;

    if (size == 0 || size >= INSPECT_MAX_LINK_BYTES)
        return NULL;
    if (ext2fs_is_fast_symlink(inode))
        return g_strndup((const char *)inode->i_block, (gsize)size);
    /* Inline data never exceeds the inode, itself under a block. */
    buf = g_malloc0(MAX(ext->fs->blocksize, (unsigned int)size) + 1);
    if (inode->i_flags & EXT4_INLINE_DATA_FL) {
        if (ext2fs_inline_data_size(ext->fs, ino, &inline_size) ||
            inline_size > ext->fs->blocksize ||
            ext2fs_inline_data_get(ext->fs, ino, inode, buf, NULL))
            return NULL;
        return g_strndup(buf, (gsize)MIN(size, (guint64)inline_size));
    }
    if (ext2fs_file_open(ext->fs, ino, 0, &file))
        return NULL;
    if (ext2fs_file_read(file, buf, (unsigned int)size, &got) || got != size) {
        ext2fs_file_close(file);
        return NULL;
    }
    ext2fs_file_close(file);
    return g_strndup(buf, got);
}

/* Pushes the components of @path onto the front of @todo, in order. */
static void
inspect_ext_push_path(GQueue *todo, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    int i;

    for (i = (int)g_strv_length(parts) - 1; i >= 0; i--)
        if (parts[i][0] && !g_str_equal(parts[i], "."))
            g_queue_push_head(todo, g_strdup(parts[i]));
}

/* Resolves @path from the root, following every symlink (at most
 * INSPECT_MAX_SYMLINK_HOPS of them) and refusing directories larger than
 * INSPECT_MAX_DIR_BYTES: libext2fs's own namei scans any directory on the
 * way to its end, and follows links without a cap on the total. */
static gboolean
inspect_ext_lookup(InspectExt *ext, const char *path, ext2_ino_t *ino,
                   struct ext2_inode *inode)
{
    g_autoptr(GQueue) todo = g_queue_new();
    ext2_ino_t cur = EXT2_ROOT_INO;
    guint hops = 0;
    char *comp;

    inspect_ext_push_path(todo, path);
    while ((comp = g_queue_pop_head(todo))) {
        g_autofree char *name = comp;
        struct ext2_inode dir;
        ext2_ino_t next;

        if (ext2fs_read_inode(ext->fs, cur, &dir) ||
            !LINUX_S_ISDIR(dir.i_mode) ||
            EXT2_I_SIZE(&dir) > INSPECT_MAX_DIR_BYTES ||
            ext2fs_lookup(ext->fs, cur, name, (int)strlen(name), NULL, &next) ||
            ext2fs_read_inode(ext->fs, next, inode)) {
            g_queue_free_full(g_steal_pointer(&todo), g_free);
            return FALSE;
        }
        if (LINUX_S_ISLNK(inode->i_mode)) {
            g_autofree char *target = NULL;

            if (++hops > INSPECT_MAX_SYMLINK_HOPS ||
                !(target = inspect_ext_readlink(ext, next, inode))) {
                g_queue_free_full(g_steal_pointer(&todo), g_free);
                return FALSE;
            }
            /* A relative target continues from the link's directory. */
            if (target[0] == '/')
                cur = EXT2_ROOT_INO;
            inspect_ext_push_path(todo, target);
            continue;
        }
        cur = next;
    }
    *ino = cur;
    return ext2fs_read_inode(ext->fs, cur, inode) == 0;
}

gboolean
inspect_ext_exists(InspectExt *ext, const char *path)
{
    struct ext2_inode inode;
    ext2_ino_t ino;

    return inspect_ext_lookup(ext, path, &ino, &inode);
}

GBytes *
inspect_ext_read_file(InspectExt *ext, const char *path, GError **error)
{
    struct ext2_inode inode;
    ext2_file_t file = NULL;
    ext2_ino_t ino;
    g_autofree guint8 *buf = NULL;
    __u64 size;
    gsize want, got = 0;
    errcode_t err;

    if (!inspect_ext_lookup(ext, path, &ino, &inode) ||
        !LINUX_S_ISREG(inode.i_mode)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "%s: no such file", path);
        return NULL;
    }
    err = ext2fs_file_open(ext->fs, ino, 0, &file);
    if (err) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT, "%s: %s", path,
                    error_message(err));
        return NULL;
    }
    ext2fs_file_get_lsize(file, &size);
    want = (gsize)MIN(size, (__u64)INSPECT_MAX_FILE_BYTES);
    buf = g_malloc(want + 1);
    while (got < want) {
        unsigned int n = 0;

        err = ext2fs_file_read(file, buf + got, (unsigned int)(want - got),
                               &n);
        if (err || n == 0)
            break;
        got += n;
    }
    ext2fs_file_close(file);
    if (err) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT, "%s: %s", path,
                    error_message(err));
        return NULL;
    }
    buf[got] = '\0';
    return g_bytes_new_take(g_steal_pointer(&buf), got);
}

typedef struct {
    GPtrArray *names;
    guint visited;
} InspectExtList;

static int
inspect_ext_list_entry(struct ext2_dir_entry *dirent, int offset,
                       int blocksize, char *buf, void *priv)
{
    InspectExtList *l = priv;
    int len = ext2fs_dirent_name_len(dirent);

    (void)offset, (void)blocksize, (void)buf;
    if (++l->visited > INSPECT_MAX_DIR_ENTRIES)
        return DIRENT_ABORT;
    if ((len == 1 && dirent->name[0] == '.') ||
        (len == 2 && dirent->name[0] == '.' && dirent->name[1] == '.'))
        return 0;
    if (g_utf8_validate(dirent->name, len, NULL))
        g_ptr_array_add(l->names,
                        inspect_text_clean(g_strndup(dirent->name, (gsize)len)));
    return 0;
}

static gint
inspect_strcmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *
inspect_ext_list(InspectExt *ext, const char *path)
{
    struct ext2_inode inode;
    ext2_ino_t ino;
    InspectExtList l = { 0 };

    if (!inspect_ext_lookup(ext, path, &ino, &inode) ||
        !LINUX_S_ISDIR(inode.i_mode))
        return NULL;
    l.names = g_ptr_array_new_with_free_func(g_free);
    if (ext2fs_dir_iterate(ext->fs, ino, 0, NULL, inspect_ext_list_entry,
                           &l) != 0 && l.names->len == 0) {
        g_ptr_array_unref(l.names);
        return NULL;
    }
    g_ptr_array_sort(l.names, inspect_strcmp);
    return l.names;
}
