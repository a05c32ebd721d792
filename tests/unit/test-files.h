/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-files.h: the scratch files of unit tests: patterned data written at
 * an offset (the rest of the file stays a hole), and removing a test's
 * temporary directory with everything in it.
 */
#pragma once

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Writes @len bytes of @pattern at @off of @path, creating it if needed. */
static inline void
test_write_pattern(const char *path, guint64 off, gsize len, guint8 pattern)
{
    g_autofree guint8 *buf = g_malloc(len);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);

    g_assert_cmpint(fd, >=, 0);
    memset(buf, pattern, len);
    g_assert_cmpint(pwrite(fd, buf, len, (off_t)off), ==, (gssize)len);
    close(fd);
}

/* Removes @path and, if it is a directory, everything below it. */
static inline void
test_remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            test_remove_tree(child);
        else
            g_unlink(child);
    }
    if (dir)
        g_rmdir(path);
    else
        g_unlink(path);
}
