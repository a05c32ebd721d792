/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inventory.c: which libvirt domains can be exported, and what they hold.
 *
 * One read-only connection (virConnectOpenReadOnly: listing needs no write
 * access and so works for any user libvirt lets read).  Every domain is
 * sorted into "listed" or "skipped", the first rule that applies giving the
 * reason:
 *   1. transient (not persistent)     "transient: not defined on this host"
 *   2. not shut off                   "running", "paused", "shutting down",
 *                                     "crashed", "suspended (pmsuspended)"
 *   3. its XML cannot be parsed       the parser's message
 *   4. a disk cannot be read as an image here: network disks, no source,
 *      encrypted, a volume in a missing or network pool, a missing file,
 *      a format conv/ refuses, a broken backing chain (inventory-xml.c,
 *      inventory-disk.c)
 *   5. a managed save image (a saved memory state the export would lose)
 * With AGENT_INVENTORY_ALL (`ferry list --all`), a domain stopped only by
 * rule 1 or 2 is listed anyway, with its powerstate, its disks read like
 * any other's, and "exportable": false plus the reason in the JSON.
 *
 * libvirt's own error printing is silenced (virSetErrorFunc); its errors
 * become one GError that names the URI, with a FERRY_ERROR code chosen from
 * virError's code (and errno for system errors).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/xmlerror.h>

#include "agent/inventory-priv.h"
#include "agent/libvirt-priv.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStoragePool, virStoragePoolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStorageVol, virStorageVolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNetwork, virNetworkFree)

/* What one walk over the domains shares (owned here, freed at the end). */
typedef struct {
    virConnectPtr conn;
    AgentInventoryFlags flags;
    char *hostname;
    int cpu_mhz;
    GPtrArray *pools;            /* of InventoryPool, active pools only */
    GHashTable *networks;        /* name -> network XML, or NULL if none */
} InventoryWalk;

static void
inventory_walk_clear(InventoryWalk *walk)
{
    g_free(walk->hostname);
    if (walk->pools)
        g_ptr_array_unref(walk->pools);
    if (walk->networks)
        g_hash_table_unref(walk->networks);
}

void
agent_inventory_free(AgentInventory *inv)
{
    if (!inv)
        return;
    g_free(inv->uri);
    if (inv->listed)
        g_ptr_array_unref(inv->listed);
    if (inv->skipped)
        g_ptr_array_unref(inv->skipped);
    g_free(inv);
}

const char *
agent_inventory_default_uri(void)
{
    const char *env = g_getenv("LIBVIRT_DEFAULT_URI");

    return env && *env ? env : "qemu:///system";
}

static void
inventory_silence_libvirt(void *data, virErrorPtr err)
{
    /* libvirt prints every error to stderr by default; ferry reports the
     * one that matters, once, itself. */
}

static void
inventory_silence_libxml(void *data, const char *fmt, ...)
{
    /* libvirt's test driver parses its XML file in this process; a
     * missing file would otherwise print libxml2's "I/O warning" too. */
}

static const char *
inventory_libvirt_message(void)
{
    virErrorPtr err = virGetLastError();

    return err && err->message ? err->message : "unknown libvirt error";
}

static FerryError
inventory_libvirt_code(void)
{
    virErrorPtr err = virGetLastError();

    if (!err)
        return FERRY_ERROR_FAILED;
    switch (err->code) {
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_NO_SUPPORT:
        return FERRY_ERROR_INVALID;       /* no driver for this URI */
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_ACCESS_DENIED:
        return FERRY_ERROR_AUTH;
    case VIR_ERR_SYSTEM_ERROR:
        /* int1 carries errno for system errors. */
        if (err->int1 == EACCES || err->int1 == EPERM)
            return FERRY_ERROR_AUTH;
        return FERRY_ERROR_NETWORK;       /* socket absent, refused */
    case VIR_ERR_RPC:
        return FERRY_ERROR_NETWORK;
    default:
        return FERRY_ERROR_FAILED;
    }
}

/* The connect failure: libvirt's message names a socket, which tells a
 * new user nothing about what to do, so a local daemon that is not there
 * (no socket, or nobody listening) gets what to start. */
