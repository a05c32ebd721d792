/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * os.c: which ext2/3/4 filesystem is the guest's root, and what it says:
 * os-release(5) (/etc/os-release, else /usr/lib/os-release), fstab(5),
 * kernels and initramfs images in /boot (or on the filesystem fstab mounts
 * at /boot), GRUB's configuration, cloud-init, and the paravirtual drivers
 * under /lib/modules/<version>/ (as modules or listed in modules.builtin).
 *
 * Everything is looked up by path, never by walking a tree: a lookup
 * reads only the directories on its way, so a large root costs what a
 * small one does.
 */
#include <config.h>

#include <string.h>

#include "conv/conv.h"
#include "inspect/inspect-priv.h"

/* Driver modules whose presence decides whether a guest boots on a
 * hypervisor: virtio (KVM), NVMe and ENA (AWS Nitro), xen front ends
 * (AWS Xen), Hyper-V's VMBus devices (Azure).  Paths are under
 * /lib/modules/<version>/. */
static const struct {
    const char *name;
    const char *dir;
} inspect_drivers[] = {
    { "virtio_blk", "kernel/drivers/block" },
    { "virtio_net", "kernel/drivers/net" },
    { "virtio_scsi", "kernel/drivers/scsi" },
    { "virtio_pci", "kernel/drivers/virtio" },
    { "nvme", "kernel/drivers/nvme/host" },
    { "ena", "kernel/drivers/net/ethernet/amazon/ena" },
    { "xen-blkfront", "kernel/drivers/block" },
    { "xen-netfront", "kernel/drivers/net" },
    { "hv_vmbus", "kernel/drivers/hv" },
    { "hv_storvsc", "kernel/drivers/scsi" },
    { "hv_netvsc", "kernel/drivers/net/hyperv" },
};

static const char *const inspect_module_suffixes[] = {
    ".ko", ".ko.xz", ".ko.zst", ".ko.gz",
};

void
inspect_os_free(InspectOs *os)
{
    if (!os)
        return;
    g_free(os->root);
    g_free(os->id);
    g_free(os->version_id);
    g_free(os->pretty_name);
    if (os->fstab)
        g_ptr_array_unref(os->fstab);
    g_ptr_array_unref(os->kernels);
    g_ptr_array_unref(os->initramfs);
    g_ptr_array_unref(os->drivers);
    g_free(os->grub);
    g_free(os);
}

static char *
inspect_volume_name(const InspectVolume *v)
{
    if (v->partition)
        return g_strdup_printf("disk %u partition %u", v->disk, v->partition);
    return g_strdup_printf("disk %u", v->disk);
}

static gboolean
inspect_volume_is_ext(const InspectVolume *v)
{
    return g_str_equal(v->fs->type, "ext2") || g_str_equal(v->fs->type, "ext3") ||
           g_str_equal(v->fs->type, "ext4");
}

static void
inspect_os_note(GPtrArray *notes, const InspectVolume *v, const GError *error)
{
    g_autofree char *name = inspect_volume_name(v);

    g_ptr_array_add(notes, g_strdup_printf("%s: %s", name, error->message));
}

static InspectExt *
inspect_os_open(const InspectVolume *v, GPtrArray *notes)
{
    g_autoptr(GError) error = NULL;
    InspectExt *ext = inspect_ext_open(v->r, v->offset, v->size, &error);

    if (!ext)
        inspect_os_note(notes, v, error);
    return ext;
}

static gboolean
inspect_str_in(GPtrArray *a, const char *s)
{
    guint i;

    for (i = 0; i < a->len; i++)
        if (g_str_equal(g_ptr_array_index(a, i), s))
            return TRUE;
    return FALSE;
}

static gint
inspect_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The kernels and initramfs images in @dir of @ext. */
static void
inspect_os_boot_files(InspectOs *os, InspectExt *ext, const char *dir)
{
    g_autoptr(GPtrArray) names = inspect_ext_list(ext, dir);
    guint i;

    for (i = 0; names && i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);

        if (g_str_has_prefix(n, "vmlinuz-") && n[8])
            g_ptr_array_add(os->kernels, g_strdup(n + 8));
        else if (g_str_has_prefix(n, "initrd.img-") ||
                 g_str_has_prefix(n, "initramfs-") ||
                 g_str_has_prefix(n, "initrd-"))
            g_ptr_array_add(os->initramfs, g_strdup(n));
    }
}

