/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-cloudstack.c: the cloudstack://MGMT[:PORT]/ZONE-ID?storage=POOL-ID
 * target.  CloudStack 4.19's importVm takes a disk that already sits on
 * primary storage (importsource=shared, storageid, diskpath); this target
 * puts it there and makes the call:
 *
 *   connect: listZones (the zone exists), listStoragePools id=POOL (its
 *     type and path; the zone must be the URI's), listHosts of the pool's
 *     cluster (type=Routing, hypervisor=KVM, state Up) for a host that
 *     mounts it, listServiceOfferings, listNetworks and listDiskOfferings
 *     (every id given exists); then an ssh:// target (target-ssh.c) to
 *     that host, into the pool's mount: "<mount-parent>/<pool uuid>" for
 *     NetworkFilesystem (the KVM agent mounts NFS pools there; mount-parent
 *     is /mnt unless the URI says otherwise), the pool's path for
 *     SharedMountPoint.  Every file operation is the ssh target's, so the
 *     host key, the .part and the SHA-256 check are what ssh:// does;
 *   finish_export: listVirtualMachines name=VM in the zone (a resumed export
 *     that imported already takes that VM's id, never importing twice), then
 *     importVm with the root disk as diskpath, each data disk in
 *     datadiskofferinglist, each NIC in nicnetworklist by the id `ferry
 *     list` (and CloudStack's listVmsForImport) gives it, with its MAC, and
 *     for a custom offering the domain's vCPUs and memory as details; the
 *     async job followed as the "import" phase; the new VM's id returned.
 *
 * The URI's query: storage=POOL (required), ssh-user=USER (root),
 * ssh-port=PORT (22), mount-parent=DIR (/mnt).  The API endpoint is
 * https://MGMT[:PORT]/client/api, or CLOUDSTACK_ENDPOINT when set.
 */
#include <config.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "providers/cloudstack-priv.h"

/* CloudStack ids are UUIDs; a few installs still show numbers. */
#define CS_MAX_ID 64

typedef struct {
    /* from the URI; immutable after parse */
    char *mgmt;                  /* host[:port] */
    char *zone;
    char *pool_id;
    char *ssh_user;
    guint16 ssh_port;
    char *mount_parent;
    /* from connect */
    CsClient *client;
    Target *ssh;                 /* the KVM host's pool */
    char *pool_type;
    char *host_name;
    gboolean custom_offering;
} CsTarget;

static CsTarget *
cs_target(const Target *t)
{
    return t->priv;
}

static gboolean
cs_check_id(const char *name, const char *what, const char *id,
            GError **error)
{
    gsize len = id ? strlen(id) : 0;

    if (!id) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: %s is required", name, what);
        return FALSE;
    }
    if (len == 0 || len > CS_MAX_ID ||
        strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789-") != len) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: %s '%s': expected a CloudStack id (letters, digits "
                    "and '-')", name, what, id);
        return FALSE;
    }
    return TRUE;
}

gboolean
target_cloudstack_parse_uri(Target *t, const char *uri, GUri *u,
                            GError **error)
{
    const char *host = g_uri_get_host(u);
    const char *path = g_uri_get_path(u);
    const char *query = g_uri_get_query(u);
    g_autoptr(GHashTable) q = NULL;
    g_autoptr(GError) local = NULL;
    GHashTableIter it;
    gpointer key, value;
    CsTarget *ct;
    const char *port;

    if (g_uri_get_user(u) || g_uri_get_fragment(u) || !host || !*host ||
        !path || path[0] != '/' || !query) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': expected cloudstack://MGMT[:PORT]/ZONE-ID"
                    "?storage=POOL-ID", uri);
        return FALSE;
    }
    if (!ferry_check_text("--to: host", host, 255, error))
        return FALSE;
    q = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, &local);
    if (!q) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': query: %s", uri, local->message);
        return FALSE;
    }
    g_hash_table_iter_init(&it, q);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (!g_strv_contains((const char *const[]){ "storage", "ssh-user",
                                                    "ssh-port",
                                                    "mount-parent", NULL },
                             key)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "--to '%s': unknown query parameter '%s' (expected "
                        "storage, ssh-user, ssh-port or mount-parent)", uri,
                        (const char *)key);
            return FALSE;
        }
    }
    ct = g_new0(CsTarget, 1);
    t->priv = ct;
    ct->mgmt = g_uri_get_port(u) > 0
                   ? g_strdup_printf("%s:%d", host, g_uri_get_port(u))
                   : g_strdup(host);
    ct->zone = g_strdup(path + 1);
    ct->pool_id = g_strdup(g_hash_table_lookup(q, "storage"));
    ct->ssh_user = g_strdup(g_hash_table_lookup(q, "ssh-user")
                                ? g_hash_table_lookup(q, "ssh-user")
                                : "root");
    ct->mount_parent = g_strdup(g_hash_table_lookup(q, "mount-parent")
                                    ? g_hash_table_lookup(q, "mount-parent")
                                    : "/mnt");
    ct->ssh_port = SSH_DEFAULT_PORT;
    port = g_hash_table_lookup(q, "ssh-port");
    if (port) {
        guint64 n = 0;

        if (!g_ascii_string_to_unsigned(port, 10, 1, 65535, &n, NULL)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "--to '%s': ssh-port '%s': expected 1 to 65535", uri,
                        port);
            return FALSE;
        }
        ct->ssh_port = (guint16)n;
    }
    t->name = g_strdup_printf("cloudstack://%s/%s", ct->mgmt, ct->zone);
    /* The mount on the KVM host replaces it at connect. */
    t->pool = g_strdup(ct->pool_id ? ct->pool_id : "");
    if (!cs_check_id(t->name, "zone", ct->zone, error) ||
        !cs_check_id(t->name, "storage", ct->pool_id, error) ||
        !cs_check_id(t->name, "--service-offering",
                     t->opts->cs_service_offering, error) ||
        !cs_check_id(t->name, "--network", t->opts->cs_network, error) ||
        (t->opts->cs_disk_offering &&
         !cs_check_id(t->name, "--disk-offering", t->opts->cs_disk_offering,
                      error)) ||
        !ferry_check_text("ssh-user", ct->ssh_user, 64, error))
        return FALSE;
    if (ct->mount_parent[0] != '/' ||
        !ferry_check_text("mount-parent", ct->mount_parent, 1024, error)) {
        g_clear_error(error);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: mount-parent '%s': expected an absolute path",
                    t->name, ct->mount_parent);
        return FALSE;
    }
    return TRUE;
}

