/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-call.c: one signed AWS call: the URL built from the service's
 * endpoint, the decoded path and query pairs (the same encoder the
 * signer uses), SigV4 headers (X-Amz-Date, X-Amz-Content-Sha256 for S3,
 * X-Amz-Security-Token), sent through transport/http.c, and an error
 * answer turned into one line: "<service> <action>: <Code>: <Message>"
 * (from the XML error body, or for the JSON services (EBS) from the
 * x-amzn-ErrorType header and the body's "message").
 * 403 with a credentials code is FERRY_ERROR_AUTH (exit 8), 404 and the
 * NoSuch* codes FERRY_ERROR_NOT_FOUND, anything else FERRY_ERROR_REMOTE.
 */
#include <config.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "providers/aws-call-priv.h"

static const char *const aws_auth_codes[] = {
    "SignatureDoesNotMatch", "InvalidClientTokenId", "InvalidAccessKeyId",
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
    "AuthFailure", "ExpiredToken", "InvalidToken", "MissingAuthenticationToken",
    "IncompleteSignature", "UnrecognizedClientException",
};

void
aws_params_add(GArray *params, const char *key, const char *value)
{
    AwsQueryParam p = { g_strdup(key), g_strdup(value) };

    g_array_append_val(params, p);
}

static void
aws_param_clear(gpointer data)
{
    AwsQueryParam *p = data;

    g_free(p->key);
    g_free(p->value);
}

GArray *
aws_params_new(void)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(AwsQueryParam));

    g_array_set_clear_func(a, aws_param_clear);
    return a;
}

/* The host[:port] of an endpoint URL, as the Host header gives it. */
static char *
aws_endpoint_host(const char *endpoint)
{
    const char *p = strstr(endpoint, "://");
    const char *end;

    p = p ? p + 3 : endpoint;
    end = p + strcspn(p, "/?#");
    return g_strndup(p, end - p);
}

static char *
aws_amz_date(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();

    return g_date_time_format(now, "%Y%m%dT%H%M%SZ");
}

/* The JSON services' error (EBS direct APIs): the code from
 * x-amzn-ErrorType ("ValidationException:http://..."), the message from
 * the body's "message" or "Message".  Either stays NULL when absent. */
static void
aws_json_error(const HttpResponse *resp, char **code, char **message)
{
    const char *type = http_response_header(resp, "x-amzn-errortype");
    g_autoptr(JsonParser) parser = NULL;
    JsonNode *root;
    JsonObject *o;
    const char *const members[] = { "message", "Message" };
    guint i;

    if (type && ferry_check_text("x-amzn-ErrorType", type, 256, NULL))
        *code = g_strndup(type, strcspn(type, ":"));
    if (!resp->body || resp->body->len == 0)
        return;
    parser = json_parser_new();
    if (!ferry_json_depth_ok((const char *)resp->body->data, resp->body->len,
                             FERRY_MAX_JSON_DEPTH) ||
        !json_parser_load_from_data(parser, (const char *)resp->body->data,
                                    (gssize)resp->body->len, NULL))
        return;
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return;
    o = json_node_get_object(root);
    for (i = 0; i < G_N_ELEMENTS(members); i++) {
        JsonNode *m = json_object_get_member(o, members[i]);
        const char *v;

        if (!m || !JSON_NODE_HOLDS_VALUE(m) ||
            json_node_get_value_type(m) != G_TYPE_STRING)
            continue;
        v = json_node_get_string(m);
        if (v && ferry_check_text("message", v, 1024, NULL)) {
            *message = g_strdup(v);
            return;
        }
    }
}

gboolean
aws_error_from_response(const char *service, const char *action,
                        const HttpResponse *resp, GError **error)
{
    g_autofree char *code = NULL, *message = NULL;
    FerryError kind = FERRY_ERROR_REMOTE;
    guint i;

    if (!resp->body ||
        !aws_xml_parse_error(resp->body->data, resp->body->len, &code,
                             &message))
        aws_json_error(resp, &code, &message);
    if (resp->status == 404 ||
        (code && (g_str_has_prefix(code, "NoSuch") ||
                  g_str_has_suffix(code, ".NotFound"))))
        kind = FERRY_ERROR_NOT_FOUND;
    for (i = 0; code && i < G_N_ELEMENTS(aws_auth_codes); i++) {
        if (g_str_equal(code, aws_auth_codes[i]))
            kind = FERRY_ERROR_AUTH;
    }
    if (!code && (resp->status == 401 || resp->status == 403))
        kind = FERRY_ERROR_AUTH;
    g_set_error(error, FERRY_ERROR, kind, "%s %s: %s%s%s (HTTP %ld)",
                service, action, code ? code : "error",
                message && *message ? ": " : "",
                message ? message : "", resp->status);
    return FALSE;
}

