/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * azure-token.c: an OAuth 2.0 access token for Azure Resource Manager by
 * the client credentials grant (Microsoft identity platform, "OAuth 2.0
 * client credentials flow"): POST {authority}/{tenant}/oauth2/v2.0/token
 * with grant_type=client_credentials, client_id, client_secret and
 * scope={arm}/.default.  The tenant, client id and secret come from
 * AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET only (as the
 * Azure SDKs' EnvironmentCredential reads them), never from argv; the
 * authority from AZURE_AUTHORITY_HOST (default the public cloud's).
 *
 * The token is kept until a minute before its expires_in, then fetched
 * again.  The secret, the request body and the token are wiped before
 * their memory is freed; none of them reaches a message.
 */
#include <config.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "providers/azure-arm-priv.h"

/* Fetched again this long before it expires. */
#define AZURE_TOKEN_MARGIN_S 60

struct _AzureToken {
    char *authority;             /* no trailing slash */
    char *tenant;
    char *client_id;
    char *secret;                /* wiped on free */
    char *scope;
    char *token;                 /* wiped on free, or NULL */
    gint64 expires_us;           /* monotonic */
};

static void
azure_wipe_free(char *s)
{
    if (!s)
        return;
    memset(s, 0, strlen(s));
    g_free(s);
}

void
azure_token_free(AzureToken *t)
{
    if (!t)
        return;
    g_free(t->authority);
    g_free(t->tenant);
    g_free(t->client_id);
    azure_wipe_free(t->secret);
    g_free(t->scope);
    azure_wipe_free(t->token);
    g_free(t);
}

/* A tenant (GUID or domain) or a client id: what may go in a URL path or
 * a form field unescaped. */
static gboolean
azure_token_check_id(const char *var, const char *value, GError **error)
{
    gsize len = strlen(value);

    if (len == 0 || len > 128 ||
        strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789.-_") != len) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: expected 1 to 128 letters, digits, '.', '-' or '_'",
                    var);
        return FALSE;
    }
    return TRUE;
}

/* "https://host[:port][/path]" without a trailing slash (owned). */
char *
azure_endpoint_from_env(const char *var, const char *value,
                        const char *fallback, GError **error)
{
    g_autofree char *v = g_strdup(value && *value ? value : fallback);

    while (g_str_has_suffix(v, "/"))
        v[strlen(v) - 1] = '\0';
    if ((!g_str_has_prefix(v, "https://") && !g_str_has_prefix(v, "http://"))
        || strchr(v, '?') || strchr(v, '#') ||
        !ferry_check_text(var, v, 512, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: expected an http:// or https:// URL without query",
                    var);
        return NULL;
    }
    return g_steal_pointer(&v);
}

AzureToken *
azure_token_new(AzureGetenvFunc getenv_fn, gpointer data, const char *arm,
                GError **error)
{
    g_autoptr(AzureToken) t = g_new0(AzureToken, 1);
    const char *tenant = getenv_fn("AZURE_TENANT_ID", data);
    const char *client = getenv_fn("AZURE_CLIENT_ID", data);
    const char *secret = getenv_fn("AZURE_CLIENT_SECRET", data);

    if (!tenant || !*tenant || !client || !*client || !secret || !*secret) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "no Azure credentials: AZURE_TENANT_ID, AZURE_CLIENT_ID "
                    "and AZURE_CLIENT_SECRET must be set (a service "
                    "principal's)");
        return NULL;
    }
    if (!azure_token_check_id("AZURE_TENANT_ID", tenant, error) ||
        !azure_token_check_id("AZURE_CLIENT_ID", client, error))
        return NULL;
    t->authority = azure_endpoint_from_env(
        "AZURE_AUTHORITY_HOST", getenv_fn("AZURE_AUTHORITY_HOST", data),
        "https://login.microsoftonline.com", error);
    if (!t->authority)
        return NULL;
    t->tenant = g_strdup(tenant);
    t->client_id = g_strdup(client);
    t->secret = g_strdup(secret);
    t->scope = g_strconcat(arm, "/.default", NULL);
    return g_steal_pointer(&t);
}

