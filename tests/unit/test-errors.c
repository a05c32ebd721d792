/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-errors.c: error codes map to distinct, documented exit statuses. */
#include <config.h>

#include <gio/gio.h>

#include "agent/agent.h"

static void
test_errors_exit_status_per_code(void)
{
    g_autoptr(GError) invalid = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_INVALID, "x");
    g_autoptr(GError) corrupt = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_CORRUPT, "x");
    g_autoptr(GError) cancelled = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");
    g_autoptr(GError) foreign = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");

    g_assert_cmpint(agent_exit_status(NULL), ==, 0);
    g_assert_cmpint(agent_exit_status(invalid), ==, AGENT_EXIT_USAGE);
    g_assert_cmpint(agent_exit_status(corrupt), ==, AGENT_EXIT_CORRUPT);
    g_assert_cmpint(agent_exit_status(cancelled), ==, AGENT_EXIT_CANCELLED);
    g_assert_cmpint(agent_exit_status(foreign), ==, AGENT_EXIT_FAILED);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/agent/errors/exit-status-per-code", test_errors_exit_status_per_code);
    return g_test_run();
}
