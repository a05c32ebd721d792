/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inspect.c: ferry_inspect(): opens each disk through conv/ (read-only, its
 * backing chain included), reads its partition table, names what each
 * partition holds, finds the OS on the root filesystem, and builds the
 * report and the flat "guest" facts of docs/inspect.md.
 *
 * Every read goes through one callback that counts the bytes asked of
 * conv_image_pread() ("bytes-read"), so the report says how much of the
 * image inspection touched: a partition table, a few superblocks, and the
 * directories and files on the paths looked up, never the whole disk.
 */
#include <config.h>

#include <string.h>

#include "conv/conv.h"
#include "inspect/inspect-priv.h"
#include "inspect/inspect.h"

/* A guest has a few disks; libvirt allows more, but inspecting hundreds
 * is no inspection. */
#define INSPECT_MAX_DISKS 256
#define MIB (1024 * 1024)

typedef struct {
    ConvImage *img;
    guint64 *bytes_read;
    GCancellable *cancellable;
} InspectDiskIo;

typedef struct {
    ConvImage *img;
    InspectDiskIo io;
    InspectReader reader;
    InspectTable *table;
    GPtrArray *fs;            /* of InspectFs or NULL, one per partition */
    InspectFs *whole;         /* without a table */
    GPtrArray *notes;
    char *esp_loader;         /* the fallback loader found on an ESP */
    gboolean esp;
} InspectDisk;

static void
inspect_disk_free(InspectDisk *d)
{
    if (!d)
        return;
    conv_image_free(d->img);
    inspect_table_free(d->table);
    if (d->fs)
        g_ptr_array_unref(d->fs);
    inspect_fs_free(d->whole);
    g_ptr_array_unref(d->notes);
    g_free(d->esp_loader);
    g_free(d);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(InspectDisk, inspect_disk_free)

static gboolean
inspect_disk_read(gpointer data, void *buf, gsize len, guint64 offset,
                  GError **error)
{
    InspectDiskIo *io = data;

    if (g_cancellable_set_error_if_cancelled(io->cancellable, error))
        return FALSE;
    *io->bytes_read += len;
    return conv_image_pread(io->img, buf, len, offset, error);
}

static gboolean
inspect_part_holds_fs(const InspectPartition *p)
{
    return g_strcmp0(p->type, "extended") != 0;
}

/* Looks for the fallback loader on an ESP; a FAT that breaks its spec is
 * a note, not a failure. */
static gboolean
inspect_disk_esp(InspectDisk *d, const InspectPartition *p, const char *arch,
                 GError **error)
{
    static const char *const loaders[] = { "EFI/BOOT/BOOTX64.EFI",
                                           "EFI/BOOT/BOOTAA64.EFI" };
    gsize i;

    d->esp = TRUE;
    for (i = 0; i < G_N_ELEMENTS(loaders) && !d->esp_loader; i++) {
        g_autoptr(GError) local = NULL;
        gboolean found = FALSE;

        if (arch && g_str_equal(arch, "aarch64") != (i == 1))
            continue;
        if (!inspect_fat_exists(&d->reader, p->start, p->size, loaders[i],
                                &found, &local)) {
            if (!g_error_matches(local, FERRY_ERROR, FERRY_ERROR_CORRUPT)) {
                g_propagate_error(error, g_steal_pointer(&local));
                return FALSE;
            }
            g_ptr_array_add(d->notes, g_strdup_printf(
                "partition %u: %s", p->number, local->message));
            return TRUE;
        }
        if (found)
            d->esp_loader = g_strdup(loaders[i]);
    }
    return TRUE;
}

static InspectDisk *
inspect_disk_open(const char *path, const char *format, guint64 *bytes_read,
                  const char *arch, GCancellable *cancellable, GError **error)
{
    g_autoptr(InspectDisk) d = g_new0(InspectDisk, 1);
    guint i;

    d->notes = g_ptr_array_new_with_free_func(g_free);
    d->img = conv_image_open(path, format, error);
    if (!d->img)
        return NULL;
    d->io.img = d->img;
    d->io.bytes_read = bytes_read;
    d->io.cancellable = cancellable;
    d->reader.read = inspect_disk_read;
    d->reader.data = &d->io;
    d->reader.size = conv_image_get_size(d->img);
    d->table = inspect_partitions_read(&d->reader, error);
    if (!d->table) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    for (i = 0; i < d->table->notes->len; i++)
        g_ptr_array_add(d->notes, g_strdup(g_ptr_array_index(d->table->notes,
                                                             i)));
    if (d->table->kind == INSPECT_TABLE_NONE) {
        d->whole = inspect_superblock_identify(&d->reader, 0, d->reader.size,
                                               error);
        if (!d->whole) {
            g_prefix_error(error, "%s: ", path);
            return NULL;
        }
        return g_steal_pointer(&d);
    }
    d->fs = g_ptr_array_new_with_free_func((GDestroyNotify)inspect_fs_free);
    for (i = 0; i < d->table->partitions->len; i++) {
        const InspectPartition *p = g_ptr_array_index(d->table->partitions, i);
        InspectFs *fs = NULL;

        if (inspect_part_holds_fs(p)) {
            fs = inspect_superblock_identify(&d->reader, p->start, p->size,
                                             error);
            if (!fs) {
                g_prefix_error(error, "%s: partition %u: ", path, p->number);
                return NULL;
            }
        }
        g_ptr_array_add(d->fs, fs);
        if (fs && g_str_equal(p->type, "esp") && g_str_equal(fs->type, "vfat") &&
            !inspect_disk_esp(d, p, arch, error)) {
            g_prefix_error(error, "%s: partition %u: ", path, p->number);
            return NULL;
        }
    }
    return g_steal_pointer(&d);
}

/* ---- the report ---------------------------------------------------------- */

static void
inspect_add_string(JsonBuilder *b, const char *key, const char *value)
{
    json_builder_set_member_name(b, key);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
inspect_add_strings(JsonBuilder *b, const char *key, GPtrArray *values)
{
    guint i;

    json_builder_set_member_name(b, key);
    if (!values) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_array(b);
    for (i = 0; i < values->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(values, i));
    json_builder_end_array(b);
}

static void
inspect_add_bool(JsonBuilder *b, const char *key, gboolean value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_boolean_value(b, value);
}

static void
inspect_add_int(JsonBuilder *b, const char *key, gint64 value)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, value);
}

