/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stdio-methods.c: the methods of `ferry serve --stdio` and its loop.
 *
 *   list    {uri?, all?}              -> listVmsForImport JSON (as ferry list --json)
 *   export  {vm, target, disks?, options?} -> {"job": ID, "path": PATH}
 *   jobs    {}                        -> [job, ...]
 *   cancel  {job}                     -> {"job": ID}
 *   resume  {job}                     -> {"job": ID}
 *   watch   {job?}                    -> {"watching": ID or "*"}, then the
 *           notifications "job.changed" (params: a job, as in `jobs`) and
 *           "job.completed" ({job, success, message}) as they happen
 *
 * The service is a client of the running ferry-agent on the bus, the same
 * one the job verbs use: jobs belong to the agent, which persists them, runs
 * them under its concurrency limit and keeps them when the SSH session that
 * asked for them drops (an in-process queue would die with the session, and
 * two queues would fight over the state directory).  Only `list`, which
 * needs no job, falls back to reading libvirt in-process when no agent runs.
 *
 * Method names are looked up in the agent's authorization table
 * (agent/authz.c), the one list of what exists: a name without a row is
 * -32601.  The agent applies the rest of the table (who may, which
 * options) to the calls this service makes for the SSH user.
 *
 * Requests are handled in order, each answered exactly once; a failure is
 * an error response and the next line is read as usual.
 */
#include <config.h>

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "agent/authz-priv.h"
#include "agent/dbus-priv.h"
#include "agent/stdio-priv.h"

/* Bytes read from stdin at a time. */
#define AGENT_RPC_READ_CHUNK (64 * 1024)

typedef struct {
    gboolean session;
    const char *address;
    GDBusConnection *conn;
    GDBusObjectManager *objects;
    GMainLoop *loop;
    AgentLineReader reader;
    gboolean watch_all;
    GHashTable *watched;           /* job ids */
    gboolean broken;               /* stdout is gone */
    int status;
} RpcServer;

static void
rpc_send(RpcServer *srv, char *line)
{
    g_autofree char *owned = line;
    gsize len = strlen(line), off = 0;

    if (srv->broken)
        return;
    owned = g_realloc(owned, len + 2);
    owned[len++] = '\n';
    while (off < len) {
        ssize_t n = write(STDOUT_FILENO, owned + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            srv->broken = TRUE;
            g_main_loop_quit(srv->loop);
            return;
        }
        off += n;
    }
}

static void
rpc_send_error(RpcServer *srv, JsonNode *id, const GError *error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) data = NULL;
    g_autofree char *flat = g_strdelimit(g_strdup(error->message), "\r\n", ' ');

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, agent_dbus_error_name_for(error));
    json_builder_set_member_name(b, "exit_status");
    json_builder_add_int_value(b, agent_exit_status(error));
    json_builder_end_object(b);
    data = json_builder_get_root(b);
    rpc_send(srv, agent_rpc_error_line(id, agent_rpc_code_for_error(error),
                                       flat, data));
}

/* The agent's objects, connecting on first use. */
static GDBusObjectManager *
rpc_objects(RpcServer *srv, GError **error)
{
    if (srv->objects)
        return srv->objects;
    if (!srv->conn) {
        srv->conn = agent_client_bus_open(srv->session, srv->address, error);
        if (!srv->conn)
            return NULL;
    }
    srv->objects = agent_client_objects_new(srv->conn, error);
    return srv->objects;
}

static const char *
rpc_param_string(JsonObject *params, const char *key, gboolean required,
                 GError **error)
{
    JsonNode *node = json_object_get_member(params, key);

    if (!node || JSON_NODE_HOLDS_NULL(node)) {
        if (required)
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "params: '%s' is missing", key);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "params: '%s' must be a string", key);
        return NULL;
    }
    return json_node_get_string(node);
}

static gboolean
rpc_param_bool(JsonObject *params, const char *key, gboolean *value,
               GError **error)
{
    JsonNode *node = json_object_get_member(params, key);

    *value = FALSE;
    if (!node || JSON_NODE_HOLDS_NULL(node))
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "params: '%s' must be a boolean", key);
        return FALSE;
    }
    *value = json_node_get_boolean(node);
    return TRUE;
}

