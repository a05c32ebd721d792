/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cloudstack-uri.c: cloudstack://MGMT[:PORT]/ZONE?storage=POOL as
 * target_new() parses it (providers/target-cloudstack.c): the name for
 * messages, and each malformed URI or missing id refused with
 * FERRY_ERROR_INVALID naming what is wrong, before anything is contacted.
 * Paths: /providers/cloudstack/uri/<case>.
 */
#include <config.h>

#include <string.h>

#include "providers/target-priv.h"

#define ZONE "0b6a2b3e-7d3f-4c1e-9a52-6f0a1c2d3e01"
#define POOL "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a02"

static const TargetOptions cs_opts = {
    .cs_service_offering = "so-1",
    .cs_network = "net-1",
};

static void
test_uri_good(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(Target) t = target_new("cloudstack://mgmt.example.net:8443/" ZONE
                                     "?storage=" POOL "&ssh-port=2222"
                                     "&ssh-user=ferry&mount-parent=/mnt",
                                     &cs_opts, NULL, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(target_get_scheme(t), ==, "cloudstack");
    g_assert_cmpstr(target_get_name(t), ==,
                    "cloudstack://mgmt.example.net:8443/" ZONE);
    g_assert_cmpstr(target_get_output_format(t, &(const char *){ NULL }), ==,
                    "qcow2");
}

typedef struct {
    const char *path;
    const char *uri;
    gboolean no_offering;
    const char *message;         /* a part of it */
} UriBad;

static const UriBad uri_bad[] = {
    { "no-storage", "cloudstack://m/" ZONE, FALSE,
      "expected cloudstack://MGMT[:PORT]/ZONE-ID?storage=POOL-ID" },
    { "storage-empty", "cloudstack://m/" ZONE "?storage=", FALSE,
      "storage ''" },
    { "no-zone", "cloudstack://m/?storage=" POOL, FALSE, "zone ''" },
    { "zone-not-an-id", "cloudstack://m/a%2Fb?storage=" POOL, FALSE,
      "zone 'a/b'" },
    { "unknown-parameter", "cloudstack://m/" ZONE "?storage=" POOL "&x=1",
      FALSE, "unknown query parameter 'x'" },
    { "ssh-port-zero", "cloudstack://m/" ZONE "?storage=" POOL "&ssh-port=0",
      FALSE, "ssh-port '0'" },
    { "mount-parent-relative",
      "cloudstack://m/" ZONE "?storage=" POOL "&mount-parent=mnt", FALSE,
      "mount-parent 'mnt'" },
    { "user-info", "cloudstack://admin@m/" ZONE "?storage=" POOL, FALSE,
      "expected cloudstack://" },
    { "no-service-offering", "cloudstack://m/" ZONE "?storage=" POOL, TRUE,
      "--service-offering is required" },
};

static void
test_uri_bad(gconstpointer data)
{
    const UriBad *c = data;
    g_autoptr(GError) error = NULL;
    TargetOptions o = cs_opts;
    g_autoptr(Target) t = NULL;

    if (c->no_offering)
        o.cs_service_offering = NULL;
    t = target_new(c->uri, &o, NULL, &error);
    g_assert_null(t);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    if (!strstr(error->message, c->message))
        g_error("'%s' does not say '%s'", error->message, c->message);
}

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/providers/cloudstack/uri/good", test_uri_good);
    for (i = 0; i < G_N_ELEMENTS(uri_bad); i++) {
        g_autofree char *path = g_strdup_printf("/providers/cloudstack/uri/%s",
                                                uri_bad[i].path);

        g_test_add_data_func(path, &uri_bad[i], test_uri_bad);
    }
    return g_test_run();
}
