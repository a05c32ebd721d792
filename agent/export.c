/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * export.c: `ferry export`'s work, in this order, so that a refusal
 * writes nothing:
 *
 *   1. the domain must exist (FERRY_ERROR_NOT_FOUND) and be shut off
 *      (FERRY_ERROR_BUSY); its inventory entry (as `ferry list --json`
 *      gives it) and inactive XML are read;
 *   2. every disk is opened and its output planned (names from the
 *      template, -o options checked) before the target is contacted;
 *      with opts->rules_target, the guest is inspected and the target's
 *      readiness rules refuse it (FERRY_ERROR_UNSUPPORTED) unless
 *      opts->force (agent/readiness.c);
 *   3. the target is connected, the pool checked (a manifest or disk file
 *      already there is FERRY_ERROR_EXISTS), and its free space must
 *      cover every planned output (less what --resume finds in .part files);
 *   4. each disk streams into "<name>.part", is hashed on the target and
 *      renamed (providers/target-sink.c); the domain's state is read every
 *      EXPORT_STATE_CHECK_US while copying and after each disk, and the
 *      export fails (FERRY_ERROR_BUSY) if it was started meanwhile;
 *   5. "<vm>.xml", then the manifest "<vm>.ferry.json", each written to a
 *      .part then renamed: a manifest exists only for a complete export.
 *
 * A dropped connection (FERRY_ERROR_NETWORK) is retried up to
 * AGENT_EXPORT_MAX_RETRIES times with a doubling wait; each retry resumes
 * at the .part's size rounded down to TARGET_RESUME_ALIGN.  The output is
 * produced again from the start, and the bytes before the resume point are
 * hashed but not sent: ferry's writers lay out raw and qcow2 output from
 * the allocation map alone, so the same source gives the same stream, and
 * the final sha256 on the target proves it.  Should it ever differ, the
 * disk is sent again from 0, once.  The same holds for --resume.
 *
 * It prints nothing: it reports what happens through opts->events (disk
 * started, progress, retry, disk verified, manifest written), which
 * `ferry export` renders as text or JSON events (agent/cmd-export.c) and
 * ferry-agent's "export" jobs as counters and log lines
 * (agent/export-job.c), where it runs in a worker thread and hands back
 * what it made (and what it may have left) in an AgentExportResult.
 */
#include <config.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "agent/inventory-priv.h"
#include "agent/libvirt-priv.h"
#include "providers/providers.h"


#define EXPORT_DEFAULT_NAME "{vm}-{dev}.{ext}"
/* Room kept for the manifest and the XML. */
#define EXPORT_META_BYTES (1024 * 1024)

typedef struct {
    const AgentDisk *disk;      /* borrowed from the domain */
    guint index;
    char *name;                 /* file name in the pool */
    ConvImage *img;
    guint64 planned;            /* bytes of output */
    guint64 virtual_size;
    guint64 part_size;          /* --resume: bytes in the .part, else 0 */
    gboolean done;              /* --resume: final file already there */
    guint64 bytes_sent;
    guint64 resumed_at;
    guint retries;
    gboolean finished;          /* under its final name, hash known */
    char sha256[65];
    char *resource_id;          /* target_get_resource_id(), or NULL */
} ExportDisk;

typedef struct {
    const AgentExportOptions *opts;
    Target *target;
    virConnectPtr conn;
    AgentDomain *domain;        /* from the inventory */
    char *xml;                  /* inactive domain XML */
    GArray *disks;              /* of ExportDisk */
    /* progress */
    ExportDisk *current;
    guint64 guest_total;        /* virtual sizes of every disk exported */
    guint64 guest_before;       /* ... of the disks finished so far */
    /* the domain watch, from the copying thread */
    GCancellable *copy_cancel;  /* the copy's own, cancelled with opts' */
    gint64 next_state_check;    /* monotonic us */
    gboolean domain_started;
    char *image_id;             /* target_finish_export()'s, or NULL */
    JsonObject *readiness;      /* rules that did not pass, or NULL */
} Export;

/* How often the copy looks at the domain: a guest started mid-export
 * writes to the disk being read, so the copy stops within this much. */
