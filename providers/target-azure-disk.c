/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-azure-disk.c: azure-disk://SUBSCRIPTION/RESOURCE_GROUP?location=L.
 * Each disk becomes a managed disk by direct upload ("Upload a VHD to
 * Azure or copy a managed disk", REST form):
 *
 *   PUT  .../disks/NAME            creationData.createOption Upload,
 *                                  uploadSizeBytes = the fixed VHD's size
 *                                  (N MiB + 512, -o subformat=fixed,
 *                                  azure=on), hyperVGeneration V1/V2 from
 *                                  the domain's firmware, osType (--os-type)
 *                                  on the first disk, the OS disk; the
 *                                  disk must then be ReadyToUpload
 *   POST .../beginGetAccess        access Write: the write SAS URL
 *   Put Page to the SAS URL        azure-blob.c's page upload, attached to
 *                                  the disk's blob (only 4 MiB windows with
 *                                  data, Content-MD5, footer last, Get Page
 *                                  Ranges checked)
 *   POST .../endGetAccess          always: also after a failure or cancel,
 *                                  so that no disk stays ActiveUpload
 *   DELETE .../disks/NAME          a disk ferry created and could not
 *                                  finish, unless --keep
 *
 * The PUT tags the disk ferry=upload; once its pages were checked, a
 * PATCH adds ferry-sha256, the stream's SHA-256 (Azure keeps no hash of a
 * disk), so that --resume can take the finished disk as it is.
 *
 * --resume also continues a disk a killed run left open for upload
 * (SIGKILL, a crash: no endGetAccess ran): a disk tagged ferry=upload,
 * still ReadyToUpload or ActiveUpload, of the same upload size, is the
 * disk's ".part".  It gets a new write SAS (beginGetAccess may be called
 * again, as when a SAS expired) and the page upload reads back each 4 MiB
 * window Get Page Ranges shows there: a window equal to the stream's is
 * not sent again (azure_page_upload_resume()).  A disk that endGetAccess
 * closed (Unattached) cannot take pages any more: Azure offers no way
 * back to an upload state, so a cancelled disk is not resumable.
 *
 * then, with --image NAME, PUT .../images/NAME from the OS disk
 * (Generalized) and the data disks (lun 0, 1, ...).  A disk of the same
 * name is refused (FERRY_ERROR_EXISTS) unless --overwrite, which deletes
 * it first.  Disk names are the pool file names less ".vhd".
 *
 * ARM keeps no files: the manifest and the domain XML (names ending in
 * ".ferry.json" or ".xml") go to a local directory, --manifest-dir
 * (default the current one), through a file:// target.  Credentials:
 * azure-token.c; calls: azure-arm.c.
 */
#include <config.h>

#include <string.h>

#include "providers/azure-arm-priv.h"

/* The tags ferry sets on a disk it uploads (ARM tag names take no '<',
 * '>', '%', '&', '\\', '?' or '/'). */
#define AZURE_DISK_TAG "ferry"
#define AZURE_DISK_TAG_VALUE "upload"
#define AZURE_DISK_TAG_SHA256 "ferry-sha256"

typedef struct {
    char *subscription;          /* immutable after parse */
    char *group;
    char *location;
    Target *local;               /* the manifest directory */
    AzureArm *arm;               /* while connected */
    GHashTable *hashes;          /* ".part" name -> SHA-256 of the stream */
    char *os_disk;               /* the first disk's name */
    gboolean image_exists;       /* --image names one (with --overwrite) */
} AzureDiskTarget;

static AzureDiskTarget *
target_azure_disk(const Target *t)
{
    return t->priv;
}

/* ---- the URI ------------------------------------------------------------- */

static gboolean
target_azure_disk_check(const char *uri, const char *what, const char *value,
                        gsize max, const char *allowed, GError **error)
{
    gsize len = value ? strlen(value) : 0;

    if (len == 0 || len > max || strspn(value, allowed) != len) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': %s: expected 1 to %" G_GSIZE_FORMAT
                    " of [%s]", uri, what, max, allowed);
        return FALSE;
    }
    return TRUE;
}

#define AZURE_ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
                    "0123456789"

