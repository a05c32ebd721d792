/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * format.c: the table of formats ferry reads and the probe loop.
 *
 * Probing follows qemu's rule: every format scores the first bytes and the
 * highest score wins; raw is the fallback and is never chosen by score.
 */
#include <config.h>

#include <string.h>

#include "conv/conv-priv.h"

/* raw last: it is what a file is when nothing else claims it. */
static const struct ferry_format *const conv_formats[] = {
    &qcow2_format,
    &vmdk_format,
    &vpc_format,
    &vhdx_format,
    &raw_format,
};

static const char *const conv_format_name_list[] = {
    "raw", "qcow2", "vmdk", "vpc", "vhdx", NULL,
};

G_STATIC_ASSERT(G_N_ELEMENTS(conv_formats) + 1 ==
                G_N_ELEMENTS(conv_format_name_list));

const char *const *
conv_format_names(void)
{
    return conv_format_name_list;
}

const struct ferry_format *
conv_format_find(const char *name)
{
    gsize i;

    if (!name)
        return NULL;
    /* "vhd" is what operators and libvirt users often write for vpc. */
    if (g_str_equal(name, "vhd"))
        name = "vpc";
    for (i = 0; i < G_N_ELEMENTS(conv_formats); i++) {
        if (g_str_equal(conv_formats[i]->name, name))
            return conv_formats[i];
    }
    return NULL;
}

gboolean
conv_format_is_known(const char *name)
{
    return conv_format_find(name) != NULL;
}

const struct ferry_format *
conv_format_probe(const guint8 *head, gsize len)
{
    const struct ferry_format *best = &raw_format;
    int best_score = 0;
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(conv_formats); i++) {
        int score;

        if (!conv_formats[i]->probe || conv_formats[i] == &raw_format)
            continue;
        score = conv_formats[i]->probe(head, len);
        if (score > best_score) {
            best_score = score;
            best = conv_formats[i];
        }
    }
    return best;
}

const char *
conv_format_probe_name(const guint8 *head, gsize len)
{
    return conv_format_probe(head, len)->name;
}
