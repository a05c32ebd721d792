/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-convert.c: `ferry convert [-f FMT] -O raw|qcow2 [-o k=v,...] [-c] [-p]
 * [-t CACHE] [-m THREADS] [--checksum] [--json] SRC DST`, with qemu-img
 * convert's option names.
 *
 * The order matters for safety: the source is opened and the output
 * planned (every -o option checked) before DST's temporary is created, so
 * a refused option writes nothing.  SIGINT, SIGTERM and SIGHUP cancel the
 * copy; the sink then removes its temporary, so nothing is ever left under
 * DST's name (or beside it) unless the conversion succeeded.
 */
#include <config.h>

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "agent/agent.h"

typedef struct {
    GMainContext *context;
    GMainLoop *loop;
    GThread *thread;
    GCancellable *cancellable;
} CmdConvertSignals;

static gboolean
cmd_convert_on_signal(gpointer data)
{
    g_cancellable_cancel(data);
    return G_SOURCE_CONTINUE;
}

static gpointer
cmd_convert_signal_thread(gpointer data)
{
    CmdConvertSignals *sig = data;

    g_main_context_push_thread_default(sig->context);
    g_main_loop_run(sig->loop);
    g_main_context_pop_thread_default(sig->context);
    return NULL;
}

/* Cancels @cancellable on SIGINT/SIGTERM/SIGHUP, from a thread of its own,
 * while the calling thread copies. */
static void
cmd_convert_signals_start(CmdConvertSignals *sig, GCancellable *cancellable)
{
    static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
    gsize i;

    sig->context = g_main_context_new();
    sig->loop = g_main_loop_new(sig->context, FALSE);
    sig->cancellable = cancellable;
    for (i = 0; i < G_N_ELEMENTS(signals); i++) {
        g_autoptr(GSource) src = g_unix_signal_source_new(signals[i]);

        g_source_set_callback(src, cmd_convert_on_signal, cancellable, NULL);
        g_source_attach(src, sig->context);
    }
    sig->thread = g_thread_new("ferry-signals", cmd_convert_signal_thread, sig);
}

static gboolean
cmd_convert_quit_loop(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void
cmd_convert_signals_stop(CmdConvertSignals *sig)
{
    g_autoptr(GSource) idle = g_idle_source_new();

    /* Quit from inside the loop: a g_main_loop_quit() from here could come
     * before the thread has entered g_main_loop_run() and be lost. */
    g_source_set_callback(idle, cmd_convert_quit_loop, sig->loop, NULL);
    g_source_attach(idle, sig->context);
    g_thread_join(sig->thread);
    g_main_loop_unref(sig->loop);
    g_main_context_unref(sig->context);
}

typedef struct {
    int last_permille;
} CmdConvertProgress;

static void
cmd_convert_progress(guint64 done, guint64 total, gpointer data)
{
    CmdConvertProgress *p = data;
    int permille = total ? (int)(done * 1000 / total) : 1000;

    if (permille == p->last_permille)
        return;
    p->last_permille = permille;
    fprintf(stderr, "\r    (%d.%d/100%%)", permille / 10, permille % 10);
    if (permille == 1000)
        fprintf(stderr, "\n");
    fflush(stderr);
}

static void
cmd_convert_print_json(const char *dst, const char *format, ConvImage *src,
                       ConvSink *sink)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "filename");
    json_builder_add_string_value(b, dst);
    json_builder_set_member_name(b, "format");
    json_builder_add_string_value(b, format);
    json_builder_set_member_name(b, "virtual-size");
    json_builder_add_int_value(b, (gint64)conv_image_get_size(src));
    json_builder_set_member_name(b, "bytes-written");
    json_builder_add_int_value(b, (gint64)conv_sink_get_offset(sink));
    if (conv_sink_get_sha256(sink)) {
        json_builder_set_member_name(b, "sha256");
        json_builder_add_string_value(b, conv_sink_get_sha256(sink));
    }
    json_builder_end_object(b);
    /* When the image itself went to stdout, the JSON must not follow it
     * there. */
    agent_print_json_builder(g_str_equal(dst, "-") ? stderr : stdout, b, TRUE);
}

