/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-stdio-request.c: `ferry serve --stdio`'s input path, as the service
 * runs it: the line reader (with a small cap, so that over-long lines are
 * reached), then the JSON-RPC request parser and the error line for every
 * line it refuses, options to a{sv} for those it takes.
 * FUZZ_EXTRA_SOURCES: agent/stdio.c
 */
#include <config.h>

#include "agent/stdio-priv.h"

static void
fuzz_line(const char *line, gsize len, gboolean too_long, gpointer data)
{
    g_autoptr(AgentRpcRequest) req = NULL;
    g_autoptr(JsonNode) id = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) options = NULL;
    g_autofree char *out = NULL;
    int code;

    if (too_long)
        return;
    req = agent_rpc_parse(line, len, &code, &id, &error);
    if (!req) {
        out = agent_rpc_error_line(id, code, error->message, NULL);
        return;
    }
    options = agent_rpc_options_to_variant(req->params, NULL);
    out = agent_rpc_result_line(req->id, NULL);
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    AgentLineReader reader;

    agent_line_reader_init(&reader, 4096);
    agent_line_reader_feed(&reader, data, size, fuzz_line, NULL);
    agent_line_reader_finish(&reader, fuzz_line, NULL);
    agent_line_reader_clear(&reader);
    return 0;
}
