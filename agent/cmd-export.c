/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-export.c: `ferry export VM --to TARGET [--connect URI] [--format
 * qcow2|raw] [-o K=V,...] [-p] [--json] [--name TEMPLATE] [--known-hosts
 * FILE] [--accept-new] [--host-key SHA256:...] [--identity FILE]
 * [--password-file FILE] [--resume]`.
 *
 * TARGET is file:///pool or ssh://[user@]host[:port]/pool.  Disk files are
 * named by TEMPLATE, "{vm}-{dev}.{ext}" by default ({index} is the disk's
 * 0-based position, {ext} the output format: "qcow2" or "raw").  SIGINT,
 * SIGTERM and SIGHUP stop the copy (exit 130); the .part file of the disk
 * being copied is kept, and `--resume` continues from it.  The work itself
 * is agent/export.c.
 */
#include <config.h>

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "agent/agent.h"
#include "providers/providers.h"

typedef struct {
    GMainContext *context;
    GMainLoop *loop;
    GThread *thread;
} CmdExportSignals;

static gboolean
cmd_export_on_signal(gpointer data)
{
    g_cancellable_cancel(data);
    return G_SOURCE_CONTINUE;
}

static gpointer
cmd_export_signal_thread(gpointer data)
{
    CmdExportSignals *sig = data;

    g_main_context_push_thread_default(sig->context);
    g_main_loop_run(sig->loop);
    g_main_context_pop_thread_default(sig->context);
    return NULL;
}

static void
cmd_export_signals_start(CmdExportSignals *sig, GCancellable *cancellable)
{
    static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
    gsize i;

    sig->context = g_main_context_new();
    sig->loop = g_main_loop_new(sig->context, FALSE);
    for (i = 0; i < G_N_ELEMENTS(signals); i++) {
        g_autoptr(GSource) src = g_unix_signal_source_new(signals[i]);

        g_source_set_callback(src, cmd_export_on_signal, cancellable, NULL);
        g_source_attach(src, sig->context);
    }
    sig->thread = g_thread_new("ferry-signals", cmd_export_signal_thread, sig);
}

static gboolean
cmd_export_quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

static void
cmd_export_signals_stop(CmdExportSignals *sig)
{
    g_autoptr(GSource) quit = g_idle_source_new();

    /* From inside the loop: a g_main_loop_quit() before the thread reached
     * g_main_loop_run() would be lost, and the join would wait forever. */
    g_source_set_callback(quit, cmd_export_quit_loop, sig->loop, NULL);
    g_source_attach(quit, sig->context);
    g_thread_join(sig->thread);
    g_main_loop_unref(sig->loop);
    g_main_context_unref(sig->context);
}

int
cmd_export(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    g_autoptr(Target) target = NULL;
    g_autofree char *to = NULL, *connect = NULL, *format = NULL;
    g_autofree char *options = NULL, *name = NULL, *known_hosts = NULL;
    g_autofree char *host_key = NULL, *password_file = NULL;
    g_auto(GStrv) identities = NULL;
    gboolean progress = FALSE, json = FALSE, accept_new = FALSE;
    gboolean resume = FALSE, ok;
    AgentExportOptions opts = { 0 };
    TargetOptions topts = { 0 };
    CmdExportSignals sig = { 0 };
    GOptionEntry entries[] = {
        { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Target pool: file:///DIR or ssh://[USER@]HOST[:PORT]/DIR", "URI" },
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &connect, "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)", "URI" },
        { "format", 'O', 0, G_OPTION_ARG_STRING, &format, "Output format: qcow2 (default) or raw", "FMT" },
        { "options", 'o', 0, G_OPTION_ARG_STRING, &options, "Output format options (qemu-img's names)", "K=V,..." },
        { "progress", 'p', 0, G_OPTION_ARG_NONE, &progress, "Show each disk's progress (on a terminal)", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON events on stdout, one per line", NULL },
        { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Disk file names: {vm} {dev} {index} {ext} (default {vm}-{dev}.{ext})", "TEMPLATE" },
        { "known-hosts", 0, 0, G_OPTION_ARG_FILENAME, &known_hosts, "ssh: known_hosts file to use instead of the user's", "FILE" },
        { "accept-new", 0, 0, G_OPTION_ARG_NONE, &accept_new, "ssh: record an unknown host's key (a changed key is still refused)", NULL },
        { "host-key", 0, 0, G_OPTION_ARG_STRING, &host_key, "ssh: the host key's fingerprint must be this", "SHA256:..." },
        { "identity", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &identities, "ssh: private key file (repeatable)", "FILE" },
        { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "ssh: read the password from FILE", "FILE" },
        { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue a stopped export: keep finished disks, resume .part files", NULL },
        { NULL }
    };

    ctx = g_option_context_new("VM - export a stopped domain's disks to a pool");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_usage_error("export", error->message);
    if (argc != 2)
        return agent_usage_error("export", "expected one domain name");
    if (!to)
        return agent_usage_error("export", "--to: a target is required");
    if (!format)
        format = g_strdup("qcow2");
    if (!g_str_equal(format, "qcow2") && !g_str_equal(format, "raw"))
        return agent_usage_error("export", "--format: expected qcow2 or raw");
    if (host_key && !g_str_has_prefix(host_key, "SHA256:"))
        return agent_usage_error("export", "--host-key: expected SHA256:<base64>");

    topts.known_hosts_file = known_hosts;
    topts.accept_new = accept_new;
    topts.pinned_fingerprint = host_key;
    topts.identity_files = (const char *const *)identities;
    topts.password_file = password_file;
    target = target_new(to, &topts, cancellable, &error);
    if (!target)
        return agent_fail(error);
    if (!ssh_global_init(&error))
        return agent_fail(error);

    opts.vm = argv[1];
    opts.connect_uri = connect;
    opts.format = format;
    opts.options = options;
    opts.name_template = name;
    opts.resume = resume;
    opts.progress = progress;
    opts.json = json;
    opts.cancellable = cancellable;

    cmd_export_signals_start(&sig, cancellable);
    ok = agent_export_run(target, &opts, &error);
    cmd_export_signals_stop(&sig);
    g_clear_pointer(&target, target_free);
    ssh_global_exit();
    if (!ok)
        return agent_fail(error);
    return 0;
}
