/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vmdk-oracle.c: the VMDK reader against qemu-img.
 *
 * Each case makes an image with qemu-img (every subformat qemu writes, a
 * delta disk, odd sizes, more than 4 GiB), writes data with qemu-io, then
 * checks that conv_image_chain_block_status() classifies every byte as
 * `qemu-img map --output=json` does (zero vs data) and that
 * conv_image_pread() returns the bytes of `qemu-img convert -O raw`.
 * Skipped without qemu-img and qemu-io.
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "conv/conv.h"
#include "tests/unit/test-requires.h"

#define MIB (1024ULL * 1024)
#define GIB (1024ULL * MIB)

typedef struct {
    char *dir;
} OracleFixture;


static void
oracle_setup(OracleFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-vmdk-oracle-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
oracle_teardown(OracleFixture *fx, gconstpointer data)
{
    g_autoptr(GDir) dir = g_dir_open(fx->dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(fx->dir, name, NULL);

        g_unlink(path);
    }
    g_rmdir(fx->dir);
    g_free(fx->dir);
}

/* Runs a command in the fixture's directory; returns its stdout. */
static char *
run_argv(OracleFixture *fx, const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    char *out = NULL;
    int status;

    g_assert_true(g_spawn_sync(fx->dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("%s %s failed: %s", argv[0], argv[1], err);
    return out;
}

#define RUN(fx, ...) \
    g_free(run_argv(fx, (const char *const[]){ __VA_ARGS__, NULL }))

static void
qemu_io(OracleFixture *fx, const char *image, const char *cmd)
{
    RUN(fx, "qemu-io", "-f", "vmdk", "-c", cmd, image);
}

typedef struct {
    guint64 start, length;
    gboolean zero;
} QemuRange;

static GArray *
qemu_map(OracleFixture *fx, const char *image)
{
    g_autofree char *out = run_argv(fx, (const char *const[]){
        "qemu-img", "map", "--output=json", image, NULL });
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    GArray *ranges = g_array_new(FALSE, FALSE, sizeof(QemuRange));
    JsonArray *arr;
    guint i;

    g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
    arr = json_node_get_array(json_parser_get_root(parser));
    for (i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *o = json_array_get_object_element(arr, i);
        QemuRange r = {
            .start = (guint64)json_object_get_int_member(o, "start"),
            .length = (guint64)json_object_get_int_member(o, "length"),
            /* Reads as zeros: "zero", or neither data nor zero. */
            .zero = json_object_get_boolean_member(o, "zero") ||
                    !json_object_get_boolean_member(o, "data"),
        };
        g_array_append_val(ranges, r);
    }
    return ranges;
}

static void
compare_bytes(ConvImage *img, int raw_fd, guint64 off, guint64 len)
{
    g_autoptr(GError) error = NULL;
    gsize chunk = 4 * MIB;
    g_autofree guint8 *a = g_malloc(chunk);
    g_autofree guint8 *b = g_malloc(chunk);

    while (len > 0) {
        gsize n = (gsize)MIN(len, (guint64)chunk);

        if (!conv_image_pread(img, a, n, off, &error))
            g_error("pread %" G_GUINT64_FORMAT "+%" G_GSIZE_FORMAT ": %s", off, n,
                    error->message);
        g_assert_cmpint(pread(raw_fd, b, n, (off_t)off), ==, (ssize_t)n);
        if (memcmp(a, b, n) != 0) {
            gsize i = 0;

            while (a[i] == b[i])
                i++;
            g_error("byte %" G_GUINT64_FORMAT ": ferry 0x%02x, qemu-img 0x%02x",
                    off + i, a[i], b[i]);
        }
        off += n;
        len -= n;
    }
}

/* The raw file has no non-zero byte in [off, off+len). */
static void
assert_raw_zero(int raw_fd, guint64 off, guint64 len)
{
    guint64 end = off + len;
    g_autofree guint8 *buf = g_malloc(MIB);

    while (off < end) {
        off_t data = lseek(raw_fd, (off_t)off, SEEK_DATA);
        gsize n, i;

        if (data < 0 || (guint64)data >= end)
            return;
        off = (guint64)data;
        n = (gsize)MIN(end - off, MIB);
        g_assert_cmpint(pread(raw_fd, buf, n, (off_t)off), ==, (ssize_t)n);
        for (i = 0; i < n; i++) {
            if (buf[i] != 0)
                g_error("ferry says zero at %" G_GUINT64_FORMAT
                        " but qemu-img convert has 0x%02x", off + i, buf[i]);
        }
        off += n;
    }
}

/* Checks @image (in the fixture) against qemu-img map and convert. */
static void
check_image(OracleFixture *fx, const char *image, guint64 expect_size)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(fx->dir, image, NULL);
    g_autofree char *raw = g_build_filename(fx->dir, "oracle.raw", NULL);
    g_autoptr(ConvImage) img = conv_image_open(path, NULL, &error);
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autoptr(GArray) map = NULL;
    guint64 pos = 0, size;
    guint qi = 0, fi = 0;
    guint64 data_bytes = 0;
    int raw_fd;
    int i;

    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_format(img), ==, "vmdk");
    size = conv_image_get_size(img);
    g_assert_cmpuint(size, ==, expect_size);
    map = qemu_map(fx, image);
    g_assert_true(conv_image_chain_block_status(img, 0, size, ext, &error));
    g_assert_no_error(error);

    /* Walk both maps together. */
    while (pos < size) {
        const QemuRange *q;
        const ConvExtent *f;
        guint64 next;

        g_assert_cmpuint(qi, <, map->len);
        g_assert_cmpuint(fi, <, conv_extents_count(ext));
        q = &g_array_index(map, QemuRange, qi);
        f = conv_extents_get(ext, fi);
        g_assert_cmpuint(q->start, <=, pos);
        g_assert_cmpuint(f->start, <=, pos);
        g_assert_cmpint(f->kind, !=, CONV_EXTENT_UNALLOCATED);
        if (q->zero != (f->kind == CONV_EXTENT_ZERO))
            g_error("%s at %" G_GUINT64_FORMAT ": qemu-img says %s, ferry says %s",
                    image, pos, q->zero ? "zero" : "data",
                    conv_extent_kind_to_string(f->kind));
        next = MIN(q->start + q->length, f->start + f->length);
        if (!q->zero)
            data_bytes += next - pos;
        pos = next;
        if (pos == q->start + q->length)
            qi++;
        if (pos == f->start + f->length)
            fi++;
    }
    g_assert_cmpuint(data_bytes, >, 0);

    RUN(fx, "qemu-img", "convert", "-O", "raw", image, "oracle.raw");
    raw_fd = open(raw, O_RDONLY);
    g_assert_cmpint(raw_fd, >=, 0);
    for (fi = 0; fi < conv_extents_count(ext); fi++) {
        const ConvExtent *f = conv_extents_get(ext, fi);

        if (f->kind == CONV_EXTENT_DATA)
            compare_bytes(img, raw_fd, f->start, f->length);
        else
            assert_raw_zero(raw_fd, f->start, f->length);
    }
    /* Reads that straddle data and zero, at random places. */
    for (i = 0; i < 32; i++) {
        guint64 len = (guint64)g_test_rand_int_range(1, 300 * 1024);
        guint64 off = (guint64)(g_test_rand_double() * (double)(size - len));

        compare_bytes(img, raw_fd, off, len);
    }
    /* The last byte, the first byte. */
    compare_bytes(img, raw_fd, size - 1, 1);
    compare_bytes(img, raw_fd, 0, 1);
    close(raw_fd);
    g_unlink(raw);
}

/* Writes the same pattern of data into any image: unaligned, across a
 * grain table's span (32 MiB), across 2 GiB and 4 GiB when the disk is
 * that big, and the last sector. */
static void
write_pattern(OracleFixture *fx, const char *image, guint64 size)
{
    g_autofree char *last = g_strdup_printf("write -P 0x33 %" G_GUINT64_FORMAT " 512",
                                            size - 512);

    qemu_io(fx, image, "write -P 0x11 0 64k");
    qemu_io(fx, image, "write -P 0x22 1049088 3000");
    qemu_io(fx, image, "write -P 0x44 33550336 8192");
    if (size > 3 * GIB) {
        qemu_io(fx, image, "write -P 0x55 2147479552 8192");
        qemu_io(fx, image, "write -P 0x66 4294963200 12288");
        qemu_io(fx, image, "write -P 0x77 4831838208 65536");
    }
    qemu_io(fx, image, last);
}

static gboolean
skip_without_qemu(void)
{
    return !(test_requires_program("qemu-img") && test_requires_program("qemu-io"));
}

static void
check_subformat(OracleFixture *fx, const char *subformat, guint64 size)
{
    g_autofree char *opt = g_strdup_printf("subformat=%s", subformat);
    g_autofree char *sz = g_strdup_printf("%" G_GUINT64_FORMAT, size);
    g_autofree char *detail = g_strdup_printf("createType=%s", subformat);
    g_autofree char *path = g_build_filename(fx->dir, "disk.vmdk", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;

    RUN(fx, "qemu-img", "create", "-q", "-f", "vmdk", "-o", opt, "disk.vmdk", sz);
    write_pattern(fx, "disk.vmdk", size);
    check_image(fx, "disk.vmdk", size);
    img = conv_image_open(path, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_detail(img), ==, detail);
}

static void
test_monolithic_sparse(OracleFixture *fx, gconstpointer data)
{
    if (!skip_without_qemu())
        check_subformat(fx, "monolithicSparse", 100 * MIB + 3 * 512);
}

static void
test_monolithic_sparse_5gib(OracleFixture *fx, gconstpointer data)
{
    if (!skip_without_qemu())
        check_subformat(fx, "monolithicSparse", 5 * GIB + 7 * 512);
}

static void
test_monolithic_flat(OracleFixture *fx, gconstpointer data)
{
    if (!skip_without_qemu())
        check_subformat(fx, "monolithicFlat", 40 * MIB + 512);
}

static void
test_two_gb_sparse_5gib(OracleFixture *fx, gconstpointer data)
{
    if (!skip_without_qemu())
        check_subformat(fx, "twoGbMaxExtentSparse", 5 * GIB + 3 * 512);
}

static void
test_two_gb_flat_5gib(OracleFixture *fx, gconstpointer data)
{
    if (!skip_without_qemu())
        check_subformat(fx, "twoGbMaxExtentFlat", 5 * GIB + 5 * 512);
}

/* qemu writes streamOptimized only forward, so the data goes through a
 * raw image and qemu-img convert. */
static void
check_stream(OracleFixture *fx, guint64 size)
{
    g_autofree char *sz = g_strdup_printf("%" G_GUINT64_FORMAT, size);
    g_autofree char *path = g_build_filename(fx->dir, "stream.vmdk", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;

    RUN(fx, "qemu-img", "create", "-q", "-f", "raw", "src.raw", sz);
    RUN(fx, "qemu-io", "-f", "raw", "-c", "write -P 0x11 0 64k", "-c",
        "write -P 0x22 1049088 3000", "-c", "write -P 0x44 33550336 8192", "src.raw");
    if (size > 3 * GIB)
        RUN(fx, "qemu-io", "-f", "raw", "-c", "write -P 0x66 4294963200 12288", "src.raw");
    /* Incompressible-ish data too: a grain of random bytes. */
    {
        g_autofree char *rnd = g_build_filename(fx->dir, "src.raw", NULL);
        int fd = open(rnd, O_WRONLY);
        guint8 buf[65536];
        gsize i;

        for (i = 0; i < sizeof(buf); i++)
            buf[i] = (guint8)g_test_rand_int();
        g_assert_cmpint(pwrite(fd, buf, sizeof(buf), (off_t)(size - sizeof(buf) - 512)), ==,
                        sizeof(buf));
        close(fd);
    }
    RUN(fx, "qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o",
        "subformat=streamOptimized", "src.raw", "stream.vmdk");
    {
        g_autofree char *src = g_build_filename(fx->dir, "src.raw", NULL);

        g_unlink(src);
    }
    check_image(fx, "stream.vmdk", size);
    img = conv_image_open(path, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_detail(img), ==, "createType=streamOptimized");
}

static void
test_stream_optimized(OracleFixture *fx, gconstpointer data)
{
    if (!skip_without_qemu())
        check_stream(fx, 50 * MIB + 512);
}

static void
test_stream_optimized_5gib(OracleFixture *fx, gconstpointer data)
{
    if (!skip_without_qemu())
        check_stream(fx, 5 * GIB + 1024);
}

static void
test_zeroed_grain(OracleFixture *fx, gconstpointer data)
{
    if (skip_without_qemu())
        return;
    RUN(fx, "qemu-img", "create", "-q", "-f", "vmdk", "-o", "zeroed_grain=on", "z.vmdk", "64M");
    qemu_io(fx, "z.vmdk", "write -P 0x11 0 256k");
    qemu_io(fx, "z.vmdk", "write -z 64k 128k");
    qemu_io(fx, "z.vmdk", "write -z 10M 1M");
    check_image(fx, "z.vmdk", 64 * MIB);
}

/* A delta disk over a base: unallocated grains come from the base, zeroed
 * grains hide it. */
static void
test_delta(OracleFixture *fx, gconstpointer data)
{
    g_autofree char *path = g_build_filename(fx->dir, "delta.vmdk", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = NULL;

    if (skip_without_qemu())
        return;
    RUN(fx, "qemu-img", "create", "-q", "-f", "vmdk", "base.vmdk", "64M");
    qemu_io(fx, "base.vmdk", "write -P 0xb1 0 4M");
    qemu_io(fx, "base.vmdk", "write -P 0xb2 40M 1M");
    RUN(fx, "qemu-img", "create", "-q", "-f", "vmdk", "-o", "zeroed_grain=on", "-b",
        "base.vmdk", "-F", "vmdk", "delta.vmdk");
    qemu_io(fx, "delta.vmdk", "write -P 0xd1 1M 4096");
    qemu_io(fx, "delta.vmdk", "write -z 2M 512k");
    qemu_io(fx, "delta.vmdk", "write -P 0xd2 50M 64k");
    check_image(fx, "delta.vmdk", 64 * MIB);

    img = conv_image_open(path, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_backing_name(img), ==, "base.vmdk");
    g_assert_nonnull(conv_image_get_backing(img));
}

/* A delta whose base is smaller: past the base's end reads as zeros. */
static void
test_delta_twogb_over_flat(OracleFixture *fx, gconstpointer data)
{
    if (skip_without_qemu())
        return;
    RUN(fx, "qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat",
        "base.vmdk", "10M");
    qemu_io(fx, "base.vmdk", "write -P 0xb1 0 8M");
    RUN(fx, "qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse",
        "-b", "base.vmdk", "-F", "vmdk", "delta.vmdk", "20M");
    qemu_io(fx, "delta.vmdk", "write -P 0xd1 4M 64k");
    qemu_io(fx, "delta.vmdk", "write -P 0xd2 15M 64k");
    check_image(fx, "delta.vmdk", 20 * MIB);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ORACLE_TEST(path, fn) \
    g_test_add(path, OracleFixture, NULL, oracle_setup, fn, oracle_teardown)
    ORACLE_TEST("/conv/vmdk/oracle/monolithic-sparse", test_monolithic_sparse);
    ORACLE_TEST("/conv/vmdk/oracle/monolithic-sparse-5gib", test_monolithic_sparse_5gib);
    ORACLE_TEST("/conv/vmdk/oracle/monolithic-flat", test_monolithic_flat);
    ORACLE_TEST("/conv/vmdk/oracle/two-gb-max-extent-sparse-5gib", test_two_gb_sparse_5gib);
    ORACLE_TEST("/conv/vmdk/oracle/two-gb-max-extent-flat-5gib", test_two_gb_flat_5gib);
    ORACLE_TEST("/conv/vmdk/oracle/stream-optimized", test_stream_optimized);
    ORACLE_TEST("/conv/vmdk/oracle/stream-optimized-5gib", test_stream_optimized_5gib);
    ORACLE_TEST("/conv/vmdk/oracle/zeroed-grain", test_zeroed_grain);
    ORACLE_TEST("/conv/vmdk/oracle/delta", test_delta);
    ORACLE_TEST("/conv/vmdk/oracle/delta-twogb-over-shorter-flat", test_delta_twogb_over_flat);
    return g_test_run();
}
