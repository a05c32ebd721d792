/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inventory-priv.h: what the inventory files share (agent/inventory.c,
 * inventory-xml.c, inventory-disk.c, inventory-json.c).  Not for other
 * folders; unit tests may include it.
 *
 * The XML half knows nothing of libvirt's API: it turns the text of a domain,
 * network, storage pool or volume XML into plain structs, so that it can be
 * tested on fixture files alone.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "agent/agent.h"

G_BEGIN_DECLS

/* Domain XML from libvirt is a few KiB; 16 MiB is far past any real one
 * (libvirt's own virXMLParse has no cap, virFileReadAll callers use 10 MiB
 * for similar files) and still cheap to refuse before libxml2 sees it. */
#define INVENTORY_MAX_XML_BYTES (16 * 1024 * 1024)
/* Disks or NICs in one domain: QEMU gives a PCI bus 32 slots and a domain a
 * few buses; 1024 of either is already absurd. */
#define INVENTORY_MAX_DEVICES 1024
/* libvirt's QEMU driver refuses more vCPUs than this (QEMU_MAX_VCPUS is
 * lower; the test driver allows anything). */
#define INVENTORY_MAX_VCPUS 16384
/* 802.1Q: a tag id is 12 bits. */
#define INVENTORY_MAX_VLAN 4095

/* Parses a domain's XML.  A disk that cannot be exported (network, no
 * source, encrypted...) is no parse error: it sets ->skip_reason.  CD-ROM
 * and floppy devices are left out.  Errors (FERRY_ERROR_CORRUPT,
 * FERRY_ERROR_INVALID for oversized input) name the element at fault. */
AgentDomain *inventory_domain_parse_xml(const char *xml, gsize len,
                                        GError **error);

/* The VLAN an <interface type='network'> gets from its network's XML: the
 * portgroup's (@portgroup, else the default portgroup's), else the
 * network's own; -1 when none or a trunk. */
gboolean inventory_network_parse_vlan(const char *xml, gsize len,
                                      const char *portgroup, int *vlan,
                                      GError **error);

typedef struct {
    char *name;
    char *type;             /* "dir", "fs", "netfs", "logical", "rbd"... */
    char *target_path;      /* /var/lib/libvirt/images, or NULL */
    char *host;             /* <source><host name>, or NULL */
} InventoryPool;

void inventory_pool_free(InventoryPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InventoryPool, inventory_pool_free)

InventoryPool *inventory_pool_parse_xml(const char *xml, gsize len,
                                        GError **error);

/* A volume's <target><path> and <target><format type>. */
gboolean inventory_volume_parse_xml(const char *xml, gsize len, char **path,
                                    char **format, GError **error);

/* A domain's <os>, for guest inspection (agent/readiness.c). */
typedef struct {
    char *firmware;         /* "bios" | "uefi" */
    char *machine;          /* <type machine>, or NULL */
    char *arch;             /* <type arch>, or NULL */
} InventoryOs;

void inventory_os_clear(InventoryOs *os);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(InventoryOs, inventory_os_clear)

gboolean inventory_domain_parse_os(const char *xml, gsize len, InventoryOs *os,
                                   GError **error);

/* Converts a libvirt memory size and unit ("KiB" when @unit is NULL) to
 * bytes; FALSE on an unknown unit or overflow. */
gboolean inventory_parse_memory(const char *value, const char *unit,
                                guint64 *bytes);

/* The index libvirt gives a disk name: "vda" 0, "sdb" 1, "hdaa" 26; -1 if
 * the name is not of that form. */
int inventory_disk_name_index(const char *name);

/* Opens @disk's image read-only through conv/ (the declared format is
 * honoured and checked) and fills in format and capacity.  Returns NULL on
 * success, else the reason the domain cannot be exported (owned). */
char *inventory_disk_open(AgentDisk *disk);

/* Fills the datastore fields from the pool that holds the disk (matched by
 * its directory), or from the disk itself. */
void inventory_disk_set_datastore(AgentDisk *disk, GPtrArray *pools);

/* JSON for one listed domain (CloudStack's unmanagedinstance) and for one
 * skipped domain ({"name", "reason", "powerstate"}). */
JsonNode *inventory_domain_to_json(const AgentDomain *domain, gboolean all);
JsonNode *inventory_skipped_to_json(const AgentDomain *domain);
char *inventory_json_to_string(JsonNode *node);

G_END_DECLS
