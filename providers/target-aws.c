/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-aws.c: the aws://REGION[/BUCKET] target.  Its "pool" is an S3
 * bucket (named in the URI, or ferry-import-<account>-<region>, created
 * when absent); connect also asks STS whose keys these are (a wrong
 * secret fails here, FERRY_ERROR_AUTH) and, for --method import-image,
 * checks or creates the VM Import service role (aws-import.c).
 *
 * A disk's "<name>.part" is a multipart upload of the object "<name>"
 * (aws-s3.c): S3 shows nothing under the key until the upload completes,
 * which is the pool's ".part then rename" rule, so rename is a no-op.
 * S3 checks each part against its x-amz-checksum-sha256 as it takes it,
 * so the disk's hash is the stream's (the sink's, adopted: a second hash
 * of the same bytes in this process would prove nothing).
 * There are no partial objects to resume from: a resumed export sends an
 * unfinished disk again, and its ClientToken keeps ImportImage from
 * running twice.
 * After the disks, target_finish_export() runs the import.
 *
 * With --method snapshot a disk goes as raw bytes into an EBS snapshot
 * instead (aws-ebs.c), and target_finish_export() registers the AMI; the
 * bucket then holds only the manifest and the domain XML.  A completed
 * snapshot carries its disk's name as a tag (aws-ebs-tags.c): a resume
 * adopts it instead of sending the disk again.
 */
#include <config.h>

#include <string.h>

#include "providers/aws-target-priv.h"

/* An S3 bucket name (S3 user guide, "Bucket naming rules"). */
static gboolean
target_aws_check_bucket(const char *uri, const char *bucket, GError **error)
{
    gsize len = strlen(bucket), i;

    for (i = 0; i < len; i++) {
        char c = bucket[i];

        if (!(g_ascii_islower(c) || g_ascii_isdigit(c) || c == '-' ||
              c == '.'))
            break;
    }
    if (len < 3 || len > 63 || i < len || !g_ascii_isalnum(bucket[0]) ||
        !g_ascii_isalnum(bucket[len - 1])) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': bucket name: expected 3 to 63 lower-case "
                    "letters, digits, '-' or '.'", uri);
        return FALSE;
    }
    return TRUE;
}

/* @value is one of @allowed (NULL-terminated), as ImportImage takes it. */
static gboolean
target_aws_check_choice(const char *name, const char *option,
                        const char *value, const char *const *allowed,
                        GError **error)
{
    g_autofree char *list = NULL;

    if (!value || g_strv_contains(allowed, value))
        return TRUE;
    list = g_strjoinv(", ", (char **)allowed);
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "%s: %s '%s': expected one of %s", name, option, value, list);
    return FALSE;
}

/* An IAM role name: 1 to 64 of [A-Za-z0-9+=,.@_-] (IAM API reference,
 * CreateRole, RoleName). */
static gboolean
target_aws_check_role(const char *name, const char *role, GError **error)
{
    gsize len = role ? strlen(role) : 1;

    if (!role || (len <= 64 && strspn(role, "abcdefghijklmnopqrstuvwxyz"
                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                      "+=,.@_-") == len && len > 0))
        return TRUE;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "%s: --role '%s': expected 1 to 64 letters, digits or "
                "+=,.@_-", name, role);
    return FALSE;
}

