/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-inventory-xml.c: domain XML to the inventory structs and to
 * CloudStack's JSON, one fixture pair per case
 * (tests/fixtures/inventory/<case>.xml -> <case>.json), without libvirt.
 *
 * A case that parses gives its unmanagedinstance object; one that cannot be
 * exported, or cannot be parsed, gives its skipped entry.  Run with
 * FERRY_TEST_REGENERATE=1 to rewrite the expected files, then read the diff.
 */
#include <config.h>

#include <string.h>

#include "agent/inventory-priv.h"

typedef struct {
    const char *name;        /* fixture base name */
    int code;                /* expected FERRY_ERROR code, -1: parses */
    const char *field;       /* what the message (or skip reason) must name */
} FixtureCase;

static const FixtureCase fixture_cases[] = {
    { "full", -1, NULL },
    { "minimal", -1, NULL },
    { "vlan-trunk", -1, NULL },
    { "disk-rbd", -1, "disk vdb is an rbd network disk" },
    { "disk-gluster", -1, "disk vdb is a gluster network disk" },
    { "disk-no-source", -1, "disk vda has no source" },
    { "disk-no-target", -1, "disk #2 has no <target dev>" },
    { "disk-dir", -1, "disk hda is a 'dir' disk" },
    { "disk-encrypted", -1, "disk vda is encrypted (luks)" },
    { "vlan-out-of-range", FERRY_ERROR_CORRUPT, "<vlan><tag id> '4096'" },
    { "vcpu-not-a-number", FERRY_ERROR_CORRUPT, "<vcpu> 'two'" },
    { "vcpu-too-many", FERRY_ERROR_CORRUPT, "<vcpu> '4294967297'" },
    { "memory-overflow", FERRY_ERROR_CORRUPT, "<memory> '17' in unit 'EiB'" },
    { "memory-unknown-unit", FERRY_ERROR_CORRUPT, "unit 'furlongs'" },
    { "not-well-formed", FERRY_ERROR_CORRUPT, "domain XML: line" },
    { "wrong-root", FERRY_ERROR_CORRUPT, "root element is <network>" },
    { "no-name", FERRY_ERROR_CORRUPT, "<name> is missing" },
    { "doctype-entities", FERRY_ERROR_CORRUPT, "domain XML: " },
    { "external-entity", FERRY_ERROR_CORRUPT, "DOCTYPE" },
};

static char *
fixture_path(const char *name, const char *ext)
{
    g_autofree char *file = g_strdup_printf("%s.%s", name, ext);

    return g_build_filename(FERRY_TEST_SRCDIR, "fixtures", "inventory", file, NULL);
}

/* The JSON a fixture gives: its unmanagedinstance, else its skipped entry
 * (named after the fixture when the XML had no usable name). */
static char *
fixture_to_json(const FixtureCase *tc, const char *xml, gsize len)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentDomain) domain = inventory_domain_parse_xml(xml, len, &error);
    g_autoptr(JsonNode) node = NULL;

    if (tc->code >= 0) {
        g_assert_null(domain);
        g_assert_error(error, FERRY_ERROR, tc->code);
        domain = g_new0(AgentDomain, 1);
        domain->name = g_strdup(tc->name);
        domain->skip_reason = g_strdup(error->message);
    } else {
        g_assert_no_error(error);
        g_assert_nonnull(domain);
    }
    if (tc->field)
        g_assert_nonnull(strstr(domain->skip_reason, tc->field));
    else
        g_assert_null(domain->skip_reason);
    node = domain->skip_reason ? inventory_skipped_to_json(domain)
                               : inventory_domain_to_json(domain, FALSE);
    return inventory_json_to_string(node);
}

static void
test_fixture(gconstpointer data)
{
    const FixtureCase *tc = data;
    g_autofree char *xml_path = fixture_path(tc->name, "xml");
    g_autofree char *json_path = fixture_path(tc->name, "json");
    g_autofree char *xml = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *actual = NULL;
    g_autoptr(GError) error = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(xml_path, &xml, &len, &error));
    g_assert_no_error(error);
    actual = fixture_to_json(tc, xml, len);
    if (g_strcmp0(g_getenv("FERRY_TEST_REGENERATE"), "1") == 0) {
        g_autofree char *text = g_strconcat(actual, "\n", NULL);

        g_assert_true(g_file_set_contents(json_path, text, -1, &error));
        g_assert_no_error(error);
        return;
    }
    g_assert_true(g_file_get_contents(json_path, &expected, NULL, &error));
    g_assert_no_error(error);
    g_strchomp(expected);
    g_assert_cmpstr(actual, ==, expected);
}

