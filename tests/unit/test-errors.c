/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-errors.c: error codes map to distinct, documented exit statuses. */
#include <config.h>

#include <string.h>

#include <gio/gio.h>

#include "agent/agent.h"

static void
test_errors_exit_status_per_code(void)
{
    g_autoptr(GError) invalid = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_INVALID, "x");
    g_autoptr(GError) corrupt = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_CORRUPT, "x");
    g_autoptr(GError) cancelled = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");
    g_autoptr(GError) foreign = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");
    g_autoptr(GError) exists = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_EXISTS, "x");
    g_autoptr(GError) busy = g_error_new_literal(FERRY_ERROR, FERRY_ERROR_BUSY, "x");

    g_assert_cmpint(agent_exit_status(NULL), ==, 0);
    g_assert_cmpint(agent_exit_status(invalid), ==, AGENT_EXIT_USAGE);
    g_assert_cmpint(agent_exit_status(corrupt), ==, AGENT_EXIT_CORRUPT);
    g_assert_cmpint(agent_exit_status(cancelled), ==, AGENT_EXIT_CANCELLED);
    g_assert_cmpint(agent_exit_status(foreign), ==, AGENT_EXIT_FAILED);
    /* README's list: 4 is a running domain, 12 an export already there. */
    g_assert_cmpint(agent_exit_status(busy), ==, 4);
    g_assert_cmpint(agent_exit_status(exists), ==, 12);
}

/* Every code has its own exit status and D-Bus name: a caller can tell
 * each kind of failure from every other. */
static void
test_errors_distinct_per_code(void)
{
    g_autoptr(GHashTable) statuses = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    int code;

    for (code = 0; code < FERRY_ERROR_LAST; code++) {
        g_autoptr(GError) e = g_error_new_literal(FERRY_ERROR, code, "x");
        int status = agent_exit_status(e);

        g_assert_false(g_hash_table_contains(statuses, GINT_TO_POINTER(status)));
        g_hash_table_add(statuses, GINT_TO_POINTER(status));
        g_assert_false(g_hash_table_contains(names, agent_dbus_error_name(code)));
        g_hash_table_add(names, (gpointer)agent_dbus_error_name(code));
    }
    g_assert_cmpstr(agent_dbus_error_name(FERRY_ERROR_EXISTS), ==, "org.ferry.Error.Exists");
}

/* The one nesting check before json-glib parses outside JSON: the cap
 * itself passes, one more level fails, and brackets inside strings (with
 * escaped quotes) are not counted. */
static void
test_errors_json_depth(void)
{
    static const struct {
        const char *json;
        guint max;
        gboolean ok;
    } cases[] = {
        { "", 1, TRUE },
        { "{}", 1, TRUE },
        { "[[]]", 1, FALSE },
        { "[[]]", 2, TRUE },
        { "{\"a\": [{\"b\": 1}]}", 3, TRUE },
        { "{\"a\": [{\"b\": 1}]}", 2, FALSE },
        { "[\"[[[[\"]", 1, TRUE },
        { "[\"\\\"[[[[\"]", 1, TRUE },
        { "[\"\\\\\", [[]]]", 2, FALSE },
        { "]]]][[", 2, TRUE },
        { "]]]][[[", 2, FALSE },
    };
    g_autoptr(GString) deep = g_string_new(NULL);
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpint(ferry_json_depth_ok(cases[i].json,
                                            strlen(cases[i].json),
                                            cases[i].max), ==, cases[i].ok);
    for (i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    g_assert_false(ferry_json_depth_ok(deep->str, deep->len,
                                       FERRY_MAX_JSON_DEPTH));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/agent/errors/exit-status-per-code", test_errors_exit_status_per_code);
    g_test_add_func("/conv/errors/json-depth", test_errors_json_depth);
    g_test_add_func("/agent/errors/distinct-status-and-name-per-code",
                    test_errors_distinct_per_code);
    return g_test_run();
}
