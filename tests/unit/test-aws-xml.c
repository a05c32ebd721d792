/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-aws-xml.c: the XML answers of AWS as providers/aws-xml.c reads
 * them: lookups by local name whatever the namespace, the three shapes
 * of error body, a DTD refused, and what tests/fuzz/fuzz-aws-xml.c found;
 * and the JSON error of the EBS direct APIs, which has no XML at all.
 */
#include <config.h>

#include <string.h>

#include "providers/aws-call-priv.h"

static void
test_find_ignores_namespaces(void)
{
    static const char doc[] =
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/"
        "2011-06-15/\"><GetCallerIdentityResult><Account> 123456789012 "
        "</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
    g_autoptr(GError) error = NULL;
    g_autoptr(AwsXml) x = aws_xml_parse(doc, strlen(doc), &error);
    g_autofree char *account = NULL;

    g_assert_no_error(error);
    account = aws_xml_find(x, "Account");
    g_assert_cmpstr(account, ==, "123456789012");
    g_assert_cmpstr(aws_xml_root_name(x), ==, "GetCallerIdentityResponse");
}

static void
test_error_shapes(void)
{
    static const char *const docs[] = {
        "<Error><Code>NoSuchBucket</Code><Message>m</Message></Error>",
        "<ErrorResponse><Error><Code>NoSuchBucket</Code><Message>m</Message>"
        "</Error></ErrorResponse>",
        "<Response><Errors><Error><Code>NoSuchBucket</Code><Message>m"
        "</Message></Error></Errors></Response>",
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(docs); i++) {
        g_autofree char *code = NULL, *message = NULL;

        g_assert_true(aws_xml_parse_error(docs[i], strlen(docs[i]), &code,
                                          &message));
        g_assert_cmpstr(code, ==, "NoSuchBucket");
        g_assert_cmpstr(message, ==, "m");
    }
}

static void
test_doctype_refused(void)
{
    static const char doc[] =
        "<!DOCTYPE Error [<!ENTITY a \"aaaa\">]><Error><Code>&a;</Code>"
        "</Error>";
    g_autoptr(GError) error = NULL;
    g_autoptr(AwsXml) x = aws_xml_parse(doc, strlen(doc), &error);

    g_assert_null(x);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "document type declaration"));
}

/* An answer in a bad encoding made libxml2 2.9 print "encoding error"
 * lines on stderr (its generic error function), beside ferry's one
 * error line. */
static void
test_bad_encoding_stays_off_stderr(void)
{
    if (g_test_subprocess()) {
        static const char doc[] =
            "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><Error><Code>"
            "\xff\xff\xff\xff</Code></Error>";
        g_autoptr(GError) error = NULL;
        g_autoptr(AwsXml) x = aws_xml_parse(doc, sizeof(doc) - 1, &error);
        g_autofree char *code = NULL, *message = NULL;

        aws_xml_parse_error(doc, sizeof(doc) - 1, &code, &message);
        if (error)
            g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("");
}

/* EBS: the code in x-amzn-ErrorType, the message in the JSON body. */
static void
test_ebs_json_error(void)
{
    static const char body[] =
        "{\"message\":\"The snapshot 'snap-0' does not exist.\","
        "\"Reason\":\"SNAPSHOT_NOT_FOUND\"}";
    g_auto(HttpResponse) resp = { 0 };
    g_autoptr(GError) error = NULL;

    resp.status = 400;
    resp.headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         g_free);
    g_hash_table_insert(resp.headers, g_strdup("x-amzn-errortype"),
                        g_strdup("ValidationException:http://internal/"));
    resp.body = g_byte_array_new();
    g_byte_array_append(resp.body, (const guint8 *)body, strlen(body));
    g_assert_false(aws_error_from_response("ebs", "PutSnapshotBlock", &resp,
                                           &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE);
    g_assert_cmpstr(error->message, ==,
                    "ebs PutSnapshotBlock: ValidationException: The snapshot "
                    "'snap-0' does not exist. (HTTP 400)");
    g_clear_error(&error);

    /* AccessDeniedException is an auth failure (exit 8), as in XML. */
    g_hash_table_insert(resp.headers, g_strdup("x-amzn-errortype"),
                        g_strdup("AccessDeniedException"));
    resp.status = 403;
    g_assert_false(aws_error_from_response("ebs", "StartSnapshot", &resp,
                                           &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "AccessDeniedException"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/providers/aws/xml/find-ignores-namespaces",
                    test_find_ignores_namespaces);
    g_test_add_func("/providers/aws/xml/error-shapes", test_error_shapes);
    g_test_add_func("/providers/aws/xml/doctype-refused", test_doctype_refused);
    g_test_add_func("/providers/aws/xml/bad-encoding-stays-off-stderr",
                    test_bad_encoding_stays_off_stderr);
    g_test_add_func("/providers/aws/error/ebs-json", test_ebs_json_error);
    return g_test_run();
}
