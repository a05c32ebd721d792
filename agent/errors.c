/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * errors.c: the one table mapping ferry's error codes to exit statuses, and
 * the one place that prints an error for a person.
 */
#include <config.h>

#include <gio/gio.h>
#include <stdio.h>

#include "agent/agent.h"

static const int agent_exit_by_code[] = {
    [FERRY_ERROR_FAILED] = AGENT_EXIT_FAILED,
    [FERRY_ERROR_INVALID] = AGENT_EXIT_USAGE,
    [FERRY_ERROR_NOT_FOUND] = AGENT_EXIT_NOT_FOUND,
    [FERRY_ERROR_BUSY] = AGENT_EXIT_BUSY,
    [FERRY_ERROR_UNSUPPORTED] = AGENT_EXIT_UNSUPPORTED,
    [FERRY_ERROR_CORRUPT] = AGENT_EXIT_CORRUPT,
    [FERRY_ERROR_IO] = AGENT_EXIT_IO,
    [FERRY_ERROR_AUTH] = AGENT_EXIT_AUTH,
    [FERRY_ERROR_NETWORK] = AGENT_EXIT_NETWORK,
    [FERRY_ERROR_REMOTE] = AGENT_EXIT_REMOTE,
    [FERRY_ERROR_CHECKSUM] = AGENT_EXIT_CHECKSUM,
    [FERRY_ERROR_EXISTS] = AGENT_EXIT_EXISTS,
};
G_STATIC_ASSERT(G_N_ELEMENTS(agent_exit_by_code) == FERRY_ERROR_LAST);

int
agent_exit_status(const GError *error)
{
    if (!error)
        return 0;
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return AGENT_EXIT_CANCELLED;
    if (error->domain == FERRY_ERROR && error->code >= 0 &&
        error->code < FERRY_ERROR_LAST)
        return agent_exit_by_code[error->code];
    if (error->domain == G_OPTION_ERROR)
        return AGENT_EXIT_USAGE;
    return AGENT_EXIT_FAILED;
}

int
agent_fail(const GError *error)
{
    g_autofree char *flat = NULL;

    /* One line, always: a message with a newline from a library is folded. */
    flat = g_strdelimit(g_strdup(error->message), "\r\n", ' ');
    fprintf(stderr, "ferry: %s\n", flat);
    return agent_exit_status(error);
}

int
agent_usage_error(const char *verb, const char *message)
{
    /* "ferry: " as every other error (README), the verb after it. */
    fprintf(stderr, "ferry: %s: %s (see 'ferry %s --help')\n", verb, message,
            verb);
    return AGENT_EXIT_USAGE;
}
