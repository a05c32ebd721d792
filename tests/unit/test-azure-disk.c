/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-azure-disk.c: what azure-disk:// decides before the network:
 * the URI as target_new() parses it (providers/target-azure-disk.c), the
 * service principal from the environment (azure-token.c), ARM's error
 * shape as one line (azure-json.c), and a write SAS URL split into its
 * endpoint, container and blob (azure-blob.c).
 * Paths: /providers/azure-disk/<area>/<case>.
 */
#include <config.h>

#include <string.h>

#include "providers/azure-arm-priv.h"

#define SUB "00000000-1111-2222-3333-444444444444"

static void
test_uri_good(void)
{
    g_autoptr(GError) error = NULL;
    TargetOptions o = { .azure_image = "web1-img", .azure_os_type = "Windows",
                        .azure_manifest_dir = "/tmp" };
    g_autoptr(Target) t = target_new("azure-disk://" SUB
                                     "/rg-1.(x)?location=westeurope", &o,
                                     NULL, &error);
    const char *opts = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(target_get_scheme(t), ==, "azure-disk");
    g_assert_cmpstr(target_get_name(t), ==,
                    "azure-disk://" SUB "/rg-1.(x)?location=westeurope");
    g_assert_cmpstr(target_get_pool(t), ==, "/tmp");
    g_assert_cmpstr(target_get_output_format(t, &opts), ==, "vpc");
    g_assert_cmpstr(opts, ==, "subformat=fixed,azure=on");
}

typedef struct {
    const char *path;
    const char *uri;
    const char *os_type;
    const char *image;
    const char *message;         /* a part of it */
} UriBad;

static const UriBad uri_bad[] = {
    { "no-location", "azure-disk://" SUB "/rg", NULL, NULL,
      "expected azure-disk://SUBSCRIPTION/RESOURCE_GROUP?location=" },
    { "empty-location", "azure-disk://" SUB "/rg?location=", NULL, NULL,
      "location: expected 1 to 64" },
    { "unknown-parameter", "azure-disk://" SUB "/rg?location=l&x=1", NULL,
      NULL, "unknown query parameter 'x'" },
    { "no-group", "azure-disk://" SUB "/?location=l", NULL, NULL,
      "resource group: expected" },
    { "group-slash", "azure-disk://" SUB "/a/b?location=l", NULL, NULL,
      "resource group: expected" },
    { "subscription-odd", "azure-disk://s_1/rg?location=l", NULL, NULL,
      "subscription: expected" },
    { "user-info", "azure-disk://me@" SUB "/rg?location=l", NULL, NULL,
      "expected azure-disk://" },
    { "os-type", "azure-disk://" SUB "/rg?location=l", "linux", NULL,
      "--os-type 'linux': expected Linux or Windows" },
    { "image-name", "azure-disk://" SUB "/rg?location=l", NULL, "a/b",
      "--image: expected" },
};

static void
test_uri_bad(gconstpointer data)
{
    const UriBad *c = data;
    g_autoptr(GError) error = NULL;
    TargetOptions o = { .azure_os_type = c->os_type, .azure_image = c->image };
    g_autoptr(Target) t = target_new(c->uri, &o, NULL, &error);

    g_assert_null(t);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    if (!strstr(error->message, c->message))
        g_error("%s: '%s' lacks '%s'", c->path, error->message, c->message);
}

static const char *
table_getenv(const char *name, gpointer data)
{
    const char *const *env = data;

    for (; env[0]; env += 2) {
        if (g_str_equal(env[0], name))
            return env[1];
    }
    return NULL;
}