static JsonNode *
rpc_list(RpcServer *srv, JsonObject *params, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(FerryManager) manager = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *json = NULL;
    const char *uri;
    gboolean all;
    GDBusObjectManager *objects;

    uri = rpc_param_string(params, "uri", FALSE, &local);
    if (local || !rpc_param_bool(params, "all", &all, &local)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    objects = rpc_objects(srv, &local);
    if (objects && (manager = agent_client_get_manager(objects, &local))) {
        GVariantDict opts;

        g_variant_dict_init(&opts, NULL);
        if (uri)
            g_variant_dict_insert(&opts, "uri", "s", uri);
        g_variant_dict_insert(&opts, "all", "b", all);
        if (!ferry_manager_call_list_importable_vms_sync(
                manager, g_variant_dict_end(&opts), &json, NULL, error)) {
            agent_client_fix_error(error ? *error : NULL);
            return NULL;
        }
    } else if (g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NOT_FOUND) ||
               g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NETWORK)) {
        /* No agent: read libvirt here, as `ferry list` does.  This runs as
         * the SSH user, with the user's own rights, so a URI of the user's
         * choosing is no escalation and the table's URI rule (for the
         * agent, which runs as root) does not apply. */
        g_autoptr(AgentInventory) inv = NULL;
        AgentInventoryFlags flags =
            all ? AGENT_INVENTORY_ALL : AGENT_INVENTORY_DEFAULT;

        inv = agent_inventory_collect(uri, flags, error);
        if (!inv)
            return NULL;
        json = agent_inventory_to_json(inv, flags);
    } else {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    if (!json_parser_load_from_data(parser, json, -1, error))
        return NULL;
    return json_node_copy(json_parser_get_root(parser));
}

static JsonNode *
rpc_export(RpcServer *srv, JsonObject *params, GError **error)
{
    g_autoptr(FerryManager) manager = NULL;
    g_autoptr(GVariant) options = NULL;
    g_autoptr(JsonObject) merged = json_object_new();
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *path = NULL;
    const char *vm, *target;
    JsonNode *node;
    GDBusObjectManager *objects;

    if (!(vm = rpc_param_string(params, "vm", TRUE, error)) ||
        !(target = rpc_param_string(params, "target", TRUE, error)))
        return NULL;
    node = json_object_get_member(params, "options");
    if (node && JSON_NODE_HOLDS_OBJECT(node)) {
        JsonObject *o = json_node_get_object(node);
        g_autoptr(GList) members = json_object_get_members(o);
        GList *l;

        for (l = members; l; l = l->next)
            json_object_set_member(
                merged, l->data,
                json_node_copy(json_object_get_member(o, l->data)));
    } else if (node && !JSON_NODE_HOLDS_NULL(node)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "params: 'options' must be an object");
        return NULL;
    }
    if ((node = json_object_get_member(params, "disks")))
        json_object_set_member(merged, "disks", json_node_copy(node));
    options = agent_rpc_options_to_variant(merged, error);
    if (!options || !(objects = rpc_objects(srv, error)) ||
        !(manager = agent_client_get_manager(objects, error)))
        return NULL;
    if (!ferry_manager_call_export_sync(manager, vm, target, options, &path,
                                        NULL, error)) {
        agent_client_fix_error(error ? *error : NULL);
        return NULL;
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "job");
    json_builder_add_string_value(b, strrchr(path, '/') + 1);
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, path);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static JsonNode *
rpc_jobs(RpcServer *srv, JsonObject *params, GError **error)
{
    g_autoptr(GPtrArray) jobs = NULL;
    JsonArray *array = json_array_new();
    JsonNode *node;
    GDBusObjectManager *objects = rpc_objects(srv, error);
    guint i;

    if (!objects) {
        json_array_unref(array);
        return NULL;
    }
    jobs = agent_client_list_jobs(objects);
    for (i = 0; i < jobs->len; i++)
        json_array_add_element(array, agent_client_job_to_json(jobs->pdata[i]));
    node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, array);
    return node;
}

static JsonNode *
rpc_job_result(const char *id)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "job");
    json_builder_add_string_value(b, id);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static JsonNode *
