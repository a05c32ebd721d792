/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * azure-blob.c: the Blob service calls of the azure:// target (Azure
 * Storage REST reference, Blob service), each signed with SharedKey
 * (azure-sharedkey.c) or carrying the SAS, sent through transport/http.c
 * (which retries 429, 500 OperationTimedOut, 503 ServerBusy and honours
 * Retry-After), and a disk's page blob:
 *
 *   Put Blob        x-ms-blob-type: PageBlob, x-ms-blob-content-length =
 *                   the fixed VHD's size, x-ms-meta-ferry_state: partial,
 *                   If-None-Match: * unless --overwrite (409 otherwise)
 *   Put Page        x-ms-page-write: update, x-ms-range, Content-MD5 (the
 *                   service refuses a body that does not match it), one
 *                   per 4 MiB-aligned window of the stream that holds
 *                   data, from its first to its last written page; a
 *                   window that stayed all zeros is not sent (a new page
 *                   blob reads as zeros).  The stream is forward-only, so
 *                   the window with the VHD footer goes last.
 *   Get Page Ranges after the last page: the ranges holding data must be
 *                   exactly those sent (merged), or FERRY_ERROR_CHECKSUM
 *   Set Blob Metadata  sha256=<the stream's SHA-256, from the export's
 *                   sink> (ferry_state goes)
 *   Delete Blob     an unfinished upload's blob, on failure and cancel
 *
 * Azure has no rename: the blob is written under its final name, marked
 * ferry_state=partial until the stream's hash is set as its metadata, and
 * deleted if the upload does not finish.  An export that was killed
 * leaves a blob marked partial: --resume continues it
 * (azure_page_upload_reopen()), and any other export refuses it as it
 * refuses any blob, unless --overwrite.
 *
 * What landed is checked as it lands: each Put Page by the service
 * against its Content-MD5, then the pages that hold data by Get Page
 * Ranges against those sent; the SHA-256 kept as metadata is the
 * stream's, which the export's sink computes (a second hash of the same
 * bytes here cost 0.3 s of CPU per 512 MiB and proved nothing more:
 * bench/reports/azure-2026-12-06.md).  ferry reads back only what a
 * resumed upload finds there from an earlier run:
 *
 *   Get Page Ranges before the first page: the ranges that hold data
 *   Get Blob        x-ms-range of each window about to be sent that lies
 *                   in them: equal to the stream's, it is not sent again
 *   Clear Page      x-ms-page-write: clear, at the end, of the ranges the
 *                   stream left as zeros
 */
#include <config.h>

#include <openssl/evp.h>
#include <string.h>

#include "providers/aws-target-priv.h"
#include "providers/azure-priv.h"

/* ---- the client ----------------------------------------------------------- */

void
azure_client_free(AzureClient *c)
{
    if (!c)
        return;
    http_client_free(c->http);
    http_client_free(c->http_cleanup);
    g_free(c->ca_file);
    azure_credentials_clear(&c->creds);
    g_free(c->endpoint_path);
    g_free(c);
}

/* The client's HTTP clients, TLS trusting AZURE_CA_BUNDLE if set. */
static gboolean
azure_client_open_http(AzureClient *c, GCancellable *cancellable,
                       GError **error)
{
    const char *ca = g_getenv("AZURE_CA_BUNDLE");
    HttpClientOptions hopts = { 0 };

    hopts.ca_file = ca && *ca ? ca : NULL;
    hopts.cancellable = cancellable;
    c->ca_file = g_strdup(hopts.ca_file);
    c->cancellable = cancellable;
    c->http = http_client_new(&hopts, error);
    if (!c->http)
        return FALSE;
    /* Deleting a blob after a cancel must not itself be cancelled. */
    hopts.cancellable = NULL;
    hopts.max_retries = 2;
    c->http_cleanup = http_client_new(&hopts, error);
    return c->http_cleanup != NULL;
}

AzureClient *
azure_client_new(const char *account, GCancellable *cancellable,
                 GError **error)
{
    g_autoptr(AzureClient) c = g_new0(AzureClient, 1);
    const char *p;

    if (!azure_credentials_load(NULL, NULL, account, &c->creds, error))
        return NULL;
    /* "http://127.0.0.1:10000/devstoreaccount1" -> "/devstoreaccount1" */
    p = strstr(c->creds.blob_endpoint, "://") + 3;
    p += strcspn(p, "/");
    c->endpoint_path = g_strdup(p);
    if (!azure_client_open_http(c, cancellable, error))
        return NULL;
    return g_steal_pointer(&c);
}

