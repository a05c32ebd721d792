/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vmdk-write.c: the VMDK writer's plan and encoders, byte by byte:
 * the header of each subformat at the spec's offsets (and read back by
 * ferry's own header decoder), metadata markers, the descriptor (read
 * back by ferry's descriptor parser), the grain frame, the runs of data
 * grains, and each option check naming its option.
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <glib/gstdio.h>

#include "conv/vmdk-write-priv.h"
#include "tests/unit/test-files.h"

typedef struct {
    char *dir;
    char *src;
} WriteFixture;

static void
fixture_setup(WriteFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-vmdk-write-XXXXXX", &error);
    g_assert_no_error(error);
    fx->src = g_build_filename(fx->dir, "disk.raw", NULL);
    /* 100 MiB + 1 KiB: data in grain 0, across grains 16-17, in the
     * second grain table (32 MiB on) and in the last, partial grain. */
    test_write_pattern(fx->src, 0, 4096, 0x11);
    test_write_pattern(fx->src, 16 * 65536 + 60000, 10000, 0x22);
    test_write_pattern(fx->src, 40 * 1024 * 1024, 65536, 0x33);
    test_write_pattern(fx->src, 100 * 1024 * 1024, 1024, 0x44);
}

static void
fixture_teardown(WriteFixture *fx, gconstpointer data)
{
    test_remove_tree(fx->dir);
    g_free(fx->src);
    g_free(fx->dir);
}

typedef struct {
    ConvImage *img;
    ConvConvertOptions opts;
    ConvOutput *out;
} Planned;

static void
planned_clear(Planned *p)
{
    g_clear_pointer(&p->out, conv_output_free);
    g_clear_pointer(&p->img, conv_image_free);
}

static ConvOutput *
plan(WriteFixture *fx, Planned *p, const char *options, gboolean compress,
     GError **error)
{
    g_autoptr(GError) local = NULL;

    memset(p, 0, sizeof(*p));
    p->img = conv_image_open(fx->src, "raw", &local);
    g_assert_no_error(local);
    p->opts.format = "vmdk";
    p->opts.options = options;
    p->opts.compress = compress;
    p->out = conv_output_new(p->img, &p->opts, error);
    return p->out;
}

#define CAPACITY ((100 * 1024 * 1024 + 1024) / 512)

