/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-sink.c: the file sink's temporary name, commit and abort, and the
 * SHA-256 layer. */
#include <config.h>

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "conv/writer-priv.h"
#include "tests/unit/test-files.h"

typedef struct {
    char *dir;
    char *dst;
} SinkFixture;

static void
sink_fixture_setup(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-sink-XXXXXX", &error);
    g_assert_no_error(error);
    fx->dst = g_build_filename(fx->dir, "out.img", NULL);
}

static void
sink_fixture_teardown(SinkFixture *fx, gconstpointer data)
{
    test_remove_tree(fx->dir);
    g_free(fx->dst);
    g_free(fx->dir);
}

/* The names in the fixture's directory, sorted, joined by spaces. */
static char *
sink_fixture_list(SinkFixture *fx)
{
    g_autoptr(GDir) d = g_dir_open(fx->dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **)names->pdata);
}

static void
test_sink_file_writes_to_temporary_name(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvSink) sink = conv_sink_new_file(fx->dst, &error);
    g_autofree char *list = NULL;

    g_assert_no_error(error);
    g_assert_true(conv_sink_write(sink, "hello", 5, &error));
    list = sink_fixture_list(fx);
    g_assert_true(g_str_has_prefix(list, ".out.img."));
    g_assert_true(g_str_has_suffix(list, ".part"));
    g_assert_false(g_file_test(fx->dst, G_FILE_TEST_EXISTS));
    g_assert_true(conv_sink_can_seek(sink));
    g_assert_true(conv_sink_can_patch(sink));
}

static void
test_sink_file_commit_renames(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvSink) sink = conv_sink_new_file(fx->dst, &error);
    g_autofree char *contents = NULL;
    g_autofree char *list = NULL;
    gsize len = 0;

    g_assert_no_error(error);
    g_assert_true(conv_sink_write(sink, "hello", 5, &error));
    g_assert_true(conv_sink_pwrite(sink, "J", 1, 0, &error));
    g_assert_true(conv_sink_commit(sink, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(fx->dst, &contents, &len, NULL));
    g_assert_cmpmem(contents, len, "Jello", 5);
    list = sink_fixture_list(fx);
    g_assert_cmpstr(list, ==, "out.img");
}

static void
test_sink_file_abort_removes_temporary(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvSink) sink = conv_sink_new_file(fx->dst, &error);
    g_autofree char *list = NULL;

    g_assert_no_error(error);
    g_assert_true(conv_sink_write(sink, "hello", 5, &error));
    conv_sink_abort(sink);
    conv_sink_abort(sink);                  /* twice is harmless */
    list = sink_fixture_list(fx);
    g_assert_cmpstr(list, ==, "");
}

static void
test_sink_file_free_uncommitted_aborts(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    ConvSink *sink = conv_sink_new_file(fx->dst, &error);
    g_autofree char *list = NULL;

    g_assert_no_error(error);
    g_assert_true(conv_sink_write(sink, "hello", 5, &error));
    conv_sink_free(sink);
    list = sink_fixture_list(fx);
    g_assert_cmpstr(list, ==, "");
}

static void
test_sink_file_trailing_hole_sets_size(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvSink) sink = conv_sink_new_file(fx->dst, &error);
    struct stat st;

    g_assert_no_error(error);
    g_assert_true(conv_sink_write(sink, "x", 1, &error));
    g_assert_true(conv_sink_skip(sink, 8 * 1024 * 1024, &error));
    g_assert_cmpuint(conv_sink_get_offset(sink), ==, 8 * 1024 * 1024 + 1);
    g_assert_true(conv_sink_commit(sink, &error));
    g_assert_cmpint(g_stat(fx->dst, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 8 * 1024 * 1024 + 1);
    /* A hole, not 8 MiB of written zeros. */
    g_assert_cmpint(st.st_blocks * 512, <, 1024 * 1024);
}

static void
test_sink_file_missing_directory(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(fx->dir, "no", "out.img", NULL);
    g_autoptr(ConvSink) sink = conv_sink_new_file(path, &error);

    g_assert_null(sink);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, path));
}

static void
test_sink_sha256_known_stream(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvSink) sink = conv_sink_new_file(fx->dst, &error);

    g_assert_no_error(error);
    sink = conv_sink_new_sha256(g_steal_pointer(&sink));
    g_assert_true(conv_sink_write(sink, "a", 1, &error));
    g_assert_true(conv_sink_write(sink, "bc", 2, &error));
    g_assert_null(conv_sink_get_sha256(sink));   /* not before commit */
    g_assert_true(conv_sink_commit(sink, &error));
    g_assert_no_error(error);
    /* FIPS 180-2, appendix B.1. */
    g_assert_cmpstr(conv_sink_get_sha256(sink), ==,
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    g_assert_true(g_file_test(fx->dst, G_FILE_TEST_IS_REGULAR));
}

