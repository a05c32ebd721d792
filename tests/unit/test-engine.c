/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-engine.c: the copy engine: progress, cancellation, option checks,
 * a failing source (also one whose error is met where nobody can take it),
 * and the windowed allocation map. */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "conv/writer-priv.h"
#include "tests/unit/test-files.h"

#define ENGINE_DISK_BYTES (48 * 1024 * 1024)

typedef struct {
    char *dir;
    char *src;
    char *dst;
} EngineFixture;

static void
engine_fixture_setup(EngineFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-engine-XXXXXX", &error);
    g_assert_no_error(error);
    fx->src = g_build_filename(fx->dir, "src.raw", NULL);
    fx->dst = g_build_filename(fx->dir, "dst.img", NULL);
    /* 48 MiB: 20 MiB of data in three runs, holes between. */
    test_write_pattern(fx->src, 0, 4 * 1024 * 1024, 0x11);
    test_write_pattern(fx->src, 10 * 1024 * 1024, 12 * 1024 * 1024, 0x22);
    test_write_pattern(fx->src, 40 * 1024 * 1024, 4 * 1024 * 1024, 0x33);
    g_assert_cmpint(truncate(fx->src, ENGINE_DISK_BYTES), ==, 0);
}

static void
engine_fixture_teardown(EngineFixture *fx, gconstpointer data)
{
    test_remove_tree(fx->dir);
    g_free(fx->src);
    g_free(fx->dst);
    g_free(fx->dir);
}

static guint
engine_count_files(EngineFixture *fx)
{
    g_autoptr(GDir) d = g_dir_open(fx->dir, 0, NULL);
    guint n = 0;

    while (g_dir_read_name(d))
        n++;
    return n;
}

typedef struct {
    GArray *seen;               /* of guint64 */
    guint64 total;
    GCancellable *cancel_after_first;
} EngineProgress;

static void
engine_on_progress(guint64 done, guint64 total, gpointer data)
{
    EngineProgress *p = data;

    g_array_append_val(p->seen, done);
    p->total = total;
    if (p->cancel_after_first && done > 0)
        g_cancellable_cancel(p->cancel_after_first);
}

static gboolean
engine_convert(EngineFixture *fx, ConvConvertOptions *opts, GError **error)
{
    g_autoptr(ConvImage) img = conv_image_open(fx->src, "raw", error);
    g_autoptr(ConvOutput) out = NULL;
    g_autoptr(ConvSink) sink = NULL;

    if (!img)
        return FALSE;
    out = conv_output_new(img, opts, error);
    if (!out)
        return FALSE;
    sink = conv_sink_new_file(fx->dst, error);
    if (!sink)
        return FALSE;
    return conv_output_emit(out, sink, error);
}