/* The one object of list* answer @list, or FERRY_ERROR_NOT_FOUND. */
static JsonObject *
cs_list_one(CsClient *c, const char *command, const char *list,
            const char *what, const char *id, CsParams *p, GError **error)
{
    g_autoptr(JsonObject) o = NULL;
    JsonArray *a;
    JsonNode *n;

    if (!cs_call(c, command, p, &o, error))
        return NULL;
    a = cs_json_list(o, list);
    n = a && json_array_get_length(a) > 0 ? json_array_get_element(a, 0)
                                         : NULL;
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "cloudstack %s: %s '%s' not found", command, what, id);
        return NULL;
    }
    return json_object_ref(json_node_get_object(n));
}

static gboolean
cs_exists(CsClient *c, const char *command, const char *list,
          const char *what, const char *id, const char *zone, GError **error)
{
    g_autoptr(GPtrArray) p = cs_params_new();
    g_autoptr(JsonObject) o = NULL;

    cs_params_add(p, "id", id);
    if (zone)
        cs_params_add(p, "zoneid", zone);
    o = cs_list_one(c, command, list, what, id, p, error);
    return o != NULL;
}

/* A KVM host of @cluster that is Up: its address. */
static char *
cs_pick_host(CsTarget *ct, const char *cluster, GError **error)
{
    g_autoptr(GPtrArray) p = cs_params_new();
    g_autoptr(JsonObject) o = NULL;
    JsonArray *a;
    guint i;

    cs_params_add(p, "clusterid", cluster);
    cs_params_add(p, "type", "Routing");
    cs_params_add(p, "hypervisor", "KVM");
    if (!cs_call(ct->client, "listHosts", p, &o, error))
        return NULL;
    a = cs_json_list(o, "host");
    for (i = 0; a && i < json_array_get_length(a); i++) {
        JsonNode *n = json_array_get_element(a, i);
        JsonObject *h = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n)
                                                 : NULL;
        g_autofree char *state = cs_json_dup_string(h, "state");
        g_autofree char *rs = cs_json_dup_string(h, "resourcestate");
        g_autofree char *ip = cs_json_dup_string(h, "ipaddress");

        if (!ip || !state || !g_str_equal(state, "Up") ||
            (rs && !g_str_equal(rs, "Enabled")))
            continue;
        g_free(ct->host_name);
        ct->host_name = cs_json_dup_string(h, "name");
        return g_steal_pointer(&ip);
    }
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                "cloudstack listHosts: no KVM host of cluster '%s' is Up and "
                "Enabled", cluster);
    return NULL;
}

