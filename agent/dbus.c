/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbus.c: ferry-agent's D-Bus service: the org.ferry.Agent1.Manager object
 * (ListImportableVms, Export, ListJobs), one org.ferry.Agent1.Job object per
 * job (agent/dbus-job.c) under an ObjectManager, the well-known name, and
 * the timer that copies running jobs' counters to their properties at
 * AGENT_DBUS_TICK_MS (workers never touch D-Bus).
 *
 * Each handle_*() authorizes through the one table (agent/authz.c,
 * applied off the main loop by agent/dbus-auth.c), validates, calls the
 * agent_*() function that does the work, and answers exactly once, as
 * udisks' handlers do.  ListImportableVms talks to libvirt, which may
 * block, so it runs in a GTask thread; so does Export's look at the
 * domain before an export job is queued.
 */
#include <config.h>

#include "agent/dbus-priv.h"

static void
service_job_added(AgentJob *job, gpointer data)
{
    AgentService *svc = data;

    g_hash_table_insert(svc->jobs, g_strdup(agent_job_get_id(job)),
                        agent_dbus_job_new(svc, job));
}

static void
service_job_changed(AgentJob *job, gpointer data)
{
    AgentService *svc = data;
    AgentDbusJob *djob = g_hash_table_lookup(svc->jobs, agent_job_get_id(job));

    if (djob)
        agent_dbus_job_sync(djob);
}

static void
service_job_finished(AgentJob *job, gpointer data)
{
    AgentService *svc = data;
    AgentDbusJob *djob = g_hash_table_lookup(svc->jobs, agent_job_get_id(job));

    if (djob)
        agent_dbus_job_emit_completed(djob);
}

static const AgentJobQueueHooks service_hooks = {
    .added = service_job_added,
    .changed = service_job_changed,
    .finished = service_job_finished,
};

