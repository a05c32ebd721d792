/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-s3.c: the S3 side of the aws:// target: buckets (HeadBucket,
 * CreateBucket with a LocationConstraint outside us-east-1), objects
 * (HeadObject, PutObject, DeleteObject) and the multipart upload a disk
 * streams into (Amazon S3 API reference, "Uploading and copying objects
 * using multipart upload"):
 *
 *   CreateMultipartUpload  x-amz-checksum-algorithm: SHA256
 *   UploadPart N           x-amz-checksum-sha256: base64(sha256(part));
 *                          S3 refuses a part whose bytes do not match
 *   CompleteMultipartUpload with each part's ETag and checksum; until
 *                          then nothing is visible under the key
 *   AbortMultipartUpload   on failure or cancel (never cancelled itself)
 *
 * S3 keeps an upload that was never completed or aborted, and bills its
 * parts, until it is aborted: one that a killed ferry (or a crashed
 * agent) left, or one a CreateMultipartUpload opened whose answer was
 * lost (a cut connection, a truncated body) so that ferry never learnt
 * its id.  So every new upload lists the key's other open uploads
 * (ListMultipartUploads) and aborts them: two exports of one disk into
 * one bucket at once would overwrite each other anyway.  (Found by
 * tests/load/agent-load.sh: uploads of SIGKILLed agent jobs stayed open
 * after their resumed jobs completed; test-export-aws-killed-upload.)
 *
 * Paths are path-style ("/bucket/key"): it works with every endpoint,
 * moto's included.  Parts are at least AWS_S3_MIN_PART bytes and large
 * enough that the disk fits in AWS_S3_MAX_PARTS (S3's limit is 10,000;
 * the size hint is the output's planned size, and a compressed stream is
 * smaller than that).  Each part goes with the HTTP client's retries.
 *
 * Parts go AWS_S3_PARTS_IN_FLIGHT at a time through an AwsPool
 * (aws-pool.c): the writer blocks while every part buffer is busy, the
 * first part to fail fails the upload, which is then aborted.  The
 * SHA-256 of the whole stream is the export sink's (target-aws.c adopts
 * it): S3 checked every part against its own checksum as it took it.
 */
#include <config.h>

#include <openssl/sha.h>
#include <string.h>

#include "providers/aws-target-priv.h"

/* Parts sent at once.  bench/aws.sh (256 MiB, moto on loopback, 2 cores)
 * measured 1.57x the time of `aws s3 cp` with one part at a time; four
 * senders overlap the PUTs with the conversion, for five part buffers in
 * all (aws-pool.c). */
#define AWS_S3_PARTS_IN_FLIGHT 4

struct _AwsUpload {
    /* immutable after aws_s3_upload_open() but upload_id */
    AwsTarget *at;               /* borrowed */
    char *key;
    char *upload_id;             /* NULL once completed */
    gsize part_size;
    char *name;                  /* the .part name ferry gave */
    AwsPool *pool;

    /* the writer's thread only */
    gsize fill;                  /* of the pool's current buffer */
    guint part_count;            /* part numbers handed out */
};

static char *
aws_s3_path(const char *bucket, const char *key)
{
    return key ? g_strconcat("/", bucket, "/", key, NULL)
               : g_strconcat("/", bucket, NULL);
}

gsize
aws_s3_part_size(guint64 size_hint)
{
    guint64 per = size_hint / (AWS_S3_MAX_PARTS - 1) + 1;
    guint64 mib = 1024 * 1024;

    per = (per + mib - 1) / mib * mib;
    return (gsize)MAX(per, (guint64)AWS_S3_MIN_PART);
}

