/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inventory-xml.c: libvirt's domain, network, storage pool and volume XML
 * (https://libvirt.org/formatdomain.html, formatnetwork.html,
 * formatstorage.html) turned into the plain structs of agent.h, with
 * libxml2 and XPath.
 *
 * The text is treated as hostile even though libvirtd wrote it: it is
 * refused above INVENTORY_MAX_XML_BYTES before libxml2 sees it, parsed
 * without network access and without a DOCTYPE (so no entity can expand),
 * and every number is checked against a named limit.  A disk that cannot be
 * exported is no parse error: it sets the domain's skip_reason, and the
 * first such reason wins.
 *
 * What each element becomes:
 *   /domain/name, /domain/uuid                     name, uuid
 *   /domain/memory (+ @unit, KiB by default)       memory_mib (floor)
 *   /domain/vcpu (@current if set, else the text)   vcpus
 *   /domain/cpu/topology @sockets @cores @threads  sockets, cores, threads
 *   /domain/metadata/libosinfo:libosinfo/os/@id    os
 *   /domain/os/@firmware, os/loader, os/type/@arch  firmware "uefi" or "bios"
 *   /domain/os/type/@machine, @arch                machine, arch
 *   devices/disk, device disk or lun (cdrom and floppy are left out):
 *     target @dev @bus, driver @type (the declared format),
 *     source @file (type file), @dev (block), @pool @volume (volume);
 *     address[@type='drive'] @controller @unit; position is the unit,
 *     else the index in the target name (vdc: 2), as libvirt assigns it.
 *   devices/interface: mac @address, model @type, source @network
 *     (+ @portgroup) / @bridge / @dev, the one vlan/tag @id unless a trunk,
 *     address[@type='pci'] @slot.
 */
#include <config.h>

#include <string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "agent/inventory-priv.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

#define INVENTORY_LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"

void
agent_disk_free(AgentDisk *disk)
{
    if (!disk)
        return;
    g_free(disk->target);
    g_free(disk->bus);
    g_free(disk->source_type);
    g_free(disk->path);
    g_free(disk->pool);
    g_free(disk->volume);
    g_free(disk->declared_format);
    g_free(disk->format);
    g_free(disk->datastore_path);
    g_free(disk->datastore_name);
    g_free(disk->datastore_type);
    g_free(disk->datastore_host);
    g_free(disk);
}

void
agent_nic_free(AgentNic *nic)
{
    if (!nic)
        return;
    g_free(nic->mac);
    g_free(nic->model);
    g_free(nic->source_type);
    g_free(nic->source);
    g_free(nic->portgroup);
    g_free(nic);
}

void
agent_domain_free(AgentDomain *domain)
{
    if (!domain)
        return;
    g_free(domain->name);
    g_free(domain->uuid);
    g_free(domain->powerstate);
    g_free(domain->state);
    g_free(domain->os);
    g_free(domain->firmware);
    g_free(domain->machine);
    g_free(domain->arch);
    g_free(domain->hostname);
    if (domain->disks)
        g_ptr_array_unref(domain->disks);
    if (domain->nics)
        g_ptr_array_unref(domain->nics);
    g_free(domain->skip_reason);
    g_free(domain);
}

void
inventory_pool_free(InventoryPool *pool)
{
    if (!pool)
        return;
    g_free(pool->name);
    g_free(pool->type);
    g_free(pool->target_path);
    g_free(pool->host);
    g_free(pool);
}

/* Parses @len bytes of @what XML ("domain", "network"...) into a tree. */
static xmlDoc *
inventory_xml_read(const char *xml, gsize len, const char *what,
                   const char *root_name, GError **error)
{
    g_autoptr(xmlParserCtxt) pctxt = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *root;

    if (len > INVENTORY_MAX_XML_BYTES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s XML is %" G_GSIZE_FORMAT
                    " bytes, more than the limit of %d",
                    what, len, INVENTORY_MAX_XML_BYTES);
        return NULL;
    }
    pctxt = xmlNewParserCtxt();
    if (!pctxt) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "%s XML: cannot create a parser", what);
        return NULL;
    }
    doc = xmlCtxtReadMemory(pctxt, xml, (int)len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *xerr = xmlCtxtGetLastError(pctxt);
        g_autofree char *msg = g_strdup(xerr && xerr->message ? xerr->message :
                                        "not well-formed");

        g_strstrip(g_strdelimit(msg, "\r\n", ' '));
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s XML: line %d: %s", what, xerr ? xerr->line : 0, msg);
        return NULL;
    }
    /* libvirt never writes a DOCTYPE; refusing one keeps every entity, and
     * so every expansion, out. */
    if (doc->intSubset || doc->extSubset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s XML: a DOCTYPE is not allowed", what);
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (!root || !xmlStrEqual(root->name, (const xmlChar *)root_name)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s XML: root element is <%s>, not <%s>", what,
                    root ? (const char *)root->name : "", root_name);
        return NULL;
    }
    return g_steal_pointer(&doc);
}