static gboolean
service_tick(gpointer data)
{
    AgentService *svc = data;
    gint64 now = g_get_monotonic_time();
    g_autoptr(GPtrArray) jobs = NULL;
    guint i;

    agent_job_queue_tick(svc->queue, now - svc->last_tick);
    svc->last_tick = now;
    jobs = agent_job_queue_list(svc->queue);
    for (i = 0; i < jobs->len; i++) {
        AgentJob *job = g_ptr_array_index(jobs, i);
        AgentDbusJob *djob;

        if (agent_job_get_state(job) != AGENT_JOB_RUNNING)
            continue;
        djob = g_hash_table_lookup(svc->jobs, agent_job_get_id(job));
        if (djob)
            agent_dbus_job_sync(djob);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- ListImportableVms -------------------------------------------------- */

typedef struct {
    char *uri;
    AgentInventoryFlags flags;
} ListVmsArgs;

static void
list_vms_args_free(gpointer data)
{
    ListVmsArgs *args = data;

    g_free(args->uri);
    g_free(args);
}

static void
list_vms_thread(GTask *task, gpointer source, gpointer data,
                GCancellable *cancellable)
{
    ListVmsArgs *args = data;
    g_autoptr(AgentInventory) inv = NULL;
    GError *error = NULL;

    inv = agent_inventory_collect(args->uri, args->flags, &error);
    if (!inv) {
        g_task_return_error(task, error);
        return;
    }
    g_task_return_pointer(task, agent_inventory_to_json(inv, args->flags),
                          g_free);
}

static void
list_vms_done(GObject *source, GAsyncResult *result, gpointer data)
{
    GDBusMethodInvocation *invocation = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *json = g_task_propagate_pointer(G_TASK(result), &error);

    if (!json) {
        g_dbus_method_invocation_return_gerror(invocation, error);
        return;
    }
    ferry_manager_complete_list_importable_vms(FERRY_MANAGER(source),
                                               invocation, json);
}

/* A call being authorized: what it needs once allowed. */
typedef struct {
    AgentService *svc;
    GDBusMethodInvocation *invocation;   /* answered (and so released) once */
    GVariant *options;
} ManagerCall;

static ManagerCall *
manager_call_new(AgentService *svc, GDBusMethodInvocation *invocation,
                 GVariant *options)
{
    ManagerCall *call = g_new0(ManagerCall, 1);

    call->svc = svc;
    call->invocation = invocation;
    call->options = g_variant_ref(options);
    return call;
}

static void
manager_call_free(ManagerCall *call)
{
    g_variant_unref(call->options);
    g_free(call);
}

static void
list_vms_authorized(GObject *source, GAsyncResult *result, gpointer data)
{
    ManagerCall *call = data;
    AgentService *svc = call->svc;
    g_autoptr(GError) error = NULL;
    g_autoptr(GTask) task = NULL;
    ListVmsArgs *args;
    const char *uri = NULL;
    gboolean all = FALSE;

    if (!agent_dbus_authorize_finish(result, NULL, &error)) {
        g_dbus_method_invocation_return_gerror(call->invocation, error);
        manager_call_free(call);
        return;
    }
    args = g_new0(ListVmsArgs, 1);
    /* Authorized: the configured URI, or one root may name. */
    if (g_variant_lookup(call->options, "uri", "&s", &uri) && *uri)
        args->uri = g_strdup(uri);
    else
        args->uri = g_strdup(svc->config->connect);
    if (g_variant_lookup(call->options, "all", "b", &all) && all)
        args->flags |= AGENT_INVENTORY_ALL;
    task = g_task_new(svc->manager, NULL, list_vms_done, call->invocation);
    g_task_set_task_data(task, args, list_vms_args_free);
    g_task_run_in_thread(task, list_vms_thread);
    manager_call_free(call);
}

static gboolean
handle_list_importable_vms(FerryManager *manager,
                           GDBusMethodInvocation *invocation, GVariant *options,
                           gpointer data)
{
    AgentService *svc = data;

    agent_dbus_authorize_async(svc, invocation, AGENT_METHOD_LIST_VMS, options,
                               -1, list_vms_authorized,
                               manager_call_new(svc, invocation, options));
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Export, ListJobs ---------------------------------------------------- */

/* The export kind's options as the job will keep them: the settings fill
 * in what the caller left out.  The table has already kept a caller other
 * than root from naming files for the agent to read; its accept-new
 * records host keys in the agent's own known_hosts, never in root's (or
 * in the one [export] known-hosts names for every job). */
static GVariant *
service_export_options(AgentService *svc, uid_t uid, GVariant *options)
{
    const char *kind = "export";
    gboolean accept_new = FALSE;
    GVariantDict dict;

    g_variant_lookup(options, "kind", "&s", &kind);
    if (!g_str_equal(kind, "export"))
        return g_variant_ref(options);
    g_variant_dict_init(&dict, options);
    if (uid != 0 && g_variant_lookup(options, "accept-new", "b", &accept_new) &&
        accept_new) {
        g_autofree char *known =
            g_build_filename(svc->state_dir, "known_hosts", NULL);

        g_variant_dict_insert(&dict, "known-hosts", "s", known);
    }
    return g_variant_ref_sink(
        agent_export_job_options(g_variant_dict_end(&dict), svc->config));
}

/* An Export being handled: what the job will be made of. */
typedef struct {
    AgentService *svc;
    FerryManager *manager;
    GDBusMethodInvocation *invocation;   /* answered (and so released) once */
    char *vm;
    char *target;
    char **disks;                        /* NULL: every disk */
    GVariant *options;                   /* the caller's, then the job's */
    uid_t owner;                         /* the caller */
} ExportCall;

static void
export_call_free(gpointer data)
{
    ExportCall *call = data;

    g_free(call->vm);
    g_free(call->target);
    g_strfreev(call->disks);
    g_clear_pointer(&call->options, g_variant_unref);
    g_free(call);
}

/* Queues the job and answers (main thread). */
static void
service_export_queue(ExportCall *call)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentJob) job = NULL;
    g_autofree char *path = NULL;

    job = agent_job_queue_add_owned(
        call->svc->queue, call->owner, call->vm, call->target,
        (const char *const *)call->disks, call->options, &error);
    if (!job) {
        g_dbus_method_invocation_return_gerror(call->invocation, error);
        return;
    }
    g_info("job %s: %s of '%s' to %s queued by %s (uid %u)",
           agent_job_get_id(job), agent_job_get_kind(job), call->vm,
           call->target, g_dbus_method_invocation_get_sender(call->invocation),
           (guint)call->owner);
    path = agent_dbus_job_path(agent_job_get_id(job));
    ferry_manager_complete_export(call->manager, call->invocation, path);
}

/* libvirt may block: the domain is looked up in a GTask thread. */
static void
export_check_domain_thread(GTask *task, gpointer source, gpointer data,
                           GCancellable *cancellable)
{
    ExportCall *call = data;
    const char *connect = NULL;
    GError *error = NULL;

    g_variant_lookup(call->options, "connect", "&s", &connect);
    if (!agent_export_check_domain(connect, call->vm, &error))
        g_task_return_error(task, error);
    else
        g_task_return_boolean(task, TRUE);
}

static void
export_check_domain_done(GObject *source, GAsyncResult *result, gpointer data)
{
    ExportCall *call = g_task_get_task_data(G_TASK(result));
    g_autoptr(GError) error = NULL;

    if (!g_task_propagate_boolean(G_TASK(result), &error)) {
        g_dbus_method_invocation_return_gerror(call->invocation, error);
        return;
    }
    service_export_queue(call);
}

/* An export job is checked before it is queued, so that a caller learns of
 * a bad option, an unknown or running domain at once, as a D-Bus error,
 * rather than from a job that fails: the options and the target URI here
 * (no I/O), the domain in a thread. */
static gboolean
service_export_check(ExportCall *call)
{
    const struct agent_job_kind *kind = &agent_job_kind_export;
    g_autoptr(GError) error = NULL;
    g_autoptr(GTask) task = NULL;

    if (!kind->check(call->options, &error) ||
        !kind->check_target(call->vm, call->target, call->options, &error)) {
        g_dbus_method_invocation_return_gerror(call->invocation, error);
        return FALSE;
    }
    task = g_task_new(call->manager, NULL, export_check_domain_done, NULL);
    g_task_set_task_data(task, call, export_call_free);
    g_task_run_in_thread(task, export_check_domain_thread);
    return TRUE;
}

/* Allowed (main thread): the target and options as the job will have them,
 * then the checks, then the queue. */
static void
export_authorized(GObject *source, GAsyncResult *result, gpointer data)
{
    ExportCall *call = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) disks_v = NULL;
    g_autoptr(GVariant) options = g_steal_pointer(&call->options);
    const char *kind = "export";

    if (!agent_dbus_authorize_finish(result, &call->owner, &error))
        goto refused;
    disks_v = g_variant_lookup_value(options, "disks", NULL);
    if (disks_v &&
        !g_variant_is_of_type(disks_v, G_VARIANT_TYPE_STRING_ARRAY)) {
        agent_options_wrong_type("disks", "as", disks_v, &error);
        goto refused;
    }
    call->disks = disks_v ? g_variant_dup_strv(disks_v, NULL) : NULL;
    /* A caller other than root writes into [agent] pools or over SSH only;
     * the job keeps the canonical path that was checked. */
    if (call->owner != 0) {
        char *target = agent_authz_check_pool(
            call->target, (const char *const *)call->svc->config->pools,
            &error);
        if (!target) {
            g_prefix_error(&error, "Export: ");
            goto refused;
        }
        g_free(call->target);
        call->target = target;
    }
    call->options = service_export_options(call->svc, call->owner, options);
    g_variant_lookup(call->options, "kind", "&s", &kind);
    if (g_str_equal(kind, "export")) {
        /* The task owns @call from here on, answered or not. */
        if (!service_export_check(call))
            export_call_free(call);
        return;
    }
    service_export_queue(call);
    export_call_free(call);
    return;

refused:
    g_dbus_method_invocation_return_gerror(call->invocation, error);
    export_call_free(call);
}