/* One header, twice: borrowed into @headers for the signer, and as a
 * "Name: value" line (owned by @lines) for libcurl.  @name and @value
 * must outlive both arrays. */
static void
aws_call_add_header(GArray *headers, GPtrArray *lines, const char *name,
                    const char *value)
{
    AwsHeader h = { (char *)name, (char *)value };

    g_array_append_val(headers, h);
    g_ptr_array_add(lines, g_strdup_printf("%s: %s", name, value));
}

gboolean
aws_call(AwsClient *c, const AwsCall *call, HttpResponse *resp,
         GError **error)
{
    g_autofree char *endpoint = NULL, *host = NULL, *amz_date = NULL;
    g_autofree char *epath = NULL, *query = NULL, *url = NULL;
    g_autoptr(GArray) headers = g_array_new(FALSE, TRUE, sizeof(AwsHeader));
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_auto(AwsSigv4Result) sig = { 0 };
    AwsSigv4Request sreq = { 0 };
    HttpRequest req = { 0 };
    char payload[65];
    gboolean is_s3 = g_str_equal(call->service, "s3");
    guint i;

    endpoint = g_strdup(aws_client_endpoint(c, call->service));
    host = aws_endpoint_host(endpoint);
    amz_date = aws_amz_date();
    if (call->payload_sha256)
        g_strlcpy(payload, call->payload_sha256, sizeof(payload));
    else
        aws_sha256_hex(call->body ? call->body : "", call->body_len, payload);

    aws_call_add_header(headers, lines, "Host", host);
    aws_call_add_header(headers, lines, "X-Amz-Date", amz_date);
    if (is_s3 || g_str_equal(call->service, "ebs"))
        aws_call_add_header(headers, lines, "X-Amz-Content-Sha256", payload);
    if (c->creds.session_token)
        aws_call_add_header(headers, lines, "X-Amz-Security-Token",
                            c->creds.session_token);
    if (call->content_type)
        aws_call_add_header(headers, lines, "Content-Type",
                            call->content_type);
    for (i = 0; call->headers && call->headers[i]; i += 2)
        aws_call_add_header(headers, lines, call->headers[i],
                            call->headers[i + 1]);

    sreq.method = call->method;
    sreq.path = call->path ? call->path : "/";
    sreq.query = call->query;
    sreq.headers = headers;
    sreq.payload_sha256 = payload;
    sreq.region = g_str_equal(call->service, "iam") ? "us-east-1" : c->region;
    sreq.service = call->service;
    sreq.amz_date = amz_date;
    sreq.normalize_path = !is_s3;
    aws_sigv4_sign(&sreq, c->creds.access_key, c->creds.secret_key, &sig);
    g_ptr_array_add(lines, g_strdup_printf("Authorization: %s",
                                           sig.authorization));
    g_ptr_array_add(lines, NULL);

    epath = aws_uri_encode(sreq.path, TRUE);
    query = aws_canonical_query(call->query);
    url = g_strconcat(endpoint, epath, *query ? "?" : "", query, NULL);
    req.method = call->method;
    req.url = url;
    req.headers = (const char *const *)lines->pdata;
    req.body = call->body;
    req.body_len = call->body_len;
    if (!http_client_send(call->http ? call->http
                          : call->cleanup ? c->http_cleanup : c->http,
                          &req, resp, error)) {
        g_prefix_error(error, "%s %s: ", call->service, call->action);
        /* The header lines held the signature: wipe them. */
        for (i = 0; i + 1 < lines->len; i++)
            memset(lines->pdata[i], 0, strlen(lines->pdata[i]));
        return FALSE;
    }
    for (i = 0; i + 1 < lines->len; i++)
        memset(lines->pdata[i], 0, strlen(lines->pdata[i]));
    if (resp->status >= 200 && resp->status < 300)
        return TRUE;
    return aws_error_from_response(call->service, call->action, resp, error);
}

/* application/x-www-form-urlencoded as the AWS SDKs write it (Python's
 * urlencode): pairs in the order given, a space as '+', every byte but
 * the unreserved ones as %XX.  AWS hashes the body as sent, so any
 * encoding signs; this one is also what servers that re-encode a parsed
 * form (moto) will hash. */