gboolean
target_aws_parse_uri(Target *t, const char *uri, GUri *u, GError **error)
{
    const char *region = g_uri_get_host(u);
    const char *path = g_uri_get_path(u);
    const char *p;

    if (g_uri_get_user(u) || g_uri_get_port(u) != -1) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': expected aws://REGION[/BUCKET]", uri);
        return FALSE;
    }
    if (!region || !*region || strlen(region) > 32) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': no region (aws://REGION[/BUCKET])", uri);
        return FALSE;
    }
    for (p = region; *p; p++) {
        if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-')) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "--to '%s': region '%s' is not a region name", uri,
                        region);
            return FALSE;
        }
    }
    t->host = g_strdup(region);
    while (path && *path == '/')
        path++;
    if (path && *path) {
        g_autofree char *bucket = g_strdup(path);

        while (g_str_has_suffix(bucket, "/"))
            bucket[strlen(bucket) - 1] = '\0';
        if (!target_aws_check_bucket(uri, bucket, error))
            return FALSE;
        t->pool = g_steal_pointer(&bucket);
    }
    t->name = g_strdup_printf("aws://%s%s%s", region, t->pool ? "/" : "",
                              t->pool ? t->pool : "");
    if (!target_aws_check_choice(t->name, "--method", t->opts->aws_method,
                                 (const char *const[]){ "import-image",
                                                        "snapshot", NULL },
                                 error) ||
        !target_aws_check_choice(t->name, "--license-type",
                                 t->opts->aws_license_type,
                                 (const char *const[]){ "AWS", "BYOL", NULL },
                                 error) ||
        !target_aws_check_choice(t->name, "--platform", t->opts->aws_platform,
                                 (const char *const[]){ "Linux", "Windows",
                                                        NULL },
                                 error) ||
        !target_aws_check_role(t->name, t->opts->aws_role, error))
        return FALSE;
    return TRUE;
}

static AwsTarget *
target_aws(Target *t)
{
    return t->priv;
}

static gboolean
target_aws_is_snapshot(const Target *t)
{
    return t->opts->aws_method &&
           g_str_equal(t->opts->aws_method, "snapshot");
}

/* An upload handle: a multipart upload, or (--method snapshot, a disk)
 * an EBS snapshot. */
typedef enum {
    TARGET_AWS_UPLOAD_S3,
    TARGET_AWS_UPLOAD_EBS,
} TargetAwsUploadKind;

typedef struct {
    TargetAwsUploadKind kind;
    AwsTarget *at;
    union {
        AwsUpload *s3;
        AwsSnapshot *ebs;
    } u;
} TargetAwsUpload;

static void
target_aws_upload_free(TargetAwsUpload *h)
{
    if (h->kind == TARGET_AWS_UPLOAD_S3)
        aws_s3_upload_free(h->u.s3);
    else
        aws_ebs_snapshot_free(h->u.ebs);
    g_free(h);
}

static void
target_aws_disconnect(Target *t)
{
    AwsTarget *at = t->priv;

    if (!at)
        return;
    aws_client_free(at->client);
    g_free(at->region);
    g_free(at->account);
    g_free(at->bucket);
    g_free(at->role);
    g_hash_table_unref(at->hashes);
    g_hash_table_unref(at->snapshots);
    g_free(at);
    t->priv = NULL;
}

static gboolean
target_aws_connect(Target *t, GError **error)
{
    AwsTarget *at = g_new0(AwsTarget, 1);
    g_autoptr(AwsXml) x = NULL;
    gboolean created = FALSE;

    t->priv = at;
    at->region = g_strdup(t->host);
    at->cancellable = t->cancellable;
    at->hashes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       g_free);
    at->snapshots = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          g_free);
    at->role = g_strdup(t->opts->aws_role ? t->opts->aws_role : "vmimport");
    at->client = aws_client_new(at->region, t->cancellable, error);
    if (!at->client ||
        !aws_query(at->client, "sts", "GetCallerIdentity", "2011-06-15", NULL,
                   &x, error)) {
        g_prefix_error(error, "%s: ", t->name);
        target_aws_disconnect(t);
        return FALSE;
    }
    at->account = aws_xml_find(x, "Account");
    if (!at->account || !ferry_check_text("Account", at->account, 64, NULL) ||
        strspn(at->account, "0123456789") != strlen(at->account)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: sts GetCallerIdentity: no account number in the "
                    "answer", t->name);
        target_aws_disconnect(t);
        return FALSE;
    }
    if (t->pool) {
        at->bucket = g_strdup(t->pool);
        at->bucket_given = TRUE;
    } else {
        at->bucket = g_strdup_printf("ferry-import-%s-%s", at->account,
                                     at->region);
        t->pool = g_strdup(at->bucket);
    }
    g_debug("%s: account %s, bucket '%s'", t->name, at->account, at->bucket);
    if (!aws_s3_ensure_bucket(at, &created, error) ||
        (!t->opts->aws_no_import && !target_aws_is_snapshot(t) &&
         !aws_import_ensure_role(at, t->opts, error))) {
        g_prefix_error(error, "%s: ", t->name);
        target_aws_disconnect(t);
        return FALSE;
    }
    if (created)
        g_info("%s: created bucket '%s'", t->name, at->bucket);
    return TRUE;
}