static void
target_cloudstack_disconnect(Target *t)
{
    CsTarget *ct = cs_target(t);

    g_clear_pointer(&ct->ssh, target_free);
    g_clear_pointer(&ct->client, cs_client_free);
}

static gboolean
target_cloudstack_connect_api(Target *t, GError **error)
{
    CsTarget *ct = cs_target(t);
    const TargetOptions *o = t->opts;
    g_autofree char *endpoint = NULL, *cluster = NULL, *zone = NULL;
    g_autofree char *path = NULL, *ip = NULL, *mount = NULL, *uri = NULL;
    g_autofree char *custom = NULL;
    g_autoptr(GPtrArray) p = cs_params_new();
    g_autoptr(JsonObject) pool = NULL, so = NULL;
    CsClientOptions co = { 0 };

    endpoint = g_getenv("CLOUDSTACK_ENDPOINT")
                   ? g_strdup(g_getenv("CLOUDSTACK_ENDPOINT"))
                   : g_strdup_printf("https://%s/client/api", ct->mgmt);
    co.endpoint = endpoint;
    co.api_key_file = o->cs_api_key_file;
    co.secret_key_file = o->cs_secret_key_file;
    co.cancellable = t->cancellable;
    ct->client = cs_client_new(&co, error);
    if (!ct->client ||
        !cs_exists(ct->client, "listZones", "zone", "zone", ct->zone, NULL,
                   error))
        return FALSE;
    cs_params_add(p, "id", ct->pool_id);
    pool = cs_list_one(ct->client, "listStoragePools", "storagepool",
                       "storage pool", ct->pool_id, p, error);
    if (!pool)
        return FALSE;
    ct->pool_type = cs_json_dup_string(pool, "type");
    path = cs_json_dup_string(pool, "path");
    cluster = cs_json_dup_string(pool, "clusterid");
    zone = cs_json_dup_string(pool, "zoneid");
    if (zone && !g_str_equal(zone, ct->zone)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "storage pool '%s' is in zone '%s', not '%s'",
                    ct->pool_id, zone, ct->zone);
        return FALSE;
    }
    if (!ct->pool_type || !cluster) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "storage pool '%s': a cluster-wide pool is needed "
                    "(no type or clusterid in listStoragePools)",
                    ct->pool_id);
        return FALSE;
    }
    if (g_str_equal(ct->pool_type, "NetworkFilesystem")) {
        mount = g_strdup_printf("%s/%s", ct->mount_parent, ct->pool_id);
    } else if (g_str_equal(ct->pool_type, "SharedMountPoint") && path &&
               path[0] == '/') {
        mount = g_strdup(path);
    } else {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "storage pool '%s' is of type '%s': only "
                    "NetworkFilesystem and SharedMountPoint pools take "
                    "importsource=shared", ct->pool_id, ct->pool_type);
        return FALSE;
    }
    ip = cs_pick_host(ct, cluster, error);
    if (!ip)
        return FALSE;
    g_ptr_array_set_size(p, 0);
    cs_params_add(p, "id", o->cs_service_offering);
    so = cs_list_one(ct->client, "listServiceOfferings", "serviceoffering",
                     "service offering", o->cs_service_offering, p, error);
    if (!so)
        return FALSE;
    custom = cs_json_dup_string(so, "iscustomized");
    ct->custom_offering = custom && g_str_equal(custom, "true");
    if (!cs_exists(ct->client, "listNetworks", "network", "network",
                   o->cs_network, ct->zone, error) ||
        (o->cs_disk_offering &&
         !cs_exists(ct->client, "listDiskOfferings", "diskoffering",
                    "disk offering", o->cs_disk_offering, NULL, error)))
        return FALSE;
    uri = g_strdup_printf("ssh://%s@%s%s%s:%u%s", ct->ssh_user,
                          strchr(ip, ':') ? "[" : "", ip,
                          strchr(ip, ':') ? "]" : "", ct->ssh_port, mount);
    ct->ssh = target_new(uri, t->opts, t->cancellable, error);
    if (!ct->ssh)
        return FALSE;
    g_info("%s: pool '%s' (%s) at %s on host %s", t->name, ct->pool_id,
           ct->pool_type, mount, ct->host_name ? ct->host_name : ip);
    if (!target_connect(ct->ssh, error))
        return FALSE;
    g_free(t->pool);
    t->pool = g_steal_pointer(&mount);
    return TRUE;
}

