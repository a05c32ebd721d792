/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-azure-sharedkey.c: providers/azure-sharedkey.c.  The expected
 * strings to sign were written by hand from "Authorize with Shared Key"
 * (Azure Storage REST reference): eleven standard header lines, the x-ms-
 * headers sorted and folded, the resource with the account twice for a
 * path-style (emulator) URL and its query names sorted, values joined by
 * ','.  The signatures are Python's hmac/hashlib over those strings with
 * Azurite's published key; the integration tests then check that Azurite
 * accepts what ferry signs and refuses a wrong key.  Credentials come
 * from a table, never from the test's environment.
 * Paths: /providers/azure/sharedkey/... and /providers/azure/credentials/...
 */
#include <config.h>

#include <string.h>

#include "providers/azure-priv.h"

#define DEV_KEY \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZF" \
    "PTOtr/KBHBeksoGMGw=="
#define DATE "Fri, 26 Jun 2015 23:39:12 GMT"

static void
test_put_page(void)
{
    static const AzureHeader h[] = {
        { "x-ms-version", "2021-08-06" },
        { "X-MS-Date", DATE },
        { "x-ms-range", "bytes=0-511" },
        { "x-ms-page-write", "update" },
        { "x-ms-meta-note", "  two \t  words " },
        { "Content-MD5", "Q2hlY2sgSW50ZWdyaXR5IQ==" },
        { "User-Agent", "not signed" },
    };
    static const AzureParam q[] = { { "comp", "page" } };
    AzureSharedKeyRequest req = {
        .method = "PUT", .account = "myaccount",
        .path = "/myaccount/mycontainer/my%20blob", .query = q, .n_query = 1,
        .headers = h, .n_headers = G_N_ELEMENTS(h), .content_length = 512,
    };
    g_autofree char *sts = azure_sharedkey_string_to_sign(&req);
    g_autofree char *auth = azure_sharedkey_authorization(&req, DEV_KEY, NULL);

    g_assert_cmpstr(sts, ==,
                    "PUT\n\n\n512\nQ2hlY2sgSW50ZWdyaXR5IQ==\n\n\n\n\n\n\n\n"
                    "x-ms-date:" DATE "\n"
                    "x-ms-meta-note:two words\n"
                    "x-ms-page-write:update\n"
                    "x-ms-range:bytes=0-511\n"
                    "x-ms-version:2021-08-06\n"
                    "/myaccount/myaccount/mycontainer/my%20blob\ncomp:page");
    g_assert_cmpstr(auth, ==, "SharedKey myaccount:"
                    "wMwFDQW0arfZkNK2bq+UaE5etTFxFrpv+FWAH743heU=");
}

static void
test_query_sorted(void)
{
    static const AzureHeader h[] = {
        { "x-ms-date", DATE }, { "x-ms-version", "2021-08-06" },
    };
    /* Names lower-cased and sorted, a repeated name's values sorted. */
    static const AzureParam q[] = {
        { "restype", "container" }, { "include", "snapshots" },
        { "Comp", "list" }, { "include", "metadata" },
    };
    AzureSharedKeyRequest req = {
        .method = "GET", .account = "myaccount", .path = "/mycontainer",
        .query = q, .n_query = G_N_ELEMENTS(q), .headers = h,
        .n_headers = G_N_ELEMENTS(h),
    };
    g_autofree char *sts = azure_sharedkey_string_to_sign(&req);
    g_autofree char *auth = azure_sharedkey_authorization(&req, DEV_KEY, NULL);

    /* Content-Length 0 is signed as an empty line (2015-02-21 on). */
    g_assert_cmpstr(sts, ==,
                    "GET\n\n\n\n\n\n\n\n\n\n\n\n"
                    "x-ms-date:" DATE "\nx-ms-version:2021-08-06\n"
                    "/myaccount/mycontainer\ncomp:list\n"
                    "include:metadata,snapshots\nrestype:container");
    g_assert_cmpstr(auth, ==, "SharedKey myaccount:"
                    "uukxAXsDNTktOSz4y+jUiNoYicHhQmHZnDaOwPdAa5o=");
}

static void
test_key_not_base64(void)
{
    AzureSharedKeyRequest req = { .method = "GET", .account = "a",
                                  .path = "/" };
    g_autoptr(GError) error = NULL;
    char *auth = azure_sharedkey_authorization(&req, "not base64!", &error);

    g_assert_null(auth);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "not base64"));
    g_assert_null(strstr(error->message, "not base64!"));
}

/* ---- credentials ---------------------------------------------------------- */