#define EXPORT_STATE_CHECK_US (2 * G_USEC_PER_SEC)

static void
export_disk_clear(gpointer data)
{
    ExportDisk *d = data;

    g_free(d->name);
    g_free(d->resource_id);
    g_clear_pointer(&d->img, conv_image_free);
}

/* ---- events ------------------------------------------------------------ */

static void
export_disk_ref(const ExportDisk *d, AgentExportDiskRef *ref)
{
    ref->dev = d->disk->target;
    ref->file = d->name;
    ref->index = d->index;
    ref->virtual_size = d->virtual_size;
    ref->resource_id = d->resource_id;
}

/* Totals only: before the first disk and after each one. */
static void
export_report_totals(Export *ex, guint64 guest_done)
{
    const AgentExportEvents *ev = ex->opts->events;
    AgentExportProgress p = { 0 };

    if (!ev || !ev->progress)
        return;
    p.guest_done = guest_done;
    p.guest_total = ex->guest_total;
    ev->progress(&p, ex->opts->events_data);
}

static gboolean export_check_stopped(Export *ex, const char *when,
                                     GError **error);

/* Called from the copying thread with the progress: every
 * EXPORT_STATE_CHECK_US, a domain no longer shut off cancels the copy. */
static void
export_watch_domain(Export *ex)
{
    g_autoptr(GError) error = NULL;
    gint64 now = g_get_monotonic_time();

    if (!ex->copy_cancel || now < ex->next_state_check || ex->domain_started)
        return;
    ex->next_state_check = now + EXPORT_STATE_CHECK_US;
    if (export_check_stopped(ex, "was started during the export", &error))
        return;
    if (!g_error_matches(error, FERRY_ERROR, FERRY_ERROR_BUSY))
        return;             /* cannot tell: the check after the disk will */
    ex->domain_started = TRUE;
    g_cancellable_cancel(ex->copy_cancel);
}

static void
export_progress(guint64 done, guint64 total, gpointer data)
{
    Export *ex = data;
    const AgentExportEvents *ev = ex->opts->events;
    AgentExportDiskRef ref;
    AgentExportProgress p;

    export_watch_domain(ex);
    if (!ev || !ev->progress)
        return;
    export_disk_ref(ex->current, &ref);
    p.disk = &ref;
    p.done = done;
    p.total = total;
    p.guest_done = ex->guest_before + MIN(done, ex->current->virtual_size);
    p.guest_total = ex->guest_total;
    ev->progress(&p, ex->opts->events_data);
}

/* ---- the domain -------------------------------------------------------- */

/* FERRY_ERROR_BUSY unless the domain is shut off. */
static gboolean
export_check_stopped(Export *ex, const char *when, GError **error)
{
    g_autoptr(virDomain) dom = virDomainLookupByName(ex->conn, ex->opts->vm);
    int state = VIR_DOMAIN_NOSTATE, reason = 0;

    if (!dom) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "domain '%s' is gone", ex->opts->vm);
        return FALSE;
    }
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "domain '%s': cannot read its state: %s", ex->opts->vm,
                    virGetLastErrorMessage());
        return FALSE;
    }
    if (state != VIR_DOMAIN_SHUTOFF) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                    "domain '%s' %s: shut it down before exporting",
                    ex->opts->vm, when);
        return FALSE;
    }
    if (!ex->xml) {
        char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);

        if (!xml) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                        "domain '%s': cannot read its XML: %s", ex->opts->vm,
                        virGetLastErrorMessage());
            return FALSE;
        }
        ex->xml = g_strdup(xml);
        free(xml);
    }
    return TRUE;
}

gboolean
agent_export_check_domain(const char *connect_uri, const char *vm,
                          GError **error)
{
    const char *uri = connect_uri ? connect_uri : agent_inventory_default_uri();
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    int state = VIR_DOMAIN_NOSTATE, reason = 0;

    conn = agent_libvirt_open(uri, error);
    if (!conn)
        return FALSE;
    dom = virDomainLookupByName(conn, vm);
    if (!dom) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "domain '%s' not found on %s", vm, uri);
        return FALSE;
    }
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "domain '%s': cannot read its state: %s", vm,
                    virGetLastErrorMessage());
        return FALSE;
    }
    if (state != VIR_DOMAIN_SHUTOFF) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                    "domain '%s' is running: shut it down before exporting",
                    vm);
        return FALSE;
    }
    return TRUE;
}

