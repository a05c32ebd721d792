/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-export.c: `ferry export VM --to TARGET [--connect URI] [--format
 * qcow2|raw|vmdk|vpc] [-o K=V,...] [-p] [--json] [--name TEMPLATE]
 * [--known-hosts FILE] [--accept-new] [--host-key SHA256:...] [--identity FILE]
 * [--password-file FILE] [--bwlimit RATE] [--resume] [--overwrite] [--transport
 * auto|sftp|ferry-receive] [--remote-ferry PATH] [--compress LEVEL] [--streams N]
 * [--for aws|azure|cloudstack|sce|none] [--force]
 * [--background [--session | --bus-address ADDRESS]]`.
 *
 * TARGET is file:///pool or ssh://[user@]host[:port]/pool.  Disk files are
 * named by TEMPLATE, "{vm}-{dev}.{ext}" by default ({index} is the disk's
 * 0-based position, {ext} the output format's extension: "qcow2", "raw",
 * "vmdk" or "vhd").  SIGINT,
 * SIGTERM and SIGHUP stop the copy (exit 130); the .part file of the disk
 * being copied is kept, and `--resume` continues from it.  The work itself
 * is agent/export.c; this file renders the events it reports: JSON events
 * on stdout with --json, with -p a progress bar on a terminal or, when
 * stderr is a log, a plain progress line every CMD_EXPORT_LINE_INTERVAL_US.
 *
 * Before anything is sent, the guest is checked against a target's
 * readiness rules (data/rules/<target>.conf): aws://, azure://,
 * azure-disk:// and cloudstack:// get their own, --for names others (for
 * file:// and ssh:// pools) or none; a failed rule refuses the export (exit 5)
 * unless --force, and what did not pass is printed as warnings (a
 * "readiness" event with --json) and kept in the manifest.
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

/* ---- rendering export's events ------------------------------------------ */

/* How often -p writes a progress line when stderr is not a terminal: a
 * log then shows an export moving without a line per percent. */
#define CMD_EXPORT_LINE_INTERVAL_US (5 * G_USEC_PER_SEC)

typedef struct {
    gboolean json;               /* JSON events on stdout */
    gboolean progress;           /* -p */
    gboolean tty;                /* stderr is a terminal: draw a bar */
    gboolean bar_drawn;          /* a bar is on stderr without its newline */
    int last_permille;           /* of the current disk; -1: none yet */
    gint64 next_line;            /* monotonic us of the next plain line */
    const Target *target;        /* for "transport" once connected */
    const char *vm;              /* for warnings */
} CmdExportView;

static JsonBuilder *
cmd_export_event_new(const char *event, const AgentExportDiskRef *disk)
{
    JsonBuilder *b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, event);
    if (disk) {
        json_builder_set_member_name(b, "dev");
        json_builder_add_string_value(b, disk->dev);
        json_builder_set_member_name(b, "file");
        json_builder_add_string_value(b, disk->file);
    }
    return b;
}

static void
cmd_export_event_add_int(JsonBuilder *b, const char *key, guint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, (gint64)value);
}

static void
cmd_export_event_emit(JsonBuilder *b)
{
    json_builder_end_object(b);
    agent_print_json_builder(stdout, b, FALSE);
}

/* Ends a drawn bar, so that the next line starts on its own. */
static void
cmd_export_end_bar(CmdExportView *view)
{
    if (!view->bar_drawn)
        return;
    fputc('\n', stderr);
    view->bar_drawn = FALSE;
}

static void
cmd_export_on_disk_started(const AgentExportDiskRef *disk,
                           guint64 resume_offset, gpointer data)
{
    CmdExportView *view = data;

    view->last_permille = -1;
    view->next_line = 0;
    if (view->json) {
        g_autoptr(JsonBuilder) b = cmd_export_event_new("disk-start", disk);

        cmd_export_event_add_int(b, "index", disk->index);
        cmd_export_event_add_int(b, "virtual-size", disk->virtual_size);
        cmd_export_event_add_int(b, "resume-offset", resume_offset);
        cmd_export_event_emit(b);
    }
}