static void
inspect_add_fs(JsonBuilder *b, const InspectFs *fs)
{
    json_builder_set_member_name(b, "filesystem");
    if (fs)
        json_builder_add_value(b, inspect_fs_to_json(fs));
    else
        json_builder_add_null_value(b);
}

static void
inspect_disk_json(JsonBuilder *b, const InspectDisk *d)
{
    const InspectTable *t = d->table;
    guint i;

    json_builder_begin_object(b);
    inspect_add_string(b, "path", conv_image_get_path(d->img));
    inspect_add_string(b, "format", conv_image_get_format(d->img));
    inspect_add_int(b, "virtual-size", (gint64)conv_image_get_size(d->img));
    inspect_add_string(b, "partition-table",
                       inspect_table_kind_to_string(t->kind));
    inspect_add_bool(b, "mbr-boot-code", t->mbr_boot_code);
    json_builder_set_member_name(b, "gpt");
    if (t->kind == INSPECT_TABLE_GPT) {
        json_builder_begin_object(b);
        inspect_add_string(b, "disk-guid", t->disk_guid);
        inspect_add_bool(b, "primary-header-ok", t->primary_ok);
        inspect_add_bool(b, "backup-header-ok", t->backup_ok);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_set_member_name(b, "partitions");
    json_builder_begin_array(b);
    for (i = 0; i < t->partitions->len; i++) {
        const InspectPartition *p = g_ptr_array_index(t->partitions, i);
        const InspectFs *fs = d->fs ? g_ptr_array_index(d->fs, i) : NULL;

        json_builder_begin_object(b);
        inspect_add_int(b, "number", p->number);
        inspect_add_int(b, "start", (gint64)p->start);
        inspect_add_int(b, "size", (gint64)p->size);
        inspect_add_string(b, "type", p->type);
        inspect_add_string(b, "type-id", p->type_id);
        inspect_add_bool(b, "logical", p->logical);
        inspect_add_string(b, "uuid", p->uuid);
        inspect_add_string(b, "name", p->name);
        inspect_add_fs(b, fs);
        if (g_str_equal(p->type, "esp"))
            inspect_add_string(b, "fallback-loader", d->esp_loader);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    inspect_add_fs(b, d->whole);
    inspect_add_strings(b, "notes", d->notes);
    json_builder_end_object(b);
}

static void
inspect_os_json(JsonBuilder *b, const InspectOs *os)
{
    guint i;

    json_builder_set_member_name(b, "os");
    if (!os) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_object(b);
    inspect_add_string(b, "root", os->root);
    inspect_add_string(b, "id", os->id);
    inspect_add_string(b, "version-id", os->version_id);
    inspect_add_string(b, "pretty-name", os->pretty_name);
    json_builder_set_member_name(b, "fstab");
    if (os->fstab) {
        json_builder_begin_array(b);
        for (i = 0; i < os->fstab->len; i++) {
            const InspectFstabEntry *e = g_ptr_array_index(os->fstab, i);

            json_builder_begin_object(b);
            inspect_add_string(b, "spec", e->spec);
            inspect_add_string(b, "file", e->file);
            inspect_add_string(b, "vfstype", e->vfstype);
            inspect_add_string(b, "by", e->by);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
    } else {
        json_builder_add_null_value(b);
    }
    inspect_add_strings(b, "kernels", os->kernels);
    inspect_add_strings(b, "initramfs", os->initramfs);
    inspect_add_strings(b, "drivers", os->drivers);
    inspect_add_string(b, "grub", os->grub);
    inspect_add_bool(b, "cloud-init", os->cloud_init);
    json_builder_end_object(b);
}

/* ---- the facts ----------------------------------------------------------- */

static void
inspect_add_unique(GPtrArray *a, const char *s)
{
    guint i;

    for (i = 0; i < a->len; i++)
        if (g_str_equal(g_ptr_array_index(a, i), s))
            return;
    g_ptr_array_add(a, g_strdup(s));
}

static gint
inspect_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* BIOS boot needs somewhere for GRUB's core image.  On a GPT disk: a BIOS
 * boot partition, or 1 MiB free between the first usable sector (LBA 34,
 * after the entries) and the first partition; grub-install refuses to
 * embed anywhere else on GPT.  On an MBR disk: the gap after the MBR, when
 * the first partition starts at 1 MiB or later (what fdisk has done since
 * util-linux 2.17.1; the older start at sector 63 leaves 31.5 KiB). */
static gboolean
inspect_bios_boot(const InspectTable *t)
{
    guint64 first = G_MAXUINT64;
    guint i;

    if (t->kind == INSPECT_TABLE_NONE)
        return FALSE;
    for (i = 0; i < t->partitions->len; i++) {
        const InspectPartition *p = g_ptr_array_index(t->partitions, i);

        if (g_str_equal(p->type, "bios-boot"))
            return TRUE;
        if (!p->logical)
            first = MIN(first, p->start);
    }
    if (first == G_MAXUINT64)
        return FALSE;
    if (t->kind == INSPECT_TABLE_MBR)
        return first >= MIB;
    return first >= 34 * 512 && first - 34 * 512 >= MIB;
}

static void
inspect_guest_json(JsonBuilder *b, const FerryInspectSource *src,
                   GPtrArray *disks, const InspectOs *os)
{
    g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) formats = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) mounts = NULL;
    g_autoptr(GPtrArray) buses = g_ptr_array_new_with_free_func(g_free);
    const InspectDisk *d0 = disks->len ? g_ptr_array_index(disks, 0) : NULL;
    gboolean lvm = FALSE, luks = FALSE, raid = FALSE, esp = FALSE;
    gboolean loader = FALSE, by_device = FALSE;
    guint64 largest = 0;
    const char *firmware = src->firmware;
    guint i, j;

    for (i = 0; i < disks->len; i++) {
        const InspectDisk *d = g_ptr_array_index(disks, i);
        const InspectTable *t = d->table;

        g_ptr_array_add(tables, g_strdup(inspect_table_kind_to_string(t->kind)));
        g_ptr_array_add(formats, g_strdup(conv_image_get_format(d->img)));
        largest = MAX(largest, conv_image_get_size(d->img));
        esp = esp || d->esp;
        loader = loader || d->esp_loader;
        for (j = 0; j < t->partitions->len; j++) {
            const InspectPartition *p = g_ptr_array_index(t->partitions, j);
            const InspectFs *fs = g_ptr_array_index(d->fs, j);

            lvm = lvm || g_str_equal(p->type, "lvm");
            luks = luks || g_str_equal(p->type, "luks");
            raid = raid || g_str_equal(p->type, "raid");
            if (fs && !g_str_equal(fs->type, "unknown"))
                inspect_add_unique(types, fs->type);
        }
        if (d->whole && !g_str_equal(d->whole->type, "unknown"))
            inspect_add_unique(types, d->whole->type);
    }
    for (i = 0; i < types->len; i++) {
        lvm = lvm || g_str_equal(g_ptr_array_index(types, i), "lvm2-pv");
        luks = luks || g_str_equal(g_ptr_array_index(types, i), "luks");
    }
    g_ptr_array_sort(types, inspect_cmp);
    if (!firmware && d0 && d0->table->kind != INSPECT_TABLE_NONE)
        firmware = d0->table->kind == INSPECT_TABLE_GPT && d0->esp ? "uefi"
                                                                    : "bios";
    if (os && os->fstab) {
        mounts = g_ptr_array_new_with_free_func(g_free);
        for (i = 0; i < os->fstab->len; i++) {
            const InspectFstabEntry *e = g_ptr_array_index(os->fstab, i);

            if (e->file[0] == '/')
                g_ptr_array_add(mounts, g_strdup(e->file));
            by_device = by_device || g_str_equal(e->by, "device");
        }
    }
    for (i = 0; src->disk_buses && src->disk_buses[i]; i++)
        g_ptr_array_add(buses, g_strdup(src->disk_buses[i]));

    json_builder_set_member_name(b, "guest");
    json_builder_begin_object(b);
    inspect_add_string(b, "firmware", firmware);
    inspect_add_string(b, "arch", src->arch);
    inspect_add_int(b, "disk-count", disks->len);
    inspect_add_int(b, "os-disk-size", d0 ? (gint64)conv_image_get_size(d0->img)
                                          : 0);
    inspect_add_int(b, "largest-disk-size", (gint64)largest);
    inspect_add_strings(b, "partition-tables", tables);
    inspect_add_string(b, "os-disk-partition-table",
                       d0 ? inspect_table_kind_to_string(d0->table->kind)
                          : NULL);
    inspect_add_bool(b, "lvm", lvm);
    inspect_add_bool(b, "luks", luks);
    inspect_add_bool(b, "raid", raid);
    inspect_add_strings(b, "filesystem-types", types);
    inspect_add_string(b, "root-fs-type", os ? os->root_fs_type : NULL);
    json_builder_set_member_name(b, "boot-separate");
    if (os && os->fstab)
        json_builder_add_boolean_value(b, os->boot_separate);
    else
        json_builder_add_null_value(b);
    inspect_add_strings(b, "mount-points", mounts);
    json_builder_set_member_name(b, "fstab-by-device");
    if (os && os->fstab)
        json_builder_add_boolean_value(b, by_device);
    else
        json_builder_add_null_value(b);
    inspect_add_bool(b, "esp", esp);
    inspect_add_bool(b, "fallback-loader", loader);
    inspect_add_bool(b, "mbr-boot-code", d0 && d0->table->mbr_boot_code);
    inspect_add_bool(b, "bios-boot", d0 && inspect_bios_boot(d0->table));
    inspect_add_string(b, "os-id", os ? os->id : NULL);
    inspect_add_string(b, "os-version-id", os ? os->version_id : NULL);
    inspect_add_string(b, "os-pretty-name", os ? os->pretty_name : NULL);
    json_builder_set_member_name(b, "kernel-count");
    if (os)
        json_builder_add_int_value(b, os->kernels->len);
    else
        json_builder_add_null_value(b);
    inspect_add_strings(b, "drivers", os ? os->drivers : NULL);
    json_builder_set_member_name(b, "cloud-init");
    if (os)
        json_builder_add_boolean_value(b, os->cloud_init);
    else
        json_builder_add_null_value(b);
    inspect_add_strings(b, "disk-formats", formats);
    inspect_add_strings(b, "disk-buses", buses);
    json_builder_end_object(b);
}

/* Why the OS on a volume of @type is not read, or NULL. */
static const char *
inspect_unread_reason(const char *type)
{
    static const struct {
        const char *type;
        const char *why;
    } reasons[] = {
        { "xfs", "identified only: files are read from ext2/3/4 alone" },
        { "btrfs", "identified only: files are read from ext2/3/4 alone" },
        { "lvm2-pv", "its logical volumes are not read" },
        { "luks", "encrypted: nothing inside is read" },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(reasons); i++)
        if (g_str_equal(type, reasons[i].type))
            return reasons[i].why;
    return NULL;
}

/* Each recognised filesystem, disks in order, for inspect_os_find(). */
static GPtrArray *
inspect_volumes(GPtrArray *disks)
{
    GPtrArray *volumes = g_ptr_array_new_with_free_func(g_free);
    guint i, j;

    for (i = 0; i < disks->len; i++) {
        InspectDisk *d = g_ptr_array_index(disks, i);
        InspectVolume *v;

        if (d->whole) {
            v = g_new0(InspectVolume, 1);
            v->disk = i;
            v->r = &d->reader;
            v->size = d->reader.size;
            v->fs = d->whole;
            g_ptr_array_add(volumes, v);
            continue;
        }
        for (j = 0; j < d->table->partitions->len; j++) {
            const InspectPartition *p =
                g_ptr_array_index(d->table->partitions, j);
            const InspectFs *fs = g_ptr_array_index(d->fs, j);

            if (!fs)
                continue;
            v = g_new0(InspectVolume, 1);
            v->disk = i;
            v->partition = p->number;
            v->r = &d->reader;
            v->offset = p->start;
            v->size = p->size;
            v->fs = fs;
            v->part_uuid = p->uuid;
            v->part_label = p->name;
            g_ptr_array_add(volumes, v);
        }
    }
    return volumes;
}

JsonObject *
ferry_inspect(const FerryInspectSource *src, GCancellable *cancellable,
              GError **error)
{
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(
        (GDestroyNotify)inspect_disk_free);
    g_autoptr(GPtrArray) volumes = NULL;
    g_autoptr(GPtrArray) os_notes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(InspectOs) os = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    guint64 bytes_read = 0;
    guint i;

    if (!src->disk_paths || !src->disk_paths[0]) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: no disk to inspect", src->name ? src->name : "guest");
        return NULL;
    }
    for (i = 0; src->disk_paths[i]; i++) {
        const char *fmt = src->disk_formats ? src->disk_formats[i] : NULL;
        InspectDisk *d;

        if (i >= INSPECT_MAX_DISKS) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: more than %d disks", src->name ? src->name
                                                            : "guest",
                        INSPECT_MAX_DISKS);
            return NULL;
        }
        d = inspect_disk_open(src->disk_paths[i], fmt, &bytes_read, src->arch,
                              cancellable, error);
        if (!d)
            return NULL;
        g_ptr_array_add(disks, d);
    }
    volumes = inspect_volumes(disks);
    os = inspect_os_find(volumes, os_notes);
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return NULL;
    /* Without an ext root, say where the OS may be and why it was not
     * read, so that a null "os" is not taken for an empty disk. */
    for (i = 0; !os && i < volumes->len; i++) {
        const InspectVolume *v = g_ptr_array_index(volumes, i);
        InspectDisk *d = g_ptr_array_index(disks, v->disk);
        const char *why = inspect_unread_reason(v->fs->type);

        if (why && v->partition)
            g_ptr_array_add(d->notes, g_strdup_printf(
                "partition %u: %s: %s", v->partition, v->fs->type, why));
        else if (why)
            g_ptr_array_add(d->notes, g_strdup_printf(
                "whole disk: %s: %s", v->fs->type, why));
    }
    /* What the OS search could not read belongs to its disk's notes. */
    for (i = 0; i < os_notes->len; i++) {
        InspectDisk *d0 = g_ptr_array_index(disks, 0);

        g_ptr_array_add(d0->notes, g_strdup(g_ptr_array_index(os_notes, i)));
    }

    json_builder_begin_object(b);
    inspect_add_string(b, "source", src->name ? src->name : src->disk_paths[0]);
    if (src->firmware || src->machine || src->arch || src->disk_buses) {
        json_builder_set_member_name(b, "domain");
        json_builder_begin_object(b);
        inspect_add_string(b, "firmware", src->firmware);
        inspect_add_string(b, "machine", src->machine);
        inspect_add_string(b, "arch", src->arch);
        json_builder_set_member_name(b, "disk-buses");
        json_builder_begin_array(b);
        for (i = 0; src->disk_buses && src->disk_buses[i]; i++)
            json_builder_add_string_value(b, src->disk_buses[i]);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_set_member_name(b, "disks");
    json_builder_begin_array(b);
    for (i = 0; i < disks->len; i++)
        inspect_disk_json(b, g_ptr_array_index(disks, i));
    json_builder_end_array(b);
    inspect_os_json(b, os);
    inspect_guest_json(b, src, disks, os);
    /* Last, so that it counts every read made for the report. */
    inspect_add_int(b, "bytes-read", (gint64)bytes_read);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    return json_object_ref(json_node_get_object(root));
}