/* The fixtures hold every field; these pin the ones a reader of the JSON
 * would least expect, by value, through the struct. */
static void
test_full_fields(void)
{
    g_autofree char *path = fixture_path("full", "xml");
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentDomain) d = NULL;
    const AgentDisk *disk;
    const AgentNic *nic;
    gsize len;

    g_assert_true(g_file_get_contents(path, &xml, &len, NULL));
    d = inventory_domain_parse_xml(xml, len, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(d->name, ==, "web1");
    g_assert_cmpint(d->memory_mib, ==, 4096);
    g_assert_cmpint(d->vcpus, ==, 4);               /* current, not 8 */
    g_assert_cmpint(d->sockets, ==, 2);
    g_assert_cmpint(d->cores, ==, 2);
    g_assert_cmpint(d->threads, ==, 2);
    g_assert_cmpstr(d->os, ==, "http://ubuntu.com/ubuntu/22.04");
    g_assert_cmpuint(d->disks->len, ==, 4);         /* no cdrom, no floppy */

    disk = g_ptr_array_index(d->disks, 0);
    g_assert_cmpstr(disk->target, ==, "vda");
    g_assert_cmpstr(disk->bus, ==, "virtio");
    g_assert_cmpstr(disk->declared_format, ==, "qcow2");
    g_assert_cmpint(disk->controller, ==, -1);
    g_assert_cmpint(disk->position, ==, 0);
    disk = g_ptr_array_index(d->disks, 1);
    g_assert_cmpint(disk->controller, ==, 0);
    g_assert_cmpint(disk->position, ==, 1);
    disk = g_ptr_array_index(d->disks, 2);
    g_assert_cmpstr(disk->source_type, ==, "block");
    g_assert_cmpstr(disk->path, ==, "/dev/vg0/web1-logs");
    g_assert_cmpint(disk->controller, ==, 1);
    g_assert_cmpint(disk->position, ==, 2);
    disk = g_ptr_array_index(d->disks, 3);
    g_assert_cmpstr(disk->pool, ==, "default");
    g_assert_cmpstr(disk->volume, ==, "web1-extra.vmdk");
    g_assert_null(disk->path);
    g_assert_null(disk->declared_format);
    g_assert_cmpint(disk->position, ==, 3);         /* vdd */

    g_assert_cmpuint(d->nics->len, ==, 4);
    nic = g_ptr_array_index(d->nics, 0);
    g_assert_cmpstr(nic->source, ==, "default");
    g_assert_cmpstr(nic->portgroup, ==, "web");
    g_assert_cmpint(nic->pci_slot, ==, 3);
    g_assert_false(nic->has_vlan);
    nic = g_ptr_array_index(d->nics, 1);
    g_assert_cmpstr(nic->source, ==, "br0");
    g_assert_cmpstr(nic->model, ==, "e1000e");
    g_assert_cmpint(nic->vlan, ==, 42);
    g_assert_cmpint(nic->pci_slot, ==, 31);
    nic = g_ptr_array_index(d->nics, 2);
    g_assert_cmpstr(nic->source, ==, "eth1");
    nic = g_ptr_array_index(d->nics, 3);
    g_assert_null(nic->source);
    g_assert_null(nic->model);
}

/* For `ferry inspect`: firmware='efi', a pflash or OVMF loader, or
 * aarch64 is UEFI; firmware='bios' or a ROM loader BIOS; machine and arch
 * as written. */
