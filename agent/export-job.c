/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * export-job.c: the "export" job kind, the default of Manager.Export and
 * of the stdio "export" method.  It runs agent/export.c's export (the same
 * code as `ferry export`) in the job's worker thread:
 *
 *   - the options are those of `ferry export`, as a{sv} (see agent.h);
 *     check() and check_target() refuse bad ones at Export, before the job
 *     exists, by parsing only (no libvirt, no network);
 *   - guest bytes done over every disk feed the job's counters, which the
 *     service's timer turns into properties (never per write);
 *   - a Resume continues with export's resume: finished disks are kept,
 *     each .part is continued from its size rounded down to
 *     TARGET_RESUME_ALIGN, and the target's SHA-256 check proves it;
 *   - "for" names readiness rules (aws, azure, cloudstack, sce, or none)
 *     for the guest, by default the target URI's own (agent/readiness.c); a failed
 *     rule fails the job unless "force";
 *   - on success the job's result holds the manifest's path and each
 *     disk's file, SHA-256, bytes sent and resume point, and the readiness
 *     rules that did not pass;
 *   - a Cancel removes the .part files (a cancelled job starts afresh if
 *     resumed), while a stop of the agent keeps them for the Resume; a
 *     Cancel of that interrupted job removes them then (discard()).
 */
#include <config.h>

#include <string.h>

#include "agent/agent.h"
#include "providers/providers.h"

/* String options longer than this are refused (a path, a URI). */
#define EXPORT_JOB_MAX_STRING 4096
/* "identity" may name this many key files. */
#define EXPORT_JOB_MAX_IDENTITIES 8

/* The options, parsed.  Strings are borrowed from the options a{sv}. */
typedef struct {
    const char *connect;
    const char *format;
    const char *options;
    const char *name;
    const char *known_hosts;
    const char *host_key;
    const char *password_file;
    const char **identities;       /* NULL-terminated; the array is owned */
    gboolean accept_new;
    guint64 bwlimit;
    const char *rules_for;         /* "for": readiness rules, or NULL */
    gboolean force;
    guint64 streams;               /* 0: not given, the default */
    /* aws:// (see TargetOptions).  Never credentials, a profile or an
     * endpoint: the agent signs with its own environment's keys, and a
     * caller's endpoint would receive its signed requests. */
    const char *aws_method;
    const char *aws_role;
    const char *aws_license_type;
    const char *aws_platform;
    gboolean aws_keep_objects;
    gboolean aws_no_import;
    guint64 aws_poll_interval;
    /* cloudstack:// (see TargetOptions); the key files are root's to name
     * (agent/authz.c). */
    const char *cs_service_offering;
    const char *cs_network;
    const char *cs_disk_offering;
    const char *cs_api_key_file;
    const char *cs_secret_key_file;
    /* azure:// and azure-disk:// (see TargetOptions); both are root's
     * only (agent/authz.c), and so is the manifest directory. */
    gboolean overwrite;
    const char *azure_os_type;
    const char *azure_image;
    gboolean azure_keep;
    const char *azure_manifest_dir;
    /* From ferry.conf only: the authorization table has no row for them,
     * so a caller cannot set them. */
    guint64 file_mode;
    const char *file_group;
} ExportJobParams;

static void
export_job_params_clear(ExportJobParams *p)
{
    g_clear_pointer(&p->identities, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ExportJobParams, export_job_params_clear)

/* @s is fit for a message, a path or a URI. */
static gboolean
export_job_check_text(const char *key, const char *s, GError **error)
{
    g_autofree char *what = g_strdup_printf("option '%s'", key);

    return ferry_check_text(what, s, EXPORT_JOB_MAX_STRING, error);
}

static gboolean
export_job_string(GVariant *options, const char *key, const char **value,
                  GError **error)
{
    g_autoptr(GVariant) v = g_variant_lookup_value(options, key, NULL);

    *value = NULL;
    if (!v)
        return TRUE;
    if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
        return agent_options_wrong_type(key, "s", v, error);
    /* "&s" borrows from @options, which outlives the params. */
    g_variant_lookup(options, key, "&s", value);
    return export_job_check_text(key, *value, error);
}

/* The daemon's working directory is "/": a relative path would name some
 * other file than the caller meant. */
static gboolean
export_job_check_absolute(const char *key, const char *path, GError **error)
{
    if (g_path_is_absolute(path))
        return TRUE;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "option '%s': '%s' is not an absolute path", key, path);
    return FALSE;
}

