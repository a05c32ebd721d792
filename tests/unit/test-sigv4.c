/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-sigv4.c: providers/aws-sigv4.c against every case of AWS's SigV4
 * test suite (../shared/aws-sigv4-test-suite, or $FERRY_SIGV4_SUITE).
 * Each case's .req is parsed here (request line with a raw path that may
 * hold a space, "Name:value" headers with folded lines, a body after a
 * blank line), signed with the suite's fixed inputs, and the canonical
 * request, the string to sign and the Authorization value are compared
 * byte for byte with .creq, .sts and .authz; .sreq must carry the same
 * Authorization line, except in get-vanilla-with-session-token, whose
 * .sreq the suite's README documents as wrong (its .authz is checked,
 * and the test asserts the .sreq still differs, so a corrected suite is
 * noticed).  Paths: /providers/aws/sigv4/suite/<case>.
 */
#include <config.h>

#include <string.h>

#include "providers/aws-priv.h"

#define SUITE_CASES 34
#define SUITE_ACCESS_KEY "AKIDEXAMPLE"
#define SUITE_SECRET_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_SESSION_TOKEN \
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

static char *suite_dir;

typedef struct {
    char *method;
    char *path;
    GArray *query;               /* of AwsQueryParam */
    GArray *headers;             /* of AwsHeader */
    char *body;
} SuiteRequest;

static void
suite_request_free(SuiteRequest *r)
{
    guint i;

    for (i = 0; i < r->query->len; i++) {
        g_free(g_array_index(r->query, AwsQueryParam, i).key);
        g_free(g_array_index(r->query, AwsQueryParam, i).value);
    }
    for (i = 0; i < r->headers->len; i++) {
        g_free(g_array_index(r->headers, AwsHeader, i).name);
        g_free(g_array_index(r->headers, AwsHeader, i).value);
    }
    g_array_unref(r->query);
    g_array_unref(r->headers);
    g_free(r->method);
    g_free(r->path);
    g_free(r->body);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SuiteRequest, suite_request_free)

static char *
suite_unescape(const char *s, gssize len)
{
    g_autofree char *raw = g_strndup(s, len < 0 ? strlen(s) : (gsize)len);
    char *out = g_uri_unescape_string(raw, NULL);

    g_assert_nonnull(out);
    return out;
}

static SuiteRequest *
suite_parse_request(const char *text)
{
    SuiteRequest *r = g_new0(SuiteRequest, 1);
    const char *body = strstr(text, "\n\n");
    g_autofree char *head = body ? g_strndup(text, body - text)
                                 : g_strdup(text);
    g_auto(GStrv) lines = g_strsplit(head, "\n", -1);
    const char *sp, *proto, *target_end, *q;
    g_autofree char *target = NULL;
    guint i;

    r->query = g_array_new(FALSE, TRUE, sizeof(AwsQueryParam));
    r->headers = g_array_new(FALSE, TRUE, sizeof(AwsHeader));
    r->body = g_strdup(body ? body + 2 : "");
    /* "METHOD TARGET HTTP/1.1": the target may hold a space. */
    sp = strchr(lines[0], ' ');
    proto = g_strrstr(lines[0], " HTTP/");
    g_assert_nonnull(sp);
    g_assert_nonnull(proto);
    r->method = g_strndup(lines[0], sp - lines[0]);
    target = g_strndup(sp + 1, proto - sp - 1);
    q = strchr(target, '?');
    target_end = q ? q : target + strlen(target);
    r->path = g_strndup(target, target_end - target);
    if (q && q[1]) {
        g_auto(GStrv) pairs = g_strsplit(q + 1, "&", -1);

        for (i = 0; pairs[i]; i++) {
            const char *eq = strchr(pairs[i], '=');
            AwsQueryParam p;

            p.key = suite_unescape(pairs[i], eq ? eq - pairs[i] : -1);
            p.value = suite_unescape(eq ? eq + 1 : "", -1);
            g_array_append_val(r->query, p);
        }
    }
    for (i = 1; lines[i]; i++) {
        const char *colon;
        AwsHeader h;

        if (!lines[i][0])
            continue;          /* the final newline of two .req files */
        if (lines[i][0] == ' ' || lines[i][0] == '\t') {
            /* a folded line continues the last header */
            AwsHeader *last;
            char *joined;

            g_assert_cmpuint(r->headers->len, >, 0);
            last = &g_array_index(r->headers, AwsHeader,
                                  r->headers->len - 1);
            joined = g_strconcat(last->value, "\n", lines[i], NULL);
            g_free(last->value);
            last->value = joined;
            continue;
        }
        colon = strchr(lines[i], ':');
        g_assert_nonnull(colon);
        h.name = g_strndup(lines[i], colon - lines[i]);
        h.value = g_strdup(colon + 1);
        g_array_append_val(r->headers, h);
    }
    return r;
}

