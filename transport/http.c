/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * http.c: a small HTTP client over libcurl for the cloud providers (S3,
 * EC2, IAM, STS, EBS): one request at a time per client, bodies from
 * memory or a callback, response bodies in memory under a cap, TLS always
 * verified, and retries with a doubling wait (or Retry-After, RFC 9110
 * section 10.2.3) for the failures AWS documents as transient: connection
 * errors, 429, 500, 502, 503 and 504.
 *
 * What it never does: follow a redirect (a signed request must not be
 * replayed at another host), speak anything but http and https, put a
 * query string or user information in a message (http_redact_url()).
 */
#include <config.h>

#include <curl/curl.h>
#include <string.h>

#include "transport/transport.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CURL, curl_easy_cleanup)

struct _HttpClient {
    CURL *curl;                       /* this client's thread only */
    char *ca_file;
    guint max_retries;
    guint backoff_ms;
    guint connect_timeout_s;
    GCancellable *cancellable;        /* owned reference, or NULL */
};

/* One attempt's state, handed to libcurl's callbacks. */
typedef struct {
    HttpClient *c;
    const HttpRequest *req;
    HttpResponse *resp;
    gsize header_bytes;
    gsize sent;                       /* of an in-memory body */
    gboolean body_too_big;
    gboolean headers_too_big;
    gboolean headers_ended;           /* the empty line after them came */
    GError *read_error;               /* from the request's read callback */
} HttpAttempt;

/* ---- URLs for messages ---------------------------------------------------- */

char *
http_redact_url(const char *url)
{
    GString *out = g_string_new(NULL);
    const char *p = url ? url : "";
    const char *scheme_end = strstr(p, "://");
    const char *auth, *at, *end;

    if (scheme_end) {
        g_string_append_len(out, p, scheme_end + 3 - p);
        auth = scheme_end + 3;
        end = auth + strcspn(auth, "/?#");
        at = memchr(auth, '@', end - auth);
        /* user:password@ is dropped whole */
        p = at ? at + 1 : auth;
    }
    for (; *p && *p != '#'; p++) {
        if (*p == '?') {
            g_string_append(out, "?...");
            break;
        }
        g_string_append_c(out, g_ascii_iscntrl(*p) || *p == ' ' ? '?' : *p);
    }
    return g_string_free(out, FALSE);
}

/* ---- responses ------------------------------------------------------------ */

void
http_response_clear(HttpResponse *resp)
{
    g_clear_pointer(&resp->headers, g_hash_table_unref);
    g_clear_pointer(&resp->body, g_byte_array_unref);
    resp->status = 0;
}

const char *
http_response_header(const HttpResponse *resp, const char *name)
{
    return resp->headers ? g_hash_table_lookup(resp->headers, name) : NULL;
}

gboolean
http_status_is_retryable(long status)
{
    return status == 429 || status == 500 || status == 502 ||
           status == 503 || status == 504;
}

gint64
http_parse_retry_after(const char *value, gint64 now_unix)
{
    gint64 secs;
    char *end = NULL;

    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (g_ascii_isdigit(*value)) {
        guint64 v = g_ascii_strtoull(value, &end, 10);

        while (end && (*end == ' ' || *end == '\t'))
            end++;
        if (!end || *end)
            return -1;
        secs = v > HTTP_MAX_RETRY_AFTER_S ? HTTP_MAX_RETRY_AFTER_S : (gint64)v;
        return secs;
    }
    /* An HTTP date: curl_getdate() reads RFC 1123 and its relatives. */
    secs = curl_getdate(value, NULL);
    if (secs < 0)
        return -1;
    secs -= now_unix;
    return CLAMP(secs, 0, HTTP_MAX_RETRY_AFTER_S);
}

/* ---- libcurl callbacks ---------------------------------------------------- */

static size_t
http_on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
    HttpAttempt *a = data;
    gsize len = size * nmemb;

    if (a->resp->body->len + len > HTTP_MAX_BODY) {
        a->body_too_big = TRUE;
        return 0;              /* CURLE_WRITE_ERROR */
    }
    g_byte_array_append(a->resp->body, (const guint8 *)ptr, len);
    return len;
}

