/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vpc-write.c: the VHD writer's size and geometry rules (against
 * values qemu-img 7.2 wrote for the same sizes), its footer and dynamic
 * header encoding read back by the reader's own rules, and the Azure
 * options helper.
 */
#include <config.h>

#include <string.h>

#include "conv/vpc-write-priv.h"

#define MiB (G_GUINT64_CONSTANT(1) << 20)
#define GiB (G_GUINT64_CONSTANT(1) << 30)

static void
check_geometry(guint64 sectors, guint cyl, guint heads, guint spt)
{
    VpcGeometry g;

    vpc_geometry_from_sectors(sectors, &g);
    g_assert_cmpuint(g.cylinders, ==, cyl);
    g_assert_cmpuint(g.heads, ==, heads);
    g_assert_cmpuint(g.sectors_per_track, ==, spt);
}

/* One case per branch of the spec's "Appendix: CHS Calculation". */
static void
test_geometry_spec_branches(void)
{
    check_geometry(5916, 87, 4, 17);            /* 17 sectors, 4 heads */
    check_geometry(195432, 958, 12, 17);        /* 17 sectors, 12 heads */
    check_geometry(300000, 604, 16, 31);        /* too many heads for 17 */
    check_geometry(8391600, 8325, 16, 63);      /* too many cylinders for 31 */
    check_geometry(65535ULL * 16 * 63, 16191, 16, 255);
    check_geometry(65535ULL * 16 * 255, 65535, 16, 255);
    check_geometry(VPC_MAX_SECTORS, 65535, 16, 255);     /* capped */
}