static const char *
table_getenv(const char *name, gpointer data)
{
    const char *const *kv = data;

    for (; kv[0]; kv += 2) {
        if (g_str_equal(kv[0], name))
            return kv[1];
    }
    return NULL;
}

static void
test_connection_string(void)
{
    const char *env[] = {
        "AZURE_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=" DEV_KEY ";BlobEndpoint=http://127.0.0.1:10000/"
        "devstoreaccount1/;",
        "AZURE_STORAGE_KEY", "ignored", NULL,
    };
    g_auto(AzureCredentials) c = { 0 };

    g_assert_true(azure_credentials_load(table_getenv, env,
                                         "devstoreaccount1", &c, NULL));
    g_assert_cmpstr(c.key, ==, DEV_KEY);
    g_assert_null(c.sas);
    g_assert_cmpstr(c.blob_endpoint, ==,
                    "http://127.0.0.1:10000/devstoreaccount1");
}

static void
test_connection_string_suffix(void)
{
    const char *env[] = {
        "AZURE_STORAGE_CONNECTION_STRING",
        "AccountName=acct1;SharedAccessSignature=?sv=2021&sig=x%3D;"
        "EndpointSuffix=core.chinacloudapi.cn", NULL,
    };
    g_auto(AzureCredentials) c = { 0 };

    g_assert_true(azure_credentials_load(table_getenv, env, "acct1", &c,
                                         NULL));
    g_assert_null(c.key);
    g_assert_cmpstr(c.sas, ==, "sv=2021&sig=x%3D");
    g_assert_cmpstr(c.blob_endpoint, ==,
                    "https://acct1.blob.core.chinacloudapi.cn");
}

static void
test_other_account(void)
{
    const char *env[] = { "AZURE_STORAGE_ACCOUNT", "other",
                          "AZURE_STORAGE_KEY", DEV_KEY, NULL };
    g_auto(AzureCredentials) c = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_false(azure_credentials_load(table_getenv, env, "mine", &c,
                                          &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "'other'"));
    g_assert_null(strstr(error->message, DEV_KEY));
}

static void
test_key_from_env(void)
{
    const char *env[] = { "AZURE_STORAGE_KEY", DEV_KEY, NULL };
    g_auto(AzureCredentials) c = { 0 };

    g_assert_true(azure_credentials_load(table_getenv, env, "mine", &c,
                                         NULL));
    g_assert_cmpstr(c.account, ==, "mine");
    g_assert_cmpstr(c.blob_endpoint, ==, "https://mine.blob.core.windows.net");
}

static void
test_none(void)
{
    const char *env[] = { NULL };
    g_auto(AzureCredentials) c = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_false(azure_credentials_load(table_getenv, env, "mine", &c,
                                          &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "AZURE_STORAGE_CONNECTION_STRING"));
}

static void
test_malformed(void)
{
    const char *env[] = { "AZURE_STORAGE_CONNECTION_STRING",
                          "AccountName=a;AccountName=b;AccountKey=x", NULL };
    g_auto(AzureCredentials) c = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_false(azure_credentials_load(table_getenv, env, "a", &c,
                                          &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "'AccountName' is given twice"));
}

static void
test_ranges_merge(void)
{
    static const guint64 in[] = { 0, 512, 512, 4096, 8192, 9216, 9216, 9728 };
    g_autoptr(GArray) r = g_array_new(FALSE, FALSE, sizeof(guint64));

    g_array_append_vals(r, in, G_N_ELEMENTS(in));
    azure_ranges_merge(r);
    g_assert_cmpuint(r->len, ==, 4);
    g_assert_cmpuint(g_array_index(r, guint64, 1), ==, 4096);
    g_assert_cmpuint(g_array_index(r, guint64, 2), ==, 8192);
    g_assert_cmpuint(g_array_index(r, guint64, 3), ==, 9728);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/providers/azure/sharedkey/put-page", test_put_page);
    g_test_add_func("/providers/azure/sharedkey/query-sorted",
                    test_query_sorted);
    g_test_add_func("/providers/azure/sharedkey/key-not-base64",
                    test_key_not_base64);
    g_test_add_func("/providers/azure/credentials/connection-string",
                    test_connection_string);
    g_test_add_func("/providers/azure/credentials/sas-and-endpoint-suffix",
                    test_connection_string_suffix);
    g_test_add_func("/providers/azure/credentials/other-account",
                    test_other_account);
    g_test_add_func("/providers/azure/credentials/key-from-environment",
                    test_key_from_env);
    g_test_add_func("/providers/azure/credentials/none", test_none);
    g_test_add_func("/providers/azure/credentials/key-twice",
                    test_malformed);
    g_test_add_func("/providers/azure/blob/ranges-merge", test_ranges_merge);
    return g_test_run();
}