static gboolean
target_cloudstack_connect(Target *t, GError **error)
{
    if (target_cloudstack_connect_api(t, error))
        return TRUE;
    g_prefix_error(error, "%s: ", t->name);
    target_cloudstack_disconnect(t);
    return FALSE;
}

static void
target_cloudstack_free_priv(Target *t)
{
    CsTarget *ct = cs_target(t);

    if (!ct)
        return;
    target_cloudstack_disconnect(t);
    g_free(ct->mgmt);
    g_free(ct->zone);
    g_free(ct->pool_id);
    g_free(ct->ssh_user);
    g_free(ct->mount_parent);
    g_free(ct->pool_type);
    g_free(ct->host_name);
    g_free(ct);
    t->priv = NULL;
}

/* ---- the pool: the ssh:// target's ------------------------------------- */

static Target *
cs_ssh(Target *t, GError **error)
{
    CsTarget *ct = cs_target(t);

    if (!ct->ssh) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                    "%s: not connected", t->name);
        return NULL;
    }
    ct->ssh->small_upload = t->small_upload;
    ct->ssh->upload_size_hint = t->upload_size_hint;
    return ct->ssh;
}

static gboolean
target_cloudstack_free_space(Target *t, guint64 *bytes, GError **error)
{
    Target *s = cs_ssh(t, error);

    return s && s->backend->free_space(s, bytes, error);
}

static gboolean
target_cloudstack_stat(Target *t, const char *name, guint64 *size,
                       GError **error)
{
    Target *s = cs_ssh(t, error);

    return s && s->backend->stat(s, name, size, error);
}

static gboolean
target_cloudstack_unlink(Target *t, const char *name, GError **error)
{
    Target *s = cs_ssh(t, error);

    return s && s->backend->unlink(s, name, error);
}

static gboolean
target_cloudstack_rename(Target *t, const char *from, const char *to,
                         GError **error)
{
    Target *s = cs_ssh(t, error);

    return s && s->backend->rename(s, from, to, error);
}

static gpointer
target_cloudstack_upload_open(Target *t, const char *name, guint64 *resume,
                              GError **error)
{
    Target *s = cs_ssh(t, error);

    return s ? s->backend->upload_open(s, name, resume, error) : NULL;
}

