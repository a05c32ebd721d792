/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-vpc-oracle.c: qemu-img as the oracle for the VHD and VHDX readers. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#include "conv/conv.h"
#include "tests/unit/test-vpc-oracle.h"
#include "tests/unit/test-requires.h"

gboolean
oracle_have_qemu(void)
{
    return test_requires_program("qemu-img") && test_requires_program("qemu-io");
}

char *
oracle_run(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    char *out = NULL;
    int status = 0;
    const char *a;
    va_list ap;

    va_start(ap, first);
    for (a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL,
                 NULL, &out, &err, &status, &error);
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("%s failed: %s", first, err);
    return out;
}

typedef struct {
    guint64 start, length;
    gboolean zero;     /* reads as zeros by qemu's account */
} QemuExtent;

static GArray *
oracle_qemu_map(const char *path, const char *format)
{
    g_autofree char *json = oracle_run("qemu-img", "map", "--output=json",
                                       "-f", format, path, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    GArray *out = g_array_new(FALSE, FALSE, sizeof(QemuExtent));
    JsonArray *arr;
    guint i;

    json_parser_load_from_data(parser, json, -1, &error);
    g_assert_no_error(error);
    arr = json_node_get_array(json_parser_get_root(parser));
    for (i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *o = json_array_get_object_element(arr, i);
        QemuExtent e;

        e.start = (guint64)json_object_get_int_member(o, "start");
        e.length = (guint64)json_object_get_int_member(o, "length");
        e.zero = json_object_get_boolean_member(o, "zero") ||
                 !json_object_get_boolean_member(o, "data");
        g_array_append_val(out, e);
    }
    return out;
}

static guint64
oracle_qemu_virtual_size(const char *path, const char *format)
{
    g_autofree char *json = oracle_run("qemu-img", "info", "--output=json",
                                       "-f", format, path, NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;

    json_parser_load_from_data(parser, json, -1, &error);
    g_assert_no_error(error);
    return (guint64)json_object_get_int_member(
        json_node_get_object(json_parser_get_root(parser)), "virtual-size");
}

/* Compares [off, off+len) of ferry's reading with the raw file @fd;
 * @zero: ferry says zeros, so the raw file must hold none but zeros. */
static void
oracle_compare_range(ConvImage *img, int fd, guint64 off, guint64 len,
                     gboolean zero)
{
    const gsize step = 1024 * 1024;
    g_autofree guint8 *a = g_malloc(step);
    g_autofree guint8 *b = g_malloc(step);
    g_autoptr(GError) error = NULL;
    guint64 pos = off, end = off + len;

    while (pos < end) {
        gsize n;

        if (zero) {
            /* Skip the raw file's holes: they are zeros. */
            off_t data = lseek(fd, (off_t)pos, SEEK_DATA);

            if (data == (off_t)-1 || (guint64)data >= end)
                return;
            pos = (guint64)data;
        }
        n = (gsize)MIN((guint64)step, end - pos);
        g_assert_cmpint(pread(fd, b, n, (off_t)pos), ==, (gssize)n);
        if (zero) {
            memset(a, 0, n);
        } else {
            g_assert_true(conv_image_pread(img, a, n, pos, &error));
            g_assert_no_error(error);
        }
        if (memcmp(a, b, n) != 0)
            g_error("bytes differ from qemu-img convert in %" G_GUINT64_FORMAT
                    "+%" G_GSIZE_FORMAT " (ferry says %s)", pos, n,
                    zero ? "zero" : "data");
        pos += n;
    }
}

void
oracle_check_image(const char *dir, const char *path, const char *format,
                   OracleMapRule rule)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(path, format, &error);
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autoptr(GArray) qmap = NULL;
    g_autofree char *raw = g_build_filename(dir, "oracle.raw", NULL);
    guint64 size;
    guint i, j;
    int fd;

    g_assert_no_error(error);
    size = conv_image_get_size(img);
    g_assert_cmpuint(size, ==, oracle_qemu_virtual_size(path, format));

    g_assert_true(conv_image_chain_block_status(img, 0, size, ext, &error));
    g_assert_no_error(error);
    qmap = oracle_qemu_map(path, format);
    for (i = 0; i < qmap->len; i++) {
        const QemuExtent *q = &g_array_index(qmap, QemuExtent, i);

        for (j = 0; j < conv_extents_count(ext); j++) {
            const ConvExtent *e = conv_extents_get(ext, j);
            gboolean overlap = e->start < q->start + q->length &&
                               q->start < e->start + e->length;

            if (!overlap)
                continue;
            g_assert_cmpint(e->kind, !=, CONV_EXTENT_UNALLOCATED);
            if (q->zero && e->kind != CONV_EXTENT_ZERO)
                g_error("%s: qemu-img map says zero at %" G_GUINT64_FORMAT
                        "+%" G_GUINT64_FORMAT ", ferry says data at %"
                        G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT, path,
                        q->start, q->length, e->start, e->length);
            if (rule == ORACLE_MAP_EXACT && !q->zero &&
                e->kind != CONV_EXTENT_DATA)
                g_error("%s: qemu-img map says data at %" G_GUINT64_FORMAT
                        "+%" G_GUINT64_FORMAT ", ferry says zero at %"
                        G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT, path,
                        q->start, q->length, e->start, e->length);
        }
    }

    g_free(oracle_run("qemu-img", "convert", "-f", format, "-O", "raw", path,
                      raw, NULL));
    fd = open(raw, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    for (j = 0; j < conv_extents_count(ext); j++) {
        const ConvExtent *e = conv_extents_get(ext, j);

        oracle_compare_range(img, fd, e->start, e->length,
                             e->kind == CONV_EXTENT_ZERO);
    }
    close(fd);
    unlink(raw);
}