AzureClient *
azure_client_new_for_sas_url(const char *sas_url, GCancellable *cancellable,
                             char **container, char **blob, GError **error)
{
    g_autoptr(AzureClient) c = g_new0(AzureClient, 1);
    g_autoptr(GUri) u = g_uri_parse(sas_url, G_URI_FLAGS_ENCODED_QUERY |
                                                 G_URI_FLAGS_ENCODED_PATH,
                                    NULL);
    g_auto(GStrv) parts = NULL;
    g_autofree char *base = NULL;
    const char *scheme = u ? g_uri_get_scheme(u) : NULL;
    guint n;

    if (!u || !scheme ||
        (!g_str_equal(scheme, "https") && !g_str_equal(scheme, "http")) ||
        !g_uri_get_host(u) || !g_uri_get_query(u) ||
        !ferry_check_text("SAS URL", sas_url, 8192, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "azure: the SAS URL is not an http(s) URL with a query");
        return NULL;
    }
    parts = g_strsplit(g_uri_get_path(u), "/", 0);
    n = g_strv_length(parts);
    /* "", [endpoint path...,] container, blob */
    if (n < 3 || !*parts[n - 1] || !*parts[n - 2] || *parts[0]) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "azure: the SAS URL names no container and blob");
        return NULL;
    }
    *container = g_uri_unescape_string(parts[n - 2], NULL);
    *blob = g_uri_unescape_string(parts[n - 1], NULL);
    if (!*container || !*blob) {
        g_clear_pointer(container, g_free);
        g_clear_pointer(blob, g_free);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "azure: the SAS URL's path is not valid");
        return NULL;
    }
    g_free(parts[n - 2]);
    parts[n - 2] = NULL;
    c->endpoint_path = g_strjoinv("/", parts);
    parts[n - 2] = g_strdup("");
    base = g_uri_join(G_URI_FLAGS_ENCODED, scheme, NULL, g_uri_get_host(u),
                      g_uri_get_port(u), "", NULL, NULL);
    c->creds.blob_endpoint = g_strconcat(base, c->endpoint_path, NULL);
    c->creds.account = g_strdup("");
    c->creds.sas = g_strdup(g_uri_get_query(u));
    c->creds.source = "beginGetAccess";
    if (!azure_client_open_http(c, cancellable, error))
        return NULL;
    return g_steal_pointer(&c);
}

/* ---- one call ------------------------------------------------------------- */

typedef struct {
    const char *action;          /* "PutPage", for messages */
    const char *method;
    const char *container;
    const char *blob;            /* decoded, or NULL */
    const AzureParam *query;
    gsize n_query;
    const AzureHeader *headers;
    gsize n_headers;
    const void *body;
    gsize body_len;
    gboolean cleanup;            /* on the never-cancelled client */
    HttpClient *http;            /* or on this one (a sender thread's) */
} AzureCall;

/* RFC 1123 in English whatever the locale, as x-ms-date wants it. */
static char *
azure_http_date(void)
{
    static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
                                        "Sat", "Sun" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
                                          "Jun", "Jul", "Aug", "Sep", "Oct",
                                          "Nov", "Dec" };
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d GMT",
                           days[g_date_time_get_day_of_week(now) - 1],
                           g_date_time_get_day_of_month(now),
                           months[g_date_time_get_month(now) - 1],
                           g_date_time_get_year(now),
                           g_date_time_get_hour(now),
                           g_date_time_get_minute(now),
                           g_date_time_get_second(now));
}

/* One line from an error answer: "azure <action>: <Code>: <Message's
 * first line> (HTTP n)".  401/403 are FERRY_ERROR_AUTH, 404
 * FERRY_ERROR_NOT_FOUND, 409 BlobAlreadyExists and 412
 * FERRY_ERROR_EXISTS, the rest FERRY_ERROR_REMOTE. */
static gboolean
azure_error_from_response(const char *action, const HttpResponse *resp,
                          GError **error)
{
    g_autofree char *code = NULL, *message = NULL;
    const char *hcode = http_response_header(resp, "x-ms-error-code");
    FerryError kind = FERRY_ERROR_REMOTE;

    if (resp->body && resp->body->len) {
        g_autoptr(AwsXml) x = aws_xml_parse(resp->body->data, resp->body->len,
                                            NULL);

        if (x) {
            code = aws_xml_find(x, "Code");
            message = aws_xml_find(x, "Message");
        }
    }
    if (!code && hcode)
        code = g_strdup(hcode);
    if (code && !ferry_check_text("x-ms-error-code", code, 256, NULL))
        g_clear_pointer(&code, g_free);
    if (message) {
        message[strcspn(message, "\r\n")] = '\0';
        if (!ferry_check_text("Message", message, 1024, NULL))
            g_clear_pointer(&message, g_free);
    }
    if (resp->status == 401 || resp->status == 403)
        kind = FERRY_ERROR_AUTH;
    else if (resp->status == 404)
        kind = FERRY_ERROR_NOT_FOUND;
    else if (resp->status == 412 ||
             (resp->status == 409 && code &&
              g_str_equal(code, "BlobAlreadyExists")))
        kind = FERRY_ERROR_EXISTS;
    g_set_error(error, FERRY_ERROR, kind, "azure %s: %s%s%s (HTTP %ld)",
                action, code ? code : "error",
                message && *message ? ": " : "", message ? message : "",
                resp->status);
    return FALSE;
}

