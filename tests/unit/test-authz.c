/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-authz.c: the authorization table has a row for every method, names
 * what exists by stdio name, and its value checks refuse libvirt URIs that
 * run programs and targets outside the pools. */
#include <config.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/authz-priv.h"

static void
test_authz_every_method_has_a_row(void)
{
    guint m;

    for (m = 0; m < AGENT_METHOD_LAST; m++)
        g_assert_nonnull(agent_authz_lookup(m, NULL));
    g_assert_null(agent_authz_lookup(AGENT_METHOD_EXPORT, "frobnicate"));
    g_assert_true(agent_authz_lookup(AGENT_METHOD_EXPORT, "identity")->root_only);
    g_assert_cmpstr(agent_authz_lookup(AGENT_METHOD_CANCEL, NULL)->other_action, ==,
                    AGENT_POLKIT_ACTION_MANAGE_OTHER);
    g_assert_null(agent_authz_lookup(AGENT_METHOD_LIST_VMS, NULL)->action);
}

static void
test_authz_stdio_names(void)
{
    AgentMethod m;

    g_assert_true(agent_method_from_stdio("list", &m));
    g_assert_cmpint(m, ==, AGENT_METHOD_LIST_VMS);
    g_assert_true(agent_method_from_stdio("watch", &m));
    g_assert_cmpint(m, ==, AGENT_METHOD_WATCH);
    g_assert_false(agent_method_from_stdio("GetDetails", &m));
    g_assert_false(agent_method_from_stdio("shutdown", &m));
}

static void
assert_uri_refused(const char *uri, gboolean allow_test, int code, const char *words)
{
    g_autoptr(GError) error = NULL;

    g_assert_false(agent_authz_check_libvirt_uri("option 'uri'", uri, allow_test, &error));
    g_assert_error(error, FERRY_ERROR, code);
    g_assert_nonnull(strstr(error->message, words));
}

/* Every aws:// option of `ferry export` has a row any manager may pass;
 * no row names a credential or an endpoint, and aws:// itself is root's
 * only (see /agent/authz/pool/aws-is-root-only). */
static void
test_authz_aws_options(void)
{
    static const char *const options[] = {
        "method", "role", "keep-objects", "no-import", "license-type",
        "platform", "poll-interval",
    };
    static const char *const never[] = {
        "access-key", "secret-key", "session-token", "profile", "endpoint",
        "endpoint-url", "ca-bundle",
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(options); i++) {
        const AgentAuthzRule *r = agent_authz_lookup(AGENT_METHOD_EXPORT,
                                                     options[i]);

        g_assert_nonnull(r);
        g_assert_false(r->root_only);
        g_assert_cmpstr(r->action, ==, AGENT_POLKIT_ACTION_MANAGE);
    }
    for (i = 0; i < G_N_ELEMENTS(never); i++)
        g_assert_null(agent_authz_lookup(AGENT_METHOD_EXPORT, never[i]));
}

static void
test_authz_pool_aws(void)
{
    g_autoptr(GError) error = NULL;
    const char *pools[] = { "/", NULL };

    g_assert_null(agent_authz_check_pool("aws://eu-west-1/b", pools, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "AWS credentials"));
}

/* The azure options any manager may pass (the targets themselves are
 * root's only); the manifest directory, which the agent writes as root,
 * is root's to name. */
static void
test_authz_azure_options(void)
{
    static const char *const options[] = {
        "overwrite", "os-type", "image", "keep",
    };
    static const char *const never[] = {
        "client-secret", "tenant", "client-id", "account-key", "sas",
        "connection-string",
    };
    const AgentAuthzRule *r;
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(options); i++) {
        r = agent_authz_lookup(AGENT_METHOD_EXPORT, options[i]);
        g_assert_nonnull(r);
        g_assert_false(r->root_only);
        g_assert_cmpstr(r->action, ==, AGENT_POLKIT_ACTION_MANAGE);
    }
    r = agent_authz_lookup(AGENT_METHOD_EXPORT, "manifest-dir");
    g_assert_nonnull(r);
    g_assert_true(r->root_only);
    for (i = 0; i < G_N_ELEMENTS(never); i++)
        g_assert_null(agent_authz_lookup(AGENT_METHOD_EXPORT, never[i]));
}

static void
test_authz_pool_azure(void)
{
    const char *pools[] = { "/", NULL };
    const char *const targets[] = {
        "azure://acct/container",
        "azure-disk://sub/rg?location=westeurope",
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(targets); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_null(agent_authz_check_pool(targets[i], pools, &error));
        g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    }
}