/* The one line of an error answer of the token endpoint:
 * {"error": "invalid_client", "error_description": "AADSTS7000215: ..."}. */
static void
azure_token_error(const HttpResponse *resp, GError **error)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree char *code = NULL, *desc = NULL;
    FerryError kind = FERRY_ERROR_REMOTE;

    if (resp->body && resp->body->len &&
        azure_json_depth_ok((const char *)resp->body->data, resp->body->len) &&
        json_parser_load_from_data(p, (const char *)resp->body->data,
                                   resp->body->len, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        JsonObject *o = json_node_get_object(json_parser_get_root(p));

        code = azure_json_dup_text(o, "error", 128);
        desc = azure_json_dup_text(o, "error_description", 1024);
    }
    if (resp->status == 400 || resp->status == 401 || resp->status == 403)
        kind = FERRY_ERROR_AUTH;
    g_set_error(error, FERRY_ERROR, kind,
                "azure token: %s%s%s (HTTP %ld)", code ? code : "error",
                desc ? ": " : "", desc ? desc : "", resp->status);
}

const char *
azure_token_get(AzureToken *t, HttpClient *http, GError **error)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_auto(HttpResponse) resp = { 0 };
    g_autofree char *url = NULL, *esecret = NULL, *escope = NULL;
    g_autofree char *body = NULL;
    const char *headers[] = {
        "Content-Type: application/x-www-form-urlencoded",
        "Accept: application/json", NULL
    };
    HttpRequest req = { 0 };
    JsonObject *o;
    gint64 expires_in;
    gboolean ok;

    if (t->token && g_get_monotonic_time() < t->expires_us)
        return t->token;
    g_clear_pointer(&t->token, azure_wipe_free);
    url = g_strdup_printf("%s/%s/oauth2/v2.0/token", t->authority,
                          t->tenant);
    esecret = g_uri_escape_string(t->secret, NULL, FALSE);
    escope = g_uri_escape_string(t->scope, NULL, FALSE);
    body = g_strdup_printf("grant_type=client_credentials&client_id=%s&"
                           "client_secret=%s&scope=%s", t->client_id,
                           esecret, escope);
    memset(esecret, 0, strlen(esecret));
    req.method = "POST";
    req.url = url;
    req.headers = headers;
    req.body = body;
    req.body_len = strlen(body);
    ok = http_client_send(http, &req, &resp, error);
    memset(body, 0, strlen(body));
    if (!ok) {
        g_prefix_error(error, "azure token: ");
        return NULL;
    }
    if (resp.status != 200) {
        azure_token_error(&resp, error);
        return NULL;
    }
    if (!azure_json_depth_ok((const char *)resp.body->data, resp.body->len) ||
        !json_parser_load_from_data(p, (const char *)resp.body->data,
                                    resp.body->len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
        memset(resp.body->data, 0, resp.body->len);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "azure token: the answer is not a JSON object");
        return NULL;
    }
    o = json_node_get_object(json_parser_get_root(p));
    expires_in = azure_json_get_int(o, "expires_in", 3599);
    t->token = azure_json_dup_string(o, "access_token");
    memset(resp.body->data, 0, resp.body->len);
    if (!t->token || !*t->token || strlen(t->token) > 16384 ||
        strpbrk(t->token, "\r\n ")) {
        g_clear_pointer(&t->token, azure_wipe_free);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "azure token: the answer has no usable access_token");
        return NULL;
    }
    expires_in = CLAMP(expires_in, 0, 24 * 3600);
    t->expires_us = g_get_monotonic_time() +
                    MAX(expires_in - AZURE_TOKEN_MARGIN_S, 0) * G_USEC_PER_SEC;
    return t->token;
}