static gboolean
azure_call(AzureClient *c, const AzureCall *call, HttpResponse *resp,
           GError **error)
{
    g_autofree char *date = azure_http_date();
    g_autofree char *eblob = NULL, *path = NULL, *url = NULL;
    g_autofree char *auth = NULL;
    g_autoptr(GArray) headers = g_array_new(FALSE, TRUE,
                                            sizeof(AzureHeader));
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) query = g_string_new(NULL);
    AzureHeader h;
    HttpRequest req = { 0 };
    gboolean ok;
    gsize i;

    eblob = call->blob ? g_uri_escape_string(call->blob, "/", FALSE) : NULL;
    path = g_strconcat(c->endpoint_path, "/", call->container,
                       eblob ? "/" : "", eblob ? eblob : "", NULL);
    for (i = 0; i < call->n_query; i++) {
        g_autofree char *k = g_uri_escape_string(call->query[i].name, NULL,
                                                 FALSE);
        g_autofree char *v = g_uri_escape_string(call->query[i].value, NULL,
                                                 FALSE);

        g_string_append_printf(query, "%s%s=%s", i ? "&" : "", k, v);
    }
    if (c->creds.sas && !c->creds.key)
        g_string_append_printf(query, "%s%s", query->len ? "&" : "",
                               c->creds.sas);
    url = g_strconcat(c->creds.blob_endpoint,
                      path + strlen(c->endpoint_path),
                      query->len ? "?" : "", query->str, NULL);

    h.name = "x-ms-date";
    h.value = date;
    g_array_append_val(headers, h);
    h.name = "x-ms-version";
    h.value = AZURE_API_VERSION;
    g_array_append_val(headers, h);
    for (i = 0; i < call->n_headers; i++)
        g_array_append_val(headers, call->headers[i]);
    for (i = 0; i < headers->len; i++) {
        const AzureHeader *hh = &g_array_index(headers, AzureHeader, i);

        g_ptr_array_add(lines, g_strdup_printf("%s: %s", hh->name,
                                               hh->value));
    }
    if (c->creds.key) {
        AzureSharedKeyRequest sreq = {
            .method = call->method,
            .account = c->creds.account,
            .path = path,
            .query = call->query,
            .n_query = call->n_query,
            .headers = (const AzureHeader *)headers->data,
            .n_headers = headers->len,
            .content_length = call->body_len,
        };

        auth = azure_sharedkey_authorization(&sreq, c->creds.key, error);
        if (!auth)
            return FALSE;
        g_ptr_array_add(lines, g_strdup_printf("Authorization: %s", auth));
        memset(auth, 0, strlen(auth));
    }
    g_ptr_array_add(lines, NULL);
    req.method = call->method;
    req.url = url;
    req.headers = (const char *const *)lines->pdata;
    req.body = call->body;
    req.body_len = call->body_len;
    ok = http_client_send(call->http      ? call->http
                          : call->cleanup ? c->http_cleanup
                                          : c->http,
                          &req, resp, error);
    /* The header lines held the signature, the URL the SAS: wipe them. */
    for (i = 0; i + 1 < lines->len; i++)
        memset(lines->pdata[i], 0, strlen(lines->pdata[i]));
    memset(url, 0, strlen(url));
    if (!ok) {
        g_prefix_error(error, "azure %s: ", call->action);
        return FALSE;
    }
    if (resp->status >= 200 && resp->status < 300)
        return TRUE;
    return azure_error_from_response(call->action, resp, error);
}

/* ---- containers and blobs ------------------------------------------------- */

char *
azure_blob_name(const AzureTarget *at, const char *name)
{
    return g_strconcat(at->prefix, name, NULL);
}

gboolean
azure_container_ensure(AzureTarget *at, gboolean *created, GError **error)
{
    static const AzureParam q[] = { { "restype", "container" } };
    g_auto(HttpResponse) resp = { 0 };
    g_autoptr(GError) local = NULL;
    AzureCall call = { .action = "GetContainerProperties", .method = "GET",
                       .container = at->container, .query = q,
                       .n_query = G_N_ELEMENTS(q) };

    *created = FALSE;
    if (azure_call(at->client, &call, &resp, &local))
        return TRUE;
    if (!g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   "container '%s': ", at->container);
        return FALSE;
    }
    http_response_clear(&resp);
    call.action = "CreateContainer";
    call.method = "PUT";
    if (!azure_call(at->client, &call, &resp, error)) {
        g_prefix_error(error, "container '%s': ", at->container);
        return FALSE;
    }
    *created = TRUE;
    return TRUE;
}