static void
cmd_export_on_progress(const AgentExportProgress *p, gpointer data)
{
    CmdExportView *view = data;
    int permille;
    gint64 now;

    if (!p->disk)
        return;                  /* totals: a job's business, not a line */
    permille =
        p->total ? (int)(MIN(p->done, p->total) * 1000 / p->total) : 1000;
    if (permille == view->last_permille)
        return;
    view->last_permille = permille;
    if (view->json) {
        g_autoptr(JsonBuilder) b = cmd_export_event_new("progress", p->disk);

        cmd_export_event_add_int(b, "done", p->done);
        cmd_export_event_add_int(b, "total", p->total);
        cmd_export_event_emit(b);
    }
    if (!view->progress)
        return;
    if (view->tty) {
        fprintf(stderr, "\r    %s -> %s (%d.%d/100%%)", p->disk->dev,
                p->disk->file, permille / 10, permille % 10);
        fflush(stderr);
        view->bar_drawn = TRUE;
        return;
    }
    /* A log: the first figure, one every interval, and the last. */
    now = g_get_monotonic_time();
    if (permille != 1000 && now < view->next_line)
        return;
    view->next_line = now + CMD_EXPORT_LINE_INTERVAL_US;
    fprintf(stderr, "    %s -> %s (%d.%d/100%%)\n", p->disk->dev, p->disk->file,
            permille / 10, permille % 10);
    fflush(stderr);
}

static void
cmd_export_on_retry(const AgentExportDiskRef *disk, const char *target,
                    const char *why, guint attempt, guint wait, gpointer data)
{
    CmdExportView *view = data;

    view->last_permille = -1;
    if (view->progress || !view->json) {
        cmd_export_end_bar(view);
        fprintf(stderr, "ferry: %s: connection lost (%s); retry %u in %u s\n",
                target, why, attempt, wait);
    }
    if (view->json) {
        g_autoptr(JsonBuilder) b = cmd_export_event_new("retry", disk);

        cmd_export_event_add_int(b, "attempt", attempt);
        json_builder_set_member_name(b, "why");
        json_builder_add_string_value(b, why);
        cmd_export_event_add_int(b, "wait", wait);
        cmd_export_event_emit(b);
    }
}

static void
cmd_export_on_disk_verified(const AgentExportDiskRef *disk, const char *target,
                            const char *sha256, guint64 bytes_sent,
                            guint64 resumed_at, gpointer data)
{
    CmdExportView *view = data;

    cmd_export_end_bar(view);
    if (view->json) {
        g_autoptr(JsonBuilder) b = cmd_export_event_new("disk-done", disk);

        json_builder_set_member_name(b, "sha256");
        json_builder_add_string_value(b, sha256);
        cmd_export_event_add_int(b, "bytes-sent", bytes_sent);
        cmd_export_event_add_int(b, "resumed-at", resumed_at);
        json_builder_set_member_name(b, "transport");
        json_builder_add_string_value(b, target_get_transport(view->target));
        if (disk->resource_id) {
            json_builder_set_member_name(b, "resource-id");
            json_builder_add_string_value(b, disk->resource_id);
        }
        cmd_export_event_emit(b);
        return;
    }
    printf("%s -> %s: sha256 %s verified on the target (%" G_GUINT64_FORMAT
           " bytes sent)\n", disk->dev, disk->file, sha256, bytes_sent);
    fflush(stdout);
}

static void
cmd_export_on_manifest_written(const char *target, const char *manifest,
                               gpointer data)
{
    CmdExportView *view = data;

    if (view->json) {
        g_autoptr(JsonBuilder) b = cmd_export_event_new("done", NULL);

        json_builder_set_member_name(b, "manifest");
        json_builder_add_string_value(b, manifest);
        cmd_export_event_emit(b);
    }
}

