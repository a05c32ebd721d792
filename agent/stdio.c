/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stdio.c: the wire side of `ferry serve --stdio`: JSON-RPC 2.0
 * (https://www.jsonrpc.org/specification) with one request or response per
 * line.  Requests are hostile input: a line is capped at
 * AGENT_RPC_MAX_REQUEST_BYTES (longer ones are dropped as they arrive, not
 * buffered), must be UTF-8 without NUL bytes, nest at most
 * AGENT_RPC_MAX_DEPTH deep, and be a request object (section 4: "jsonrpc"
 * "2.0", a string "method", an "id" that is a string, an integer or null,
 * "params" an object when present; batches are refused).  Every failure is
 * answered with an error object (section 5.1 codes) and the next line is
 * read as if nothing happened.
 */
#include <config.h>

#include <string.h>

#include "agent/stdio-priv.h"

void
agent_rpc_request_free(AgentRpcRequest *req)
{
    if (!req)
        return;
    if (req->id)
        json_node_unref(req->id);
    g_free(req->method);
    if (req->params)
        json_object_unref(req->params);
    g_free(req);
}

static gboolean
agent_rpc_is_string(JsonNode *node)
{
    return node && JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_STRING;
}

AgentRpcRequest *
agent_rpc_parse(const char *line, gsize len, int *code, JsonNode **id,
                GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(AgentRpcRequest) req = NULL;
    g_autoptr(GError) local = NULL;
    JsonObject *obj;
    JsonNode *root, *node;
    const char *nul;

    *id = NULL;
    *code = AGENT_RPC_PARSE_ERROR;
    if (len > AGENT_RPC_MAX_REQUEST_BYTES) {
        *code = AGENT_RPC_INVALID_REQUEST;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "request: %zu bytes, more than the limit %d", len,
                    AGENT_RPC_MAX_REQUEST_BYTES);
        return NULL;
    }
    if (len == 0) {
        *code = AGENT_RPC_INVALID_REQUEST;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "request: empty line");
        return NULL;
    }
    if ((nul = memchr(line, '\0', len))) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "request: NUL byte at offset %zu", (gsize)(nul - line));
        return NULL;
    }
    if (!g_utf8_validate(line, len, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "request: not valid UTF-8");
        return NULL;
    }
    if (!ferry_json_depth_ok(line, len, AGENT_RPC_MAX_DEPTH)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "request: nested more than %d levels deep",
                    AGENT_RPC_MAX_DEPTH);
        return NULL;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, line, (gssize)len, &local)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT, "request: %s",
                    local->message);
        return NULL;
    }
    root = json_parser_get_root(parser);
    *code = AGENT_RPC_INVALID_REQUEST;
    if (!root || JSON_NODE_HOLDS_ARRAY(root)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    root ? "request: batches are not supported"
                         : "request: empty");
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "request: not a JSON object");
        return NULL;
    }
    obj = json_node_get_object(root);
    req = g_new0(AgentRpcRequest, 1);
    node = json_object_get_member(obj, "id");
    if (node) {
        if (!JSON_NODE_HOLDS_NULL(node) && !agent_rpc_is_string(node) &&
            !(JSON_NODE_HOLDS_VALUE(node) &&
              json_node_get_value_type(node) == G_TYPE_INT64)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "request: 'id' must be a string, an integer or null");
            return NULL;
        }
        req->id = json_node_copy(node);
        *id = json_node_copy(node);
    }
    node = json_object_get_member(obj, "jsonrpc");
    if (!agent_rpc_is_string(node) ||
        !g_str_equal(json_node_get_string(node), "2.0")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "request: 'jsonrpc' must be \"2.0\"");
        return NULL;
    }
    node = json_object_get_member(obj, "method");
    if (!agent_rpc_is_string(node) || !*json_node_get_string(node)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "request: 'method' must be a non-empty string");
        return NULL;
    }
    req->method = g_strdup(json_node_get_string(node));
    node = json_object_get_member(obj, "params");
    if (node && !JSON_NODE_HOLDS_NULL(node)) {
        if (!JSON_NODE_HOLDS_OBJECT(node)) {
            *code = AGENT_RPC_INVALID_PARAMS;
            g_set_error(
                error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "request: 'params' must be an object (by-name parameters)");
            return NULL;
        }
        req->params = json_object_ref(json_node_get_object(node));
    } else {
        req->params = json_object_new();
    }
    if (*id) {
        json_node_unref(*id);
        *id = NULL;
    }
    return g_steal_pointer(&req);
}

static char *
agent_rpc_line(JsonBuilder *b)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);

    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static void
agent_rpc_add_id(JsonBuilder *b, JsonNode *id)
{
    json_builder_set_member_name(b, "id");
    if (id)
        json_builder_add_value(b, json_node_copy(id));
    else
        json_builder_add_null_value(b);
}

char *
agent_rpc_result_line(JsonNode *id, JsonNode *result)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "jsonrpc");
    json_builder_add_string_value(b, "2.0");
    agent_rpc_add_id(b, id);
    json_builder_set_member_name(b, "result");
    if (result)
        json_builder_add_value(b, json_node_copy(result));
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);
    return agent_rpc_line(b);
}

