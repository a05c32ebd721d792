/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-azure.c: the azure://ACCOUNT/CONTAINER[/PREFIX] target.  Its
 * "pool" is a Blob container (created when absent); each disk becomes a
 * page blob PREFIX<name> holding a fixed VHD whose virtual size is a whole
 * MiB (-o subformat=fixed,azure=on: N MiB + 512 bytes), which is what
 * Azure takes for a disk or an image; the domain XML and the manifest
 * become block blobs beside them.  Credentials: azure-sharedkey.c.
 *
 * A disk's "<name>.part" is its page blob under the final name, marked
 * ferry_state=partial (azure-blob.c says why: Azure has no rename); the
 * "rename" sets the blob's metadata to the stream's SHA-256 (the sink's,
 * adopted once the pages were checked as they landed), and
 * an upload that does not finish deletes its blob.  A blob still marked
 * partial is what a killed export left: it stands for the ".part", and
 * --resume sends only the windows that did not land (azure-blob.c); a
 * blob that carries its sha256 is a finished disk (--resume keeps it).
 * --overwrite replaces blobs of the same name; without it they are
 * refused (FERRY_ERROR_EXISTS).
 */
#include <config.h>

#include <string.h>

#include "providers/azure-priv.h"

/* A storage account name: 3 to 24 lower-case letters and digits. */
static gboolean
target_azure_check_account(const char *uri, const char *account,
                           GError **error)
{
    gsize len = account ? strlen(account) : 0;

    if (len < 3 || len > 24 ||
        strspn(account, "abcdefghijklmnopqrstuvwxyz0123456789") != len) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': account name: expected 3 to 24 lower-case "
                    "letters or digits", uri);
        return FALSE;
    }
    return TRUE;
}

/* A container name (Blob service reference, "Naming and referencing
 * containers"): 3 to 63 of [a-z0-9-], starting and ending with a letter
 * or digit, no "--". */
static gboolean
target_azure_check_container(const char *uri, const char *c, GError **error)
{
    gsize len = strlen(c);

    if (len < 3 || len > 63 ||
        strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789-") != len ||
        c[0] == '-' || c[len - 1] == '-' || strstr(c, "--")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': container name: expected 3 to 63 lower-case "
                    "letters, digits or single '-' inside", uri);
        return FALSE;
    }
    return TRUE;
}

gboolean
target_azure_parse_uri(Target *t, const char *uri, GUri *u, GError **error)
{
    const char *account = g_uri_get_host(u);
    const char *path = g_uri_get_path(u);
    g_autofree char *container = NULL;
    const char *slash;

    if (g_uri_get_user(u) || g_uri_get_port(u) != -1 || !path ||
        *path != '/') {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': expected azure://ACCOUNT/CONTAINER[/PREFIX]",
                    uri);
        return FALSE;
    }
    if (!target_azure_check_account(uri, account, error))
        return FALSE;
    path++;
    slash = strchr(path, '/');
    container = slash ? g_strndup(path, slash - path) : g_strdup(path);
    if (!target_azure_check_container(uri, container, error))
        return FALSE;
    t->host = g_strdup(account);
    t->user = g_strdup("");      /* the prefix: "" or "dir/" */
    if (slash) {
        g_autofree char *prefix = g_strdup(slash + 1);

        while (g_str_has_suffix(prefix, "/"))
            prefix[strlen(prefix) - 1] = '\0';
        if (*prefix) {
            if (strlen(prefix) > 512 || strstr(prefix, "//") ||
                !ferry_check_text("--to: blob prefix", prefix, 512, error)) {
                if (error && !*error)
                    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                                "--to '%s': blob prefix: expected at most "
                                "512 bytes, no empty segment", uri);
                return FALSE;
            }
            g_free(t->user);
            t->user = g_strconcat(prefix, "/", NULL);
        }
    }
    t->pool = g_strconcat(container, "/", t->user, NULL);
    t->pool[strlen(t->pool) - 1] = '\0';
    t->name = g_strdup_printf("azure://%s/%s", account, t->pool);
    return TRUE;
}

static AzureTarget *
target_azure(const Target *t)
{
    return t->priv;
}

static void
target_azure_disconnect(Target *t)
{
    AzureTarget *at = t->priv;

    if (!at)
        return;
    azure_client_free(at->client);
    g_free(at->account);
    g_free(at->container);
    g_free(at->prefix);
    g_hash_table_unref(at->hashes);
    g_free(at);
    t->priv = NULL;
}