gboolean
azure_blob_head(AzureTarget *at, const char *blob, guint64 *size,
                char **sha256, gboolean *partial, GError **error)
{
    g_auto(HttpResponse) resp = { 0 };
    AzureCall call = { .action = "GetBlobProperties", .method = "HEAD",
                       .container = at->container, .blob = blob };
    const char *len, *sum, *state;

    if (!azure_call(at->client, &call, &resp, error))
        return FALSE;
    len = http_response_header(&resp, "content-length");
    sum = http_response_header(&resp, "x-ms-meta-sha256");
    state = http_response_header(&resp, "x-ms-meta-ferry_state");
    if (size)
        *size = len ? g_ascii_strtoull(len, NULL, 10) : 0;
    if (sha256) {
        *sha256 = NULL;
        if (sum && strlen(sum) == 64 &&
            strspn(sum, "0123456789abcdef") == 64)
            *sha256 = g_strdup(sum);
    }
    if (partial)
        *partial = state && g_str_equal(state, "partial");
    return TRUE;
}

gboolean
azure_blob_delete(AzureTarget *at, const char *blob, GError **error)
{
    g_auto(HttpResponse) resp = { 0 };
    AzureCall call = { .action = "DeleteBlob", .method = "DELETE",
                       .container = at->container, .blob = blob,
                       .cleanup = TRUE };

    return azure_call(at->client, &call, &resp, error);
}

gboolean
azure_blob_set_sha256(AzureTarget *at, const char *blob, const char *sha256,
                      GError **error)
{
    static const AzureParam q[] = { { "comp", "metadata" } };
    g_auto(HttpResponse) resp = { 0 };
    AzureHeader h[] = { { "x-ms-meta-sha256", sha256 } };
    AzureCall call = { .action = "SetBlobMetadata", .method = "PUT",
                       .container = at->container, .blob = blob, .query = q,
                       .n_query = G_N_ELEMENTS(q), .headers = h,
                       .n_headers = G_N_ELEMENTS(h) };

    return azure_call(at->client, &call, &resp, error);
}

/* OpenSSL's digests: GLib's GChecksum took three quarters of an upload's
 * CPU (bench/reports/azure-2026-12-06.md). */
static char *
azure_md5_base64(const void *data, gsize len)
{
    guint8 digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_Digest(data, len, digest, &n, EVP_md5(), NULL) != 1)
        g_error("azure: OpenSSL's MD5 is not available");
    return g_base64_encode(digest, n);
}

gboolean
azure_blob_put_block(AzureTarget *at, const char *blob, const void *data,
                     gsize len, const char *sha256, GError **error)
{
    g_autofree char *md5 = azure_md5_base64(data, len);
    g_auto(HttpResponse) resp = { 0 };
    AzureHeader h[] = {
        { "x-ms-blob-type", "BlockBlob" },
        { "Content-MD5", md5 },
        { "Content-Type", "application/octet-stream" },
        { "x-ms-meta-sha256", sha256 },
        { "If-None-Match", "*" },
    };
    AzureCall call = { .action = "PutBlob", .method = "PUT",
                       .container = at->container, .blob = blob,
                       .headers = h, .n_headers = G_N_ELEMENTS(h),
                       .body = data, .body_len = len };

    if (at->overwrite)
        call.n_headers--;
    return azure_call(at->client, &call, &resp, error);
}

/* ---- page ranges ---------------------------------------------------------- */

void
azure_ranges_merge(GArray *ranges)
{
    guint i, out = 0;

    for (i = 0; i < ranges->len; i += 2) {
        guint64 s = g_array_index(ranges, guint64, i);
        guint64 e = g_array_index(ranges, guint64, i + 1);

        if (out && s <= g_array_index(ranges, guint64, out - 1)) {
            guint64 *last = &g_array_index(ranges, guint64, out - 1);

            *last = MAX(*last, e);
            continue;
        }
        g_array_index(ranges, guint64, out) = s;
        g_array_index(ranges, guint64, out + 1) = e;
        out += 2;
    }
    g_array_set_size(ranges, out);
}