static gboolean
export_load_domain(Export *ex, GError **error)
{
    const char *uri = ex->opts->connect_uri ? ex->opts->connect_uri
                                            : agent_inventory_default_uri();
    g_autoptr(AgentInventory) inv = NULL;
    g_autoptr(virDomain) dom = NULL;
    GPtrArray *lists[2];
    guint i, l;

    ex->conn = agent_libvirt_open(uri, error);
    if (!ex->conn)
        return FALSE;
    dom = virDomainLookupByName(ex->conn, ex->opts->vm);
    if (!dom) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "domain '%s' not found on %s", ex->opts->vm, uri);
        return FALSE;
    }
    if (!export_check_stopped(ex, "is running", error))
        return FALSE;
    inv = agent_inventory_collect(uri, AGENT_INVENTORY_DEFAULT, error);
    if (!inv)
        return FALSE;
    lists[0] = inv->listed;
    lists[1] = inv->skipped;
    for (l = 0; l < 2; l++) {
        for (i = 0; i < lists[l]->len; i++) {
            AgentDomain *d = g_ptr_array_index(lists[l], i);

            if (!g_str_equal(d->name, ex->opts->vm))
                continue;
            if (d->skip_reason) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                            "domain '%s': %s", d->name, d->skip_reason);
                return FALSE;
            }
            ex->domain = g_ptr_array_steal_index(lists[l], i);
            return TRUE;
        }
    }
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                "domain '%s' not found on %s", ex->opts->vm, uri);
    return FALSE;
}

/* ---- planning ---------------------------------------------------------- */

/* Every dev in opts->disks must be a disk of the domain: a typo must not
 * export less than was asked for. */
static gboolean
export_check_disk_filter(Export *ex, GError **error)
{
    const char *const *want;
    guint i;

    if (!ex->opts->disks)
        return TRUE;
    if (!ex->opts->disks[0]) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "domain '%s': the list of disks to export is empty",
                    ex->opts->vm);
        return FALSE;
    }
    for (want = ex->opts->disks; *want; want++) {
        gboolean found = FALSE;

        for (i = 0; i < ex->domain->disks->len && !found; i++) {
            const AgentDisk *disk = g_ptr_array_index(ex->domain->disks, i);

            found = g_strcmp0(disk->target, *want) == 0;
        }
        if (!found) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                        "domain '%s' has no disk '%s'", ex->opts->vm, *want);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
export_plan(Export *ex, GError **error)
{
    const char *tmpl = ex->opts->name_template ? ex->opts->name_template
                                               : EXPORT_DEFAULT_NAME;
    g_autofree char *manifest = g_strconcat(ex->opts->vm, ".ferry.json", NULL);
    g_autofree char *xmlname = g_strconcat(ex->opts->vm, ".xml", NULL);
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
    guint i;

    if (!target_check_name(manifest, error)) {
        g_prefix_error(error, "domain '%s': ", ex->opts->vm);
        return FALSE;
    }
    g_hash_table_add(names, manifest);
    g_hash_table_add(names, xmlname);
    ex->disks = g_array_new(FALSE, TRUE, sizeof(ExportDisk));
    g_array_set_clear_func(ex->disks, export_disk_clear);
    if (!export_check_disk_filter(ex, error))
        return FALSE;
    for (i = 0; i < ex->domain->disks->len; i++) {
        const AgentDisk *disk = g_ptr_array_index(ex->domain->disks, i);
        ConvConvertOptions copts = { 0 };
        g_autoptr(ConvOutput) out = NULL;
        ExportDisk d = { 0 };
        ExportDisk *dp;

        if (ex->opts->disks &&
            !g_strv_contains(ex->opts->disks, disk->target))
            continue;
        d.disk = disk;
        d.index = i;
        g_array_append_val(ex->disks, d);
        dp = &g_array_index(ex->disks, ExportDisk, ex->disks->len - 1);
        dp->name = target_expand_name(tmpl, ex->opts->vm, disk->target, i,
                                      conv_format_extension(ex->opts->format),
                                      error);
        if (!dp->name)
            return FALSE;
        if (g_hash_table_contains(names, dp->name)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "--name '%s': two files would be named '%s'", tmpl,
                        dp->name);
            return FALSE;
        }
        g_hash_table_add(names, dp->name);
        dp->img = conv_image_open(disk->path, disk->format, error);
        if (!dp->img) {
            g_prefix_error(error, "domain '%s': disk %s: ", ex->opts->vm,
                           disk->target);
            return FALSE;
        }
        copts.format = ex->opts->format;
        copts.options = ex->opts->options;
        out = conv_output_new(dp->img, &copts, error);
        if (!out)
            return FALSE;
        dp->virtual_size = conv_image_get_size(dp->img);
        dp->planned = conv_output_get_planned_size(out);
        if (!dp->planned)
            dp->planned = dp->virtual_size;
        ex->guest_total += dp->virtual_size;
    }
    return TRUE;
}