rpc_cancel_or_resume(RpcServer *srv, JsonObject *params, gboolean cancel,
                     GError **error)
{
    g_autoptr(FerryJob) job = NULL;
    GDBusObjectManager *objects;
    const char *id;
    GVariant *none = g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
    gboolean ok;

    g_variant_ref_sink(none);
    if (!(id = rpc_param_string(params, "job", TRUE, error)) ||
        !(objects = rpc_objects(srv, error)) ||
        !(job = agent_client_get_job(objects, id, error))) {
        g_variant_unref(none);
        return NULL;
    }
    ok = cancel ? ferry_job_call_cancel_sync(job, none, NULL, error) :
                  ferry_job_call_resume_sync(job, none, NULL, error);
    g_variant_unref(none);
    if (!ok) {
        agent_client_fix_error(error ? *error : NULL);
        return NULL;
    }
    return rpc_job_result(id);
}

static gboolean
rpc_watching(RpcServer *srv, FerryJob *job)
{
    const char *id = ferry_job_get_id(job);

    return srv->watch_all || (id && g_hash_table_contains(srv->watched, id));
}

static void
rpc_on_properties_changed(GDBusObjectManagerClient *objects,
                          GDBusObjectProxy *object, GDBusProxy *iface,
                          GVariant *changed, const char *const *invalidated,
                          gpointer data)
{
    RpcServer *srv = data;
    g_autoptr(JsonNode) params = NULL;

    if (!FERRY_IS_JOB(iface) || !rpc_watching(srv, FERRY_JOB(iface)))
        return;
    params = agent_client_job_to_json(FERRY_JOB(iface));
    rpc_send(srv, agent_rpc_notification_line("job.changed", params));
}

static void
rpc_on_signal(GDBusObjectManagerClient *objects, GDBusObjectProxy *object,
              GDBusProxy *iface, const char *sender, const char *signal,
              GVariant *args, gpointer data)
{
    RpcServer *srv = data;
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonNode) params = NULL;
    g_autoptr(GVariant) details = NULL;
    gboolean success;
    const char *error_name, *message = "";

    if (!FERRY_IS_JOB(iface) || !g_str_equal(signal, "Completed") ||
        !g_variant_is_of_type(args, G_VARIANT_TYPE("(bs)")) ||
        !rpc_watching(srv, FERRY_JOB(iface)))
        return;
    g_variant_get(args, "(b&s)", &success, &error_name);
    /* The signal carries the error's name; its message is the owner's. */
    if (!success) {
        details = agent_client_job_get_details(FERRY_JOB(iface), NULL);
        if (!details || !g_variant_lookup(details, "error", "&s", &message))
            message = error_name;
    }
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "job");
    json_builder_add_string_value(b, ferry_job_get_id(FERRY_JOB(iface)));
    json_builder_set_member_name(b, "success");
    json_builder_add_boolean_value(b, success);
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message);
    json_builder_end_object(b);
    params = json_builder_get_root(b);
    rpc_send(srv, agent_rpc_notification_line("job.completed", params));
}

static void
rpc_on_object_added(GDBusObjectManager *objects, GDBusObject *object,
                    gpointer data)
{
    RpcServer *srv = data;
    g_autoptr(FerryJob) job = ferry_object_get_job(FERRY_OBJECT(object));
    g_autoptr(JsonNode) params = NULL;

    if (!job || !srv->watch_all)
        return;
    params = agent_client_job_to_json(job);
    rpc_send(srv, agent_rpc_notification_line("job.changed", params));
}

