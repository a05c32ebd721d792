/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * azure-sharedkey.c: Azure Storage's SharedKey authorization ("Authorize
 * with Shared Key", Azure Storage REST reference, Blob service, version
 * 2015-02-21 and later) and where ferry finds the key:
 *
 *   string to sign = VERB \n Content-Encoding \n Content-Language \n
 *                    Content-Length ("" for 0) \n Content-MD5 \n
 *                    Content-Type \n Date \n If-Modified-Since \n
 *                    If-Match \n If-None-Match \n If-Unmodified-Since \n
 *                    Range \n CanonicalizedHeaders CanonicalizedResource
 *   CanonicalizedHeaders  = each x-ms-* header, name lower case, sorted,
 *                    "name:value\n" with the value's runs of white space
 *                    folded to one space and its ends trimmed
 *   CanonicalizedResource = "/" account path, then for each query
 *                    parameter, names lower case and sorted,
 *                    "\nname:v1,v2" (values decoded and sorted)
 *   Authorization  = "SharedKey " account ":"
 *                    base64(HMAC-SHA256(base64-decoded key, string))
 *
 * Date is always empty: ferry sends x-ms-date, which the service then
 * reads instead.  tests/unit/test-azure-sharedkey.c checks the steps
 * against strings derived by hand from the reference, and the integration
 * tests against Azurite, which checks every signature.
 */
#include <config.h>

#include <string.h>

#include "providers/azure-priv.h"

/* The standard headers in their order in the string to sign. */
static const char *const azure_signed_standard[] = {
    "Content-Encoding", "Content-Language", "Content-Length", "Content-MD5",
    "Content-Type", "Date", "If-Modified-Since", "If-Match", "If-None-Match",
    "If-Unmodified-Since", "Range",
};

static const char *
azure_header_get(const AzureSharedKeyRequest *req, const char *name)
{
    gsize i;

    for (i = 0; i < req->n_headers; i++) {
        if (g_ascii_strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

/* White space runs folded to one space, the ends trimmed. */
static void
azure_append_folded(GString *out, const char *value)
{
    gboolean space = FALSE;
    const char *p = value;

    while (*p == ' ' || *p == '\t')
        p++;
    for (; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            space = TRUE;
            continue;
        }
        if (space)
            g_string_append_c(out, ' ');
        space = FALSE;
        g_string_append_c(out, *p);
    }
}

static int
azure_compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
azure_append_canonical_headers(GString *out, const AzureSharedKeyRequest *req)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    guint i;

    for (i = 0; i < req->n_headers; i++) {
        char *lower = g_ascii_strdown(req->headers[i].name, -1);

        if (g_str_has_prefix(lower, "x-ms-"))
            g_ptr_array_add(names, lower);
        else
            g_free(lower);
    }
    g_ptr_array_sort(names, azure_compare_strings);
    for (i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];

        g_string_append_printf(out, "%s:", name);
        azure_append_folded(out, azure_header_get(req, name));
        g_string_append_c(out, '\n');
    }
}

static void
azure_append_canonical_resource(GString *out, const AzureSharedKeyRequest *req)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    gsize i, j;

    g_string_append_printf(out, "/%s%s", req->account,
                           req->path && *req->path ? req->path : "/");
    for (i = 0; i < req->n_query; i++) {
        g_autofree char *lower = g_ascii_strdown(req->query[i].name, -1);
        gboolean seen = FALSE;

        for (j = 0; j < names->len; j++)
            seen |= g_str_equal(names->pdata[j], lower);
        if (!seen)
            g_ptr_array_add(names, g_steal_pointer(&lower));
    }
    g_ptr_array_sort(names, azure_compare_strings);
    for (i = 0; i < names->len; i++) {
        g_autoptr(GPtrArray) values = g_ptr_array_new();

        for (j = 0; j < req->n_query; j++) {
            if (g_ascii_strcasecmp(req->query[j].name, names->pdata[i]) == 0)
                g_ptr_array_add(values, (gpointer)req->query[j].value);
        }
        g_ptr_array_sort(values, azure_compare_strings);
        g_string_append_printf(out, "\n%s:", (const char *)names->pdata[i]);
        for (j = 0; j < values->len; j++)
            g_string_append_printf(out, "%s%s", j ? "," : "",
                                   (const char *)values->pdata[j]);
    }
}