static void
inspect_os_grub(InspectOs *os, InspectExt *ext, gboolean boot_fs)
{
    static const char *const cfgs[] = { "/grub/grub.cfg", "/grub2/grub.cfg" };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(cfgs); i++) {
        g_autofree char *path = g_strconcat(boot_fs ? "" : "/boot", cfgs[i],
                                            NULL);

        if (inspect_ext_exists(ext, path)) {
            os->grub = g_strconcat("/boot", cfgs[i], NULL);
            return;
        }
    }
}

/* A directory listing, or NULL when there was no such directory. */
static void
inspect_names_free(gpointer names)
{
    if (names)
        g_ptr_array_unref(names);
}

static void
inspect_os_add_driver(InspectOs *os, const char *name)
{
    if (!inspect_str_in(os->drivers, name))
        g_ptr_array_add(os->drivers, g_strdup(name));
}

/* Whether modules.builtin (one "kernel/drivers/.../name.ko" per line)
 * names @name. */
static gboolean
inspect_builtin_has(const char *text, const char *name)
{
    g_autofree char *needle = g_strconcat("/", name, ".ko\n", NULL);
    g_autofree char *padded = g_strconcat(text, "\n", NULL);

    return strstr(padded, needle) != NULL;
}

static void
inspect_os_drivers(InspectOs *os, InspectExt *ext)
{
    g_autoptr(GPtrArray) versions = inspect_ext_list(ext, "/lib/modules");
    guint v;
    gsize d, s;

    for (v = 0; versions && v < versions->len && v < INSPECT_MAX_KERNELS;
         v++) {
        const char *ver = g_ptr_array_index(versions, v);
        g_autofree char *builtin_path = g_strdup_printf(
            "/lib/modules/%s/modules.builtin", ver);
        g_autoptr(GBytes) builtin = inspect_ext_read_file(ext, builtin_path,
                                                          NULL);
        g_autoptr(GHashTable) dirs = g_hash_table_new_full(
            g_str_hash, g_str_equal, NULL, inspect_names_free);

        for (d = 0; d < G_N_ELEMENTS(inspect_drivers); d++) {
            GPtrArray *names;

            if (builtin &&
                inspect_builtin_has(g_bytes_get_data(builtin, NULL),
                                    inspect_drivers[d].name)) {
                inspect_os_add_driver(os, inspect_drivers[d].name);
                continue;
            }
            /* One listing per directory, shared by the drivers in it. */
            if (!g_hash_table_lookup_extended(dirs, inspect_drivers[d].dir,
                                              NULL, (gpointer *)&names)) {
                g_autofree char *path = g_strdup_printf(
                    "/lib/modules/%s/%s", ver, inspect_drivers[d].dir);

                names = inspect_ext_list(ext, path);
                g_hash_table_insert(dirs, (gpointer)inspect_drivers[d].dir,
                                    names);
            }
            for (s = 0; names && s < G_N_ELEMENTS(inspect_module_suffixes);
                 s++) {
                g_autofree char *file = g_strconcat(
                    inspect_drivers[d].name, inspect_module_suffixes[s], NULL);

                if (inspect_str_in(names, file)) {
                    inspect_os_add_driver(os, inspect_drivers[d].name);
                    break;
                }
            }
        }
    }
    g_ptr_array_sort(os->drivers, inspect_cmp);
}

/* The volume an fstab spec names: by filesystem UUID or label, partition
 * GUID or name, or a kernel name (/dev/vdb2: disk 1 partition 2). */
static const InspectVolume *
inspect_os_resolve(GPtrArray *volumes, const char *spec)
{
    guint i;

    for (i = 0; i < volumes->len; i++) {
        const InspectVolume *v = g_ptr_array_index(volumes, i);
        const char *value = strchr(spec, '=') ? strchr(spec, '=') + 1 : NULL;

        if (g_str_has_prefix(spec, "UUID=") && v->fs->uuid &&
            g_ascii_strcasecmp(value, v->fs->uuid) == 0)
            return v;
        if (g_str_has_prefix(spec, "LABEL=") && v->fs->label &&
            g_str_equal(value, v->fs->label))
            return v;
        if (g_str_has_prefix(spec, "PARTUUID=") && v->part_uuid &&
            g_ascii_strcasecmp(value, v->part_uuid) == 0)
            return v;
        if (g_str_has_prefix(spec, "PARTLABEL=") && v->part_label &&
            g_str_equal(value, v->part_label))
            return v;
        if (inspect_fstab_spec_is_device(spec) &&
            !g_str_has_prefix(spec, "/dev/nvme")) {
            /* One letter for the disk, then the partition number. */
            const char *p = strchr(spec + 5, 'd') + 1;
            guint disk;
            guint64 part;

            if (!g_ascii_islower(*p) || g_ascii_islower(p[1]))
                continue;
            disk = (guint)(*p - 'a');
            part = g_ascii_strtoull(p + 1, NULL, 10);
            if (disk == v->disk && part == v->partition)
                return v;
        }
    }
    return NULL;
}

