/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbus-job.c: one org.ferry.Agent1.Job object per AgentJob, in the pattern
 * of udisks' Job: constant properties set once, State, Bytes, Rate...
 * copied from the job when the queue says it changed and on the service's
 * timer (the generated skeleton only announces values that differ, in one
 * PropertiesChanged per flush), Cancel, Resume and GetDetails handlers,
 * and the Completed signal.  Properties are readable by every local user,
 * so they name no host, path or error message: those are GetDetails',
 * for the job's owner and root (agent/authz.c).  Before Completed goes
 * out the pending property changes are flushed, so a client that sees
 * Completed has already seen the final State.
 */
#include <config.h>

#include "agent/dbus-priv.h"

struct agent_dbus_job {
    AgentService *svc;             /* not a reference: it outlives us */
    AgentJob *job;
    FerryObjectSkeleton *object;
    FerryJob *iface;
};

char *
agent_dbus_job_path(const char *id)
{
    return g_strdup_printf("%s/%s", AGENT_DBUS_JOBS_PATH, id);
}

/* A call on a job being authorized. */
typedef struct {
    AgentService *svc;
    AgentJob *job;
    FerryJob *iface;
    GDBusMethodInvocation *invocation;   /* answered (and so released) once */
} JobCall;

static void
job_call_start(AgentDbusJob *djob, GDBusMethodInvocation *invocation,
               AgentMethod method, GVariant *options, GAsyncReadyCallback done)
{
    JobCall *call = g_new0(JobCall, 1);

    call->svc = djob->svc;
    call->job = agent_job_ref(djob->job);
    call->iface = g_object_ref(djob->iface);
    call->invocation = invocation;
    agent_dbus_authorize_async(djob->svc, invocation, method, options,
                               agent_job_get_owner(djob->job), done, call);
}

static void
job_call_free(JobCall *call)
{
    agent_job_unref(call->job);
    g_object_unref(call->iface);
    g_free(call);
}

static void
cancel_authorized(GObject *source, GAsyncResult *result, gpointer data)
{
    JobCall *call = data;
    g_autoptr(GError) error = NULL;
    uid_t uid;

    if (!agent_dbus_authorize_finish(result, &uid, &error) ||
        !agent_job_queue_cancel(call->svc->queue, call->job, &error)) {
        g_dbus_method_invocation_return_gerror(call->invocation, error);
    } else {
        g_info(
            "job %s: cancel asked by %s (uid %u)", agent_job_get_id(call->job),
            g_dbus_method_invocation_get_sender(call->invocation), (guint)uid);
        ferry_job_complete_cancel(call->iface, call->invocation);
    }
    job_call_free(call);
}