/* The target's readiness rules, on the disks planned: a failed rule
 * stops the export before the target is contacted. */
static gboolean
export_check_readiness(Export *ex, GError **error)
{
    const AgentExportOptions *o = ex->opts;
    g_autoptr(GPtrArray) disks = g_ptr_array_new();
    AgentReadinessRequest req = { 0 };
    g_autofree char *os_type = NULL;
    guint i;

    if (!o->rules_target)
        return TRUE;
    for (i = 0; i < ex->disks->len; i++)
        g_ptr_array_add(disks,
                        (gpointer)g_array_index(ex->disks, ExportDisk, i).disk);
    req.vm = o->vm;
    req.target = o->rules_target;
    req.xml = ex->xml;
    req.disks = disks;
    req.force = o->force;
    req.cancellable = ex->copy_cancel;
    req.os_type = &os_type;
    if (!agent_readiness_for_export(&req, &ex->readiness, error))
        return FALSE;
    target_set_guest_os_type(ex->target, os_type);
    if (json_array_get_length(json_object_get_array_member(ex->readiness,
                                                           "rules")) == 0) {
        g_clear_pointer(&ex->readiness, json_object_unref);
        return TRUE;
    }
    if (o->events && o->events->readiness)
        o->events->readiness(ex->readiness, o->events_data);
    return TRUE;
}

/* Looks at what an earlier run left (--resume), refuses to overwrite a
 * finished export otherwise, and checks the free space. */
static gboolean
export_check_target(Export *ex, GError **error)
{
    g_autofree char *manifest = g_strconcat(ex->opts->vm, ".ferry.json", NULL);
    guint64 needed = EXPORT_META_BYTES, size;
    guint i;

    if (!ex->opts->overwrite &&
        target_stat(ex->target, manifest, &size, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
                    "%s: '%s' already exists: domain '%s' was exported there "
                    "already", target_get_name(ex->target), manifest,
                    ex->opts->vm);
        return FALSE;
    }
    for (i = 0; i < ex->disks->len; i++) {
        ExportDisk *d = &g_array_index(ex->disks, ExportDisk, i);
        g_autofree char *part = g_strconcat(d->name, ".part", NULL);

        if (!ex->opts->overwrite &&
            target_stat(ex->target, d->name, &size, NULL)) {
            if (!ex->opts->resume) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
                            "%s: '%s' already exists (use --resume to keep "
                            "it, or remove it)", target_get_name(ex->target),
                            d->name);
                return FALSE;
            }
            d->done = TRUE;
            continue;
        }
        if (ex->opts->resume && target_stat(ex->target, part, &size, NULL))
            d->part_size = size / TARGET_RESUME_ALIGN * TARGET_RESUME_ALIGN;
        if (d->planned > d->part_size)
            needed += d->planned - d->part_size;
    }
    return target_check_space(ex->target, needed, error);
}

/* ---- one disk ---------------------------------------------------------- */