static void
test_engine_progress_monotonic(EngineFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(guint64));
    EngineProgress p = { seen, 0, NULL };
    ConvConvertOptions opts = { .format = data, .threads = 3,
                                .progress = engine_on_progress,
                                .progress_data = &p };
    guint i;

    g_assert_true(engine_convert(fx, &opts, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(seen->len, >, 2);
    for (i = 1; i < seen->len; i++)
        g_assert_cmpuint(g_array_index(seen, guint64, i), >=,
                         g_array_index(seen, guint64, i - 1));
    g_assert_cmpuint(g_array_index(seen, guint64, seen->len - 1), ==,
                     ENGINE_DISK_BYTES);
    g_assert_cmpuint(p.total, ==, ENGINE_DISK_BYTES);
    g_assert_true(g_file_test(fx->dst, G_FILE_TEST_IS_REGULAR));
}

static void
test_engine_cancel_leaves_nothing(EngineFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    EngineProgress p = { seen, 0, cancellable };
    ConvConvertOptions opts = { .format = data, .threads = 2,
                                .progress = engine_on_progress,
                                .progress_data = &p,
                                .cancellable = cancellable };

    g_assert_false(engine_convert(fx, &opts, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    /* It stopped in the middle, and only the source is left. */
    g_assert_cmpuint(g_array_index(seen, guint64, seen->len - 1), <,
                     ENGINE_DISK_BYTES);
    g_assert_false(g_file_test(fx->dst, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(engine_count_files(fx), ==, 1);
}

static void
test_engine_bad_option_refused_before_writing(EngineFixture *fx,
                                              gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    ConvConvertOptions opts = { .format = "qcow2", .options = "bogus=1" };

    g_assert_false(engine_convert(fx, &opts, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "bogus"));
    g_assert_cmpuint(engine_count_files(fx), ==, 1);
}

static void
test_engine_unknown_output_format(EngineFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    ConvConvertOptions opts = { .format = "vdi" };

    g_assert_false(engine_convert(fx, &opts, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "vdi"));
    g_assert_cmpuint(engine_count_files(fx), ==, 1);
}

static void
test_engine_source_shrinks_leaves_nothing(EngineFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->src, "raw", &error);
    ConvConvertOptions opts = { .format = data };
    g_autoptr(ConvOutput) out = conv_output_new(img, &opts, &error);
    g_autoptr(ConvSink) sink = NULL;

    g_assert_no_error(error);
    /* Planned, then the source loses its tail: for qcow2 output the map
     * no longer matches the plan. */
    g_assert_cmpint(truncate(fx->src, 20 * 1024 * 1024), ==, 0);
    sink = conv_sink_new_file(fx->dst, &error);
    g_assert_no_error(error);
    g_assert_false(conv_output_emit(out, sink, &error));
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, fx->src));
    g_assert_false(g_file_test(fx->dst, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(engine_count_files(fx), ==, 1);
}

static void
test_engine_source_vanishes_leaves_nothing(EngineFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->src, "raw", &error);
    ConvConvertOptions opts = { .format = data };
    g_autoptr(ConvOutput) out = conv_output_new(img, &opts, &error);
    g_autoptr(ConvSink) sink = NULL;

    g_assert_no_error(error);
    /* Planned, then the source is gone: the reader handles cannot open. */
    g_assert_cmpint(g_unlink(fx->src), ==, 0);
    sink = conv_sink_new_file(fx->dst, &error);
    g_assert_no_error(error);
    g_assert_false(conv_output_emit(out, sink, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, fx->src));
    g_assert_false(g_file_test(fx->dst, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(engine_count_files(fx), ==, 0);
}

/* A writer for the read-error tests: ConvOutput.priv is the fixture. */
typedef struct {
    EngineFixture *fx;
    gboolean ignore_errors;     /* carries on and says it succeeded */
} EngineFailWriter;

/* Cuts the source short under the open reader handles, queues a copy of a
 * range that is now past its end, then queues progress-only holes until
 * the queue is full, so that the failed read is drained inside
 * conv_output_account(), which cannot return the error.  Then it copies
 * ranges that still read fine, into the slot the failed read left. */
static gboolean
engine_fail_emit(ConvOutput *out, ConvSink *sink, GError **error)
{
    EngineFailWriter *w = out->priv;
    guint64 mib = 1024 * 1024;
    gboolean ok;
    guint i;

    g_assert_cmpint(truncate(w->fx->src, 4 * mib), ==, 0);
    ok = conv_output_copy(out, 40 * mib, mib, 0, error);
    if (!ok && !w->ignore_errors)
        return FALSE;
    /* Twice what the queue holds (CONV_PIPELINE_MAX_ITEMS is 256). */
    for (i = 0; i < 512; i++)
        conv_output_account(out, 1);
    ok = conv_output_copy(out, 0, 4 * mib, 0,
                          w->ignore_errors ? NULL : error);
    return w->ignore_errors || ok;
}

static const struct ferry_format engine_fail_writer = {
    .name = "read-error-test",
    .emit = engine_fail_emit,
};

static void
test_engine_read_error_after_queue_full(EngineFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->src, "raw", &error);
    g_autoptr(ConvOutput) out = g_new0(ConvOutput, 1);
    g_autoptr(ConvSink) sink = NULL;
    g_autofree char *where = NULL;
    ConvConvertOptions opts = { .format = "read-error-test", .threads = 2 };
    EngineFailWriter w = { fx, GPOINTER_TO_INT(data) };

    g_assert_no_error(error);
    out->src = img;
    out->opts = &opts;
    out->writer = &engine_fail_writer;
    out->size = conv_image_get_size(img);
    out->priv = &w;
    sink = conv_sink_new_file(fx->dst, &error);
    g_assert_no_error(error);

    g_assert_false(conv_output_emit(out, sink, &error));
    /* The read error itself, not a later one nor success. */
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    where = g_strdup_printf("%s: data at offset %d: unexpected end of file",
                            fx->src, 40 * 1024 * 1024);
    g_assert_cmpstr(error->message, ==, where);
    g_assert_false(g_file_test(fx->dst, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(engine_count_files(fx), ==, 1);
}

static void
test_engine_map_iter_merges_across_windows(EngineFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *big = g_build_filename(fx->dir, "big.raw", NULL);
    g_autoptr(ConvImage) img = NULL;
    guint64 gib = CONV_MAP_WINDOW_BYTES;
    ConvMapIter it;
    ConvExtent e;

    /* Data straddling the first window boundary, holes elsewhere. */
    test_write_pattern(big, gib - 65536, 131072, 0x44);
    g_assert_cmpint(truncate(big, 3 * gib), ==, 0);
    img = conv_image_open(big, "raw", &error);
    g_assert_no_error(error);

    conv_map_iter_init(&it, img, 0, 3 * gib);
    g_assert_true(conv_map_iter_next(&it, &e, &error));
    g_assert_cmpint(e.kind, ==, CONV_EXTENT_ZERO);
    g_assert_cmpuint(e.start, ==, 0);
    g_assert_cmpuint(e.length, ==, gib - 65536);
    g_assert_true(conv_map_iter_next(&it, &e, &error));
    g_assert_cmpint(e.kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(e.start, ==, gib - 65536);
    g_assert_cmpuint(e.length, ==, 131072);     /* one run, not two */
    g_assert_true(conv_map_iter_next(&it, &e, &error));
    g_assert_cmpint(e.kind, ==, CONV_EXTENT_ZERO);
    g_assert_cmpuint(e.start + e.length, ==, 3 * gib);   /* two windows merged */
    g_assert_true(conv_map_iter_next(&it, &e, &error));
    g_assert_cmpuint(e.length, ==, 0);
    conv_map_iter_clear(&it);
    g_unlink(big);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ENGINE_TEST(path, fmt, fn) \
    g_test_add(path, EngineFixture, fmt, engine_fixture_setup, fn, \
               engine_fixture_teardown)
    ENGINE_TEST("/conv/engine/progress/raw/monotonic-and-ends-at-total", "raw",
                test_engine_progress_monotonic);
    ENGINE_TEST("/conv/engine/progress/qcow2/monotonic-and-ends-at-total", "qcow2",
                test_engine_progress_monotonic);
    ENGINE_TEST("/conv/engine/cancel/raw/mid-copy-leaves-nothing", "raw",
                test_engine_cancel_leaves_nothing);
    ENGINE_TEST("/conv/engine/cancel/qcow2/mid-copy-leaves-nothing", "qcow2",
                test_engine_cancel_leaves_nothing);
    ENGINE_TEST("/conv/engine/options/bogus-refused-before-writing", NULL,
                test_engine_bad_option_refused_before_writing);
    ENGINE_TEST("/conv/engine/options/unknown-output-format", NULL,
                test_engine_unknown_output_format);
    ENGINE_TEST("/conv/engine/source/qcow2/shrunk-source-leaves-nothing", "qcow2",
                test_engine_source_shrinks_leaves_nothing);
    ENGINE_TEST("/conv/engine/source/raw/vanished-source-leaves-nothing", "raw",
                test_engine_source_vanishes_leaves_nothing);
    ENGINE_TEST("/conv/engine/read-error-after-queue-full/writer-returns-error",
                GINT_TO_POINTER(FALSE), test_engine_read_error_after_queue_full);
    ENGINE_TEST("/conv/engine/read-error-after-queue-full/writer-carries-on",
                GINT_TO_POINTER(TRUE), test_engine_read_error_after_queue_full);
    ENGINE_TEST("/conv/engine/map/window-runs-are-merged", NULL,
                test_engine_map_iter_merges_across_windows);
    return g_test_run();
}
