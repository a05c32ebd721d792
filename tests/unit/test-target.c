/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-target.c: providers/target.c without a network: which backend a
 * URI picks and what it parses to, the URIs that are refused (each
 * message names the problem), disk file names from --name templates, and
 * the file target's final mode and group (TargetOptions.file_mode and
 * file_group, which the CLI does not set).
 */
#include <config.h>

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "providers/target-priv.h"
#include "tests/unit/test-files.h"

typedef struct {
    const char *uri;
    const char *scheme;
    const char *name;
    const char *pool;
    const char *host;
    const char *user;
    guint16 port;
} TargetCase;

static const TargetCase target_good[] = {
    { "file:///srv/pool", "file", "file:///srv/pool", "/srv/pool", NULL, NULL, 0 },
    { "file:///srv/pool/", "file", "file:///srv/pool", "/srv/pool", NULL, NULL, 0 },
    { "file://localhost/srv/p%20q", "file", "file:///srv/p q", "/srv/p q", NULL, NULL, 0 },
    { "ssh://host/pool", "ssh", "ssh://host:22/pool", "/pool", "host", NULL, 22 },
    { "ssh://backup@10.0.0.5:2222/var/pool", "ssh", "ssh://backup@10.0.0.5:2222/var/pool",
      "/var/pool", "10.0.0.5", "backup", 2222 },
    { "ssh://root@[::1]:2200/p", "ssh", "ssh://root@[::1]:2200/p", "/p", "::1", "root", 2200 },
};

static void
test_target_parse_good(gconstpointer data)
{
    const TargetCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(Target) t = target_new(c->uri, NULL, NULL, &error);

    g_assert_no_error(error);
    g_assert_nonnull(t);
    g_assert_cmpstr(target_get_scheme(t), ==, c->scheme);
    g_assert_cmpstr(target_get_name(t), ==, c->name);
    g_assert_cmpstr(target_get_pool(t), ==, c->pool);
    g_assert_cmpstr(t->host, ==, c->host);
    g_assert_cmpstr(t->user, ==, c->user);
    g_assert_cmpuint(t->port, ==, c->port);
}

typedef struct {
    const char *path;           /* test path suffix */
    const char *uri;
    const char *words;          /* in the message */
} TargetBad;

static const TargetBad target_bad[] = {
    { "password", "ssh://root:secret@host/pool", "password in the URI is refused" },
    { "unknown-scheme", "ftp://host/pool", "unknown scheme 'ftp'" },
    { "relative-path", "ssh://host", "absolute path" },
    { "no-host", "ssh:///pool", "no host" },
    { "file-with-host", "file://otherhost/pool", "names no host" },
    { "query", "ssh://host/pool?x=1", "query or fragment" },
    { "not-a-uri", "just words", "not a URI" },
};

static void
test_target_parse_bad(gconstpointer data)
{
    const TargetBad *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(Target) t = target_new(c->uri, NULL, NULL, &error);

    g_assert_null(t);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, c->words));
    /* A secret never reaches a message. */
    g_assert_null(strstr(error->message, "secret"));
}

static void
test_target_name_default(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *n = target_expand_name("{vm}-{dev}.{ext}", "web1", "vda",
                                            0, "qcow2", &error);

    g_assert_no_error(error);
    g_assert_cmpstr(n, ==, "web1-vda.qcow2");
}

static void
test_target_name_fields(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *n = target_expand_name("{{{index}}}_{vm}.{ext}", "a b",
                                            "sdc", 12, "raw", &error);

    g_assert_no_error(error);
    g_assert_cmpstr(n, ==, "{12}_a b.raw");
}

typedef struct {
    const char *path;
    const char *tmpl;
    const char *vm;
    const char *words;
} NameBad;

static const NameBad name_bad[] = {
    { "unknown-field", "{vm}-{disk}", "web1", "unknown field '{disk}'" },
    { "unmatched-open", "{vm", "web1", "unmatched '{'" },
    { "unmatched-close", "vm}", "web1", "unmatched '}'" },
    { "slash", "{vm}/{dev}", "web1", "no '/'" },
    { "slash-in-vm-name", "{vm}.img", "../etc", "no '/'" },
    { "leading-dot", ".{vm}", "web1", "leading '.'" },
    { "empty", "", "web1", "expected 1 to 255 bytes" },
    { "control-byte", "{vm}\n", "web1", "control character 0x0a" },
};

static void
test_target_name_bad(gconstpointer data)
{
    const NameBad *c = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *n = target_expand_name(c->tmpl, c->vm, "vda", 0, "qcow2",
                                            &error);

    g_assert_null(n);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, c->words));
    g_assert_nonnull(strstr(error->message, "--name"));
}

static void
test_target_name_too_long(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *vm = g_strnfill(TARGET_MAX_NAME, 'x');
    g_autofree char *n = target_expand_name("{vm}.{ext}", vm, "vda", 0, "raw",
                                            &error);

    g_assert_null(n);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "255"));
}

