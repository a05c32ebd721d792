/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-extents.c: merging and ordering of extent lists. */
#include <config.h>

#include "conv/conv.h"

static void
test_extents_merge_adjacent_same_kind(void)
{
    g_autoptr(ConvExtents) e = conv_extents_new();

    conv_extents_append(e, 0, 4096, CONV_EXTENT_DATA);
    conv_extents_append(e, 4096, 4096, CONV_EXTENT_DATA);
    conv_extents_append(e, 8192, 512, CONV_EXTENT_ZERO);
    conv_extents_append(e, 8704, 0, CONV_EXTENT_DATA);   /* empty: dropped */
    conv_extents_append(e, 8704, 512, CONV_EXTENT_ZERO);
    g_assert_cmpuint(conv_extents_count(e), ==, 2);
    g_assert_cmpuint(conv_extents_get(e, 0)->length, ==, 8192);
    g_assert_cmpuint(conv_extents_get(e, 1)->start, ==, 8192);
    g_assert_cmpuint(conv_extents_get(e, 1)->length, ==, 1024);
    g_assert_cmpint(conv_extents_get(e, 1)->kind, ==, CONV_EXTENT_ZERO);
}

static void
test_extents_kind_names(void)
{
    g_assert_cmpstr(conv_extent_kind_to_string(CONV_EXTENT_DATA), ==, "data");
    g_assert_cmpstr(conv_extent_kind_to_string(CONV_EXTENT_ZERO), ==, "zero");
    g_assert_cmpstr(conv_extent_kind_to_string(CONV_EXTENT_UNALLOCATED), ==,
                    "unallocated");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/conv/extents/merge-adjacent-same-kind",
                    test_extents_merge_adjacent_same_kind);
    g_test_add_func("/conv/extents/kind-names", test_extents_kind_names);
    return g_test_run();
}