gboolean
aws_s3_ensure_bucket(AwsTarget *at, gboolean *created, GError **error)
{
    g_autofree char *path = aws_s3_path(at->bucket, NULL);
    g_autofree char *body = NULL;
    g_auto(HttpResponse) resp = { 0 };
    g_autoptr(GError) local = NULL;
    AwsCall call = { .service = "s3", .action = "HeadBucket",
                     .method = "HEAD", .path = path };

    *created = FALSE;
    if (aws_call(at->client, &call, &resp, &local))
        return TRUE;
    if (!g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   "bucket '%s': ", at->bucket);
        return FALSE;
    }
    http_response_clear(&resp);
    call.action = "CreateBucket";
    call.method = "PUT";
    /* us-east-1 takes no LocationConstraint (S3 refuses it there). */
    if (!g_str_equal(at->region, "us-east-1")) {
        body = g_strdup_printf(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
            "2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
            "</CreateBucketConfiguration>", at->region);
        call.body = body;
        call.body_len = strlen(body);
        call.content_type = "application/xml";
    }
    if (!aws_call(at->client, &call, &resp, error)) {
        g_prefix_error(error, "bucket '%s': ", at->bucket);
        return FALSE;
    }
    *created = TRUE;
    return TRUE;
}

gboolean
aws_s3_head_object(AwsTarget *at, const char *key, guint64 *size,
                   GError **error)
{
    g_autofree char *path = aws_s3_path(at->bucket, key);
    g_auto(HttpResponse) resp = { 0 };
    AwsCall call = { .service = "s3", .action = "HeadObject",
                     .method = "HEAD", .path = path };
    const char *len;

    if (!aws_call(at->client, &call, &resp, error))
        return FALSE;
    len = http_response_header(&resp, "content-length");
    *size = len ? g_ascii_strtoull(len, NULL, 10) : 0;
    return TRUE;
}

gboolean
aws_s3_put_object(AwsTarget *at, const char *key, const void *data,
                  gsize len, GError **error)
{
    g_autofree char *path = aws_s3_path(at->bucket, key);
    g_autofree char *b64 = aws_sha256_base64(data, len);
    g_auto(HttpResponse) resp = { 0 };
    const char *headers[] = { "x-amz-checksum-sha256", b64, NULL };
    AwsCall call = { .service = "s3", .action = "PutObject",
                     .method = "PUT", .path = path, .body = data,
                     .body_len = len, .headers = headers };

    return aws_call(at->client, &call, &resp, error);
}

gboolean
aws_s3_delete_object(AwsTarget *at, const char *key, GError **error)
{
    g_autofree char *path = aws_s3_path(at->bucket, key);
    g_auto(HttpResponse) resp = { 0 };
    AwsCall call = { .service = "s3", .action = "DeleteObject",
                     .method = "DELETE", .path = path, .cleanup = TRUE };

    return aws_call(at->client, &call, &resp, error);
}

/* ---- multipart ------------------------------------------------------------ */

static void
aws_s3_abort_upload(AwsTarget *at, const char *key, const char *upload_id)
{
    g_autofree char *path = aws_s3_path(at->bucket, key);
    g_autoptr(GArray) q = aws_params_new();
    g_autoptr(GError) error = NULL;
    g_auto(HttpResponse) resp = { 0 };
    AwsCall call = { .service = "s3", .action = "AbortMultipartUpload",
                     .method = "DELETE", .path = path, .query = q,
                     .cleanup = TRUE };

    aws_params_add(q, "uploadId", upload_id);
    if (!aws_call(at->client, &call, &resp, &error))
        g_warning("%s", error->message);
}

/* Aborts the open uploads of @key other than @keep (see the top). */
static void
aws_s3_abort_strays(AwsTarget *at, const char *key, const char *keep)
{
    g_autofree char *path = aws_s3_path(at->bucket, NULL);
    g_autoptr(GArray) q = aws_params_new();
    g_autoptr(GError) error = NULL;
    g_auto(HttpResponse) resp = { 0 };
    g_autoptr(AwsXml) x = NULL;
    g_auto(GStrv) keys = NULL, ids = NULL;
    AwsCall call = { .service = "s3", .action = "ListMultipartUploads",
                     .method = "GET", .path = path, .query = q,
                     .cleanup = TRUE };
    guint i;

    aws_params_add(q, "uploads", "");
    aws_params_add(q, "prefix", key);
    if (!aws_call(at->client, &call, &resp, &error) ||
        !(x = aws_xml_parse(resp.body->data, resp.body->len, &error))) {
        g_warning("s3 '%s': listing earlier open uploads: %s", key,
                  error->message);
        return;
    }
    /* One <Key> and one <UploadId> per <Upload>, in order. */
    keys = aws_xml_find_all(x, "Key");
    ids = aws_xml_find_all(x, "UploadId");
    if (g_strv_length(keys) != g_strv_length(ids))
        return;
    for (i = 0; keys[i]; i++) {
        if (!g_str_equal(keys[i], key) || g_str_equal(ids[i], keep))
            continue;
        g_info("s3 '%s': aborting an earlier upload left open", key);
        aws_s3_abort_upload(at, key, ids[i]);
    }
}