static JsonNode *
rpc_watch(RpcServer *srv, JsonObject *params, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(FerryJob) job = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    GDBusObjectManager *objects;
    const char *id = rpc_param_string(params, "job", FALSE, &local);

    if (local) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    if (!(objects = rpc_objects(srv, error)))
        return NULL;
    if (id && !(job = agent_client_get_job(objects, id, error)))
        return NULL;
    if (!srv->watched) {
        srv->watched =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_signal_connect(objects, "interface-proxy-properties-changed",
                         G_CALLBACK(rpc_on_properties_changed), srv);
        g_signal_connect(objects, "interface-proxy-signal",
                         G_CALLBACK(rpc_on_signal), srv);
        g_signal_connect(objects, "object-added",
                         G_CALLBACK(rpc_on_object_added), srv);
    }
    if (id)
        g_hash_table_add(srv->watched, g_strdup(id));
    else
        srv->watch_all = TRUE;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "watching");
    json_builder_add_string_value(b, id ? id : "*");
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void
rpc_handle_line(const char *line, gsize len, gboolean too_long, gpointer data)
{
    RpcServer *srv = data;
    g_autoptr(AgentRpcRequest) req = NULL;
    g_autoptr(JsonNode) id = NULL;
    g_autoptr(JsonNode) result = NULL;
    g_autoptr(GError) error = NULL;
    AgentMethod method;
    int code;
    gsize i;

    if (too_long) {
        g_autofree char *msg =
            g_strdup_printf("request: longer than the limit of %d bytes",
                            AGENT_RPC_MAX_REQUEST_BYTES);
        rpc_send(srv, agent_rpc_error_line(NULL, AGENT_RPC_INVALID_REQUEST, msg,
                                           NULL));
        return;
    }
    for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
        ;
    if (i == len)
        return;                    /* blank lines are keep-alives */
    req = agent_rpc_parse(line, len, &code, &id, &error);
    if (!req) {
        rpc_send(srv, agent_rpc_error_line(id, code, error->message, NULL));
        return;
    }
    if (!agent_method_from_stdio(req->method, &method)) {
        g_autofree char *msg =
            g_strdup_printf("method '%s' does not exist", req->method);

        if (req->id)
            rpc_send(srv, agent_rpc_error_line(
                              req->id, AGENT_RPC_METHOD_NOT_FOUND, msg, NULL));
        return;
    }
    switch (method) {
    case AGENT_METHOD_LIST_VMS:
        result = rpc_list(srv, req->params, &error);
        break;
    case AGENT_METHOD_EXPORT:
        result = rpc_export(srv, req->params, &error);
        break;
    case AGENT_METHOD_LIST_JOBS:
        result = rpc_jobs(srv, req->params, &error);
        break;
    case AGENT_METHOD_CANCEL:
        result = rpc_cancel_or_resume(srv, req->params, TRUE, &error);
        break;
    case AGENT_METHOD_RESUME:
        result = rpc_cancel_or_resume(srv, req->params, FALSE, &error);
        break;
    case AGENT_METHOD_WATCH:
        result = rpc_watch(srv, req->params, &error);
        break;
    case AGENT_METHOD_GET_DETAILS:
    case AGENT_METHOD_LAST:
    default:
        g_assert_not_reached();   /* no stdio name in the table */
    }
    if (!req->id)
        return; /* a notification: no answer, as the spec says */
    if (!result) {
        if (!error)
            g_set_error(&error, FERRY_ERROR, FERRY_ERROR_FAILED, "%s failed",
                        req->method);
        if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID) &&
            g_str_has_prefix(error->message, "params: ")) {
            rpc_send(srv,
                     agent_rpc_error_line(req->id, AGENT_RPC_INVALID_PARAMS,
                                          error->message, NULL));
            return;
        }
        rpc_send_error(srv, req->id, error);
        return;
    }
    rpc_send(srv, agent_rpc_result_line(req->id, result));
}

static gboolean
rpc_on_stdin(int fd, GIOCondition condition, gpointer data)
{
    RpcServer *srv = data;
    guint8 buf[AGENT_RPC_READ_CHUNK];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        agent_line_reader_finish(&srv->reader, rpc_handle_line, srv);
        g_main_loop_quit(srv->loop);
        return G_SOURCE_REMOVE;
    }
    agent_line_reader_feed(&srv->reader, buf, n, rpc_handle_line, srv);
    return srv->broken ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

int
agent_rpc_serve(gboolean session, const char *address)
{
    RpcServer srv = { 0 };

    /* A closed stdout is a write error to notice, not a signal that kills. */
    signal(SIGPIPE, SIG_IGN);
    srv.session = session;
    srv.address = address;
    srv.loop = g_main_loop_new(NULL, FALSE);
    agent_line_reader_init(&srv.reader, AGENT_RPC_MAX_REQUEST_BYTES);
    g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, rpc_on_stdin,
                  &srv);
    g_main_loop_run(srv.loop);
    agent_line_reader_clear(&srv.reader);
    if (srv.objects)
        g_signal_handlers_disconnect_by_data(srv.objects, &srv);
    g_clear_object(&srv.objects);
    g_clear_object(&srv.conn);
    g_clear_pointer(&srv.watched, g_hash_table_unref);
    g_main_loop_unref(srv.loop);
    return srv.broken ? AGENT_EXIT_IO : 0;
}