static void
cmd_export_on_phase(const char *phase, int percent, const char *status,
                    gpointer data)
{
    CmdExportView *view = data;

    if (view->json) {
        g_autoptr(JsonBuilder) b = cmd_export_event_new("phase", NULL);

        json_builder_set_member_name(b, "phase");
        json_builder_add_string_value(b, phase);
        json_builder_set_member_name(b, "percent");
        json_builder_add_int_value(b, percent);
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, status);
        cmd_export_event_emit(b);
    } else if (view->progress) {
        cmd_export_end_bar(view);
        fprintf(stderr, "    %s: %s%s%d%%\n", phase, status,
                percent >= 0 ? " " : "", percent >= 0 ? percent : 0);
    }
}

/* Rules that did not pass, the export going on: one line each on stderr
 * (the operator must see them even with --json, which gets an event too). */
static void
cmd_export_on_readiness(JsonObject *readiness, gpointer data)
{
    CmdExportView *view = data;
    JsonArray *rules = json_object_get_array_member(readiness, "rules");
    const char *target = json_object_get_string_member(readiness, "target");
    guint i;

    cmd_export_end_bar(view);
    for (i = 0; i < json_array_get_length(rules); i++) {
        JsonObject *r = json_array_get_object_element(rules, i);

        fprintf(stderr, "ferry: %s: %s for %s: %s: %s (%s)\n", view->vm,
                g_str_equal(json_object_get_string_member(r, "result"), "fail")
                    ? "forced past a failed rule" : "warning",
                target, json_object_get_string_member(r, "id"),
                json_object_get_string_member(r, "why"),
                json_object_get_string_member(r, "fix"));
    }
    fflush(stderr);
    if (view->json) {
        g_autoptr(JsonBuilder) b = cmd_export_event_new("readiness", NULL);
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);

        json_node_set_object(n, readiness);
        json_builder_set_member_name(b, "readiness");
        json_builder_add_value(b, n);
        cmd_export_event_emit(b);
    }
}

/* The IAM policy to apply, and such: for the operator, on stderr. */
static void
cmd_export_on_notice(const char *text, gpointer data)
{
    fputs(text, stderr);
}

static void
cmd_export_print_image(const CmdExportView *view, const char *image_id)
{
    if (view->json) {
        g_autoptr(JsonBuilder) b = cmd_export_event_new("image", NULL);

        json_builder_set_member_name(b, "image-id");
        json_builder_add_string_value(b, image_id);
        cmd_export_event_emit(b);
        return;
    }
    printf("image %s\n", image_id);
    fflush(stdout);
}