static void
test_authz_libvirt_uri(void)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(agent_authz_check_libvirt_uri("u", "qemu:///system", FALSE, &error));
    g_assert_true(agent_authz_check_libvirt_uri("u", "qemu+ssh://h/system?keyfile=/k",
                                                FALSE, &error));
    g_assert_true(agent_authz_check_libvirt_uri("u", "test:///default", TRUE, &error));
    assert_uri_refused("qemu+ext:///system?command=/tmp/x", FALSE, FERRY_ERROR_AUTH,
                       "the ext transport");
    assert_uri_refused("QEMU+EXT:///system", FALSE, FERRY_ERROR_AUTH, "the ext transport");
    assert_uri_refused("qemu+ssh://h/system?mode=x;Command=/tmp/x", FALSE, FERRY_ERROR_AUTH,
                       "'command'");
    assert_uri_refused("qemu+ssh://h/system?comm%61nd=/tmp/x", FALSE, FERRY_ERROR_AUTH,
                       "'command'");
    assert_uri_refused("qemu+unix:///system?socket=/tmp/s", FALSE, FERRY_ERROR_AUTH,
                       "'socket'");
    assert_uri_refused("test:///etc/passwd", FALSE, FERRY_ERROR_AUTH, "the test driver");
    assert_uri_refused("test+unix:///etc/passwd", FALSE, FERRY_ERROR_AUTH, "the test driver");
    assert_uri_refused("an-alias", TRUE, FERRY_ERROR_INVALID, "is not a libvirt URI");
    assert_uri_refused("qemu:///sys\ntem", TRUE, FERRY_ERROR_INVALID, "control character");
}

static void
test_authz_pool(void)
{
    g_autofree char *dir = g_dir_make_tmp("ferry-authz-XXXXXX", NULL);
    g_autofree char *pool = g_build_filename(dir, "pool", NULL);
    g_autofree char *sub = g_build_filename(pool, "sub", NULL);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *link = g_build_filename(pool, "link", NULL);
    g_autofree char *target = NULL;
    g_autofree char *got = NULL;
    const char *pools[] = { pool, NULL };
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(g_mkdir_with_parents(sub, 0700), ==, 0);
    g_assert_cmpint(g_mkdir(out, 0700), ==, 0);
    g_assert_cmpint(symlink(out, link), ==, 0);

    target = g_strdup_printf("file://%s/sub/", pool);
    got = agent_authz_check_pool(target, pools, &error);
    g_assert_no_error(error);
    g_assert_true(g_str_has_suffix(got, "/pool/sub"));
    g_clear_pointer(&got, g_free);
    g_assert_cmpstr((got = agent_authz_check_pool("ssh://u@h/p", pools, &error)), ==,
                    "ssh://u@h/p");
    g_clear_pointer(&got, g_free);

    g_free(target);
    target = g_strdup_printf("file://%s/link", pool);
    g_assert_null(agent_authz_check_pool(target, pools, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_clear_error(&error);
    g_free(target);
    target = g_strdup_printf("file://%s/../out", pool);
    g_assert_null(agent_authz_check_pool(target, pools, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_clear_error(&error);
    g_assert_null(agent_authz_check_pool(target, NULL, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_clear_error(&error);
    g_assert_null(agent_authz_check_pool("aws://us-east-1/b", pools, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_clear_error(&error);
    g_free(target);
    target = g_strdup_printf("file://%s/a%%1bb", pool);
    g_assert_null(agent_authz_check_pool(target, pools, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_clear_error(&error);

    unlink(link);
    g_rmdir(sub);
    g_rmdir(pool);
    g_rmdir(out);
    g_rmdir(dir);
}

/* "streams" (issue 11): any manager may spread an export over more
 * connections to a target it names anyway; not root's only. */
static void
test_authz_streams_option(void)
{
    const AgentAuthzRule *r = agent_authz_lookup(AGENT_METHOD_EXPORT, "streams");

    g_assert_nonnull(r);
    g_assert_false(r->root_only);
    g_assert_cmpstr(r->action, ==, AGENT_POLKIT_ACTION_MANAGE);
    g_assert_null(agent_authz_lookup(AGENT_METHOD_LIST_VMS, "streams"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/agent/authz/every-method-has-a-row", test_authz_every_method_has_a_row);
    g_test_add_func("/agent/authz/stdio-names", test_authz_stdio_names);
    g_test_add_func("/agent/authz/libvirt-uri", test_authz_libvirt_uri);
    g_test_add_func("/agent/authz/pool", test_authz_pool);
    g_test_add_func("/agent/authz/pool/aws-is-root-only", test_authz_pool_aws);
    g_test_add_func("/agent/authz/aws-options", test_authz_aws_options);
    g_test_add_func("/agent/authz/azure-options", test_authz_azure_options);
    g_test_add_func("/agent/authz/pool/azure-is-root-only",
                    test_authz_pool_azure);
    g_test_add_func("/agent/authz/streams-option", test_authz_streams_option);
    return g_test_run();
}
