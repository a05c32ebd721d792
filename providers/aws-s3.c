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
 * A CreateMultipartUpload retried after its answer was lost (a cut
 * connection, a truncated body) may have opened an upload ferry never
 * learnt the id of; S3 keeps such an upload, and bills its parts, until
 * it is aborted.  So after a retried one, the key's other open uploads
 * are listed (ListMultipartUploads) and aborted: two exports of one disk
 * into one bucket at once would overwrite each other anyway.
 *
 * Paths are path-style ("/bucket/key"): it works with every endpoint,
 * moto's included.  Parts are at least AWS_S3_MIN_PART bytes and large
 * enough that the disk fits in AWS_S3_MAX_PARTS (S3's limit is 10,000;
 * the size hint is the output's planned size, and a compressed stream is
 * smaller than that).  Each part goes with the HTTP client's retries.
 *
 * Parts go AWS_S3_PARTS_IN_FLIGHT at a time: the writer (the converter's
 * thread) fills a part buffer and queues it; uploader threads, each with
 * an HttpClient of its own, send queued parts; the writer blocks while
 * every buffer is queued or in flight, so memory stays at
 * AWS_S3_PARTS_IN_FLIGHT + 1 parts.  The first part to fail fails the
 * upload (the writer's next call, or finish, returns its error) and the
 * upload is aborted; the SHA-256 of the whole stream is still computed by
 * the writer, in order.
 */
#include <config.h>

#include <openssl/sha.h>
#include <string.h>

#include "providers/aws-target-priv.h"

/* Parts sent at once.  bench/aws.sh (256 MiB, moto on loopback, 2 cores)
 * measured 1.57x the time of `aws s3 cp` with one part at a time; four
 * uploaders keep the link busy while the converter fills the next part,
 * for AWS_S3_PARTS_IN_FLIGHT + 1 part buffers in all. */
#define AWS_S3_PARTS_IN_FLIGHT 4

typedef struct {
    guint8 *buf;                 /* part_size bytes */
    gsize fill;
    guint number;                /* its part number, once queued */
} AwsPart;

typedef struct {
    AwsUpload *u;
    HttpClient *http;            /* this thread's only */
    GThread *thread;
} AwsUploader;

struct _AwsUpload {
    /* immutable after aws_s3_upload_open() */
    AwsTarget *at;               /* borrowed */
    char *key;
    char *upload_id;             /* NULL once completed */
    gsize part_size;
    char *name;                  /* the .part name ferry gave */
    AwsPart parts[AWS_S3_PARTS_IN_FLIGHT + 1];
    AwsUploader uploaders[AWS_S3_PARTS_IN_FLIGHT];

    /* the writer's thread only */
    AwsPart *cur;                /* being filled */
    guint part_count;            /* numbers handed out */
    GChecksum *stream;           /* SHA-256 of every byte, in order */

    /* under lock */
    GMutex lock;
    GCond cond;                  /* a part queued, sent, or stop */
    GQueue free_parts;
    GQueue queued;               /* waiting for an uploader */
    guint sending;
    GPtrArray *done;             /* [number - 1]: its <Part> element */
    GError *failed;              /* the first error of any part */
    gboolean stopping;
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
        g_warning("s3 '%s': after a retried CreateMultipartUpload: %s", key,
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
        g_info("s3 '%s': aborting the upload a lost answer opened", key);
        aws_s3_abort_upload(at, key, ids[i]);
    }
}

/* UploadPart of @p on @http; @xml gets its <Part> element. */
static gboolean
aws_s3_send_part(AwsUpload *u, HttpClient *http, const AwsPart *p,
                 char **xml, GError **error)
{
    g_autofree char *path = aws_s3_path(u->at->bucket, u->key);
    g_autofree char *number = g_strdup_printf("%u", p->number);
    g_autofree char *b64 = NULL, *etag = NULL;
    g_autoptr(GArray) q = aws_params_new();
    g_auto(HttpResponse) resp = { 0 };
    guint8 md[SHA256_DIGEST_LENGTH];
    const char *headers[3] = { "x-amz-checksum-sha256", NULL, NULL };
    AwsCall call = { .service = "s3", .action = "UploadPart",
                     .method = "PUT", .path = path, .query = q,
                     .headers = headers, .body = p->buf,
                     .body_len = p->fill, .http = http };
    char hex[65];
    const char *e;
    guint i;

    SHA256(p->buf, p->fill, md);
    for (i = 0; i < sizeof(md); i++)
        g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    b64 = g_base64_encode(md, sizeof(md));
    headers[1] = b64;
    call.payload_sha256 = hex;
    aws_params_add(q, "partNumber", number);
    aws_params_add(q, "uploadId", u->upload_id);
    if (!aws_call(u->at->client, &call, &resp, error)) {
        g_prefix_error(error, "'%s' part %s: ", u->key, number);
        return FALSE;
    }
    e = http_response_header(&resp, "etag");
    if (!e || !ferry_check_text("ETag", e, 256, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "s3 UploadPart: '%s' part %s: no ETag in the answer",
                    u->key, number);
        return FALSE;
    }
    etag = g_markup_escape_text(e, -1);
    *xml = g_strdup_printf("<Part><PartNumber>%s</PartNumber><ETag>%s</ETag>"
                           "<ChecksumSHA256>%s</ChecksumSHA256></Part>",
                           number, etag, b64);
    return TRUE;
}

/* An uploader thread: sends queued parts until told to stop.  Once a
 * part failed (or the upload is being freed), queued parts are dropped:
 * the upload will be aborted. */
static gpointer
aws_s3_uploader(gpointer data)
{
    AwsUploader *w = data;
    AwsUpload *u = w->u;

    g_mutex_lock(&u->lock);
    for (;;) {
        AwsPart *p;
        g_autoptr(GError) error = NULL;
        char *xml = NULL;
        gboolean ok;

        while (!u->stopping && g_queue_is_empty(&u->queued))
            g_cond_wait(&u->cond, &u->lock);
        p = g_queue_pop_head(&u->queued);
        if (!p)
            break;
        if (!u->failed && !u->stopping) {
            u->sending++;
            g_mutex_unlock(&u->lock);
            ok = aws_s3_send_part(u, w->http, p, &xml, &error);
            g_mutex_lock(&u->lock);
            u->sending--;
            if (ok)
                g_ptr_array_index(u->done, p->number - 1) = xml;
            else if (!u->failed)
                u->failed = g_steal_pointer(&error);
        }
        p->fill = 0;
        g_queue_push_tail(&u->free_parts, p);
        g_cond_broadcast(&u->cond);
    }
    g_mutex_unlock(&u->lock);
    return NULL;
}

/* The first part error, copied to @error; FALSE if there was one.  With
 * u->lock held. */
static gboolean
aws_s3_check_failed(AwsUpload *u, GError **error)
{
    if (!u->failed)
        return TRUE;
    g_propagate_error(error, g_error_copy(u->failed));
    return FALSE;
}

/* After a part failed (u->cur is NULL then): FALSE with its error. */
static gboolean
aws_s3_get_failure(AwsUpload *u, GError **error)
{
    gboolean ok;

    g_mutex_lock(&u->lock);
    g_assert(u->failed);
    ok = aws_s3_check_failed(u, error);
    g_mutex_unlock(&u->lock);
    return ok;
}

/* Hands the part being filled to the uploaders; with @next, waits for a
 * free buffer to fill next (the writer's back-pressure). */
static gboolean
aws_s3_queue_part(AwsUpload *u, gboolean next, GError **error)
{
    gboolean ok;

    if (u->part_count >= AWS_S3_MAX_PARTS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "s3 '%s': more than %u parts of %" G_GSIZE_FORMAT
                    " bytes", u->key, AWS_S3_MAX_PARTS, u->part_size);
        return FALSE;
    }
    g_mutex_lock(&u->lock);
    if (u->failed) {
        ok = aws_s3_check_failed(u, error);
        g_mutex_unlock(&u->lock);
        return ok;
    }
    u->cur->number = ++u->part_count;
    g_ptr_array_set_size(u->done, u->part_count);
    g_queue_push_tail(&u->queued, u->cur);
    u->cur = NULL;
    g_cond_broadcast(&u->cond);
    while (next && !u->failed && g_queue_is_empty(&u->free_parts))
        g_cond_wait(&u->cond, &u->lock);
    if (next && !u->failed)
        u->cur = g_queue_pop_head(&u->free_parts);
    ok = aws_s3_check_failed(u, error);
    g_mutex_unlock(&u->lock);
    return ok;
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
    guint i;

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
    if (resp.attempts > 1)
        aws_s3_abort_strays(at, key, id);
    u = g_new0(AwsUpload, 1);
    u->at = at;
    u->name = g_strdup(name);
    u->key = g_strdup(key);
    u->upload_id = id;
    u->part_size = aws_s3_part_size(size_hint);
    u->stream = g_checksum_new(G_CHECKSUM_SHA256);
    u->done = g_ptr_array_new_with_free_func(g_free);
    g_mutex_init(&u->lock);
    g_cond_init(&u->cond);
    /* malloc maps big buffers lazily: a small disk touches few pages. */
    for (i = 0; i < G_N_ELEMENTS(u->parts); i++) {
        u->parts[i].buf = g_malloc(u->part_size);
        g_queue_push_tail(&u->free_parts, &u->parts[i]);
    }
    u->cur = g_queue_pop_head(&u->free_parts);
    for (i = 0; i < G_N_ELEMENTS(u->uploaders); i++) {
        AwsUploader *w = &u->uploaders[i];

        w->u = u;
        w->http = aws_client_new_http(at->client, error);
        if (!w->http) {
            aws_s3_upload_free(u);
            return NULL;
        }
        w->thread = g_thread_new("ferry-s3-part", aws_s3_uploader, w);
    }
    g_debug("s3 '%s': multipart upload, parts of %" G_GSIZE_FORMAT
            " bytes, %u at once", key, u->part_size, AWS_S3_PARTS_IN_FLIGHT);
    return u;
}