static gboolean
target_azure_connect(Target *t, GError **error)
{
    AzureTarget *at = g_new0(AzureTarget, 1);
    const char *slash = strchr(t->pool, '/');
    gboolean created = FALSE;

    t->priv = at;
    at->account = g_strdup(t->host);
    at->container = slash ? g_strndup(t->pool, slash - t->pool)
                          : g_strdup(t->pool);
    at->prefix = g_strdup(t->user);
    at->overwrite = t->opts->overwrite;
    at->hashes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       g_free);
    at->client = azure_client_new(at->account, t->cancellable, error);
    if (!at->client || !azure_container_ensure(at, &created, error)) {
        g_prefix_error(error, "%s: ", t->name);
        target_azure_disconnect(t);
        return FALSE;
    }
    if (created)
        g_info("%s: created container '%s'", t->name, at->container);
    return TRUE;
}

static gboolean
target_azure_free_space(Target *t, guint64 *bytes, GError **error)
{
    *bytes = G_MAXUINT64;      /* a storage account has no quota to ask */
    return TRUE;
}

/* "<name>.part" -> "<name>" (owned). */
static char *
target_azure_final(const char *name)
{
    return g_str_has_suffix(name, ".part")
               ? g_strndup(name, strlen(name) - strlen(".part"))
               : g_strdup(name);
}

static gboolean
target_azure_stat(Target *t, const char *name, guint64 *size, GError **error)
{
    g_autofree char *final = target_azure_final(name);
    g_autofree char *blob = NULL;
    gboolean partial = FALSE;

    blob = azure_blob_name(target_azure(t), final);
    if (!azure_blob_head(target_azure(t), blob, size, NULL, &partial,
                         error)) {
        g_prefix_error(error, "%s: ", t->name);
        return FALSE;
    }
    /* A blob marked partial is a ".part", not a finished file. */
    if (partial != g_str_has_suffix(name, ".part")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "%s: '%s': no such blob", t->name, name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
target_azure_unlink(Target *t, const char *name, GError **error)
{
    AzureTarget *at = target_azure(t);
    g_autofree char *final = target_azure_final(name);
    g_autofree char *blob = azure_blob_name(at, final);
    gboolean partial = FALSE;

    /* A ".part" is the final blob while it is marked partial only. */
    if (g_str_has_suffix(name, ".part") &&
        (!azure_blob_head(at, blob, NULL, NULL, &partial, NULL) || !partial))
        return TRUE;
    return azure_blob_delete(at, blob, error);
}

static gboolean
target_azure_rename(Target *t, const char *from, const char *to,
                    GError **error)
{
    AzureTarget *at = target_azure(t);
    g_autofree char *expect = g_strconcat(to, ".part", NULL);
    g_autofree char *blob = azure_blob_name(at, to);
    const char *sum = g_hash_table_lookup(at->hashes, from);

    if (!g_str_equal(from, expect) || !sum) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: blobs cannot be renamed ('%s' to '%s')", t->name,
                    from, to);
        return FALSE;
    }
    if (!azure_blob_set_sha256(at, blob, sum, error)) {
        g_prefix_error(error, "%s: '%s': ", t->name, blob);
        return FALSE;
    }
    return TRUE;
}

/* An upload: a disk's page blob, or a small file kept in memory and sent
 * as a block blob by upload_finish. */
typedef struct {
    AzureTarget *at;             /* borrowed */
    char *name;                  /* as given, ".part" included */
    AzureUpload *pages;          /* or NULL */
    GByteArray *small;           /* or NULL */
} TargetAzureUpload;

static void
target_azure_upload_close(gpointer h)
{
    TargetAzureUpload *up = h;

    azure_page_upload_free(up->pages);
    if (up->small)
        g_byte_array_unref(up->small);
    g_free(up->name);
    g_free(up);
}

static gpointer
target_azure_upload_open(Target *t, const char *name, guint64 *resume,
                         GError **error)
{
    AzureTarget *at = target_azure(t);
    g_autofree char *final = target_azure_final(name);
    TargetAzureUpload *up;

    up = g_new0(TargetAzureUpload, 1);
    up->at = at;
    up->name = g_strdup(name);
    if (t->small_upload) {
        up->small = g_byte_array_new();
        return up;
    }
    if (*resume)
        up->pages = azure_page_upload_reopen(at, final, t->upload_size_hint,
                                             error);
    else
        up->pages = azure_page_upload_open(at, final, t->upload_size_hint,
                                           error);
    /* The whole stream comes here: the page upload skips, window by
     * window, what it finds landed already. */
    *resume = 0;
    if (!up->pages) {
        g_prefix_error(error, "%s: ", t->name);
        target_azure_upload_close(up);
        return NULL;
    }
    return up;
}