static void
inventory_connect_error(const char *uri, GError **error)
{
    virErrorPtr err = virGetLastError();
    FerryError code = inventory_libvirt_code();
    g_autoptr(GUri) parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
    gboolean local =
        !parsed || !g_uri_get_host(parsed) || !*g_uri_get_host(parsed);

    if (code == FERRY_ERROR_NETWORK && local && err &&
        err->code == VIR_ERR_SYSTEM_ERROR &&
        (err->int1 == ENOENT || err->int1 == ECONNREFUSED)) {
        g_set_error(error, FERRY_ERROR, code,
                    "%s: cannot connect: libvirt is not running here "
                    "(start it: systemctl start libvirtd): %s", uri,
                    inventory_libvirt_message());
        return;
    }
    g_set_error(error, FERRY_ERROR, code, "%s: cannot connect: %s", uri,
                inventory_libvirt_message());
}

/* CloudStack's UnmanagedInstanceTO.PowerState, and libvirt's words for
 * people; the reason is NULL for the one exportable state. */
static void
inventory_describe_state(int state, const char **powerstate, const char **words,
                         const char **reason)
{
    *powerstate = "PowerOn";
    *reason = NULL;
    switch (state) {
    case VIR_DOMAIN_SHUTOFF:
        *powerstate = "PowerOff";
        *words = "shut off";
        return;
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
        *words = *reason = "running";
        return;
    case VIR_DOMAIN_PAUSED:
        *words = *reason = "paused";
        return;
    case VIR_DOMAIN_SHUTDOWN:
        *words = *reason = "shutting down";
        return;
    case VIR_DOMAIN_CRASHED:
        *powerstate = "PowerOff";
        *words = *reason = "crashed";
        return;
    case VIR_DOMAIN_PMSUSPENDED:
        *words = *reason = "suspended (pmsuspended)";
        return;
    default:
        *powerstate = "PowerUnknown";
        *words = *reason = "in no known state";
        return;
    }
}