static gboolean
handle_cancel(FerryJob *iface, GDBusMethodInvocation *invocation,
              GVariant *options, gpointer data)
{
    job_call_start(data, invocation, AGENT_METHOD_CANCEL, options,
                   cancel_authorized);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
resume_authorized(GObject *source, GAsyncResult *result, gpointer data)
{
    JobCall *call = data;
    g_autoptr(GError) error = NULL;
    uid_t uid;

    if (!agent_dbus_authorize_finish(result, &uid, &error) ||
        !agent_job_queue_resume(call->svc->queue, call->job, &error)) {
        g_dbus_method_invocation_return_gerror(call->invocation, error);
    } else {
        g_info("job %s: resumed by %s (uid %u)", agent_job_get_id(call->job),
               g_dbus_method_invocation_get_sender(call->invocation),
               (guint)uid);
        ferry_job_complete_resume(call->iface, call->invocation);
    }
    job_call_free(call);
}

static gboolean
handle_resume(FerryJob *iface, GDBusMethodInvocation *invocation,
              GVariant *options, gpointer data)
{
    job_call_start(data, invocation, AGENT_METHOD_RESUME, options,
                   resume_authorized);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* {target, disks, options, error, result}: what names hosts and paths. */
static GVariant *
agent_dbus_job_details(AgentJob *job)
{
    const GError *error = agent_job_get_error(job);
    GVariant *result = agent_job_get_result(job);
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "target",
                          g_variant_new_string(agent_job_get_target(job)));
    g_variant_builder_add(&b, "{sv}", "disks",
                          g_variant_new_strv(agent_job_get_disks(job), -1));
    g_variant_builder_add(&b, "{sv}", "options", agent_job_get_options(job));
    g_variant_builder_add(&b, "{sv}", "error",
                          g_variant_new_string(error ? error->message : ""));
    g_variant_builder_add(&b, "{sv}", "result", result ? result :
                          g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
    return g_variant_builder_end(&b);
}

static void
get_details_authorized(GObject *source, GAsyncResult *result, gpointer data)
{
    JobCall *call = data;
    g_autoptr(GError) error = NULL;

    if (!agent_dbus_authorize_finish(result, NULL, &error))
        g_dbus_method_invocation_return_gerror(call->invocation, error);
    else
        ferry_job_complete_get_details(call->iface, call->invocation,
                                       agent_dbus_job_details(call->job));
    job_call_free(call);
}

static gboolean
handle_get_details(FerryJob *iface, GDBusMethodInvocation *invocation,
                   GVariant *options, gpointer data)
{
    job_call_start(data, invocation, AGENT_METHOD_GET_DETAILS, options,
                   get_details_authorized);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

AgentDbusJob *
agent_dbus_job_new(AgentService *svc, AgentJob *job)
{
    AgentDbusJob *djob = g_new0(AgentDbusJob, 1);
    g_autofree char *path = agent_dbus_job_path(agent_job_get_id(job));

    djob->svc = svc;
    djob->job = agent_job_ref(job);
    djob->object = ferry_object_skeleton_new(path);
    djob->iface = ferry_job_skeleton_new();
    ferry_job_set_id(djob->iface, agent_job_get_id(job));
    ferry_job_set_kind(djob->iface, agent_job_get_kind(job));
    ferry_job_set_vm(djob->iface, agent_job_get_vm(job));
    ferry_job_set_owner(djob->iface, agent_job_get_owner(job));
    agent_dbus_job_sync(djob);
    g_signal_connect(djob->iface, "handle-cancel", G_CALLBACK(handle_cancel),
                     djob);
    g_signal_connect(djob->iface, "handle-resume", G_CALLBACK(handle_resume),
                     djob);
    g_signal_connect(djob->iface, "handle-get-details",
                     G_CALLBACK(handle_get_details), djob);
    ferry_object_skeleton_set_job(djob->object, djob->iface);
    g_dbus_object_manager_server_export(svc->objects,
                                        G_DBUS_OBJECT_SKELETON(djob->object));
    return djob;
}

void
agent_dbus_job_free(AgentDbusJob *djob)
{
    if (!djob)
        return;
    g_signal_handlers_disconnect_by_data(djob->iface, djob);
    if (djob->svc->objects)
        g_dbus_object_manager_server_unexport(djob->svc->objects,
            g_dbus_object_get_object_path(G_DBUS_OBJECT(djob->object)));
    g_object_unref(djob->iface);
    g_object_unref(djob->object);
    agent_job_unref(djob->job);
    g_free(djob);
}

void
agent_dbus_job_sync(AgentDbusJob *djob)
{
    AgentJob *job = djob->job;
    const GError *error = agent_job_get_error(job);
    guint64 bytes = agent_job_get_bytes(job),
            total = agent_job_get_bytes_total(job);

    ferry_job_set_state(djob->iface,
                        agent_job_state_name(agent_job_get_state(job)));
    ferry_job_set_bytes(djob->iface, bytes);
    ferry_job_set_bytes_total(djob->iface, total);
    ferry_job_set_progress_valid(djob->iface, total > 0);
    ferry_job_set_progress(djob->iface,
                           total > 0 ? MIN(1.0, (double)bytes / total) : 0.0);
    ferry_job_set_rate(djob->iface, agent_job_get_rate(job));
    ferry_job_set_error_name(djob->iface, agent_dbus_error_name_for(error));
    ferry_job_set_create_time(djob->iface,
                              (guint64)agent_job_get_create_time(job));
    ferry_job_set_start_time(djob->iface,
                             (guint64)agent_job_get_start_time(job));
    ferry_job_set_finish_time(djob->iface,
                              (guint64)agent_job_get_finish_time(job));
}

void
agent_dbus_job_emit_completed(AgentDbusJob *djob)
{
    const GError *error = agent_job_get_error(djob->job);

    agent_dbus_job_sync(djob);
    g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(djob->iface));
    /* Every caller on the bus receives it: the name, not the message. */
    ferry_job_emit_completed(
        djob->iface, agent_job_get_state(djob->job) == AGENT_JOB_COMPLETED,
        agent_dbus_error_name_for(error));
}