static gboolean
export_job_path(GVariant *options, const char *key, const char **value,
                GError **error)
{
    if (!export_job_string(options, key, value, error))
        return FALSE;
    return !*value || export_job_check_absolute(key, *value, error);
}

static gboolean
export_job_identities(GVariant *options, ExportJobParams *p, GError **error)
{
    g_autoptr(GVariant) v = g_variant_lookup_value(options, "identity", NULL);
    gsize n = 0, i;

    if (!v)
        return TRUE;
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
        p->identities = g_new0(const char *, 2);
        if (!export_job_path(options, "identity", &p->identities[0], error))
            return FALSE;
        return TRUE;
    }
    if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING_ARRAY))
        return agent_options_wrong_type("identity", "s' or 'as", v, error);
    /* Borrowed strings from @options, as for "&s". */
    g_variant_lookup(options, "identity", "^a&s", &p->identities);
    n = g_strv_length((char **)p->identities);
    if (n == 0 || n > EXPORT_JOB_MAX_IDENTITIES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "option 'identity': %zu files is not within 1..%d", n,
                    EXPORT_JOB_MAX_IDENTITIES);
        return FALSE;
    }
    for (i = 0; i < n; i++) {
        if (!export_job_check_text("identity", p->identities[i], error) ||
            !export_job_check_absolute("identity", p->identities[i], error))
            return FALSE;
    }
    return TRUE;
}

static gboolean
export_job_boolean(GVariant *options, const char *key, gboolean *value,
                   GError **error)
{
    g_autoptr(GVariant) v = g_variant_lookup_value(options, key, NULL);

    *value = FALSE;
    if (!v)
        return TRUE;
    if (!g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
        return agent_options_wrong_type(key, "b", v, error);
    *value = g_variant_get_boolean(v);
    return TRUE;
}

static gboolean
export_job_aws_params(GVariant *options, ExportJobParams *p, GError **error)
{
    g_autoptr(GVariant) poll =
        g_variant_lookup_value(options, "poll-interval", NULL);

    if (!export_job_string(options, "method", &p->aws_method, error) ||
        !export_job_string(options, "role", &p->aws_role, error) ||
        !export_job_string(options, "license-type", &p->aws_license_type,
                           error) ||
        !export_job_string(options, "platform", &p->aws_platform, error) ||
        !export_job_boolean(options, "keep-objects", &p->aws_keep_objects,
                            error) ||
        !export_job_boolean(options, "no-import", &p->aws_no_import, error) ||
        !agent_options_get_uint64(options, "poll-interval", 0,
                                  TARGET_AWS_MAX_POLL_S, &p->aws_poll_interval,
                                  error))
        return FALSE;
    if (poll && p->aws_poll_interval == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "option 'poll-interval': expected 1 to %d seconds",
                    TARGET_AWS_MAX_POLL_S);
        return FALSE;
    }
    return TRUE;
}

/* "streams": 1 to TARGET_MAX_STREAMS, as `ferry export --streams`. */
static gboolean
export_job_streams(GVariant *options, guint64 *value, GError **error)
{
    g_autoptr(GVariant) v = g_variant_lookup_value(options, "streams", NULL);

    if (!agent_options_get_uint64(options, "streams", 0, TARGET_MAX_STREAMS,
                                  value, error))
        return FALSE;
    if (v && *value == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "option 'streams': expected 1 to %d", TARGET_MAX_STREAMS);
        return FALSE;
    }
    return TRUE;
}

