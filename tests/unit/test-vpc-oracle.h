/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vpc-oracle.h: judging ferry's VHD and VHDX readers by qemu-img.
 *
 * An image made by qemu-img and written by qemu-io is opened by ferry and
 * checked against qemu-img info (virtual size), qemu-img map (data / zero
 * extents) and qemu-img convert -O raw (the bytes).
 */
#pragma once

#include <glib.h>

/* TRUE when qemu-img and qemu-io are installed; otherwise the test is
 * skipped with the reason. */
gboolean oracle_have_qemu(void);

/* Runs argv (NULL-terminated) and asserts exit status 0; returns stdout. */
char *oracle_run(const char *first, ...) G_GNUC_NULL_TERMINATED;

typedef enum {
    /* ferry's data/zero must agree with qemu-img map exactly (vpc). */
    ORACLE_MAP_EXACT,
    /* qemu reports all of a VHDX as data; ferry's zero ranges are checked
     * against the bytes instead. */
    ORACLE_MAP_ZERO_WHERE_QEMU_ZERO,
} OracleMapRule;

/* Checks size, map and bytes of @path read as @format against qemu-img. */
void oracle_check_image(const char *dir, const char *path, const char *format,
                        OracleMapRule rule);