gboolean
target_azure_disk_parse_uri(Target *t, const char *uri, GUri *u,
                            GError **error)
{
    const char *sub = g_uri_get_host(u);
    const char *path = g_uri_get_path(u);
    const char *query = g_uri_get_query(u);
    g_autoptr(GHashTable) q = NULL;
    const char *opt = t->opts->azure_manifest_dir;
    g_autofree char *dir = NULL, *local_uri = NULL;
    AzureDiskTarget *ad;
    GHashTableIter it;
    gpointer key;

    if (g_uri_get_user(u) || g_uri_get_port(u) != -1 ||
        g_uri_get_fragment(u) || !path || path[0] != '/' || !query) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': expected azure-disk://SUBSCRIPTION/"
                    "RESOURCE_GROUP?location=LOCATION", uri);
        return FALSE;
    }
    q = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, NULL);
    if (!q || !g_hash_table_lookup(q, "location")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': the query must name location=LOCATION", uri);
        return FALSE;
    }
    g_hash_table_iter_init(&it, q);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (!g_str_equal(key, "location")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "--to '%s': unknown query parameter '%s' (expected "
                        "location)", uri, (const char *)key);
            return FALSE;
        }
    }
    /* Subscription ids are GUIDs; resource group names 1 to 90 of
     * letters, digits, '_', '-', '.', '(' and ')' (ARM naming rules). */
    if (!target_azure_disk_check(uri, "subscription", sub, 64,
                                 AZURE_ALNUM "-", error) ||
        !target_azure_disk_check(uri, "resource group", path + 1, 90,
                                 AZURE_ALNUM "_-.()", error) ||
        !target_azure_disk_check(uri, "location",
                                 g_hash_table_lookup(q, "location"), 64,
                                 AZURE_ALNUM, error))
        return FALSE;
    if (t->opts->azure_os_type &&
        !g_str_equal(t->opts->azure_os_type, "Linux") &&
        !g_str_equal(t->opts->azure_os_type, "Windows")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--os-type '%s': expected Linux or Windows",
                    t->opts->azure_os_type);
        return FALSE;
    }
    if (t->opts->azure_image &&
        !target_azure_disk_check(uri, "--image", t->opts->azure_image, 80,
                                 AZURE_ALNUM "_-.", error))
        return FALSE;
    dir = g_canonicalize_filename(opt ? opt : ".", NULL);
    local_uri = g_strconcat("file://", dir, NULL);
    ad = g_new0(AzureDiskTarget, 1);
    t->priv = ad;
    ad->subscription = g_strdup(sub);
    ad->group = g_strdup(path + 1);
    ad->location = g_strdup(g_hash_table_lookup(q, "location"));
    ad->hashes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       g_free);
    ad->local = target_new(local_uri, NULL, t->cancellable, error);
    if (!ad->local)
        return FALSE;
    t->pool = g_strdup(target_get_pool(ad->local));
    t->name = g_strdup_printf("azure-disk://%s/%s?location=%s", sub,
                              ad->group, ad->location);
    return TRUE;
}

/* ---- names --------------------------------------------------------------- */

/* The manifest, the domain XML and their .part stay local. */
static gboolean
target_azure_disk_is_local(const char *name)
{
    return g_str_has_suffix(name, ".ferry.json") ||
           g_str_has_suffix(name, ".ferry.json.part") ||
           g_str_has_suffix(name, ".xml") || g_str_has_suffix(name, ".xml.part");
}

/* "web1-vda.vhd[.part]" -> "web1-vda" (owned), checked against the
 * managed disk naming rule: 1 to 80 letters, digits, '_', '-', '.',
 * starting with a letter or digit, ending with a letter, digit or '_'. */
static char *
target_azure_disk_name(const Target *t, const char *name, GError **error)
{
    g_autofree char *n = g_strdup(name);
    gsize len;

    if (g_str_has_suffix(n, ".part"))
        n[strlen(n) - strlen(".part")] = '\0';
    if (g_str_has_suffix(n, ".vhd"))
        n[strlen(n) - strlen(".vhd")] = '\0';
    len = strlen(n);
    if (len == 0 || len > 80 || strspn(n, AZURE_ALNUM "_-.") != len ||
        !g_ascii_isalnum(n[0]) ||
        !(g_ascii_isalnum(n[len - 1]) || n[len - 1] == '_')) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: disk name '%s': expected 1 to 80 letters, digits, "
                    "'_', '-' or '.', from a letter or digit to a letter, "
                    "digit or '_' (see --name)", t->name, n);
        return NULL;
    }
    return g_steal_pointer(&n);
}

