/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conv.h: the public face of ferry's image converter.
 *
 * conv/ opens disk images read-only (raw, qcow2, vmdk, vpc, vhdx), follows
 * their backing chains, answers "what is allocated where" (block status) and
 * "what bytes are there" (pread) for the whole chain, and knows nothing of
 * libvirt, SSH or HTTP.  It is the bottom layer, so ferry's error domain is
 * declared here.
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_ERROR (ferry_error_quark())
GQuark ferry_error_quark(void);

typedef enum {
    FERRY_ERROR_FAILED,       /* none of the below */
    FERRY_ERROR_INVALID,      /* bad argument: CLI, config, JSON request, D-Bus call */
    FERRY_ERROR_NOT_FOUND,    /* domain, disk, job, remote path */
    FERRY_ERROR_BUSY,         /* domain running, job already active */
    FERRY_ERROR_UNSUPPORTED,  /* well-formed but refused: encrypted qcow2, seSparse */
    FERRY_ERROR_CORRUPT,      /* input breaks its spec: header, table, descriptor */
    FERRY_ERROR_IO,           /* local read, write or seek failed */
    FERRY_ERROR_AUTH,         /* host key mismatch, login refused, caller not allowed */
    FERRY_ERROR_NETWORK,      /* connect, timeout, dropped connection */
    FERRY_ERROR_REMOTE,       /* far side refused: SFTP status, HTTP 4xx/5xx */
    FERRY_ERROR_CHECKSUM,     /* verification mismatch */
    FERRY_ERROR_EXISTS,       /* would overwrite: an export already at the target */
    FERRY_ERROR_LAST
} FerryError;

/**
 * ferry_check_text:
 * @what: how the message names the value ("option 'name'", "file name")
 * @value: the text
 * @max: its longest length in bytes
 * @error: FERRY_ERROR_INVALID naming @what and the fault
 *
 * The one check for text that will reach a message, a log line, a path or a
 * D-Bus string: 1..@max bytes, valid UTF-8, no control characters (which
 * could forge a log line or a terminal's output).
 */
gboolean ferry_check_text(const char *what, const char *value, gsize max,
                          GError **error);

/* Outside JSON nests at most this deep; deeper is refused before
 * json-glib, whose parser recurses, sees it. */
#define FERRY_MAX_JSON_DEPTH 64

/* TRUE when the JSON text @data nests objects and arrays at most
 * @max_depth deep (brackets inside strings do not count). */
gboolean ferry_json_depth_ok(const char *data, gsize len, guint max_depth);

/* Backing chains longer than this are refused (qemu's own limit is similar). */
#define CONV_MAX_CHAIN_DEPTH 64

/* ---- extents ---------------------------------------------------------- */

typedef enum {
    CONV_EXTENT_DATA,         /* bytes stored in this layer */
    CONV_EXTENT_ZERO,         /* reads as zeros, decided by this layer */
    CONV_EXTENT_UNALLOCATED,  /* not decided here: ask the backing file */
} ConvExtentKind;

typedef struct {
    guint64 start;
    guint64 length;
    ConvExtentKind kind;
} ConvExtent;

/* A sorted list of non-overlapping extents; adjacent extents of one kind are
 * merged as they are appended. */
typedef struct {
    GArray *items;            /* of ConvExtent */
} ConvExtents;

ConvExtents *conv_extents_new(void);
void conv_extents_free(ConvExtents *extents);
void conv_extents_clear(ConvExtents *extents);
void conv_extents_append(ConvExtents *extents, guint64 start, guint64 length,
                         ConvExtentKind kind);
guint conv_extents_count(const ConvExtents *extents);
const ConvExtent *conv_extents_get(const ConvExtents *extents, guint i);
const char *conv_extent_kind_to_string(ConvExtentKind kind);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConvExtents, conv_extents_free)

/* ---- images ----------------------------------------------------------- */

typedef struct _ConvImage ConvImage;

/**
 * conv_image_open:
 * @path: the image file (or block device); opened read-only
 * @format: the declared format ("raw", "qcow2", "vmdk", "vpc", "vhdx"), or
 *          NULL to probe.  A declared format is honoured, but the first bytes
 *          are probed too and a mismatch is refused (a raw disk that holds a
 *          qcow2 header must not be silently read as raw, nor the reverse).
 * @error: FERRY_ERROR_NOT_FOUND (missing file), FERRY_ERROR_IO,
 *         FERRY_ERROR_CORRUPT, FERRY_ERROR_UNSUPPORTED, FERRY_ERROR_INVALID
 *
 * Opens the image and its whole backing chain (depth <= CONV_MAX_CHAIN_DEPTH,
 * no file twice).  Only @path itself may be probed: a backing file is opened
 * in the format its parent records, or as raw if none is recorded
 * (CONV_FORMAT_SOURCE_ASSUMED_RAW), never probed; one whose first bytes look
 * like another format is then refused (FERRY_ERROR_UNSUPPORTED), as libvirt
 * refuses it.  Every message starts with the path of the file at fault.
 *
 * Returns: (transfer full): the image, or NULL with @error set.
 */
