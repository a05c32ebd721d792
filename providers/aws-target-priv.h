/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-target-priv.h: the aws:// target's state (target-aws.c) and its S3
 * (aws-s3.c) and VM Import (aws-import.c) halves.
 */
#pragma once

#include "providers/aws-call-priv.h"

G_BEGIN_DECLS

/* S3: a part is 5 MiB at least (EntityTooSmall); 8 MiB is what the AWS
 * CLI sends, and 10,000 parts is S3's maximum per upload. */
#define AWS_S3_MIN_PART (8 * 1024 * 1024)
#define AWS_S3_MAX_PARTS 10000
#define AWS_EC2_VERSION "2016-11-15"
/* VM Import takes minutes to hours; the console refreshes about this
 * often, and EC2 throttles Describe* calls per account.  Also between two
 * DescribeSnapshots of a snapshot being completed. */
#define AWS_IMPORT_DEFAULT_POLL_S 15
/* ImportImage takes at most 21 disk containers. */
#define AWS_IMPORT_MAX_DISKS 21

typedef struct {
    AwsClient *client;
    char *region;
    char *account;
    char *bucket;
    gboolean bucket_given;       /* aws://REGION/BUCKET */
    char *role;                  /* "vmimport" or --role */
    GHashTable *hashes;          /* object name -> SHA-256 of what S3 took */
    GHashTable *snapshots;       /* --method snapshot: file -> snapshot id */
    GCancellable *cancellable;   /* the target's, borrowed */
} AwsTarget;

typedef struct _AwsUpload AwsUpload;

gsize aws_s3_part_size(guint64 size_hint);
gboolean aws_s3_ensure_bucket(AwsTarget *at, gboolean *created,
                              GError **error);
gboolean aws_s3_head_object(AwsTarget *at, const char *key, guint64 *size,
                            GError **error);
gboolean aws_s3_put_object(AwsTarget *at, const char *key, const void *data,
                           gsize len, GError **error);
gboolean aws_s3_delete_object(AwsTarget *at, const char *key,
                              GError **error);
AwsUpload *aws_s3_upload_open(AwsTarget *at, const char *name,
                              const char *key, guint64 size_hint,
                              GError **error);
gboolean aws_s3_upload_write(AwsUpload *u, const void *buf, gsize len,
                             GError **error);
/* Completes the upload (each part was checked by S3 as it took it). */
gboolean aws_s3_upload_finish(AwsUpload *u, GError **error);
/* Aborts the upload unless it was completed. */
void aws_s3_upload_free(AwsUpload *u);
const char *aws_s3_upload_get_name(const AwsUpload *u);
AwsTarget *aws_s3_upload_get_target(const AwsUpload *u);

/* ---- buffers sent by a few threads at once (aws-pool.c) ------------------ */

typedef struct _AwsPool AwsPool;

/* Sends @len bytes of @buf, the caller's @number (a part number, a block
 * index), on @http; may set @result (owned) for aws_pool_get_results().
 * Called from the pool's threads, one buffer per call. */
typedef gboolean (*AwsPoolSendFunc)(gpointer data, HttpClient *http,
                                    guint64 number, const guint8 *buf,
                                    gsize len, char **result,
                                    GError **error);

/* @n_threads senders (each with an HttpClient like @client's) and
 * @n_threads + 1 buffers of @buf_size bytes. */
AwsPool *aws_pool_new(AwsClient *client, guint n_threads, gsize buf_size,
                      gboolean keep_results, AwsPoolSendFunc send,
                      gpointer data, GError **error);
/* The same for a caller with no AwsClient (azure-blob.c's Put Page):
 * each sender's HttpClient made from @hopts. */
AwsPool *aws_pool_new_http(const HttpClientOptions *hopts, guint n_threads,
                           gsize buf_size, AwsPoolSendFunc send,
                           gpointer data, GError **error);
/* The buffer to fill next (borrowed until aws_pool_submit()); NULL with
 * the first send's error once one failed. */
guint8 *aws_pool_get_buffer(AwsPool *p, GError **error);
/* Queues the current buffer's first @len bytes as @number and waits for
 * a free buffer; FALSE with the first send's error once one failed. */
gboolean aws_pool_submit(AwsPool *p, guint64 number, gsize len,
                         GError **error);
/* Waits until every submitted buffer was sent; FALSE as above. */
gboolean aws_pool_drain(AwsPool *p, GError **error);
/* After a drain: each submission's result, in submission order. */
const GPtrArray *aws_pool_get_results(AwsPool *p);
guint aws_pool_get_submitted(const AwsPool *p);
/* Stops the threads (sends in flight end first; queued ones are dropped). */
void aws_pool_free(AwsPool *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AwsPool, aws_pool_free)

/* aws-import.c */
gboolean aws_import_ensure_role(AwsTarget *at, const TargetOptions *opts,
                                GError **error);
char *aws_import_role_policy(const char *bucket);
/* "uefi" for <os firmware='efi'> or a pflash loader, else "legacy-bios". */
const char *aws_import_boot_mode(const char *domain_xml);
/* Waits @ms, FALSE with G_IO_ERROR_CANCELLED if cancelled meanwhile. */
gboolean aws_import_sleep(AwsTarget *at, guint ms, GCancellable *cancellable,
                          GError **error);
gboolean aws_import_run(AwsTarget *at, const TargetOptions *opts,
                        const TargetExport *exp, char **image_id,
                        GError **error);

/* ---- EBS direct APIs (aws-ebs.c) ------------------------------------------ */

/* Every EBS snapshot block is 512 KiB (EBS direct APIs user guide). */
#define AWS_EBS_BLOCK_SIZE (512 * 1024)
/* The largest EBS volume: 64 TiB (io2 Block Express). */
#define AWS_EBS_MAX_GIB (64 * 1024)

typedef struct _AwsSnapshot AwsSnapshot;

/* StartSnapshot of a volume holding @size bytes (rounded up to GiB). */
AwsSnapshot *aws_ebs_snapshot_open(AwsTarget *at, const char *name,
                                   guint64 size, guint poll_s,
                                   GError **error);
gboolean aws_ebs_snapshot_write(AwsSnapshot *s, const void *buf, gsize len,
                                GError **error);
/* @len zero bytes: blocks left wholly zero are never sent. */
gboolean aws_ebs_snapshot_skip(AwsSnapshot *s, guint64 len, GError **error);
/* The last block, CompleteSnapshot, then DescribeSnapshots until it is
 * completed; @snapshot_id (owned) and @sha256 (of the stream). */
gboolean aws_ebs_snapshot_finish(AwsSnapshot *s, char **snapshot_id,
                                 char sha256[65], GError **error);
/* Deletes the snapshot unless it was completed. */
void aws_ebs_snapshot_free(AwsSnapshot *s);
const char *aws_ebs_snapshot_get_name(const AwsSnapshot *s);

/* aws-ebs-tags.c: a completed snapshot is tagged with its export's
 * BUCKET/FILE and its stream's SHA-256; a resume finds it by them. */
gboolean aws_ebs_tag_completed(AwsTarget *at, const char *snapshot_id,
                               const char *file, const char *sha256,
                               GError **error);
/* FERRY_ERROR_NOT_FOUND when there is none. */
gboolean aws_ebs_find_completed(AwsTarget *at, const char *file,
                                char **snapshot_id, char sha256[65],
                                guint64 *size, GError **error);

/* RegisterImage of @exp's snapshots (root first); @image_id owned. */
gboolean aws_ebs_register_image(AwsTarget *at, const TargetExport *exp,
                                char **image_id, GError **error);

G_END_DECLS