static char *
target_azure_disk_id(const Target *t, const char *disk)
{
    return azure_arm_resource_id(target_azure_disk(t)->arm, "disks", disk);
}

/* ---- connection ----------------------------------------------------------- */

static void
target_azure_disk_disconnect(Target *t)
{
    AzureDiskTarget *ad = target_azure_disk(t);

    g_clear_pointer(&ad->arm, azure_arm_free);
    target_disconnect(ad->local);
}

static void
target_azure_disk_free_priv(Target *t)
{
    AzureDiskTarget *ad = target_azure_disk(t);

    if (!ad)
        return;
    target_azure_disk_disconnect(t);
    target_free(ad->local);
    g_free(ad->subscription);
    g_free(ad->group);
    g_free(ad->location);
    g_free(ad->os_disk);
    if (ad->hashes)
        g_hash_table_unref(ad->hashes);
    g_free(ad);
    t->priv = NULL;
}

/* FERRY_ERROR_EXISTS when @type/@name is there (unless --overwrite). */
static gboolean
target_azure_disk_check_absent(Target *t, const char *type, const char *name,
                               gboolean *exists, GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autofree char *id = azure_arm_resource_id(ad->arm, type, name);
    g_autoptr(GError) local = NULL;

    *exists = FALSE;
    if (azure_arm_run(ad->arm, "Get", "GET", id, NULL, FALSE, NULL, &local)) {
        *exists = TRUE;
        return TRUE;
    }
    if (g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
        return TRUE;
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

static gboolean
target_azure_disk_connect(Target *t, GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    gboolean exists = FALSE;

    if (!target_connect(ad->local, error))
        return FALSE;
    ad->arm = azure_arm_new(ad->subscription, ad->group, t->cancellable,
                            error);
    /* The token first: a wrong secret fails here, before any disk. */
    if (!ad->arm || !azure_token_get(ad->arm->token, ad->arm->http, error))
        goto fail;
    if (t->opts->azure_image &&
        !target_azure_disk_check_absent(t, "images", t->opts->azure_image,
                                        &exists, error))
        goto fail;
    ad->image_exists = exists;
    if (exists && !t->opts->overwrite) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
                    "image '%s' already exists (use --overwrite to replace "
                    "it)", t->opts->azure_image);
        goto fail;
    }
    return TRUE;
fail:
    g_prefix_error(error, "%s: ", t->name);
    target_azure_disk_disconnect(t);
    return FALSE;
}

static gboolean
target_azure_disk_free_space(Target *t, guint64 *bytes, GError **error)
{
    *bytes = G_MAXUINT64;      /* quotas are per disk count, not bytes */
    return TRUE;
}

/* Whether GetDisk's @o is a disk ferry made for upload that is still
 * open for it. */
static gboolean
target_azure_disk_is_open_upload(JsonObject *o)
{
    g_autofree char *state = azure_json_path_string(o,
                                                    "properties.diskState");
    g_autofree char *tag = azure_json_path_string(o, "tags." AZURE_DISK_TAG);

    return state && tag && g_str_equal(tag, AZURE_DISK_TAG_VALUE) &&
           (g_str_equal(state, "ReadyToUpload") ||
            g_str_equal(state, "ActiveUpload"));
}

static gboolean
target_azure_disk_stat(Target *t, const char *name, guint64 *size,
                       GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autofree char *disk = NULL, *id = NULL;
    g_autoptr(JsonObject) o = NULL;
    JsonNode *n;

    if (target_azure_disk_is_local(name))
        return ad->local->backend->stat(ad->local, name, size, error);
    disk = target_azure_disk_name(t, name, error);
    if (!disk)
        return FALSE;
    id = target_azure_disk_id(t, disk);
    if (!azure_arm_run(ad->arm, "GetDisk", "GET", id, NULL, FALSE, &o,
                       error)) {
        g_prefix_error(error, "%s: ", t->name);
        return FALSE;
    }
    /* A disk still open for upload is a ".part" (if ferry made it), not
     * a finished disk. */
    if (g_str_has_suffix(name, ".part") !=
        target_azure_disk_is_open_upload(o)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "%s: '%s': no such disk", t->name, name);
        return FALSE;
    }
    if (g_str_has_suffix(name, ".part")) {
        n = azure_json_path(o, "properties.creationData.uploadSizeBytes");
        if (size)
            *size = n && JSON_NODE_HOLDS_VALUE(n)
                        ? (guint64)json_node_get_int(n) : 0;
        return TRUE;
    }
    n = azure_json_path(o, "properties.diskSizeBytes");
    if (size)
        *size = n && JSON_NODE_HOLDS_VALUE(n) ? (guint64)json_node_get_int(n)
                                              : 0;
    return TRUE;
}

