/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * providers.h: export targets picked by URI scheme, as libvirt picks a
 * driver: file:///pool (a local or mounted directory) and
 * ssh://[user@]host[:port]/pool (SFTP for the bytes, ssh_exec for the
 * checks).  A target answers: does the pool exist, is it writable, is there
 * room; a sink that writes "<name>.part", checks its SHA-256 on the target
 * side and only then renames it to "<name>"; a small file written the same
 * way (a manifest); and how much of a "<name>.part" is already there, for
 * resuming.
 *
 * Depends on conv/ (sinks, FERRY_ERROR) and transport/ (SSH).  Errors:
 * FERRY_ERROR_INVALID (bad URI or name), FERRY_ERROR_NOT_FOUND (pool
 * missing), FERRY_ERROR_IO (local I/O, pool full or not writable),
 * FERRY_ERROR_CHECKSUM (the target's SHA-256 differs), and the transport's
 * codes.  Messages start with the target's name (its URI).
 */
#pragma once

#include "transport/transport.h"

G_BEGIN_DECLS

/* Resuming starts at the .part's size rounded down to this: whatever the
 * last write left half done is sent again. */
#define TARGET_RESUME_ALIGN (1024 * 1024)
/* A file name in a pool: no directories, no dot files. */
#define TARGET_MAX_NAME 255
/* A manifest or domain XML written with target_write_file(). */
#define TARGET_MAX_SMALL_FILE (16 * 1024 * 1024)

typedef struct _Target Target;

typedef enum {
    TARGET_TRANSPORT_AUTO,          /* ferry receive if the target has it,
                                     * else SFTP */
    TARGET_TRANSPORT_SFTP,
    TARGET_TRANSPORT_RECEIVE,       /* ferry receive or fail */
} TargetTransport;

/* How to reach an ssh:// target; borrowed by target_new() for the
 * target's life.  Ignored by file://. */
typedef struct {
    const char *known_hosts_file;
    gboolean accept_new;
    const char *pinned_fingerprint;          /* "SHA256:..." */
    const char *const *identity_files;       /* NULL-terminated, or NULL */
    const char *password_file;
    /* Bytes per second sent to the target by each upload, 0 for no
     * limit; bytes a resume skips are not counted (both schemes). */
    guint64 bandwidth_limit;
    /* Permission bits (at most 0777) a finished file gets as it is
     * renamed to its final name; 0 means 0600.  A .part is always 0600:
     * guest disks hold the guests' secrets.  file:// and ssh://. */
    guint file_mode;
    /* The group (a name or a number) of a finished file, or NULL for the
     * creator's.  file:// only: ssh:// refuses it (FERRY_ERROR_UNSUPPORTED). */
    const char *file_group;
    /* file:// only: no component of the pool path may be a symbolic link.
     * For a path that was canonicalized and checked against the allowed
     * pools earlier (an agent job of a caller other than root), so that a
     * directory swapped for a link since is not followed. */
    gboolean pool_no_symlinks;
    /* aws:// only (NULL/FALSE elsewhere).  @aws_method: "import-image"
     * (NULL) or "snapshot"; @aws_role: the VM Import service role (NULL:
     * "vmimport"); @aws_license_type, @aws_platform: passed to
     * ImportImage; @aws_keep_objects: the S3 objects stay after the
     * import; @aws_no_import: stop after the upload;
     * @aws_poll_interval: seconds between two DescribeImportImageTasks
     * (0: AWS_IMPORT_DEFAULT_POLL_S, 15; at most TARGET_AWS_MAX_POLL_S). */
    const char *aws_method;
    const char *aws_role;
    const char *aws_license_type;
    const char *aws_platform;
    gboolean aws_keep_objects;
    gboolean aws_no_import;
    guint aws_poll_interval;
    /* azure:// and azure-disk:// only: blobs, disks and the image of the
     * same name are replaced, not refused (FERRY_ERROR_EXISTS). */
    gboolean overwrite;
    /* azure-disk:// only (NULL/FALSE elsewhere): the OS disk's osType
     * ("Linux", the default, or "Windows"); the image made of the disks
     * (NULL: none); a disk that could not be finished stays (else it is
     * deleted); the local directory of the manifest and the domain XML
     * (NULL: the current one). */
    const char *azure_os_type;
    const char *azure_image;
    gboolean azure_keep;
    const char *azure_manifest_dir;
    /* Text for the operator that is not an error line (the IAM policy to
     * apply when IAM refuses); NULL to drop it. */
    void (*notice)(const char *text, gpointer data);
    gpointer notice_data;
    /* ssh:// only: how the bytes travel (see target-ssh.c). */
    TargetTransport transport;
    /* ssh:// only: the target's ferry for `ferry receive`, a command its
     * shell finds; NULL for "ferry" on the remote PATH. */
    const char *remote_ferry;
    /* ferry receive only: deflate level of the frames (0: none, 1-12). */
    int compress_level;
    /* ssh:// over SFTP only: connections each disk's bytes are spread
     * over, chunk by chunk (1: one, the control connection; at most
     * TARGET_MAX_STREAMS; 0: target_default_streams()).  ferry receive
     * takes one stream. */
    guint streams;
    /* cloudstack:// only (NULL elsewhere): the ids importVm takes
     * (@cs_disk_offering for data disks), and the files holding the API
     * and secret keys (NULL: CLOUDSTACK_API_KEY, CLOUDSTACK_SECRET_KEY). */
    const char *cs_service_offering;
    const char *cs_network;
    const char *cs_disk_offering;
    const char *cs_api_key_file;
    const char *cs_secret_key_file;
} TargetOptions;

/* The most TargetOptions.streams. */
#define TARGET_MAX_STREAMS 16
/* The streams of TargetOptions.streams 0: min(4, cores), as issue 11 asks.
 * Measured on a 2-core machine (bench/reports/streams-2026-12-06.md,
 * second and third runs): the default export (qcow2, SFTP) of 256 MiB on
 * loopback took 0.87x one stream's time with 2 streams and 0.92x with 4
 * (medians of 5, alternating), raw 0.85-0.95x; through a 20 ms relay
 * 0.72-0.78x with 4.  Capped at the cores: with more encrypting threads
 * than cores one set of runs was slower (1.11x). */
#define TARGET_DEFAULT_MAX_STREAMS 4
guint target_default_streams(void);

/* The longest TargetOptions.aws_poll_interval: an hour. */
#define TARGET_AWS_MAX_POLL_S 3600

/* TargetOptions.file_mode when it is 0. */
#define TARGET_DEFAULT_FILE_MODE 0600

/**
 * target_new:
 * @uri: "file:///path" or "ssh://[user@]host[:port]/path"; a password in
 *       the URI is refused (use TargetOptions.password_file)
 * @cancellable: (nullable): checked by every network wait; referenced
 *
 * Parses only: nothing is contacted until target_connect().  The pool path
 * may not hold control characters, @opts->file_mode must be at most 0777
 * and @opts->file_group a known group (FERRY_ERROR_INVALID).
 */
Target *target_new(const char *uri, const TargetOptions *opts,
                   GCancellable *cancellable, GError **error);
void target_free(Target *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Target, target_free)

/* The URI without secrets, for messages: "ssh://root@127.0.0.1:2222/pool". */
const char *target_get_name(const Target *t);
const char *target_get_scheme(const Target *t);
/* The pool directory on the target. */
const char *target_get_pool(const Target *t);
/* How bytes reach the target, once connected: "file", "sftp" or
 * "ferry-receive" (for --json and logs). */
const char *target_get_transport(const Target *t);

/* Connects (again, after a dropped connection) and checks that the pool is
 * a directory the target's user can write. */
gboolean target_connect(Target *t, GError **error);
void target_disconnect(Target *t);

/* FERRY_ERROR_IO naming both numbers when the pool's filesystem has fewer
 * than @needed bytes free. */
gboolean target_check_space(Target *t, guint64 needed, GError **error);

/* Size of "<name>" in the pool; FALSE with FERRY_ERROR_NOT_FOUND when it
 * does not exist, FERRY_ERROR_IO when it is not a regular file (a symbolic
 * link is not followed). */
gboolean target_stat(Target *t, const char *name, guint64 *size,
                     GError **error);
/* The SHA-256 (lowercase hex) of "<name>" as the target computes it. */
char *target_sha256(Target *t, const char *name, GError **error);
/* Removes "<name>" from the pool if it is there; errors are only logged. */
void target_remove(Target *t, const char *name);

/* What an upload did, filled in by the sink (borrowed by it). */
typedef struct {
    guint64 resume_offset;      /* bytes of the .part kept, not sent again:
                                 * at most what was asked for, less when
                                 * ferry receive verified less */
    guint64 bytes_sent;         /* bytes sent to the target this time:
                                 * not what it kept from an earlier run
                                 * (.part prefix, Azure's landed windows)
                                 * nor holes it was not sent (for Azure,
                                 * the Put Page bodies) */
    char sha256[65];            /* lowercase hex, once committed */
    gboolean part_kept;         /* after an abort: the .part is resumable */
} TargetUpload;

/**
 * target_open_sink:
 * @name: the final file name in the pool (see target_check_name())
 * @resume_offset: 0 starts afresh; else a multiple of TARGET_RESUME_ALIGN
 *     no larger than the .part: the stream's first @resume_offset bytes
 *     are hashed but not sent (the output must be the same stream as the
 *     one that made the .part; the final SHA-256 check on the target is
 *     what proves it)
 * @up: (out caller-allocates): borrowed until the sink is freed
 *
 * The sink writes "<name>.part".  Its commit finishes the file, asks the
 * target for its SHA-256 (sha256sum over ssh, a local re-read for file),
 * compares it with the stream's (FERRY_ERROR_CHECKSUM), gives it the final
 * mode and group and renames the file to @name, which must not exist
 * (FERRY_ERROR_BUSY; FERRY_ERROR_IO for a symbolic link).  The .part is
 * created afresh, mode 0600, unless resumed; a .part that is a symbolic
 * link or not ours is refused (FERRY_ERROR_IO naming it).  An abort keeps
 * the .part when the cause was cancellation or a dropped connection
 * (resumable, up->part_kept) and removes it otherwise.
 */
ConvSink *target_open_sink(Target *t, const char *name, guint64 resume_offset,
                           TargetUpload *up, GError **error);

/* Writes @data to "<name>.part", fsyncs and renames it to @name, as a
 * sink does (@name must not exist). */
gboolean target_write_file(Target *t, const char *name, const void *data,
                           gsize len, GError **error);

/* FERRY_ERROR_INVALID unless @name is a plain file name: not empty, at
 * most TARGET_MAX_NAME bytes, no '/', no leading '.', no control bytes. */
gboolean target_check_name(const char *name, GError **error);

/**
 * target_expand_name:
 * @template: "{vm}-{dev}.{ext}" style; {vm} {dev} {index} {ext} and "{{"
 *            "}}" are known, anything else in braces is refused
 *
 * Returns: the file name (checked with target_check_name()), or NULL with
 * FERRY_ERROR_INVALID naming the template.
 */
char *target_expand_name(const char *template, const char *vm,
                         const char *dev, guint index, const char *ext,
                         GError **error);

/* ---- what a cloud target does after the disks (aws://) ----------------- */

/* An export's disks, all uploaded; borrowed for the call. */
typedef struct {
    const char *vm;
    const char *domain_xml;           /* inactive XML: firmware, etc. */
    const char *const *files;         /* names in the pool, disk order */
    const char *const *devs;          /* "vda", in the same order */
    const char *const *sha256;        /* of each file */
    /* A phase of the work after the upload ("import"), with @percent
     * (-1 unknown) and the service's own status text; may be NULL. */
    void (*phase)(const char *phase, int percent, const char *status,
                  gpointer data);
    gpointer phase_data;
    /* No disk was sent: check every id and describe the call that would
     * make the machine (TargetOptions.notice), changing nothing. */
    gboolean dry_run;
} TargetExport;

/**
 * target_finish_export:
 * @image_id: (out): what the target made of the disks (an AMI id), or
 *            NULL when it makes nothing (file://, ssh://, --no-import)
 *
 * Turns uploaded disks into a machine image where the target does that
 * (aws:// with import-image: ImportImage, then the objects deleted).
 * TRUE at once for targets that do nothing more.
 */
gboolean target_finish_export(Target *t, const TargetExport *exp,
                              char **image_id, GError **error);

/* The output format (and -o options) the target needs, or NULL for
 * whatever the caller asked: aws:// takes VMDK streamOptimized. */
const char *target_get_output_format(const Target *t, const char **options);

/* The domain's inactive XML, for a target that sizes or types its
 * disks from it (azure-disk://: hyperVGeneration from the firmware). */
void target_set_domain_xml(Target *t, const char *xml);

/* What inspecting the guest found its OS to be ("Linux", "Windows"), or
 * NULL: azure-disk://'s osType when --os-type is not given. */
void target_set_guest_os_type(Target *t, const char *os_type);

/* What the target made of finished file @name (azure-disk://: the
 * managed disk's resource id), owned, or NULL. */
char *target_get_resource_id(Target *t, const char *name);

/* The expected size of the next upload, for a target that sizes its
 * parts from it (S3); 0 for unknown. */
void target_set_upload_size_hint(Target *t, guint64 bytes);

G_END_DECLS
