/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-sigv4.c: AWS Signature Version 4 ("Create a signed AWS API
 * request", AWS IAM user guide), with OpenSSL's SHA-256 and HMAC:
 *
 *   canonical request = METHOD \n canonical URI \n canonical query \n
 *                       canonical headers \n \n signed headers \n
 *                       payload hash
 *   string to sign    = AWS4-HMAC-SHA256 \n amz-date \n
 *                       date/region/service/aws4_request \n
 *                       hex(sha256(canonical request))
 *   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region),
 *                       service), "aws4_request")
 *
 * Header names are lower-cased and sorted (a repeated name keeps its
 * values in order, joined by commas); values are trimmed and runs of
 * white space (folded lines too) become one space.  Query pairs are
 * encoded, then sorted by key and value.  Checked against every case of
 * AWS's test suite by tests/unit/test-sigv4.c.
 */
#include <config.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <string.h>

#include "providers/aws-priv.h"

void
aws_sha256_hex(const void *data, gsize len, char hex[65])
{
    guint8 md[SHA256_DIGEST_LENGTH];
    gsize i;

    SHA256(data, len, md);
    for (i = 0; i < sizeof(md); i++)
        g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

char *
aws_sha256_base64(const void *data, gsize len)
{
    guint8 md[SHA256_DIGEST_LENGTH];

    SHA256(data, len, md);
    return g_base64_encode(md, sizeof(md));
}

static void
aws_hmac(const guint8 *key, gsize key_len, const char *msg, guint8 out[32])
{
    unsigned int out_len = 32;

    HMAC(EVP_sha256(), key, (int)key_len, (const guint8 *)msg, strlen(msg),
         out, &out_len);
}

char *
aws_uri_encode(const char *s, gboolean keep_slash)
{
    GString *out = g_string_new(NULL);
    const guint8 *p;

    for (p = (const guint8 *)s; *p; p++) {
        if (g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ||
            *p == '~' || (keep_slash && *p == '/'))
            g_string_append_c(out, (char)*p);
        else
            g_string_append_printf(out, "%%%02X", *p);
    }
    return g_string_free(out, FALSE);
}

char *
aws_normalize_path(const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    g_autoptr(GPtrArray) keep = g_ptr_array_new();
    gboolean trailing = g_str_has_suffix(path, "/");
    GString *out = g_string_new(NULL);
    guint i;

    for (i = 0; parts[i]; i++) {
        if (!*parts[i] || g_str_equal(parts[i], "."))
            continue;
        if (g_str_equal(parts[i], "..")) {
            if (keep->len)
                g_ptr_array_remove_index(keep, keep->len - 1);
            continue;
        }
        g_ptr_array_add(keep, parts[i]);
    }
    for (i = 0; i < keep->len; i++) {
        g_string_append_c(out, '/');
        g_string_append(out, g_ptr_array_index(keep, i));
    }
    /* "/a/.." leaves "/"; "/a/" keeps its slash; "/a/." is a directory. */
    if (!out->len || trailing ||
        (keep->len && (g_str_has_suffix(path, "/.") ||
                       g_str_has_suffix(path, "/.."))))
        g_string_append_c(out, '/');
    return g_string_free(out, FALSE);
}

typedef struct {
    char *key;
    char *value;
} AwsPair;

static int
aws_pair_compare(gconstpointer a, gconstpointer b)
{
    const AwsPair *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c ? c : strcmp(x->value, y->value);
}

char *
aws_canonical_query(const GArray *query)
{
    g_autoptr(GArray) pairs = g_array_new(FALSE, FALSE, sizeof(AwsPair));
    GString *out = g_string_new(NULL);
    guint i;

    for (i = 0; query && i < query->len; i++) {
        const AwsQueryParam *q = &g_array_index(query, AwsQueryParam, i);
        AwsPair p;

        p.key = aws_uri_encode(q->key, FALSE);
        p.value = aws_uri_encode(q->value ? q->value : "", FALSE);
        g_array_append_val(pairs, p);
    }
    g_array_sort(pairs, aws_pair_compare);
    for (i = 0; i < pairs->len; i++) {
        AwsPair *p = &g_array_index(pairs, AwsPair, i);

        if (i)
            g_string_append_c(out, '&');
        g_string_append_printf(out, "%s=%s", p->key, p->value);
        g_free(p->key);
        g_free(p->value);
    }
    return g_string_free(out, FALSE);
}

/* Trimmed, with every run of white space (a folded line too) as one
 * space. */
static void
aws_append_header_value(GString *out, const char *value)
{
    gboolean space = FALSE, started = FALSE;
    const char *p;

    for (p = value; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            space = started;
            continue;
        }
        if (space)
            g_string_append_c(out, ' ');
        space = FALSE;
        started = TRUE;
        g_string_append_c(out, *p);
    }
}