char *
azure_sharedkey_string_to_sign(const AzureSharedKeyRequest *req)
{
    GString *out = g_string_new(req->method);
    gsize i;

    g_string_append_c(out, '\n');
    for (i = 0; i < G_N_ELEMENTS(azure_signed_standard); i++) {
        const char *name = azure_signed_standard[i];
        const char *value = azure_header_get(req, name);

        if (g_str_equal(name, "Content-Length")) {
            if (req->content_length)
                g_string_append_printf(out, "%" G_GUINT64_FORMAT,
                                       req->content_length);
        } else if (value) {
            g_string_append(out, value);
        }
        g_string_append_c(out, '\n');
    }
    azure_append_canonical_headers(out, req);
    azure_append_canonical_resource(out, req);
    return g_string_free(out, FALSE);
}

char *
azure_sharedkey_authorization(const AzureSharedKeyRequest *req,
                              const char *key_base64, GError **error)
{
    g_autofree char *sts = azure_sharedkey_string_to_sign(req);
    g_autofree guint8 *key = NULL;
    g_autoptr(GHmac) hmac = NULL;
    g_autofree char *b64 = NULL;
    guint8 digest[32];
    gsize key_len = 0, digest_len = sizeof(digest);
    char *auth;

    if (!key_base64 || !*key_base64 ||
        strspn(key_base64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
                           "xyz0123456789+/=") != strlen(key_base64) ||
        strlen(key_base64) % 4) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "azure: account '%s': the account key is not base64",
                    req->account);
        return NULL;
    }
    key = g_base64_decode(key_base64, &key_len);
    hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
    g_hmac_update(hmac, (const guchar *)sts, strlen(sts));
    g_hmac_get_digest(hmac, digest, &digest_len);
    b64 = g_base64_encode(digest, digest_len);
    auth = g_strdup_printf("SharedKey %s:%s", req->account, b64);
    memset(key, 0, key_len);
    return auth;
}

/* ---- credentials ---------------------------------------------------------- */

void
azure_credentials_clear(AzureCredentials *c)
{
    if (c->key)
        memset(c->key, 0, strlen(c->key));
    if (c->sas)
        memset(c->sas, 0, strlen(c->sas));
    g_clear_pointer(&c->account, g_free);
    g_clear_pointer(&c->key, g_free);
    g_clear_pointer(&c->sas, g_free);
    g_clear_pointer(&c->blob_endpoint, g_free);
    c->source = NULL;
}

static const char *
azure_default_getenv(const char *name, gpointer data)
{
    return g_getenv(name);
}

/* Azurite's well-known development account (UseDevelopmentStorage=true):
 * published in Azure's documentation, not a secret. */
#define AZURE_DEV_ACCOUNT "devstoreaccount1"
#define AZURE_DEV_KEY \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZF" \
    "PTOtr/KBHBeksoGMGw=="
#define AZURE_DEV_ENDPOINT "http://127.0.0.1:10000/devstoreaccount1"

/* "Key=Value;..." (values may hold '='); a key twice, or a part without
 * '=', is refused. */
static GHashTable *
azure_parse_connection_string(const char *s, GError **error)
{
    g_autoptr(GHashTable) kv = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                     g_free, g_free);
    g_auto(GStrv) parts = g_strsplit(s, ";", -1);
    guint i;

    for (i = 0; parts[i]; i++) {
        char *eq, *key = g_strstrip(parts[i]);

        if (!*key)
            continue;
        eq = strchr(key, '=');
        if (!eq || eq == key) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "AZURE_STORAGE_CONNECTION_STRING: part %u is not "
                        "Key=Value", i + 1);
            return NULL;
        }
        *eq = '\0';
        if (g_hash_table_contains(kv, key)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "AZURE_STORAGE_CONNECTION_STRING: '%s' is given "
                        "twice", key);
            return NULL;
        }
        g_hash_table_insert(kv, g_strdup(key), g_strdup(eq + 1));
    }
    return g_steal_pointer(&kv);
}

