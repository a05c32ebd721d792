/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-requires.h: what a unit test does when a program it needs (qemu-img,
 * qemu-io) is missing.  It skips with the reason, as integration scripts do,
 * and under FERRY_TEST_STRICT=1 (CI, scripts/test-all.sh) it fails instead:
 * a g_test_skip() among passing cases would otherwise leave the binary's
 * exit status 0 and the skip unseen.
 */
#pragma once

#include <glib.h>

static inline gboolean
test_requires_program(const char *name)
{
    g_autofree char *path = g_find_program_in_path(name);
    g_autofree char *why = NULL;

    if (path)
        return TRUE;
    why = g_strdup_printf("requires %s", name);
    if (g_strcmp0(g_getenv("FERRY_TEST_STRICT"), "1") == 0) {
        g_test_message("%s (FERRY_TEST_STRICT=1: a skip is a failure)", why);
        g_test_fail();
    } else {
        g_test_skip(why);
    }
    return FALSE;
}