static char *
aws_form_encode(const GArray *params)
{
    GString *out = g_string_new(NULL);
    guint i;

    for (i = 0; i < params->len; i++) {
        const AwsQueryParam *p = &g_array_index(params, AwsQueryParam, i);
        g_autofree char *k = aws_uri_encode(p->key, FALSE);
        g_autofree char *v = aws_uri_encode(p->value ? p->value : "", FALSE);
        const char *c;

        if (i)
            g_string_append_c(out, '&');
        for (c = k; *c; c++) {
            if (g_str_has_prefix(c, "%20")) {
                g_string_append_c(out, '+');
                c += 2;
            } else {
                g_string_append_c(out, *c);
            }
        }
        g_string_append_c(out, '=');
        for (c = v; *c; c++) {
            if (g_str_has_prefix(c, "%20")) {
                g_string_append_c(out, '+');
                c += 2;
            } else {
                g_string_append_c(out, *c);
            }
        }
    }
    return g_string_free(out, FALSE);
}

gboolean
aws_query(AwsClient *c, const char *service, const char *action,
          const char *version, GArray *params, AwsXml **out, GError **error)
{
    g_autoptr(GArray) all = aws_params_new();
    g_auto(HttpResponse) resp = { 0 };
    g_autofree char *body = NULL;
    AwsCall call = { 0 };
    guint i;

    aws_params_add(all, "Action", action);
    aws_params_add(all, "Version", version);
    for (i = 0; params && i < params->len; i++) {
        const AwsQueryParam *p = &g_array_index(params, AwsQueryParam, i);

        aws_params_add(all, p->key, p->value);
    }
    body = aws_form_encode(all);
    call.service = service;
    call.action = action;
    call.method = "POST";
    call.path = "/";
    call.body = body;
    call.body_len = strlen(body);
    call.content_type = "application/x-www-form-urlencoded; charset=utf-8";
    if (!aws_call(c, &call, &resp, error))
        return FALSE;
    *out = aws_xml_parse(resp.body->data, resp.body->len, error);
    if (!*out) {
        g_prefix_error(error, "%s %s: ", service, action);
        return FALSE;
    }
    return TRUE;
}

/* ---- the client ----------------------------------------------------------- */

const char *
aws_client_endpoint(AwsClient *c, const char *service)
{
    return g_hash_table_lookup(c->endpoints, service);
}

void
aws_client_free(AwsClient *c)
{
    if (!c)
        return;
    http_client_free(c->http);
    http_client_free(c->http_cleanup);
    aws_credentials_clear(&c->creds);
    g_free(c->region);
    g_free(c->ca_file);
    g_clear_pointer(&c->endpoints, g_hash_table_unref);
    g_free(c);
}

HttpClient *
aws_client_new_http(AwsClient *c, GError **error)
{
    HttpClientOptions hopts = { .ca_file = c->ca_file,
                                .cancellable = c->cancellable };

    return http_client_new(&hopts, error);
}

AwsClient *
aws_client_new(const char *region, GCancellable *cancellable, GError **error)
{
    static const char *const services[] = { "s3", "ec2", "iam", "sts", "ebs" };
    g_autoptr(AwsClient) c = g_new0(AwsClient, 1);
    const char *ca = g_getenv("AWS_CA_BUNDLE");
    HttpClientOptions hopts = { 0 };
    guint i;

    if (ca && !*ca)
        ca = NULL;
    c->region = g_strdup(region);
    if (!aws_credentials_load(NULL, NULL, &c->creds, error))
        return NULL;
    c->endpoints = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                         g_free);
    for (i = 0; i < G_N_ELEMENTS(services); i++) {
        char *url = aws_endpoint_url(NULL, NULL, services[i], region, error);

        if (!url)
            return NULL;
        g_hash_table_insert(c->endpoints, (gpointer)services[i], url);
    }
    c->ca_file = g_strdup(ca);
    c->cancellable = cancellable;
    hopts.ca_file = ca;
    hopts.cancellable = cancellable;
    c->http = http_client_new(&hopts, error);
    if (!c->http)
        return NULL;
    /* Aborting an upload after a cancel must not itself be cancelled. */
    hopts.cancellable = NULL;
    hopts.max_retries = 2;
    c->http_cleanup = http_client_new(&hopts, error);
    if (!c->http_cleanup)
        return NULL;
    return g_steal_pointer(&c);
}
