/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-receive.c: `ferry receive [--resume OFFSET] POOL NAME.part` and
 * `ferry receive --hello`: the target end of an ssh:// export, run by the
 * sender over an SSH exec channel with the protocol on stdin and stdout
 * (agent/receive.c, docs/receive-protocol.md).  It runs as the SSH user
 * with that user's rights and writes nothing but NAME.part in POOL.
 */
#include <config.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "agent/receive-priv.h"

int
cmd_receive(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *resume_text = NULL;
    gboolean hello = FALSE;
    AgentReceiveOptions o = { 0 };
    gboolean ok;
    int dfd;
    GOptionEntry entries[] = {
        { "hello", 0, 0, G_OPTION_ARG_NONE, &hello,
          "Only send the protocol greeting (the sender's probe)", NULL },
        { "resume", 0, 0, G_OPTION_ARG_STRING, &resume_text,
          "Continue NAME from its kept prefix, at most OFFSET bytes", "OFFSET" },
        { NULL }
    };

    ctx = g_option_context_new(
        "POOL NAME.part - write one file of an ssh:// export (run by ferry "
        "export over SSH; the protocol is on stdin and stdout)");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_usage_error("receive", error->message);
    /* A sender that went away is an error on the next write, not a
     * signal that skips the fsync. */
    signal(SIGPIPE, SIG_IGN);
    if (hello) {
        if (argc != 1)
            return agent_usage_error("receive", "--hello takes no arguments");
        if (!agent_receive_hello(STDOUT_FILENO, &error))
            return agent_fail(error);
        return 0;
    }
    if (argc != 3)
        return agent_usage_error("receive", "expected POOL and NAME.part");
    if (!g_path_is_absolute(argv[1]))
        return agent_usage_error("receive", "POOL must be an absolute path");
    if (resume_text &&
        !g_ascii_string_to_unsigned(resume_text, 10, 0, G_MAXINT64,
                                    &o.resume_max, NULL))
        return agent_usage_error("receive",
                                 "--resume: expected a byte offset");
    /* Following a link to the pool itself is deliberate, as for file://:
     * the pool path is the admin's; nothing inside it is followed. */
    dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        g_set_error(&error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "open: %s: %s", argv[1], g_strerror(errno));
        return agent_fail(error);
    }
    o.in_fd = STDIN_FILENO;
    o.out_fd = STDOUT_FILENO;
    o.pool_fd = dfd;
    o.pool = argv[1];
    o.name = argv[2];
    o.resume = resume_text != NULL;
    o.max_size = AGENT_RECEIVE_DEFAULT_MAX_SIZE;
    ok = agent_receive_run(&o, &error);
    close(dfd);
    if (!ok)
        return agent_fail(error);
    return 0;
}