/* The string value of @expr evaluated at @node, or NULL when empty. */
static char *
inventory_xpath_string(xmlXPathContext *ctxt, xmlNode *node, const char *expr)
{
    g_autoptr(xmlXPathObject) obj = NULL;

    ctxt->node = node;
    obj = xmlXPathEval((const xmlChar *)expr, ctxt);
    if (!obj || obj->type != XPATH_STRING || !obj->stringval ||
        !obj->stringval[0])
        return NULL;
    return g_strdup((const char *)obj->stringval);
}

/* The nodes @expr selects at @node (borrowed from the returned object). */
static xmlXPathObject *
inventory_xpath_nodes(xmlXPathContext *ctxt, xmlNode *node, const char *expr,
                      int *count)
{
    xmlXPathObject *obj;

    ctxt->node = node;
    obj = xmlXPathEval((const xmlChar *)expr, ctxt);
    *count = 0;
    if (obj && obj->type == XPATH_NODESET && obj->nodesetval)
        *count = obj->nodesetval->nodeNr;
    return obj;
}

/* Whole numbers as libvirt writes them: decimal, or hex with 0x (PCI). */
static gboolean
inventory_parse_number(const char *text, guint64 max, guint64 *out)
{
    guint base = 10;

    if (!text)
        return FALSE;
    if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
        text += 2;
        base = 16;
    }
    return g_ascii_string_to_unsigned(text, base, 0, max, out, NULL);
}

/* Reads the number @expr selects into @out (-1 when absent); an unreadable
 * one is an error naming @what. */
static gboolean
inventory_xpath_int(xmlXPathContext *ctxt, xmlNode *node, const char *expr,
                    const char *what, guint64 min, guint64 max, int *out,
                    GError **error)
{
    g_autofree char *text = inventory_xpath_string(ctxt, node, expr);
    guint64 value;

    *out = -1;
    if (!text)
        return TRUE;
    if (!inventory_parse_number(text, max, &value) || value < min) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s '%s' is not a whole number from %" G_GUINT64_FORMAT
                    " to %" G_GUINT64_FORMAT, what, text, min, max);
        return FALSE;
    }
    *out = (int)value;
    return TRUE;
}

gboolean
inventory_parse_memory(const char *value, const char *unit, guint64 *bytes)
{
    static const char scales[] = "kmgtpe";
    const char *pos;
    guint64 n, scale = 1, base = 1024;
    int power, i;

    if (!value ||
        !g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &n, NULL))
        return FALSE;
    /* libvirt's units: b or bytes; k, KiB (1024) or KB (1000); up to E. */
    if (!unit)
        unit = "KiB";
    if (g_str_equal(unit, "b") || g_str_equal(unit, "bytes")) {
        power = 0;
    } else {
        pos = strchr(scales, g_ascii_tolower(unit[0]));
        if (!unit[0] || !pos)
            return FALSE;
        power = (int)(pos - scales) + 1;
        if (unit[1] == '\0' || g_ascii_strcasecmp(unit + 1, "iB") == 0)
            base = 1024;
        else if (g_ascii_tolower(unit[1]) == 'b' && unit[2] == '\0')
            base = 1000;
        else
            return FALSE;
    }
    for (i = 0; i < power; i++)
        scale *= base;
    if (n > G_MAXUINT64 / scale)
        return FALSE;
    *bytes = n * scale;
    return TRUE;
}

int
inventory_disk_name_index(const char *name)
{
    static const char *const prefixes[] = {
        "xvd", "ubd", "vd", "sd", "hd", "fd"
    };
    const char *p = NULL;
    gint64 index = 0;
    gsize i;

    if (!name)
        return -1;
    for (i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        if (g_str_has_prefix(name, prefixes[i])) {
            p = name + strlen(prefixes[i]);
            break;
        }
    }
    if (!p || !*p)
        return -1;
    /* Bijective base 26 as libvirt counts: a=0 ... z=25, aa=26. */
    for (; *p; p++) {
        if (*p < 'a' || *p > 'z' || index > INVENTORY_MAX_DEVICES * 26)
            return -1;
        index = index * 26 + (*p - 'a' + 1);
    }
    return (int)(index - 1);
}

