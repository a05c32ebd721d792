/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbus-client.c: the client side of org.ferry.Agent1, shared by the job
 * verbs (agent/cmd-jobs.c) and `ferry serve --stdio` (agent/stdio*.c):
 * finding the bus, the agent's objects through its ObjectManager, a job by
 * id, a job as JSON, and errors turned back into FERRY_ERROR codes.
 */
#include <config.h>

#include <string.h>

#include "agent/dbus-priv.h"

/* How long a client waits for the agent to answer a call. */
#define AGENT_CLIENT_TIMEOUT_MS (60 * 1000)

void
agent_client_fix_error(GError *error)
{
    if (!error)
        return;
    if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
        g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)) {
        error->domain = FERRY_ERROR;
        error->code = FERRY_ERROR_NOT_FOUND;
        g_free(error->message);
        error->message = g_strdup("ferry-agent is not running (" AGENT_DBUS_NAME
                                  " has no owner on the bus)");
        return;
    }
    if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED)) {
        g_dbus_error_strip_remote_error(error);
        error->domain = FERRY_ERROR;
        error->code = FERRY_ERROR_AUTH;
        return;
    }
    g_dbus_error_strip_remote_error(error);
}

GDBusConnection *
agent_client_bus_open(gboolean session, const char *address, GError **error)
{
    g_autoptr(GError) local = NULL;
    GDBusConnection *conn;

    agent_dbus_errors_register();
    if (!address)
        address = g_getenv("FERRY_BUS_ADDRESS");
    if (address && *address) {
        conn = g_dbus_connection_new_for_address_sync(address,
                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                   NULL, NULL, &local);
    } else {
        address = session ? "the session bus" : "the system bus";
        conn = g_bus_get_sync(session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                              NULL, &local);
    }
    if (!conn) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK, "%s: %s", address,
                    local->message);
        return NULL;
    }
    return conn;
}

GDBusObjectManager *
agent_client_objects_new(GDBusConnection *conn, GError **error)
{
    g_autoptr(GDBusObjectManager) objects = NULL;
    g_autofree char *owner = NULL;

    objects = ferry_object_manager_client_new_sync(conn,
                  G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, AGENT_DBUS_NAME,
                  AGENT_DBUS_ROOT_PATH, NULL, error);
    if (!objects) {
        agent_client_fix_error(error ? *error : NULL);
        return NULL;
    }
    owner = g_dbus_object_manager_client_get_name_owner(
                G_DBUS_OBJECT_MANAGER_CLIENT(objects));
    if (!owner) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "ferry-agent is not running (" AGENT_DBUS_NAME
                    " has no owner on the bus)");
        return NULL;
    }
    return g_steal_pointer(&objects);
}

FerryManager *
agent_client_get_manager(GDBusObjectManager *objects, GError **error)
{
    g_autoptr(GDBusInterface) iface = g_dbus_object_manager_get_interface(
        objects, AGENT_DBUS_MANAGER_PATH, "org.ferry.Agent1.Manager");

    if (!iface) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "ferry-agent has no %s object", AGENT_DBUS_MANAGER_PATH);
        return NULL;
    }
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(iface),
                                     AGENT_CLIENT_TIMEOUT_MS);
    return FERRY_MANAGER(g_steal_pointer(&iface));
}

FerryJob *
agent_client_get_job(GDBusObjectManager *objects, const char *id,
                     GError **error)
{
    g_autoptr(GDBusInterface) iface = NULL;
    g_autofree char *path = NULL;
    gsize len = strlen(id);

    if (len == 0 || len > 10 || strspn(id, "0123456789") != len) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "job id '%s' is not a decimal number", id);
        return NULL;
    }
    path = g_strdup_printf("%s/%s", AGENT_DBUS_JOBS_PATH, id);
    iface = g_dbus_object_manager_get_interface(objects, path,
                                                "org.ferry.Agent1.Job");
    if (!iface) {
        /* The object manager learns of a new job from InterfacesAdded, which
         * is dispatched in the main loop; a caller that watches a job right
         * after Export returned can get here first.  Ask the agent itself:
         * a proxy whose Id property is set names a job that exists. */
        GDBusObjectManagerClient *client =
            G_DBUS_OBJECT_MANAGER_CLIENT(objects);
        g_autoptr(FerryJob) direct = ferry_job_proxy_new_sync(
            g_dbus_object_manager_client_get_connection(client),
            G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
            g_dbus_object_manager_client_get_name(client), path, NULL, NULL);

        if (!direct || !ferry_job_get_id(direct)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                        "no job '%s'", id);
            return NULL;
        }
        iface = G_DBUS_INTERFACE(g_steal_pointer(&direct));
    }
    g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(iface),
                                     AGENT_CLIENT_TIMEOUT_MS);
    return FERRY_JOB(g_steal_pointer(&iface));
}