char *
agent_rpc_error_line(JsonNode *id, int code, const char *message,
                     JsonNode *data)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "jsonrpc");
    json_builder_add_string_value(b, "2.0");
    agent_rpc_add_id(b, id);
    json_builder_set_member_name(b, "error");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "code");
    json_builder_add_int_value(b, code);
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message);
    if (data) {
        json_builder_set_member_name(b, "data");
        json_builder_add_value(b, json_node_copy(data));
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    return agent_rpc_line(b);
}

char *
agent_rpc_notification_line(const char *method, JsonNode *params)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "jsonrpc");
    json_builder_add_string_value(b, "2.0");
    json_builder_set_member_name(b, "method");
    json_builder_add_string_value(b, method);
    json_builder_set_member_name(b, "params");
    json_builder_add_value(b, json_node_copy(params));
    json_builder_end_object(b);
    return agent_rpc_line(b);
}

int
agent_rpc_code_for_error(const GError *error)
{
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return AGENT_RPC_CANCELLED;
    if (error->domain == FERRY_ERROR && error->code >= 0 &&
        error->code < FERRY_ERROR_LAST)
        return AGENT_RPC_FERRY_ERROR - error->code;
    return AGENT_RPC_FERRY_ERROR - FERRY_ERROR_FAILED;
}

GVariant *
agent_rpc_options_to_variant(JsonObject *obj, GError **error)
{
    g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
    g_autoptr(GList) members = json_object_get_members(obj);
    GList *l;

    for (l = members; l; l = l->next) {
        const char *key = l->data;
        JsonNode *node = json_object_get_member(obj, key);
        GVariant *v = NULL;

        if (JSON_NODE_HOLDS_VALUE(node)) {
            GType t = json_node_get_value_type(node);

            if (t == G_TYPE_STRING)
                v = g_variant_new_string(json_node_get_string(node));
            else if (t == G_TYPE_INT64)
                v = g_variant_new_int64(json_node_get_int(node));
            else if (t == G_TYPE_BOOLEAN)
                v = g_variant_new_boolean(json_node_get_boolean(node));
            else if (t == G_TYPE_DOUBLE)
                v = g_variant_new_double(json_node_get_double(node));
        } else if (JSON_NODE_HOLDS_ARRAY(node)) {
            JsonArray *a = json_node_get_array(node);
            g_auto(GVariantBuilder) sb =
                G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_STRING_ARRAY);
            guint i, n = json_array_get_length(a);

            for (i = 0; i < n; i++) {
                if (!agent_rpc_is_string(json_array_get_element(a, i)))
                    break;
                g_variant_builder_add(&sb, "s",
                                      json_array_get_string_element(a, i));
            }
            if (i == n)
                v = g_variant_builder_end(&sb);
        }
        if (!v) {
            g_set_error(
                error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "option '%s': expected a string, number, boolean or array of "
                "strings",
                key);
            return NULL;
        }
        g_variant_builder_add(&b, "{sv}", key, v);
    }
    return g_variant_ref_sink(g_variant_builder_end(&b));
}

/* ---- lines ------------------------------------------------------------ */

void
agent_line_reader_init(AgentLineReader *reader, gsize max)
{
    reader->buf = g_byte_array_new();
    reader->max = max;
    reader->discarding = FALSE;
}

void
agent_line_reader_clear(AgentLineReader *reader)
{
    g_clear_pointer(&reader->buf, g_byte_array_unref);
}

static void
agent_line_reader_emit(AgentLineReader *reader, AgentLineFunc func,
                       gpointer user_data)
{
    gsize len = reader->buf->len;

    if (reader->discarding) {
        reader->discarding = FALSE;
        func("", 0, TRUE, user_data);
    } else {
        if (len > 0 && reader->buf->data[len - 1] == '\r')
            len--;
        /* An empty GByteArray has no data pointer at all. */
        func(len ? (const char *)reader->buf->data : "", len, FALSE, user_data);
    }
    g_byte_array_set_size(reader->buf, 0);
}

void
agent_line_reader_feed(AgentLineReader *reader, const guint8 *data, gsize len,
                       AgentLineFunc func, gpointer user_data)
{
    while (len > 0) {
        const guint8 *nl = memchr(data, '\n', len);
        gsize part = nl ? (gsize)(nl - data) : len;

        if (!reader->discarding) {
            /* +1: room for the '\r' of a "\r\n" line of exactly max bytes. */
            if (reader->buf->len + part > reader->max + 1) {
                reader->discarding = TRUE;
                g_byte_array_set_size(reader->buf, 0);
            } else {
                g_byte_array_append(reader->buf, data, part);
            }
        }
        if (!nl)
            return;
        if (!reader->discarding && reader->buf->len > reader->max &&
            reader->buf->data[reader->buf->len - 1] != '\r')
            reader->discarding = TRUE;
        agent_line_reader_emit(reader, func, user_data);
        data += part + 1;
        len -= part + 1;
    }
}

void
agent_line_reader_finish(AgentLineReader *reader, AgentLineFunc func,
                         gpointer user_data)
{
    if (reader->buf->len > 0 || reader->discarding)
        agent_line_reader_emit(reader, func, user_data);
}
