/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-cloudstack-json.c: CloudStack's JSON answers as cloudstack-json.c
 * reads them: the "<command>response" object of a good answer, errors in
 * CloudStack's own words with the FerryError their errorcode maps to, and
 * what is no answer at all (not JSON, another command's object, nested
 * too deep, over the cap).  Paths: /providers/cloudstack/json/<case>.
 */
#include <config.h>

#include <string.h>

#include "providers/cloudstack-priv.h"

static void
test_json_list(void)
{
    static const char body[] =
        "{\"listzonesresponse\":{\"count\":1,\"zone\":[{\"id\":\"z-1\","
        "\"name\":\"zone1\",\"securitygroupsenabled\":false}]}}";
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) o = cs_answer_parse("listZones", 200, body,
                                              strlen(body), &error);
    JsonArray *a;
    g_autofree char *count = NULL, *id = NULL, *sg = NULL;

    g_assert_no_error(error);
    count = cs_json_dup_string(o, "count");
    g_assert_cmpstr(count, ==, "1");
    a = cs_json_list(o, "zone");
    g_assert_nonnull(a);
    id = cs_json_dup_string(json_array_get_object_element(a, 0), "id");
    sg = cs_json_dup_string(json_array_get_object_element(a, 0),
                            "securitygroupsenabled");
    g_assert_cmpstr(id, ==, "z-1");
    g_assert_cmpstr(sg, ==, "false");
    g_assert_null(cs_json_list(o, "host"));
}

typedef struct {
    const char *path;
    long status;
    const char *body;
    int code;
    const char *message;
} JsonBad;

static const JsonBad json_bad[] = {
    { "signature-401", 401,
      "{\"listzonesresponse\":{\"uuidList\":[],\"errorcode\":401,"
      "\"cserrorcode\":9999,\"errortext\":\"unable to verify user "
      "credentials and/or request signature\"}}",
      FERRY_ERROR_AUTH, "cloudstack listZones: unable to verify user "
      "credentials and/or request signature (errorcode 401)" },
    { "parameter-431", 431,
      "{\"listzonesresponse\":{\"errorcode\":431,\"errortext\":\"Invalid "
      "parameter id value=x\"}}",
      FERRY_ERROR_INVALID,
      "cloudstack listZones: Invalid parameter id value=x (errorcode 431)" },
    { "errorresponse-530", 530,
      "{\"errorresponse\":{\"errorcode\":530,\"errortext\":\"Internal "
      "error\"}}",
      FERRY_ERROR_REMOTE,
      "cloudstack listZones: Internal error (errorcode 530)" },
    { "html-502", 502, "<html>Bad Gateway</html>", FERRY_ERROR_REMOTE,
      "cloudstack listZones: HTTP 502" },
    { "not-json-200", 200, "zones", FERRY_ERROR_CORRUPT,
      "the answer is not JSON" },
    { "array-200", 200, "[1]", FERRY_ERROR_CORRUPT,
      "the answer is not a JSON object" },
    { "no-response-object", 200, "{\"zones\":{}}", FERRY_ERROR_CORRUPT,
      "no 'listZonesresponse' object" },
    { "error-text-with-newline", 431,
      "{\"listzonesresponse\":{\"errorcode\":431,\"errortext\":\"a\\nb\"}}",
      FERRY_ERROR_INVALID, "cloudstack listZones: no errortext (errorcode "
      "431)" },
};

static void
test_json_bad(gconstpointer data)
{
    const JsonBad *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) o = cs_answer_parse("listZones", c->status, c->body,
                                              strlen(c->body), &error);

    g_assert_null(o);
    g_assert_error(error, FERRY_ERROR, c->code);
    if (!strstr(error->message, c->message))
        g_error("'%s' does not say '%s'", error->message, c->message);
    g_assert_null(strchr(error->message, '\n'));
}

static void
test_json_too_deep(void)
{
    g_autoptr(GString) body = g_string_new("{\"listzonesresponse\":");
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) o = NULL;
    guint i;

    for (i = 0; i < 100000; i++)
        g_string_append_c(body, '[');
    o = cs_answer_parse("listZones", 200, body->str, body->len, &error);
    g_assert_null(o);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "nests deeper than"));
}

static void
test_json_too_big(void)
{
    gsize len = CS_MAX_JSON_BYTES + 1;
    g_autofree char *body = g_malloc(len);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) o = NULL;

    memset(body, ' ', len);
    o = cs_answer_parse("listZones", 200, body, len, &error);
    g_assert_null(o);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "is over"));
}

/* A close inside the headers gave an empty 200 and a NULL body, which
 * json-glib met with a critical (fault matrix, cloudstack list-close). */
static void
test_json_empty_body(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) o = NULL;

    o = cs_answer_parse("listHosts", 200, NULL, 0, &error);
    g_assert_null(o);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "the answer is empty"));
}

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/providers/cloudstack/json/list", test_json_list);
    for (i = 0; i < G_N_ELEMENTS(json_bad); i++) {
        g_autofree char *path = g_strdup_printf(
            "/providers/cloudstack/json/%s", json_bad[i].path);

        g_test_add_data_func(path, &json_bad[i], test_json_bad);
    }
    g_test_add_func("/providers/cloudstack/json/nested-too-deep",
                    test_json_too_deep);
    g_test_add_func("/providers/cloudstack/json/over-the-cap",
                    test_json_too_big);
    g_test_add_func("/providers/cloudstack/json/empty-body-no-critical",
                    test_json_empty_body);
    return g_test_run();
}