static gboolean
export_sleep(Export *ex, guint seconds, GError **error)
{
    gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < end) {
        if (g_cancellable_set_error_if_cancelled(ex->opts->cancellable, error))
            return FALSE;
        g_usleep(50 * 1000);
    }
    return TRUE;
}

/* After a dropped link (@cause): waits, reconnects, and finds where to
 * resume.  Each retry says why it is needed, and giving up says the last
 * failure, so the reason is never lost on the way to the user. */
static gboolean
export_reconnect(Export *ex, ExportDisk *d, const GError *cause,
                 GError **error)
{
    g_autofree char *part = g_strconcat(d->name, ".part", NULL);
    g_autofree char *why = g_strdup(cause->message);
    guint64 size = 0;

    for (;;) {
        g_autoptr(GError) local = NULL;
        guint wait = 1u << MIN(d->retries, 5u);

        if (d->retries >= AGENT_EXPORT_MAX_RETRIES) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                        "%s: disk %s: gave up after %u retries: %s",
                        target_get_name(ex->target), d->disk->target,
                        d->retries, why);
            return FALSE;
        }
        d->retries++;
        if (ex->opts->events && ex->opts->events->retry) {
            AgentExportDiskRef ref;

            export_disk_ref(d, &ref);
            ex->opts->events->retry(&ref, target_get_name(ex->target), why,
                                    d->retries, wait, ex->opts->events_data);
        }
        if (!export_sleep(ex, wait, error))
            return FALSE;
        if (!target_connect(ex->target, &local)) {
            if (g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NETWORK)) {
                g_free(why);
                why = g_strdup(local->message);
                continue;
            }
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        break;
    }
    d->part_size = 0;
    if (target_stat(ex->target, part, &size, NULL))
        d->part_size = size / TARGET_RESUME_ALIGN * TARGET_RESUME_ALIGN;
    return TRUE;
}

static gboolean
export_one_disk(Export *ex, ExportDisk *d, GError **error)
{
    gboolean restarted = FALSE;

    ex->current = d;
    for (;;) {
        g_autoptr(GError) local = NULL;
        g_autoptr(ConvOutput) out = NULL;
        g_autoptr(ConvSink) sink = NULL;
        ConvConvertOptions copts = { 0 };
        TargetUpload up;

        copts.format = ex->opts->format;
        copts.options = ex->opts->options;
        copts.cancellable = ex->copy_cancel;
        copts.progress = export_progress;
        copts.progress_data = ex;
        out = conv_output_new(d->img, &copts, error);
        if (!out)
            return FALSE;
        target_set_upload_size_hint(ex->target,
                                    MAX(d->planned, d->virtual_size));
        sink = target_open_sink(ex->target, d->name, d->part_size, &up,
                                &local);
        /* ferry receive continues where it verified the .part, which may
         * be short of what the stat saw. */
        if (sink)
            d->part_size = up.resume_offset;
        if (sink && conv_output_emit(out, sink, &local)) {
            d->bytes_sent += up.bytes_sent;
            d->resumed_at = d->part_size;
            memcpy(d->sha256, up.sha256, sizeof(d->sha256));
            return TRUE;
        }
        if (sink)
            d->bytes_sent += up.bytes_sent;
        if (ex->domain_started) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                        "domain '%s' was started during the export: shut it "
                        "down before exporting", ex->opts->vm);
            return FALSE;
        }
        /* After a dropped link, the receiver of the old connection may
         * still hold the .part (its sshd has not seen the drop yet, which
         * took over 30 s once on a loaded machine): that passes too. */
        if (g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NETWORK) ||
            (d->retries > 0 &&
             g_error_matches(local, FERRY_ERROR, FERRY_ERROR_BUSY))) {
            if (!export_reconnect(ex, d, local, error))
                return FALSE;
            continue;
        }
        if (g_error_matches(local, FERRY_ERROR, FERRY_ERROR_CHECKSUM) &&
            d->part_size > 0 && !restarted) {
            /* The kept part was not a prefix of this stream: start over. */
            g_debug("%s", local->message);
            restarted = TRUE;
            d->part_size = 0;
            continue;
        }
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
}

/* ---- what a run may leave ----------------------------------------------- */

