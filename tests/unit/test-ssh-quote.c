/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ssh-quote.c: remote command quoting, judged by a real POSIX shell
 * (/bin/sh must give back every argument byte for byte), and the secret
 * readers.
 */
#include <config.h>

#include <string.h>
#include <glib/gstdio.h>

#include "transport/ssh-priv.h"

static const char *const hostile[] = {
    "plain",
    "with space",
    "it's",
    "'",
    "''",
    "$(touch /tmp/ferry-pwned)",
    "`id`",
    "a\"b",
    "back\\slash",
    "semi;colon && or || pipe |",
    "new\nline",
    "glob * ? [a]",
    "~user",
    "-n",
    "$HOME ${HOME} $1",
    "",
    "tab\there",
    "!bang",
    NULL
};

static void
test_quote_simple(void)
{
    g_autofree char *a = ssh_quote_arg("abc");
    g_autofree char *b = ssh_quote_arg("it's");
    g_autofree char *c = ssh_quote_arg("");

    g_assert_cmpstr(a, ==, "'abc'");
    g_assert_cmpstr(b, ==, "'it'\\''s'");
    g_assert_cmpstr(c, ==, "''");
}

static void
test_quote_round_trips_through_sh(void)
{
    g_autofree char *line = ssh_command_line(hostile);
    g_autofree char *script = g_strdup_printf("printf '%%s\\0' %s", line);
    const char *argv[] = { "/bin/sh", "-c", script, NULL };
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    gsize i, pos = 0, len;
    int status = -1;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, NULL, &status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 0);
    /* NUL-separated: each argument must come back unchanged. */
    for (i = 0; hostile[i]; i++) {
        len = strlen(hostile[i]);
        g_assert_cmpstr(out + pos, ==, hostile[i]);
        pos += len + 1;
    }
    g_assert_false(g_file_test("/tmp/ferry-pwned", G_FILE_TEST_EXISTS));
}

static void
test_secret_file_chomps_one_newline(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("ferry-test-secret-XXXXXX", &error);
    g_autofree char *path = g_build_filename(dir, "pass", NULL);
    char *secret;

    g_assert_true(g_file_set_contents(path, "s3cret pass\n\n", -1, &error));
    secret = ssh_secret_read_file(path, "passphrase", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(secret, ==, "s3cret pass\n");
    ssh_secret_free(secret);
    g_unlink(path);
    g_rmdir(dir);
}

static void
test_secret_file_too_long(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("ferry-test-secret-XXXXXX", &error);
    g_autofree char *path = g_build_filename(dir, "pass", NULL);
    g_autofree char *big = g_strnfill(SSH_MAX_SECRET + 1, 'x');

    g_assert_true(g_file_set_contents(path, big, -1, &error));
    g_assert_null(ssh_secret_read_file(path, "password", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, path));
    g_assert_nonnull(strstr(error->message, "password file"));
    g_unlink(path);
    g_rmdir(dir);
}

static void
test_secret_env_missing(void)
{
    g_autoptr(GError) error = NULL;

    g_unsetenv("FERRY_TEST_NO_SUCH_VAR");
    g_assert_null(ssh_secret_from_env("FERRY_TEST_NO_SUCH_VAR", "password",
                                      &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "FERRY_TEST_NO_SUCH_VAR"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/transport/ssh/quote/single-quotes-escaped",
                    test_quote_simple);
    g_test_add_func("/transport/ssh/quote/hostile-args-round-trip-through-sh",
                    test_quote_round_trips_through_sh);
    g_test_add_func("/transport/ssh/secret/file-drops-one-newline",
                    test_secret_file_chomps_one_newline);
    g_test_add_func("/transport/ssh/secret/file-over-cap-refused",
                    test_secret_file_too_long);
    g_test_add_func("/transport/ssh/secret/env-missing-refused",
                    test_secret_env_missing);
    return g_test_run();
}