/* Get Page Ranges: [start, end) pairs, sorted and merged. */
static GArray *
azure_blob_page_ranges(AzureTarget *at, const char *blob, guint64 size,
                       GError **error)
{
    static const AzureParam q[] = { { "comp", "pagelist" } };
    g_auto(HttpResponse) resp = { 0 };
    g_autoptr(AwsXml) x = NULL;
    g_auto(GStrv) starts = NULL, ends = NULL, clear = NULL;
    g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(guint64));
    AzureCall call = { .action = "GetPageRanges", .method = "GET",
                       .container = at->container, .blob = blob, .query = q,
                       .n_query = G_N_ELEMENTS(q) };
    guint64 prev_end = 0;
    guint i;

    if (!azure_call(at->client, &call, &resp, error))
        return NULL;
    x = aws_xml_parse(resp.body->data, resp.body->len, error);
    if (!x) {
        g_prefix_error(error, "azure GetPageRanges: ");
        return NULL;
    }
    starts = aws_xml_find_all(x, "Start");
    ends = aws_xml_find_all(x, "End");
    clear = aws_xml_find_all(x, "ClearRange");
    if (g_strv_length(starts) != g_strv_length(ends) || clear[0]) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "azure GetPageRanges: '%s': the page list does not pair "
                    "each Start with an End", blob);
        return NULL;
    }
    for (i = 0; starts[i]; i++) {
        guint64 s, e;

        /* Inclusive ends, 512-aligned, in order, inside the blob. */
        if (!g_ascii_string_to_unsigned(starts[i], 10, 0, G_MAXUINT64, &s,
                                        NULL) ||
            !g_ascii_string_to_unsigned(ends[i], 10, 0, G_MAXUINT64, &e,
                                        NULL) ||
            e < s || e >= size || s % AZURE_PAGE_SIZE ||
            (e + 1) % AZURE_PAGE_SIZE || (i && s < prev_end)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "azure GetPageRanges: '%s': range %u is not a "
                        "page range of the blob (%" G_GUINT64_FORMAT
                        " bytes)", blob, i + 1, size);
            return NULL;
        }
        prev_end = e + 1;
        g_array_append_val(out, s);
        g_array_append_val(out, prev_end);
    }
    azure_ranges_merge(out);
    return g_steal_pointer(&out);
}

/* ---- a page blob upload --------------------------------------------------- */

struct _AzureUpload {
    AzureTarget *at;             /* borrowed */
    char *name;                  /* the pool's file name */
    char *blob;
    guint64 size;                /* the blob's, fixed at Put Blob */
    guint64 pos;                 /* stream offset */
    AwsPool *pool;               /* Put Page senders and their buffers */
    guint8 *window;              /* the pool's current buffer, zeroed */
    guint64 window_start;        /* stream offset of window[0] */
    gsize dirty_lo, dirty_hi;    /* written part of the window */
    GArray *sent;                /* [start, end) pairs sent */
    guint64 page_bytes;          /* bytes sent with Put Page */
    /* A resumed upload (azure_page_upload_resume()): the pages that held
     * data before it, [start, end) pairs, and the bytes of windows found
     * there already, equal, and not sent again (under @lock: the sender
     * threads count them). */
    GArray *landed;
    GMutex lock;
    guint64 kept_bytes;
    /* Or NULL: where each Put Page that succeeded adds its body's bytes
     * (under @lock), azure_page_upload_count_sent(). */
    guint64 *sent_out;
    gboolean finished;
    gboolean attached;           /* the blob is not ours to delete */
};

static gboolean azure_page_send(gpointer data, HttpClient *http,
                                guint64 offset, const guint8 *buf, gsize len,
                                char **result, GError **error);

static AzureUpload *
azure_page_upload_new(AzureTarget *at, const char *name, char *blob,
                      guint64 size, GError **error)
{
    AzureUpload *u = g_new0(AzureUpload, 1);
    HttpClientOptions hopts = { .ca_file = at->client->ca_file,
                                .cancellable = at->client->cancellable };

    u->at = at;
    u->name = g_strdup(name);
    u->blob = blob;
    u->size = size;
    u->sent = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_mutex_init(&u->lock);
    u->finished = TRUE;          /* nothing to delete yet */
    u->pool = aws_pool_new_http(&hopts, AZURE_PAGES_IN_FLIGHT,
                                AZURE_MAX_PUT_PAGE, azure_page_send, u,
                                error);
    u->window = u->pool ? aws_pool_get_buffer(u->pool, error) : NULL;
    if (!u->window) {
        azure_page_upload_free(u);
        return NULL;
    }
    memset(u->window, 0, AZURE_MAX_PUT_PAGE);
    u->finished = FALSE;
    return u;
}

