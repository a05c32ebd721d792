/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-inventory-disk.c: a domain's disk read through conv/ (format and
 * virtual size from the image, skip reasons that name the file) and placed
 * in its storage pool (the datastore fields), on files the test writes.
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "agent/inventory-priv.h"

typedef struct {
    char *dir;
} DiskFixture;

static void
disk_fixture_setup(DiskFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-inventory-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
disk_fixture_teardown(DiskFixture *fx, gconstpointer data)
{
    g_autoptr(GDir) dir = g_dir_open(fx->dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(fx->dir, name, NULL);

        g_unlink(path);
    }
    g_rmdir(fx->dir);
    g_free(fx->dir);
}

/* A sparse file of @size bytes starting with @head. */
static char *
write_file(DiskFixture *fx, const char *name, const void *head, gsize head_len,
           guint64 size)
{
    char *path = g_build_filename(fx->dir, name, NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    g_assert_cmpint(fd, >=, 0);
    if (head_len)
        g_assert_cmpint(write(fd, head, head_len), ==, (gssize)head_len);
    g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
    close(fd);
    return path;
}

static AgentDisk *
disk_new(const char *path, const char *declared)
{
    AgentDisk *disk = g_new0(AgentDisk, 1);

    disk->target = g_strdup("vdb");
    disk->source_type = g_strdup("file");
    disk->path = g_strdup(path);
    disk->declared_format = g_strdup(declared);
    disk->capacity = disk->controller = disk->unit = disk->position = -1;
    return disk;
}

static void
test_raw_capacity_is_virtual_size(DiskFixture *fx, gconstpointer data)
{
    g_autofree char *path = write_file(fx, "a.img", NULL, 0, 3 * 1024 * 1024);
    g_autoptr(AgentDisk) disk = disk_new(path, "raw");
    g_autofree char *reason = inventory_disk_open(disk);

    g_assert_null(reason);
    g_assert_cmpstr(disk->format, ==, "raw");
    g_assert_cmpint(disk->capacity, ==, 3 * 1024 * 1024);
}

static void
test_undeclared_format_is_probed(DiskFixture *fx, gconstpointer data)
{
    g_autofree char *path = write_file(fx, "b.img", "hello", 5, 512);
    g_autoptr(AgentDisk) disk = disk_new(path, NULL);
    g_autofree char *reason = inventory_disk_open(disk);

    g_assert_null(reason);
    g_assert_cmpstr(disk->format, ==, "raw");
    g_assert_cmpint(disk->capacity, ==, 512);
}

static void
test_missing_file(DiskFixture *fx, gconstpointer data)
{
    g_autofree char *path = g_build_filename(fx->dir, "gone.qcow2", NULL);
    g_autoptr(AgentDisk) disk = disk_new(path, "qcow2");
    g_autofree char *reason = inventory_disk_open(disk);
    g_autofree char *expected = g_strdup_printf("disk %s is missing", path);

    g_assert_cmpstr(reason, ==, expected);
    g_assert_cmpint(disk->capacity, ==, -1);
}

static void
test_unreadable_file(DiskFixture *fx, gconstpointer data)
{
    g_autofree char *path = g_build_filename(fx->dir, "sub", NULL);
    g_autoptr(AgentDisk) disk = NULL;
    g_autofree char *reason = NULL;

    /* A directory is neither a file nor a block device. */
    g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    disk = disk_new(path, "raw");
    reason = inventory_disk_open(disk);
    g_rmdir(path);
    g_assert_nonnull(reason);
    g_assert_true(g_str_has_prefix(reason, "disk "));
    g_assert_nonnull(strstr(reason, path));
    g_assert_nonnull(strstr(reason, "not a regular file or block device"));
}

static void
test_declared_raw_holding_qcow2(DiskFixture *fx, gconstpointer data)
{
    /* A qcow2 header claiming 10 GiB in a 1 KiB file, declared raw: a
     * guest wrote it, and reading it as qcow2 would follow its backing
     * file name on the host. */
    static const guint8 head[] = {
        'Q', 'F', 'I', 0xfb, 0, 0, 0, 3,                 /* magic, version */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,              /* backing offset, size */
        0, 0, 0, 16,                                     /* cluster_bits */
        0, 0, 0, 2, 0x80, 0, 0, 0,                       /* size: 10 GiB */
    };
    g_autofree char *path = write_file(fx, "evil.img", head, sizeof(head), 1024);
    g_autoptr(AgentDisk) disk = disk_new(path, "raw");
    g_autofree char *reason = inventory_disk_open(disk);
    g_autofree char *expected = g_strdup_printf(
        "disk %s: not a supported image: declared format is raw but the file "
        "holds a qcow2 image", path);

    g_assert_cmpstr(reason, ==, expected);
}

static void
test_unknown_declared_format(DiskFixture *fx, gconstpointer data)
{
    g_autofree char *path = write_file(fx, "c.qed", NULL, 0, 4096);
    g_autoptr(AgentDisk) disk = disk_new(path, "qed");
    g_autofree char *reason = inventory_disk_open(disk);
    g_autofree char *expected = g_strdup_printf(
        "disk %s: not a supported image: unknown image format 'qed'", path);

    g_assert_cmpstr(reason, ==, expected);
}

static GPtrArray *
pools_new(void)
{
    GPtrArray *pools = g_ptr_array_new_with_free_func((GDestroyNotify)inventory_pool_free);
    InventoryPool *p = g_new0(InventoryPool, 1);

    p->name = g_strdup("default");
    p->type = g_strdup("dir");
    p->target_path = g_strdup("/var/lib/libvirt/images/");
    g_ptr_array_add(pools, p);
    p = g_new0(InventoryPool, 1);
    p->name = g_strdup("nfs1");
    p->type = g_strdup("netfs");
    p->target_path = g_strdup("/mnt/nfs1");
    p->host = g_strdup("filer.example");
    g_ptr_array_add(pools, p);
    return pools;
}

static void
test_datastore_from_pool_directory(void)
{
    g_autoptr(GPtrArray) pools = pools_new();
    g_autoptr(AgentDisk) disk = disk_new("/mnt/nfs1/web/../web1.qcow2", "qcow2");

    inventory_disk_set_datastore(disk, pools);
    g_assert_cmpstr(disk->datastore_name, ==, "nfs1");
    g_assert_cmpstr(disk->datastore_type, ==, "netfs");
    g_assert_cmpstr(disk->datastore_host, ==, "filer.example");
    g_assert_cmpstr(disk->datastore_path, ==, "/mnt/nfs1");
}

static void
test_datastore_from_volume_pool(void)
{
    g_autoptr(GPtrArray) pools = pools_new();
    g_autoptr(AgentDisk) disk = disk_new("/var/lib/libvirt/images/x.img", "raw");

    disk->pool = g_strdup("default");
    inventory_disk_set_datastore(disk, pools);
    g_assert_cmpstr(disk->datastore_name, ==, "default");
    g_assert_cmpstr(disk->datastore_type, ==, "dir");
    g_assert_null(disk->datastore_host);
    g_assert_cmpstr(disk->datastore_path, ==, "/var/lib/libvirt/images/");
}

static void
test_datastore_without_pool(void)
{
    g_autoptr(GPtrArray) pools = pools_new();
    g_autoptr(AgentDisk) disk = disk_new("/dev/loop7", "raw");

    g_free(disk->source_type);
    disk->source_type = g_strdup("block");
    inventory_disk_set_datastore(disk, pools);
    g_assert_null(disk->datastore_name);
    g_assert_null(disk->datastore_host);
    g_assert_cmpstr(disk->datastore_type, ==, "block");
    g_assert_cmpstr(disk->datastore_path, ==, "/dev");
}

static void
test_response_shape(void)
{
    g_autoptr(AgentInventory) inv = g_new0(AgentInventory, 1);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    AgentDomain *d;
    JsonObject *resp;
    JsonArray *skipped;

    inv->uri = g_strdup("test:///default");
    inv->listed = g_ptr_array_new_with_free_func((GDestroyNotify)agent_domain_free);
    inv->skipped = g_ptr_array_new_with_free_func((GDestroyNotify)agent_domain_free);
    d = g_new0(AgentDomain, 1);
    d->name = g_strdup("a");
    d->powerstate = g_strdup("PowerOff");
    d->memory_mib = 512;
    d->vcpus = 2;
    d->cores = d->sockets = d->threads = -1;
    d->cpu_speed_mhz = 2400;
    d->hostname = g_strdup("kvm7");
    d->disks = g_ptr_array_new_with_free_func((GDestroyNotify)agent_disk_free);
    d->nics = g_ptr_array_new_with_free_func((GDestroyNotify)agent_nic_free);
    g_ptr_array_add(inv->listed, d);
    d = g_new0(AgentDomain, 1);
    d->name = g_strdup("b");
    d->powerstate = g_strdup("PowerOn");
    d->skip_reason = g_strdup("running");
    g_ptr_array_add(inv->skipped, d);

    text = agent_inventory_to_json(inv, AGENT_INVENTORY_DEFAULT);
    g_assert_true(json_parser_load_from_data(parser, text, -1, &error));
    resp = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)),
                                         "listvmsforimportresponse");
    g_assert_nonnull(resp);
    g_assert_cmpint(json_object_get_int_member(resp, "count"), ==, 1);
    d = g_ptr_array_index(inv->listed, 0);
    {
        JsonObject *vm = json_array_get_object_element(
            json_object_get_array_member(resp, "unmanagedinstance"), 0);

        g_assert_cmpstr(json_object_get_string_member(vm, "name"), ==, "a");
        g_assert_cmpstr(json_object_get_string_member(vm, "powerstate"), ==, "PowerOff");
        g_assert_cmpint(json_object_get_int_member(vm, "memory"), ==, 512);
        g_assert_cmpint(json_object_get_int_member(vm, "cpunumber"), ==, 2);
        g_assert_cmpint(json_object_get_int_member(vm, "cpuspeed"), ==, 2400);
        g_assert_cmpstr(json_object_get_string_member(vm, "hostname"), ==, "kvm7");
        g_assert_false(json_object_has_member(vm, "cpucorepersocket"));
        g_assert_false(json_object_has_member(vm, "osdisplayname"));
        g_assert_false(json_object_has_member(vm, "exportable"));
    }
    skipped = json_object_get_array_member(resp, "skipped");
    g_assert_cmpuint(json_array_get_length(skipped), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(skipped, 0),
                                                  "reason"), ==, "running");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add(path, DiskFixture, NULL, disk_fixture_setup, fn, disk_fixture_teardown)
    ADD("/agent/inventory/disk/raw-capacity-is-the-virtual-size",
        test_raw_capacity_is_virtual_size);
    ADD("/agent/inventory/disk/undeclared-format-is-probed", test_undeclared_format_is_probed);
    ADD("/agent/inventory/disk/missing-file-names-the-file", test_missing_file);
    ADD("/agent/inventory/disk/directory-is-not-an-image", test_unreadable_file);
    ADD("/agent/inventory/disk/declared-raw-holding-qcow2-header",
        test_declared_raw_holding_qcow2);
    ADD("/agent/inventory/disk/unknown-declared-format", test_unknown_declared_format);
#undef ADD
    g_test_add_func("/agent/inventory/disk/datastore-from-pool-directory",
                    test_datastore_from_pool_directory);
    g_test_add_func("/agent/inventory/disk/datastore-from-volume-pool",
                    test_datastore_from_volume_pool);
    g_test_add_func("/agent/inventory/disk/datastore-without-pool",
                    test_datastore_without_pool);
    g_test_add_func("/agent/inventory/json/response-shape-and-absent-fields",
                    test_response_shape);
    return g_test_run();
}