static GPtrArray *
inventory_load_pools(virConnectPtr conn)
{
    GPtrArray *pools =
        g_ptr_array_new_with_free_func((GDestroyNotify)inventory_pool_free);
    virStoragePoolPtr *list = NULL;
    int n, i;

    /* A host without the storage driver has no pools: not an error. */
    n = virConnectListAllStoragePools(conn, &list,
                                      VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
    for (i = 0; i < n; i++) {
        g_autoptr(virStoragePool) pool = list[i];
        g_autofree char *xml = virStoragePoolGetXMLDesc(pool, 0);
        g_autoptr(GError) error = NULL;
        InventoryPool *parsed;

        if (!xml)
            continue;
        parsed = inventory_pool_parse_xml(xml, strlen(xml), &error);
        if (parsed)
            g_ptr_array_add(pools, parsed);
        else
            g_debug("%s", error->message);
    }
    free(list);
    virResetLastError();
    return pools;
}

static const InventoryPool *
inventory_find_pool(InventoryWalk *walk, const char *name)
{
    guint i;

    for (i = 0; i < walk->pools->len; i++) {
        const InventoryPool *pool = g_ptr_array_index(walk->pools, i);

        if (g_str_equal(pool->name, name))
            return pool;
    }
    return NULL;
}

/* type='volume': the volume's path, and its format unless the disk
 * declares one.  Returns a skip reason, or NULL. */
static char *
inventory_resolve_volume(InventoryWalk *walk, AgentDisk *disk)
{
    static const char *const network_pools[] = {
        "rbd", "gluster", "sheepdog", "iscsi-direct", "vstorage", NULL,
    };
    g_autoptr(virStoragePool) pool = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *path = NULL;
    g_autofree char *format = NULL;
    const InventoryPool *known;

    pool = virStoragePoolLookupByName(walk->conn, disk->pool);
    if (!pool)
        return g_strdup_printf("disk %s: storage pool '%s' not found",
                               disk->target, disk->pool);
    known = inventory_find_pool(walk, disk->pool);
    if (!known)
        return g_strdup_printf("disk %s: storage pool '%s' is not active",
                               disk->target, disk->pool);
    if (known->type && g_strv_contains(network_pools, known->type))
        return g_strdup_printf("disk %s is a volume of %s pool '%s': not "
                               "readable on this host", disk->target,
                               known->type, disk->pool);
    vol = virStorageVolLookupByName(pool, disk->volume);
    if (!vol)
        return g_strdup_printf(
            "disk %s: volume '%s' not found in storage pool '%s'", disk->target,
            disk->volume, disk->pool);
    xml = virStorageVolGetXMLDesc(vol, 0);
    if (!xml)
        return g_strdup_printf("disk %s: volume '%s': %s", disk->target,
                               disk->volume, inventory_libvirt_message());
    if (!inventory_volume_parse_xml(xml, strlen(xml), &path, &format, &error))
        return g_strdup_printf("disk %s: %s", disk->target, error->message);
    if (!path)
        return g_strdup_printf("disk %s: volume '%s' has no path", disk->target,
                               disk->volume);
    disk->path = g_steal_pointer(&path);
    /* A dir pool calls files it cannot identify "raw" or "iso"; only a
     * format conv/ knows is worth declaring, else conv/ probes. */
    if (!disk->declared_format && format && conv_format_is_known(format))
        disk->declared_format = g_steal_pointer(&format);
    return NULL;
}

static void
inventory_resolve_vlan(InventoryWalk *walk, AgentNic *nic)
{
    g_autoptr(GError) error = NULL;
    const char *xml;

    if (nic->has_vlan || !nic->source || !nic->source_type ||
        !g_str_equal(nic->source_type, "network"))
        return;
    if (!g_hash_table_contains(walk->networks, nic->source)) {
        g_autoptr(virNetwork) net =
            virNetworkLookupByName(walk->conn, nic->source);

        g_hash_table_insert(walk->networks, g_strdup(nic->source),
                            net ? virNetworkGetXMLDesc(net, 0) : NULL);
        virResetLastError();
    }
    xml = g_hash_table_lookup(walk->networks, nic->source);
    if (xml && !inventory_network_parse_vlan(xml, strlen(xml), nic->portgroup,
                                             &nic->vlan, &error))
        g_debug("network '%s': %s", nic->source, error->message);
}

/* Fills the disks from their images; sets the skip reason on the first
 * disk that cannot be read. */
static void
inventory_resolve_devices(InventoryWalk *walk, AgentDomain *domain)
{
    guint i;

    for (i = 0; i < domain->disks->len && !domain->skip_reason; i++) {
        AgentDisk *disk = g_ptr_array_index(domain->disks, i);

        if (disk->pool)
            domain->skip_reason = inventory_resolve_volume(walk, disk);
        if (!domain->skip_reason)
            domain->skip_reason = inventory_disk_open(disk);
        if (!domain->skip_reason)
            inventory_disk_set_datastore(disk, walk->pools);
    }
    for (i = 0; i < domain->nics->len; i++)
        inventory_resolve_vlan(walk, g_ptr_array_index(domain->nics, i));
}

/* One domain, sorted; NULL when it vanished while we looked. */
static AgentDomain *
inventory_examine(InventoryWalk *walk, virDomainPtr dom)
{
    g_autoptr(AgentDomain) domain = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    const char *name = virDomainGetName(dom);
    const char *powerstate, *words, *state_reason;
    int state = VIR_DOMAIN_NOSTATE, state_why, persistent;

    if (virDomainGetState(dom, &state, &state_why, 0) < 0 ||
        (persistent = virDomainIsPersistent(dom)) < 0 ||
        !(xml = virDomainGetXMLDesc(dom, persistent ? VIR_DOMAIN_XML_INACTIVE
                                                    : 0))) {
        virErrorPtr err = virGetLastError();

        if (err && err->code == VIR_ERR_NO_DOMAIN)
            return NULL;            /* undefined while we listed */
        domain = g_new0(AgentDomain, 1);
        domain->skip_reason =
            g_strdup_printf("libvirt: %s", inventory_libvirt_message());
        persistent = 1;
    } else {
        domain = inventory_domain_parse_xml(xml, strlen(xml), &error);
        if (!domain) {
            g_autofree char *prefix = g_strdup_printf("domain '%s': ", name);
            const char *msg = error->message;

            /* The skipped entry names the domain already. */
            if (g_str_has_prefix(msg, prefix))
                msg += strlen(prefix);
            domain = g_new0(AgentDomain, 1);
            domain->skip_reason = g_strdup(msg);
        }
    }
    if (!domain->disks) {
        domain->disks =
            g_ptr_array_new_with_free_func((GDestroyNotify)agent_disk_free);
        domain->nics =
            g_ptr_array_new_with_free_func((GDestroyNotify)agent_nic_free);
        domain->memory_mib = domain->vcpus = domain->cpu_speed_mhz = -1;
        domain->sockets = domain->cores = domain->threads = -1;
    }
    g_free(domain->name);
    domain->name = g_strdup(name);
    inventory_describe_state(state, &powerstate, &words, &state_reason);
    domain->powerstate = g_strdup(powerstate);
    domain->state = g_strdup(words);
    domain->hostname = g_strdup(walk->hostname);
    domain->cpu_speed_mhz = walk->cpu_mhz;
    if (!persistent)
        state_reason = "transient: not defined on this host";

    if (state_reason && !(walk->flags & AGENT_INVENTORY_ALL)) {
        g_free(domain->skip_reason);
        domain->skip_reason = g_strdup(state_reason);
        return g_steal_pointer(&domain);
    }
    if (!domain->skip_reason)
        inventory_resolve_devices(walk, domain);
    if (!domain->skip_reason && !state_reason &&
        virDomainHasManagedSaveImage(dom, 0) == 1)
        domain->skip_reason =
            g_strdup("has a managed save image (a saved memory "
                     "state): start it and shut it down first");
    if (!domain->skip_reason && state_reason) {
        domain->listed_anyway = TRUE;
        domain->skip_reason = g_strdup(state_reason);
    }
    virResetLastError();
    return g_steal_pointer(&domain);
}

static gint
inventory_compare_names(gconstpointer a, gconstpointer b)
{
    const AgentDomain *da = *(const AgentDomain *const *)a;
    const AgentDomain *db = *(const AgentDomain *const *)b;

    return g_strcmp0(da->name, db->name);
}

virConnectPtr
agent_libvirt_open(const char *uri, GError **error)
{
    virConnectPtr conn;

    if (!uri)
        uri = agent_inventory_default_uri();
    /* libvirt calls an unparsable URI an internal error; it is the
     * caller's.  (Names without a colon may be libvirt.conf aliases.) */
    if (strchr(uri, ':') && !g_uri_is_valid(uri, G_URI_FLAGS_NONE, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: cannot connect: not a valid URI", uri);
        return NULL;
    }
    virSetErrorFunc(NULL, inventory_silence_libvirt);
    conn = virConnectOpenReadOnly(uri);
    if (!conn)
        inventory_connect_error(uri, error);
    return conn;
}

AgentInventory *
agent_inventory_collect(const char *uri, AgentInventoryFlags flags,
                        GError **error)
{
    g_autoptr(AgentInventory) inv = g_new0(AgentInventory, 1);
    g_autoptr(virConnect) conn = NULL;
    InventoryWalk walk = { 0 };
    virDomainPtr *doms = NULL;
    virNodeInfo node;
    char *hostname;
    int n, i;

    if (!uri)
        uri = agent_inventory_default_uri();
    xmlSetGenericErrorFunc(NULL, inventory_silence_libxml);
    conn = agent_libvirt_open(uri, error);
    if (!conn)
        return NULL;
    inv->uri = g_strdup(uri);
    inv->listed =
        g_ptr_array_new_with_free_func((GDestroyNotify)agent_domain_free);
    inv->skipped =
        g_ptr_array_new_with_free_func((GDestroyNotify)agent_domain_free);

    walk.conn = conn;
    walk.flags = flags;
    walk.cpu_mhz = -1;
    hostname = virConnectGetHostname(conn);
    walk.hostname = g_strdup(hostname);
    free(hostname);
    if (virNodeGetInfo(conn, &node) == 0 && node.mhz > 0 &&
        node.mhz <= G_MAXINT)
        walk.cpu_mhz = (int)node.mhz;
    virResetLastError();
    walk.pools = inventory_load_pools(conn);
    walk.networks =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free);

    n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0) {
        g_set_error(error, FERRY_ERROR, inventory_libvirt_code(),
                    "%s: cannot list domains: %s", uri,
                    inventory_libvirt_message());
        inventory_walk_clear(&walk);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        g_autoptr(virDomain) dom = doms[i];
        AgentDomain *domain = inventory_examine(&walk, dom);

        if (!domain)
            continue;
        if (!domain->skip_reason || domain->listed_anyway)
            g_ptr_array_add(inv->listed, domain);
        else
            g_ptr_array_add(inv->skipped, domain);
    }
    free(doms);
    inventory_walk_clear(&walk);
    g_ptr_array_sort(inv->listed, inventory_compare_names);
    g_ptr_array_sort(inv->skipped, inventory_compare_names);
    return g_steal_pointer(&inv);
}