AzureUpload *
azure_page_upload_attach(AzureTarget *at, const char *blob, guint64 size,
                         GError **error)
{
    AzureUpload *u;

    if (size == 0 || size % AZURE_PAGE_SIZE) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "azure: '%s': %" G_GUINT64_FORMAT " bytes is not a "
                    "whole number of pages", blob, size);
        return NULL;
    }
    u = azure_page_upload_new(at, blob, g_strdup(blob), size, error);
    if (u)
        u->attached = TRUE;
    return u;
}

gboolean
azure_page_upload_resume(AzureUpload *u, GError **error)
{
    g_assert(!u->landed && u->pos == 0);
    u->landed = azure_blob_page_ranges(u->at, u->blob, u->size, error);
    if (!u->landed)
        return FALSE;
    g_debug("azure '%s': %u page ranges from an earlier upload", u->blob,
            u->landed->len / 2);
    return TRUE;
}

AzureUpload *
azure_page_upload_reopen(AzureTarget *at, const char *name, guint64 size,
                         GError **error)
{
    g_autofree char *blob = azure_blob_name(at, name);
    guint64 have = 0;
    gboolean partial = FALSE;
    AzureUpload *u;

    if (!azure_blob_head(at, blob, &have, NULL, &partial, error)) {
        g_prefix_error(error, "'%s': ", blob);
        return NULL;
    }
    if (!partial || have != size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
                    "azure: '%s' is not an unfinished upload of %"
                    G_GUINT64_FORMAT " bytes: cannot resume it (use "
                    "--overwrite to replace it)", blob, size);
        return NULL;
    }
    u = azure_page_upload_new(at, name, g_strdup(blob), size, error);
    if (u && !azure_page_upload_resume(u, error)) {
        u->finished = TRUE;      /* the blob stays for another try */
        g_clear_pointer(&u, azure_page_upload_free);
    }
    return u;
}

AzureUpload *
azure_page_upload_open(AzureTarget *at, const char *name, guint64 size,
                       GError **error)
{
    g_autofree char *blob = azure_blob_name(at, name);
    g_autofree char *len = g_strdup_printf("%" G_GUINT64_FORMAT, size);
    g_auto(HttpResponse) resp = { 0 };
    AzureHeader h[] = {
        { "x-ms-blob-type", "PageBlob" },
        { "x-ms-blob-content-length", len },
        { "x-ms-meta-ferry_state", "partial" },
        { "If-None-Match", "*" },
    };
    AzureCall call = { .action = "PutBlob", .method = "PUT",
                       .container = at->container, .blob = blob,
                       .headers = h, .n_headers = G_N_ELEMENTS(h) };
    AzureUpload *u;

    if (size == 0 || size % AZURE_PAGE_SIZE || size > AZURE_MAX_PAGE_BLOB) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "azure: '%s': a page blob of %" G_GUINT64_FORMAT
                    " bytes: expected a multiple of %d bytes, at most 8 TiB",
                    blob, size, AZURE_PAGE_SIZE);
        return NULL;
    }
    if (at->overwrite)
        call.n_headers--;
    if (!azure_call(at->client, &call, &resp, error)) {
        g_prefix_error(error, "'%s': ", blob);
        return NULL;
    }
    u = azure_page_upload_new(at, name, g_strdup(blob), size, error);
    if (!u) {
        azure_blob_delete(at, blob, NULL);
        return NULL;
    }
    g_debug("azure '%s': page blob of %" G_GUINT64_FORMAT " bytes", u->blob,
            size);
    return u;
}