ConvImage *conv_image_open(const char *path, const char *format, GError **error);

/* Like conv_image_open() but a mismatch between @format and the probed
 * format is allowed (qemu-img -f semantics: the caller knows best). */
ConvImage *conv_image_open_forced(const char *path, const char *format,
                                  GError **error);

/* Where a layer's format came from. */
typedef enum {
    CONV_FORMAT_SOURCE_DECLARED,    /* the caller named it (-f, domain XML) */
    CONV_FORMAT_SOURCE_PROBED,      /* the top image, by its first bytes */
    CONV_FORMAT_SOURCE_RECORDED,    /* the parent's header records it */
    /* A backing file whose parent records no format: opened as raw and
     * never probed, since a guest writes its raw disk and could plant a
     * header there whose backing file is a host file (libvirt's rule). */
    CONV_FORMAT_SOURCE_ASSUMED_RAW,
} ConvFormatSource;

/* "declared", "probed", "recorded", "assumed-raw" */
const char *conv_format_source_to_string(ConvFormatSource source);

void conv_image_free(ConvImage *img);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConvImage, conv_image_free)

const char *conv_image_get_path(const ConvImage *img);
const char *conv_image_get_format(const ConvImage *img);   /* "qcow2" */
ConvFormatSource conv_image_get_format_source(const ConvImage *img);
guint64 conv_image_get_size(const ConvImage *img);          /* virtual bytes */
guint64 conv_image_get_file_size(const ConvImage *img);     /* bytes on disk */
/* The next image down the chain (borrowed), or NULL. */
ConvImage *conv_image_get_backing(const ConvImage *img);
/* The backing file name as written in the header (borrowed), or NULL. */
const char *conv_image_get_backing_name(const ConvImage *img);
/* Format-specific detail for `ferry info` (borrowed, may be NULL): e.g.
 * "compat=1.1 cluster_size=65536" or "createType=streamOptimized". */
const char *conv_image_get_detail(const ConvImage *img);

/**
 * conv_image_block_status:
 * Appends to @out the extents covering exactly [@offset, @offset + @length)
 * of this layer alone: data, zero, or unallocated (decided further down).
 */
gboolean conv_image_block_status(ConvImage *img, guint64 offset, guint64 length,
                                 ConvExtents *out, GError **error);

/**
 * conv_image_chain_block_status:
 * Like conv_image_block_status() but for the whole chain: unallocated ranges
 * are resolved in the backing files; what no layer holds reads as zero.
 * The result has only DATA and ZERO extents.
 */
gboolean conv_image_chain_block_status(ConvImage *img, guint64 offset,
                                       guint64 length, ConvExtents *out,
                                       GError **error);

/**
 * conv_image_pread:
 * Reads exactly @len guest bytes at @offset through the whole chain
 * (unallocated ranges come from the backing file, or read as zero past its
 * end).  Fails on a short read; never returns partial data.
 */
gboolean conv_image_pread(ConvImage *img, void *buf, gsize len, guint64 offset,
                          GError **error);

/* ---- formats ---------------------------------------------------------- */

/* Names of the formats ferry reads, in qemu-img's spelling, NULL-terminated. */
const char *const *conv_format_names(void);
gboolean conv_format_is_known(const char *name);

/* The bytes probing looks at: qemu reads 2048, VMDK descriptors may need more. */
#define CONV_PROBE_BYTES 4096

/* Names the format whose header @head starts with ("raw" when none). */
const char *conv_format_probe_name(const guint8 *head, gsize len);

/* ---- sinks, writers and the copy engine (conv/sink*.c, conv/engine*.c) -- */

/* A sink is where an output image goes: an ordered byte stream that may
 * leave holes (skip forward) or patch bytes already written only where the
 * destination allows.  Sinks stack like nbdkit filters: a hashing sink wraps
 * a file sink, and later a transport or provider sink. */
typedef struct _ConvSink ConvSink;

/**
 * conv_sink_new_file:
 * @path: the destination, or "-" for standard output (no seeking: holes are
 *        written as zeros and conv_sink_pwrite() is refused)
 * @error: FERRY_ERROR_IO, FERRY_ERROR_NOT_FOUND (no such directory)
 *
 * Writes go to ".NAME.XXXXXX.part" beside @path; conv_sink_commit() fsyncs it
 * and renames it to @path, conv_sink_abort() (or freeing an uncommitted sink)
 * unlinks it.  Nothing ever appears under @path unless the commit succeeds.
 */
ConvSink *conv_sink_new_file(const char *path, GError **error);
/* With @unsafe, commit renames without fsync and the output is not
 * written back or dropped from the page cache as it goes (qemu-img
 * convert's default cache mode, "unsafe"): faster, but after a power loss
 * @path may hold garbage, and the output stays in the page cache.  Only on
 * a sink from conv_sink_new_file(), before wrapping. */
