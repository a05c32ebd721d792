/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-knownhosts.c: known_hosts matching, the policy on top of it, and the
 * parser's limits.  Keys and files are in tests/fixtures/knownhosts/, made
 * with ssh-keygen (hashed.known_hosts by `ssh-keygen -H`, the expected
 * fingerprints by `ssh-keygen -l -E sha256`).
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "transport/ssh-priv.h"

#define FIXTURES FERRY_TEST_SRCDIR "/fixtures/knownhosts"

static char *
fixture_path(const char *name)
{
    return g_build_filename(FIXTURES, name, NULL);
}

/* The key blob of key-<name>.pub. */
static GBytes *
load_key(const char *name)
{
    g_autofree char *file = g_strdup_printf("key-%s.pub", name);
    g_autofree char *path = fixture_path(file);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    g_autoptr(GError) error = NULL;
    guint8 *blob;
    gsize len = 0;

    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error);
    fields = g_strsplit(g_strstrip(text), " ", 3);
    g_assert_nonnull(fields[1]);
    blob = ssh_base64_decode_strict(fields[1], strlen(fields[1]), &len);
    g_assert_nonnull(blob);
    return g_bytes_new_take(blob, len);
}

static char *
load_fingerprint(const char *name)
{
    g_autofree char *file = g_strdup_printf("key-%s.fingerprint", name);
    g_autofree char *path = fixture_path(file);
    g_autofree char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return g_strdup(g_strstrip(text));
}

/* Looks @host:@port up in fixture @file with key @key. */
static SshKnownHostStatus
lookup(const char *file, const char *host, guint16 port, const char *key,
       guint *line)
{
    g_autofree char *path = fixture_path(file);
    const char *files[] = { path, NULL };
    g_autoptr(GBytes) blob = load_key(key);
    g_autoptr(GError) error = NULL;
    SshKnownHostResult result;
    SshKnownHostStatus status;
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(blob, &len);

    g_assert_true(ssh_known_hosts_lookup(files, host, port, data, len,
                                         &result, &error));
    g_assert_no_error(error);
    status = result.status;
    if (line)
        *line = result.line;
    if (status != SSH_KNOWN_HOST_UNKNOWN)
        g_assert_cmpstr(result.file, ==, path);
    ssh_known_host_result_clear(&result);
    return status;
}

static void
test_fingerprint_like_ssh_keygen(void)
{
    const char *keys[] = { "a", "b", "c", "d" };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(keys); i++) {
        g_autoptr(GBytes) blob = load_key(keys[i]);
        g_autofree char *expected = load_fingerprint(keys[i]);
        gsize len = 0;
        const guint8 *data = g_bytes_get_data(blob, &len);
        g_autofree char *fp = ssh_key_fingerprint(data, len);

        g_assert_cmpstr(fp, ==, expected);
    }
}