static gboolean
export_job_params(GVariant *options, ExportJobParams *p, GError **error)
{
    if (!export_job_string(options, "connect", &p->connect, error) ||
        !export_job_string(options, "format", &p->format, error) ||
        !export_job_string(options, "options", &p->options, error) ||
        !export_job_string(options, "name", &p->name, error) ||
        !export_job_string(options, "host-key", &p->host_key, error) ||
        !export_job_path(options, "known-hosts", &p->known_hosts, error) ||
        !export_job_path(options, "password-file", &p->password_file, error) ||
        !export_job_identities(options, p, error) ||
        !agent_options_get_uint64(options, "bwlimit", 0, G_MAXUINT64,
                                  &p->bwlimit, error) ||
        !export_job_streams(options, &p->streams, error) ||
        !agent_options_get_uint64(options, "file-mode", 0, 0777, &p->file_mode,
                                  error) ||
        !export_job_string(options, "file-group", &p->file_group, error) ||
        !export_job_boolean(options, "accept-new", &p->accept_new, error) ||
        !export_job_string(options, "for", &p->rules_for, error) ||
        !export_job_boolean(options, "force", &p->force, error) ||
        !export_job_aws_params(options, p, error) ||
        !export_job_string(options, "service-offering",
                           &p->cs_service_offering, error) ||
        !export_job_string(options, "network", &p->cs_network, error) ||
        !export_job_string(options, "disk-offering", &p->cs_disk_offering,
                           error) ||
        !export_job_path(options, "api-key-file", &p->cs_api_key_file,
                         error) ||
        !export_job_path(options, "secret-key-file", &p->cs_secret_key_file,
                         error) ||
        !export_job_boolean(options, "overwrite", &p->overwrite, error) ||
        !export_job_string(options, "os-type", &p->azure_os_type, error) ||
        !export_job_string(options, "image", &p->azure_image, error) ||
        !export_job_boolean(options, "keep", &p->azure_keep, error) ||
        !export_job_path(options, "manifest-dir", &p->azure_manifest_dir,
                         error))
        return FALSE;
    if (p->format && !g_strv_contains(conv_writer_names(), p->format)) {
        g_autofree char *known = g_strjoinv(", ", (char **)conv_writer_names());

        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "option 'format': '%s' is not an output format (%s)",
                    p->format, known);
        return FALSE;
    }
    if (p->rules_for && !g_str_equal(p->rules_for, "none") &&
        !agent_readiness_check_target("option 'for'", p->rules_for, error))
        return FALSE;
    if (p->host_key && !g_str_has_prefix(p->host_key, "SHA256:")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "option 'host-key': expected SHA256:<base64>, got '%s'",
                    p->host_key);
        return FALSE;
    }
    return TRUE;
}

/* @job: NULL before the job exists (a check at Export). */
static void
export_job_target_options(const AgentJob *job, const ExportJobParams *p,
                          TargetOptions *topts)
{
    memset(topts, 0, sizeof(*topts));
    /* A file:// path of a caller other than root was canonicalized and
     * checked against [agent] pools at Export (agent/authz.c); a directory
     * on it swapped for a symbolic link since must not be followed. */
    topts->pool_no_symlinks = job && agent_job_get_owner(job) != 0;
    topts->known_hosts_file = p->known_hosts;
    topts->accept_new = p->accept_new;
    topts->pinned_fingerprint = p->host_key;
    topts->identity_files = p->identities;
    topts->password_file = p->password_file;
    topts->bandwidth_limit = p->bwlimit;
    topts->streams = (guint)p->streams;
    topts->file_mode = (guint)p->file_mode;
    topts->file_group = p->file_group;
    topts->aws_method = p->aws_method;
    topts->aws_role = p->aws_role;
    topts->aws_license_type = p->aws_license_type;
    topts->aws_platform = p->aws_platform;
    topts->aws_keep_objects = p->aws_keep_objects;
    topts->aws_no_import = p->aws_no_import;
    topts->aws_poll_interval = (guint)p->aws_poll_interval;
    topts->cs_service_offering = p->cs_service_offering;
    topts->cs_network = p->cs_network;
    topts->cs_disk_offering = p->cs_disk_offering;
    topts->cs_api_key_file = p->cs_api_key_file;
    topts->cs_secret_key_file = p->cs_secret_key_file;
    topts->overwrite = p->overwrite;
    topts->azure_os_type = p->azure_os_type;
    topts->azure_image = p->azure_image;
    topts->azure_keep = p->azure_keep;
    topts->azure_manifest_dir = p->azure_manifest_dir;
}