static gboolean
azure_is_zero(const guint8 *p, gsize len)
{
    return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* Whether [@start, @end) lies inside one of @ranges (sorted, merged). */
static gboolean
azure_ranges_cover(const GArray *ranges, guint64 start, guint64 end)
{
    guint i;

    for (i = 0; i < ranges->len; i += 2) {
        if (g_array_index(ranges, guint64, i) > start)
            return FALSE;
        if (end <= g_array_index(ranges, guint64, i + 1))
            return TRUE;
    }
    return FALSE;
}

/* A resumed upload's window whose pages an earlier run's Put Page left:
 * read back (Get Blob of the range) and compared with what the stream
 * has there now.  A Put Page lands whole or not at all, so a range Get
 * Page Ranges lists was one acknowledged request; reading it costs the
 * download, not the upload, of the window. */
static gboolean
azure_page_landed_equal(AzureUpload *u, HttpClient *http, guint64 offset,
                        const guint8 *buf, gsize len, gboolean *same,
                        GError **error)
{
    g_autofree char *range = g_strdup_printf(
        "bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, offset,
        offset + len - 1);
    g_auto(HttpResponse) resp = { 0 };
    AzureHeader h[] = { { "x-ms-range", range } };
    AzureCall call = { .action = "GetBlob", .method = "GET",
                       .container = u->at->container, .blob = u->blob,
                       .headers = h, .n_headers = G_N_ELEMENTS(h),
                       .http = http };

    if (!azure_call(u->at->client, &call, &resp, error)) {
        g_prefix_error(error, "'%s' %s: ", u->blob, range);
        return FALSE;
    }
    *same = resp.body && resp.body->len == len &&
            memcmp(resp.body->data, buf, len) == 0;
    return TRUE;
}

/* One Put Page, from a sender thread: @len bytes at @offset (unless a
 * resumed upload finds them there already). */
static gboolean
azure_page_send(gpointer data, HttpClient *http, guint64 offset,
                const guint8 *buf, gsize len, char **result, GError **error)
{
    static const AzureParam q[] = { { "comp", "page" } };
    AzureUpload *u = data;
    g_autofree char *md5 = azure_md5_base64(buf, len);
    g_autofree char *range = g_strdup_printf(
        "bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, offset,
        offset + len - 1);
    g_auto(HttpResponse) resp = { 0 };
    AzureHeader h[] = {
        { "x-ms-page-write", "update" },
        { "x-ms-range", range },
        { "Content-MD5", md5 },
    };
    AzureCall call = { .action = "PutPage", .method = "PUT",
                       .container = u->at->container, .blob = u->blob,
                       .query = q, .n_query = G_N_ELEMENTS(q), .headers = h,
                       .n_headers = G_N_ELEMENTS(h), .body = buf,
                       .body_len = len, .http = http };
    gboolean same = FALSE;

    if (u->landed && azure_ranges_cover(u->landed, offset, offset + len)) {
        if (!azure_page_landed_equal(u, http, offset, buf, len, &same,
                                     error))
            return FALSE;
        if (same) {
            g_mutex_lock(&u->lock);
            u->kept_bytes += len;
            g_mutex_unlock(&u->lock);
            return TRUE;
        }
    }
    if (!azure_call(u->at->client, &call, &resp, error)) {
        g_prefix_error(error, "'%s' %s: ", u->blob, range);
        return FALSE;
    }
    if (u->sent_out) {
        g_mutex_lock(&u->lock);
        *u->sent_out += len;
        g_mutex_unlock(&u->lock);
    }
    return TRUE;
}

/* Hands the window's written pages to a sender, unless they are all
 * zeros, and takes a fresh (zeroed) window. */
static gboolean
azure_page_flush(AzureUpload *u, GError **error)
{
    gsize lo = u->dirty_lo / AZURE_PAGE_SIZE * AZURE_PAGE_SIZE;
    gsize hi = (u->dirty_hi + AZURE_PAGE_SIZE - 1) / AZURE_PAGE_SIZE *
               AZURE_PAGE_SIZE;
    guint64 start = u->window_start + lo, end = u->window_start + hi;

    if (u->dirty_hi == u->dirty_lo)
        return TRUE;
    u->dirty_lo = u->dirty_hi = 0;
    if (azure_is_zero(u->window + lo, hi - lo))
        return TRUE;
    /* The pool sends a buffer from its first byte. */
    if (lo)
        memmove(u->window, u->window + lo, hi - lo);
    g_array_append_val(u->sent, start);
    g_array_append_val(u->sent, end);
    u->page_bytes += hi - lo;
    if (!aws_pool_submit(u->pool, start, hi - lo, error))
        return FALSE;
    u->window = aws_pool_get_buffer(u->pool, error);
    if (!u->window)
        return FALSE;
    memset(u->window, 0, AZURE_MAX_PUT_PAGE);
    return TRUE;
}

static gboolean
azure_page_check_room(AzureUpload *u, guint64 len, GError **error)
{
    if (len <= u->size - u->pos)
        return TRUE;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                "azure: '%s': the output runs past the page blob's %"
                G_GUINT64_FORMAT " bytes", u->blob, u->size);
    return FALSE;
}

gboolean
azure_page_upload_write(AzureUpload *u, const void *buf, gsize len,
                        GError **error)
{
    const guint8 *p = buf;

    if (!azure_page_check_room(u, len, error))
        return FALSE;
    while (len) {
        guint64 start = u->pos / AZURE_MAX_PUT_PAGE * AZURE_MAX_PUT_PAGE;
        gsize off, n;

        if (start != u->window_start) {
            if (!azure_page_flush(u, error))
                return FALSE;
            u->window_start = start;
        }
        off = (gsize)(u->pos - start);
        n = MIN(len, AZURE_MAX_PUT_PAGE - off);
        memcpy(u->window + off, p, n);
        if (u->dirty_hi == u->dirty_lo)
            u->dirty_lo = off;
        u->dirty_hi = off + n;
        u->pos += n;
        p += n;
        len -= n;
    }
    return TRUE;
}