static gboolean
target_aws_free_space(Target *t, guint64 *bytes, GError **error)
{
    *bytes = G_MAXUINT64;      /* S3 has no quota to ask about */
    return TRUE;
}

static gboolean
target_aws_stat(Target *t, const char *name, guint64 *size, GError **error)
{
    if (g_str_has_suffix(name, ".part")) {
        /* An upload in progress is no object: nothing to resume from. */
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "%s: '%s': no such object", t->name, name);
        return FALSE;
    }
    /* --method snapshot: a disk (always raw there) is a completed
     * snapshot tagged with its name, adopted with its hash for a resume;
     * the manifest and the domain XML are S3 objects still. */
    if (target_aws_is_snapshot(t) && g_str_has_suffix(name, ".raw")) {
        AwsTarget *at = target_aws(t);
        g_autofree char *id = NULL;
        char sha[65];

        if (!aws_ebs_find_completed(at, name, &id, sha, size, error)) {
            g_prefix_error(error, "%s: ", t->name);
            return FALSE;
        }
        g_hash_table_replace(at->hashes, g_strdup(name), g_strdup(sha));
        g_hash_table_replace(at->snapshots, g_strdup(name),
                             g_steal_pointer(&id));
        return TRUE;
    }
    return aws_s3_head_object(target_aws(t), name, size, error);
}

static gboolean
target_aws_unlink(Target *t, const char *name, GError **error)
{
    if (g_str_has_suffix(name, ".part"))
        return TRUE;           /* aborted with its upload */
    return aws_s3_delete_object(target_aws(t), name, error);
}

static gboolean
target_aws_rename(Target *t, const char *from, const char *to,
                  GError **error)
{
    g_autofree char *expect = g_strconcat(to, ".part", NULL);

    if (!g_str_equal(from, expect)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: S3 objects cannot be renamed ('%s' to '%s')",
                    t->name, from, to);
        return FALSE;
    }
    return TRUE;               /* completed under its final key already */
}

static gpointer
target_aws_upload_open(Target *t, const char *name, guint64 *resume,
                       GError **error)
{
    g_autofree char *key = NULL;
    TargetAwsUpload *h;

    if (*resume) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: '%s': an S3 upload cannot be resumed", t->name,
                    name);
        return NULL;
    }
    key = g_str_has_suffix(name, ".part")
              ? g_strndup(name, strlen(name) - strlen(".part"))
              : g_strdup(name);
    h = g_new0(TargetAwsUpload, 1);
    h->at = target_aws(t);
    /* The manifest and the domain XML stay S3 objects. */
    if (target_aws_is_snapshot(t) && !t->small_upload) {
        h->kind = TARGET_AWS_UPLOAD_EBS;
        h->u.ebs = aws_ebs_snapshot_open(h->at, name, t->upload_size_hint,
                                         t->opts->aws_poll_interval, error);
    } else {
        h->kind = TARGET_AWS_UPLOAD_S3;
        h->u.s3 = aws_s3_upload_open(h->at, name, key, t->upload_size_hint,
                                     error);
    }
    if (h->kind == TARGET_AWS_UPLOAD_EBS ? !h->u.ebs : !h->u.s3) {
        g_free(h);
        return NULL;
    }
    return h;
}

static gboolean
target_aws_upload_write(gpointer data, const void *buf, gsize len,
                        GError **error)
{
    TargetAwsUpload *h = data;

    if (h->kind == TARGET_AWS_UPLOAD_EBS)
        return aws_ebs_snapshot_write(h->u.ebs, buf, len, error);
    return aws_s3_upload_write(h->u.s3, buf, len, error);
}

