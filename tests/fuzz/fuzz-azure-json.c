/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-azure-json.c: an answer of Azure Resource Manager or of the token
 * endpoint as azure-disk:// reads it (providers/azure-json.c): the object
 * parse with its depth cap, ARM's error shape under 401, 409 and 500, and
 * every member the target reads (a disk's state, an operation's status
 * and output, a token), whose text for messages must be one line.
 * FUZZ_EXTRA_SOURCES: providers/azure-json.c
 */
#include <config.h>

#include <string.h>

#include "providers/azure-arm-priv.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static const char *const fuzz_texts[] = {
    "status", "error", "error_description", "code", "message",
};
static const char *const fuzz_paths[] = {
    "properties.diskState", "properties.output.accessSAS",
    "error.code", "properties.diskSizeBytes", "id",
};

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    static const long statuses[] = { 401, 409, 500 };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) o = NULL;
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(statuses); i++) {
        g_autoptr(GError) e = NULL;

        g_assert_false(azure_arm_error("Fuzz", statuses[i], data, size, &e));
        g_assert(e && e->domain == FERRY_ERROR && !strchr(e->message, '\n'));
    }
    o = azure_arm_parse_object("Fuzz", data, size, &error);
    g_assert((o == NULL) != (error == NULL));
    if (!o)
        return 0;
    for (i = 0; i < G_N_ELEMENTS(fuzz_texts); i++) {
        g_autofree char *t = azure_json_dup_text(o, fuzz_texts[i], 1024);

        g_assert(!t || (strlen(t) <= 1024 && !strchr(t, '\n')));
    }
    for (i = 0; i < G_N_ELEMENTS(fuzz_paths); i++) {
        g_autofree char *s = azure_json_path_string(o, fuzz_paths[i]);

        (void)s;
    }
    (void)azure_json_get_int(o, "expires_in", 0);
    {
        g_autofree char *tok = azure_json_dup_string(o, "access_token");

        (void)tok;
    }
    return 0;
}
