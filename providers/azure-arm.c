/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * azure-arm.c: Azure Resource Manager calls for the azure-disk:// target:
 * JSON over HTTPS with the bearer token of azure-token.c, on the endpoint
 * AZURE_RESOURCE_MANAGER_ENDPOINT names (default the public cloud's),
 * retried by transport/http.c on 429 and 5xx with Retry-After, and
 * long-running operations followed as "Azure-AsyncOperation" and
 * "Location" headers say (ARM's "Asynchronous operations" guide): poll
 * the operation until it ends, waiting what Retry-After asks.  The token
 * goes only to the ARM endpoint: a polling URL elsewhere is refused.
 *
 * Answers are capped by http.c (HTTP_MAX_BODY) and their nesting by
 * azure_json_depth_ok() before json-glib parses them; text from them
 * reaches messages as one printable line.
 */
#include <config.h>

#include <string.h>

#include "providers/azure-arm-priv.h"

/* ---- the client ------------------------------------------------------------- */

static const char *
azure_arm_getenv(const char *name, gpointer data)
{
    return g_getenv(name);
}

void
azure_arm_free(AzureArm *arm)
{
    if (!arm)
        return;
    http_client_free(arm->http);
    http_client_free(arm->http_cleanup);
    azure_token_free(arm->token);
    g_free(arm->endpoint);
    g_free(arm->subscription);
    g_free(arm->group);
    g_free(arm);
}

AzureArm *
azure_arm_new(const char *subscription, const char *group,
              GCancellable *cancellable, GError **error)
{
    g_autoptr(AzureArm) arm = g_new0(AzureArm, 1);
    HttpClientOptions hopts = { 0 };
    const char *ca = g_getenv("AZURE_CA_BUNDLE");

    arm->endpoint = azure_endpoint_from_env(
        "AZURE_RESOURCE_MANAGER_ENDPOINT",
        g_getenv("AZURE_RESOURCE_MANAGER_ENDPOINT"),
        "https://management.azure.com", error);
    if (!arm->endpoint)
        return NULL;
    arm->token = azure_token_new(azure_arm_getenv, NULL, arm->endpoint,
                                 error);
    if (!arm->token)
        return NULL;
    arm->cancellable = cancellable;
    arm->subscription = g_strdup(subscription);
    arm->group = g_strdup(group);
    hopts.ca_file = ca && *ca ? ca : NULL;
    hopts.cancellable = cancellable;
    arm->http = http_client_new(&hopts, error);
    if (!arm->http)
        return NULL;
    /* endGetAccess and deleting a disk after a cancel must still run. */
    hopts.cancellable = NULL;
    arm->http_cleanup = http_client_new(&hopts, error);
    if (!arm->http_cleanup)
        return NULL;
    return g_steal_pointer(&arm);
}

char *
azure_arm_resource_id(const AzureArm *arm, const char *type, const char *name)
{
    return g_strdup_printf("/subscriptions/%s/resourceGroups/%s/providers/"
                           "Microsoft.Compute/%s/%s", arm->subscription,
                           arm->group, type, name);
}

/* One request with the bearer token; TRUE whatever the status. */
static gboolean
azure_arm_send(AzureArm *arm, const char *action, const char *method,
               const char *url, const char *body, gboolean cleanup,
               HttpResponse *resp, GError **error)
{
    HttpClient *http = cleanup ? arm->http_cleanup : arm->http;
    g_autofree char *auth = NULL;
    const char *token;
    const char *headers[4];
    HttpRequest req = { 0 };
    gboolean ok;

    token = azure_token_get(arm->token, http, error);
    if (!token)
        return FALSE;
    auth = g_strconcat("Authorization: Bearer ", token, NULL);
    headers[0] = auth;
    headers[1] = "Accept: application/json";
    headers[2] = body ? "Content-Type: application/json" : NULL;
    headers[3] = NULL;
    req.method = method;
    req.url = url;
    req.headers = headers;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    ok = http_client_send(http, &req, resp, error);
    memset(auth, 0, strlen(auth));
    if (!ok)
        g_prefix_error(error, "azure-disk %s: ", action);
    return ok;
}

/* Waits @seconds, or until cancelled (unless @cleanup). */
static gboolean
azure_arm_wait(AzureArm *arm, gboolean cleanup, gint64 seconds,
               GError **error)
{
    GCancellable *c = cleanup ? NULL : arm->cancellable;
    gint64 end = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < end) {
        if (c && g_cancellable_set_error_if_cancelled(c, error))
            return FALSE;
        g_usleep(MIN(50 * 1000, end - g_get_monotonic_time() + 1));
    }
    return !c || !g_cancellable_set_error_if_cancelled(c, error);
}

/* The wait a poll answer asks for. */
static gint64
azure_arm_retry_after(const HttpResponse *resp)
{
    gint64 s = http_parse_retry_after(http_response_header(resp,
                                                           "retry-after"),
                                      g_get_real_time() / G_USEC_PER_SEC);

    return s >= 0 ? s : AZURE_ARM_DEFAULT_POLL_S;
}

/* A polling URL must stay on the ARM endpoint. */
static gboolean
azure_arm_check_poll_url(AzureArm *arm, const char *action, const char *url,
                         GError **error)
{
    gsize n = strlen(arm->endpoint);

    if (url && strncmp(url, arm->endpoint, n) == 0 && url[n] == '/' &&
        ferry_check_text("polling URL", url, 4096, NULL))
        return TRUE;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                "azure-disk %s: the operation's polling URL is not on %s",
                action, arm->endpoint);
    return FALSE;
}

