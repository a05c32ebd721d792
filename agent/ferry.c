/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry.c: the `ferry` command: finds the verb and hands over its argv.
 * Each verb lives in its own agent/cmd-<verb>.c and parses its own options.
 */
#include <config.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/receive-priv.h"

static const AgentCommand ferry_commands[] = {
    { "list", cmd_list, "list the stopped domains that can be exported" },
    { "info", cmd_info,
      "show an image's format, virtual size and backing chain" },
    { "map", cmd_map,
      "show an image's allocation map (data and zero extents)" },
    { "convert", cmd_convert, "convert an image to another format" },
    { "inspect", cmd_inspect,
      "show what a domain's or image's disks hold: partitions, OS, drivers" },
    { "export", cmd_export,
      "export a stopped domain's disks to a file:// or ssh:// pool" },
    { "jobs", cmd_jobs, "list ferry-agent's jobs" },
    { "watch", cmd_watch, "follow a job's progress to its end" },
    { "cancel", cmd_cancel, "cancel a queued or running job" },
    { "resume", cmd_resume,
      "queue an interrupted, failed or cancelled job again" },
    { "serve", cmd_serve, "serve JSON-RPC on stdin/stdout (--stdio), for SSH" },
    { "receive", cmd_receive,
      "write one file of an ssh:// export on the target (run by export)" },
};

static void
ferry_print_help(FILE *out)
{
    gsize i;

    fprintf(out, "Usage: ferry COMMAND [OPTION...]\n\nCommands:\n");
    for (i = 0; i < G_N_ELEMENTS(ferry_commands); i++)
        fprintf(out, "  %-10s %s\n", ferry_commands[i].name,
                ferry_commands[i].summary);
    fprintf(out, "\n'ferry COMMAND --help' describes a command's options.\n");
}

int
main(int argc, char **argv)
{
    gsize i;

    setlocale(LC_ALL, "");
    if (argc < 2) {
        ferry_print_help(stderr);
        return AGENT_EXIT_USAGE;
    }
    if (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h") ||
        g_str_equal(argv[1], "help")) {
        ferry_print_help(stdout);
        return 0;
    }
    if (g_str_equal(argv[1], "--version")) {
        printf("ferry %s\n", PACKAGE_VERSION);
        return 0;
    }
    for (i = 0; i < G_N_ELEMENTS(ferry_commands); i++) {
        if (g_str_equal(argv[1], ferry_commands[i].name)) {
            g_autofree char *prgname = g_strconcat("ferry ", argv[1], NULL);

            /* GOption's --help names the program from argv[0], which is
             * the verb alone here: "export [OPTION…] VM" is no command. */
            g_set_prgname(prgname);
            return ferry_commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "ferry: unknown command '%s' (see 'ferry --help')\n",
            argv[1]);
    return AGENT_EXIT_USAGE;
}
