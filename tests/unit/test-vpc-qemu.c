/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vpc-qemu.c: the VHD reader against qemu-img.  Each case makes an
 * image with qemu-img, writes it with qemu-io, and checks ferry's virtual
 * size, map and bytes against qemu-img info, map and convert.  Sizes are
 * picked to exercise the CHS rule: 1000000 bytes and 127 MiB are not CHS
 * multiples, 5 GiB needs the larger geometries.
 */
#include <config.h>

#include <string.h>
#include <glib/gstdio.h>

#include "conv/conv.h"
#include "tests/unit/test-vpc-oracle.h"

typedef struct {
    const char *create_opts;   /* -o for qemu-img create */
    const char *size;
    const char *const *writes; /* qemu-io commands, NULL-terminated */
} VpcCase;

static void
test_vpc_qemu_case(gconstpointer data)
{
    const VpcCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    gsize i;

    if (!oracle_have_qemu())
        return;
    dir = g_dir_make_tmp("ferry-test-vpc-XXXXXX", &error);
    g_assert_no_error(error);
    path = g_build_filename(dir, "disk.vhd", NULL);
    g_free(oracle_run("qemu-img", "create", "-q", "-f", "vpc", "-o",
                      c->create_opts, path, c->size, NULL));
    for (i = 0; c->writes[i]; i++)
        g_free(oracle_run("qemu-io", "-f", "vpc", "-c", c->writes[i], path,
                          NULL));
    oracle_check_image(dir, path, "vpc", ORACLE_MAP_EXACT);
    g_unlink(path);
    g_rmdir(dir);
}

/* Rewrites the footer (copy at 0 and the one at the end) of a dynamic
 * image with @creator, @current_size and @chs, and a fresh checksum. */
static void
vpc_patch_footer(const char *path, const char creator[4], guint64 current_size,
                 guint16 cyl, guint8 heads, guint8 spt)
{
    g_autofree guint8 *file = NULL;
    gsize len, at, i;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_get_contents(path, (char **)&file, &len, &error));
    for (at = 0; ; at = len - 512) {
        guint8 *f = file + at;
        guint32 sum = 0;

        memcpy(f + 28, creator, 4);
        for (i = 0; i < 8; i++) {
            f[40 + i] = (guint8)(current_size >> (56 - 8 * i));
            f[48 + i] = (guint8)(current_size >> (56 - 8 * i));
        }
        f[56] = (guint8)(cyl >> 8);
        f[57] = (guint8)cyl;
        f[58] = heads;
        f[59] = spt;
        memset(f + 64, 0, 4);
        for (i = 0; i < 512; i++)
            sum += f[i];
        sum = ~sum;
        f[64] = (guint8)(sum >> 24);
        f[65] = (guint8)(sum >> 16);
        f[66] = (guint8)(sum >> 8);
        f[67] = (guint8)sum;
        if (at == len - 512)
            break;
    }
    g_assert_true(g_file_set_contents(path, (char *)file, (gssize)len, &error));
}

/* The size rule itself: qemu-img makes current_size equal the CHS size, so
 * here the footer is rewritten with a current_size 7 MiB below the CHS
 * size, and every creator application must give qemu's answer. */
static void
test_vpc_qemu_creator_app_picks_size_rule(void)
{
    static const char creators[][4] = {
        { 'v', 'p', 'c', ' ' }, { 'q', 'e', 'm', 'u' }, { 'q', 'e', 'm', '2' },
        { 'w', 'i', 'n', ' ' }, { 'd', '2', 'v', ' ' }, { 'C', 'T', 'X', 'S' },
        { 't', 'a', 'p', 0 }, { 't', 'a', 'p', ' ' }, { 'w', 'a', 0, 0 },
        { 'v', 'b', 'o', 'x' },
    };
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    gsize i;

    if (!oracle_have_qemu())
        return;
    dir = g_dir_make_tmp("ferry-test-vpc-XXXXXX", &error);
    g_assert_no_error(error);
    path = g_build_filename(dir, "disk.vhd", NULL);
    for (i = 0; i <= G_N_ELEMENTS(creators); i++) {
        g_autoptr(ConvImage) img = NULL;
        g_autofree char *json = NULL;
        g_autofree char *want = NULL;

        g_free(oracle_run("qemu-img", "create", "-q", "-f", "vpc", path,
                          "127M", NULL));
        if (i < G_N_ELEMENTS(creators)) {
            /* CHS 1008/16/16 is 126 MiB; current_size 120 MiB. */
            vpc_patch_footer(path, creators[i], 120ULL << 20, 1008, 16, 16);
        } else {
            /* Maximum geometry: current_size wins whatever the creator. */
            vpc_patch_footer(path, "vpc ", 100ULL << 20, 65535, 16, 255);
        }
        img = conv_image_open(path, "vpc", &error);
        g_assert_no_error(error);
        json = oracle_run("qemu-img", "info", "--output=json", path, NULL);
        want = g_strdup_printf("\"virtual-size\": %" G_GUINT64_FORMAT ",",
                               conv_image_get_size(img));
        if (!strstr(json, want))
            g_error("creator %zu: ferry says %" G_GUINT64_FORMAT
                    " bytes, qemu-img info says %s", i,
                    conv_image_get_size(img), json);
        g_unlink(path);
    }
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

static const VpcCase vpc_cases[] = {
    { "subformat=dynamic", "1000000", writes_small },
    { "subformat=dynamic", "127M", writes_127m },
    { "subformat=dynamic", "5G", writes_5g },
    { "subformat=fixed", "1000000", writes_small },
    { "subformat=fixed", "127M", writes_127m },
    { "subformat=fixed", "5G", writes_5g },
    { "subformat=dynamic,force_size=on", "1000000", writes_small },
    { "subformat=fixed,force_size=on", "127M", writes_127m },
};

static const char *const vpc_case_names[] = {
    "/conv/vpc/qemu/dynamic-1000000-bytes-sized-by-chs",
    "/conv/vpc/qemu/dynamic-127m-crossing-block-edges",
    "/conv/vpc/qemu/dynamic-5g-sparse",
    "/conv/vpc/qemu/fixed-1000000-bytes-sized-by-chs",
    "/conv/vpc/qemu/fixed-127m",
    "/conv/vpc/qemu/fixed-5g-sparse",
    "/conv/vpc/qemu/dynamic-force-size-uses-current-size",
    "/conv/vpc/qemu/fixed-force-size-uses-current-size",
};
G_STATIC_ASSERT(G_N_ELEMENTS(vpc_cases) == G_N_ELEMENTS(vpc_case_names));

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/conv/vpc/qemu/creator-app-picks-size-rule",
                    test_vpc_qemu_creator_app_picks_size_rule);
    for (i = 0; i < G_N_ELEMENTS(vpc_cases); i++)
        g_test_add_data_func(vpc_case_names[i], &vpc_cases[i],
                             test_vpc_qemu_case);
    return g_test_run();
}