static gboolean
azure_check_endpoint(const char *endpoint, GError **error)
{
    if (!g_str_has_prefix(endpoint, "https://") &&
        !g_str_has_prefix(endpoint, "http://")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "AZURE_STORAGE_CONNECTION_STRING: BlobEndpoint: expected "
                    "an http or https URL");
        return FALSE;
    }
    return ferry_check_text("BlobEndpoint", endpoint, 2048, error);
}

static gboolean
azure_credentials_from_string(const char *s, AzureCredentials *out,
                              GError **error)
{
    g_autoptr(GHashTable) kv = azure_parse_connection_string(s, error);
    const char *v;

    if (!kv)
        return FALSE;
    out->source = "AZURE_STORAGE_CONNECTION_STRING";
    v = g_hash_table_lookup(kv, "UseDevelopmentStorage");
    if (v && g_ascii_strcasecmp(v, "true") == 0) {
        out->account = g_strdup(AZURE_DEV_ACCOUNT);
        out->key = g_strdup(AZURE_DEV_KEY);
        out->blob_endpoint = g_strdup(AZURE_DEV_ENDPOINT);
    }
    if ((v = g_hash_table_lookup(kv, "AccountName"))) {
        g_free(out->account);
        out->account = g_strdup(v);
    }
    if ((v = g_hash_table_lookup(kv, "AccountKey"))) {
        g_free(out->key);
        out->key = g_strdup(v);
    }
    if ((v = g_hash_table_lookup(kv, "SharedAccessSignature")))
        out->sas = g_strdup(*v == '?' ? v + 1 : v);
    if ((v = g_hash_table_lookup(kv, "BlobEndpoint"))) {
        g_free(out->blob_endpoint);
        out->blob_endpoint = g_strdup(v);
    }
    if (!out->blob_endpoint && out->account) {
        const char *proto = g_hash_table_lookup(kv,
                                                "DefaultEndpointsProtocol");
        const char *suffix = g_hash_table_lookup(kv, "EndpointSuffix");

        out->blob_endpoint = g_strdup_printf(
            "%s://%s.blob.%s", proto ? proto : "https", out->account,
            suffix ? suffix : "core.windows.net");
    }
    if (!out->key && !out->sas) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "AZURE_STORAGE_CONNECTION_STRING: neither AccountKey "
                    "nor SharedAccessSignature is given");
        return FALSE;
    }
    return TRUE;
}

gboolean
azure_credentials_load(AzureGetenvFunc getenv_fn, gpointer data,
                       const char *account, AzureCredentials *out,
                       GError **error)
{
    const char *cs, *env_account, *key, *sas;

    if (!getenv_fn)
        getenv_fn = azure_default_getenv;
    memset(out, 0, sizeof(*out));
    cs = getenv_fn("AZURE_STORAGE_CONNECTION_STRING", data);
    env_account = getenv_fn("AZURE_STORAGE_ACCOUNT", data);
    key = getenv_fn("AZURE_STORAGE_KEY", data);
    sas = getenv_fn("AZURE_STORAGE_SAS_TOKEN", data);
    if (cs && *cs) {
        if (!azure_credentials_from_string(cs, out, error))
            goto fail;
    } else if ((key && *key) || (sas && *sas)) {
        out->source = key && *key ? "AZURE_STORAGE_KEY"
                                  : "AZURE_STORAGE_SAS_TOKEN";
        out->account = g_strdup(env_account && *env_account ? env_account
                                                            : account);
        if (key && *key)
            out->key = g_strdup(key);
        else
            out->sas = g_strdup(*sas == '?' ? sas + 1 : sas);
        out->blob_endpoint = g_strdup_printf(
            "https://%s.blob.core.windows.net", out->account);
    } else {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "azure: no credentials: set "
                    "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or "
                    "AZURE_STORAGE_SAS_TOKEN");
        return FALSE;
    }
    if (!out->account || !g_str_equal(out->account, account)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "azure: %s names account '%s', the URI '%s'", out->source,
                    out->account ? out->account : "(none)", account);
        goto fail;
    }
    if (!azure_check_endpoint(out->blob_endpoint, error))
        goto fail;
    while (g_str_has_suffix(out->blob_endpoint, "/"))
        out->blob_endpoint[strlen(out->blob_endpoint) - 1] = '\0';
    return TRUE;
fail:
    azure_credentials_clear(out);
    return FALSE;
}
