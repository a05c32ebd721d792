/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inventory-json.c: the inventory as CloudStack's listVmsForImport response
 * (UnmanagedInstanceResponse, UnmanagedInstanceDiskResponse, NicResponse;
 * key names from CloudStack's ApiConstants), with json-glib.
 *
 *   {"listvmsforimportresponse": {"count": N, "unmanagedinstance": [...],
 *                                 "skipped": [{"name", "reason", "powerstate"}]}}
 *
 * A key whose value libvirt cannot tell is left out, never guessed.
 * unmanagedinstance:
 *   name            <name>
 *   powerstate      "PowerOff" for shut off (and crashed) domains, "PowerOn"
 *                   for running, paused, blocked, shutting down, pmsuspended,
 *                   "PowerUnknown" for libvirt's "no state"
 *   memory          <memory> in MiB (maximum memory, rounded down)
 *   cpunumber       <vcpu current> if set, else <vcpu>
 *   cpucorepersocket <cpu><topology cores>; absent without a topology, as
 *                   QEMU's default split has changed between versions
 *   cpuspeed        the host CPU's nominal MHz (virNodeGetInfo): a KVM vCPU
 *                   runs at host speed unless <cputune> caps it
 *   osdisplayname   the libosinfo os id in <metadata>
 *                   ("http://ubuntu.com/ubuntu/22.04"); absent without one
 *   hostname        the libvirt host's name (virConnectGetHostname)
 *   exportable, reason   with --all only
 * disk (disks and LUNs; CD-ROMs and floppies are not exported):
 *   id              the disk's index among the exported disks, "0", "1"...
 *   label           <target dev>
 *   capacity        virtual size in bytes, from the image header
 *   controller      <target bus>
 *   controllerunit  <address type='drive' controller>
 *   position        <address type='drive' unit>, else the index libvirt
 *                   gives the target name (vda 0, vdc 2)
 *   imagepath       the file or block device (a volume's resolved path)
 *   datastorepath   the storage pool's target directory, else the image's
 *   datastorename   the storage pool holding the image (by directory)
 *   datastoretype   the pool's type ("dir", "netfs"...), else the disk's
 *                   source type ("file", "block")
 *   datastorehost   the pool's <source><host name> (netfs, iscsi)
 *   format          ferry's addition: the format conv/ read ("qcow2")
 * nic:
 *   id              the interface's index, "0", "1"...
 *   macaddress      <mac address>
 *   adaptertype     <model type>
 *   networkname     <source network>, <source bridge> or <source dev>
 *   vlanid          the interface's one <vlan><tag id>, else its network's
 *                   portgroup's, else its network's; absent for trunks
 *   pcislot         <address type='pci' slot> as a number
 */
#include <config.h>

#include "agent/inventory-priv.h"

static void
inventory_json_string(JsonBuilder *b, const char *key, const char *value)
{
    if (!value)
        return;
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
}

static void
inventory_json_int(JsonBuilder *b, const char *key, gint64 value)
{
    if (value < 0)
        return;
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

static void
inventory_json_disk(JsonBuilder *b, const AgentDisk *disk, guint index)
{
    g_autofree char *id = g_strdup_printf("%u", index);

    json_builder_begin_object(b);
    inventory_json_string(b, "id", id);
    inventory_json_string(b, "label", disk->target);
    inventory_json_int(b, "capacity", disk->capacity);
    inventory_json_string(b, "controller", disk->bus);
    inventory_json_int(b, "controllerunit", disk->controller);
    inventory_json_int(b, "position", disk->position);
    inventory_json_string(b, "imagepath", disk->path);
    inventory_json_string(b, "datastorepath", disk->datastore_path);
    inventory_json_string(b, "datastorename", disk->datastore_name);
    inventory_json_string(b, "datastoretype", disk->datastore_type);
    inventory_json_string(b, "datastorehost", disk->datastore_host);
    inventory_json_string(b, "format", disk->format ? disk->format
                                                    : disk->declared_format);
    json_builder_end_object(b);
}

static void
inventory_json_nic(JsonBuilder *b, const AgentNic *nic, guint index)
{
    g_autofree char *id = g_strdup_printf("%u", index);

    json_builder_begin_object(b);
    inventory_json_string(b, "id", id);
    inventory_json_string(b, "macaddress", nic->mac);
    inventory_json_string(b, "adaptertype", nic->model);
    inventory_json_string(b, "networkname", nic->source);
    inventory_json_int(b, "vlanid", nic->vlan);
    inventory_json_int(b, "pcislot", nic->pci_slot);
    json_builder_end_object(b);
}

static void
inventory_json_add_domain(JsonBuilder *b, const AgentDomain *domain,
                          gboolean all)
{
    guint i;

    json_builder_begin_object(b);
    inventory_json_string(b, "name", domain->name);
    inventory_json_string(b, "powerstate", domain->powerstate);
    inventory_json_int(b, "memory", domain->memory_mib);
    inventory_json_int(b, "cpunumber", domain->vcpus);
    inventory_json_int(b, "cpucorepersocket", domain->cores);
    inventory_json_int(b, "cpuspeed", domain->cpu_speed_mhz);
    inventory_json_string(b, "osdisplayname", domain->os);
    inventory_json_string(b, "hostname", domain->hostname);
    if (all) {
        json_builder_set_member_name(b, "exportable");
        json_builder_add_boolean_value(b, !domain->listed_anyway);
        if (domain->listed_anyway)
            inventory_json_string(b, "reason", domain->skip_reason);
    }
    json_builder_set_member_name(b, "disk");
    json_builder_begin_array(b);
    for (i = 0; i < domain->disks->len; i++)
        inventory_json_disk(b, g_ptr_array_index(domain->disks, i), i);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "nic");
    json_builder_begin_array(b);
    for (i = 0; i < domain->nics->len; i++)
        inventory_json_nic(b, g_ptr_array_index(domain->nics, i), i);
    json_builder_end_array(b);
    json_builder_end_object(b);
}

static void
inventory_json_add_skipped(JsonBuilder *b, const AgentDomain *domain)
{
    json_builder_begin_object(b);
    inventory_json_string(b, "name", domain->name);
    inventory_json_string(b, "reason", domain->skip_reason);
    inventory_json_string(b, "powerstate", domain->powerstate);
    json_builder_end_object(b);
}

JsonNode *
inventory_domain_to_json(const AgentDomain *domain, gboolean all)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    inventory_json_add_domain(b, domain, all);
    return json_builder_get_root(b);
}

JsonNode *
inventory_skipped_to_json(const AgentDomain *domain)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    inventory_json_add_skipped(b, domain);
    return json_builder_get_root(b);
}

char *
inventory_json_to_string(JsonNode *node)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();

    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, node);
    return json_generator_to_data(gen, NULL);
}

char *
agent_inventory_to_json(const AgentInventory *inv, AgentInventoryFlags flags)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    gboolean all = (flags & AGENT_INVENTORY_ALL) != 0;
    guint i;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "listvmsforimportresponse");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "count");
    json_builder_add_int_value(b, inv->listed->len);
    json_builder_set_member_name(b, "unmanagedinstance");
    json_builder_begin_array(b);
    for (i = 0; i < inv->listed->len; i++)
        inventory_json_add_domain(b, g_ptr_array_index(inv->listed, i), all);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "skipped");
    json_builder_begin_array(b);
    for (i = 0; i < inv->skipped->len; i++)
        inventory_json_add_skipped(b, g_ptr_array_index(inv->skipped, i));
    json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    return inventory_json_to_string(root);
}