gboolean
azure_page_upload_skip(AzureUpload *u, guint64 len, GError **error)
{
    if (!azure_page_check_room(u, len, error))
        return FALSE;
    u->pos += len;
    return TRUE;
}

/* Clear Page over [@start, @end). */
static gboolean
azure_page_clear(AzureUpload *u, guint64 start, guint64 end, GError **error)
{
    static const AzureParam q[] = { { "comp", "page" } };
    g_autofree char *range = g_strdup_printf(
        "bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, start, end - 1);
    g_auto(HttpResponse) resp = { 0 };
    AzureHeader h[] = { { "x-ms-page-write", "clear" },
                        { "x-ms-range", range } };
    AzureCall call = { .action = "ClearPage", .method = "PUT",
                       .container = u->at->container, .blob = u->blob,
                       .query = q, .n_query = G_N_ELEMENTS(q), .headers = h,
                       .n_headers = G_N_ELEMENTS(h) };

    if (!azure_call(u->at->client, &call, &resp, error)) {
        g_prefix_error(error, "'%s' %s: ", u->blob, range);
        return FALSE;
    }
    return TRUE;
}

/* The pages an earlier run left where the stream has zeros now (they
 * would read as data): each part of @landed outside @sent (merged) is
 * cleared. */
static gboolean
azure_page_clear_stale(AzureUpload *u, GError **error)
{
    const GArray *sent = u->sent;
    guint i, j = 0;

    for (i = 0; i < u->landed->len; i += 2) {
        guint64 s = g_array_index(u->landed, guint64, i);
        guint64 e = g_array_index(u->landed, guint64, i + 1);

        while (s < e) {
            guint64 cut = e;

            while (j < sent->len && g_array_index(sent, guint64, j + 1) <= s)
                j += 2;
            if (j < sent->len && g_array_index(sent, guint64, j) <= s) {
                s = MIN(e, g_array_index(sent, guint64, j + 1));
                continue;
            }
            if (j < sent->len)
                cut = MIN(e, g_array_index(sent, guint64, j));
            if (!azure_page_clear(u, s, cut, error))
                return FALSE;
            s = cut;
        }
    }
    return TRUE;
}

gboolean
azure_page_upload_finish(AzureUpload *u, GError **error)
{
    g_autoptr(GArray) ranges = NULL;

    if (u->pos != u->size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "azure: '%s': the output is %" G_GUINT64_FORMAT
                    " bytes, the page blob %" G_GUINT64_FORMAT, u->blob,
                    u->pos, u->size);
        return FALSE;
    }
    /* The footer's window goes last, once every other page landed. */
    if (!aws_pool_drain(u->pool, error) || !azure_page_flush(u, error) ||
        !aws_pool_drain(u->pool, error))
        return FALSE;
    azure_ranges_merge(u->sent);
    if (u->landed && !azure_page_clear_stale(u, error))
        return FALSE;
    ranges = azure_blob_page_ranges(u->at, u->blob, u->size, error);
    if (!ranges)
        return FALSE;
    if (ranges->len != u->sent->len ||
        memcmp(ranges->data, u->sent->data,
               ranges->len * sizeof(guint64)) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                    "azure: '%s': Get Page Ranges lists %u ranges, ferry "
                    "sent %u other ones", u->blob, ranges->len / 2,
                    u->sent->len / 2);
        return FALSE;
    }
    u->finished = TRUE;
    g_debug("azure '%s': %" G_GUINT64_FORMAT " bytes of pages in %u ranges",
            u->blob, u->page_bytes, ranges->len / 2);
    return TRUE;
}

void
azure_page_upload_free(AzureUpload *u)
{
    g_autoptr(GError) error = NULL;

    if (!u)
        return;
    /* Sends in flight end before the blob goes. */
    g_clear_pointer(&u->pool, aws_pool_free);
    if (!u->finished && !u->attached &&
        !azure_blob_delete(u->at, u->blob, &error))
        g_warning("azure '%s': the unfinished blob stays: %s", u->blob,
                  error->message);
    g_free(u->name);
    g_free(u->blob);
    g_array_unref(u->sent);
    if (u->landed)
        g_array_unref(u->landed);
    g_mutex_clear(&u->lock);
    g_free(u);
}

const char *
azure_page_upload_get_name(const AzureUpload *u)
{
    return u->name;
}

guint64
azure_page_upload_get_page_bytes(const AzureUpload *u)
{
    return u->page_bytes - u->kept_bytes;
}

void
azure_page_upload_count_sent(AzureUpload *u, guint64 *sent)
{
    g_mutex_lock(&u->lock);
    u->sent_out = sent;
    g_mutex_unlock(&u->lock);
}

guint64
azure_page_upload_get_kept_bytes(const AzureUpload *u)
{
    return u->kept_bytes;
}