static void
inventory_domain_skip(AgentDomain *domain, char *reason)
{
    if (!domain->skip_reason)
        domain->skip_reason = reason;
    else
        g_free(reason);
}

static const char *
inventory_article(const char *word)
{
    /* For "an rbd network disk" and "a gluster network disk". */
    static const char *const an[] = {
        "rbd", "iscsi", "nbd", "nfs", "http", "https", "ftp", "ftps", "ssh",
        "vxhs", NULL,
    };

    return g_strv_contains(an, word) ? "an" : "a";
}

/* One <disk>; a disk that cannot be exported sets the domain's reason. */
static gboolean
inventory_parse_disk(xmlXPathContext *ctxt, xmlNode *node, guint index,
                     AgentDomain *domain, GError **error)
{
    g_autoptr(AgentDisk) disk = g_new0(AgentDisk, 1);
    g_autofree char *device =
        inventory_xpath_string(ctxt, node, "string(@device)");
    g_autofree char *what = NULL;
    g_autofree char *encryption = NULL;
    g_autofree char *protocol = NULL;

    if (device &&
        (g_str_equal(device, "cdrom") || g_str_equal(device, "floppy")))
        return TRUE;
    disk->controller = disk->unit = disk->position = -1;
    disk->capacity = -1;
    disk->target = inventory_xpath_string(ctxt, node, "string(target/@dev)");
    if (!disk->target) {
        inventory_domain_skip(domain, g_strdup_printf(
            "disk #%u has no <target dev>", index + 1));
        return TRUE;
    }
    what = g_strdup_printf("disk %s: <address controller>", disk->target);
    if (!inventory_xpath_int(ctxt, node,
                             "string(address[@type='drive']/@controller)", what,
                             0, G_MAXINT32, &disk->controller, error))
        return FALSE;
    g_free(what);
    what = g_strdup_printf("disk %s: <address unit>", disk->target);
    if (!inventory_xpath_int(ctxt, node, "string(address[@type='drive']/@unit)",
                             what, 0, G_MAXINT32, &disk->unit, error))
        return FALSE;
    disk->position = disk->unit >= 0 ? disk->unit :
                     inventory_disk_name_index(disk->target);
    disk->bus = inventory_xpath_string(ctxt, node, "string(target/@bus)");
    disk->declared_format =
        inventory_xpath_string(ctxt, node, "string(driver/@type)");
    disk->source_type = inventory_xpath_string(ctxt, node, "string(@type)");
    if (!disk->source_type)
        disk->source_type = g_strdup("file");   /* libvirt's default */

    if (g_str_equal(disk->source_type, "file")) {
        disk->path = inventory_xpath_string(ctxt, node, "string(source/@file)");
    } else if (g_str_equal(disk->source_type, "block")) {
        disk->path = inventory_xpath_string(ctxt, node, "string(source/@dev)");
    } else if (g_str_equal(disk->source_type, "volume")) {
        disk->pool = inventory_xpath_string(ctxt, node, "string(source/@pool)");
        disk->volume =
            inventory_xpath_string(ctxt, node, "string(source/@volume)");
        if (!disk->pool || !disk->volume) {
            inventory_domain_skip(domain, g_strdup_printf(
                "disk %s has no source pool and volume", disk->target));
            return TRUE;
        }
    } else if (g_str_equal(disk->source_type, "network")) {
        protocol =
            inventory_xpath_string(ctxt, node, "string(source/@protocol)");
        if (!protocol)
            protocol = g_strdup("unknown");
        inventory_domain_skip(domain, g_strdup_printf(
            "disk %s is %s %s network disk: not readable on this host",
            disk->target, inventory_article(protocol), protocol));
        return TRUE;
    } else {
        inventory_domain_skip(domain, g_strdup_printf(
            "disk %s is a '%s' disk: not readable as an image on this host",
            disk->target, disk->source_type));
        return TRUE;
    }
    if (!disk->path && !disk->pool) {
        inventory_domain_skip(domain, g_strdup_printf(
            "disk %s has no source", disk->target));
        return TRUE;
    }
    encryption = inventory_xpath_string(ctxt, node,
        "string((encryption|source/encryption)[1]/@format)");
    if (encryption) {
        inventory_domain_skip(
            domain, g_strdup_printf("disk %s is encrypted (%s): not supported",
                                    disk->target, encryption));
        return TRUE;
    }
    g_ptr_array_add(domain->disks, g_steal_pointer(&disk));
    return TRUE;
}

