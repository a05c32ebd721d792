/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloudstack-priv.h: the CloudStack API client (cloudstack-api.c) and the
 * cloudstack:// target built on it (target-cloudstack.c).  Not for other
 * folders; unit tests may include it.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "providers/target-priv.h"

G_BEGIN_DECLS

/* The largest JSON answer parsed: a listing of a few hundred hosts or
 * offerings is well under 1 MiB. */
#define CS_MAX_JSON_BYTES (4 * 1024 * 1024)
/* An API key or secret key: CloudStack's are 86 characters. */
#define CS_MAX_KEY_BYTES 1024
/* importVm runs for minutes on a big disk (CloudStack checks and, for
 * some pools, copies it); stop waiting after this. */
#define CS_MAX_JOB_WAIT_S (6 * 3600)
/* Between two queryAsyncJobResult calls, as CloudMonkey polls. */
#define CS_DEFAULT_POLL_MS 2000

/* A request's parameters: name, value, name, value... (owned strings). */
typedef GPtrArray CsParams;

CsParams *cs_params_new(void);
void cs_params_add(CsParams *p, const char *name, const char *value);
void cs_params_addf(CsParams *p, const char *name, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* A value as CloudStack's signer encodes it (java.net.URLEncoder, then
 * "+" as "%20"): letters, digits and ".-*_" kept, everything else %XX in
 * upper case.  Owned. */
char *cs_url_encode(const char *s);

/**
 * cs_sign:
 * The documented signature: the pairs "name=encoded value" sorted by
 * name, joined with "&", the whole string lower-cased, HMAC-SHA1 with
 * @secret_key, base64.  @p must hold "apikey" and "command" already.
 * Returns the base64 signature (not yet URL-encoded); owned.
 */
char *cs_sign(const CsParams *p, const char *secret_key);

/* The string cs_sign() hashes (for tests and --debug); owned. */
char *cs_string_to_sign(const CsParams *p);

typedef struct _CsClient CsClient;

/* The API's endpoint and keys, as the common CloudStack CLIs take them. */
typedef struct {
    const char *endpoint;          /* "https://mgmt:8443/client/api" */
    const char *api_key_file;      /* or NULL: CLOUDSTACK_API_KEY */
    const char *secret_key_file;   /* or NULL: CLOUDSTACK_SECRET_KEY */
    GCancellable *cancellable;
} CsClientOptions;

/* FERRY_ERROR_AUTH when no key is given (naming where it looked),
 * FERRY_ERROR_INVALID for a key file that is too long or not text. */
CsClient *cs_client_new(const CsClientOptions *opts, GError **error);
void cs_client_free(CsClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CsClient, cs_client_free)
const char *cs_client_get_endpoint(const CsClient *c);

/**
 * cs_call:
 * @command: "listZones"
 * @params: (nullable): the command's own parameters
 * @out: (out): the "<command>response" object (owned)
 *
 * Signs and sends one GET.  An error answer becomes one line in
 * CloudStack's own words: "cloudstack listZones: <errortext> (errorcode
 * 431)", FERRY_ERROR_AUTH for 401, FERRY_ERROR_INVALID for 431,
 * FERRY_ERROR_NOT_FOUND for 404, else FERRY_ERROR_REMOTE.
 */
gboolean cs_call(CsClient *c, const char *command, const CsParams *params,
                 JsonObject **out, GError **error);

/* The URL cs_call() would send, the apikey and signature redacted: for
 * --dry-run.  Owned. */
char *cs_call_describe(const CsClient *c, const char *command,
                       const CsParams *params);

typedef void (*CsProgressFunc)(int percent, const char *status,
                               gpointer data);

/**
 * cs_wait_job:
 * @result: (out): the job's "jobresult" object once jobstatus is 1
 *
 * Follows an async job with queryAsyncJobResult every @poll_ms until
 * jobstatus 1 (success) or 2 (failure: FERRY_ERROR_REMOTE with the job's
 * errortext and errorcode).
 */
gboolean cs_wait_job(CsClient *c, const char *command, const char *jobid,
                     guint poll_ms, CsProgressFunc progress, gpointer data,
                     JsonObject **result, GError **error);

/**
 * cs_answer_parse:
 * @status: the HTTP status
 *
 * The "<command>response" object of an answer (owned); NULL with an error
 * in CloudStack's own words when it carries errorcode/errortext ("cloudstack
 * importVm: <errortext> (errorcode 431)": FERRY_ERROR_AUTH for 401,
 * FERRY_ERROR_INVALID for 431, FERRY_ERROR_NOT_FOUND for 404, else
 * FERRY_ERROR_REMOTE), FERRY_ERROR_CORRUPT for what is no such answer.
 */
JsonObject *cs_answer_parse(const char *command, long status,
                            const void *body, gsize len, GError **error);

/* A string or number member as text, NULL when absent or of another
 * type, or when it is not text fit for a message (owned). */
char *cs_json_dup_string(JsonObject *o, const char *name);
/* The list "<name>" of a list* answer (an empty list when absent). */
JsonArray *cs_json_list(JsonObject *o, const char *name);

G_END_DECLS