static gboolean
target_cloudstack_upload_write(gpointer h, const void *buf, gsize len,
                               GError **error)
{
    return target_ssh_backend.upload_write(h, buf, len, error);
}

static gboolean
target_cloudstack_upload_skip(gpointer h, guint64 len, GError **error)
{
    return target_ssh_backend.upload_skip(h, len, error);
}

static gboolean
target_cloudstack_upload_finish(gpointer h, GError **error)
{
    return target_ssh_backend.upload_finish(h, error);
}

static void
target_cloudstack_upload_close(gpointer h)
{
    target_ssh_backend.upload_close(h);
}

static char *
target_cloudstack_sha256(Target *t, const char *name, GError **error)
{
    Target *s = cs_ssh(t, error);

    return s ? s->backend->sha256(s, name, error) : NULL;
}

static const char *
target_cloudstack_transport(const Target *t)
{
    const CsTarget *ct = t->priv;

    return ct && ct->ssh ? target_get_transport(ct->ssh) : "sftp";
}

static const char *
target_cloudstack_output_format(const Target *t, const char **options)
{
    /* KVM's file pools hold qcow2 volumes. */
    return "qcow2";
}

/* ---- importVm ---------------------------------------------------------- */

typedef struct {
    gint64 vcpus;
    gint64 memory_mib;
    GPtrArray *macs;             /* in <interface> order: listVmsForImport's */
} CsDomain;

static gint64
cs_xml_int(xmlNodePtr n)
{
    xmlChar *text = xmlNodeGetContent(n);
    gint64 v = text ? g_ascii_strtoll((const char *)text, NULL, 10) : -1;

    xmlFree(text);
    return v;
}

/* vCPUs, memory and MACs as the inventory reads them (agent/inventory). */
static void
cs_domain_read(const char *xml, CsDomain *d)
{
    xmlDocPtr doc;
    xmlNodePtr root, c, dev;

    d->vcpus = -1;
    d->memory_mib = -1;
    d->macs = g_ptr_array_new_with_free_func(g_free);
    if (!xml)
        return;
    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (c = root ? root->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (g_str_equal((const char *)c->name, "vcpu")) {
            xmlChar *cur = xmlGetProp(c, (const xmlChar *)"current");

            d->vcpus = cur ? g_ascii_strtoll((const char *)cur, NULL, 10)
                           : cs_xml_int(c);
            xmlFree(cur);
        } else if (g_str_equal((const char *)c->name, "memory")) {
            xmlChar *unit = xmlGetProp(c, (const xmlChar *)"unit");
            gint64 v = cs_xml_int(c);
            const char *u = unit ? (const char *)unit : "KiB";

            if (g_ascii_strcasecmp(u, "MiB") == 0 ||
                g_ascii_strcasecmp(u, "M") == 0)
                d->memory_mib = v;
            else if (g_ascii_strcasecmp(u, "GiB") == 0 ||
                     g_ascii_strcasecmp(u, "G") == 0)
                d->memory_mib = v * 1024;
            else if (g_ascii_strcasecmp(u, "b") == 0 ||
                     g_ascii_strcasecmp(u, "bytes") == 0)
                d->memory_mib = v / (1024 * 1024);
            else
                d->memory_mib = v / 1024;
            xmlFree(unit);
        } else if (g_str_equal((const char *)c->name, "devices")) {
            for (dev = c->children; dev; dev = dev->next) {
                xmlNodePtr m;
                char *mac = NULL;

                if (dev->type != XML_ELEMENT_NODE ||
                    !g_str_equal((const char *)dev->name, "interface"))
                    continue;
                for (m = dev->children; m; m = m->next) {
                    xmlChar *a;

                    if (m->type != XML_ELEMENT_NODE ||
                        !g_str_equal((const char *)m->name, "mac"))
                        continue;
                    a = xmlGetProp(m, (const xmlChar *)"address");
                    if (a && ferry_check_text("mac", (const char *)a, 32,
                                              NULL))
                        mac = g_ascii_strdown((const char *)a, -1);
                    xmlFree(a);
                }
                g_ptr_array_add(d->macs, mac ? mac : g_strdup(""));
            }
        }
    }
    xmlFreeDoc(doc);
}