static void
check_size(guint64 src, gboolean force, gboolean azure, guint64 want,
           guint cyl, guint heads, guint spt)
{
    g_autoptr(GError) error = NULL;
    VpcGeometry g;
    guint64 size = 0;

    g_assert_true(vpc_write_size(src, force, azure, &size, &g, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(size, ==, want);
    g_assert_cmpuint(g.cylinders, ==, cyl);
    g_assert_cmpuint(g.heads, ==, heads);
    g_assert_cmpuint(g.sectors_per_track, ==, spt);
}

/* Sizes and geometries qemu-img create -f vpc wrote for the same sizes. */
static void
test_size_rounds_up_to_geometry_like_qemu_img(void)
{
    check_size(32 * MiB, FALSE, FALSE, 33562624, 964, 4, 17);
    check_size(3000001, FALSE, FALSE, 3028992, 87, 4, 17);
    check_size(4097 * MiB, FALSE, FALSE, 4296499200, 8325, 16, 63);
    check_size(100000000, FALSE, FALSE, 100061184, 958, 12, 17);
}

/* force_size: exact up to a sector, the geometry the spec's for that size
 * (qemu-img writes 65535/16/255 instead; both read back by current_size). */
static void
test_size_forced_is_exact(void)
{
    VpcGeometry g;

    vpc_geometry_from_sectors(3000320 / 512, &g);
    check_size(3000001, TRUE, FALSE, 3000320, g.cylinders, g.heads,
               g.sectors_per_track);
    check_size(32 * MiB, TRUE, FALSE, 32 * MiB, 963, 4, 17);
    g_assert_cmpuint(vpc_geometry_sectors(&g), <=, 3000320 / 512);
}

static void
test_size_azure_rounds_to_whole_mib(void)
{
    VpcGeometry g;
    guint64 size = 0;

    g_assert_true(vpc_write_size(3000001, FALSE, TRUE, &size, &g, NULL));
    g_assert_cmpuint(size, ==, 3 * MiB);
    g_assert_true(vpc_write_size(32 * MiB, FALSE, TRUE, &size, &g, NULL));
    g_assert_cmpuint(size, ==, 32 * MiB);
    g_assert_true(vpc_write_size(1, TRUE, TRUE, &size, &g, NULL));
    g_assert_cmpuint(size, ==, MiB);
}

/* Past the largest geometry the size is current_size, exact. */
static void
test_size_past_max_geometry_is_exact(void)
{
    guint64 big = 200 * GiB + 512;

    check_size(big, FALSE, FALSE, big, 65535, 16, 255);
}

static void
test_size_too_large_names_the_limit(void)
{
    g_autoptr(GError) error = NULL;
    VpcGeometry g;
    guint64 size = 0;

    g_assert_false(vpc_write_size(VPC_MAX_SECTORS * 512 + 1, FALSE, FALSE,
                                  &size, &g, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "2040 GiB"));
    g_clear_error(&error);
    /* Exactly the limit fits; one byte more, rounded up to a MiB for
     * Azure, does not, and the message says why the size grew. */
    g_assert_true(vpc_write_size(VPC_MAX_SECTORS * 512, TRUE, FALSE, &size,
                                 &g, NULL));
    g_assert_cmpuint(size, ==, VPC_MAX_SECTORS * 512);
    g_assert_false(vpc_write_size(VPC_MAX_SECTORS * 512 + 1, FALSE, TRUE,
                                  &size, &g, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "whole MiB"));
}

/* Decodes what the reader looks at, as vpc.c does. */
static guint64
read_back_sectors(const guint8 *f)
{
    VpcFooter d;

    memcpy(d.creator_app, f + 28, 4);
    d.current_size = conv_be64(f + 48);
    d.cylinders = conv_be16(f + 56);
    d.heads = f[58];
    d.sectors_per_track = f[59];
    return vpc_footer_virtual_sectors(&d);
}

static void
fill_writer(VpcWriter *w, guint32 type, guint64 src, gboolean force,
            gboolean azure)
{
    memset(w, 0, sizeof(*w));
    w->disk_type = type;
    w->force_size = force || azure;
    w->azure = azure;
    g_assert_true(vpc_write_size(src, force, azure, &w->size, &w->geometry,
                                 NULL));
    w->time_stamp = 0x12345678;
    memset(w->unique_id, 0xab, sizeof(w->unique_id));
}

/* Every mode's footer checks out and reads back as the planned size. */
static void
test_footer_reads_back_planned_size(void)
{
    static const struct { guint64 src; gboolean force, azure; } cases[] = {
        { 32 * MiB, FALSE, FALSE }, { 3000001, FALSE, FALSE },
        { 3000001, TRUE, FALSE }, { 3000001, FALSE, TRUE },
        { 200 * GiB + 512, FALSE, FALSE }, { 5 * GiB + 7, TRUE, FALSE },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        VpcWriter w;
        guint8 f[VPC_FOOTER_SIZE];

        fill_writer(&w, VPC_TYPE_FIXED, cases[i].src, cases[i].force,
                    cases[i].azure);
        vpc_write_footer(&w, f);
        g_assert_cmpmem(f, 8, "conectix", 8);
        g_assert_cmpuint(conv_be32(f + 64), ==, vpc_checksum(f, sizeof(f), 64));
        g_assert_cmpuint(conv_be64(f + 16), ==, G_MAXUINT64);
        g_assert_cmpuint(conv_be32(f + 60), ==, VPC_TYPE_FIXED);
        g_assert_cmpuint(read_back_sectors(f) * 512, ==, w.size);
        g_assert_cmpuint(w.size, >=, cases[i].src);
    }
}

static void
test_footer_fields(void)
{
    VpcWriter w;
    guint8 f[VPC_FOOTER_SIZE];
    gsize i;

    fill_writer(&w, VPC_TYPE_DYNAMIC, 32 * MiB, FALSE, FALSE);
    vpc_write_footer(&w, f);
    g_assert_cmpuint(conv_be32(f + 8), ==, 2);
    g_assert_cmpuint(conv_be32(f + 12), ==, 0x00010000);
    g_assert_cmpuint(conv_be64(f + 16), ==, 512);
    g_assert_cmpuint(conv_be32(f + 24), ==, 0x12345678);
    g_assert_cmpmem(f + 28, 4, "qemu", 4);
    g_assert_cmpuint(conv_be64(f + 40), ==, 33562624);
    g_assert_cmpuint(conv_be64(f + 48), ==, 33562624);
    g_assert_cmpuint(conv_be32(f + 60), ==, VPC_TYPE_DYNAMIC);
    g_assert_cmpuint(f[68], ==, 0xab);
    for (i = 84; i < sizeof(f); i++)
        g_assert_cmpuint(f[i], ==, 0);

    fill_writer(&w, VPC_TYPE_FIXED, 3000001, TRUE, FALSE);
    vpc_write_footer(&w, f);
    g_assert_cmpmem(f + 28, 4, "qem2", 4);
}

static void
test_dynamic_header_fields(void)
{
    VpcWriter w;
    guint8 h[VPC_DYNAMIC_HEADER_SIZE];

    fill_writer(&w, VPC_TYPE_DYNAMIC, 32 * MiB, FALSE, FALSE);
    w.n_blocks = 17;
    vpc_write_dynamic_header(&w, h);
    g_assert_cmpmem(h, 8, "cxsparse", 8);
    g_assert_cmpuint(conv_be64(h + 8), ==, G_MAXUINT64);
    g_assert_cmpuint(conv_be64(h + 16), ==, 1536);
    g_assert_cmpuint(conv_be32(h + 24), ==, 0x00010000);
    g_assert_cmpuint(conv_be32(h + 28), ==, 17);
    g_assert_cmpuint(conv_be32(h + 32), ==, 2 * MiB);
    g_assert_cmpuint(conv_be32(h + 36), ==, vpc_checksum(h, sizeof(h), 36));
}

static void
test_azure_options_added_once(void)
{
    g_autofree char *a = conv_vpc_azure_options(NULL);
    g_autofree char *b = conv_vpc_azure_options("");
    g_autofree char *c = conv_vpc_azure_options("subformat=fixed");
    g_autofree char *d = conv_vpc_azure_options("azure=off");
    g_autofree char *e = conv_vpc_azure_options("force_size=on,azure=on");

    g_assert_cmpstr(a, ==, "azure=on");
    g_assert_cmpstr(b, ==, "azure=on");
    g_assert_cmpstr(c, ==, "subformat=fixed,azure=on");
    g_assert_cmpstr(d, ==, "azure=off");       /* the caller's choice stands */
    g_assert_cmpstr(e, ==, "force_size=on,azure=on");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/conv/vpc-write/geometry/spec-branches",
                    test_geometry_spec_branches);
    g_test_add_func("/conv/vpc-write/size/rounds-up-to-geometry-like-qemu-img",
                    test_size_rounds_up_to_geometry_like_qemu_img);
    g_test_add_func("/conv/vpc-write/size/forced-is-exact",
                    test_size_forced_is_exact);
    g_test_add_func("/conv/vpc-write/size/azure-rounds-to-whole-mib",
                    test_size_azure_rounds_to_whole_mib);
    g_test_add_func("/conv/vpc-write/size/past-max-geometry-is-exact",
                    test_size_past_max_geometry_is_exact);
    g_test_add_func("/conv/vpc-write/size/too-large-names-the-limit",
                    test_size_too_large_names_the_limit);
    g_test_add_func("/conv/vpc-write/footer/reads-back-planned-size",
                    test_footer_reads_back_planned_size);
    g_test_add_func("/conv/vpc-write/footer/fields",
                    test_footer_fields);
    g_test_add_func("/conv/vpc-write/dynamic-header/fields",
                    test_dynamic_header_fields);
    g_test_add_func("/conv/vpc-write/azure-options/added-once",
                    test_azure_options_added_once);
    return g_test_run();
}