static void
test_firmware_machine_arch(void)
{
    static const struct {
        const char *os;
        const char *firmware, *machine, *arch;
    } cases[] = {
        { "<os firmware='efi'><type arch='x86_64' machine='pc-q35-8.2'>hvm"
          "</type></os>", "uefi", "pc-q35-8.2", "x86_64" },
        { "<os><type arch='x86_64' machine='q35'>hvm</type>"
          "<loader type='pflash'>/var/lib/fw.fd</loader></os>",
          "uefi", "q35", "x86_64" },
        { "<os><type arch='x86_64'>hvm</type>"
          "<loader>/usr/share/OVMF/OVMF_CODE.fd</loader></os>",
          "uefi", NULL, "x86_64" },
        { "<os><type arch='x86_64'>hvm</type>"
          "<loader type='rom'>/usr/share/seabios/bios.bin</loader></os>",
          "bios", NULL, "x86_64" },
        { "<os firmware='bios'><type arch='x86_64'>hvm</type></os>",
          "bios", NULL, "x86_64" },
        { "<os><type arch='aarch64' machine='virt'>hvm</type></os>",
          "uefi", "virt", "aarch64" },
        { "<os><type>hvm</type></os>", "bios", NULL, NULL },
        { "", "bios", NULL, NULL },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strdup_printf(
            "<domain><name>fw</name>%s<devices/></domain>", cases[i].os);
        g_autoptr(GError) error = NULL;
        g_autoptr(AgentDomain) d = inventory_domain_parse_xml(xml, strlen(xml),
                                                              &error);

        g_assert_no_error(error);
        g_assert_cmpstr(d->firmware, ==, cases[i].firmware);
        g_assert_cmpstr(d->machine, ==, cases[i].machine);
        g_assert_cmpstr(d->arch, ==, cases[i].arch);
    }
}

static void
test_oversized_is_refused_before_parsing(void)
{
    gsize len = INVENTORY_MAX_XML_BYTES + 1;
    g_autofree char *xml = g_malloc(len);
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentDomain) d = NULL;

    /* Not even well-formed: the cap must answer before libxml2 looks. */
    memset(xml, '<', len);
    d = inventory_domain_parse_xml(xml, len, &error);
    g_assert_null(d);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "domain XML is 16777217 bytes"));
    g_assert_nonnull(strstr(error->message, "limit of 16777216"));
}

static void
test_too_many_disks(void)
{
    GString *xml = g_string_new("<domain><name>many</name><devices>");
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentDomain) d = NULL;
    int i;

    for (i = 0; i <= INVENTORY_MAX_DEVICES; i++)
        g_string_append_printf(xml, "<disk type='file'><source file='/d%d'/>"
                               "<target dev='vda'/></disk>", i);
    g_string_append(xml, "</devices></domain>");
    d = inventory_domain_parse_xml(xml->str, xml->len, &error);
    g_string_free(xml, TRUE);
    g_assert_null(d);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "1025 <disk>"));
}

static void
test_memory_units(void)
{
    static const struct {
        const char *value, *unit;
        guint64 bytes;
    } ok[] = {
        { "1", NULL, 1024 }, { "1", "KiB", 1024 }, { "1", "k", 1024 },
        { "1", "KB", 1000 }, { "3", "b", 3 }, { "3", "bytes", 3 },
        { "2", "MiB", 2 << 20 }, { "2", "M", 2 << 20 }, { "2", "MB", 2000000 },
        { "1", "G", 1 << 30 }, { "1", "GB", 1000000000 },
        { "1", "TiB", G_GUINT64_CONSTANT(1) << 40 },
        { "15", "EiB", G_GUINT64_CONSTANT(15) << 60 },
    };
    static const struct {
        const char *value, *unit;
    } bad[] = {
        { "16", "EiB" }, { "1", "KiBB" }, { "1", "Kb " }, { "1", "" },
        { "1", "q" }, { "-1", "KiB" }, { "1.5", "GiB" }, { "", "KiB" },
        { "18446744073709551616", "b" },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(ok); i++) {
        guint64 bytes = 0;

        g_assert_true(inventory_parse_memory(ok[i].value, ok[i].unit, &bytes));
        g_assert_cmpuint(bytes, ==, ok[i].bytes);
    }
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        guint64 bytes = 0;

        g_assert_false(inventory_parse_memory(bad[i].value, bad[i].unit, &bytes));
    }
}

static void
test_disk_name_index(void)
{
    g_assert_cmpint(inventory_disk_name_index("vda"), ==, 0);
    g_assert_cmpint(inventory_disk_name_index("sdc"), ==, 2);
    g_assert_cmpint(inventory_disk_name_index("hdz"), ==, 25);
    g_assert_cmpint(inventory_disk_name_index("vdaa"), ==, 26);
    g_assert_cmpint(inventory_disk_name_index("xvdb"), ==, 1);
    g_assert_cmpint(inventory_disk_name_index("nvme0n1"), ==, -1);
    g_assert_cmpint(inventory_disk_name_index("vd"), ==, -1);
    g_assert_cmpint(inventory_disk_name_index("vdA"), ==, -1);
    g_assert_cmpint(inventory_disk_name_index("vdzzzzzzzzzzzzzzzz"), ==, -1);
}