static char *
suite_read(const char *dir, const char *name, const char *ext)
{
    g_autofree char *file = g_strconcat(name, ext, NULL);
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error);
    return text;
}

static void
test_suite_case(gconstpointer data)
{
    const char *dir = data;
    g_autofree char *name = g_path_get_basename(dir);
    g_autofree char *req_text = suite_read(dir, name, ".req");
    g_autofree char *creq = suite_read(dir, name, ".creq");
    g_autofree char *sts = suite_read(dir, name, ".sts");
    g_autofree char *authz = suite_read(dir, name, ".authz");
    g_autofree char *sreq = suite_read(dir, name, ".sreq");
    g_autofree char *authz_line = NULL;
    g_autoptr(SuiteRequest) r = suite_parse_request(req_text);
    g_auto(AwsSigv4Result) out = { 0 };
    AwsSigv4Request req = { 0 };
    char payload[65];

    /* The session token is a credential input of this case: signed as a
     * header (its .creq lists it). */
    if (g_str_equal(name, "get-vanilla-with-session-token")) {
        AwsHeader h = { g_strdup("X-Amz-Security-Token"),
                        g_strdup(SUITE_SESSION_TOKEN) };

        g_array_append_val(r->headers, h);
    }
    aws_sha256_hex(r->body, strlen(r->body), payload);
    req.method = r->method;
    req.path = r->path;
    req.query = r->query;
    req.headers = r->headers;
    req.payload_sha256 = payload;
    req.region = "us-east-1";
    req.service = "service";
    req.amz_date = SUITE_DATE;
    req.normalize_path = TRUE;
    aws_sigv4_sign(&req, SUITE_ACCESS_KEY, SUITE_SECRET_KEY, &out);

    g_assert_cmpstr(out.canonical_request, ==, creq);
    g_assert_cmpstr(out.string_to_sign, ==, sts);
    g_assert_cmpstr(out.authorization, ==, authz);
    authz_line = g_strconcat("\nAuthorization: ", authz, NULL);
    if (g_str_equal(name, "get-vanilla-with-session-token")) {
        /* README: this .sreq's signature is wrong; .authz is right. */
        g_assert_null(strstr(sreq, authz_line));
    } else {
        g_assert_nonnull(strstr(sreq, authz_line));
    }
    /* post-sts-header-after: the token is added after signing, so it is
     * in the .sreq but in neither the canonical request nor the header
     * list. */
    if (g_str_equal(name, "post-sts-header-after")) {
        g_assert_nonnull(strstr(sreq, "X-Amz-Security-Token:"));
        g_assert_null(strstr(out.signed_headers, "x-amz-security-token"));
    }
}

/* Every folder NAME holding NAME.req, at any depth. */
static void
suite_collect(const char *dir, const char *rel, GPtrArray *cases)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autofree char *base = g_path_get_basename(dir);
    g_autofree char *req = g_strconcat(base, ".req", NULL);
    g_autofree char *req_path = g_build_filename(dir, req, NULL);
    const char *entry;

    if (rel && g_file_test(req_path, G_FILE_TEST_IS_REGULAR)) {
        g_ptr_array_add(cases, g_strdup(dir));
        return;
    }
    while (d && (entry = g_dir_read_name(d))) {
        g_autofree char *sub = g_build_filename(dir, entry, NULL);
        g_autofree char *sub_rel = rel ? g_build_filename(rel, entry, NULL)
                                       : g_strdup(entry);

        if (g_file_test(sub, G_FILE_TEST_IS_DIR))
            suite_collect(sub, sub_rel, cases);
    }
}