static gboolean
handle_export(FerryManager *manager, GDBusMethodInvocation *invocation,
              const char *vm, const char *target, GVariant *options,
              gpointer data)
{
    AgentService *svc = data;
    ExportCall *call = g_new0(ExportCall, 1);

    call->svc = svc;
    call->manager = manager;
    call->invocation = invocation;
    call->vm = g_strdup(vm);
    call->target = g_strdup(target);
    call->options = g_variant_ref(options);
    agent_dbus_authorize_async(svc, invocation, AGENT_METHOD_EXPORT, options,
                               -1, export_authorized, call);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
list_jobs_authorized(GObject *source, GAsyncResult *result, gpointer data)
{
    ManagerCall *call = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) jobs = NULL;
    g_autoptr(GPtrArray) paths = NULL;
    guint i;

    if (!agent_dbus_authorize_finish(result, NULL, &error)) {
        g_dbus_method_invocation_return_gerror(call->invocation, error);
        manager_call_free(call);
        return;
    }
    jobs = agent_job_queue_list(call->svc->queue);
    paths = g_ptr_array_new_with_free_func(g_free);
    for (i = 0; i < jobs->len; i++)
        g_ptr_array_add(paths,
                        agent_dbus_job_path(agent_job_get_id(jobs->pdata[i])));
    g_ptr_array_add(paths, NULL);
    ferry_manager_complete_list_jobs(call->svc->manager, call->invocation,
                                     (const char *const *)paths->pdata);
    manager_call_free(call);
}