typedef struct {
    char *lname;
    const char *value;
    guint order;
} AwsSortedHeader;

static int
aws_header_compare(gconstpointer a, gconstpointer b)
{
    const AwsSortedHeader *x = a, *y = b;
    int c = strcmp(x->lname, y->lname);

    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

void
aws_sigv4_result_clear(AwsSigv4Result *r)
{
    g_clear_pointer(&r->canonical_request, g_free);
    g_clear_pointer(&r->string_to_sign, g_free);
    g_clear_pointer(&r->signed_headers, g_free);
    g_clear_pointer(&r->signature, g_free);
    g_clear_pointer(&r->authorization, g_free);
}

void
aws_sigv4_sign(const AwsSigv4Request *req, const char *access_key,
               const char *secret_key, AwsSigv4Result *out)
{
    g_autoptr(GArray) hs = g_array_new(FALSE, FALSE,
                                       sizeof(AwsSortedHeader));
    g_autoptr(GString) creq = g_string_new(NULL);
    g_autoptr(GString) signed_headers = g_string_new(NULL);
    g_autofree char *path = NULL, *uri = NULL, *query = NULL, *scope = NULL;
    g_autofree char *ksecret = NULL;
    char date[9], creq_hash[65];
    guint8 k[32];
    guint i;

    memset(out, 0, sizeof(*out));
    path = req->normalize_path ? aws_normalize_path(req->path)
                               : g_strdup(req->path);
    uri = aws_uri_encode(path, TRUE);
    query = aws_canonical_query(req->query);
    g_string_append_printf(creq, "%s\n%s\n%s\n", req->method, uri, query);

    for (i = 0; i < req->headers->len; i++) {
        const AwsHeader *h = &g_array_index(req->headers, AwsHeader, i);
        AwsSortedHeader s = { g_ascii_strdown(h->name, -1), h->value, i };

        g_array_append_val(hs, s);
    }
    g_array_sort(hs, aws_header_compare);
    for (i = 0; i < hs->len; i++) {
        AwsSortedHeader *s = &g_array_index(hs, AwsSortedHeader, i);
        gboolean same = i > 0 &&
            g_str_equal(s->lname,
                        g_array_index(hs, AwsSortedHeader, i - 1).lname);

        if (same) {
            g_string_append_c(creq, ',');
        } else {
            if (i)
                g_string_append_c(creq, '\n');
            g_string_append_printf(creq, "%s:", s->lname);
            if (signed_headers->len)
                g_string_append_c(signed_headers, ';');
            g_string_append(signed_headers, s->lname);
        }
        aws_append_header_value(creq, s->value);
    }
    g_string_append_printf(creq, "\n\n%s\n%s", signed_headers->str,
                           req->payload_sha256);
    for (i = 0; i < hs->len; i++)
        g_free(g_array_index(hs, AwsSortedHeader, i).lname);

    g_strlcpy(date, req->amz_date, sizeof(date));
    scope = g_strdup_printf("%s/%s/%s/aws4_request", date, req->region,
                            req->service);
    aws_sha256_hex(creq->str, creq->len, creq_hash);
    out->canonical_request = g_strdup(creq->str);
    out->string_to_sign = g_strdup_printf("%s\n%s\n%s\n%s",
                                          AWS_SIGV4_ALGORITHM, req->amz_date,
                                          scope, creq_hash);
    ksecret = g_strconcat("AWS4", secret_key, NULL);
    aws_hmac((const guint8 *)ksecret, strlen(ksecret), date, k);
    aws_hmac(k, sizeof(k), req->region, k);
    aws_hmac(k, sizeof(k), req->service, k);
    aws_hmac(k, sizeof(k), "aws4_request", k);
    {
        guint8 sig[32];
        char hex[65];

        aws_hmac(k, sizeof(k), out->string_to_sign, sig);
        for (i = 0; i < sizeof(sig); i++)
            g_snprintf(hex + 2 * i, 3, "%02x", sig[i]);
        out->signature = g_strdup(hex);
    }
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(ksecret, strlen(ksecret));
    out->signed_headers = g_strdup(signed_headers->str);
    out->authorization = g_strdup_printf(
        "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
        AWS_SIGV4_ALGORITHM, access_key, scope, out->signed_headers,
        out->signature);
}