static gboolean
target_azure_disk_delete(Target *t, const char *disk, GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autofree char *id = target_azure_disk_id(t, disk);

    return azure_arm_run(ad->arm, "DeleteDisk", "DELETE", id, NULL, TRUE,
                         NULL, error);
}

static gboolean
target_azure_disk_unlink(Target *t, const char *name, GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autofree char *disk = NULL;

    if (target_azure_disk_is_local(name))
        return ad->local->backend->unlink(ad->local, name, error);
    if (g_str_has_suffix(name, ".part"))
        return TRUE;           /* deleted as its upload closed */
    disk = target_azure_disk_name(t, name, error);
    return disk && ad->arm && target_azure_disk_delete(t, disk, error);
}

static gboolean
target_azure_disk_rename(Target *t, const char *from, const char *to,
                         GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autofree char *expect = g_strconcat(to, ".part", NULL);

    if (target_azure_disk_is_local(to)) {
        /* --overwrite: an earlier export's manifest and XML give way. */
        if (t->opts->overwrite)
            target_remove(ad->local, to);
        return ad->local->backend->rename(ad->local, from, to, error);
    }
    if (!g_str_equal(from, expect)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: managed disks cannot be renamed ('%s' to '%s')",
                    t->name, from, to);
        return FALSE;
    }
    return TRUE;               /* the disk has its final name already */
}

/* ---- a disk's upload -------------------------------------------------------- */

typedef struct {
    Target *t;                   /* borrowed */
    gboolean local;              /* a small file: @local_handle */
    gpointer local_handle;
    char *name;                  /* as given, ".part" included */
    char *disk;
    char *id;
    gboolean created;            /* PUT sent: ours to delete */
    gboolean access_open;        /* beginGetAccess answered */
    gboolean finished;
    AzureTarget blob;            /* the SAS URL's blob */
    AzureUpload *pages;
} AzureDiskUpload;

static const char *
target_azure_disk_generation(const Target *t)
{
    return target_domain_is_uefi(t->domain_xml) ? "V2" : "V1";
}

static const char *
target_azure_disk_os_type(const Target *t)
{
    if (t->opts->azure_os_type)
        return t->opts->azure_os_type;
    return t->guest_os_type ? t->guest_os_type : "Linux";
}

static gboolean
target_azure_disk_end_access(AzureDiskUpload *up, gboolean cleanup,
                             GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(up->t);
    g_autofree char *path = g_strconcat(up->id, "/endGetAccess", NULL);

    if (!up->access_open)
        return TRUE;
    if (!azure_arm_run(ad->arm, "EndGetAccess", "POST", path, NULL, cleanup,
                       NULL, error))
        return FALSE;
    up->access_open = FALSE;
    return TRUE;
}

static void
target_azure_disk_upload_close(gpointer h)
{
    AzureDiskUpload *up = h;
    g_autoptr(GError) error = NULL;

    if (up->local) {
        if (up->local_handle)
            target_azure_disk(up->t)->local->backend->upload_close(
                up->local_handle);
        g_free(up->name);
        g_free(up);
        return;
    }
    g_clear_pointer(&up->pages, azure_page_upload_free);
    if (!target_azure_disk_end_access(up, TRUE, &error)) {
        g_warning("%s: disk '%s': endGetAccess failed, the disk may stay "
                  "ActiveUpload: %s", up->t->name, up->disk, error->message);
        g_clear_error(&error);
    }
    if (up->created && !up->finished) {
        if (up->t->opts->azure_keep)
            g_info("%s: disk '%s' is unfinished and kept (--keep)",
                   up->t->name, up->disk);
        else if (!target_azure_disk_delete(up->t, up->disk, &error))
            g_warning("%s: the unfinished disk '%s' stays: %s", up->t->name,
                      up->disk, error->message);
    }
    azure_client_free(up->blob.client);
    g_free(up->blob.container);
    g_free(up->blob.prefix);
    g_free(up->name);
    g_free(up->disk);
    g_free(up->id);
    g_free(up);
}