static void
test_token_env(void)
{
    const char *none[] = { "AZURE_TENANT_ID", "t", NULL };
    const char *bad[] = { "AZURE_TENANT_ID", "t/../x", "AZURE_CLIENT_ID", "c",
                          "AZURE_CLIENT_SECRET", "s", NULL };
    const char *authority[] = { "AZURE_TENANT_ID", "t", "AZURE_CLIENT_ID", "c",
                                "AZURE_CLIENT_SECRET", "s",
                                "AZURE_AUTHORITY_HOST", "ftp://x", NULL };
    const char *good[] = { "AZURE_TENANT_ID", "t", "AZURE_CLIENT_ID", "c",
                           "AZURE_CLIENT_SECRET", "s3cret", NULL };
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
    g_autoptr(AzureToken) t = NULL;

    g_assert_null(azure_token_new(table_getenv, none, "https://arm", &e1));
    g_assert_error(e1, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(e1->message, "AZURE_CLIENT_SECRET must be set"));
    g_assert_null(azure_token_new(table_getenv, bad, "https://arm", &e2));
    g_assert_error(e2, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(e2->message, "AZURE_TENANT_ID"));
    g_assert_null(azure_token_new(table_getenv, authority, "https://arm",
                                  &e3));
    g_assert_error(e3, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(e3->message, "AZURE_AUTHORITY_HOST"));
    t = azure_token_new(table_getenv, good, "https://arm", &e4);
    g_assert_no_error(e4);
    g_assert_nonnull(t);
}

static void
test_arm_error(void)
{
    static const struct {
        long status;
        const char *body;
        int code;
        const char *message;
    } cases[] = {
        { 401, "{\"error\":{\"code\":\"AuthenticationFailed\",\"message\":"
               "\"no\\nsecond line\"}}", FERRY_ERROR_AUTH,
          "azure-disk Put: AuthenticationFailed: no (HTTP 401)" },
        { 409, "{\"error\":{\"code\":\"Conflict\"}}", FERRY_ERROR_EXISTS,
          "azure-disk Put: Conflict (HTTP 409)" },
        { 413, "", FERRY_ERROR_REMOTE, "azure-disk Put: error (HTTP 413)" },
        { 404, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
          FERRY_ERROR_NOT_FOUND, "azure-disk Put: error (HTTP 404)" },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) e = NULL;

        g_assert_false(azure_arm_error("Put", cases[i].status, cases[i].body,
                                       strlen(cases[i].body), &e));
        g_assert_error(e, FERRY_ERROR, cases[i].code);
        g_assert_cmpstr(e->message, ==, cases[i].message);
    }
}

static void
test_sas_url(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *container = NULL, *blob = NULL;
    g_autofree char *c2 = NULL, *b2 = NULL;
    g_autoptr(AzureClient) c = azure_client_new_for_sas_url(
        "http://127.0.0.1:10000/devstoreaccount1/md-1/abcd?sv=x&sig=y", NULL,
        &container, &blob, &error);
    g_autoptr(AzureClient) real = NULL;
    g_autoptr(AzureClient) none = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(container, ==, "md-1");
    g_assert_cmpstr(blob, ==, "abcd");
    g_assert_cmpstr(c->endpoint_path, ==, "/devstoreaccount1");
    g_assert_cmpstr(c->creds.blob_endpoint, ==,
                    "http://127.0.0.1:10000/devstoreaccount1");
    g_assert_cmpstr(c->creds.sas, ==, "sv=x&sig=y");
    g_assert_null(c->creds.key);
    real = azure_client_new_for_sas_url(
        "https://md-x.z1.blob.storage.azure.net/md-2/abcd?sv=x", NULL, &c2,
        &b2, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(real->endpoint_path, ==, "");
    g_assert_cmpstr(real->creds.blob_endpoint, ==,
                    "https://md-x.z1.blob.storage.azure.net");
    g_clear_pointer(&c2, g_free);
    g_clear_pointer(&b2, g_free);
    none = azure_client_new_for_sas_url("https://h/c/b", NULL, &c2, &b2,
                                        &error);
    g_assert_null(none);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
}

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/providers/azure-disk/uri/good", test_uri_good);
    for (i = 0; i < G_N_ELEMENTS(uri_bad); i++) {
        g_autofree char *path = g_strdup_printf("/providers/azure-disk/uri/%s",
                                                uri_bad[i].path);

        g_test_add_data_func(path, &uri_bad[i], test_uri_bad);
    }
    g_test_add_func("/providers/azure-disk/token/environment",
                    test_token_env);
    g_test_add_func("/providers/azure-disk/arm/error-one-line",
                    test_arm_error);
    g_test_add_func("/providers/azure-disk/blob/sas-url", test_sas_url);
    return g_test_run();
}