static gboolean
handle_list_jobs(FerryManager *manager, GDBusMethodInvocation *invocation,
                 GVariant *options, gpointer data)
{
    AgentService *svc = data;

    agent_dbus_authorize_async(svc, invocation, AGENT_METHOD_LIST_JOBS, options,
                               -1, list_jobs_authorized,
                               manager_call_new(svc, invocation, options));
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- the name ---------------------------------------------------------- */

static void
service_name_lost(GDBusConnection *conn, const char *name, gpointer data)
{
    AgentService *svc = data;

    g_printerr(
        "ferry-agent: cannot own %s on the bus (another agent runs, or the "
        "bus policy does not allow it)\n",
        name);
    svc->exit_status = 1;
    g_main_loop_quit(svc->loop);
}

static void
service_name_acquired(GDBusConnection *conn, const char *name, gpointer data)
{
    g_info("owns %s", name);
}

gboolean
agent_service_start(AgentService *svc, GError **error)
{
    g_autoptr(FerryObjectSkeleton) object = NULL;
    g_autoptr(GPtrArray) jobs = NULL;
    guint i;

    svc->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)agent_dbus_job_free);
    svc->objects = g_dbus_object_manager_server_new(AGENT_DBUS_ROOT_PATH);
    object = ferry_object_skeleton_new(AGENT_DBUS_MANAGER_PATH);
    svc->manager = ferry_manager_skeleton_new();
    ferry_manager_set_version(svc->manager, PACKAGE_VERSION);
    ferry_manager_set_concurrency(svc->manager,
                                  agent_job_queue_get_concurrency(svc->queue));
    g_signal_connect(svc->manager, "handle-list-importable-vms",
                     G_CALLBACK(handle_list_importable_vms), svc);
    g_signal_connect(svc->manager, "handle-export", G_CALLBACK(handle_export),
                     svc);
    g_signal_connect(svc->manager, "handle-list-jobs",
                     G_CALLBACK(handle_list_jobs), svc);
    ferry_object_skeleton_set_manager(object, svc->manager);
    g_dbus_object_manager_server_export(svc->objects,
                                        G_DBUS_OBJECT_SKELETON(object));

    jobs = agent_job_queue_list(svc->queue);
    for (i = 0; i < jobs->len; i++)
        service_job_added(jobs->pdata[i], svc);
    agent_job_queue_set_hooks(svc->queue, &service_hooks, svc);

    g_dbus_object_manager_server_set_connection(svc->objects, svc->conn);
    svc->last_tick = g_get_monotonic_time();
    svc->timer_id = g_timeout_add(AGENT_DBUS_TICK_MS, service_tick, svc);
    svc->name_id = g_bus_own_name_on_connection(
        svc->conn, AGENT_DBUS_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
        service_name_acquired, service_name_lost, svc, NULL);
    return TRUE;
}

void
agent_service_stop(AgentService *svc)
{
    static const AgentJobQueueHooks none = { NULL };

    if (svc->name_id)
        g_bus_unown_name(svc->name_id);
    svc->name_id = 0;
    if (svc->timer_id)
        g_source_remove(svc->timer_id);
    svc->timer_id = 0;
    if (svc->queue)
        agent_job_queue_set_hooks(svc->queue, &none, NULL);
    g_clear_pointer(&svc->jobs, g_hash_table_unref);
    g_clear_object(&svc->manager);
    if (svc->objects)
        g_dbus_object_manager_server_set_connection(svc->objects, NULL);
    g_clear_object(&svc->objects);
}