static const AgentDomain *
export_find_domain(const AgentInventory *inv, const char *vm)
{
    GPtrArray *lists[2] = { inv->listed, inv->skipped };
    guint i, l;

    for (l = 0; l < 2; l++) {
        for (i = 0; i < lists[l]->len; i++) {
            const AgentDomain *d = g_ptr_array_index(lists[l], i);

            if (g_str_equal(d->name, vm))
                return d;
        }
    }
    return NULL;
}

GPtrArray *
agent_export_plan_parts(const AgentExportOptions *opts, GError **error)
{
    const char *uri = opts->connect_uri ? opts->connect_uri
                                        : agent_inventory_default_uri();
    const char *tmpl = opts->name_template ? opts->name_template
                                           : EXPORT_DEFAULT_NAME;
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(AgentInventory) inv = NULL;
    const AgentDomain *dom;
    guint i;

    /* _ALL: the domain may have been started since; its disks are the same. */
    inv = agent_inventory_collect(uri, AGENT_INVENTORY_ALL, error);
    if (!inv)
        return NULL;
    dom = export_find_domain(inv, opts->vm);
    if (!dom) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "domain '%s' not found on %s", opts->vm, uri);
        return NULL;
    }
    /* Named as export_plan() names them, index included. */
    for (i = 0; i < dom->disks->len; i++) {
        const AgentDisk *disk = g_ptr_array_index(dom->disks, i);
        g_autofree char *name = NULL;

        if (opts->disks && !g_strv_contains(opts->disks, disk->target))
            continue;
        name = target_expand_name(tmpl, opts->vm, disk->target, i,
                                  conv_format_extension(opts->format), error);
        if (!name)
            return NULL;
        g_ptr_array_add(parts, g_strconcat(name, ".part", NULL));
    }
    g_ptr_array_add(parts, g_strconcat(opts->vm, ".xml.part", NULL));
    g_ptr_array_add(parts, g_strconcat(opts->vm, ".ferry.json.part", NULL));
    return g_steal_pointer(&parts);
}

/* ---- the manifest ------------------------------------------------------ */

static void
export_add_int(JsonBuilder *b, const char *key, guint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, (gint64)value);
}