static void
test_suite_missing(void)
{
    if (g_strcmp0(g_getenv("FERRY_TEST_STRICT"), "1") == 0) {
        g_test_message("SigV4 test suite not found (set FERRY_SIGV4_SUITE)");
        g_test_fail();
    } else {
        g_test_skip("SigV4 test suite not found (set FERRY_SIGV4_SUITE)");
    }
}

static void
test_suite_count(gconstpointer data)
{
    const GPtrArray *cases = data;

    /* README: 24 at the top, 8 under normalize-path/, 2 under
     * post-sts-token/: none may go missing unseen. */
    g_assert_cmpuint(cases->len, ==, SUITE_CASES);
}

static void
test_uri_encode(void)
{
    g_autofree char *a = aws_uri_encode("a b/c~d+e=f", FALSE);
    g_autofree char *b = aws_uri_encode("disks/web1 vda.vmdk", TRUE);

    g_assert_cmpstr(a, ==, "a%20b%2Fc~d%2Be%3Df");
    g_assert_cmpstr(b, ==, "disks/web1%20vda.vmdk");
}

static void
test_s3_path_not_normalized(void)
{
    g_autoptr(GArray) headers = g_array_new(FALSE, TRUE, sizeof(AwsHeader));
    AwsHeader h1 = { (char *)"Host", (char *)"b.s3.amazonaws.com" };
    AwsHeader h2 = { (char *)"X-Amz-Date", (char *)SUITE_DATE };
    g_auto(AwsSigv4Result) out = { 0 };
    AwsSigv4Request req = { 0 };

    g_array_append_val(headers, h1);
    g_array_append_val(headers, h2);
    req.method = "GET";
    req.path = "/my-object//example//photo.user";
    req.headers = headers;
    req.payload_sha256 = AWS_EMPTY_SHA256;
    req.region = "us-east-1";
    req.service = "s3";
    req.amz_date = SUITE_DATE;
    aws_sigv4_sign(&req, SUITE_ACCESS_KEY, SUITE_SECRET_KEY, &out);
    g_assert_true(g_str_has_prefix(out.canonical_request,
                                   "GET\n/my-object//example//photo.user\n"));
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    const char *env = g_getenv("FERRY_SIGV4_SUITE");
    const char *candidates[] = {
        env,
        FERRY_TEST_SRCDIR "/../../shared/aws-sigv4-test-suite",
        FERRY_TEST_SRCDIR "/../../../shared/aws-sigv4-test-suite",
    };
    guint i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(candidates) && !suite_dir; i++) {
        if (candidates[i] &&
            g_file_test(candidates[i], G_FILE_TEST_IS_DIR))
            suite_dir = g_canonicalize_filename(candidates[i], NULL);
    }
    g_test_add_func("/providers/aws/sigv4/uri-encode", test_uri_encode);
    g_test_add_func("/providers/aws/sigv4/s3-path-not-normalized",
                    test_s3_path_not_normalized);
    if (!suite_dir) {
        g_test_add_func("/providers/aws/sigv4/suite", test_suite_missing);
        return g_test_run();
    }
    suite_collect(suite_dir, NULL, cases);
    g_test_add_data_func("/providers/aws/sigv4/suite/count", cases,
                         test_suite_count);
    for (i = 0; i < cases->len; i++) {
        const char *dir = g_ptr_array_index(cases, i);
        g_autofree char *path = g_strconcat(
            "/providers/aws/sigv4/suite/", dir + strlen(suite_dir) + 1, NULL);

        g_test_add_data_func(path, dir, test_suite_case);
    }
    return g_test_run();
}
