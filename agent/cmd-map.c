/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-map.c: `ferry map [--json] [-f FMT] IMAGE`: the allocation map of the
 * whole backing chain, as the converter sees it.
 *
 * --json prints one object per run like `qemu-img map --output=json`, with
 * its keys "start", "length", "data" and "zero"; qemu's "depth", "present"
 * and "offset" (which layer, and where in its file) are left out, since
 * conv/ resolves the chain into data and zero only.  The map is asked for
 * in windows and printed as it comes, so a huge fragmented disk needs no
 * more memory than a small one.
 */
#include <config.h>

#include <stdio.h>

#include "agent/agent.h"

/* Guest bytes of map asked for at once (see CONV_MAP_WINDOW_BYTES). */
#define CMD_MAP_WINDOW_BYTES (G_GUINT64_CONSTANT(1) << 30)

typedef struct {
    gboolean json;
    gboolean first;
    ConvExtent pending;            /* merged run not printed yet */
} CmdMap;

static void
cmd_map_print(CmdMap *m, const ConvExtent *e)
{
    gboolean data = e->kind == CONV_EXTENT_DATA;

    if (m->json) {
        printf("%s{ \"start\": %" G_GUINT64_FORMAT ", \"length\": %"
               G_GUINT64_FORMAT ", \"data\": %s, \"zero\": %s }",
               m->first ? "[" : ",\n", e->start, e->length,
               data ? "true" : "false", data ? "false" : "true");
    } else {
        if (m->first)
            printf("%-20s %-20s %s\n", "Offset", "Length", "Kind");
        printf("0x%-18" G_GINT64_MODIFIER "x 0x%-18" G_GINT64_MODIFIER "x %s\n",
               e->start, e->length, conv_extent_kind_to_string(e->kind));
    }
    m->first = FALSE;
}

static void
cmd_map_add(CmdMap *m, const ConvExtent *e)
{
    if (m->pending.length > 0 && m->pending.kind == e->kind) {
        m->pending.length += e->length;
        return;
    }
    if (m->pending.length > 0)
        cmd_map_print(m, &m->pending);
    m->pending = *e;
}

int
cmd_map(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) window = conv_extents_new();
    g_autofree char *format = NULL;
    gboolean json = FALSE;
    CmdMap m = { 0 };
    guint64 pos, size;
    GOptionEntry entries[] = { { "json", 0, 0, G_OPTION_ARG_NONE, &json,
                                 "Print JSON like qemu-img map --output=json",
                                 NULL },
                               { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
                                 "Read the image as FMT (no probing)", "FMT" },
                               { NULL } };

    ctx = g_option_context_new("IMAGE - show an image's data and zero extents");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_usage_error("map", error->message);
    if (argc != 2)
        return agent_usage_error("map", "expected exactly one IMAGE");

    img = format ? conv_image_open_forced(argv[1], format, &error)
                 : conv_image_open(argv[1], NULL, &error);
    if (!img)
        return agent_fail(error);

    m.json = json;
    m.first = TRUE;
    size = conv_image_get_size(img);
    for (pos = 0; pos < size;) {
        guint64 len = MIN(CMD_MAP_WINDOW_BYTES, size - pos);
        guint i;

        conv_extents_clear(window);
        if (!conv_image_chain_block_status(img, pos, len, window, &error))
            return agent_fail(error);
        for (i = 0; i < conv_extents_count(window); i++)
            cmd_map_add(&m, conv_extents_get(window, i));
        pos += len;
    }
    if (m.pending.length > 0)
        cmd_map_print(&m, &m.pending);
    if (json)
        printf("%s\n", m.first ? "[]" : "]");
    return 0;
}