static void
test_sink_sha256_hashes_holes_as_zeros(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvSink) sink = conv_sink_new_file(fx->dst, &error);
    g_autoptr(GChecksum) want = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree guint8 *zeros = g_malloc0(300000);

    g_assert_no_error(error);
    sink = conv_sink_new_sha256(g_steal_pointer(&sink));
    g_assert_true(conv_sink_write(sink, "head", 4, &error));
    g_assert_true(conv_sink_skip(sink, 300000, &error));
    g_assert_true(conv_sink_write(sink, "tail", 4, &error));
    g_assert_true(conv_sink_commit(sink, &error));
    g_checksum_update(want, (const guchar *)"head", 4);
    g_checksum_update(want, zeros, 300000);
    g_checksum_update(want, (const guchar *)"tail", 4);
    g_assert_cmpstr(conv_sink_get_sha256(sink), ==, g_checksum_get_string(want));
}

/* The digest runs in its own thread beside the layer below: writes of
 * odd sizes with holes between them, the caller's buffer overwritten
 * right after each write returns, hash as GLib's own SHA-256 of the same
 * bytes; and an abort in the middle stops the thread without a commit. */
static void
test_sink_sha256_in_a_thread(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvSink) sink = conv_sink_new_file(fx->dst, &error);
    g_autoptr(ConvSink) aborted = NULL;
    g_autoptr(GChecksum) want = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree guint8 *buf = g_malloc(1500000);
    g_autofree guint8 *zeros = g_malloc0(1 << 20);
    guint32 seed = 11;
    gsize i, j;

    g_assert_no_error(error);
    sink = conv_sink_new_sha256(g_steal_pointer(&sink));
    for (i = 0; i < 12; i++) {
        gsize len = 1500000 - i * 99991;

        for (j = 0; j < len; j++) {
            seed = seed * 1103515245 + 12345;
            buf[j] = seed >> 16;
        }
        g_assert_true(conv_sink_write(sink, buf, len, &error));
        g_checksum_update(want, buf, len);
        memset(buf, 0xff, len);          /* the caller's buffer is its own */
        if (i % 3 == 1) {
            g_assert_true(conv_sink_skip(sink, (1 << 20) - i, &error));
            g_checksum_update(want, zeros, (1 << 20) - i);
        }
    }
    g_assert_no_error(error);
    g_assert_true(conv_sink_commit(sink, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(conv_sink_get_sha256(sink), ==, g_checksum_get_string(want));

    g_clear_pointer(&sink, conv_sink_free);
    g_assert_true(g_unlink(fx->dst) == 0);
    aborted = conv_sink_new_sha256(conv_sink_new_file(fx->dst, &error));
    g_assert_no_error(error);
    for (i = 0; i < 8; i++)
        g_assert_true(conv_sink_write(aborted, buf, 1500000, &error));
    conv_sink_abort(aborted);
    g_assert_null(conv_sink_get_sha256(aborted));
}

static void
test_sink_sha256_refuses_patching(SinkFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvSink) sink = conv_sink_new_file(fx->dst, &error);
    g_autofree char *list = NULL;

    g_assert_no_error(error);
    sink = conv_sink_new_sha256(g_steal_pointer(&sink));
    g_assert_false(conv_sink_can_patch(sink));
    g_assert_true(conv_sink_write(sink, "abc", 3, &error));
    g_assert_false(conv_sink_pwrite(sink, "x", 1, 0, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(error->message, "sha256"));
    conv_sink_abort(sink);                  /* aborts the file below too */
    list = sink_fixture_list(fx);
    g_assert_cmpstr(list, ==, "");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define SINK_TEST(path, fn) \
    g_test_add(path, SinkFixture, NULL, sink_fixture_setup, fn, sink_fixture_teardown)
    SINK_TEST("/conv/sink/sha256/in-a-thread", test_sink_sha256_in_a_thread);
    SINK_TEST("/conv/sink/file/writes-to-a-temporary-name",
              test_sink_file_writes_to_temporary_name);
    SINK_TEST("/conv/sink/file/commit-renames-into-place",
              test_sink_file_commit_renames);
    SINK_TEST("/conv/sink/file/abort-removes-the-temporary",
              test_sink_file_abort_removes_temporary);
    SINK_TEST("/conv/sink/file/free-before-commit-aborts",
              test_sink_file_free_uncommitted_aborts);
    SINK_TEST("/conv/sink/file/trailing-hole-sets-the-size",
              test_sink_file_trailing_hole_sets_size);
    SINK_TEST("/conv/sink/file/missing-directory-is-not-found",
              test_sink_file_missing_directory);
    SINK_TEST("/conv/sink/sha256/known-stream", test_sink_sha256_known_stream);
    SINK_TEST("/conv/sink/sha256/holes-hash-as-zeros",
              test_sink_sha256_hashes_holes_as_zeros);
    SINK_TEST("/conv/sink/sha256/refuses-patching",
              test_sink_sha256_refuses_patching);
    return g_test_run();
}