static JsonObject *
azure_arm_body_object(const char *action, const HttpResponse *resp,
                      GError **error)
{
    if (!resp->body || !resp->body->len)
        return NULL;
    return azure_arm_parse_object(action, resp->body->data, resp->body->len,
                                  error);
}

/* A finished operation's result at its Location URL, or NULL. */
static JsonObject *
azure_arm_get_location(AzureArm *arm, const char *action,
                       const char *location, gboolean cleanup, GError **error)
{
    g_auto(HttpResponse) resp = { 0 };

    if (!azure_arm_send(arm, action, "GET", location, NULL, cleanup, &resp,
                        error))
        return NULL;
    if (resp.status < 200 || resp.status >= 300) {
        azure_arm_error(action, resp.status,
                        resp.body ? resp.body->data : NULL,
                        resp.body ? resp.body->len : 0, error);
        return NULL;
    }
    return azure_arm_body_object(action, &resp, error);
}

gboolean
azure_arm_run(AzureArm *arm, const char *action, const char *method,
              const char *path, JsonNode *body, gboolean cleanup,
              JsonObject **result, GError **error)
{
    g_autofree char *url = g_strdup_printf("%s%s?api-version=%s",
                                           arm->endpoint, path,
                                           AZURE_COMPUTE_API_VERSION);
    g_autofree char *text = body ? json_to_string(body, FALSE) : NULL;
    g_autofree char *async = NULL, *location = NULL;
    g_auto(HttpResponse) resp = { 0 };
    g_autoptr(JsonObject) out = NULL;
    gint64 deadline, wait;
    GError *local = NULL;

    if (result)
        *result = NULL;
    if (!azure_arm_send(arm, action, method, url, text, cleanup, &resp,
                        error))
        return FALSE;
    if (resp.status < 200 || resp.status >= 300)
        return azure_arm_error(action, resp.status,
                               resp.body ? resp.body->data : NULL,
                               resp.body ? resp.body->len : 0, error);
    async = g_strdup(http_response_header(&resp, "azure-asyncoperation"));
    location = g_strdup(http_response_header(&resp, "location"));
    /* 200 or 201 with Azure-AsyncOperation is still under way. */
    if (resp.status != 202 && !async) {
        out = azure_arm_body_object(action, &resp, &local);
        if (local) {
            g_propagate_error(error, local);
            return FALSE;
        }
        if (result)
            *result = g_steal_pointer(&out);
        return TRUE;
    }
    if ((async && !azure_arm_check_poll_url(arm, action, async, error)) ||
        (location && !azure_arm_check_poll_url(arm, action, location, error)))
        return FALSE;
    if (!async && !location) {
        /* 202 with nothing to follow: done as far as ARM tells. */
        return TRUE;
    }
    deadline = g_get_monotonic_time() +
               (gint64)AZURE_ARM_MAX_WAIT_S * G_USEC_PER_SEC;
    wait = azure_arm_retry_after(&resp);
    for (;;) {
        g_auto(HttpResponse) poll = { 0 };
        g_autoptr(JsonObject) st = NULL;
        g_autofree char *status = NULL;

        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                        "azure-disk %s: the operation did not end within %d "
                        "s", action, AZURE_ARM_MAX_WAIT_S);
            return FALSE;
        }
        if (!azure_arm_wait(arm, cleanup, wait, error))
            return FALSE;
        if (!azure_arm_send(arm, action, "GET", async ? async : location,
                            NULL, cleanup, &poll, error))
            return FALSE;
        if (poll.status < 200 || poll.status >= 300)
            return azure_arm_error(action, poll.status,
                                   poll.body ? poll.body->data : NULL,
                                   poll.body ? poll.body->len : 0, error);
        wait = azure_arm_retry_after(&poll);
        if (!async) {
            /* Location: 202 until done, then the result. */
            if (poll.status == 202)
                continue;
            out = azure_arm_body_object(action, &poll, &local);
            break;
        }
        st = azure_arm_body_object(action, &poll, error);
        if (!st) {
            if (error && !*error)
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "azure-disk %s: the operation's status is "
                            "empty", action);
            return FALSE;
        }
        status = azure_json_dup_text(st, "status", 64);
        if (!status || g_str_equal(status, "InProgress"))
            continue;
        if (g_str_equal(status, "Succeeded")) {
            JsonNode *o = azure_json_path(st, "properties.output");

            if (o && JSON_NODE_HOLDS_OBJECT(o))
                out = json_object_ref(json_node_get_object(o));
            else if (location && g_str_equal(method, "POST"))
                /* The result is then behind the Location URL. */
                out = azure_arm_get_location(arm, action, location, cleanup,
                                             &local);
            break;
        }
        {
            JsonNode *e = json_object_get_member(st, "error");
            g_autofree char *why =
                e && JSON_NODE_HOLDS_OBJECT(e)
                    ? azure_arm_error_text(json_node_get_object(e))
                    : g_strdup(status);

            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "azure-disk %s: the operation ended %s: %s", action,
                        status, why);
            return FALSE;
        }
    }
    if (local) {
        g_propagate_error(error, local);
        return FALSE;
    }
    /* A PUT's or PATCH's result is the resource as it now is. */
    if (!out && (g_str_equal(method, "PUT") || g_str_equal(method, "PATCH"))) {
        g_auto(HttpResponse) get = { 0 };

        if (!azure_arm_send(arm, action, "GET", url, NULL, cleanup, &get,
                            error))
            return FALSE;
        if (get.status != 200)
            return azure_arm_error(action, get.status,
                                   get.body ? get.body->data : NULL,
                                   get.body ? get.body->len : 0, error);
        out = azure_arm_body_object(action, &get, error);
        if (!out)
            return FALSE;
    }
    if (result)
        *result = g_steal_pointer(&out);
    return TRUE;
}
