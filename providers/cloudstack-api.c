/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloudstack-api.c: a client of the CloudStack API ("Signing API
 * Requests" in CloudStack's developer guide): every call is a GET of
 * ENDPOINT?command=...&response=json&apikey=...&signature=..., where the
 * signature is HMAC-SHA1, with the secret key, of the parameters sorted by
 * name, their values URL-encoded, the whole string lower-cased, then
 * base64 and URL-encoded itself.  The keys come from files or from
 * CLOUDSTACK_API_KEY / CLOUDSTACK_SECRET_KEY (as CloudMonkey and the cs
 * library read them), never from argv; they never reach a message or a
 * log line (http_redact_url() drops the query string).  TLS is verified
 * by transport/http.c, which retries list* and queryAsyncJobResult; a
 * command that changes something (importVm) is sent once.  Answers are
 * read by cloudstack-json.c.  Async
 * commands answer a "jobid" followed with queryAsyncJobResult (jobstatus
 * 0 pending, 1 done, 2 failed).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "providers/cloudstack-priv.h"

struct _CsClient {
    HttpClient *http;            /* list* and queryAsyncJobResult */
    HttpClient *http_once;       /* the rest: never sent twice */
    char *endpoint;              /* no query string */
    char *api_key;               /* never logged */
    char *secret_key;            /* never logged */
    GCancellable *cancellable;   /* borrowed: the export's */
};

CsParams *
cs_params_new(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

void
cs_params_add(CsParams *p, const char *name, const char *value)
{
    g_ptr_array_add(p, g_strdup(name));
    g_ptr_array_add(p, g_strdup(value));
}

void
cs_params_addf(CsParams *p, const char *name, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(p, g_strdup(name));
    g_ptr_array_add(p, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

char *
cs_url_encode(const char *s)
{
    GString *out = g_string_new(NULL);
    const guchar *c;

    for (c = (const guchar *)s; *c; c++) {
        if (g_ascii_isalnum(*c) || *c == '.' || *c == '-' || *c == '*' ||
            *c == '_')
            g_string_append_c(out, (char)*c);
        else
            g_string_append_printf(out, "%%%02X", *c);
    }
    return g_string_free(out, FALSE);
}

typedef struct {
    const char *name;
    const char *value;
} CsPair;

static int
cs_pair_compare(gconstpointer a, gconstpointer b)
{
    const CsPair *x = a, *y = b;
    int r = g_ascii_strcasecmp(x->name, y->name);

    return r ? r : strcmp(x->value, y->value);
}

/* "name=value&..." sorted by name; values encoded when @encode. */
static char *
cs_join(const CsParams *p, gboolean encode_names)
{
    g_autoptr(GArray) pairs = g_array_new(FALSE, FALSE, sizeof(CsPair));
    GString *out = g_string_new(NULL);
    guint i;

    for (i = 0; i + 1 < p->len; i += 2) {
        CsPair pair = { g_ptr_array_index(p, i), g_ptr_array_index(p, i + 1) };

        g_array_append_val(pairs, pair);
    }
    g_array_sort(pairs, cs_pair_compare);
    for (i = 0; i < pairs->len; i++) {
        CsPair *pair = &g_array_index(pairs, CsPair, i);
        g_autofree char *v = cs_url_encode(pair->value);
        g_autofree char *n = encode_names ? cs_url_encode(pair->name)
                                          : g_strdup(pair->name);

        g_string_append_printf(out, "%s%s=%s", i ? "&" : "", n, v);
    }
    return g_string_free(out, FALSE);
}

char *
cs_string_to_sign(const CsParams *p)
{
    g_autofree char *joined = cs_join(p, FALSE);

    return g_ascii_strdown(joined, -1);
}

char *
cs_sign(const CsParams *p, const char *secret_key)
{
    g_autofree char *text = cs_string_to_sign(p);
    guchar mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    HMAC(EVP_sha1(), secret_key, (int)strlen(secret_key),
         (const guchar *)text, strlen(text), mac, &len);
    return g_base64_encode(mac, len);
}

/* A key from @file, or the environment variable @env; scrubbed on free. */
static char *
cs_read_key(const char *file, const char *env, const char *what,
            GError **error)
{
    char buf[CS_MAX_KEY_BYTES + 2];
    gsize have = 0;
    int fd;
    char *key;

    if (!file) {
        const char *v = g_getenv(env);

        if (!v || !*v) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                        "no CloudStack %s: give --%s-file or set %s", what,
                        g_str_equal(what, "API key") ? "api-key"
                                                     : "secret-key", env);
            return NULL;
        }
        if (strlen(v) > CS_MAX_KEY_BYTES ||
            !ferry_check_text(env, v, CS_MAX_KEY_BYTES, NULL)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "environment variable '%s': not a CloudStack %s",
                        env, what);
            return NULL;
        }
        return g_strdup(v);
    }
    fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        g_set_error(error, FERRY_ERROR, errno == ENOENT ? FERRY_ERROR_NOT_FOUND
                                                        : FERRY_ERROR_IO,
                    "open: %s: %s", file, g_strerror(errno));
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "read: %s: %s",
                        file, g_strerror(errno));
            close(fd);
            explicit_bzero(buf, sizeof(buf));
            return NULL;
        }
        if (n == 0 || (have += (gsize)n) >= sizeof(buf) - 1)
            break;
    }
    close(fd);
    buf[have] = '\0';
    while (have > 0 && (buf[have - 1] == '\n' || buf[have - 1] == '\r'))
        buf[--have] = '\0';
    if (have == 0 || have > CS_MAX_KEY_BYTES || strlen(buf) != have ||
        !ferry_check_text(what, buf, CS_MAX_KEY_BYTES, NULL)) {
        explicit_bzero(buf, sizeof(buf));
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: not a CloudStack %s (one line of at most %d bytes)",
                    file, what, CS_MAX_KEY_BYTES);
        return NULL;
    }
    key = g_strdup(buf);
    explicit_bzero(buf, sizeof(buf));
    return key;
}