/* Opens what a disk and an image body begin with: {"location": L,
 * ["tags": {"ferry": "upload"},] "properties": {"hyperVGeneration": G,
 * ...; the caller closes both. */
static void
target_azure_disk_begin_resource(JsonBuilder *b, const Target *t,
                                 gboolean upload_tag)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "location");
    json_builder_add_string_value(b, target_azure_disk(t)->location);
    if (upload_tag) {
        json_builder_set_member_name(b, "tags");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, AZURE_DISK_TAG);
        json_builder_add_string_value(b, AZURE_DISK_TAG_VALUE);
        json_builder_end_object(b);
    }
    json_builder_set_member_name(b, "properties");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "hyperVGeneration");
    json_builder_add_string_value(b, target_azure_disk_generation(t));
}

/* The PUT's body: an empty disk for an upload of @size bytes. */
static JsonNode *
target_azure_disk_put_body(const Target *t, const AzureDiskUpload *up,
                           guint64 size)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autoptr(JsonBuilder) b = json_builder_new();

    target_azure_disk_begin_resource(b, t, TRUE);
    if (g_str_equal(ad->os_disk, up->disk)) {
        json_builder_set_member_name(b, "osType");
        json_builder_add_string_value(b, target_azure_disk_os_type(t));
    }
    json_builder_set_member_name(b, "creationData");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "createOption");
    json_builder_add_string_value(b, "Upload");
    json_builder_set_member_name(b, "uploadSizeBytes");
    json_builder_add_int_value(b, (gint64)size);
    json_builder_end_object(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* PUT the disk and wait until it is ReadyToUpload. */
static gboolean
target_azure_disk_put(Target *t, AzureDiskUpload *up, guint64 size,
                      GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autoptr(JsonNode) body = NULL;
    g_autoptr(JsonObject) disk = NULL;
    g_autofree char *state = NULL;
    gboolean exists = FALSE;

    if (size < AZURE_DISK_MIN_UPLOAD || size > AZURE_DISK_MAX_UPLOAD ||
        (size - 512) % (1024 * 1024)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "disk '%s': a managed disk takes an upload of 20 MiB + "
                    "512 to 32 TiB + 512 bytes, N MiB + 512; this one is %"
                    G_GUINT64_FORMAT, up->disk, size);
        return FALSE;
    }
    if (t->opts->overwrite) {
        if (!target_azure_disk_check_absent(t, "disks", up->disk, &exists,
                                            error))
            return FALSE;
        if (exists && !target_azure_disk_delete(t, up->disk, error))
            return FALSE;
    }
    if (!ad->os_disk)
        ad->os_disk = g_strdup(up->disk);
    body = target_azure_disk_put_body(t, up, size);
    /* Once sent, the disk may exist whatever the answer: ours to delete. */
    up->created = TRUE;
    if (!azure_arm_run(ad->arm, "PutDisk", "PUT", up->id, body, FALSE, &disk,
                       error))
        return FALSE;
    state = azure_json_path_string(disk, "properties.diskState");
    if (!state || !g_str_equal(state, "ReadyToUpload")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "disk '%s': diskState is %s after PUT, not "
                    "ReadyToUpload", up->disk,
                    state && ferry_check_text("diskState", state, 64, NULL)
                        ? state : "unknown");
        return FALSE;
    }
    return TRUE;
}

/* beginGetAccess for Write, and the page upload on its SAS URL. */
static gboolean
target_azure_disk_open_pages(Target *t, AzureDiskUpload *up, guint64 size,
                             gboolean resume, GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) access = NULL;
    g_autoptr(JsonObject) grant = NULL;
    g_autofree char *sas = NULL, *path = NULL, *blob = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "access");
    json_builder_add_string_value(b, "Write");
    json_builder_set_member_name(b, "durationInSeconds");
    json_builder_add_int_value(b, AZURE_DISK_SAS_SECONDS);
    json_builder_end_object(b);
    access = json_builder_get_root(b);
    path = g_strconcat(up->id, "/beginGetAccess", NULL);
    /* The disk is open for writing once this is sent, answered or not. */
    up->access_open = TRUE;
    if (!azure_arm_run(ad->arm, "BeginGetAccess", "POST", path, access,
                       FALSE, &grant, error))
        return FALSE;
    sas = azure_json_dup_string(grant, "accessSAS");
    if (!sas) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "disk '%s': beginGetAccess gave no accessSAS", up->disk);
        return FALSE;
    }
    up->blob.client = azure_client_new_for_sas_url(sas, t->cancellable,
                                                   &up->blob.container,
                                                   &blob, error);
    memset(sas, 0, strlen(sas));
    if (!up->blob.client)
        return FALSE;
    up->blob.prefix = g_strdup("");
    up->pages = azure_page_upload_attach(&up->blob, blob, size, error);
    if (!up->pages)
        return FALSE;
    return !resume || azure_page_upload_resume(up->pages, error);
}

