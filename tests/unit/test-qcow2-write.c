/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-qcow2-write.c: the qcow2 writer's layout planning (L1, refcount
 * table and block sizes for given maps) and its header encoding. */
#include <config.h>

#include <string.h>

#include "conv/qcow2-write-priv.h"

#define GiB (G_GUINT64_CONSTANT(1) << 30)
#define TiB (G_GUINT64_CONSTANT(1) << 40)

/* Invariants every layout must keep. */
static void
check_layout_invariants(const Qcow2Layout *lay, guint64 n_l2, guint64 n_data,
                        gboolean compressed)
{
    guint64 per_block = lay->cluster_size / 2;       /* 16-bit refcounts */
    guint64 used = 1 + lay->l1_clusters + lay->rt_clusters + lay->rb_clusters +
                   n_l2 + n_data;

    g_assert_cmpuint(lay->l1_start, ==, 1);
    g_assert_cmpuint(lay->l1_clusters * lay->cluster_size, >=, lay->l1_size * 8);
    g_assert_cmpuint(lay->rt_start, ==, lay->l1_start + lay->l1_clusters);
    g_assert_cmpuint(lay->rb_start, ==, lay->rt_start + lay->rt_clusters);
    g_assert_cmpuint(lay->data_start, ==, lay->rb_start + lay->rb_clusters);
    if (compressed)
        g_assert_cmpuint(lay->total_clusters, >=, used + n_l2 + n_data);
    else
        g_assert_cmpuint(lay->total_clusters, ==, used);
    /* The blocks cover every cluster, the table every block, and neither
     * is bigger than it needs to be. */
    g_assert_cmpuint(lay->rb_clusters * per_block, >=, lay->total_clusters);
    g_assert_cmpuint((lay->rb_clusters - 1) * per_block, <, lay->total_clusters);
    g_assert_cmpuint(lay->rt_clusters * (lay->cluster_size / 8), >=, lay->rb_clusters);
}

static void
test_layout_one_gib_fully_allocated(void)
{
    g_autoptr(GError) error = NULL;
    Qcow2Layout lay;

    /* 64 KiB clusters: an L2 table maps 512 MiB, so 2 tables, 16384 data
     * clusters; one cluster each of L1, refcount table and block. */
    g_assert_true(qcow2_write_layout(GiB, 16, 2, 16384, FALSE, &lay, &error));
    g_assert_cmpuint(lay.l1_size, ==, 2);
    g_assert_cmpuint(lay.l1_clusters, ==, 1);
    g_assert_cmpuint(lay.rt_clusters, ==, 1);
    g_assert_cmpuint(lay.rb_clusters, ==, 1);
    g_assert_cmpuint(lay.data_start, ==, 4);
    g_assert_cmpuint(lay.total_clusters, ==, 4 + 2 + 16384);
    check_layout_invariants(&lay, 2, 16384, FALSE);
}

static void
test_layout_empty_disk(void)
{
    g_autoptr(GError) error = NULL;
    Qcow2Layout lay;

    g_assert_true(qcow2_write_layout(64 * 1024 * 1024, 16, 0, 0, FALSE, &lay,
                                     &error));
    g_assert_cmpuint(lay.l1_size, ==, 1);
    g_assert_cmpuint(lay.total_clusters, ==, 4);
    check_layout_invariants(&lay, 0, 0, FALSE);

    g_assert_true(qcow2_write_layout(0, 16, 0, 0, FALSE, &lay, &error));
    g_assert_cmpuint(lay.l1_size, ==, 0);
    g_assert_cmpuint(lay.l1_clusters, ==, 1);
    check_layout_invariants(&lay, 0, 0, FALSE);
}

static void
test_layout_small_clusters_need_many_refcount_blocks(void)
{
    g_autoptr(GError) error = NULL;
    guint64 n_data = 2 * 1024 * 1024;               /* 1 GiB of 512 B */
    guint64 n_l2 = n_data / 64;
    Qcow2Layout lay;

    g_assert_true(qcow2_write_layout(GiB, 9, n_l2, n_data, FALSE, &lay, &error));
    g_assert_cmpuint(lay.l1_size, ==, 32768);
    g_assert_cmpuint(lay.l1_clusters, ==, 512);
    /* 256 refcounts per block: thousands of blocks, a table of many
     * clusters, and the blocks count themselves. */
    g_assert_cmpuint(lay.rb_clusters, >, 8000);
    g_assert_cmpuint(lay.rt_clusters, >, 100);
    check_layout_invariants(&lay, n_l2, n_data, FALSE);
}

