/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-info.c: `ferry info [--json] [--backing-chain] [-f FMT] IMAGE`.
 *
 * Prints what conv/ learnt when opening the image: format, virtual size,
 * bytes on disk, backing file and the format's own detail line.  --json
 * uses qemu-img info's key names where one exists ("filename", "format",
 * "virtual-size", "actual-size", "backing-filename", "backing-filename-
 * format"; "actual-size" is the allocated size, as qemu reports it) and adds
 * ferry's own ("file-size", the file's length, "detail", and "format-source":
 * "declared" by -f, "probed" for the top image, "recorded" by the parent, or
 * "assumed-raw" for a backing file whose parent records no format, which is
 * read as raw and never probed).  With
 * --backing-chain every layer is shown, top first, as a JSON array like
 * qemu-img's.
 */
#include <config.h>

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <sys/stat.h>

#include "agent/agent.h"

/* Allocated bytes (st_blocks), as qemu's "actual-size"; 0 if unknown. */
static guint64
cmd_info_allocated(const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return 0;
    if (S_ISBLK(st.st_mode))
        return 0;
    return (guint64)st.st_blocks * 512;
}

/* A layer's path as qemu-img shows it: a backing file named relative to
 * an image in the current directory is "base.qcow2", not "./base.qcow2". */
static const char *
cmd_info_path(ConvImage *img)
{
    const char *path = conv_image_get_path(img);

    return g_str_has_prefix(path, "./") && path[2] ? path + 2 : path;
}

static void
cmd_info_json_one(JsonBuilder *b, ConvImage *img)
{
    ConvImage *backing = conv_image_get_backing(img);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "filename");
    json_builder_add_string_value(b, cmd_info_path(img));
    json_builder_set_member_name(b, "format");
    json_builder_add_string_value(b, conv_image_get_format(img));
    json_builder_set_member_name(b, "format-source");
    json_builder_add_string_value(b, conv_format_source_to_string(
                                         conv_image_get_format_source(img)));
    json_builder_set_member_name(b, "virtual-size");
    json_builder_add_int_value(b, (gint64)conv_image_get_size(img));
    json_builder_set_member_name(b, "actual-size");
    json_builder_add_int_value(
        b, (gint64)cmd_info_allocated(conv_image_get_path(img)));
    json_builder_set_member_name(b, "file-size");
    json_builder_add_int_value(b, (gint64)conv_image_get_file_size(img));
    if (conv_image_get_backing_name(img)) {
        json_builder_set_member_name(b, "backing-filename");
        json_builder_add_string_value(b, conv_image_get_backing_name(img));
        if (backing) {
            json_builder_set_member_name(b, "full-backing-filename");
            json_builder_add_string_value(b, cmd_info_path(backing));
            json_builder_set_member_name(b, "backing-filename-format");
            json_builder_add_string_value(b, conv_image_get_format(backing));
        }
    }
    if (conv_image_get_detail(img)) {
        json_builder_set_member_name(b, "detail");
        json_builder_add_string_value(b, conv_image_get_detail(img));
    }
    json_builder_end_object(b);
}

static void
cmd_info_print_json(ConvImage *img, gboolean chain)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    if (chain) {
        json_builder_begin_array(b);
        for (; img; img = conv_image_get_backing(img))
            cmd_info_json_one(b, img);
        json_builder_end_array(b);
    } else {
        cmd_info_json_one(b, img);
    }
    agent_print_json_builder(stdout, b, TRUE);
}

static void
cmd_info_print_text(ConvImage *img, gboolean chain)
{
    for (; img; img = chain ? conv_image_get_backing(img) : NULL) {
        g_autofree char *vsize = g_format_size_full(conv_image_get_size(img),
                                                    G_FORMAT_SIZE_IEC_UNITS);
        g_autofree char *dsize =
            g_format_size_full(cmd_info_allocated(conv_image_get_path(img)),
                               G_FORMAT_SIZE_IEC_UNITS);

        printf("image: %s\n", cmd_info_path(img));
        printf("file format: %s\n", conv_image_get_format(img));
        if (conv_image_get_format_source(img) == CONV_FORMAT_SOURCE_ASSUMED_RAW)
            printf(
                "format source: assumed-raw (not recorded: read as raw, never probed)\n");
        printf("virtual size: %s (%" G_GUINT64_FORMAT " bytes)\n", vsize,
               conv_image_get_size(img));
        printf("disk size: %s\n", dsize);
        if (conv_image_get_backing_name(img))
            printf("backing file: %s\n", conv_image_get_backing_name(img));
        if (conv_image_get_detail(img))
            printf("detail: %s\n", conv_image_get_detail(img));
        if (chain && conv_image_get_backing(img))
            printf("\n");
    }
}

int
cmd_info(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autofree char *format = NULL;
    gboolean json = FALSE;
    gboolean chain = FALSE;
    GOptionEntry entries[] = {
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "Print JSON (qemu-img info's keys)", NULL },
        { "backing-chain", 0, 0, G_OPTION_ARG_NONE, &chain,
          "Show every layer of the backing chain", NULL },
        { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
          "Read the image as FMT (no probing)", "FMT" },
        { NULL }
    };

    ctx = g_option_context_new(
        "IMAGE - show an image's format, size and backing chain");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_usage_error("info", error->message);
    if (argc != 2)
        return agent_usage_error("info", "expected exactly one IMAGE");

    img = format ? conv_image_open_forced(argv[1], format, &error)
                 : conv_image_open(argv[1], NULL, &error);
    if (!img)
        return agent_fail(error);
    if (json)
        cmd_info_print_json(img, chain);
    else
        cmd_info_print_text(img, chain);
    return 0;
}