/* A file written to a file:// pool gets the configured mode and group
 * when it is renamed to its final name; the .part is gone. */
static void
test_target_file_mode_and_group(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("ferry-test-target-XXXXXX", &error);
    g_autofree char *uri = NULL;
    g_autofree char *path = NULL;
    g_autofree char *group = g_strdup_printf("%u", (guint)getegid());
    g_autoptr(Target) t = NULL;
    TargetOptions opts = { 0 };
    struct stat st;

    g_assert_no_error(error);
    opts.file_mode = 0640;
    opts.file_group = group;
    uri = g_strconcat("file://", dir, NULL);
    t = target_new(uri, &opts, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(target_connect(t, &error));
    g_assert_no_error(error);
    g_assert_true(target_write_file(t, "vm.xml", "<domain/>", 9, &error));
    g_assert_no_error(error);
    path = g_build_filename(dir, "vm.xml", NULL);
    g_assert_cmpint(lstat(path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0640);
    g_assert_cmpuint(st.st_gid, ==, getegid());
    g_assert_cmpuint(st.st_size, ==, 9);
    g_free(path);
    path = g_build_filename(dir, "vm.xml.part", NULL);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));

    /* Not again: the final name is never replaced. */
    g_assert_false(target_write_file(t, "vm.xml", "<domain/>", 9, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
    g_assert_nonnull(strstr(error->message, "'vm.xml' already exists"));
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    target_free(g_steal_pointer(&t));
    test_remove_tree(dir);
}

typedef struct {
    const char *path;           /* test path suffix */
    const char *uri;
    guint mode;
    const char *group;
    int code;
    const char *words;
} FileOptionsBad;

static const FileOptionsBad file_options_bad[] = {
    { "mode-setuid", "file:///srv/pool", 04600, NULL, FERRY_ERROR_INVALID,
      "file mode 04600: only permission bits" },
    { "unknown-group", "file:///srv/pool", 0, "no-such-group-ferry",
      FERRY_ERROR_INVALID, "file group 'no-such-group-ferry': no such group" },
    { "group-over-ssh", "ssh://host/pool", 0, "0", FERRY_ERROR_UNSUPPORTED,
      "file group '0': only file:// targets set a group" },
    { "pool-newline", "file:///srv/po%0Aol", 0, NULL, FERRY_ERROR_INVALID,
      "pool path: control character 0x0a" },
};

static void
test_target_file_options_bad(gconstpointer data)
{
    const FileOptionsBad *c = data;
    g_autoptr(GError) error = NULL;
    TargetOptions opts = { 0 };
    g_autoptr(Target) t = NULL;

    opts.file_mode = c->mode;
    opts.file_group = c->group;
    t = target_new(c->uri, &opts, NULL, &error);
    g_assert_null(t);
    g_assert_error(error, FERRY_ERROR, c->code);
    g_assert_nonnull(strstr(error->message, c->words));
}

/* issue 11: min(4, cores) streams when none are asked for. */
static void
test_target_default_streams(void)
{
    guint want = MIN(4, MAX(1, g_get_num_processors()));

    g_assert_cmpuint(target_default_streams(), ==, want);
    g_assert_cmpuint(target_default_streams(), >=, 1);
    g_assert_cmpuint(target_default_streams(), <=, TARGET_DEFAULT_MAX_STREAMS);
    g_assert_cmpuint(TARGET_DEFAULT_MAX_STREAMS, <=, TARGET_MAX_STREAMS);
}

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(target_good); i++) {
        g_autofree char *path = g_strdup_printf("/providers/target/uri/accepts/%zu", i);

        g_test_add_data_func(path, &target_good[i], test_target_parse_good);
    }
    for (i = 0; i < G_N_ELEMENTS(target_bad); i++) {
        g_autofree char *path = g_strdup_printf("/providers/target/uri/refuses/%s",
                                                target_bad[i].path);

        g_test_add_data_func(path, &target_bad[i], test_target_parse_bad);
    }
    g_test_add_func("/providers/target/streams/default", test_target_default_streams);
    g_test_add_func("/providers/target/name/default-template", test_target_name_default);
    g_test_add_func("/providers/target/name/every-field-and-braces", test_target_name_fields);
    g_test_add_func("/providers/target/name/too-long", test_target_name_too_long);
    for (i = 0; i < G_N_ELEMENTS(name_bad); i++) {
        g_autofree char *path = g_strdup_printf("/providers/target/name/refuses/%s",
                                                name_bad[i].path);

        g_test_add_data_func(path, &name_bad[i], test_target_name_bad);
    }
    g_test_add_func("/providers/target/file/final-mode-and-group",
                    test_target_file_mode_and_group);
    for (i = 0; i < G_N_ELEMENTS(file_options_bad); i++) {
        g_autofree char *path = g_strdup_printf("/providers/target/file/refuses/%s",
                                                file_options_bad[i].path);

        g_test_add_data_func(path, &file_options_bad[i],
                             test_target_file_options_bad);
    }
    return g_test_run();
}