static void
test_layout_two_mib_clusters_sparse_huge_disk(void)
{
    g_autoptr(GError) error = NULL;
    Qcow2Layout lay;

    /* 2 MiB clusters map 512 GiB per L2 table. */
    g_assert_true(qcow2_write_layout(16 * TiB, 21, 3, 10, FALSE, &lay, &error));
    g_assert_cmpuint(lay.l1_size, ==, 32);
    g_assert_cmpuint(lay.l1_clusters, ==, 1);
    g_assert_cmpuint(lay.rb_clusters, ==, 1);
    check_layout_invariants(&lay, 3, 10, FALSE);
}

static void
test_layout_compressed_reserves_worst_case(void)
{
    g_autoptr(GError) error = NULL;
    Qcow2Layout lay;

    g_assert_true(qcow2_write_layout(4 * GiB, 12, 100, 500000, TRUE, &lay,
                                     &error));
    check_layout_invariants(&lay, 100, 500000, TRUE);
}

static void
test_layout_l1_too_large_names_cluster_size(void)
{
    g_autoptr(GError) error = NULL;
    Qcow2Layout lay;

    /* 2 TiB of 512 B clusters needs a 512 MiB L1 table; qemu stops at 32. */
    g_assert_false(qcow2_write_layout(2 * TiB, 9, 0, 0, FALSE, &lay, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "cluster_size=512"));
}

static void
test_header_v3_zstd(void)
{
    g_autoptr(GError) error = NULL;
    Qcow2Writer w = { .version = 3, .zstd_header = TRUE, .size = GiB };
    g_autofree guint8 *buf = NULL;

    g_assert_true(qcow2_write_layout(GiB, 16, 2, 16384, FALSE, &w.lay, &error));
    buf = g_malloc(w.lay.cluster_size);
    qcow2_write_header(&w, buf);
    g_assert_cmpmem(buf, 4, "QFI\xfb", 4);
    g_assert_cmpuint(conv_be32(buf + 4), ==, 3);
    g_assert_cmpuint(conv_be32(buf + 20), ==, 16);
    g_assert_cmpuint(conv_be64(buf + 24), ==, GiB);
    g_assert_cmpuint(conv_be32(buf + 36), ==, 2);
    g_assert_cmpuint(conv_be64(buf + 40), ==, 65536);
    g_assert_cmpuint(conv_be64(buf + 48), ==, 2 * 65536);
    g_assert_cmpuint(conv_be32(buf + 56), ==, 1);
    g_assert_cmpuint(conv_be64(buf + 72), ==, QCOW2_INCOMPAT_COMPRESSION);
    g_assert_cmpuint(conv_be32(buf + 96), ==, 4);
    g_assert_cmpuint(conv_be32(buf + 100), ==, 112);
    g_assert_cmpuint(buf[104], ==, 1);
    g_assert_cmpuint(conv_be32(buf + 112), ==, 0);   /* end of extensions */
}

static void
test_header_v2_is_72_bytes(void)
{
    g_autoptr(GError) error = NULL;
    Qcow2Writer w = { .version = 2, .size = GiB };
    g_autofree guint8 *buf = NULL;
    gsize i;

    g_assert_true(qcow2_write_layout(GiB, 16, 0, 0, FALSE, &w.lay, &error));
    buf = g_malloc(w.lay.cluster_size);
    qcow2_write_header(&w, buf);
    g_assert_cmpuint(conv_be32(buf + 4), ==, 2);
    for (i = 72; i < w.lay.cluster_size; i++)
        g_assert_cmpuint(buf[i], ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/conv/qcow2-write/layout/one-gib-fully-allocated",
                    test_layout_one_gib_fully_allocated);
    g_test_add_func("/conv/qcow2-write/layout/empty-disk",
                    test_layout_empty_disk);
    g_test_add_func("/conv/qcow2-write/layout/small-clusters-need-many-refcount-blocks",
                    test_layout_small_clusters_need_many_refcount_blocks);
    g_test_add_func("/conv/qcow2-write/layout/two-mib-clusters-on-a-huge-sparse-disk",
                    test_layout_two_mib_clusters_sparse_huge_disk);
    g_test_add_func("/conv/qcow2-write/layout/compressed-reserves-the-worst-case",
                    test_layout_compressed_reserves_worst_case);
    g_test_add_func("/conv/qcow2-write/layout/l1-too-large-names-cluster-size",
                    test_layout_l1_too_large_names_cluster_size);
    g_test_add_func("/conv/qcow2-write/header/v3-with-zstd",
                    test_header_v3_zstd);
    g_test_add_func("/conv/qcow2-write/header/v2-is-72-bytes",
                    test_header_v2_is_72_bytes);
    return g_test_run();
}