static const char network_xml[] =
    "<network><name>lan</name><forward mode='bridge'/><bridge name='br9'/>"
    "<vlan><tag id='10'/></vlan>"
    "<portgroup name='web' default='yes'><vlan><tag id='20'/></vlan></portgroup>"
    "<portgroup name='db'><vlan><tag id='30'/></vlan></portgroup>"
    "<portgroup name='plain'/>"
    "<portgroup name='trunk'><vlan trunk='yes'><tag id='1'/><tag id='2'/></vlan></portgroup>"
    "</network>";

static void
test_network_vlan(void)
{
    static const struct {
        const char *portgroup;
        int vlan;
    } cases[] = {
        { NULL, 20 },          /* the default portgroup's */
        { "db", 30 },
        { "plain", 10 },       /* a portgroup without vlan: the network's */
        { "trunk", -1 },       /* several VLANs: no one id */
        { "nosuch", 10 },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        int vlan = 7;

        g_assert_true(inventory_network_parse_vlan(network_xml, strlen(network_xml),
                                                   cases[i].portgroup, &vlan, &error));
        g_assert_no_error(error);
        g_assert_cmpint(vlan, ==, cases[i].vlan);
    }
}

static void
test_network_vlan_out_of_range(void)
{
    static const char xml[] = "<network><name>x</name><vlan><tag id='5000'/></vlan></network>";
    g_autoptr(GError) error = NULL;
    int vlan;

    g_assert_false(inventory_network_parse_vlan(xml, strlen(xml), NULL, &vlan, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "<vlan><tag id> '5000'"));
}

static void
test_pool_and_volume(void)
{
    static const char pool_xml[] =
        "<pool type='netfs'><name>nfs1</name><source><host name='filer'/>"
        "<dir path='/export'/></source><target><path>/mnt/nfs1</path></target></pool>";
    static const char vol_xml[] =
        "<volume type='file'><name>a.qcow2</name><target><path>/mnt/nfs1/a.qcow2"
        "</path><format type='qcow2'/></target></volume>";
    g_autoptr(GError) error = NULL;
    g_autoptr(InventoryPool) pool = inventory_pool_parse_xml(pool_xml, strlen(pool_xml), &error);
    g_autofree char *path = NULL;
    g_autofree char *format = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(pool->name, ==, "nfs1");
    g_assert_cmpstr(pool->type, ==, "netfs");
    g_assert_cmpstr(pool->target_path, ==, "/mnt/nfs1");
    g_assert_cmpstr(pool->host, ==, "filer");
    g_assert_true(inventory_volume_parse_xml(vol_xml, strlen(vol_xml), &path, &format, &error));
    g_assert_cmpstr(path, ==, "/mnt/nfs1/a.qcow2");
    g_assert_cmpstr(format, ==, "qcow2");
}

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(fixture_cases); i++) {
        g_autofree char *path = g_strdup_printf("/agent/inventory/xml/fixture/%s",
                                                fixture_cases[i].name);

        g_test_add_data_func(path, &fixture_cases[i], test_fixture);
    }
    g_test_add_func("/agent/inventory/xml/full-domain-fields-by-value", test_full_fields);
    g_test_add_func("/agent/inventory/xml/firmware-machine-arch",
                    test_firmware_machine_arch);
    g_test_add_func("/agent/inventory/xml/oversized-is-refused-before-parsing",
                    test_oversized_is_refused_before_parsing);
    g_test_add_func("/agent/inventory/xml/more-than-1024-disks-is-refused",
                    test_too_many_disks);
    g_test_add_func("/agent/inventory/xml/memory-units-as-libvirt-writes-them",
                    test_memory_units);
    g_test_add_func("/agent/inventory/xml/disk-name-gives-libvirt-index",
                    test_disk_name_index);
    g_test_add_func("/agent/inventory/xml/network-vlan-portgroup-then-network",
                    test_network_vlan);
    g_test_add_func("/agent/inventory/xml/network-vlan-out-of-range",
                    test_network_vlan_out_of_range);
    g_test_add_func("/agent/inventory/xml/pool-and-volume", test_pool_and_volume);
    return g_test_run();
}