/* The VLAN of the <vlan> under @scope: sets *found when there is one at
 * all; *vlan stays -1 for a trunk or several tags. */
static gboolean
inventory_scope_vlan(xmlXPathContext *ctxt, xmlNode *scope, const char *what,
                     gboolean *found, int *vlan, GError **error)
{
    g_autoptr(xmlXPathObject) tags = NULL;
    g_autofree char *trunk =
        inventory_xpath_string(ctxt, scope, "string(vlan/@trunk)");
    int n;

    tags = inventory_xpath_nodes(ctxt, scope, "vlan/tag", &n);
    *found = n > 0;
    if (n != 1 || (trunk && g_str_equal(trunk, "yes")))
        return TRUE;
    return inventory_xpath_int(ctxt, tags->nodesetval->nodeTab[0],
                               "string(@id)", what, 0, INVENTORY_MAX_VLAN, vlan,
                               error);
}

static gboolean
inventory_parse_nic(xmlXPathContext *ctxt, xmlNode *node, AgentDomain *domain,
                    GError **error)
{
    g_autoptr(AgentNic) nic = g_new0(AgentNic, 1);
    g_autofree char *what = NULL;

    nic->vlan = nic->pci_slot = -1;
    nic->source_type = inventory_xpath_string(ctxt, node, "string(@type)");
    nic->mac = inventory_xpath_string(ctxt, node, "string(mac/@address)");
    nic->model = inventory_xpath_string(ctxt, node, "string(model/@type)");
    if (nic->source_type && g_str_equal(nic->source_type, "network")) {
        nic->source =
            inventory_xpath_string(ctxt, node, "string(source/@network)");
        nic->portgroup =
            inventory_xpath_string(ctxt, node, "string(source/@portgroup)");
    } else if (nic->source_type && g_str_equal(nic->source_type, "bridge")) {
        nic->source =
            inventory_xpath_string(ctxt, node, "string(source/@bridge)");
    } else if (nic->source_type && g_str_equal(nic->source_type, "direct")) {
        nic->source = inventory_xpath_string(ctxt, node, "string(source/@dev)");
    }
    what = g_strdup_printf("interface %s: <address slot>",
                           nic->mac ? nic->mac : "without mac");
    if (!inventory_xpath_int(ctxt, node, "string(address[@type='pci']/@slot)",
                             what, 0, 31, &nic->pci_slot, error))
        return FALSE;
    /* One tag is an access port; several, or trunk='yes', carry many
     * VLANs and no single id describes them. */
    g_free(what);
    what = g_strdup_printf("interface %s: <vlan><tag id>",
                           nic->mac ? nic->mac : "without mac");
    if (!inventory_scope_vlan(ctxt, node, what, &nic->has_vlan, &nic->vlan,
                              error))
        return FALSE;
    g_ptr_array_add(domain->nics, g_steal_pointer(&nic));
    return TRUE;
}

static gboolean
inventory_parse_cpu(xmlXPathContext *ctxt, AgentDomain *domain, GError **error)
{
    int vcpu_max = -1, vcpu_current = -1;

    if (!inventory_xpath_int(ctxt, NULL, "string(/domain/vcpu)", "<vcpu>", 1,
                             INVENTORY_MAX_VCPUS, &vcpu_max, error) ||
        !inventory_xpath_int(ctxt, NULL, "string(/domain/vcpu/@current)",
                             "<vcpu current>", 1, INVENTORY_MAX_VCPUS,
                             &vcpu_current, error) ||
        !inventory_xpath_int(ctxt, NULL,
                             "string(/domain/cpu/topology/@sockets)",
                             "<topology sockets>", 1, INVENTORY_MAX_VCPUS,
                             &domain->sockets, error) ||
        !inventory_xpath_int(ctxt, NULL, "string(/domain/cpu/topology/@cores)",
                             "<topology cores>", 1, INVENTORY_MAX_VCPUS,
                             &domain->cores, error) ||
        !inventory_xpath_int(ctxt, NULL,
                             "string(/domain/cpu/topology/@threads)",
                             "<topology threads>", 1, INVENTORY_MAX_VCPUS,
                             &domain->threads, error))
        return FALSE;
    domain->vcpus = vcpu_current > 0 ? vcpu_current : vcpu_max;
    return TRUE;
}