static gboolean
export_job_check(GVariant *options, GError **error)
{
    g_auto(ExportJobParams) p = { 0 };

    return export_job_params(options, &p, error);
}

static gboolean
export_job_check_target(const char *vm, const char *target, GVariant *options,
                        GError **error)
{
    g_auto(ExportJobParams) p = { 0 };
    g_autoptr(Target) t = NULL;
    g_autofree char *name = NULL;
    TargetOptions topts;

    if (!export_job_params(options, &p, error))
        return FALSE;
    /* The daemon's working directory is "/": no default there. */
    if (g_ascii_strncasecmp(target, "azure-disk:", 11) == 0 &&
        !p.azure_manifest_dir) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "target '%s': option 'manifest-dir' is required (ARM "
                    "keeps no files: the manifest goes there)", target);
        return FALSE;
    }
    export_job_target_options(NULL, &p, &topts);
    t = target_new(target, &topts, NULL, error);
    if (!t)
        return FALSE;
    /* A template that cannot name a disk fails now, not in the worker. */
    name = target_expand_name(p.name ? p.name : "{vm}-{dev}.{ext}", vm, "vda",
                              0, p.format ? p.format : "qcow2", error);
    return name != NULL;
}

/* ---- the run ------------------------------------------------------------ */

/* export.c's events, rendered for a daemon: the counters of the job (its
 * Bytes and BytesTotal) and lines in the log. */
typedef struct {
    AgentJob *job;
    AgentJobProgressFunc progress;
    /* The last phase the target reported (aws://: "import"), for the
     * result; worker thread only. */
    char *phase;
    char *phase_status;
    int phase_percent;
} ExportJobRun;