/* --resume: the disk a killed run left open for upload, as
 * target_azure_disk_stat() found it, still so and of @size bytes. */
static gboolean
target_azure_disk_reopen(Target *t, AzureDiskUpload *up, guint64 size,
                         GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autoptr(JsonObject) disk = NULL;
    JsonNode *n;

    if (!azure_arm_run(ad->arm, "GetDisk", "GET", up->id, NULL, FALSE, &disk,
                       error))
        return FALSE;
    n = azure_json_path(disk, "properties.creationData.uploadSizeBytes");
    if (!target_azure_disk_is_open_upload(disk) || !n ||
        !JSON_NODE_HOLDS_VALUE(n) || (guint64)json_node_get_int(n) != size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
                    "disk '%s' is not an upload of %" G_GUINT64_FORMAT
                    " bytes that ferry left open: cannot resume it (use "
                    "--overwrite to replace it)", up->disk, size);
        return FALSE;
    }
    if (!ad->os_disk)
        ad->os_disk = g_strdup(up->disk);
    /* Unfinished again, it is ours to delete as a new one is. */
    up->created = TRUE;
    return TRUE;
}

static gpointer
target_azure_disk_upload_open(Target *t, const char *name, guint64 *resume,
                              GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    guint64 size = t->upload_size_hint;
    gboolean resuming = *resume != 0;
    AzureDiskUpload *up;
    gboolean ok;

    up = g_new0(AzureDiskUpload, 1);
    up->t = t;
    up->name = g_strdup(name);
    if (target_azure_disk_is_local(name)) {
        up->local = TRUE;
        ad->local->small_upload = t->small_upload;
        up->local_handle = ad->local->backend->upload_open(ad->local, name,
                                                           resume, error);
        if (!up->local_handle) {
            target_azure_disk_upload_close(up);
            return NULL;
        }
        return up;
    }
    up->disk = target_azure_disk_name(t, name, error);
    if (!up->disk) {
        target_azure_disk_upload_close(up);
        return NULL;
    }
    up->id = target_azure_disk_id(t, up->disk);
    if (resuming)
        ok = target_azure_disk_reopen(t, up, size, error);
    else
        ok = target_azure_disk_put(t, up, size, error);
    if (!ok || !target_azure_disk_open_pages(t, up, size, resuming, error)) {
        g_prefix_error(error, "%s: ", t->name);
        target_azure_disk_upload_close(up);
        return NULL;
    }
    /* The whole stream comes here: the page upload skips, window by
     * window, what it finds landed already. */
    *resume = 0;
    return up;
}

static gboolean
target_azure_disk_upload_write(gpointer h, const void *buf, gsize len,
                               GError **error)
{
    AzureDiskUpload *up = h;

    if (up->local)
        return target_azure_disk(up->t)->local->backend->upload_write(
            up->local_handle, buf, len, error);
    return azure_page_upload_write(up->pages, buf, len, error);
}

static gboolean
target_azure_disk_upload_skip(gpointer h, guint64 len, GError **error)
{
    AzureDiskUpload *up = h;

    if (up->local)
        return target_azure_disk(up->t)->local->backend->upload_skip(
            up->local_handle, len, error);
    return azure_page_upload_skip(up->pages, len, error);
}

/* A disk's Put Pages count themselves; a local file is the sink's. */
static gboolean
target_azure_disk_upload_count_sent(gpointer h, guint64 *sent)
{
    AzureDiskUpload *up = h;

    if (up->local)
        return FALSE;
    azure_page_upload_count_sent(up->pages, sent);
    return TRUE;
}