static void
test_header_monolithic_sparse(WriteFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    Planned p;
    VmdkWriter *w;
    VmdkHeader h;
    guint8 buf[512];

    g_assert_nonnull(plan(fx, &p, NULL, FALSE, &error));
    g_assert_no_error(error);
    w = p.out->priv;
    g_assert_cmpint(w->subformat, ==, VMDK_SUBFORMAT_MONOLITHIC_SPARSE);
    /* 1601 grains: 4 grain tables, a one-sector directory. */
    g_assert_cmpuint(w->n_grains, ==, 1601);
    g_assert_cmpuint(w->gd_entries, ==, 4);
    g_assert_cmpuint(w->gd_sectors, ==, 1);
    /* Grains 0, 16, 17, 640 and 1600 hold data. */
    g_assert_cmpuint(w->n_data, ==, 5);
    vmdk_write_header(w, w->gd_offset, buf);

    g_assert_cmpmem(buf, 4, "KDMV", 4);
    g_assert_cmpuint(conv_le32(buf + 4), ==, 1);
    g_assert_cmpuint(conv_le32(buf + 8), ==, VMDK4_FLAG_NL_DETECT | VMDK4_FLAG_RGD);
    g_assert_cmpuint(conv_le64(buf + 12), ==, CAPACITY);
    g_assert_cmpuint(conv_le64(buf + 20), ==, 128);
    g_assert_cmpuint(conv_le64(buf + 28), ==, 1);
    g_assert_cmpuint(conv_le64(buf + 36), ==, 20);
    g_assert_cmpuint(conv_le32(buf + 44), ==, 512);
    /* qemu's layout: RGD at 21, 4 RGTs, GD at 21 + 1 + 16, 4 GTs, grains
     * from the next 64 KiB boundary. */
    g_assert_cmpuint(conv_le64(buf + 48), ==, 21);
    g_assert_cmpuint(conv_le64(buf + 56), ==, 38);
    g_assert_cmpuint(conv_le64(buf + 64), ==, 128);
    g_assert_cmpuint(buf[72], ==, 0);
    g_assert_cmpmem(buf + 73, 4, "\n \r\n", 4);
    g_assert_cmpuint(conv_le16(buf + 77), ==, 0);
    g_assert_cmpuint(conv_output_get_planned_size(p.out), ==, (128 + 5 * 128) * 512);

    /* ferry's reader takes it. */
    g_assert_true(vmdk_header_decode(buf, 1ULL << 40, FALSE, "x.vmdk", &h, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(h.gd_entries, ==, 4);
    planned_clear(&p);
}

static void
test_header_stream_optimized(WriteFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    Planned p;
    VmdkWriter *w;
    VmdkHeader h;
    guint8 buf[512];

    g_assert_nonnull(plan(fx, &p, "subformat=streamOptimized", FALSE, &error));
    g_assert_no_error(error);
    w = p.out->priv;
    vmdk_write_header(w, VMDK4_GD_AT_END, buf);

    g_assert_cmpmem(buf, 4, "KDMV", 4);
    g_assert_cmpuint(conv_le32(buf + 4), ==, 3);
    g_assert_cmpuint(conv_le32(buf + 8), ==, 0x30001);
    g_assert_cmpuint(conv_le64(buf + 12), ==, CAPACITY);
    g_assert_cmpuint(conv_le64(buf + 48), ==, 0);
    g_assert_cmpuint(conv_le64(buf + 56), ==, G_MAXUINT64);
    g_assert_cmpuint(conv_le64(buf + 64), ==, 128);
    g_assert_cmpuint(conv_le16(buf + 77), ==, 1);
    /* The engine compresses 64 KiB grains into zlib streams, each framed
     * by a 12-byte marker and padded to a sector, zero grains left out. */
    g_assert_cmpuint(p.out->cluster_size, ==, 65536);
    g_assert_cmpint(p.out->compression, ==, CONV_COMPRESSION_ZLIB_STREAM);
    g_assert_cmpuint(p.out->frame.header_bytes, ==, 12);
    g_assert_cmpuint(p.out->frame.align, ==, 512);
    g_assert_true(p.out->frame.always);
    g_assert_true(p.out->frame.skip_zero);
    g_assert_cmpuint(conv_output_get_planned_size(p.out), ==, 0);

    g_assert_true(vmdk_header_decode(buf, 1ULL << 40, FALSE, "x.vmdk", &h, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(h.gd_offset, ==, VMDK4_GD_AT_END);
    /* The footer: the same header with the real directory. */
    vmdk_write_header(w, 1000, buf);
    g_assert_true(vmdk_header_decode(buf, 1ULL << 40, TRUE, "x.vmdk", &h, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(h.gd_offset, ==, 1000);
    planned_clear(&p);
}

static void
test_marker_layout(void)
{
    guint8 buf[512];
    guint8 zeros[512] = { 0 };

    vmdk_write_marker(buf, 4, VMDK_MARKER_GT);
    g_assert_cmpuint(conv_le64(buf), ==, 4);
    g_assert_cmpuint(conv_le32(buf + 8), ==, 0);
    g_assert_cmpuint(conv_le32(buf + 12), ==, VMDK_MARKER_GT);
    g_assert_cmpmem(buf + 16, 496, zeros, 496);

    vmdk_write_marker(buf, 3, VMDK_MARKER_GD);
    g_assert_cmpuint(conv_le64(buf), ==, 3);
    g_assert_cmpuint(conv_le32(buf + 12), ==, 2);
    vmdk_write_marker(buf, 1, VMDK_MARKER_FOOTER);
    g_assert_cmpuint(conv_le32(buf + 12), ==, 3);
    /* End of stream: a sector of zeros. */
    vmdk_write_marker(buf, 0, VMDK_MARKER_EOS);
    g_assert_cmpmem(buf, 512, zeros, 512);
}

static void
test_grain_frame(WriteFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    guint8 frame[512] = { 0 };
    Planned p;

    g_assert_nonnull(plan(fx, &p, "subformat=streamOptimized", FALSE, &error));
    p.out->frame.header(p.out, 17 * 65536, 1234, frame);
    g_assert_cmpuint(conv_le64(frame), ==, 17 * 128);   /* lba, sectors */
    g_assert_cmpuint(conv_le32(frame + 8), ==, 1234);   /* compressed bytes */
    planned_clear(&p);
}

static void
test_descriptor_parses(WriteFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmdkDescriptor) desc = NULL;
    g_autofree guint8 *text = NULL;
    const VmdkExtentLine *line;
    gsize len = 0;
    Planned p;

    g_assert_nonnull(plan(fx, &p, "subformat=streamOptimized,adapter_type=legacyESX,"
                          "hwversion=13,toolsversion=10338", FALSE, &error));
    g_assert_no_error(error);
    text = vmdk_write_descriptor(p.out->priv, &len);
    g_assert_cmpuint(len, ==, 20 * 512);
    g_assert_cmpuint(text[len - 1], ==, 0);

    desc = vmdk_descriptor_parse((const char *)text, len, "x.vmdk", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(desc->create_type, ==, "streamOptimized");
    g_assert_cmpuint(desc->parent_cid, ==, 0xffffffff);
    g_assert_cmpuint(desc->extents->len, ==, 1);
    line = &g_array_index(desc->extents, VmdkExtentLine, 0);
    g_assert_cmpint(line->type, ==, VMDK_TYPE_SPARSE);
    g_assert_cmpuint(line->sectors, ==, CAPACITY);
    g_assert_cmpstr(line->file, ==, "disk.vmdk");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.adapterType"), ==, "legacyESX");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.virtualHWVersion"), ==, "13");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.toolsVersion"), ==, "10338");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.geometry.heads"), ==, "255");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.geometry.sectors"), ==, "63");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.geometry.cylinders"), ==, "12");
    planned_clear(&p);

    /* Defaults, and the same CID for the same conversion. */
    g_assert_nonnull(plan(fx, &p, NULL, FALSE, &error));
    g_clear_pointer(&text, g_free);
    text = vmdk_write_descriptor(p.out->priv, &len);
    g_clear_pointer(&desc, vmdk_descriptor_free);
    desc = vmdk_descriptor_parse((const char *)text, len, "x.vmdk", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(desc->create_type, ==, "monolithicSparse");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.adapterType"), ==, "ide");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.virtualHWVersion"), ==, "4");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.toolsVersion"), ==, "2147483647");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.geometry.heads"), ==, "16");
    g_assert_cmpuint(desc->cid, ==, ((VmdkWriter *)p.out->priv)->cid);
    {
        Planned again;
        guint32 cid = desc->cid;

        g_assert_nonnull(plan(fx, &again, "subformat=streamOptimized", FALSE, &error));
        g_assert_cmpuint(((VmdkWriter *)again.out->priv)->cid, ==, cid);
        planned_clear(&again);
    }
    planned_clear(&p);
}