static gint
agent_client_compare_jobs(gconstpointer a, gconstpointer b)
{
    FerryJob *ja = *(FerryJob *const *)a, *jb = *(FerryJob *const *)b;
    guint64 na = g_ascii_strtoull(
        ferry_job_get_id(ja) ? ferry_job_get_id(ja) : "0", NULL, 10);
    guint64 nb = g_ascii_strtoull(
        ferry_job_get_id(jb) ? ferry_job_get_id(jb) : "0", NULL, 10);

    return na < nb ? -1 : na > nb;
}

GPtrArray *
agent_client_list_jobs(GDBusObjectManager *objects)
{
    GPtrArray *jobs = g_ptr_array_new_with_free_func(g_object_unref);
    GList *list = g_dbus_object_manager_get_objects(objects), *l;

    for (l = list; l; l = l->next) {
        FerryJob *job = ferry_object_get_job(FERRY_OBJECT(l->data));

        if (job)
            g_ptr_array_add(jobs, job);
    }
    g_list_free_full(list, g_object_unref);
    g_ptr_array_sort(jobs, agent_client_compare_jobs);
    return jobs;
}

static void
agent_client_json_string(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value ? value : "");
}

static void
agent_client_json_uint(JsonBuilder *b, const char *key, guint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, (gint64)MIN(value, G_MAXINT64));
}

GVariant *
agent_client_job_get_details(FerryJob *job, GError **error)
{
    g_autoptr(GVariant) details = NULL;

    if (!ferry_job_call_get_details_sync(
            job, g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0), &details,
            NULL, error)) {
        agent_client_fix_error(error ? *error : NULL);
        return NULL;
    }
    return g_steal_pointer(&details);
}

JsonNode *
agent_client_job_to_json(FerryJob *job)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(GVariant) details = NULL;
    g_autoptr(GError) error = NULL;

    json_builder_begin_object(b);
    agent_client_json_string(b, "id", ferry_job_get_id(job));
    agent_client_json_string(b, "kind", ferry_job_get_kind(job));
    agent_client_json_string(b, "vm", ferry_job_get_vm(job));
    agent_client_json_uint(b, "owner", ferry_job_get_owner(job));
    agent_client_json_string(b, "state", ferry_job_get_state(job));
    json_builder_set_member_name(b, "progress");
    if (ferry_job_get_progress_valid(job))
        json_builder_add_double_value(b, ferry_job_get_progress(job));
    else
        json_builder_add_null_value(b);
    agent_client_json_uint(b, "bytes", ferry_job_get_bytes(job));
    agent_client_json_uint(b, "bytes_total", ferry_job_get_bytes_total(job));
    agent_client_json_uint(b, "rate", ferry_job_get_rate(job));
    agent_client_json_string(b, "error_name", ferry_job_get_error_name(job));
    agent_client_json_uint(b, "create_time", ferry_job_get_create_time(job));
    agent_client_json_uint(b, "start_time", ferry_job_get_start_time(job));
    agent_client_json_uint(b, "finish_time", ferry_job_get_finish_time(job));
    /* Someone else's job: the public fields only. */
    details = agent_client_job_get_details(job, &error);
    if (details) {
        const char *target = "", *message = "";
        g_autofree const char **disks = NULL;
        g_autoptr(GVariant) result = NULL;
        guint i;

        g_variant_lookup(details, "target", "&s", &target);
        agent_client_json_string(b, "target", target);
        json_builder_set_member_name(b, "disks");
        json_builder_begin_array(b);
        if (g_variant_lookup(details, "disks", "^a&s", &disks)) {
            for (i = 0; disks[i]; i++)
                json_builder_add_string_value(b, disks[i]);
        }
        json_builder_end_array(b);
        g_variant_lookup(details, "error", "&s", &message);
        agent_client_json_string(b, "error", message);
        /* What the job made (an export's manifest and checksums): {} until
         * it completes.  Integers become JSON numbers, as everywhere here. */
        json_builder_set_member_name(b, "result");
        result =
            g_variant_lookup_value(details, "result", G_VARIANT_TYPE_VARDICT);
        if (result)
            json_builder_add_value(b, json_gvariant_serialize(result));
        else {
            json_builder_begin_object(b);
            json_builder_end_object(b);
        }
    } else {
        g_debug("job %s: no details: %s", ferry_job_get_id(job),
                error->message);
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