static gboolean
target_azure_disk_upload_finish(gpointer h, GError **error)
{
    AzureDiskUpload *up = h;
    AzureDiskTarget *ad = target_azure_disk(up->t);
    g_autoptr(JsonObject) disk = NULL;
    gboolean ok;

    if (up->local) {
        ok = ad->local->backend->upload_finish(g_steal_pointer(
                                                   &up->local_handle),
                                               error);
        target_azure_disk_upload_close(up);
        return ok;
    }
    ok = azure_page_upload_finish(up->pages, error) &&
         target_azure_disk_end_access(up, FALSE, error) &&
         azure_arm_run(ad->arm, "GetDisk", "GET", up->id, NULL, FALSE, &disk,
                       error);
    if (ok) {
        g_autofree char *state = azure_json_path_string(
            disk, "properties.diskState");

        if (!state || g_str_equal(state, "ActiveUpload") ||
            g_str_equal(state, "ReadyToUpload")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "disk '%s': still open for upload after "
                        "endGetAccess", up->disk);
            ok = FALSE;
        }
    }
    if (ok) {
        up->finished = TRUE;
        g_info("%s: disk '%s': %" G_GUINT64_FORMAT " bytes of pages sent, %"
               G_GUINT64_FORMAT " found there from an earlier run",
               up->t->name, up->disk,
               azure_page_upload_get_page_bytes(up->pages),
               azure_page_upload_get_kept_bytes(up->pages));
    } else {
        g_prefix_error(error, "%s: ", up->t->name);
    }
    target_azure_disk_upload_close(up);
    return ok;
}

static char *
target_azure_disk_sha256(Target *t, const char *name, GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    const char *sum = g_hash_table_lookup(ad->hashes, name);
    g_autofree char *disk = NULL, *id = NULL, *tag = NULL;
    g_autoptr(JsonObject) o = NULL;

    if (target_azure_disk_is_local(name))
        return ad->local->backend->sha256(ad->local, name, error);
    if (sum)
        return g_strdup(sum);
    /* A disk an earlier run finished (--resume): its tag. */
    disk = target_azure_disk_name(t, name, error);
    if (!disk)
        return NULL;
    id = target_azure_disk_id(t, disk);
    if (!azure_arm_run(ad->arm, "GetDisk", "GET", id, NULL, FALSE, &o,
                       error)) {
        g_prefix_error(error, "%s: ", t->name);
        return NULL;
    }
    tag = azure_json_path_string(o, "tags." AZURE_DISK_TAG_SHA256);
    if (!tag || strlen(tag) != 64 ||
        strspn(tag, "0123456789abcdef") != 64 ||
        target_azure_disk_is_open_upload(o)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                    "%s: disk '%s' carries no %s tag (not a disk ferry "
                    "finished)", t->name, disk, AZURE_DISK_TAG_SHA256);
        return NULL;
    }
    return g_steal_pointer(&tag);
}

/* A disk's pages were checked as they landed (upload_finish): its
 * SHA-256 is the stream's, kept as a tag for a later --resume.  The
 * manifest and the domain XML went to local files: hashed again there. */
static gboolean
target_azure_disk_adopt_sha256(Target *t, const char *name,
                               const char *sha256, GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonNode) body = NULL;
    g_autofree char *disk = NULL, *id = NULL;

    if (target_azure_disk_is_local(name)) {
        g_autofree char *local = ad->local->backend->sha256(ad->local, name,
                                                            error);

        if (!local)
            return FALSE;
        if (!g_str_equal(local, sha256)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                        "%s: '%s': sha256 on the target is %s, the stream's "
                        "is %s", t->name, name, local, sha256);
            return FALSE;
        }
        return TRUE;
    }
    disk = target_azure_disk_name(t, name, error);
    if (!disk)
        return FALSE;
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "tags");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, AZURE_DISK_TAG);
    json_builder_add_string_value(b, AZURE_DISK_TAG_VALUE);
    json_builder_set_member_name(b, AZURE_DISK_TAG_SHA256);
    json_builder_add_string_value(b, sha256);
    json_builder_end_object(b);
    json_builder_end_object(b);
    body = json_builder_get_root(b);
    id = target_azure_disk_id(t, disk);
    if (!azure_arm_run(ad->arm, "PatchDisk", "PATCH", id, body, FALSE, NULL,
                       error)) {
        g_prefix_error(error, "%s: disk '%s': ", t->name, disk);
        return FALSE;
    }
    g_hash_table_replace(ad->hashes, g_strdup(name), g_strdup(sha256));
    return TRUE;
}