/* A VM of that name in the zone: its id (a resumed export's import). */
static gboolean
cs_find_vm(CsTarget *ct, const char *name, char **id, GError **error)
{
    g_autoptr(GPtrArray) p = cs_params_new();
    g_autoptr(JsonObject) o = NULL;
    JsonArray *a;
    guint i;

    *id = NULL;
    cs_params_add(p, "name", name);
    cs_params_add(p, "zoneid", ct->zone);
    cs_params_add(p, "listall", "true");
    if (!cs_call(ct->client, "listVirtualMachines", p, &o, error))
        return FALSE;
    a = cs_json_list(o, "virtualmachine");
    for (i = 0; a && i < json_array_get_length(a); i++) {
        JsonNode *n = json_array_get_element(a, i);
        JsonObject *vm = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n)
                                                  : NULL;
        g_autofree char *vname = cs_json_dup_string(vm, "name");

        /* listVirtualMachines' name matches by substring. */
        if (vname && g_str_equal(vname, name)) {
            *id = cs_json_dup_string(vm, "id");
            return TRUE;
        }
    }
    return TRUE;
}

static void
cs_on_progress(int percent, const char *status, gpointer data)
{
    const TargetExport *exp = data;

    if (exp->phase)
        exp->phase("import", percent, status, exp->phase_data);
}

static CsParams *
cs_import_params(Target *t, const TargetExport *exp, const CsDomain *d,
                 GError **error)
{
    CsTarget *ct = cs_target(t);
    const TargetOptions *o = t->opts;
    g_autoptr(GPtrArray) p = cs_params_new();
    guint i, n = g_strv_length((char **)exp->files);

    if (n == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "domain '%s': no disk to import", exp->vm);
        return NULL;
    }
    if (n > 1 && !o->cs_disk_offering) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "domain '%s' has %u data disks: --disk-offering is "
                    "required for datadiskofferinglist", exp->vm, n - 1);
        return NULL;
    }
    cs_params_add(p, "zoneid", ct->zone);
    cs_params_add(p, "importsource", "shared");
    cs_params_add(p, "storageid", ct->pool_id);
    cs_params_add(p, "diskpath", exp->files[0]);
    cs_params_add(p, "hypervisor", "kvm");
    cs_params_add(p, "name", exp->vm);
    cs_params_add(p, "displayname", exp->vm);
    cs_params_add(p, "serviceofferingid", o->cs_service_offering);
    cs_params_add(p, "networkid", o->cs_network);
    for (i = 0; i < d->macs->len; i++) {
        g_autofree char *nic = g_strdup_printf("nicnetworklist[%u].nic", i);
        g_autofree char *net = g_strdup_printf("nicnetworklist[%u].network",
                                               i);
        g_autofree char *mac = g_strdup_printf(
            "nicnetworklist[%u].macaddress", i);

        cs_params_addf(p, nic, "%u", i);
        cs_params_add(p, net, o->cs_network);
        if (*(const char *)g_ptr_array_index(d->macs, i))
            cs_params_add(p, mac, g_ptr_array_index(d->macs, i));
    }
    for (i = 1; i < n; i++) {
        g_autofree char *disk = g_strdup_printf("datadiskofferinglist[%u].disk",
                                                i - 1);
        g_autofree char *off = g_strdup_printf(
            "datadiskofferinglist[%u].diskOffering", i - 1);

        cs_params_add(p, disk, exp->files[i]);
        cs_params_add(p, off, o->cs_disk_offering);
    }
    if (ct->custom_offering) {
        if (d->vcpus < 1 || d->memory_mib < 1) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "domain '%s': the custom service offering needs its "
                        "vCPUs and memory, which its XML does not give",
                        exp->vm);
            return NULL;
        }
        cs_params_addf(p, "details[0].cpuNumber", "%" G_GINT64_FORMAT,
                       d->vcpus);
        cs_params_addf(p, "details[0].memory", "%" G_GINT64_FORMAT,
                       d->memory_mib);
    }
    return g_steal_pointer(&p);
}

