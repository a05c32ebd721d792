/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inventory-disk.c: what a domain's disk really is, asked of the image and
 * not of libvirt: its format and virtual size come from conv_image_open()
 * (the header, the whole backing chain checked), never from the file size
 * nor from libvirt's <capacity>; and the datastore fields from the storage
 * pool whose target directory holds it.
 *
 * conv/ errors become skip reasons a person can act on:
 *   the file itself is absent             "disk /x.qcow2 is missing"
 *   it or a backing file cannot be read   "disk /x: cannot be read: ..."
 *   header, chain or format refused       "disk /x: not a supported image: ..."
 * conv/ messages start with the file's path; when that is the disk's own
 * path it is not repeated.
 */
#include <config.h>

#include <string.h>

#include "agent/inventory-priv.h"

static char *
inventory_disk_reason(const AgentDisk *disk, const GError *error)
{
    const char *msg = error->message;
    gsize plen = strlen(disk->path);

    if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND) &&
        !g_file_test(disk->path, G_FILE_TEST_EXISTS))
        return g_strdup_printf("disk %s is missing", disk->path);
    if (strncmp(msg, disk->path, plen) == 0 && msg[plen] == ':' &&
        msg[plen + 1] == ' ')
        msg += plen + 2;
    if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND) ||
        g_error_matches(error, FERRY_ERROR, FERRY_ERROR_IO))
        return g_strdup_printf("disk %s: cannot be read: %s", disk->path, msg);
    return g_strdup_printf("disk %s: not a supported image: %s", disk->path,
                           msg);
}

char *
inventory_disk_open(AgentDisk *disk)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;

    /* conv_image_open() honours the declared format and refuses a file
     * whose header says otherwise (a raw disk holding a qcow2 header would
     * otherwise hand the guest's backing file name to the host). */
    img = conv_image_open(disk->path, disk->declared_format, &error);
    if (!img)
        return inventory_disk_reason(disk, error);
    g_free(disk->format);
    disk->format = g_strdup(conv_image_get_format(img));
    disk->capacity = (gint64)MIN(conv_image_get_size(img), (guint64)G_MAXINT64);
    return NULL;
}

static gboolean
inventory_same_dir(const char *a, const char *b)
{
    g_autofree char *ca = g_canonicalize_filename(a, "/");
    g_autofree char *cb = g_canonicalize_filename(b, "/");

    return g_str_equal(ca, cb);
}

void
inventory_disk_set_datastore(AgentDisk *disk, GPtrArray *pools)
{
    g_autofree char *dir = disk->path ? g_path_get_dirname(disk->path) : NULL;
    const InventoryPool *found = NULL;
    guint i;

    for (i = 0; pools && i < pools->len && !found; i++) {
        const InventoryPool *pool = g_ptr_array_index(pools, i);

        if (disk->pool ? g_str_equal(pool->name, disk->pool)
                       : (pool->target_path && dir &&
                          inventory_same_dir(pool->target_path, dir)))
            found = pool;
    }
    g_clear_pointer(&disk->datastore_path, g_free);
    g_clear_pointer(&disk->datastore_name, g_free);
    g_clear_pointer(&disk->datastore_type, g_free);
    g_clear_pointer(&disk->datastore_host, g_free);
    if (found) {
        disk->datastore_name = g_strdup(found->name);
        disk->datastore_type = g_strdup(found->type);
        disk->datastore_host = g_strdup(found->host);
        disk->datastore_path =
            g_strdup(found->target_path ? found->target_path : dir);
    } else {
        disk->datastore_type = g_strdup(disk->source_type);
        disk->datastore_path = g_steal_pointer(&dir);
    }
}