static void
test_plain_entry_matches(void)
{
    guint line = 0;

    g_assert_cmpint(lookup("plain.known_hosts", "server.example", 22, "a", &line),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(line, ==, 4);
    /* The second name on the line, and names without regard to case. */
    g_assert_cmpint(lookup("plain.known_hosts", "10.0.0.5", 22, "a", NULL),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpint(lookup("plain.known_hosts", "SERVER.Example", 22, "a", NULL),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpint(lookup("plain.known_hosts", "other.example", 22, "d", NULL),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpint(lookup("plain.known_hosts", "nobody.example", 22, "a", NULL),
                    ==, SSH_KNOWN_HOST_UNKNOWN);
}

static void
test_hashed_entry_matches(void)
{
    guint line = 0;

    g_assert_cmpint(lookup("hashed.known_hosts", "server.example", 22, "a", &line),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(line, ==, 1);
    g_assert_cmpint(lookup("hashed.known_hosts", "other.example", 22, "d", &line),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(line, ==, 3);
    g_assert_cmpint(lookup("hashed.known_hosts", "server.example", 22, "b", &line),
                    ==, SSH_KNOWN_HOST_MISMATCH);
    g_assert_cmpint(lookup("hashed.known_hosts", "server2.example", 22, "a", NULL),
                    ==, SSH_KNOWN_HOST_UNKNOWN);
}

static void
test_hashed_port_entry_matches(void)
{
    guint line = 0;

    g_assert_cmpint(lookup("hashed.known_hosts", "server.example", 2222, "a", &line),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(line, ==, 2);
    g_assert_cmpint(lookup("hashed.known_hosts", "server.example", 2223, "a", NULL),
                    ==, SSH_KNOWN_HOST_UNKNOWN);
}

static void
test_port_entry_needs_brackets(void)
{
    guint line = 0;

    /* Port 2222 matches only "[server.example]:2222", never the plain
     * name, which belongs to port 22 and holds another key. */
    g_assert_cmpint(lookup("port.known_hosts", "server.example", 2222, "a", &line),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(line, ==, 4);
    g_assert_cmpint(lookup("port.known_hosts", "server.example", 22, "a", &line),
                    ==, SSH_KNOWN_HOST_MISMATCH);
    g_assert_cmpuint(line, ==, 3);
    g_assert_cmpint(lookup("plain.known_hosts", "server.example", 2222, "a", NULL),
                    ==, SSH_KNOWN_HOST_UNKNOWN);
}

static void
test_known_hosts_name(void)
{
    g_autofree char *a = ssh_known_hosts_name("Host.Example", 22);
    g_autofree char *b = ssh_known_hosts_name("::1", 2222);

    g_assert_cmpstr(a, ==, "host.example");
    g_assert_cmpstr(b, ==, "[::1]:2222");
}

static void
test_wildcard_and_negation(void)
{
    g_assert_cmpint(lookup("wildcard.known_hosts", "web.example", 22, "a", NULL),
                    ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpint(lookup("wildcard.known_hosts", "evil.example", 22, "a", NULL),
                    ==, SSH_KNOWN_HOST_UNKNOWN);
    g_assert_cmpint(lookup("wildcard.known_hosts", "example", 22, "a", NULL),
                    ==, SSH_KNOWN_HOST_UNKNOWN);
}

static void
test_key_type_must_match(void)
{
    guint line = 0;

    /* Only an ecdsa key is known: an ed25519 one is neither a match nor a
     * changed key. */
    g_assert_cmpint(lookup("other-type.known_hosts", "server.example", 22, "a",
                           &line), ==, SSH_KNOWN_HOST_OTHER_TYPE);
    g_assert_cmpuint(line, ==, 1);
    g_assert_cmpint(lookup("other-type.known_hosts", "server.example", 22, "c",
                           NULL), ==, SSH_KNOWN_HOST_MATCH);
}

static void
test_revoked_key_refused(void)
{
    guint line = 0;

    g_assert_cmpint(lookup("revoked.known_hosts", "server.example", 22, "a", &line),
                    ==, SSH_KNOWN_HOST_REVOKED);
    g_assert_cmpuint(line, ==, 2);
    /* A revoked line for another key says nothing about this one. */
    g_assert_cmpint(lookup("revoked.known_hosts", "server.example", 22, "b", &line),
                    ==, SSH_KNOWN_HOST_MISMATCH);
}

static void
test_cert_authority_ignored(void)
{
    g_assert_cmpint(lookup("cert-authority.known_hosts", "web.example", 22, "a",
                           NULL), ==, SSH_KNOWN_HOST_UNKNOWN);
}

static void
test_bad_lines_skipped(void)
{
    guint line = 0;

    /* Lines 1-7 are broken in seven ways; line 8 is the good one and the
     * only one that counts (a truncated key is not a "changed" key). */
    g_assert_cmpint(lookup("bad-base64.known_hosts", "server.example", 22, "a",
                           &line), ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(line, ==, 8);
    g_assert_cmpint(lookup("bad-base64.known_hosts", "server.example", 22, "b",
                           &line), ==, SSH_KNOWN_HOST_MISMATCH);
    g_assert_cmpuint(line, ==, 8);
}

static void
test_base64_strict(void)
{
    gsize len = 0;
    g_autofree guint8 *ok = ssh_base64_decode_strict("aGk=", 4, &len);

    g_assert_nonnull(ok);
    g_assert_cmpuint(len, ==, 2);
    g_assert_null(ssh_base64_decode_strict("aGk", 3, &len));
    g_assert_null(ssh_base64_decode_strict("a=Gk", 4, &len));
    g_assert_null(ssh_base64_decode_strict("a===", 4, &len));
    g_assert_null(ssh_base64_decode_strict("aG k", 4, &len));
    g_assert_null(ssh_base64_decode_strict("", 0, &len));
}

/* Writes @contents to a new file in a new temporary directory. */
static char *
write_temp(const char *contents, gssize len, char **dir_out)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("ferry-test-kh-XXXXXX", &error);
    char *path;

    g_assert_no_error(error);
    path = g_build_filename(dir, "known_hosts", NULL);
    if (contents) {
        g_file_set_contents(path, contents, len, &error);
        g_assert_no_error(error);
    }
    *dir_out = dir;
    return path;
}

static void
remove_temp(char *path, char *dir)
{
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

static void
test_long_line_skipped(void)
{
    g_autoptr(GBytes) blob = load_key("a");
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(blob, &len);
    g_autofree char *b64 = g_base64_encode(data, len);
    g_autofree char *pad = g_strnfill(SSH_KNOWN_HOSTS_MAX_LINE, 'x');
    g_autofree char *text = g_strdup_printf(
        "server.example ssh-ed25519 %s %s\nserver.example ssh-ed25519 %s\n",
        b64, pad, b64);
    char *dir = NULL;
    char *path = write_temp(text, -1, &dir);
    const char *files[] = { path, NULL };
    SshKnownHostResult result;
    g_autoptr(GError) error = NULL;

    g_assert_true(ssh_known_hosts_lookup(files, "server.example", 22, data,
                                         len, &result, &error));
    g_assert_cmpint(result.status, ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(result.line, ==, 2);
    ssh_known_host_result_clear(&result);
    remove_temp(path, dir);
}

/* fuzz-known-hosts: a host pattern that is not UTF-8 (this one, as the
 * fuzzer found it) made GLib's pattern matcher abort.  Patterns are matched as bytes, as OpenSSH does: the line
 * is read, does not match, and the good line after it does. */
static void
test_non_utf8_pattern_no_crash(void)
{
    g_autoptr(GBytes) blob = load_key("a");
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(blob, &len);
    g_autofree char *b64 = g_base64_encode(data, len);
    g_autofree char *text = g_strdup_printf(
        "\xd9xaPP5bg=*0\x01X#0.1]:2222\xf2,\xc2\xc2 ssh-ed25519 %s\n"
        "serv?r.*ample ssh-ed25519 %s\n", b64, b64);
    char *dir = NULL;
    char *path = write_temp(text, -1, &dir);
    const char *files[] = { path, NULL };
    SshKnownHostResult result;

    g_assert_true(ssh_known_hosts_lookup(files, "server.example", 22, data,
                                         len, &result, NULL));
    g_assert_cmpint(result.status, ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(result.line, ==, 2);
    ssh_known_host_result_clear(&result);
    g_assert_true(ssh_known_hosts_lookup(files, "\xd9xapp5bg=zz0\x01x#0.1]:2222\xf2",
                                         22, data, len, &result, NULL));
    g_assert_cmpint(result.status, ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(result.line, ==, 1);
    ssh_known_host_result_clear(&result);
    remove_temp(path, dir);
}

static void
test_nul_byte_line_skipped(void)
{
    g_autoptr(GBytes) blob = load_key("a");
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(blob, &len);
    g_autofree char *b64 = g_base64_encode(data, len);
    g_autofree char *text = g_strdup_printf("server.example ssh-ed25519 %s\n",
                                            b64);
    gsize tlen = strlen(text);
    char *dir = NULL;
    char *path = NULL;
    const char *files[2] = { NULL, NULL };
    SshKnownHostResult result;

    text[tlen - 1] = '\0';          /* a NUL where the newline was */
    path = write_temp(text, tlen, &dir);
    files[0] = path;
    g_assert_true(ssh_known_hosts_lookup(files, "server.example", 22, data,
                                         len, &result, NULL));
    g_assert_cmpint(result.status, ==, SSH_KNOWN_HOST_UNKNOWN);
    remove_temp(path, dir);
}

static void
test_file_too_large_refused(void)
{
    g_autoptr(GBytes) blob = load_key("a");
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(blob, &len);
    char *dir = NULL;
    char *path = write_temp("", 0, &dir);
    const char *files[] = { path, NULL };
    SshKnownHostResult result;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(truncate(path, SSH_KNOWN_HOSTS_MAX_BYTES + 1), ==, 0);
    g_assert_false(ssh_known_hosts_lookup(files, "server.example", 22, data,
                                          len, &result, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, path));
    g_assert_nonnull(strstr(error->message, "known_hosts size"));
    remove_temp(path, dir);
}

static void
test_missing_file_is_empty(void)
{
    g_autoptr(GBytes) blob = load_key("a");
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(blob, &len);
    const char *files[] = { FIXTURES "/no-such-file", NULL };
    SshKnownHostResult result;
    g_autoptr(GError) error = NULL;

    g_assert_true(ssh_known_hosts_lookup(files, "server.example", 22, data,
                                         len, &result, &error));
    g_assert_no_error(error);
    g_assert_cmpint(result.status, ==, SSH_KNOWN_HOST_UNKNOWN);
}

/* ---- the policy ---------------------------------------------------------- */

static gboolean
verify(const char *file, const char *host, guint16 port, const char *key,
       SshHostKeyPolicy policy, const char *pinned, GError **error)
{
    g_autoptr(GBytes) blob = load_key(key);
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(blob, &len);
    SshOptions opts;

    ssh_options_init(&opts);
    opts.host = host;
    opts.port = port;
    opts.known_hosts_file = file;
    opts.host_key_policy = policy;
    opts.pinned_fingerprint = pinned;
    return ssh_host_key_verify(&opts, "ssh://root@server.example:22", data,
                               len, error);
}

static void
test_mismatch_names_line(void)
{
    g_autofree char *path = fixture_path("mismatch.known_hosts");
    g_autofree char *fp = load_fingerprint("a");
    g_autofree char *where = g_strdup_printf("%s line 4", path);
    g_autoptr(GError) error = NULL;

    g_assert_false(verify(path, "server.example", 22, "a",
                          SSH_HOST_KEY_ACCEPT_NEW, NULL, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "host key does not match"));
    g_assert_nonnull(strstr(error->message, where));
    g_assert_nonnull(strstr(error->message, fp));
    g_assert_true(g_str_has_prefix(error->message, "ssh://root@server.example:22: "));
}

static void
test_unknown_host_prints_fingerprint(void)
{
    g_autofree char *path = fixture_path("plain.known_hosts");
    g_autofree char *fp = load_fingerprint("b");
    g_autoptr(GError) error = NULL;

    g_assert_false(verify(path, "new.example", 22, "b", SSH_HOST_KEY_STRICT,
                          NULL, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "not in known_hosts"));
    g_assert_nonnull(strstr(error->message, fp));
    g_assert_nonnull(strstr(error->message, "ssh-ed25519"));
}

static void
test_revoked_refused_by_policy(void)
{
    g_autofree char *path = fixture_path("revoked.known_hosts");
    g_autoptr(GError) error = NULL;

    g_assert_false(verify(path, "server.example", 22, "a",
                          SSH_HOST_KEY_ACCEPT_NEW, NULL, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "revoked"));
    g_assert_nonnull(strstr(error->message, "line 2"));
}

static void
test_other_type_refused_even_with_accept_new(void)
{
    g_autofree char *path = fixture_path("other-type.known_hosts");
    g_autoptr(GError) error = NULL;

    g_assert_false(verify(path, "server.example", 22, "a",
                          SSH_HOST_KEY_ACCEPT_NEW, NULL, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "host key type ssh-ed25519"));
}

static void
test_accept_new_appends_line(void)
{
    char *dir = NULL;
    /* No final newline: the new entry must start on a line of its own. */
    char *path = write_temp("# kept\nother.example ssh-ed25519 AAAA", -1, &dir);
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GBytes) blob = load_key("b");
    g_autofree char *b64 = g_base64_encode(g_bytes_get_data(blob, NULL),
                                           g_bytes_get_size(blob));
    g_autofree char *expected = g_strdup_printf(
        "# kept\nother.example ssh-ed25519 AAAA\n[new.example]:2222 ssh-ed25519 %s\n",
        b64);
    guint line = 0;
    SshKnownHostResult result;
    const char *files[] = { path, NULL };

    /* Strict refuses and writes nothing; accept-new records; then it is
     * a plain match. */
    g_assert_false(verify(path, "new.example", 2222, "b", SSH_HOST_KEY_STRICT,
                          NULL, &error));
    g_clear_error(&error);
    g_assert_true(verify(path, "new.example", 2222, "b",
                         SSH_HOST_KEY_ACCEPT_NEW, NULL, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, expected);
    g_assert_true(ssh_known_hosts_lookup(files, "new.example", 2222,
                                         g_bytes_get_data(blob, NULL),
                                         g_bytes_get_size(blob), &result, NULL));
    line = result.line;
    g_assert_cmpint(result.status, ==, SSH_KNOWN_HOST_MATCH);
    g_assert_cmpuint(line, ==, 3);
    ssh_known_host_result_clear(&result);
    /* A different key for the recorded host is now a mismatch. */
    g_assert_false(verify(path, "new.example", 2222, "a",
                          SSH_HOST_KEY_ACCEPT_NEW, NULL, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "line 3"));
    remove_temp(path, dir);
}

static void
test_accept_new_creates_directory(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("ferry-test-kh-XXXXXX", &error);
    g_autofree char *sub = g_build_filename(dir, "ssh", NULL);
    g_autofree char *path = g_build_filename(sub, "known_hosts", NULL);
    GStatBuf st;

    g_assert_true(verify(path, "new.example", 22, "a",
                         SSH_HOST_KEY_ACCEPT_NEW, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpint(g_stat(sub, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);
    g_unlink(path);
    g_rmdir(sub);
    g_rmdir(dir);
}

static void
test_accept_new_refuses_odd_host_name(void)
{
    g_autoptr(GBytes) blob = load_key("a");
    g_autoptr(GError) error = NULL;

    g_assert_false(ssh_known_hosts_append("/nonexistent/kh", "a b\nc", 22,
                                          g_bytes_get_data(blob, NULL),
                                          g_bytes_get_size(blob), &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "invalid character"));
}

static void
test_pinned_fingerprint(void)
{
    g_autofree char *fp = load_fingerprint("a");
    g_autofree char *padded = g_strdup_printf("%s=", fp);
    g_autoptr(GError) error = NULL;

    /* known_hosts is not read: the missing file is not even looked at. */
    g_assert_true(verify("/nonexistent/kh", "server.example", 22, "a",
                         SSH_HOST_KEY_STRICT, fp, &error));
    g_assert_no_error(error);
    g_assert_true(verify("/nonexistent/kh", "server.example", 22, "a",
                         SSH_HOST_KEY_STRICT, padded, &error));
    g_assert_no_error(error);
    g_assert_false(verify("/nonexistent/kh", "server.example", 22, "b",
                          SSH_HOST_KEY_ACCEPT_NEW, fp, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH);
    g_assert_nonnull(strstr(error->message, "pinned fingerprint"));
    g_clear_error(&error);
    g_assert_false(verify("/nonexistent/kh", "server.example", 22, "a",
                          SSH_HOST_KEY_STRICT, "MD5:aa:bb", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
}

static void
test_key_types_for_host(void)
{
    g_autofree char *path = fixture_path("plain.known_hosts");
    const char *files[] = { path, NULL };
    g_auto(GStrv) a = ssh_known_hosts_key_types(files, "server.example", 22);
    g_auto(GStrv) b = ssh_known_hosts_key_types(files, "nobody.example", 22);

    g_assert_cmpuint(g_strv_length(a), ==, 1);
    g_assert_cmpstr(a[0], ==, "ssh-ed25519");
    g_assert_cmpuint(g_strv_length(b), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/transport/knownhosts/fingerprint-like-ssh-keygen",
                    test_fingerprint_like_ssh_keygen);
    g_test_add_func("/transport/knownhosts/plain-entry-matches",
                    test_plain_entry_matches);
    g_test_add_func("/transport/knownhosts/hashed-entry-matches",
                    test_hashed_entry_matches);
    g_test_add_func("/transport/knownhosts/hashed-port-entry-matches",
                    test_hashed_port_entry_matches);
    g_test_add_func("/transport/knownhosts/port-entry-needs-brackets",
                    test_port_entry_needs_brackets);
    g_test_add_func("/transport/knownhosts/name-brackets-port-not-22",
                    test_known_hosts_name);
    g_test_add_func("/transport/knownhosts/wildcard-and-negation",
                    test_wildcard_and_negation);
    g_test_add_func("/transport/knownhosts/key-type-must-match",
                    test_key_type_must_match);
    g_test_add_func("/transport/knownhosts/revoked-key-found",
                    test_revoked_key_refused);
    g_test_add_func("/transport/knownhosts/cert-authority-ignored",
                    test_cert_authority_ignored);
    g_test_add_func("/transport/knownhosts/bad-lines-skipped",
                    test_bad_lines_skipped);
    g_test_add_func("/transport/knownhosts/base64-strict", test_base64_strict);
    g_test_add_func("/transport/knownhosts/long-line-skipped",
                    test_long_line_skipped);
    g_test_add_func("/transport/knownhosts/nul-byte-line-skipped",
                    test_nul_byte_line_skipped);
    g_test_add_func("/transport/knownhosts/non-utf8-pattern-no-crash",
                    test_non_utf8_pattern_no_crash);
    g_test_add_func("/transport/knownhosts/file-too-large-refused",
                    test_file_too_large_refused);
    g_test_add_func("/transport/knownhosts/missing-file-is-empty",
                    test_missing_file_is_empty);
    g_test_add_func("/transport/knownhosts/mismatch-names-line",
                    test_mismatch_names_line);
    g_test_add_func("/transport/knownhosts/unknown-host-prints-fingerprint",
                    test_unknown_host_prints_fingerprint);
    g_test_add_func("/transport/knownhosts/revoked-key-refused",
                    test_revoked_refused_by_policy);
    g_test_add_func("/transport/knownhosts/other-type-refused-even-with-accept-new",
                    test_other_type_refused_even_with_accept_new);
    g_test_add_func("/transport/knownhosts/accept-new-appends-line",
                    test_accept_new_appends_line);
    g_test_add_func("/transport/knownhosts/accept-new-creates-directory",
                    test_accept_new_creates_directory);
    g_test_add_func("/transport/knownhosts/accept-new-refuses-odd-host-name",
                    test_accept_new_refuses_odd_host_name);
    g_test_add_func("/transport/knownhosts/pinned-fingerprint",
                    test_pinned_fingerprint);
    g_test_add_func("/transport/knownhosts/key-types-for-host",
                    test_key_types_for_host);
    return g_test_run();
}
