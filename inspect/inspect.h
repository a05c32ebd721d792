/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inspect.h: what can be known about a guest by reading its disks, read-only,
 * through conv/'s image readers: partition tables, filesystems, and inside an
 * ext root, os-release, fstab, kernels and drivers.  The report's shape, and
 * the flat facts that rules test, are in docs/inspect.md.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
    /* The images, the OS disk first; each opened with conv_image_open()
     * (format probed unless formats[i] is given). */
    const char *const *disk_paths;
    const char *const *disk_formats;   /* NULL, or one per disk (may be NULL) */
    /* From the domain XML; all NULL for bare images. */
    const char *name;                  /* "source" in the report */
    const char *firmware;              /* "bios" | "uefi" */
    const char *machine;
    const char *arch;
    const char *const *disk_buses;
} FerryInspectSource;

/* The report of docs/inspect.md, with its "guest" facts.  Fails only when
 * a disk cannot be opened or read; what cannot be recognised is reported as
 * such (type "unknown", null facts). */
JsonObject *ferry_inspect(const FerryInspectSource *src,
                          GCancellable *cancellable, GError **error);

G_END_DECLS
