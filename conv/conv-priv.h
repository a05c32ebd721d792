/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conv-priv.h: what conv/'s format files share.  Not for other folders
 * (unit tests may include it).
 *
 * Each format is one file exporting one symbol, its struct ferry_format.
 * image.c owns the generic part of ConvImage (file, sizes, the backing
 * chain); a format's open() fills in size, backing name/format and priv.
 */
#pragma once

#include "conv/conv.h"

#include <sys/types.h>

G_BEGIN_DECLS

struct ferry_format {
    const char *name;                                   /* "qcow2" */
    /* Scores the first bytes of a file 0-100; no I/O.  NULL: never probed. */
    int (*probe)(const guint8 *head, gsize len);
    /* Reads and checks the header and tables; sets img->size, img->priv and,
     * if there is one, img->backing_name / img->backing_format. */
    gboolean (*open)(ConvImage *img, GError **error);
    /* Appends extents covering exactly [off, off+len) of this layer; the
     * caller keeps off+len <= img->size. */
    gboolean (*block_status)(ConvImage *img, guint64 off, guint64 len,
                             ConvExtents *out, GError **error);
    /* Reads exactly len bytes of this layer, off+len <= img->size.  Zero
     * and unallocated ranges read as zeros: the chain code (image.c) only
     * asks a layer that has a backing file for its DATA ranges. */
    gboolean (*pread)(ConvImage *img, void *buf, gsize len, guint64 off,
                      GError **error);
    /* Frees img->priv only. */
    void (*close)(ConvImage *img);

    /* Writers (conv/writer-priv.h); NULL for a format ferry only reads.
     * plan() takes its -o options and fixes the layout before any byte is
     * written; emit() writes it front to back through the engine. */
    gboolean (*plan)(ConvOutput *out, GError **error);
    gboolean (*emit)(ConvOutput *out, ConvSink *sink, GError **error);
};

struct _ConvImage {
    /* Immutable after open. */
    char *path;                    /* as given (relative paths kept) */
    const struct ferry_format *format;
    ConvFormatSource format_source;
    /* What the first bytes look like, whatever format it was opened in. */
    const struct ferry_format *probed_format;
    int fd;                        /* O_RDONLY, always */
    guint64 file_size;             /* st_size, or the block device's size */
    dev_t dev;                     /* for backing-loop detection */
    ino_t ino;
    gboolean is_block_device;

    /* Set by the format's open(). */
    guint64 size;                  /* virtual size in bytes */
    char *backing_name;            /* as written in the header, or NULL */
    char *backing_format;          /* declared backing format, or NULL */
    char *detail;                  /* one line for `ferry info`, or NULL */
    void *priv;                    /* the format's own state */

    /* Set by image.c after open(). */
    ConvImage *backing;            /* owned */
};

extern const struct ferry_format raw_format;
extern const struct ferry_format qcow2_format;
extern const struct ferry_format vmdk_format;
extern const struct ferry_format vpc_format;
extern const struct ferry_format vhdx_format;

const struct ferry_format *conv_format_find(const char *name);
const struct ferry_format *conv_format_probe(const guint8 *head, gsize len);

/* @a / @b rounded up (@b > 0). */
static inline guint64
conv_div_round_up(guint64 a, guint64 b)
{
    return a / b + (a % b != 0);
}

/* Reads exactly @len file bytes at @offset of @img's file, or fails with a
 * message naming the file and @what (the structure being read). */
gboolean conv_file_pread(ConvImage *img, void *buf, gsize len, guint64 offset,
                         const char *what, GError **error);
/* The same on any open file (extent files of a multi-file image). */
gboolean conv_fd_pread(int fd, const char *path, guint64 file_size, void *buf,
                       gsize len, guint64 offset, const char *what,
                       GError **error);
/* Block status of [@off, +@len) of @img's file read as a flat image: data
 * where the file has data, zeros in its holes (SEEK_DATA/SEEK_HOLE); all
 * data where the filesystem cannot tell (EINVAL, block devices). */
gboolean conv_file_block_status(ConvImage *img, guint64 off, guint64 len,
                                ConvExtents *out, GError **error);

/* Resolves a backing or extent file name the way qemu does: absolute names
 * stay, relative ones are taken from the directory of @img's path. */
char *conv_image_resolve_relative(const ConvImage *img, const char *name);

/* A parent name written by Windows tools, as a path here: '\\' becomes '/'
 * and leading "./" are dropped, so "..\\a\\b.vhd" is "../a/b.vhd", relative
 * to the child as qemu resolves backing names.  With @basename_only, only
 * the last component (for absolute Windows paths, whose drive means nothing
 * on this host). */
char *conv_windows_path_to_posix(const char *path, gboolean basename_only);

/* Opens a file read-only as a bare image with no format (for multi-file
 * formats such as VMDK extents), with the usual error wording. */
int conv_open_readonly(const char *path, guint64 *size_out, GError **error);

/* Big-endian and little-endian loads from a header buffer. */
static inline guint16 conv_be16(const guint8 *p) { return (guint16)p[0] << 8 | p[1]; }
static inline guint32 conv_be32(const guint8 *p)
{ return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3]; }
static inline guint64 conv_be64(const guint8 *p)
{ return (guint64)conv_be32(p) << 32 | conv_be32(p + 4); }
static inline guint16 conv_le16(const guint8 *p) { return (guint16)p[1] << 8 | p[0]; }
static inline guint32 conv_le32(const guint8 *p)
{ return (guint32)p[3] << 24 | (guint32)p[2] << 16 | (guint32)p[1] << 8 | p[0]; }
static inline guint64 conv_le64(const guint8 *p)
{ return (guint64)conv_le32(p + 4) << 32 | conv_le32(p); }

G_END_DECLS