static size_t
http_on_header(char *ptr, size_t size, size_t nmemb, void *data)
{
    HttpAttempt *a = data;
    gsize len = size * nmemb;
    g_autofree char *line = NULL;
    char *colon;

    a->header_bytes += len;
    if (a->header_bytes > HTTP_MAX_HEADERS_BYTES) {
        a->headers_too_big = TRUE;
        return 0;
    }
    line = g_strndup(ptr, len);
    g_strchomp(line);
    if (g_str_has_prefix(line, "HTTP/")) {
        /* A new response (after 100 Continue): forget the last one's. */
        g_hash_table_remove_all(a->resp->headers);
        a->headers_ended = FALSE;
        return len;
    }
    if (!*line) {
        a->headers_ended = TRUE;
        return len;
    }
    colon = strchr(line, ':');
    if (!colon || colon == line)
        return len;
    *colon = '\0';
    g_hash_table_replace(a->resp->headers, g_ascii_strdown(line, -1),
                         g_strdup(g_strstrip(colon + 1)));
    return len;
}

static size_t
http_on_read(char *buf, size_t size, size_t nitems, void *data)
{
    HttpAttempt *a = data;
    const HttpRequest *req = a->req;
    gsize len = size * nitems;
    gssize n;

    if (req->body) {
        len = MIN(len, req->body_len - a->sent);
        memcpy(buf, (const guint8 *)req->body + a->sent, len);
        a->sent += len;
        return len;
    }
    n = req->read(buf, len, req->read_data, &a->read_error);
    if (n < 0)
        return CURL_READFUNC_ABORT;
    return (size_t)n;
}

static int
http_on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow,
                 curl_off_t ultotal, curl_off_t ulnow)
{
    HttpAttempt *a = data;

    return g_cancellable_is_cancelled(a->c->cancellable) ? 1 : 0;
}

/* ---- one attempt ---------------------------------------------------------- */

/* FALSE with the error of a failed transfer; *retry says whether another
 * attempt may help. */
static gboolean
http_map_curl_error(HttpAttempt *a, CURLcode rc, const char *errbuf,
                    gboolean *retry, GError **error)
{
    g_autofree char *where = http_redact_url(a->req->url);
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);

    *retry = FALSE;
    if (g_cancellable_set_error_if_cancelled(a->c->cancellable, error))
        return FALSE;
    if (a->read_error) {
        g_propagate_error(error, g_steal_pointer(&a->read_error));
        return FALSE;
    }
    if (a->body_too_big) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "%s: response body is larger than %u bytes", where,
                    HTTP_MAX_BODY);
        return FALSE;
    }
    if (a->headers_too_big) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "%s: response headers are larger than %u bytes", where,
                    HTTP_MAX_HEADERS_BYTES);
        return FALSE;
    }
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: TLS certificate not trusted: %s", where, why);
        return FALSE;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: %s", where, why);
        return FALSE;
    default:
        *retry = TRUE;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                    "%s: %s", where, why);
        return FALSE;
    }
}

static gboolean
http_attempt(HttpClient *c, const HttpRequest *req, HttpResponse *resp,
             gboolean *retry, GError **error)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *list = NULL;
    const char *const *h;
    HttpAttempt a = { 0 };
    gboolean has_body = req->body || req->read;
    CURLcode rc;
    CURL *curl = c->curl;
    gboolean ok;

    a.c = c;
    a.req = req;
    a.resp = resp;
    http_response_clear(resp);
    resp->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          g_free);
    resp->body = g_byte_array_new();

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout_s);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long)HTTP_DEFAULT_STALL_S);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, http_on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &a);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ferry/" PACKAGE_VERSION);

    if (g_ascii_strcasecmp(req->method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
    if (has_body) {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, http_on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, &a);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         (curl_off_t)(req->body ? req->body_len
                                                : req->read_len));
        /* One round trip less per part; S3 answers errors at the end. */
        list = curl_slist_append(list, "Expect:");
    } else if (g_ascii_strcasecmp(req->method, "POST") == 0 ||
               g_ascii_strcasecmp(req->method, "PUT") == 0) {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, http_on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, &a);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
        list = curl_slist_append(list, "Expect:");
    }
    for (h = req->headers; h && *h; h++)
        list = curl_slist_append(list, *h);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);

    rc = curl_easy_perform(curl);
    resp->attempts++;
    if (rc == CURLE_OK && !a.headers_ended) {
        g_autofree char *where = http_redact_url(req->url);

        /* libcurl takes a connection closed inside the header section
         * as the end of a bodiless answer (an HTTP/1.0 peer, or no
         * Content-Length yet): an answer cut short, not one to read. */
        *retry = TRUE;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                    "%s: connection closed in the middle of the answer's "
                    "headers", where);
        ok = FALSE;
    } else if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
        ok = TRUE;
    } else {
        ok = http_map_curl_error(&a, rc, errbuf, retry, error);
    }
    g_clear_error(&a.read_error);
    /* The list holds header values (signatures): it goes with the call. */
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(list);
    return ok;
}

