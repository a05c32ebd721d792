/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-cloudstack-json.c: an answer of the CloudStack API as the
 * cloudstack:// target reads it (providers/cloudstack-json.c):
 * cs_answer_parse() with its size and depth caps, under a good and an
 * error HTTP status, then every lookup the target makes of an answer (the
 * lists and the members it reads), whose text must be one printable line.
 * FUZZ_EXTRA_SOURCES: providers/cloudstack-json.c
 */
#include <config.h>

#include <string.h>

#include "providers/cloudstack-priv.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static const char *const fuzz_lists[] = {
    "zone", "storagepool", "host", "serviceoffering", "network",
    "diskoffering", "virtualmachine",
};
static const char *const fuzz_members[] = {
    "id", "name", "type", "path", "clusterid", "zoneid", "state",
    "resourcestate", "ipaddress", "iscustomized", "jobid", "jobstatus",
    "jobprocstatus", "errortext", "errorcode",
};

static void
fuzz_object(JsonObject *o)
{
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(fuzz_members); i++) {
        g_autofree char *v = cs_json_dup_string(o, fuzz_members[i]);

        g_assert(!v || !strchr(v, '\n'));
    }
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    static const long statuses[] = { 200, 431 };
    gsize s, i, j;

    for (s = 0; s < G_N_ELEMENTS(statuses); s++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonObject) o = cs_answer_parse("queryAsyncJobResult",
                                                  statuses[s], data, size,
                                                  &error);

        g_assert((o == NULL) != (error == NULL));
        if (error) {
            g_assert(error->domain == FERRY_ERROR);
            continue;
        }
        fuzz_object(o);
        for (i = 0; i < G_N_ELEMENTS(fuzz_lists); i++) {
            JsonArray *a = cs_json_list(o, fuzz_lists[i]);

            for (j = 0; a && j < json_array_get_length(a); j++) {
                JsonNode *n = json_array_get_element(a, j);

                if (JSON_NODE_HOLDS_OBJECT(n))
                    fuzz_object(json_node_get_object(n));
            }
        }
    }
    return 0;
}