static gboolean
target_aws_upload_skip(gpointer data, guint64 len, GError **error)
{
    static const guint8 zeros[64 * 1024];
    TargetAwsUpload *h = data;

    if (h->kind == TARGET_AWS_UPLOAD_EBS)
        return aws_ebs_snapshot_skip(h->u.ebs, len, error);
    while (len) {
        gsize n = (gsize)MIN(len, sizeof(zeros));

        if (!aws_s3_upload_write(h->u.s3, zeros, n, error))
            return FALSE;
        len -= n;
    }
    return TRUE;
}

static gboolean
target_aws_upload_finish(gpointer data, GError **error)
{
    TargetAwsUpload *h = data;
    g_autofree char *snapshot = NULL;
    const char *name;
    char sha[65];
    gboolean ok;

    if (h->kind == TARGET_AWS_UPLOAD_EBS) {
        name = aws_ebs_snapshot_get_name(h->u.ebs);
        ok = aws_ebs_snapshot_finish(h->u.ebs, &snapshot, sha, error);
        /* The snapshot's tag carries it (for a resume): the sink's hash
         * must match, target_aws_adopt_sha256(). */
        if (ok)
            g_hash_table_replace(h->at->hashes, g_strdup(name),
                                 g_strdup(sha));
    } else {
        name = aws_s3_upload_get_name(h->u.s3);
        ok = aws_s3_upload_finish(h->u.s3, error);
    }
    if (ok) {
        if (snapshot) {
            /* Keyed by the final name, as TargetExport.files has it. */
            g_hash_table_replace(h->at->snapshots,
                                 g_strndup(name, strlen(name) -
                                           (g_str_has_suffix(name, ".part")
                                                ? strlen(".part") : 0)),
                                 g_steal_pointer(&snapshot));
        }
    }
    target_aws_upload_free(h);
    return ok;
}

static void
target_aws_upload_close(gpointer data)
{
    target_aws_upload_free(data);
}

static char *
target_aws_sha256(Target *t, const char *name, GError **error)
{
    const char *sum = g_hash_table_lookup(target_aws(t)->hashes, name);

    if (!sum) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: '%s': S3 gives no SHA-256 of an object ferry did "
                    "not upload in this run", t->name, name);
        return NULL;
    }
    return g_strdup(sum);
}

/* What S3 and EBS took was checked part by part and block by block
 * (their SHA-256 checksums) as it landed: the stream's hash is the
 * disk's. */
static gboolean
target_aws_adopt_sha256(Target *t, const char *name, const char *sha256,
                        GError **error)
{
    return target_hashes_adopt(t, target_aws(t)->hashes, name, sha256,
                               error);
}

static gboolean
target_aws_finish_export(Target *t, const TargetExport *exp, char **image_id,
                         GError **error)
{
    gboolean ok;

    if (t->opts->aws_no_import)
        return TRUE;
    if (target_aws_is_snapshot(t))
        ok = aws_ebs_register_image(target_aws(t), exp, image_id, error);
    else
        ok = aws_import_run(target_aws(t), t->opts, exp, image_id, error);
    if (!ok) {
        g_prefix_error(error, "%s: ", t->name);
        return FALSE;
    }
    return TRUE;
}

static const char *
target_aws_output_format(const Target *t, const char **options)
{
    if (target_aws_is_snapshot(t)) {
        *options = NULL;
        return "raw";      /* block by block into EBS */
    }
    *options = "subformat=streamOptimized";
    return "vmdk";
}

const struct ferry_target target_aws_backend = {
    .scheme = "aws",
    .connect = target_aws_connect,
    .disconnect = target_aws_disconnect,
    .free_space = target_aws_free_space,
    .stat = target_aws_stat,
    .unlink = target_aws_unlink,
    .rename = target_aws_rename,
    .upload_open = target_aws_upload_open,
    .upload_write = target_aws_upload_write,
    .upload_skip = target_aws_upload_skip,
    .upload_finish = target_aws_upload_finish,
    .upload_close = target_aws_upload_close,
    .sha256 = target_aws_sha256,
    .finish_export = target_aws_finish_export,
    .output_format = target_aws_output_format,
    .adopt_sha256 = target_aws_adopt_sha256,
};