static void
cs_scrub_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        g_free(s);
    }
}

CsClient *
cs_client_new(const CsClientOptions *opts, GError **error)
{
    g_autoptr(CsClient) c = g_new0(CsClient, 1);
    HttpClientOptions hopts = { 0 };

    if (!g_str_has_prefix(opts->endpoint, "https://") &&
        !g_str_has_prefix(opts->endpoint, "http://")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "CloudStack endpoint '%s': expected an http(s) URL",
                    opts->endpoint);
        return NULL;
    }
    if (strchr(opts->endpoint, '?')) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "CloudStack endpoint: a query string is not expected");
        return NULL;
    }
    c->endpoint = g_strdup(opts->endpoint);
    c->api_key = cs_read_key(opts->api_key_file, "CLOUDSTACK_API_KEY",
                             "API key", error);
    if (!c->api_key)
        return NULL;
    c->secret_key = cs_read_key(opts->secret_key_file,
                                "CLOUDSTACK_SECRET_KEY", "secret key", error);
    if (!c->secret_key)
        return NULL;
    hopts.cancellable = opts->cancellable;
    c->cancellable = opts->cancellable;
    hopts.ca_file = g_getenv("CLOUDSTACK_CA_BUNDLE");
    c->http = http_client_new(&hopts, error);
    if (!c->http)
        return NULL;
    /* A retried importVm whose first attempt reached the server would
     * import twice: what changes something is sent once. */
    hopts.max_retries = G_MAXUINT;
    c->http_once = http_client_new(&hopts, error);
    if (!c->http_once)
        return NULL;
    return g_steal_pointer(&c);
}

void
cs_client_free(CsClient *c)
{
    if (!c)
        return;
    http_client_free(c->http);
    http_client_free(c->http_once);
    g_free(c->endpoint);
    cs_scrub_free(c->api_key);
    cs_scrub_free(c->secret_key);
    g_free(c);
}

const char *
cs_client_get_endpoint(const CsClient *c)
{
    return c->endpoint;
}

/* The params with command, response and apikey, and the signature. */
static char *
cs_build_query(const CsClient *c, const char *command, const CsParams *params,
               gboolean redact)
{
    g_autoptr(GPtrArray) all = cs_params_new();
    g_autofree char *sig = NULL, *sig_enc = NULL, *joined = NULL;
    guint i;

    for (i = 0; params && i + 1 < params->len; i += 2)
        cs_params_add(all, g_ptr_array_index(params, i),
                      g_ptr_array_index(params, i + 1));
    cs_params_add(all, "command", command);
    cs_params_add(all, "response", "json");
    cs_params_add(all, "apikey", redact ? "REDACTED" : c->api_key);
    joined = cs_join(all, TRUE);
    if (redact)
        return g_strconcat(joined, "&signature=REDACTED", NULL);
    sig = cs_sign(all, c->secret_key);
    sig_enc = cs_url_encode(sig);
    return g_strconcat(joined, "&signature=", sig_enc, NULL);
}

