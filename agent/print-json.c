/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * print-json.c: every verb's --json output goes through here, so that they
 * all end in one newline and are flushed at once (a controller reading
 * events line by line must not wait for a buffer to fill).
 */
#include <config.h>

#include "agent/agent.h"

void
agent_print_json(FILE *stream, JsonNode *node, gboolean pretty)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;

    json_generator_set_root(gen, node);
    json_generator_set_pretty(gen, pretty);
    text = json_generator_to_data(gen, NULL);
    fprintf(stream, "%s\n", text);
    fflush(stream);
}

void
agent_print_json_builder(FILE *stream, JsonBuilder *b, gboolean pretty)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);

    agent_print_json(stream, root, pretty);
}