static void
inspect_os_read_release(InspectOs *os, InspectExt *ext)
{
    g_autoptr(GBytes) b = inspect_ext_read_file(ext, "/etc/os-release", NULL);
    const char *text;
    gsize len;

    if (!b)
        b = inspect_ext_read_file(ext, "/usr/lib/os-release", NULL);
    if (!b)
        return;
    text = g_bytes_get_data(b, &len);
    os->id = inspect_os_release_get(text, len, "ID");
    os->version_id = inspect_os_release_get(text, len, "VERSION_ID");
    os->pretty_name = inspect_os_release_get(text, len, "PRETTY_NAME");
}

/* Whether @ext looks like a root: it has os-release or an fstab. */
static gboolean
inspect_os_is_root(InspectExt *ext)
{
    return inspect_ext_exists(ext, "/etc/os-release") ||
           inspect_ext_exists(ext, "/usr/lib/os-release") ||
           inspect_ext_exists(ext, "/etc/fstab");
}

InspectOs *
inspect_os_find(GPtrArray *volumes, GPtrArray *notes)
{
    g_autoptr(InspectOs) os = NULL;
    g_autoptr(InspectExt) root = NULL;
    g_autoptr(GBytes) fstab = NULL;
    const InspectVolume *root_v = NULL, *boot_v = NULL;
    guint i;

    for (i = 0; i < volumes->len && !root; i++) {
        const InspectVolume *v = g_ptr_array_index(volumes, i);
        g_autoptr(InspectExt) ext = NULL;

        if (!inspect_volume_is_ext(v))
            continue;
        ext = inspect_os_open(v, notes);
        if (ext && inspect_os_is_root(ext)) {
            root = g_steal_pointer(&ext);
            root_v = v;
        }
    }
    if (!root)
        return NULL;
    os = g_new0(InspectOs, 1);
    os->kernels = g_ptr_array_new_with_free_func(g_free);
    os->initramfs = g_ptr_array_new_with_free_func(g_free);
    os->drivers = g_ptr_array_new_with_free_func(g_free);
    os->root = inspect_volume_name(root_v);
    os->root_fs_type = root_v->fs->type;
    inspect_os_read_release(os, root);
    fstab = inspect_ext_read_file(root, "/etc/fstab", NULL);
    if (fstab) {
        gsize len;
        const char *text = g_bytes_get_data(fstab, &len);

        os->fstab = inspect_fstab_parse(text, len);
        for (i = 0; i < os->fstab->len; i++) {
            InspectFstabEntry *e = g_ptr_array_index(os->fstab, i);

            if (g_str_equal(e->file, "/boot")) {
                os->boot_separate = TRUE;
                boot_v = inspect_os_resolve(volumes, e->spec);
            }
        }
    }
    inspect_os_boot_files(os, root, "/boot");
    inspect_os_grub(os, root, FALSE);
    /* /boot elsewhere: the filesystem fstab names, else any other ext
     * filesystem whose top holds a kernel. */
    for (i = 0; i < volumes->len && os->kernels->len == 0; i++) {
        const InspectVolume *v = g_ptr_array_index(volumes, i);
        g_autoptr(InspectExt) ext = NULL;

        if (boot_v && v != boot_v)
            continue;
        if (v == root_v || !inspect_volume_is_ext(v))
            continue;
        ext = inspect_os_open(v, notes);
        if (ext) {
            inspect_os_boot_files(os, ext, "/");
            if (!os->grub)
                inspect_os_grub(os, ext, TRUE);
        }
    }
    inspect_os_drivers(os, root);
    os->cloud_init = inspect_ext_exists(root, "/etc/cloud/cloud.cfg") ||
                     inspect_ext_exists(root, "/usr/bin/cloud-init");
    return g_steal_pointer(&os);
}
