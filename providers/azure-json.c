/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * azure-json.c: reading the JSON answers of Azure Resource Manager and of
 * the token endpoint (azure-arm.c, azure-token.c): nesting capped before
 * json-glib's recursive parser sees it (the size is capped by http.c),
 * members read by type, and text that reaches a message cut to one
 * printable line.  Outside input: tests/fuzz/fuzz-azure-json.c.
 */
#include <config.h>

#include <string.h>

#include "providers/azure-arm-priv.h"

gboolean
azure_json_depth_ok(const char *data, gsize len)
{
    return ferry_json_depth_ok(data, len, AZURE_MAX_JSON_DEPTH);
}

char *
azure_json_dup_string(JsonObject *o, const char *name)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return g_strdup(json_node_get_string(n));
}

char *
azure_json_dup_text(JsonObject *o, const char *name, gsize max)
{
    g_autofree char *s = azure_json_dup_string(o, name);

    if (!s)
        return NULL;
    s[strcspn(s, "\r\n")] = '\0';
    if (strlen(s) > max)
        s[max] = '\0';
    if (!g_utf8_validate(s, -1, NULL) || !ferry_check_text(name, s, max, NULL))
        return NULL;
    return g_steal_pointer(&s);
}

gint64
azure_json_get_int(JsonObject *o, const char *name, gint64 fallback)
{
    JsonNode *n = o ? json_object_get_member(o, name) : NULL;
    g_autofree char *s = NULL;
    gint64 v;

    if (!n || !JSON_NODE_HOLDS_VALUE(n))
        return fallback;
    if (json_node_get_value_type(n) == G_TYPE_INT64)
        return json_node_get_int(n);
    /* The v1 token endpoint sends expires_in as a string. */
    s = azure_json_dup_string(o, name);
    if (s && g_ascii_string_to_signed(s, 10, 0, G_MAXINT32, &v, NULL))
        return v;
    return fallback;
}

JsonNode *
azure_json_path(JsonObject *o, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", 0);
    JsonNode *n = NULL;
    guint i;

    for (i = 0; parts[i]; i++) {
        if (!o)
            return NULL;
        n = json_object_get_member(o, parts[i]);
        if (!n)
            return NULL;
        o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    }
    return n;
}

char *
azure_json_path_string(JsonObject *o, const char *path)
{
    JsonNode *n = o ? azure_json_path(o, path) : NULL;

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return g_strdup(json_node_get_string(n));
}

JsonObject *
azure_arm_parse_object(const char *action, const void *body, gsize len,
                       GError **error)
{
    g_autoptr(JsonParser) p = json_parser_new();
    JsonNode *root;

    if (!body || !len || !azure_json_depth_ok(body, len) ||
        !json_parser_load_from_data(p, body, (gssize)len, NULL) ||
        !(root = json_parser_get_root(p)) || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "azure-disk %s: the answer is not a JSON object", action);
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

char *
azure_arm_error_text(JsonObject *e)
{
    g_autofree char *code = azure_json_dup_text(e, "code", 128);
    g_autofree char *message = azure_json_dup_text(e, "message", 1024);

    return g_strdup_printf("%s%s%s", code ? code : "error",
                           message ? ": " : "", message ? message : "");
}

gboolean
azure_arm_error(const char *action, long status, const void *body, gsize len,
                GError **error)
{
    g_autoptr(JsonObject) o = azure_arm_parse_object(action, body, len, NULL);
    JsonNode *e = o ? json_object_get_member(o, "error") : NULL;
    g_autofree char *text = NULL;
    FerryError kind = FERRY_ERROR_REMOTE;

    text = e && JSON_NODE_HOLDS_OBJECT(e)
               ? azure_arm_error_text(json_node_get_object(e))
               : g_strdup("error");
    if (status == 401 || status == 403)
        kind = FERRY_ERROR_AUTH;
    else if (status == 404)
        kind = FERRY_ERROR_NOT_FOUND;
    else if (status == 409)
        kind = FERRY_ERROR_EXISTS;
    g_set_error(error, FERRY_ERROR, kind, "azure-disk %s: %s (HTTP %ld)",
                action, text, status);
    return FALSE;
}