static gboolean
target_cloudstack_import(Target *t, const TargetExport *exp, char **vm_id,
                         GError **error)
{
    CsTarget *ct = cs_target(t);
    CsDomain d = { 0 };
    g_autoptr(GPtrArray) p = NULL;
    g_autoptr(JsonObject) o = NULL, result = NULL;
    g_autofree char *existing = NULL, *jobid = NULL;
    JsonNode *vm;
    gboolean ok = FALSE;

    cs_domain_read(exp->domain_xml, &d);
    p = cs_import_params(t, exp, &d, error);
    if (!p)
        goto out;
    if (!cs_find_vm(ct, exp->vm, &existing, error))
        goto out;
    if (exp->dry_run) {
        g_autofree char *call = cs_call_describe(ct->client, "importVm", p);
        g_autofree char *text = g_strdup_printf(
            "dry run: %s: every id exists; the call would be:\n%s\n%s",
            t->name, call,
            existing ? "(a VM of that name exists: the import would be "
                       "skipped)\n" : "");

        if (t->opts->notice)
            t->opts->notice(text, t->opts->notice_data);
        ok = TRUE;
        goto out;
    }
    if (existing) {
        g_info("%s: VM '%s' is there already (%s): not imported again",
               t->name, exp->vm, existing);
        if (exp->phase)
            exp->phase("import", 100, "imported by an earlier run",
                       exp->phase_data);
        *vm_id = g_steal_pointer(&existing);
        ok = TRUE;
        goto out;
    }
    if (exp->phase)
        exp->phase("import", 0, "importVm", exp->phase_data);
    if (!cs_call(ct->client, "importVm", p, &o, error))
        goto out;
    jobid = cs_json_dup_string(o, "jobid");
    if (!jobid) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "cloudstack importVm: no jobid in the answer");
        goto out;
    }
    g_info("%s: importVm job %s", t->name, jobid);
    if (!cs_wait_job(ct->client, "importVm", jobid, 0, cs_on_progress,
                     (gpointer)exp, &result, error))
        goto out;
    vm = json_object_get_member(result, "virtualmachine");
    *vm_id = vm && JSON_NODE_HOLDS_OBJECT(vm)
                 ? cs_json_dup_string(json_node_get_object(vm), "id")
                 : NULL;
    if (!*vm_id) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "cloudstack importVm: job %s: no virtualmachine id in "
                    "the jobresult", jobid);
        goto out;
    }
    ok = TRUE;
out:
    g_ptr_array_unref(d.macs);
    return ok;
}

static gboolean
target_cloudstack_finish_export(Target *t, const TargetExport *exp,
                                char **image_id, GError **error)
{
    if (target_cloudstack_import(t, exp, image_id, error))
        return TRUE;
    g_prefix_error(error, "%s: ", t->name);
    return FALSE;
}

const struct ferry_target target_cloudstack_backend = {
    .scheme = "cloudstack",
    .connect = target_cloudstack_connect,
    .disconnect = target_cloudstack_disconnect,
    .free_space = target_cloudstack_free_space,
    .stat = target_cloudstack_stat,
    .unlink = target_cloudstack_unlink,
    .rename = target_cloudstack_rename,
    .upload_open = target_cloudstack_upload_open,
    .upload_write = target_cloudstack_upload_write,
    .upload_skip = target_cloudstack_upload_skip,
    .upload_finish = target_cloudstack_upload_finish,
    .upload_close = target_cloudstack_upload_close,
    .sha256 = target_cloudstack_sha256,
    .finish_export = target_cloudstack_finish_export,
    .output_format = target_cloudstack_output_format,
    .free_priv = target_cloudstack_free_priv,
    .transport = target_cloudstack_transport,
};