static char *
export_manifest(Export *ex)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format_iso8601(now);
    g_autofree char *xml_name = g_strconcat(ex->opts->vm, ".xml", NULL);
    guint i;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "ferry-manifest");
    json_builder_add_int_value(b, 1);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, ex->opts->vm);
    json_builder_set_member_name(b, "created");
    json_builder_add_string_value(b, stamp);
    json_builder_set_member_name(b, "domain-xml");
    json_builder_add_string_value(b, xml_name);
    json_builder_set_member_name(b, "instance");
    json_builder_add_value(b, inventory_domain_to_json(ex->domain, FALSE));
    json_builder_set_member_name(b, "disks");
    json_builder_begin_array(b);
    for (i = 0; i < ex->disks->len; i++) {
        ExportDisk *d = &g_array_index(ex->disks, ExportDisk, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "dev");
        json_builder_add_string_value(b, d->disk->target);
        json_builder_set_member_name(b, "file");
        json_builder_add_string_value(b, d->name);
        json_builder_set_member_name(b, "format");
        json_builder_add_string_value(b, ex->opts->format);
        json_builder_set_member_name(b, "source");
        json_builder_add_string_value(b, d->disk->path);
        json_builder_set_member_name(b, "source-format");
        json_builder_add_string_value(b, conv_image_get_format(d->img));
        export_add_int(b, "virtual-size", d->virtual_size);
        export_add_int(b, "bytes-sent", d->bytes_sent);
        export_add_int(b, "resumed-at", d->resumed_at);
        json_builder_set_member_name(b, "sha256");
        json_builder_add_string_value(b, d->sha256);
        if (d->resource_id) {
            json_builder_set_member_name(b, "resource-id");
            json_builder_add_string_value(b, d->resource_id);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    if (ex->image_id) {
        json_builder_set_member_name(b, "image-id");
        json_builder_add_string_value(b, ex->image_id);
    }
    if (ex->readiness) {
        JsonNode *n = json_node_new(JSON_NODE_OBJECT);

        json_node_set_object(n, ex->readiness);
        json_builder_set_member_name(b, "readiness");
        json_builder_add_value(b, n);
    }
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    return inventory_json_to_string(root);
}

/* A disk an earlier run finished (--resume): the target renamed it only
 * after checking its hash, so its hash now is the one to record. */
static gboolean
export_adopt_done_disk(Export *ex, ExportDisk *d, GError **error)
{
    g_autofree char *sum = target_sha256(ex->target, d->name, error);

    if (!sum)
        return FALSE;
    g_strlcpy(d->sha256, sum, sizeof(d->sha256));
    d->resumed_at = d->planned;
    return TRUE;
}

void
agent_export_result_clear(AgentExportResult *result)
{
    guint i;

    g_clear_pointer(&result->pool, g_free);
    g_clear_pointer(&result->manifest, g_free);
    if (result->disks) {
        for (i = 0; i < result->disks->len; i++) {
            AgentExportDisk *d =
                &g_array_index(result->disks, AgentExportDisk, i);

            g_free(d->dev);
            g_free(d->file);
            g_free(d->resource_id);
        }
        g_clear_pointer(&result->disks, g_array_unref);
    }
    g_clear_pointer(&result->parts, g_ptr_array_unref);
    g_clear_pointer(&result->image_id, g_free);
    g_clear_pointer(&result->readiness, json_object_unref);
}

/* What was made and what may be left, from the disks' state. */
static void
export_fill_result(Export *ex, AgentExportResult *result)
{
    guint i;

    result->pool = g_strdup(target_get_pool(ex->target));
    result->disks = g_array_new(FALSE, TRUE, sizeof(AgentExportDisk));
    result->parts = g_ptr_array_new_with_free_func(g_free);
    for (i = 0; ex->disks && i < ex->disks->len; i++) {
        ExportDisk *d = &g_array_index(ex->disks, ExportDisk, i);
        AgentExportDisk out = { 0 };

        if (!d->finished) {
            g_ptr_array_add(result->parts, g_strconcat(d->name, ".part", NULL));
            continue;
        }
        out.dev = g_strdup(d->disk->target);
        out.file = g_strdup(d->name);
        memcpy(out.sha256, d->sha256, sizeof(out.sha256));
        out.virtual_size = d->virtual_size;
        out.bytes_sent = d->bytes_sent;
        out.resumed_at = d->resumed_at;
        out.resource_id = g_strdup(d->resource_id);
        g_array_append_val(result->disks, out);
    }
}

static void
export_cancel_copy(GCancellable *user, gpointer copy_cancel)
{
    g_cancellable_cancel(copy_cancel);
}

/* A cloud target's work after the disks (aws://: the import). */
static gboolean
export_finish_target(Export *ex, GError **error)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new();
    g_autoptr(GPtrArray) devs = g_ptr_array_new();
    g_autoptr(GPtrArray) sums = g_ptr_array_new();
    TargetExport te = { 0 };
    guint i;

    for (i = 0; i < ex->disks->len; i++) {
        ExportDisk *d = &g_array_index(ex->disks, ExportDisk, i);

        g_ptr_array_add(files, d->name);
        g_ptr_array_add(devs, (gpointer)d->disk->target);
        g_ptr_array_add(sums, d->sha256);
    }
    g_ptr_array_add(files, NULL);
    g_ptr_array_add(devs, NULL);
    g_ptr_array_add(sums, NULL);
    te.vm = ex->opts->vm;
    te.domain_xml = ex->xml;
    te.files = (const char *const *)files->pdata;
    te.devs = (const char *const *)devs->pdata;
    te.sha256 = (const char *const *)sums->pdata;
    if (ex->opts->events) {
        te.phase = ex->opts->events->phase;
        te.phase_data = ex->opts->events_data;
    }
    te.dry_run = ex->opts->dry_run;
    return target_finish_export(ex->target, &te, &ex->image_id, error);
}