void conv_sink_file_set_unsafe(ConvSink *sink, gboolean unsafe);
/* Hashes the stream (holes as zeros) with SHA-256 on its way to @next, which
 * it takes.  It cannot patch: a writer that needs conv_sink_pwrite() is
 * refused under it. */
ConvSink *conv_sink_new_sha256(ConvSink *next);

gboolean conv_sink_write(ConvSink *sink, const void *buf, gsize len,
                         GError **error);
/* Leaves @len bytes of zeros: a hole where the sink can seek, else zeros. */
gboolean conv_sink_skip(ConvSink *sink, guint64 len, GError **error);
gboolean conv_sink_can_seek(const ConvSink *sink);
/* Whether bytes already written may be rewritten (a local file can). */
gboolean conv_sink_can_patch(const ConvSink *sink);
/* Rewrites bytes at @offset, which must end at or before the current offset. */
gboolean conv_sink_pwrite(ConvSink *sink, const void *buf, gsize len,
                          guint64 offset, GError **error);
/* Bytes written or skipped so far. */
guint64 conv_sink_get_offset(const ConvSink *sink);
gboolean conv_sink_commit(ConvSink *sink, GError **error);
/* Removes every temporary; safe to call twice and after a failed commit. */
void conv_sink_abort(ConvSink *sink);
/* The lowercase hex SHA-256 of the stream, from the first hashing layer,
 * once committed; else NULL. */
const char *conv_sink_get_sha256(const ConvSink *sink);
/* A sink built from callbacks outside conv/ (a provider's upload).  Each
 * callback gets @data; skip may be NULL (holes are then written as zeros);
 * commit is called once, abort at most once and never after a successful
 * commit.  The sink can never be patched. */
typedef struct {
    const char *name;
    gboolean (*write)(gpointer data, const void *buf, gsize len,
                      GError **error);
    gboolean (*skip)(gpointer data, guint64 len, GError **error);
    gboolean (*commit)(gpointer data, GError **error);
    void (*abort)(gpointer data);
} ConvSinkCustomOps;

/* @ops is borrowed for the sink's life; @free (nullable) frees @data when
 * the sink is freed. */
ConvSink *conv_sink_new_custom(const ConvSinkCustomOps *ops, gpointer data,
                               GDestroyNotify free_data);

/* Frees the stack; an uncommitted sink is aborted first. */
void conv_sink_free(ConvSink *sink);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConvSink, conv_sink_free)

/* Output formats ferry writes, NULL-terminated ("raw", "qcow2", ...). */
const char *const *conv_writer_names(void);
/* The usual file extension for output format @format: "vhd" for "vpc",
 * else the format's own name. */
const char *conv_format_extension(const char *format);

/* The -o options of a vpc output that Azure accepts: @options (nullable)
 * with azure=on added unless they set azure already.  azure=on means a
 * fixed VHD of a whole number of MiB with that exact size in its footer;
 * conv_output_get_planned_size() then gives the page blob's size. */
char *conv_vpc_azure_options(const char *options);

/* Guest bytes accounted for so far (copied or known zero), of @total. */
typedef void (*ConvProgressFunc)(guint64 done, guint64 total, gpointer data);

typedef struct {
    const char *format;          /* output format: "raw", "qcow2" */
    const char *options;         /* qemu-img -o "k=v,k=v", or NULL */
    gboolean compress;           /* qemu-img -c */
    guint threads;               /* reader/compressor threads; 0: pick */
    ConvProgressFunc progress;   /* called from the calling thread, or NULL */
    gpointer progress_data;
    GCancellable *cancellable;   /* G_IO_ERROR_CANCELLED when cancelled */
} ConvConvertOptions;

/* A planned conversion: the output layout is fixed from the source's
 * allocation map before any byte is written. */
typedef struct _ConvOutput ConvOutput;

/**
 * conv_output_new:
 * @src: the source image (the engine opens its own read handles on the
 *       same path and format for its reader threads)
 * @opts: the output format and options; borrowed for the output's lifetime
 * @error: FERRY_ERROR_INVALID naming an unknown or unfitting option, or a
 *         read error from the allocation map
 *
 * Checks the options and plans the output.  Nothing is written.
 */
ConvOutput *conv_output_new(ConvImage *src, const ConvConvertOptions *opts,
                            GError **error);
/* Bytes the output will take (for a sink that wants to know), or 0. */
guint64 conv_output_get_planned_size(const ConvOutput *out);
/**
 * conv_output_emit:
 * Copies the planned output into @sink and commits it; on failure or
 * cancellation the sink is aborted, so nothing is left at its destination.
 */
gboolean conv_output_emit(ConvOutput *out, ConvSink *sink, GError **error);
void conv_output_free(ConvOutput *out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ConvOutput, conv_output_free)

G_END_DECLS
