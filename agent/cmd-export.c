/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-export.c: `ferry export VM --to TARGET [--connect URI] [--format
 * qcow2|raw|vmdk|vpc] [-o K=V,...] [-p] [--json] [--name TEMPLATE] [--known-hosts
 * FILE] [--accept-new] [--host-key SHA256:...] [--identity FILE]
 * [--password-file FILE] [--bwlimit RATE] [--resume] [--background
 * [--session | --bus-address ADDRESS]]`.
 *
 * TARGET is file:///pool or ssh://[user@]host[:port]/pool.  Disk files are
 * named by TEMPLATE, "{vm}-{dev}.{ext}" by default ({index} is the disk's
 * 0-based position, {ext} the output format's extension: "qcow2", "raw",
 * "vmdk" or "vhd").  SIGINT,
 * SIGTERM and SIGHUP stop the copy (exit 130); the .part file of the disk
 * being copied is kept, and `--resume` continues from it.  The work itself
 * is agent/export.c.
 *
 * --background hands the export to ferry-agent over D-Bus instead (its
 * "export" job kind, agent/export-job.c, with the same options; paths are
 * made absolute first, as the agent runs elsewhere) and prints the job id,
 * or {"job": ID, "path": OBJECT_PATH} with --json; `ferry watch JOB`
 * follows it.  Options left out take the agent's defaults (ferry.conf).
 */
#include <config.h>

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/dbus-priv.h"
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

/* "1048576", "512K", "4M", "1G" (binary units) in bytes per second. */
static gboolean
cmd_export_parse_rate(const char *text, guint64 *rate, GError **error)
{
    g_autofree char *digits = g_strdup(text);
    gsize len = strlen(digits);
    guint shift = 0;
    guint64 n;

    if (len > 0 && strchr("kKmMgG", digits[len - 1])) {
        shift = g_ascii_tolower(digits[len - 1]) == 'k' ? 10 :
                g_ascii_tolower(digits[len - 1]) == 'm' ? 20 : 30;
        digits[--len] = '\0';
    }
    if (!g_ascii_string_to_unsigned(digits, 10, 1, G_MAXUINT64 >> shift, &n, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--bwlimit: '%s' is not a rate in bytes per second (N, NK, NM or NG)",
                    text);
        return FALSE;
    }
    *rate = n << shift;
    return TRUE;
}

/* What --background passes on, paths made absolute. */
typedef struct {
    const char *connect, *format, *options, *name, *known_hosts, *host_key;
    const char *password_file;
    const char *const *identities;
    gboolean accept_new;
    guint64 bwlimit;
} CmdExportJobArgs;

static void
cmd_export_add_path(GVariantDict *d, const char *key, const char *path)
{
    g_autofree char *abs = NULL;

    if (!path)
        return;
    abs = g_canonicalize_filename(path, NULL);
    g_variant_dict_insert(d, key, "s", abs);
}