gboolean
aws_s3_upload_write(AwsUpload *u, const void *buf, gsize len, GError **error)
{
    const guint8 *p = buf;

    if (!u->cur)                 /* a part failed: keep failing */
        return aws_s3_get_failure(u, error);
    g_checksum_update(u->stream, buf, len);
    while (len) {
        gsize n = MIN(len, u->part_size - u->cur->fill);

        memcpy(u->cur->buf + u->cur->fill, p, n);
        u->cur->fill += n;
        p += n;
        len -= n;
        if (u->cur->fill == u->part_size &&
            !aws_s3_queue_part(u, TRUE, error))
            return FALSE;
    }
    return TRUE;
}

gboolean
aws_s3_upload_finish(AwsUpload *u, char sha256[65], GError **error)
{
    g_autofree char *path = aws_s3_path(u->at->bucket, u->key);
    g_autofree char *body = NULL;
    g_autoptr(GArray) q = aws_params_new();
    g_auto(HttpResponse) resp = { 0 };
    AwsCall call = { .service = "s3", .action = "CompleteMultipartUpload",
                     .method = "POST", .path = path, .query = q,
                     .content_type = "application/xml" };

    g_autoptr(GString) parts = g_string_new(NULL);
    gboolean ok;
    guint i;

    if (!u->cur)
        return aws_s3_get_failure(u, error);
    /* The last part may be short (or empty, for an empty stream). */
    if ((u->cur->fill || u->part_count == 0) &&
        !aws_s3_queue_part(u, FALSE, error))
        return FALSE;
    g_mutex_lock(&u->lock);
    while (!u->failed && (!g_queue_is_empty(&u->queued) || u->sending))
        g_cond_wait(&u->cond, &u->lock);
    ok = aws_s3_check_failed(u, error);
    g_mutex_unlock(&u->lock);
    if (!ok)
        return FALSE;
    for (i = 0; i < u->done->len; i++)
        g_string_append(parts, g_ptr_array_index(u->done, i));
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
    g_strlcpy(sha256, g_checksum_get_string(u->stream), 65);
    g_clear_pointer(&u->upload_id, g_free);
    return TRUE;
}

void
aws_s3_upload_free(AwsUpload *u)
{
    guint i;

    if (!u)
        return;
    /* Parts in flight end (a cancel cuts them short) before the abort:
     * S3 may keep a part that completes after AbortMultipartUpload. */
    g_mutex_lock(&u->lock);
    u->stopping = TRUE;
    g_cond_broadcast(&u->cond);
    g_mutex_unlock(&u->lock);
    for (i = 0; i < G_N_ELEMENTS(u->uploaders); i++) {
        if (u->uploaders[i].thread)
            g_thread_join(u->uploaders[i].thread);
        http_client_free(u->uploaders[i].http);
    }
    if (u->upload_id) {
        aws_s3_abort_upload(u->at, u->key, u->upload_id);
        g_free(u->upload_id);
    }
    g_free(u->key);
    g_free(u->name);
    for (i = 0; i < G_N_ELEMENTS(u->parts); i++)
        g_free(u->parts[i].buf);
    g_queue_clear(&u->free_parts);
    g_queue_clear(&u->queued);
    g_ptr_array_unref(u->done);
    g_clear_error(&u->failed);
    g_mutex_clear(&u->lock);
    g_cond_clear(&u->cond);
    g_checksum_free(u->stream);
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