char *
cs_call_describe(const CsClient *c, const char *command,
                 const CsParams *params)
{
    g_autofree char *q = cs_build_query(c, command, params, TRUE);

    return g_strconcat(c->endpoint, "?", q, NULL);
}

gboolean
cs_call(CsClient *c, const char *command, const CsParams *params,
        JsonObject **out, GError **error)
{
    g_autofree char *q = cs_build_query(c, command, params, FALSE);
    g_autofree char *url = g_strconcat(c->endpoint, "?", q, NULL);
    g_auto(HttpResponse) resp = { 0 };
    g_autoptr(JsonObject) o = NULL;
    const char *const headers[] = { "Accept: application/json", NULL };
    HttpRequest req = { .method = "GET", .url = url, .headers = headers };
    gboolean safe = g_str_has_prefix(command, "list") ||
                    g_str_equal(command, "queryAsyncJobResult");

    *out = NULL;
    g_debug("cloudstack %s", command);
    explicit_bzero(q, strlen(q));
    if (!http_client_send(safe ? c->http : c->http_once, &req, &resp,
                          error)) {
        explicit_bzero(url, strlen(url));
        g_prefix_error(error, "cloudstack %s: ", command);
        return FALSE;
    }
    explicit_bzero(url, strlen(url));
    o = cs_answer_parse(command, resp.status, resp.body->data,
                        resp.body->len, error);
    if (!o)
        return FALSE;
    *out = g_steal_pointer(&o);
    return TRUE;
}

static gboolean
cs_sleep(guint ms, GCancellable *cancellable, GError **error)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    while (g_get_monotonic_time() < end) {
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
        g_usleep(20 * 1000);
    }
    return TRUE;
}

gboolean
cs_wait_job(CsClient *c, const char *command, const char *jobid,
            guint poll_ms, CsProgressFunc progress, gpointer data,
            JsonObject **result, GError **error)
{
    gint64 give_up = g_get_monotonic_time() +
                     (gint64)CS_MAX_JOB_WAIT_S * G_USEC_PER_SEC;

    *result = NULL;
    for (;;) {
        g_autoptr(GPtrArray) p = cs_params_new();
        g_autoptr(JsonObject) o = NULL;
        g_autofree char *status = NULL, *proc = NULL;
        JsonNode *jr;

        cs_params_add(p, "jobid", jobid);
        if (!cs_call(c, "queryAsyncJobResult", p, &o, error))
            return FALSE;
        status = cs_json_dup_string(o, "jobstatus");
        proc = cs_json_dup_string(o, "jobprocstatus");
        jr = json_object_get_member(o, "jobresult");
        if (!status) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "cloudstack queryAsyncJobResult: job %s: no "
                        "jobstatus in the answer", jobid);
            return FALSE;
        }
        if (g_str_equal(status, "1")) {
            if (!jr || !JSON_NODE_HOLDS_OBJECT(jr)) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "cloudstack %s: job %s succeeded without a "
                            "jobresult", command, jobid);
                return FALSE;
            }
            if (progress)
                progress(100, "done", data);
            *result = json_object_ref(json_node_get_object(jr));
            return TRUE;
        }
        if (g_str_equal(status, "2")) {
            JsonObject *r = jr && JSON_NODE_HOLDS_OBJECT(jr)
                                ? json_node_get_object(jr) : NULL;
            g_autofree char *text = cs_json_dup_string(r, "errortext");
            g_autofree char *code = cs_json_dup_string(r, "errorcode");
            gint64 n = code ? g_ascii_strtoll(code, NULL, 10) : 530;

            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "cloudstack %s: job %s failed: %s (errorcode %"
                        G_GINT64_FORMAT ")", command, jobid,
                        text ? text : "no errortext", n);
            return FALSE;
        }
        if (!g_str_equal(status, "0")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "cloudstack queryAsyncJobResult: job %s: jobstatus "
                        "'%s' is not 0, 1 or 2", jobid, status);
            return FALSE;
        }
        if (progress)
            progress(-1, proc && !g_str_equal(proc, "0") ? proc : "pending",
                     data);
        if (g_get_monotonic_time() > give_up) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "cloudstack %s: job %s still pending after %d hours",
                        command, jobid, CS_MAX_JOB_WAIT_S / 3600);
            return FALSE;
        }
        if (!cs_sleep(poll_ms ? poll_ms : CS_DEFAULT_POLL_MS, c->cancellable,
                      error))
            return FALSE;
    }
}