/* ---- the client ----------------------------------------------------------- */

HttpClient *
http_client_new(const HttpClientOptions *opts, GError **error)
{
    g_autoptr(CURL) curl = NULL;
    HttpClient *c;

    if (opts && opts->ca_file &&
        !g_file_test(opts->ca_file, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "CA bundle '%s' is not a readable file", opts->ca_file);
        return NULL;
    }
    curl = curl_easy_init();
    if (!curl) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "libcurl: cannot create a handle");
        return NULL;
    }
    c = g_new0(HttpClient, 1);
    c->curl = g_steal_pointer(&curl);
    c->max_retries = HTTP_DEFAULT_RETRIES;
    c->backoff_ms = HTTP_DEFAULT_BACKOFF_MS;
    c->connect_timeout_s = HTTP_DEFAULT_CONNECT_TIMEOUT_S;
    if (opts) {
        c->ca_file = g_strdup(opts->ca_file);
        if (opts->max_retries == G_MAXUINT)
            c->max_retries = 0;
        else if (opts->max_retries)
            c->max_retries = opts->max_retries;
        if (opts->backoff_ms)
            c->backoff_ms = opts->backoff_ms;
        if (opts->connect_timeout_s)
            c->connect_timeout_s = opts->connect_timeout_s;
        if (opts->cancellable)
            c->cancellable = g_object_ref(opts->cancellable);
    }
    return c;
}

void
http_client_free(HttpClient *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    g_free(c->ca_file);
    g_clear_object(&c->cancellable);
    g_free(c);
}

static gboolean
http_sleep(HttpClient *c, guint64 ms, GError **error)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    while (g_get_monotonic_time() < end) {
        if (g_cancellable_set_error_if_cancelled(c->cancellable, error))
            return FALSE;
        g_usleep(MIN(50 * 1000, end - g_get_monotonic_time() + 1));
    }
    return !g_cancellable_set_error_if_cancelled(c->cancellable, error);
}

gboolean
http_client_send(HttpClient *c, const HttpRequest *req, HttpResponse *resp,
                 GError **error)
{
    guint attempt;

    for (attempt = 0;; attempt++) {
        g_autoptr(GError) local = NULL;
        gboolean retry = FALSE;
        guint64 wait_ms;
        gint64 after = -1;

        if (g_cancellable_set_error_if_cancelled(c->cancellable, error))
            return FALSE;
        if (http_attempt(c, req, resp, &retry, &local)) {
            if (!http_status_is_retryable(resp->status))
                return TRUE;
            retry = TRUE;
            after = http_parse_retry_after(
                http_response_header(resp, "retry-after"),
                g_get_real_time() / G_USEC_PER_SEC);
        }
        if (!retry || attempt >= c->max_retries ||
            (req->read && !req->rewind)) {
            if (local) {
                g_propagate_error(error, g_steal_pointer(&local));
                return FALSE;
            }
            return TRUE;       /* the last 5xx, for the caller to read */
        }
        wait_ms = after >= 0 ? (guint64)after * 1000
                             : (guint64)c->backoff_ms << MIN(attempt, 6u);
        if (local) {
            g_debug("%s; attempt %u in %" G_GUINT64_FORMAT " ms",
                    local->message, attempt + 2, wait_ms);
        } else {
            g_autofree char *where = http_redact_url(req->url);

            g_debug("%s: HTTP %ld; attempt %u in %" G_GUINT64_FORMAT " ms",
                    where, resp->status, attempt + 2, wait_ms);
        }
        if (!http_sleep(c, wait_ms, error))
            return FALSE;
        if (req->read && !req->rewind(req->read_data, error))
            return FALSE;
    }
}