/* UploadPart of @len bytes as part @number, on a pool thread (an
 * AwsPoolSendFunc); @xml gets its <Part> element. */
static gboolean
aws_s3_send_part(gpointer data, HttpClient *http, guint64 number,
                 const guint8 *buf, gsize len, char **xml, GError **error)
{
    AwsUpload *u = data;
    g_autofree char *path = aws_s3_path(u->at->bucket, u->key);
    g_autofree char *num = g_strdup_printf("%" G_GUINT64_FORMAT, number);
    g_autofree char *b64 = NULL, *etag = NULL;
    g_autoptr(GArray) q = aws_params_new();
    g_auto(HttpResponse) resp = { 0 };
    guint8 md[SHA256_DIGEST_LENGTH];
    const char *headers[3] = { "x-amz-checksum-sha256", NULL, NULL };
    AwsCall call = { .service = "s3", .action = "UploadPart",
                     .method = "PUT", .path = path, .query = q,
                     .headers = headers, .body = buf, .body_len = len,
                     .http = http };
    char hex[65];
    const char *e;
    guint i;

    SHA256(buf, len, md);
    for (i = 0; i < sizeof(md); i++)
        g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    b64 = g_base64_encode(md, sizeof(md));
    headers[1] = b64;
    call.payload_sha256 = hex;
    aws_params_add(q, "partNumber", num);
    aws_params_add(q, "uploadId", u->upload_id);
    if (!aws_call(u->at->client, &call, &resp, error)) {
        g_prefix_error(error, "'%s' part %s: ", u->key, num);
        return FALSE;
    }
    e = http_response_header(&resp, "etag");
    if (!e || !ferry_check_text("ETag", e, 256, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "s3 UploadPart: '%s' part %s: no ETag in the answer",
                    u->key, num);
        return FALSE;
    }
    etag = g_markup_escape_text(e, -1);
    *xml = g_strdup_printf("<Part><PartNumber>%s</PartNumber><ETag>%s</ETag>"
                           "<ChecksumSHA256>%s</ChecksumSHA256></Part>",
                           num, etag, b64);
    return TRUE;
}

/* Hands the filled part to the pool (which blocks while every buffer is
 * busy). */
static gboolean
aws_s3_queue_part(AwsUpload *u, GError **error)
{
    if (u->part_count >= AWS_S3_MAX_PARTS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "s3 '%s': more than %u parts of %" G_GSIZE_FORMAT
                    " bytes", u->key, AWS_S3_MAX_PARTS, u->part_size);
        return FALSE;
    }
    if (!aws_pool_submit(u->pool, u->part_count + 1, u->fill, error))
        return FALSE;
    u->part_count++;
    u->fill = 0;
    return TRUE;
}

gboolean
aws_s3_upload_write(AwsUpload *u, const void *buf, gsize len, GError **error)
{
    const guint8 *p = buf;

    while (len) {
        gsize n = MIN(len, u->part_size - u->fill);
        guint8 *dst = aws_pool_get_buffer(u->pool, error);

        if (!dst)
            return FALSE;
        memcpy(dst + u->fill, p, n);
        u->fill += n;
        p += n;
        len -= n;
        if (u->fill == u->part_size && !aws_s3_queue_part(u, error))
            return FALSE;
    }
    return TRUE;
}

