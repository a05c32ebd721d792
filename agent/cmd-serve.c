/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-serve.c: `ferry serve --stdio [--session] [--bus-address ADDR]`, the
 * JSON-RPC service for a controller that reaches the host over SSH, as the
 * forced command of an authorized_keys line (see README.md).  The protocol
 * and methods are in agent/stdio.c and agent/stdio-methods.c.
 */
#include <config.h>

#include <stdio.h>

#include "agent/stdio-priv.h"

int
cmd_serve(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *address = NULL;
    gboolean use_stdio = FALSE, session = FALSE;
    GOptionEntry entries[] = {
        { "stdio", 0, 0, G_OPTION_ARG_NONE, &use_stdio,
          "JSON-RPC 2.0 requests on stdin, one per line; answers on stdout",
          NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &session,
          "Reach ferry-agent on the session bus", NULL },
        { "bus-address", 0, 0, G_OPTION_ARG_STRING, &address,
          "Reach ferry-agent on the bus at ADDRESS (default $FERRY_BUS_ADDRESS, "
          "else the system bus)",
          "ADDRESS" },
        { NULL }
    };

    ctx = g_option_context_new("--stdio - serve ferry's methods as JSON-RPC");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_usage_error("serve", error->message);
    if (argc > 1)
        return agent_usage_error("serve", "unexpected argument");
    if (!use_stdio)
        return agent_usage_error("serve", "--stdio is the only transport");
    return agent_rpc_serve(session, address);
}