static const AgentExportEvents cmd_export_events = {
    .phase = cmd_export_on_phase,
    .disk_started = cmd_export_on_disk_started,
    .progress = cmd_export_on_progress,
    .retry = cmd_export_on_retry,
    .disk_verified = cmd_export_on_disk_verified,
    .manifest_written = cmd_export_on_manifest_written,
    .readiness = cmd_export_on_readiness,
};

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
    if (!g_ascii_string_to_unsigned(digits, 10, 1, G_MAXUINT64 >> shift, &n,
                                    NULL)) {
        g_set_error(
            error, FERRY_ERROR, FERRY_ERROR_INVALID,
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
    const char *rules_for;           /* --for */
    gboolean force;
    gboolean accept_new;
    guint64 bwlimit;
    guint streams;                     /* 0: the agent's default */
    /* aws:// and cloudstack://: what TargetOptions has of them (never
     * credentials: the agent uses its own, or root names key files). */
    const TargetOptions *aws;
} CmdExportJobArgs;

static void
cmd_export_add_aws(GVariantDict *d, const TargetOptions *aws)
{
    if (aws->aws_method)
        g_variant_dict_insert(d, "method", "s", aws->aws_method);
    if (aws->aws_role)
        g_variant_dict_insert(d, "role", "s", aws->aws_role);
    if (aws->aws_license_type)
        g_variant_dict_insert(d, "license-type", "s", aws->aws_license_type);
    if (aws->aws_platform)
        g_variant_dict_insert(d, "platform", "s", aws->aws_platform);
    if (aws->aws_keep_objects)
        g_variant_dict_insert(d, "keep-objects", "b", TRUE);
    if (aws->aws_no_import)
        g_variant_dict_insert(d, "no-import", "b", TRUE);
    if (aws->aws_poll_interval)
        g_variant_dict_insert(d, "poll-interval", "t",
                              (guint64)aws->aws_poll_interval);
}

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
    if (a->rules_for)
        g_variant_dict_insert(&d, "for", "s", a->rules_for);
    if (a->force)
        g_variant_dict_insert(&d, "force", "b", TRUE);
    if (a->streams)
        g_variant_dict_insert(&d, "streams", "t", (guint64)a->streams);
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
    cmd_export_add_aws(&d, a->aws);
    if (a->aws->cs_service_offering)
        g_variant_dict_insert(&d, "service-offering", "s",
                              a->aws->cs_service_offering);
    if (a->aws->cs_network)
        g_variant_dict_insert(&d, "network", "s", a->aws->cs_network);
    if (a->aws->cs_disk_offering)
        g_variant_dict_insert(&d, "disk-offering", "s",
                              a->aws->cs_disk_offering);
    cmd_export_add_path(&d, "api-key-file", a->aws->cs_api_key_file);
    cmd_export_add_path(&d, "secret-key-file", a->aws->cs_secret_key_file);
    if (a->aws->overwrite)
        g_variant_dict_insert(&d, "overwrite", "b", TRUE);
    if (a->aws->azure_os_type)
        g_variant_dict_insert(&d, "os-type", "s", a->aws->azure_os_type);
    if (a->aws->azure_image)
        g_variant_dict_insert(&d, "image", "s", a->aws->azure_image);
    if (a->aws->azure_keep)
        g_variant_dict_insert(&d, "keep", "b", TRUE);
    /* The agent has no working directory of the caller's: this one. */
    cmd_export_add_path(&d, "manifest-dir",
                        a->aws->azure_manifest_dir
                            ? a->aws->azure_manifest_dir
                            : g_ascii_strncasecmp(to, "azure-disk:", 11) == 0
                                  ? "."
                                  : NULL);
    options = g_variant_ref_sink(g_variant_dict_end(&d));

    if (!(conn = agent_client_bus_open(session, address, &error)) ||
        !(objects = agent_client_objects_new(conn, &error)) ||
        !(manager = agent_client_get_manager(objects, &error)))
        return agent_fail(error);
    if (!ferry_manager_call_export_sync(manager, vm, to, options, &path, NULL,
                                        &error)) {
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
    g_autofree char *transport = NULL, *remote_ferry = NULL;
    gint compress = 0;
    gint streams = -1;               /* -1: not given */
    g_auto(GStrv) identities = NULL;
    gboolean progress = FALSE, json = FALSE, accept_new = FALSE;
    gboolean resume = FALSE, background = FALSE, session = FALSE, ok;
    gboolean overwrite = FALSE;
    g_autofree char *aws_method = NULL, *aws_role = NULL;
    g_autofree char *aws_license_type = NULL, *aws_platform = NULL;
    gboolean aws_keep_objects = FALSE, aws_no_import = FALSE;
    gint aws_poll_interval = -1;     /* -1: not given */
    g_autofree char *cs_service_offering = NULL, *cs_network = NULL;
    g_autofree char *cs_disk_offering = NULL, *cs_api_key_file = NULL;
    g_autofree char *cs_secret_key_file = NULL;
    gboolean dry_run = FALSE, force = FALSE;
    g_autofree char *rules_for = NULL;
    g_autofree char *az_os_type = NULL, *az_image = NULL;
    g_autofree char *az_manifest_dir = NULL;
    gboolean az_keep = FALSE;
    g_auto(AgentExportResult) result = { 0 };
    guint64 bwlimit = 0;
    AgentExportOptions opts = { 0 };
    CmdExportView view = { 0 };
    TargetOptions topts = { 0 };
    CmdExportSignals sig = { 0 };
    GOptionEntry entries[] = {
        { "to", 0, 0, G_OPTION_ARG_STRING, &to,
          "Target pool: file:///DIR or ssh://[USER@]HOST[:PORT]/DIR", "URI" },
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &connect,
          "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)",
          "URI" },
        { "format", 'O', 0, G_OPTION_ARG_STRING, &format,
          "Output format: qcow2 (default) or raw", "FMT" },
        { "options", 'o', 0, G_OPTION_ARG_STRING, &options,
          "Output format options (qemu-img's names)", "K=V,..." },
        { "progress", 'p', 0, G_OPTION_ARG_NONE, &progress,
          "Show each disk's progress (on a terminal)", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Print JSON events on stdout, one per line", NULL },
        { "name", 0, 0, G_OPTION_ARG_STRING, &name,
          "Disk file names: {vm} {dev} {index} {ext} (default {vm}-{dev}.{ext})",
          "TEMPLATE" },
        { "known-hosts", 0, 0, G_OPTION_ARG_FILENAME, &known_hosts,
          "ssh: known_hosts file to use instead of the user's", "FILE" },
        { "accept-new", 0, 0, G_OPTION_ARG_NONE, &accept_new,
          "ssh: record an unknown host's key (a changed key is still refused)",
          NULL },
        { "host-key", 0, 0, G_OPTION_ARG_STRING, &host_key,
          "ssh: the host key's fingerprint must be this", "SHA256:..." },
        { "identity", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &identities,
          "ssh: private key file (repeatable)", "FILE" },
        { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
          "ssh: read the password from FILE", "FILE" },
        { "resume", 0, 0, G_OPTION_ARG_NONE, &resume,
          "Continue a stopped export: keep finished disks, resume .part files",
          NULL },
        { "overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite,
          "azure, azure-disk: replace blobs, disks or the image of the same "
          "name", NULL },
        { "os-type", 0, 0, G_OPTION_ARG_STRING, &az_os_type,
          "azure-disk: the OS disk's osType, Linux (default) or Windows",
          "TYPE" },
        { "image", 0, 0, G_OPTION_ARG_STRING, &az_image,
          "azure-disk: make an image NAME of the disks", "NAME" },
        { "keep", 0, 0, G_OPTION_ARG_NONE, &az_keep,
          "azure-disk: keep a disk that could not be finished", NULL },
        { "manifest-dir", 0, 0, G_OPTION_ARG_FILENAME, &az_manifest_dir,
          "azure-disk: write the manifest and the domain XML in DIR "
          "(default: the current directory)", "DIR" },
        { "bwlimit", 0, 0, G_OPTION_ARG_STRING, &bwlimit_text,
          "Send at most RATE bytes per second (suffixes K, M, G)", "RATE" },
        { "method", 0, 0, G_OPTION_ARG_STRING, &aws_method,
          "aws: import-image (default) or snapshot", "METHOD" },
        { "role", 0, 0, G_OPTION_ARG_STRING, &aws_role,
          "aws: the VM Import service role (default vmimport)", "NAME" },
        { "keep-objects", 0, 0, G_OPTION_ARG_NONE, &aws_keep_objects,
          "aws: keep the S3 objects after the import", NULL },
        { "no-import", 0, 0, G_OPTION_ARG_NONE, &aws_no_import,
          "aws: stop after the upload to S3", NULL },
        { "license-type", 0, 0, G_OPTION_ARG_STRING, &aws_license_type,
          "aws: ImportImage LicenseType (AWS or BYOL)", "TYPE" },
        { "platform", 0, 0, G_OPTION_ARG_STRING, &aws_platform,
          "aws: ImportImage Platform (Linux or Windows)", "NAME" },
        { "transport", 0, 0, G_OPTION_ARG_STRING, &transport,
          "ssh: auto (default: ferry receive if the target has ferry, else "
          "SFTP), sftp or ferry-receive", "HOW" },
        { "remote-ferry", 0, 0, G_OPTION_ARG_STRING, &remote_ferry,
          "ssh: the target's ferry (default: ferry on the remote PATH)",
          "PATH" },
        { "compress", 0, 0, G_OPTION_ARG_INT, &compress,
          "ferry receive: deflate the stream at LEVEL (1-12; default 0, off)",
          "LEVEL" },
        { "streams", 0, 0, G_OPTION_ARG_INT, &streams,
          "ssh (SFTP): spread each disk over N connections (1-16; default "
          "min(4, cores))", "N" },
        { "poll-interval", 0, 0, G_OPTION_ARG_INT, &aws_poll_interval,
          "aws: seconds between two looks at the import task (default 15)",
          "SECONDS" },
        { "service-offering", 0, 0, G_OPTION_ARG_STRING,
          &cs_service_offering, "cloudstack: importVm's service offering",
          "ID" },
        { "network", 0, 0, G_OPTION_ARG_STRING, &cs_network,
          "cloudstack: the network of every NIC", "ID" },
        { "disk-offering", 0, 0, G_OPTION_ARG_STRING, &cs_disk_offering,
          "cloudstack: the disk offering of the data disks", "ID" },
        { "api-key-file", 0, 0, G_OPTION_ARG_FILENAME, &cs_api_key_file,
          "cloudstack: read the API key from FILE (default "
          "$CLOUDSTACK_API_KEY)", "FILE" },
        { "secret-key-file", 0, 0, G_OPTION_ARG_FILENAME,
          &cs_secret_key_file,
          "cloudstack: read the secret key from FILE (default "
          "$CLOUDSTACK_SECRET_KEY)", "FILE" },
        { "for", 0, 0, G_OPTION_ARG_STRING, &rules_for,
          "Check the guest against TARGET's readiness rules first (aws, "
          "azure, cloudstack, sce; none: no check; default: the target "
          "URI's own)", "TARGET" },
        { "force", 0, 0, G_OPTION_ARG_NONE, &force,
          "Export even when a readiness rule fails", NULL },
        { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
          "Check the domain and the target, print what would be made, send "
          "nothing", NULL },
        { "background", 0, 0, G_OPTION_ARG_NONE, &background,
          "Hand the export to ferry-agent and print its job id", NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &session,
          "--background: reach ferry-agent on the session bus", NULL },
        { "bus-address", 0, 0, G_OPTION_ARG_STRING, &bus_address,
          "--background: reach ferry-agent on the bus at ADDRESS (default $FERRY_BUS_ADDRESS, else the system bus)",
          "ADDRESS" },
        { NULL }
    };

    ctx =
        g_option_context_new("VM - export a stopped domain's disks to a pool");
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
    if (!agent_readiness_resolve("--for", rules_for, to, &opts.rules_target,
                                 &error))
        return agent_usage_error("export", error->message);
    if (host_key && !g_str_has_prefix(host_key, "SHA256:"))
        return agent_usage_error("export",
                                 "--host-key: expected SHA256:<base64>");
    if (aws_poll_interval != -1 &&
        (aws_poll_interval < 1 || aws_poll_interval > TARGET_AWS_MAX_POLL_S))
        return agent_usage_error("export",
                                 "--poll-interval: expected 1 to 3600 "
                                 "seconds");
    if (bwlimit_text && !cmd_export_parse_rate(bwlimit_text, &bwlimit, &error))
        return agent_usage_error("export", error->message);
    if (transport && g_str_equal(transport, "sftp"))
        topts.transport = TARGET_TRANSPORT_SFTP;
    else if (transport && g_str_equal(transport, "ferry-receive"))
        topts.transport = TARGET_TRANSPORT_RECEIVE;
    else if (transport && !g_str_equal(transport, "auto"))
        return agent_usage_error("export",
                                 "--transport: expected auto, sftp or "
                                 "ferry-receive");
    if (compress < 0 || compress > 12)
        return agent_usage_error("export", "--compress: expected 0 to 12");
    if (streams != -1 && (streams < 1 || streams > TARGET_MAX_STREAMS))
        return agent_usage_error("export", "--streams: expected 1 to 16");
    /* Naming the target's ferry asks for it: no silent SFTP. */
    if (remote_ferry && !transport)
        topts.transport = TARGET_TRANSPORT_RECEIVE;
    topts.aws_method = aws_method;
    topts.aws_role = aws_role;
    topts.aws_license_type = aws_license_type;
    topts.aws_platform = aws_platform;
    topts.aws_keep_objects = aws_keep_objects;
    topts.aws_no_import = aws_no_import;
    topts.aws_poll_interval = (guint)MAX(aws_poll_interval, 0);
    topts.cs_service_offering = cs_service_offering;
    topts.cs_network = cs_network;
    topts.cs_disk_offering = cs_disk_offering;
    topts.cs_api_key_file = cs_api_key_file;
    topts.cs_secret_key_file = cs_secret_key_file;
    if (background && dry_run)
        return agent_usage_error("export",
                                 "--dry-run: not with --background");
    topts.overwrite = overwrite;
    topts.azure_os_type = az_os_type;
    topts.azure_image = az_image;
    topts.azure_keep = az_keep;
    topts.azure_manifest_dir = az_manifest_dir;
    if (background) {
        CmdExportJobArgs a = {
            .connect = connect,
            .format = format,
            .options = options,
            .name = name,
            .known_hosts = known_hosts,
            .host_key = host_key,
            .password_file = password_file,
            .identities = (const char *const *)identities,
            .rules_for = rules_for,
            .force = force,
            .accept_new = accept_new,
            .bwlimit = bwlimit,
            .streams = streams != -1 ? (guint)streams : 0,
            .aws = &topts,
        };

        if (transport || remote_ferry || compress)
            return agent_usage_error("export",
                                     "--transport, --remote-ferry and "
                                     "--compress: not with --background "
                                     "yet");
        if (resume)
            return agent_usage_error("export",
                                     "--resume: with --background, use "
                                     "`ferry resume JOB` on the agent's job");
        if (progress)
            return agent_usage_error("export",
                                     "--progress: with --background, use "
                                     "`ferry watch JOB`");
        return cmd_export_background(argv[1], to, &a, session, bus_address,
                                     json);
    }
    if (session || bus_address)
        return agent_usage_error(
            "export", "--session and --bus-address go with --background");
    if (!format)
        format = g_strdup("qcow2");

    topts.known_hosts_file = known_hosts;
    topts.accept_new = accept_new;
    topts.pinned_fingerprint = host_key;
    topts.identity_files = (const char *const *)identities;
    topts.password_file = password_file;
    topts.bandwidth_limit = bwlimit;
    topts.notice = cmd_export_on_notice;
    topts.remote_ferry = remote_ferry;
    topts.compress_level = compress;
    /* 0: target_default_streams(), min(4, cores). */
    topts.streams = streams != -1 ? (guint)streams : 0;
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
    opts.dry_run = dry_run;
    opts.overwrite = overwrite;
    opts.force = force;
    opts.cancellable = cancellable;
    view.json = json;
    view.progress = progress;
    view.tty = isatty(STDERR_FILENO);
    view.last_permille = -1;
    view.target = target;
    view.vm = argv[1];
    opts.events = &cmd_export_events;
    opts.events_data = &view;

    cmd_export_signals_start(&sig, cancellable);
    ok = agent_export_run(target, &opts, &result, &error);
    cmd_export_signals_stop(&sig);
    cmd_export_end_bar(&view);
    if (ok && result.image_id)
        cmd_export_print_image(&view, result.image_id);
    g_clear_pointer(&target, target_free);
    ssh_global_exit();
    if (!ok)
        return agent_fail(error);
    return 0;
}
