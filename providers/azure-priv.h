/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * azure-priv.h: what providers/azure-*.c share: SharedKey signing and
 * credentials (azure-sharedkey.c), Blob service calls and the page blob
 * upload (azure-blob.c), and the azure:// target (target-azure.c).  Not
 * for other folders; unit tests may include it.
 */
#pragma once

#include "providers/target-priv.h"

G_BEGIN_DECLS

/* The Blob service REST version ferry speaks (x-ms-version): the first
 * to sign an empty Content-Length as "" is 2015-02-21; this one is
 * served by Azure and by Azurite 3.35. */
#define AZURE_API_VERSION "2021-08-06"
/* A page is 512 bytes; one Put Page takes at most 4 MiB (Blob service
 * REST reference, "Put Page"). */
#define AZURE_PAGE_SIZE 512
#define AZURE_MAX_PUT_PAGE (4 * 1024 * 1024)
/* The largest page blob ("Put Blob": x-ms-blob-content-length). */
#define AZURE_MAX_PAGE_BLOB (G_GUINT64_CONSTANT(8) << 40)
/* The largest Get Page Ranges answer parsed (a range per 4 MiB of an
 * 8 TiB blob is 2 M ranges; listings longer than this are refused). */
#define AZURE_MAX_PAGE_LIST_BYTES (HTTP_MAX_BODY)

/* ---- SharedKey (azure-sharedkey.c) ---------------------------------------
 * "Authorize with Shared Key" (Azure Storage REST reference), the Blob
 * service form for version 2009-09-19 and later. */

typedef struct {
    const char *name;            /* as sent; compared without case */
    const char *value;
} AzureHeader;

typedef struct {
    const char *name;            /* decoded */
    const char *value;           /* decoded */
} AzureParam;

/* A request to sign.  Strings are borrowed. */
typedef struct {
    const char *method;
    const char *account;
    const char *path;            /* the URL's path as sent (encoded) */
    const AzureParam *query;     /* @n_query pairs */
    gsize n_query;
    const AzureHeader *headers;  /* @n_headers, x-ms-date included */
    gsize n_headers;
    guint64 content_length;      /* of the body; 0 is signed as "" */
} AzureSharedKeyRequest;

/* The string to sign (owned), for tests and debugging. */
char *azure_sharedkey_string_to_sign(const AzureSharedKeyRequest *req);
/* The Authorization header's value, "SharedKey ACCOUNT:SIGNATURE", or
 * NULL with FERRY_ERROR_AUTH when @key_base64 is not base64. */
char *azure_sharedkey_authorization(const AzureSharedKeyRequest *req,
                                    const char *key_base64, GError **error);

/* ---- credentials (azure-sharedkey.c) ------------------------------------- */

typedef struct {
    char *account;
    char *key;                   /* base64, or NULL; never logged */
    char *sas;                   /* query string without '?', or NULL */
    char *blob_endpoint;         /* no trailing slash */
    const char *source;          /* the variable it came from */
} AzureCredentials;

void azure_credentials_clear(AzureCredentials *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AzureCredentials, azure_credentials_clear)

typedef const char *(*AzureGetenvFunc)(const char *name, gpointer data);

/**
 * azure_credentials_load:
 * @account: the account the URI names
 *
 * As the Azure CLI and SDKs read them: AZURE_STORAGE_CONNECTION_STRING
 * (AccountName, AccountKey, SharedAccessSignature, BlobEndpoint,
 * DefaultEndpointsProtocol, EndpointSuffix, UseDevelopmentStorage), else
 * AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN (with AZURE_STORAGE_ACCOUNT,
 * which must then name @account).  The endpoint is BlobEndpoint, else
 * https://ACCOUNT.blob.core.windows.net.  FERRY_ERROR_AUTH when none is
 * set; FERRY_ERROR_INVALID for a malformed string or another account.
 */
gboolean azure_credentials_load(AzureGetenvFunc getenv_fn, gpointer data,
                                const char *account, AzureCredentials *out,
                                GError **error);

/* ---- Blob service (azure-blob.c) ----------------------------------------- */

/* Put Page requests in flight for one upload (each holds a 4 MiB
 * buffer: memory is (this + 1) * 4 MiB per disk). */
#define AZURE_PAGES_IN_FLIGHT 4