static gboolean
target_azure_upload_write(gpointer h, const void *buf, gsize len,
                          GError **error)
{
    TargetAzureUpload *up = h;

    if (up->small) {
        if (up->small->len + len > TARGET_MAX_SMALL_FILE) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                        "azure: '%s': more than %d bytes for a block blob",
                        up->name, TARGET_MAX_SMALL_FILE);
            return FALSE;
        }
        g_byte_array_append(up->small, buf, len);
        return TRUE;
    }
    return azure_page_upload_write(up->pages, buf, len, error);
}

static gboolean
target_azure_upload_skip(gpointer h, guint64 len, GError **error)
{
    TargetAzureUpload *up = h;
    g_autofree guint8 *zeros = NULL;

    if (!up->small)
        return azure_page_upload_skip(up->pages, len, error);
    if (len > TARGET_MAX_SMALL_FILE)
        return target_azure_upload_write(h, "", TARGET_MAX_SMALL_FILE + 1,
                                         error);
    zeros = g_malloc0(len);
    return target_azure_upload_write(h, zeros, len, error);
}

/* A disk's Put Pages count themselves; a small file is sent whole. */
static gboolean
target_azure_upload_count_sent(gpointer h, guint64 *sent)
{
    TargetAzureUpload *up = h;

    if (!up->pages)
        return FALSE;
    azure_page_upload_count_sent(up->pages, sent);
    return TRUE;
}

static gboolean
target_azure_upload_finish(gpointer h, GError **error)
{
    TargetAzureUpload *up = h;
    g_autofree char *final = target_azure_final(up->name);
    gboolean ok;

    if (up->small) {
        g_autofree char *blob = azure_blob_name(up->at, final);
        g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);

        /* A block blob carries its hash from its one Put Blob on. */
        g_checksum_update(c, up->small->data, up->small->len);
        ok = azure_blob_put_block(up->at, blob, up->small->data,
                                  up->small->len, g_checksum_get_string(c),
                                  error);
        if (ok)
            g_hash_table_replace(up->at->hashes, g_strdup(up->name),
                                 g_strdup(g_checksum_get_string(c)));
    } else {
        ok = azure_page_upload_finish(up->pages, error);
    }
    target_azure_upload_close(up);
    return ok;
}

/* The stream's SHA-256 of a disk whose pages were checked as they landed
 * (azure-blob.c); a block blob's own hash must match it. */
static gboolean
target_azure_adopt_sha256(Target *t, const char *name, const char *sha256,
                          GError **error)
{
    return target_hashes_adopt(t, target_azure(t)->hashes, name, sha256,
                               error);
}

static char *
target_azure_sha256(Target *t, const char *name, GError **error)
{
    AzureTarget *at = target_azure(t);
    const char *sum = g_hash_table_lookup(at->hashes, name);
    g_autofree char *blob = NULL;
    char *meta = NULL;
    gboolean partial = FALSE;

    if (sum)
        return g_strdup(sum);
    /* A disk an earlier run finished (--resume): its metadata. */
    blob = azure_blob_name(at, name);
    if (!azure_blob_head(at, blob, NULL, &meta, &partial, error)) {
        g_prefix_error(error, "%s: ", t->name);
        return NULL;
    }
    if (!meta || partial) {
        g_free(meta);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                    "%s: '%s': the blob carries no sha256 metadata (an "
                    "unfinished upload?)", t->name, blob);
        return NULL;
    }
    return meta;
}

static const char *
target_azure_output_format(const Target *t, const char **options)
{
    *options = "subformat=fixed,azure=on";
    return "vpc";
}

const struct ferry_target target_azure_backend = {
    .scheme = "azure",
    .connect = target_azure_connect,
    .disconnect = target_azure_disconnect,
    .free_space = target_azure_free_space,
    .stat = target_azure_stat,
    .unlink = target_azure_unlink,
    .rename = target_azure_rename,
    .upload_open = target_azure_upload_open,
    .upload_write = target_azure_upload_write,
    .upload_skip = target_azure_upload_skip,
    .upload_finish = target_azure_upload_finish,
    .upload_close = target_azure_upload_close,
    .upload_count_sent = target_azure_upload_count_sent,
    .sha256 = target_azure_sha256,
    .output_format = target_azure_output_format,
    .adopt_sha256 = target_azure_adopt_sha256,
};