/* libvirt's firmware selection: <os firmware='efi'> is UEFI (any other
 * value BIOS); without it, a <loader> of type pflash or an OVMF, AAVMF or
 * edk2 image is UEFI (a rom loader is SeaBIOS); aarch64 has no BIOS. */
static const char *
inventory_domain_firmware(xmlXPathContext *ctxt, const char *arch)
{
    g_autofree char *fw = inventory_xpath_string(ctxt, NULL,
                                                 "string(/domain/os/@firmware)");
    g_autofree char *type = inventory_xpath_string(
        ctxt, NULL, "string(/domain/os/loader/@type)");
    g_autofree char *loader = inventory_xpath_string(ctxt, NULL,
                                                     "string(/domain/os/loader)");

    if (fw)
        return g_str_equal(fw, "efi") ? "uefi" : "bios";
    if (g_strcmp0(type, "pflash") == 0 ||
        (loader && (strstr(loader, "OVMF") || strstr(loader, "AAVMF") ||
                    strstr(loader, "edk2"))))
        return "uefi";
    return g_strcmp0(arch, "aarch64") == 0 ? "uefi" : "bios";
}

AgentDomain *
inventory_domain_parse_xml(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(xmlXPathObject) disks = NULL;
    g_autoptr(xmlXPathObject) nics = NULL;
    g_autoptr(AgentDomain) domain = NULL;
    g_autofree char *memory = NULL;
    g_autofree char *unit = NULL;
    guint64 bytes;
    int n_disks, n_nics, i;

    doc = inventory_xml_read(xml, len, "domain", "domain", error);
    if (!doc)
        return NULL;
    ctxt = xmlXPathNewContext(doc);
    if (!ctxt ||
        xmlXPathRegisterNs(ctxt, (const xmlChar *)"osinfo",
                           (const xmlChar *)INVENTORY_LIBOSINFO_NS) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "domain XML: cannot create an XPath context");
        return NULL;
    }
    domain = g_new0(AgentDomain, 1);
    domain->memory_mib = -1;
    domain->cpu_speed_mhz = -1;
    domain->disks =
        g_ptr_array_new_with_free_func((GDestroyNotify)agent_disk_free);
    domain->nics =
        g_ptr_array_new_with_free_func((GDestroyNotify)agent_nic_free);

    domain->name = inventory_xpath_string(ctxt, NULL, "string(/domain/name)");
    if (!domain->name) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "domain XML: <name> is missing");
        return NULL;
    }
    domain->uuid = inventory_xpath_string(ctxt, NULL, "string(/domain/uuid)");
    domain->os = inventory_xpath_string(ctxt, NULL,
        "string(/domain/metadata/osinfo:libosinfo/osinfo:os/@id)");
    domain->machine = inventory_xpath_string(ctxt, NULL,
                                             "string(/domain/os/type/@machine)");
    domain->arch = inventory_xpath_string(ctxt, NULL,
                                          "string(/domain/os/type/@arch)");
    domain->firmware = g_strdup(inventory_domain_firmware(ctxt, domain->arch));

    memory = inventory_xpath_string(ctxt, NULL, "string(/domain/memory)");
    unit = inventory_xpath_string(ctxt, NULL, "string(/domain/memory/@unit)");
    if (memory) {
        if (!inventory_parse_memory(memory, unit, &bytes)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "domain '%s': <memory> '%s' in unit '%s' is not a size "
                        "libvirt writes",
                        domain->name, memory, unit ? unit : "KiB");
            return NULL;
        }
        domain->memory_mib = (gint64)(bytes / (1024 * 1024));
    }
    if (!inventory_parse_cpu(ctxt, domain, error)) {
        g_prefix_error(error, "domain '%s': ", domain->name);
        return NULL;
    }

    disks = inventory_xpath_nodes(ctxt, NULL, "/domain/devices/disk", &n_disks);
    nics =
        inventory_xpath_nodes(ctxt, NULL, "/domain/devices/interface", &n_nics);
    if (n_disks > INVENTORY_MAX_DEVICES || n_nics > INVENTORY_MAX_DEVICES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "domain '%s': %d <disk> and %d <interface> elements, more "
                    "than the limit of %d of either", domain->name, n_disks,
                    n_nics, INVENTORY_MAX_DEVICES);
        return NULL;
    }
    for (i = 0; i < n_disks; i++) {
        if (!inventory_parse_disk(ctxt, disks->nodesetval->nodeTab[i], (guint)i,
                                  domain, error)) {
            g_prefix_error(error, "domain '%s': ", domain->name);
            return NULL;
        }
    }
    for (i = 0; i < n_nics; i++) {
        if (!inventory_parse_nic(ctxt, nics->nodesetval->nodeTab[i], domain,
                                 error)) {
            g_prefix_error(error, "domain '%s': ", domain->name);
            return NULL;
        }
    }
    return g_steal_pointer(&domain);
}