typedef struct {
    HttpClient *http;            /* cancelled with the export */
    HttpClient *http_cleanup;    /* never cancelled: deletes */
    char *ca_file;               /* for the Put Page senders' clients */
    GCancellable *cancellable;   /* borrowed */
    AzureCredentials creds;
    char *endpoint_path;         /* "/devstoreaccount1" or "" */
} AzureClient;

AzureClient *azure_client_new(const char *account, GCancellable *cancellable,
                              GError **error);
/* A client for the one blob of a SAS URL (a managed disk's upload URL):
 * @container and @blob (out, owned) are its last two path segments. */
AzureClient *azure_client_new_for_sas_url(const char *sas_url,
                                          GCancellable *cancellable,
                                          char **container, char **blob,
                                          GError **error);
void azure_client_free(AzureClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AzureClient, azure_client_free)

typedef struct {
    AzureClient *client;
    char *account;
    char *container;
    char *prefix;                /* "" or "dir/" */
    gboolean overwrite;
    GHashTable *hashes;          /* file name -> SHA-256 of what was sent */
} AzureTarget;

typedef struct _AzureUpload AzureUpload;

/* The blob a pool file name stands for: prefix + name (owned). */
char *azure_blob_name(const AzureTarget *at, const char *name);

gboolean azure_container_ensure(AzureTarget *at, gboolean *created,
                                GError **error);
/* @size, and @sha256 (x-ms-meta-sha256) and @partial (ferry_state) from
 * the metadata; FERRY_ERROR_NOT_FOUND when there is no such blob. */
gboolean azure_blob_head(AzureTarget *at, const char *blob, guint64 *size,
                         char **sha256, gboolean *partial, GError **error);
gboolean azure_blob_delete(AzureTarget *at, const char *blob, GError **error);
/* Sets the metadata to sha256=@sha256 alone (ferry_state goes). */
gboolean azure_blob_set_sha256(AzureTarget *at, const char *blob,
                               const char *sha256, GError **error);
/* A block blob in one Put Blob (manifests, domain XML). */
gboolean azure_blob_put_block(AzureTarget *at, const char *blob,
                              const void *data, gsize len,
                              const char *sha256, GError **error);

/* A page blob of @size bytes (a multiple of AZURE_PAGE_SIZE). */
AzureUpload *azure_page_upload_open(AzureTarget *at, const char *name,
                                    guint64 size, GError **error);
/* Pages into a page blob that exists already (a managed disk's, sized by
 * ARM): no Put Blob, and the blob is never deleted. */
AzureUpload *azure_page_upload_attach(AzureTarget *at, const char *blob,
                                      guint64 size, GError **error);
/* Before the first write to a blob that an earlier, killed run wrote to
 * (a managed disk still open for upload, a page blob still marked
 * partial): a 4 MiB window whose pages are there already, equal to the
 * stream's (read back), is not sent again; pages there that the stream
 * has as zeros are cleared. */
gboolean azure_page_upload_resume(AzureUpload *u, GError **error);
/* The page blob of @size bytes an earlier run of azure_page_upload_open()
 * left marked partial, resumed (FERRY_ERROR_EXISTS if it is not that). */
AzureUpload *azure_page_upload_reopen(AzureTarget *at, const char *name,
                                      guint64 size, GError **error);
gboolean azure_page_upload_write(AzureUpload *u, const void *buf, gsize len,
                                 GError **error);
gboolean azure_page_upload_skip(AzureUpload *u, guint64 len, GError **error);
/* Sends the last pages, checks Get Page Ranges against what was sent
 * (the stream's SHA-256 is the caller's: the export's sink has it). */
gboolean azure_page_upload_finish(AzureUpload *u, GError **error);
/* Deletes the blob unless the upload finished. */
void azure_page_upload_free(AzureUpload *u);
const char *azure_page_upload_get_name(const AzureUpload *u);
/* Bytes sent with Put Page; bytes a resumed upload found there already. */
guint64 azure_page_upload_get_page_bytes(const AzureUpload *u);
guint64 azure_page_upload_get_kept_bytes(const AzureUpload *u);
/* From now on each Put Page that succeeds adds its body's bytes to *@sent
 * (from a sender thread; @sent must outlive @u): what went over the
 * wire, windows kept from an earlier run and Clear Page not included. */
void azure_page_upload_count_sent(AzureUpload *u, guint64 *sent);

/* Merges sorted, possibly adjacent [start, end) pairs in place. */
void azure_ranges_merge(GArray *ranges);

G_END_DECLS