AwsUpload *
aws_s3_upload_open(AwsTarget *at, const char *name, const char *key,
                   guint64 size_hint, GError **error)
{
    g_autofree char *path = aws_s3_path(at->bucket, key);
    g_autoptr(GArray) q = aws_params_new();
    g_auto(HttpResponse) resp = { 0 };
    g_autoptr(AwsXml) x = NULL;
    const char *headers[] = { "x-amz-checksum-algorithm", "SHA256", NULL };
    AwsCall call = { .service = "s3", .action = "CreateMultipartUpload",
                     .method = "POST", .path = path, .query = q,
                     .headers = headers };
    AwsUpload *u;
    char *id;

    aws_params_add(q, "uploads", "");
    if (!aws_call(at->client, &call, &resp, error))
        return NULL;
    x = aws_xml_parse(resp.body->data, resp.body->len, error);
    if (!x)
        return NULL;
    id = aws_xml_find(x, "UploadId");
    if (!id || !*id || !ferry_check_text("UploadId", id, 1024, NULL)) {
        g_free(id);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "s3 CreateMultipartUpload: '%s': no UploadId in the "
                    "answer", key);
        return NULL;
    }
    aws_s3_abort_strays(at, key, id);
    u = g_new0(AwsUpload, 1);
    u->at = at;
    u->name = g_strdup(name);
    u->key = g_strdup(key);
    u->upload_id = id;
    u->part_size = aws_s3_part_size(size_hint);
    u->pool = aws_pool_new(at->client, AWS_S3_PARTS_IN_FLIGHT, u->part_size,
                           TRUE, aws_s3_send_part, u, error);
    if (!u->pool) {
        aws_s3_upload_free(u);
        return NULL;
    }
    g_debug("s3 '%s': multipart upload, parts of %" G_GSIZE_FORMAT
            " bytes, %u at once", key, u->part_size, AWS_S3_PARTS_IN_FLIGHT);
    return u;
}

gboolean
aws_s3_upload_finish(AwsUpload *u, GError **error)
{
    g_autofree char *path = aws_s3_path(u->at->bucket, u->key);
    g_autofree char *body = NULL;
    g_autoptr(GArray) q = aws_params_new();
    g_auto(HttpResponse) resp = { 0 };
    AwsCall call = { .service = "s3", .action = "CompleteMultipartUpload",
                     .method = "POST", .path = path, .query = q,
                     .content_type = "application/xml" };
    g_autoptr(GString) parts = g_string_new(NULL);
    const GPtrArray *done;
    guint i;

    /* The last part may be short (or empty, for an empty stream). */
    if ((u->fill || u->part_count == 0) && !aws_s3_queue_part(u, error))
        return FALSE;
    if (!aws_pool_drain(u->pool, error))
        return FALSE;
    done = aws_pool_get_results(u->pool);
    for (i = 0; i < done->len; i++)
        g_string_append(parts, g_ptr_array_index(done, i));
    body = g_strdup_printf("<CompleteMultipartUpload xmlns=\"http://s3."
                           "amazonaws.com/doc/2006-03-01/\">%s"
                           "</CompleteMultipartUpload>", parts->str);
    call.body = body;
    call.body_len = strlen(body);
    aws_params_add(q, "uploadId", u->upload_id);
    if (!aws_call(u->at->client, &call, &resp, error)) {
        g_prefix_error(error, "'%s': ", u->key);
        return FALSE;
    }
    /* S3 may answer 200 with an <Error> body (its documented quirk). */
    if (resp.body && resp.body->len) {
        g_autofree char *code = NULL, *message = NULL;

        if (aws_xml_parse_error(resp.body->data, resp.body->len, &code,
                                &message)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "s3 CompleteMultipartUpload: '%s': %s: %s", u->key,
                        code ? code : "error", message ? message : "");
            return FALSE;
        }
    }
    g_clear_pointer(&u->upload_id, g_free);
    return TRUE;
}

void
aws_s3_upload_free(AwsUpload *u)
{
    if (!u)
        return;
    /* Parts in flight end (a cancel cuts them short) before the abort:
     * S3 may keep a part that completes after AbortMultipartUpload. */
    aws_pool_free(u->pool);
    if (u->upload_id) {
        aws_s3_abort_upload(u->at, u->key, u->upload_id);
        g_free(u->upload_id);
    }
    g_free(u->key);
    g_free(u->name);
    g_free(u);
}

const char *
aws_s3_upload_get_name(const AwsUpload *u)
{
    return u->name;
}

AwsTarget *
aws_s3_upload_get_target(const AwsUpload *u)
{
    return u->at;
}