gboolean
inventory_network_parse_vlan(const char *xml, gsize len, const char *portgroup,
                             int *vlan, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(xmlXPathObject) groups = NULL;
    xmlNode *group = NULL;
    gboolean found = FALSE;
    int n, i;

    *vlan = -1;
    doc = inventory_xml_read(xml, len, "network", "network", error);
    if (!doc)
        return FALSE;
    ctxt = xmlXPathNewContext(doc);
    if (!ctxt) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "network XML: cannot create an XPath context");
        return FALSE;
    }
    /* libvirt's order: the interface's own tag (the caller's), then the
     * portgroup's (the named one, else the default one), then the
     * network's.  The name is compared, never pasted into an expression. */
    groups = inventory_xpath_nodes(ctxt, NULL, "/network/portgroup", &n);
    for (i = 0; i < n && !group; i++) {
        xmlNode *node = groups->nodesetval->nodeTab[i];
        g_autofree char *name =
            inventory_xpath_string(ctxt, node, "string(@name)");
        g_autofree char *def =
            inventory_xpath_string(ctxt, node, "string(@default)");

        if (portgroup ? (name && g_str_equal(name, portgroup))
                      : (def && g_str_equal(def, "yes")))
            group = node;
    }
    if (group) {
        if (!inventory_scope_vlan(ctxt, group,
                                  "network XML: <portgroup><vlan><tag id>",
                                  &found, vlan, error))
            return FALSE;
        if (found)
            return TRUE;
    }
    return inventory_scope_vlan(ctxt, xmlDocGetRootElement(doc),
                                "network XML: <vlan><tag id>", &found, vlan,
                                error);
}

InventoryPool *
inventory_pool_parse_xml(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(InventoryPool) pool = g_new0(InventoryPool, 1);

    doc = inventory_xml_read(xml, len, "storage pool", "pool", error);
    if (!doc)
        return NULL;
    ctxt = xmlXPathNewContext(doc);
    if (!ctxt) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "storage pool XML: cannot create an XPath context");
        return NULL;
    }
    pool->name = inventory_xpath_string(ctxt, NULL, "string(/pool/name)");
    pool->type = inventory_xpath_string(ctxt, NULL, "string(/pool/@type)");
    pool->target_path =
        inventory_xpath_string(ctxt, NULL, "string(/pool/target/path)");
    pool->host = inventory_xpath_string(ctxt, NULL,
                                        "string(/pool/source/host[1]/@name)");
    if (!pool->name) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "storage pool XML: <name> is missing");
        return NULL;
    }
    return g_steal_pointer(&pool);
}

gboolean
inventory_volume_parse_xml(const char *xml, gsize len, char **path,
                           char **format, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;

    doc = inventory_xml_read(xml, len, "storage volume", "volume", error);
    if (!doc)
        return FALSE;
    ctxt = xmlXPathNewContext(doc);
    if (!ctxt) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "storage volume XML: cannot create an XPath context");
        return FALSE;
    }
    *path = inventory_xpath_string(ctxt, NULL, "string(/volume/target/path)");
    *format = inventory_xpath_string(ctxt, NULL,
                                     "string(/volume/target/format/@type)");
    return TRUE;
}

gboolean
inventory_domain_parse_os(const char *xml, gsize len, InventoryOs *os,
                          GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctxt = NULL;

    memset(os, 0, sizeof(*os));
    doc = inventory_xml_read(xml, len, "domain", "domain", error);
    if (!doc)
        return FALSE;
    ctxt = xmlXPathNewContext(doc);
    if (!ctxt) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "domain XML: cannot create an XPath context");
        return FALSE;
    }
    os->arch = inventory_xpath_string(ctxt, NULL,
                                      "string(/domain/os/type/@arch)");
    os->machine = inventory_xpath_string(ctxt, NULL,
                                         "string(/domain/os/type/@machine)");
    os->firmware = g_strdup(inventory_domain_firmware(ctxt, os->arch));
    return TRUE;
}

void
inventory_os_clear(InventoryOs *os)
{
    g_clear_pointer(&os->firmware, g_free);
    g_clear_pointer(&os->machine, g_free);
    g_clear_pointer(&os->arch, g_free);
}