int
cmd_convert(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) src = NULL;
    g_autoptr(ConvOutput) out = NULL;
    g_autoptr(ConvSink) sink = NULL;
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    g_autofree char *in_format = NULL;
    g_autofree char *out_format = NULL;
    g_autofree char *options = NULL;
    g_autofree char *cache = NULL;
    gboolean compress = FALSE, progress = FALSE, json = FALSE, sha256 = FALSE;
    int threads = 0;
    CmdConvertProgress prog = { -1 };
    CmdConvertSignals sig = { 0 };
    ConvConvertOptions opts = { 0 };
    gboolean ok;
    GOptionEntry entries[] = {
        { "format", 'f', 0, G_OPTION_ARG_STRING, &in_format,
          "Read SRC as FMT (no probing)", "FMT" },
        { "output-format", 'O', 0, G_OPTION_ARG_STRING, &out_format,
          "Write DST as FMT (raw, qcow2, vmdk, vpc)", "FMT" },
        { "options", 'o', 0, G_OPTION_ARG_STRING, &options,
          "Output format options (qemu-img's names)", "K=V,..." },
        { "compress", 'c', 0, G_OPTION_ARG_NONE, &compress,
          "Compress the output (qcow2; vmdk streamOptimized always is)", NULL },
        { "progress", 'p', 0, G_OPTION_ARG_NONE, &progress,
          "Show progress (on a terminal)", NULL },
        { "cache", 't', 0, G_OPTION_ARG_STRING, &cache,
          "writeback (default: fsync DST before it gets its name) or unsafe (no fsync, as qemu-img convert)",
          "MODE" },
        { "threads", 'm', 0, G_OPTION_ARG_INT, &threads,
          "Reader/compressor threads (default: one per CPU, at most 8)", "N" },
        { "checksum", 0, 0, G_OPTION_ARG_NONE, &sha256,
          "Compute the output's SHA-256 on the way and print it", NULL },
        { "sha256", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &sha256,
          "Same as --checksum", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as JSON",
          NULL },
        { NULL }
    };

    ctx = g_option_context_new("SRC DST - convert an image to another format");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_usage_error("convert", error->message);
    if (argc != 3)
        return agent_usage_error("convert", "expected SRC and DST");
    if (!out_format)
        out_format = g_strdup("raw");       /* qemu-img's default too */
    if (cache && !g_str_equal(cache, "writeback") &&
        !g_str_equal(cache, "unsafe"))
        return agent_usage_error("convert", "-t: expected writeback or unsafe");
    if (threads < 0 || threads > 64)
        return agent_usage_error("convert", "-m: expected 1 to 64 threads");

    src = in_format ? conv_image_open_forced(argv[1], in_format, &error)
                    : conv_image_open(argv[1], NULL, &error);
    if (!src)
        return agent_fail(error);

    opts.format = out_format;
    opts.options = options;
    opts.compress = compress;
    opts.threads = (guint)threads;
    opts.cancellable = cancellable;
    if (progress && isatty(STDERR_FILENO)) {
        opts.progress = cmd_convert_progress;
        opts.progress_data = &prog;
    }
    out = conv_output_new(src, &opts, &error);
    if (!out)
        return agent_fail(error);

    sink = conv_sink_new_file(argv[2], &error);
    if (!sink)
        return agent_fail(error);
    conv_sink_file_set_unsafe(sink, g_strcmp0(cache, "unsafe") == 0);
    if (sha256)
        sink = conv_sink_new_sha256(g_steal_pointer(&sink));

    cmd_convert_signals_start(&sig, cancellable);
    ok = conv_output_emit(out, sink, &error);
    cmd_convert_signals_stop(&sig);
    if (!ok)
        return agent_fail(error);
    if (json)
        cmd_convert_print_json(argv[2], out_format, src, sink);
    else if (sha256)
        /* sha256sum's line, so `sha256sum -c` can check it; on stderr when
         * the image itself went to stdout. */
        fprintf(g_str_equal(argv[2], "-") ? stderr : stdout, "%s  %s\n",
                conv_sink_get_sha256(sink), argv[2]);
    return 0;
}