static void
test_runs_merge(WriteFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(fx->src, "raw", &error);
    static const guint64 want[][2] = { { 0, 1 }, { 16, 18 }, { 640, 641 }, { 1600, 1601 } };
    VmdkRunIter it;
    guint n = 0;

    g_assert_no_error(error);
    /* Data that crosses a grain boundary makes a run of two grains; a
     * last grain that ends past the disk is still a whole grain. */
    vmdk_run_iter_init(&it, img, conv_image_get_size(img));
    for (;;) {
        guint64 first = 0, end = 0;

        g_assert_true(vmdk_run_iter_next(&it, &first, &end, &error));
        g_assert_no_error(error);
        if (first == end)
            break;
        g_assert_cmpuint(n, <, G_N_ELEMENTS(want));
        g_assert_cmpuint(first, ==, want[n][0]);
        g_assert_cmpuint(end, ==, want[n][1]);
        n++;
    }
    g_assert_cmpuint(n, ==, G_N_ELEMENTS(want));
    vmdk_run_iter_clear(&it);
}

typedef struct {
    const char *options;
    gboolean compress;
    const char *field;
} BadOption;

static const BadOption bad_options[] = {
    { "subformat=bogus", FALSE, "subformat=bogus" },
    { "subformat=monolithicFlat", FALSE, "subformat=monolithicFlat" },
    { "subformat=twoGbMaxExtentFlat", FALSE, "subformat=twoGbMaxExtentFlat" },
    { "adapter_type=scsi", FALSE, "adapter_type=scsi" },
    { "hwversion=4.0", FALSE, "hwversion=4.0" },
    { "hwversion=256", FALSE, "hwversion=256" },
    { "toolsversion=10.3", FALSE, "toolsversion=10.3" },
    { "toolsversion=99999999999", FALSE, "toolsversion=99999999999" },
    { "toolsversion= 1", FALSE, "toolsversion= 1" },
    { "bogus=1", FALSE, "bogus" },
    { NULL, TRUE, "-c" },
    { "subformat=monolithicSparse", TRUE, "-c" },
};

static void
test_bad_options(WriteFixture *fx, gconstpointer data)
{
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(bad_options); i++) {
        const BadOption *b = &bad_options[i];
        g_autoptr(GError) error = NULL;
        Planned p;

        g_assert_null(plan(fx, &p, b->options, b->compress, &error));
        g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
        if (!strstr(error->message, b->field))
            g_error("-o %s: message '%s' does not name '%s'", b->options,
                    error->message, b->field);
        planned_clear(&p);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add(path, WriteFixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/conv/vmdk-write/header/monolithic-sparse", test_header_monolithic_sparse);
    ADD("/conv/vmdk-write/header/stream-optimized-gd-at-end", test_header_stream_optimized);
    g_test_add_func("/conv/vmdk-write/marker/layout", test_marker_layout);
    ADD("/conv/vmdk-write/grain/marker-holds-lba-and-size", test_grain_frame);
    ADD("/conv/vmdk-write/descriptor/parses-with-ddb", test_descriptor_parses);
    ADD("/conv/vmdk-write/plan/runs-of-data-grains", test_runs_merge);
    ADD("/conv/vmdk-write/options/refused-naming-the-option", test_bad_options);
    return g_test_run();
}