static void
export_job_run_clear(ExportJobRun *r)
{
    g_clear_pointer(&r->phase, g_free);
    g_clear_pointer(&r->phase_status, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ExportJobRun, export_job_run_clear)

static void
export_job_on_progress(const AgentExportProgress *p, gpointer data)
{
    ExportJobRun *r = data;

    r->progress(r->job, p->guest_done, p->guest_total);
}

static void
export_job_on_retry(const AgentExportDiskRef *disk, const char *target,
                    const char *why, guint attempt, guint wait, gpointer data)
{
    ExportJobRun *r = data;

    g_info("job %s: %s: disk %s: connection lost (%s); retry %u in %u s",
           agent_job_get_id(r->job), target, disk->dev, why, attempt, wait);
}

static void
export_job_on_disk_verified(const AgentExportDiskRef *disk, const char *target,
                            const char *sha256, guint64 bytes_sent,
                            guint64 resumed_at, gpointer data)
{
    ExportJobRun *r = data;

    g_info("job %s: %s: %s -> %s: sha256 %s verified on the target (%"
           G_GUINT64_FORMAT " bytes sent, resumed at %" G_GUINT64_FORMAT ")",
           agent_job_get_id(r->job), target, disk->dev, disk->file, sha256,
           bytes_sent, resumed_at);
}

static void
export_job_on_manifest_written(const char *target, const char *manifest,
                               gpointer data)
{
    ExportJobRun *r = data;

    g_info("job %s: %s: manifest %s written", agent_job_get_id(r->job), target,
           manifest);
}

/* A target's own work after the disks: logged when its status changes
 * (an import polled every few seconds says the same thing for minutes),
 * kept for the result. */
static void
export_job_on_phase(const char *phase, int percent, const char *status,
                    gpointer data)
{
    ExportJobRun *r = data;

    if (g_strcmp0(r->phase, phase) != 0 ||
        g_strcmp0(r->phase_status, status) != 0)
        g_info("job %s: %s: %s", agent_job_get_id(r->job), phase, status);
    g_free(r->phase);
    g_free(r->phase_status);
    r->phase = g_strdup(phase);
    r->phase_status = g_strdup(status);
    r->phase_percent = percent;
}

/* Rules that did not pass, the export going on: one log line each. */
static void
export_job_on_readiness(JsonObject *readiness, gpointer data)
{
    ExportJobRun *r = data;
    JsonArray *rules = json_object_get_array_member(readiness, "rules");
    guint i;

    for (i = 0; i < json_array_get_length(rules); i++) {
        JsonObject *rule = json_array_get_object_element(rules, i);

        g_info("job %s: readiness for %s: %s %s: %s (%s)",
               agent_job_get_id(r->job),
               json_object_get_string_member(readiness, "target"),
               json_object_get_string_member(rule, "id"),
               json_object_get_string_member(rule, "result"),
               json_object_get_string_member(rule, "why"),
               json_object_get_string_member(rule, "fix"));
    }
}

static const AgentExportEvents export_job_events = {
    .readiness = export_job_on_readiness,
    .progress = export_job_on_progress,
    .retry = export_job_on_retry,
    .disk_verified = export_job_on_disk_verified,
    .manifest_written = export_job_on_manifest_written,
    .phase = export_job_on_phase,
};

static void
export_job_add_uint64(GVariantBuilder *b, const char *key, guint64 value)
{
    g_variant_builder_add(b, "{sv}", key, g_variant_new_uint64(value));
}

static void
export_job_add_string(GVariantBuilder *b, const char *key, const char *value)
{
    g_variant_builder_add(b, "{sv}", key, g_variant_new_string(value));
}

/* "readiness": {target: s, verdict: s, forced: b, rules: aa{sv} of
 * {id, result, why, fix}} from agent_readiness_summary(). */
static GVariant *
export_job_readiness(JsonObject *readiness)
{
    JsonArray *rules = json_object_get_array_member(readiness, "rules");
    GVariantBuilder b, list;
    guint i;

    g_variant_builder_init(&list, G_VARIANT_TYPE("aa{sv}"));
    for (i = 0; i < json_array_get_length(rules); i++) {
        JsonObject *r = json_array_get_object_element(rules, i);
        static const char *const keys[] = { "id", "result", "why", "fix" };
        gsize k;

        g_variant_builder_open(&list, G_VARIANT_TYPE_VARDICT);
        for (k = 0; k < G_N_ELEMENTS(keys); k++)
            export_job_add_string(&list, keys[k],
                json_object_get_string_member_with_default(r, keys[k], ""));
        g_variant_builder_close(&list);
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    export_job_add_string(&b, "target",
        json_object_get_string_member_with_default(readiness, "target", ""));
    export_job_add_string(&b, "verdict",
        json_object_get_string_member_with_default(readiness, "verdict", ""));
    g_variant_builder_add(&b, "{sv}", "forced", g_variant_new_boolean(
        json_object_get_boolean_member_with_default(readiness, "forced",
                                                    FALSE)));
    g_variant_builder_add(&b, "{sv}", "rules", g_variant_builder_end(&list));
    return g_variant_builder_end(&b);
}

/* {"manifest": s (path on the target), "pool": s, "disks": aa{sv} of
 * {dev, file, sha256, virtual-size, bytes-sent, resumed-at}}; "readiness"
 * (export_job_readiness()) when a rule did not pass; and when the
 * target made an image of the disks (aws://), "image-id": s (the AMI), and
 * the last phase it reported: "phase": s ("import"), "phase-status": s
 * (the service's words: "completed"). */
static GVariant *
export_job_result(const AgentExportResult *res, const ExportJobRun *r)
{
    g_autofree char *manifest =
        g_build_filename(res->pool, res->manifest, NULL);
    GVariantBuilder b, disks;
    guint i;

    g_variant_builder_init(&disks, G_VARIANT_TYPE("aa{sv}"));
    for (i = 0; i < res->disks->len; i++) {
        const AgentExportDisk *d =
            &g_array_index(res->disks, AgentExportDisk, i);

        g_variant_builder_open(&disks, G_VARIANT_TYPE_VARDICT);
        export_job_add_string(&disks, "dev", d->dev);
        export_job_add_string(&disks, "file", d->file);
        export_job_add_string(&disks, "sha256", d->sha256);
        export_job_add_uint64(&disks, "virtual-size", d->virtual_size);
        export_job_add_uint64(&disks, "bytes-sent", d->bytes_sent);
        export_job_add_uint64(&disks, "resumed-at", d->resumed_at);
        if (d->resource_id)
            export_job_add_string(&disks, "resource-id", d->resource_id);
        g_variant_builder_close(&disks);
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    export_job_add_string(&b, "manifest", manifest);
    export_job_add_string(&b, "pool", res->pool);
    g_variant_builder_add(&b, "{sv}", "disks", g_variant_builder_end(&disks));
    if (res->image_id)
        export_job_add_string(&b, "image-id", res->image_id);
    if (res->readiness)
        g_variant_builder_add(&b, "{sv}", "readiness",
                              export_job_readiness(res->readiness));
    if (r->phase) {
        export_job_add_string(&b, "phase", r->phase);
        export_job_add_string(&b, "phase-status", r->phase_status);
    }
    return g_variant_builder_end(&b);
}

/* After a Cancel: removes the .part files @parts the export may have
 * left.  The job's own target is cancelled and would refuse to talk, so
 * this one is new (the transport's timeouts bound it). */
static void
export_job_remove_parts(AgentJob *job, const TargetOptions *topts,
                        GPtrArray *parts)
{
    g_autoptr(Target) target = NULL;
    g_autoptr(GError) error = NULL;
    guint i;

    if (!parts || parts->len == 0)
        return;
    target = target_new(agent_job_get_target(job), topts, NULL, &error);
    if (!target || !target_connect(target, &error)) {
        g_warning("job %s: cannot remove its temporary files: %s",
                  agent_job_get_id(job), error->message);
        return;
    }
    for (i = 0; i < parts->len; i++)
        target_remove(target, g_ptr_array_index(parts, i));
    g_info("job %s: cancelled; %u temporary files removed from %s",
           agent_job_get_id(job), parts->len, target_get_name(target));
}

static gboolean
export_job_run(AgentJob *job, GCancellable *cancellable,
               AgentJobProgressFunc progress, GError **error)
{
    g_auto(ExportJobParams) p = { 0 };
    g_auto(AgentExportResult) res = { 0 };
    g_autoptr(Target) target = NULL;
    g_autoptr(GError) local = NULL;
    const char *const *disks = agent_job_get_disks(job);
    AgentExportOptions opts = { 0 };
    g_auto(ExportJobRun) r = { job, progress, NULL, NULL, -1 };
    TargetOptions topts;

    if (!export_job_params(agent_job_get_options(job), &p, error))
        return FALSE;
    export_job_target_options(job, &p, &topts);
    target = target_new(agent_job_get_target(job), &topts, cancellable, error);
    if (!target)
        return FALSE;
    opts.vm = agent_job_get_vm(job);
    opts.connect_uri = p.connect;
    opts.format = p.format ? p.format : "qcow2";
    opts.options = p.options;
    opts.name_template = p.name;
    opts.resume = agent_job_get_resume(job);
    if (!agent_readiness_resolve("option 'for'", p.rules_for,
                                 agent_job_get_target(job), &opts.rules_target,
                                 error))
        return FALSE;
    opts.force = p.force;
    opts.overwrite = p.overwrite;
    opts.cancellable = cancellable;
    opts.disks = disks && disks[0] ? disks : NULL;
    opts.events = &export_job_events;
    opts.events_data = &r;
    g_info("job %s: %s '%s' to %s", agent_job_get_id(job),
           opts.resume ? "resuming the export of" : "exporting", opts.vm,
           target_get_name(target));
    if (agent_export_run(target, &opts, &res, &local)) {
        agent_job_set_result(job, export_job_result(&res, &r));
        return TRUE;
    }
    /* Whatever broke once the cancellable fired (a wait, a dropped link)
     * broke because of it: the job was cancelled, not failed. */
    if (g_cancellable_is_cancelled(cancellable) &&
        !g_error_matches(local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        g_debug("job %s: after cancellation: %s", agent_job_get_id(job),
                local->message);
        g_clear_error(&local);
        g_set_error(&local, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                    "the export was cancelled");
    }
    if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        agent_job_get_cancel_requested(job)) {
        g_clear_pointer(&target, target_free);
        export_job_remove_parts(job, &topts, res.parts);
    }
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

/* A Cancel of an interrupted job: the run that made the .part files died
 * with the agent, so their names are planned again from the domain and
 * the job's options, as that run named them. */
static void
export_job_discard(AgentJob *job)
{
    g_auto(ExportJobParams) p = { 0 };
    g_autoptr(GPtrArray) parts = NULL;
    g_autoptr(GError) error = NULL;
    const char *const *disks = agent_job_get_disks(job);
    AgentExportOptions opts = { 0 };
    TargetOptions topts;

    if (!export_job_params(agent_job_get_options(job), &p, &error)) {
        g_warning("job %s: cannot remove its temporary files: %s",
                  agent_job_get_id(job), error->message);
        return;
    }
    export_job_target_options(job, &p, &topts);
    opts.vm = agent_job_get_vm(job);
    opts.connect_uri = p.connect;
    opts.format = p.format ? p.format : "qcow2";
    opts.name_template = p.name;
    opts.disks = disks && disks[0] ? disks : NULL;
    parts = agent_export_plan_parts(&opts, &error);
    if (!parts) {
        g_warning("job %s: cannot tell which temporary files to remove: %s",
                  agent_job_get_id(job), error->message);
        return;
    }
    export_job_remove_parts(job, &topts, parts);
}

const struct agent_job_kind agent_job_kind_export = {
    .name = "export",
    .check = export_job_check,
    .run = export_job_run,
    .check_target = export_job_check_target,
    .discard = export_job_discard,
};

/* ---- Export's defaults -------------------------------------------------- */

static const char *const export_job_file_keys[] = {
    "identity", "password-file", "known-hosts",
};

gboolean
agent_export_job_names_files(GVariant *options, const char **key)
{
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(export_job_file_keys); i++) {
        g_autoptr(GVariant) v =
            g_variant_lookup_value(options, export_job_file_keys[i], NULL);

        if (v) {
            *key = export_job_file_keys[i];
            return TRUE;
        }
    }
    return FALSE;
}

static void
export_job_default_string(GVariantDict *dict, const char *key,
                          const char *value)
{
    if (value && !g_variant_dict_contains(dict, key))
        g_variant_dict_insert(dict, key, "s", value);
}

GVariant *
agent_export_job_options(GVariant *options, const AgentConfig *config)
{
    g_auto(GVariantDict) dict;

    g_variant_dict_init(&dict, options);
    export_job_default_string(&dict, "connect", config->connect);
    export_job_default_string(&dict, "format", config->format);
    export_job_default_string(&dict, "known-hosts", config->known_hosts);
    export_job_default_string(&dict, "identity", config->identity);
    export_job_default_string(&dict, "password-file", config->password_file);
    if (config->bandwidth_limit && !g_variant_dict_contains(&dict, "bwlimit"))
        g_variant_dict_insert(&dict, "bwlimit", "t", config->bandwidth_limit);
    if (config->streams && !g_variant_dict_contains(&dict, "streams"))
        g_variant_dict_insert(&dict, "streams", "t", (guint64)config->streams);
    /* Kept with the job, so that a resume after a restart finishes with the
     * mode and group the job started with. */
    if (config->file_mode)
        g_variant_dict_insert(&dict, "file-mode", "t",
                              (guint64)config->file_mode);
    export_job_default_string(&dict, "file-group", config->file_group);
    return g_variant_dict_end(&dict);
}
