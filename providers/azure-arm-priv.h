/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * azure-arm-priv.h: what the azure-disk:// target's files share: the
 * OAuth 2.0 token (azure-token.c), Azure Resource Manager calls and their
 * JSON (azure-arm.c), and the target (target-azure-disk.c).  Not for
 * other folders; unit tests and fuzz targets may include it.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "providers/azure-priv.h"

G_BEGIN_DECLS

/* Microsoft.Compute's REST version for disks and images. */
#define AZURE_COMPUTE_API_VERSION "2023-04-02"
/* The upload size Azure takes for a disk by direct upload ("Upload a VHD
 * to Azure", managed disks): 20 MiB + 512 to 32 TiB + 512 bytes. */
#define AZURE_DISK_MIN_UPLOAD (G_GUINT64_CONSTANT(20) * 1024 * 1024 + 512)
#define AZURE_DISK_MAX_UPLOAD ((G_GUINT64_CONSTANT(32) << 40) + 512)
/* How long the write SAS of beginGetAccess lasts. */
#define AZURE_DISK_SAS_SECONDS 86400
/* The longest wait for one long-running ARM operation. */
#define AZURE_ARM_MAX_WAIT_S (2 * 3600)
/* Between two polls when the answer names no Retry-After. */
#define AZURE_ARM_DEFAULT_POLL_S 2
/* ARM answers nest a few levels; deeper JSON is refused before
 * json-glib's recursive parser sees it. */
#define AZURE_MAX_JSON_DEPTH 32

/* ---- JSON (azure-arm.c) ---------------------------------------------------- */

gboolean azure_json_depth_ok(const char *data, gsize len);
/* A string member, as it is (owned), or NULL. */
char *azure_json_dup_string(JsonObject *o, const char *name);
/* A string member for a message: its first line, printable, at most @max
 * bytes (owned), or NULL. */
char *azure_json_dup_text(JsonObject *o, const char *name, gsize max);
gint64 azure_json_get_int(JsonObject *o, const char *name, gint64 fallback);
/* @o's member @path ("properties.diskState"), an object on the way. */
JsonNode *azure_json_path(JsonObject *o, const char *path);
/* The string there (owned), or NULL. */
char *azure_json_path_string(JsonObject *o, const char *path);
/* An ARM answer's body as an object; FERRY_ERROR_CORRUPT otherwise. */
JsonObject *azure_arm_parse_object(const char *action, const void *body,
                                   gsize len, GError **error);
/* "CODE: MESSAGE" of an {"code", "message"} object, one printable line
 * (owned). */
char *azure_arm_error_text(JsonObject *e);
/* ARM's error shape {"error": {"code", "message"}}: one line,
 * "azure-disk ACTION: CODE: MESSAGE (HTTP n)"; 401/403 are
 * FERRY_ERROR_AUTH, 404 FERRY_ERROR_NOT_FOUND, 409 FERRY_ERROR_EXISTS,
 * 413 and the rest FERRY_ERROR_REMOTE.  Always FALSE. */
gboolean azure_arm_error(const char *action, long status, const void *body,
                         gsize len, GError **error);

/* ---- the token (azure-token.c) --------------------------------------------- */

typedef struct _AzureToken AzureToken;

/* The credentials from the environment (@getenv_fn), for @arm's
 * audience; FERRY_ERROR_AUTH when they are not set. */
AzureToken *azure_token_new(AzureGetenvFunc getenv_fn, gpointer data,
                            const char *arm, GError **error);
void azure_token_free(AzureToken *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AzureToken, azure_token_free)
/* The cached token, or a new one fetched through @http; borrowed until
 * the next call. */
const char *azure_token_get(AzureToken *t, HttpClient *http, GError **error);

/* @value (or @fallback when unset) as an endpoint without a trailing
 * slash (owned); FERRY_ERROR_INVALID naming @var. */
char *azure_endpoint_from_env(const char *var, const char *value,
                              const char *fallback, GError **error);

/* ---- Resource Manager (azure-arm.c) ---------------------------------------- */

typedef struct {
    HttpClient *http;            /* cancelled with the export */
    HttpClient *http_cleanup;    /* never cancelled: endGetAccess, delete */
    AzureToken *token;
    GCancellable *cancellable;   /* borrowed (the target's), or NULL */
    char *endpoint;              /* "https://management.azure.com" */
    char *subscription;
    char *group;
} AzureArm;

AzureArm *azure_arm_new(const char *subscription, const char *group,
                        GCancellable *cancellable, GError **error);
void azure_arm_free(AzureArm *arm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AzureArm, azure_arm_free)

/* "/subscriptions/S/resourceGroups/G/providers/Microsoft.Compute/
 * TYPE/NAME" (owned). */
char *azure_arm_resource_id(const AzureArm *arm, const char *type,
                            const char *name);

/**
 * azure_arm_run:
 * @action: for messages ("PutDisk")
 * @method: "GET", "PUT", "POST", "PATCH", "DELETE"
 * @path: a resource id, with "/ACTION" for a POST
 * @body: (nullable): JSON
 * @cleanup: on the never-cancelled client
 * @result: (out) (optional): the final answer's object (owned), or NULL
 *          when it had none
 *
 * Sends one call, then follows a long-running operation to its end:
 * Azure-AsyncOperation (its status until Succeeded; Failed and Canceled
 * are errors with the operation's own error), else Location (until it
 * answers other than 202), waiting Retry-After between polls.  Neither
 * URL may leave the ARM endpoint (the token goes with them).  A PUT's or
 * PATCH's result is then the resource itself (GET), a POST's the
 * operation's output.
 */
gboolean azure_arm_run(AzureArm *arm, const char *action, const char *method,
                       const char *path, JsonNode *body, gboolean cleanup,
                       JsonObject **result, GError **error);

G_END_DECLS