gboolean
agent_export_run(Target *target, const AgentExportOptions *opts,
                 AgentExportResult *result, GError **error)
{
    Export ex = { 0 };
    AgentExportOptions forced;
    const char *forced_options = NULL;
    const char *forced_format = target_get_output_format(target,
                                                         &forced_options);
    g_autofree char *manifest = NULL;
    g_autofree char *manifest_name = g_strconcat(opts->vm, ".ferry.json", NULL);
    g_autofree char *xml_name = g_strconcat(opts->vm, ".xml", NULL);
    gboolean ok = FALSE;
    gulong cancel_handler = 0;
    guint i;

    /* A target that takes one format only (aws://: VMDK streamOptimized)
     * gets it whatever --format said. */
    if (forced_format) {
        forced = *opts;
        forced.format = forced_format;
        forced.options = forced_options;
        opts = &forced;
    }
    ex.opts = opts;
    ex.target = target;
    ex.copy_cancel = g_cancellable_new();
    if (opts->cancellable)
        cancel_handler = g_cancellable_connect(opts->cancellable,
                                               G_CALLBACK(export_cancel_copy),
                                               ex.copy_cancel, NULL);
    if (!export_load_domain(&ex, error) || !export_plan(&ex, error) ||
        !export_check_readiness(&ex, error))
        goto cleanup;
    target_set_domain_xml(target, ex.xml);
    if (!target_connect(target, error) || !export_check_target(&ex, error))
        goto cleanup;
    if (opts->dry_run) {
        /* Every check done; the target describes its last step. */
        ok = export_finish_target(&ex, error);
        g_clear_pointer(&ex.image_id, g_free);
        goto cleanup;
    }
    export_report_totals(&ex, 0);

    for (i = 0; i < ex.disks->len; i++) {
        ExportDisk *d = &g_array_index(ex.disks, ExportDisk, i);
        AgentExportDiskRef ref;

        export_disk_ref(d, &ref);
        if (opts->events && opts->events->disk_started)
            opts->events->disk_started(&ref, d->part_size, opts->events_data);
        if (d->done ? !export_adopt_done_disk(&ex, d, error)
                    : !export_one_disk(&ex, d, error))
            goto cleanup;
        if (!export_check_stopped(&ex, "was started during the export",
                                  error)) {
            target_remove(target, d->name);
            g_prefix_error(error, "disk %s: ", d->disk->target);
            goto cleanup;
        }
        d->finished = TRUE;
        d->resource_id = target_get_resource_id(target, d->name);
        ex.guest_before += d->virtual_size;
        export_report_totals(&ex, ex.guest_before);
        ref.resource_id = d->resource_id;
        if (opts->events && opts->events->disk_verified)
            opts->events->disk_verified(&ref, target_get_name(target),
                                        d->sha256, d->bytes_sent, d->resumed_at,
                                        opts->events_data);
    }
    if (!export_finish_target(&ex, error))
        goto cleanup;
    manifest = export_manifest(&ex);
    /* A run stopped between the domain XML and the manifest left the XML
     * under its name, and the target never replaces a file: a resume
     * removes its own earlier one (a symlink there is removed, not
     * followed). */
    if (opts->resume)
        target_remove(target, xml_name);
    if (!target_write_file(target, xml_name, ex.xml, strlen(ex.xml), error) ||
        !target_write_file(target, manifest_name, manifest, strlen(manifest),
                           error))
        goto cleanup;
    if (opts->events && opts->events->manifest_written)
        opts->events->manifest_written(target_get_name(target), manifest_name,
                                       opts->events_data);
    ok = TRUE;
cleanup:
    if (result) {
        export_fill_result(&ex, result);
        if (ok && !opts->dry_run)
            result->manifest = g_strdup(manifest_name);
        result->image_id = g_strdup(ex.image_id);
        if (ex.readiness)
            result->readiness = json_object_ref(ex.readiness);
    }
    g_free(ex.image_id);
    g_clear_pointer(&ex.readiness, json_object_unref);
    if (ex.disks)
        g_array_unref(ex.disks);
    agent_domain_free(ex.domain);
    g_free(ex.xml);
    if (ex.conn)
        virConnectClose(ex.conn);
    if (cancel_handler)
        g_cancellable_disconnect(opts->cancellable, cancel_handler);
    g_object_unref(ex.copy_cancel);
    return ok;
}
