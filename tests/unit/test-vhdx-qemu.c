/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vhdx-qemu.c: the VHDX reader against qemu-img.  Each case makes an
 * image with qemu-img, writes it with qemu-io, and checks ferry's virtual
 * size, map and bytes against qemu-img info, map and convert.  qemu has
 * no block status for VHDX (its map says "data" everywhere), so ferry's
 * zero ranges are judged by the converted bytes instead.
 */
#include <config.h>

#include <glib/gstdio.h>

#include "conv/conv.h"
#include "tests/unit/test-vpc-oracle.h"

typedef struct {
    const char *create_opts;   /* -o for qemu-img create */
    const char *size;
    const char *const *writes; /* qemu-io commands, NULL-terminated */
} VhdxCase;

static void
test_vhdx_qemu_case(gconstpointer data)
{
    const VhdxCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    gsize i;

    if (!oracle_have_qemu())
        return;
    dir = g_dir_make_tmp("ferry-test-vhdx-XXXXXX", &error);
    g_assert_no_error(error);
    path = g_build_filename(dir, "disk.vhdx", NULL);
    g_free(oracle_run("qemu-img", "create", "-q", "-f", "vhdx", "-o",
                      c->create_opts, path, c->size, NULL));
    for (i = 0; c->writes[i]; i++)
        g_free(oracle_run("qemu-io", "-f", "vhdx", "-c", c->writes[i], path,
                          NULL));
    oracle_check_image(dir, path, "vhdx", ORACLE_MAP_ZERO_WHERE_QEMU_ZERO);
    g_unlink(path);
    g_rmdir(dir);
}

static const char *const writes_small[] = {
    "write -P 0x11 0 4k",
    "write -P 0x22 512k 1k",
    "write -P 0x33 900000 512",
    NULL,
};
static const char *const writes_127m[] = {
    "write -P 0x44 0 64k",
    "write -P 0x55 2044k 8k",          /* crosses the 2 MiB block edge */
    "write -P 0x66 64M 1M",
    "write -P 0x67 70M 4k",            /* in a later 1 MiB chunk */
    "write -z 100M 4k",
    "write -P 0x77 126M 512",
    NULL,
};
static const char *const writes_5g[] = {
    "write -P 0x88 1M 4k",
    "write -P 0x99 4G 64k",
    "write -P 0xaa 5119M 4k",
    NULL,
};

static const VhdxCase vhdx_cases[] = {
    { "subformat=dynamic", "1000000", writes_small },
    { "subformat=dynamic", "127M", writes_127m },
    { "subformat=dynamic,block_size=1M", "127M", writes_127m },
    { "subformat=dynamic", "5G", writes_5g },
    { "subformat=fixed", "127M", writes_127m },
    { "subformat=dynamic,block_size=256M", "1000000", writes_small },
};

static const char *const vhdx_case_names[] = {
    "/conv/vhdx/qemu/dynamic-1000000-bytes",
    "/conv/vhdx/qemu/dynamic-127m",
    "/conv/vhdx/qemu/dynamic-127m-1m-blocks-many-chunks",
    "/conv/vhdx/qemu/dynamic-5g-sparse",
    "/conv/vhdx/qemu/fixed-127m",
    "/conv/vhdx/qemu/dynamic-256m-blocks-one-partial-block",
};
G_STATIC_ASSERT(G_N_ELEMENTS(vhdx_cases) == G_N_ELEMENTS(vhdx_case_names));

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(vhdx_cases); i++)
        g_test_add_data_func(vhdx_case_names[i], &vhdx_cases[i],
                             test_vhdx_qemu_case);
    return g_test_run();
}
