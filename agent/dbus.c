/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbus.c: ferry-agent's D-Bus service: the org.ferry.Agent1.Manager object
 * (ListImportableVms, Export, ListJobs), one org.ferry.Agent1.Job object per
 * job (agent/dbus-job.c) under an ObjectManager, the well-known name, and
 * the timer that copies running jobs' counters to their properties at
 * AGENT_DBUS_TICK_MS (workers never touch D-Bus).
 *
 * Each handle_*() validates, authorizes (agent/dbus-auth.c), calls the
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
list_vms_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    ListVmsArgs *args = data;
    g_autoptr(AgentInventory) inv = NULL;
    GError *error = NULL;

    inv = agent_inventory_collect(args->uri, args->flags, &error);
    if (!inv) {
        g_task_return_error(task, error);
        return;
    }
    g_task_return_pointer(task, agent_inventory_to_json(inv, args->flags), g_free);
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
    ferry_manager_complete_list_importable_vms(FERRY_MANAGER(source), invocation, json);
}

static gboolean
handle_list_importable_vms(FerryManager *manager, GDBusMethodInvocation *invocation,
                           GVariant *options, gpointer data)
{
    AgentService *svc = data;
    g_autoptr(GTask) task = NULL;
    ListVmsArgs *args = g_new0(ListVmsArgs, 1);
    const char *uri = NULL;
    gboolean all = FALSE;

    if (g_variant_lookup(options, "uri", "&s", &uri) && *uri)
        args->uri = g_strdup(uri);
    else
        args->uri = g_strdup(svc->config->connect);
    if (g_variant_lookup(options, "all", "b", &all) && all)
        args->flags |= AGENT_INVENTORY_ALL;
    task = g_task_new(manager, NULL, list_vms_done, invocation);
    g_task_set_task_data(task, args, list_vms_args_free);
    g_task_run_in_thread(task, list_vms_thread);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Export, ListJobs ---------------------------------------------------- */

/* The export kind's options as the job will keep them: a caller other than
 * root may not name files for the agent to read (the agent reads them as
 * root: a key or password file sent to a host of the caller's choosing, a
 * known_hosts file written with accept-new); the settings fill in the rest. */
static GVariant *
service_export_options(AgentService *svc, GDBusMethodInvocation *invocation,
                       GVariant *options, GError **error)
{
    const char *kind = "export", *key = NULL;
    uid_t uid;

    g_variant_lookup(options, "kind", "&s", &kind);
    if (!g_str_equal(kind, "export"))
        return g_variant_ref(options);
    if (agent_export_job_names_files(options, &key)) {
        if (!agent_dbus_caller_uid(invocation, &uid, error))
            return NULL;
        if (uid != 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                        "Export: option '%s': only root may name files for the agent "
                        "to read; set [export] %s in ferry.conf instead", key, key);
            return NULL;
        }
    }
    return g_variant_ref_sink(agent_export_job_options(options, svc->config));
}

/* An Export being handled: what the job will be made of. */
typedef struct {
    AgentService *svc;
    FerryManager *manager;
    GDBusMethodInvocation *invocation;   /* answered (and so released) once */
    char *vm;
    char *target;
    char **disks;                        /* NULL: every disk */
    GVariant *options;                   /* the job's, defaults filled in */
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

    job = agent_job_queue_add(call->svc->queue, call->vm, call->target,
                              (const char *const *)call->disks, call->options, &error);
    if (!job) {
        g_dbus_method_invocation_return_gerror(call->invocation, error);
        return;
    }
    g_info("job %s: %s of '%s' to %s queued by %s", agent_job_get_id(job),
           agent_job_get_kind(job), call->vm, call->target,
           g_dbus_method_invocation_get_sender(call->invocation));
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

static gboolean
handle_export(FerryManager *manager, GDBusMethodInvocation *invocation, const char *vm,
              const char *target, GVariant *options, gpointer data)
{
    AgentService *svc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) disks_v = g_variant_lookup_value(options, "disks", NULL);
    ExportCall *call;
    const char *kind = "export";

    if (!agent_dbus_authorize(svc, invocation, AGENT_POLKIT_ACTION_MANAGE, "Export", &error)) {
        g_dbus_method_invocation_return_gerror(invocation, error);
        return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
    if (disks_v && !g_variant_is_of_type(disks_v, G_VARIANT_TYPE_STRING_ARRAY)) {
        agent_options_wrong_type("disks", "as", disks_v, &error);
        g_dbus_method_invocation_return_gerror(invocation, error);
        return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
    call = g_new0(ExportCall, 1);
    call->svc = svc;
    call->manager = manager;
    call->invocation = invocation;
    call->vm = g_strdup(vm);
    call->target = g_strdup(target);
    call->disks = disks_v ? g_variant_dup_strv(disks_v, NULL) : NULL;
    call->options = service_export_options(svc, invocation, options, &error);
    if (!call->options) {
        g_dbus_method_invocation_return_gerror(invocation, error);
        export_call_free(call);
        return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
    g_variant_lookup(call->options, "kind", "&s", &kind);
    if (g_str_equal(kind, "export")) {
        /* The task owns @call from here on, answered or not. */
        if (!service_export_check(call))
            export_call_free(call);
        return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
    service_export_queue(call);
    export_call_free(call);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_jobs(FerryManager *manager, GDBusMethodInvocation *invocation,
                 GVariant *options, gpointer data)
{
    AgentService *svc = data;
    g_autoptr(GPtrArray) jobs = agent_job_queue_list(svc->queue);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    guint i;

    for (i = 0; i < jobs->len; i++)
        g_ptr_array_add(paths, agent_dbus_job_path(agent_job_get_id(jobs->pdata[i])));
    g_ptr_array_add(paths, NULL);
    ferry_manager_complete_list_jobs(manager, invocation,
                                     (const char *const *)paths->pdata);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- the name ---------------------------------------------------------- */

static void
service_name_lost(GDBusConnection *conn, const char *name, gpointer data)
{
    AgentService *svc = data;

    g_printerr("ferry-agent: cannot own %s on the bus (another agent runs, or the "
               "bus policy does not allow it)\n", name);
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
    ferry_manager_set_concurrency(svc->manager, agent_job_queue_get_concurrency(svc->queue));
    g_signal_connect(svc->manager, "handle-list-importable-vms",
                     G_CALLBACK(handle_list_importable_vms), svc);
    g_signal_connect(svc->manager, "handle-export", G_CALLBACK(handle_export), svc);
    g_signal_connect(svc->manager, "handle-list-jobs", G_CALLBACK(handle_list_jobs), svc);
    ferry_object_skeleton_set_manager(object, svc->manager);
    g_dbus_object_manager_server_export(svc->objects, G_DBUS_OBJECT_SKELETON(object));

    jobs = agent_job_queue_list(svc->queue);
    for (i = 0; i < jobs->len; i++)
        service_job_added(jobs->pdata[i], svc);
    agent_job_queue_set_hooks(svc->queue, &service_hooks, svc);

    g_dbus_object_manager_server_set_connection(svc->objects, svc->conn);
    svc->last_tick = g_get_monotonic_time();
    svc->timer_id = g_timeout_add(AGENT_DBUS_TICK_MS, service_tick, svc);
    svc->name_id = g_bus_own_name_on_connection(svc->conn, AGENT_DBUS_NAME,
                                                G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                service_name_acquired, service_name_lost,
                                                svc, NULL);
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
