/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-aws-xml.c: an XML answer of S3, EC2, IAM or STS as the aws://
 * target reads it (providers/aws-xml.c): aws_xml_parse() with its size
 * cap and DTD refusal, then every lookup the target makes of an answer
 * (the account, an upload id, an import task's status and image, the
 * keys of a listing) and aws_xml_parse_error(), whose code and message
 * reach an error line and so must be one printable line.
 * FUZZ_EXTRA_SOURCES: providers/aws-xml.c
 */
#include <config.h>

#include <string.h>

#include "providers/aws-priv.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/* What target-aws.c, aws-s3.c and aws-import.c look up. */
static const char *const fuzz_paths[] = {
    "Account", "UploadId", "importTaskId", "status", "statusMessage",
    "progress", "imageId", "Error/Code", "Errors/Error/Message", "Role/Arn",
};

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    g_autoptr(AwsXml) x = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *code = NULL, *message = NULL;
    gsize i;

    x = aws_xml_parse(data, size, &error);
    g_assert((x == NULL) != (error == NULL));
    if (x) {
        g_auto(GStrv) keys = aws_xml_find_all(x, "Key");

        g_assert(aws_xml_root_name(x) != NULL);
        for (i = 0; i < G_N_ELEMENTS(fuzz_paths); i++) {
            g_autofree char *v = aws_xml_find(x, fuzz_paths[i]);

            g_assert(!v || g_utf8_validate(v, -1, NULL));
        }
        g_assert(keys != NULL);
    }
    if (aws_xml_parse_error(data, size, &code, &message)) {
        const char *p;

        g_assert(code || message);
        for (p = message; p && *p; p++)
            g_assert((guchar)*p >= 0x20 && *p != 0x7f);
        g_assert(!message || g_utf8_validate(message, -1, NULL));
        g_assert(!code || ferry_check_text("code", code, 256, NULL));
    }
    return 0;
}