static char *
target_azure_disk_resource_id(Target *t, const char *name)
{
    g_autofree char *disk = target_azure_disk_name(t, name, NULL);

    if (!disk || target_azure_disk_is_local(name) ||
        !target_azure_disk(t)->arm)
        return NULL;
    return target_azure_disk_id(t, disk);
}

/* --image NAME: the OS disk (the first) and the data disks, lun 0... */
static gboolean
target_azure_disk_finish_export(Target *t, const TargetExport *exp,
                                char **image_id, GError **error)
{
    AzureDiskTarget *ad = target_azure_disk(t);
    const char *image = t->opts->azure_image;
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonNode) body = NULL;
    g_autofree char *id = NULL;
    guint i;

    if (!image)
        return TRUE;
    id = azure_arm_resource_id(ad->arm, "images", image);
    if (exp->dry_run) {
        if (t->opts->notice) {
            g_autofree char *text = g_strdup_printf(
                "would create image %s from %u disks\n", id,
                g_strv_length((char **)exp->files));

            t->opts->notice(text, t->opts->notice_data);
        }
        return TRUE;
    }
    b = json_builder_new();
    target_azure_disk_begin_resource(b, t, FALSE);
    json_builder_set_member_name(b, "storageProfile");
    json_builder_begin_object(b);
    for (i = 0; exp->files[i]; i++) {
        g_autofree char *disk = target_azure_disk_name(t, exp->files[i],
                                                       error);
        g_autofree char *did = NULL;

        if (!disk)
            return FALSE;
        did = target_azure_disk_id(t, disk);
        if (i == 0) {
            json_builder_set_member_name(b, "osDisk");
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "osType");
            json_builder_add_string_value(b, target_azure_disk_os_type(t));
            json_builder_set_member_name(b, "osState");
            json_builder_add_string_value(b, "Generalized");
        } else {
            if (i == 1) {
                json_builder_set_member_name(b, "dataDisks");
                json_builder_begin_array(b);
            }
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "lun");
            json_builder_add_int_value(b, i - 1);
        }
        json_builder_set_member_name(b, "managedDisk");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, did);
        json_builder_end_object(b);
        json_builder_end_object(b);
    }
    if (i > 1)
        json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    body = json_builder_get_root(b);
    if (exp->phase)
        exp->phase("image", -1, "creating", exp->phase_data);
    /* --overwrite: an image's disks cannot be changed in place. */
    if (ad->image_exists &&
        !azure_arm_run(ad->arm, "DeleteImage", "DELETE", id, NULL, FALSE,
                       NULL, error)) {
        g_prefix_error(error, "%s: image '%s': ", t->name, image);
        return FALSE;
    }
    if (!azure_arm_run(ad->arm, "PutImage", "PUT", id, body, FALSE, NULL,
                       error)) {
        g_prefix_error(error, "%s: image '%s': ", t->name, image);
        return FALSE;
    }
    if (exp->phase)
        exp->phase("image", 100, "Succeeded", exp->phase_data);
    *image_id = g_steal_pointer(&id);
    return TRUE;
}

static const char *
target_azure_disk_output_format(const Target *t, const char **options)
{
    *options = "subformat=fixed,azure=on";
    return "vpc";
}

const struct ferry_target target_azure_disk_backend = {
    .scheme = "azure-disk",
    .connect = target_azure_disk_connect,
    .disconnect = target_azure_disk_disconnect,
    .free_space = target_azure_disk_free_space,
    .stat = target_azure_disk_stat,
    .unlink = target_azure_disk_unlink,
    .rename = target_azure_disk_rename,
    .upload_open = target_azure_disk_upload_open,
    .upload_write = target_azure_disk_upload_write,
    .upload_skip = target_azure_disk_upload_skip,
    .upload_finish = target_azure_disk_upload_finish,
    .upload_close = target_azure_disk_upload_close,
    .upload_count_sent = target_azure_disk_upload_count_sent,
    .sha256 = target_azure_disk_sha256,
    .adopt_sha256 = target_azure_disk_adopt_sha256,
    .finish_export = target_azure_disk_finish_export,
    .output_format = target_azure_disk_output_format,
    .free_priv = target_azure_disk_free_priv,
    .resource_id = target_azure_disk_resource_id,
};
