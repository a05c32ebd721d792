/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloudstack-json.c: the CloudStack API's JSON answers, treated as hostile
 * (at most CS_MAX_JSON_BYTES, nested at most CS_MAX_JSON_DEPTH): one
 * object "<command lower-cased>response" at the top ("errorresponse" and
 * the like taken for errors); an error answer carries "errorcode" and
 * "errortext", which messages quote as they are, in one line.  Kept apart
 * from the HTTP client so that a fuzz target reaches it alone.
 */
#include <config.h>

#include <string.h>

#include "providers/cloudstack-priv.h"

char *
cs_json_dup_string(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    g_autofree char *s = NULL;

    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return NULL;
    switch (json_node_get_value_type(n)) {
    case G_TYPE_STRING:
        s = g_strdup(json_node_get_string(n));
        break;
    case G_TYPE_INT64:
        s = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
        break;
    case G_TYPE_BOOLEAN:
        s = g_strdup(json_node_get_boolean(n) ? "true" : "false");
        break;
    default:
        return NULL;
    }
    if (!ferry_check_text(name, s, 4096, NULL))
        return NULL;
    return g_steal_pointer(&s);
}

JsonArray *
cs_json_list(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;

    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return NULL;
    return json_node_get_array(n);
}

static FerryError
cs_error_code(gint64 code)
{
    switch (code) {
    case 401:
        return FERRY_ERROR_AUTH;
    case 431:
        return FERRY_ERROR_INVALID;
    case 404:
        return FERRY_ERROR_NOT_FOUND;
    default:
        return FERRY_ERROR_REMOTE;
    }
}

/* CloudStack's answers nest 4 or 5 deep. */
#define CS_MAX_JSON_DEPTH FERRY_MAX_JSON_DEPTH

/* The answer's one object "<command>response" (any case). */
static JsonObject *
cs_answer_object(const char *command, long status, const void *body,
                 gsize len, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *want = g_strconcat(command, "response", NULL);
    JsonNode *root;
    JsonObject *top;
    GList *members, *m;
    JsonObject *found = NULL;

    if (len > CS_MAX_JSON_BYTES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "cloudstack %s: answer of %" G_GSIZE_FORMAT " bytes is "
                    "over %d", command, len, CS_MAX_JSON_BYTES);
        return NULL;
    }
    /* An empty body comes as NULL, which json-glib refuses loudly. */
    if (len == 0 || !body) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "cloudstack %s: HTTP %ld: the answer is empty", command,
                    status);
        return NULL;
    }
    if (!ferry_json_depth_ok(body, len, CS_MAX_JSON_DEPTH)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "cloudstack %s: the answer nests deeper than %d",
                    command, CS_MAX_JSON_DEPTH);
        return NULL;
    }
    if (!json_parser_load_from_data(parser, body, (gssize)len, &local)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "cloudstack %s: HTTP %ld: the answer is not JSON",
                    command, status);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "cloudstack %s: the answer is not a JSON object",
                    command);
        return NULL;
    }
    top = json_node_get_object(root);
    members = json_object_get_members(top);
    for (m = members; m; m = m->next) {
        JsonNode *n = json_object_get_member(top, m->data);

        if (g_ascii_strcasecmp(m->data, want) == 0 &&
            JSON_NODE_HOLDS_OBJECT(n))
            found = json_node_get_object(n);
        else if (!found && g_str_has_suffix(m->data, "response") &&
                 JSON_NODE_HOLDS_OBJECT(n))
            found = json_node_get_object(n);   /* "errorresponse" */
    }
    g_list_free(members);
    if (!found) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "cloudstack %s: no '%s' object in the answer", command,
                    want);
        return NULL;
    }
    return json_object_ref(found);
}

JsonObject *
cs_answer_parse(const char *command, long status, const void *body,
                gsize len, GError **error)
{
    g_autoptr(JsonObject) o = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *code = NULL, *text = NULL;

    o = cs_answer_object(command, status, body, len, &local);
    if (!o) {
        if (status >= 300) {
            g_set_error(error, FERRY_ERROR,
                        status == 401 ? FERRY_ERROR_AUTH : FERRY_ERROR_REMOTE,
                        "cloudstack %s: HTTP %ld", command, status);
            return NULL;
        }
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    code = cs_json_dup_string(o, "errorcode");
    text = cs_json_dup_string(o, "errortext");
    if (code || text || status >= 300) {
        gint64 n = code ? g_ascii_strtoll(code, NULL, 10) : status;

        g_set_error(error, FERRY_ERROR, cs_error_code(n),
                    "cloudstack %s: %s (errorcode %" G_GINT64_FORMAT ")",
                    command, text ? text : "no errortext", n);
        return NULL;
    }
    return g_steal_pointer(&o);
}