static int
cmd_export_background(const char *vm, const char *to, const CmdExportJobArgs *a,
                      gboolean session, const char *address, gboolean json)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(GDBusObjectManager) objects = NULL;
    g_autoptr(FerryManager) manager = NULL;
    g_autoptr(GVariant) options = NULL;
    g_autofree char *path = NULL;
    g_auto(GVariantDict) d;
    const char *id;

    g_variant_dict_init(&d, NULL);
    if (a->connect)
        g_variant_dict_insert(&d, "connect", "s", a->connect);
    if (a->format)
        g_variant_dict_insert(&d, "format", "s", a->format);
    if (a->options)
        g_variant_dict_insert(&d, "options", "s", a->options);
    if (a->name)
        g_variant_dict_insert(&d, "name", "s", a->name);
    if (a->host_key)
        g_variant_dict_insert(&d, "host-key", "s", a->host_key);
    if (a->accept_new)
        g_variant_dict_insert(&d, "accept-new", "b", TRUE);
    if (a->bwlimit)
        g_variant_dict_insert(&d, "bwlimit", "t", a->bwlimit);
    cmd_export_add_path(&d, "known-hosts", a->known_hosts);
    cmd_export_add_path(&d, "password-file", a->password_file);
    if (a->identities && a->identities[0]) {
        g_autoptr(GPtrArray) abs = g_ptr_array_new_with_free_func(g_free);
        const char *const *i;

        for (i = a->identities; *i; i++)
            g_ptr_array_add(abs, g_canonicalize_filename(*i, NULL));
        g_variant_dict_insert_value(&d, "identity",
            g_variant_new_strv((const char *const *)abs->pdata, abs->len));
    }
    options = g_variant_ref_sink(g_variant_dict_end(&d));

    if (!(conn = agent_client_bus_open(session, address, &error)) ||
        !(objects = agent_client_objects_new(conn, &error)) ||
        !(manager = agent_client_get_manager(objects, &error)))
        return agent_fail(error);
    if (!ferry_manager_call_export_sync(manager, vm, to, options, &path, NULL, &error)) {
        agent_client_fix_error(error);
        return agent_fail(error);
    }
    id = strrchr(path, '/') + 1;
    if (json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "job");
        json_builder_add_string_value(b, id);
        json_builder_set_member_name(b, "path");
        json_builder_add_string_value(b, path);
        json_builder_end_object(b);
        agent_print_json_builder(stdout, b, FALSE);
    } else {
        printf("%s\n", id);
    }
    return 0;
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
    g_autofree char *bwlimit_text = NULL, *bus_address = NULL;
    g_auto(GStrv) identities = NULL;
    gboolean progress = FALSE, json = FALSE, accept_new = FALSE;
    gboolean resume = FALSE, background = FALSE, session = FALSE, ok;
    guint64 bwlimit = 0;
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
        { "bwlimit", 0, 0, G_OPTION_ARG_STRING, &bwlimit_text, "Send at most RATE bytes per second (suffixes K, M, G)", "RATE" },
        { "background", 0, 0, G_OPTION_ARG_NONE, &background, "Hand the export to ferry-agent and print its job id", NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &session, "--background: reach ferry-agent on the session bus", NULL },
        { "bus-address", 0, 0, G_OPTION_ARG_STRING, &bus_address, "--background: reach ferry-agent on the bus at ADDRESS (default $FERRY_BUS_ADDRESS, else the system bus)", "ADDRESS" },
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
    if (format && !g_strv_contains(conv_writer_names(), format)) {
        g_autofree char *names = g_strjoinv(", ", (char **)conv_writer_names());
        g_autofree char *msg = g_strdup_printf("--format: expected one of %s",
                                               names);

        return agent_usage_error("export", msg);
    }
    if (host_key && !g_str_has_prefix(host_key, "SHA256:"))
        return agent_usage_error("export", "--host-key: expected SHA256:<base64>");
    if (bwlimit_text && !cmd_export_parse_rate(bwlimit_text, &bwlimit, &error))
        return agent_usage_error("export", error->message);
    if (background) {
        CmdExportJobArgs a = {
            .connect = connect, .format = format, .options = options, .name = name,
            .known_hosts = known_hosts, .host_key = host_key,
            .password_file = password_file,
            .identities = (const char *const *)identities,
            .accept_new = accept_new, .bwlimit = bwlimit,
        };

        if (resume)
            return agent_usage_error("export", "--resume: with --background, use "
                                     "`ferry resume JOB` on the agent's job");
        if (progress)
            return agent_usage_error("export", "--progress: with --background, use "
                                     "`ferry watch JOB`");
        return cmd_export_background(argv[1], to, &a, session, bus_address, json);
    }
    if (session || bus_address)
        return agent_usage_error("export", "--session and --bus-address go with --background");
    if (!format)
        format = g_strdup("qcow2");

    topts.known_hosts_file = known_hosts;
    topts.accept_new = accept_new;
    topts.pinned_fingerprint = host_key;
    topts.identity_files = (const char *const *)identities;
    topts.password_file = password_file;
    topts.bandwidth_limit = bwlimit;
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
    ok = agent_export_run(target, &opts, NULL, &error);
    cmd_export_signals_stop(&sig);
    g_clear_pointer(&target, target_free);
    ssh_global_exit();
    if (!ok)
        return agent_fail(error);
    return 0;
}
