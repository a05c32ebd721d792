/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-qcow2-read.c: the qcow2 reader against qemu as the oracle.
 *
 * Each case makes an image with qemu-img and qemu-io, then checks that
 * conv_image_chain_block_status() agrees with `qemu-img map --output=json`
 * (data and zero ranges) and that conv_image_pread() returns the bytes of
 * `qemu-img convert -O raw`.  Cases cover every cluster size, compat 0.10
 * and 1.1, zlib and zstd compression, extended L2 entries, zero and
 * discarded clusters, raw and qcow2 backing files, external data files,
 * internal snapshots, odd and > 4 GiB virtual sizes.  Skipped without
 * qemu-img and qemu-io.
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "conv/conv.h"
#include "tests/unit/test-requires.h"

typedef struct {
    const char *name;
    const char *script;            /* sh, run in a fresh directory */
} OracleCase;

/* Images above this size are compared on qemu's data ranges and on
 * samples of the zero ranges, not byte by byte. */
#define FULL_COMPARE_MAX (64u * 1024 * 1024)
#define ZERO_SAMPLE (256u * 1024)

#define IO "qemu-io -f qcow2 "
#define Q "qemu-img create -q -f qcow2 "

static const OracleCase oracle_cases[] = {
    { "cluster-512-v3",
      Q "-o cluster_size=512,compat=1.1 t.qcow2 3M && "
      IO "-c 'write -P 0x11 0 12k' -c 'write -P 0x22 1000k 5k' "
      "-c 'write -P 0x33 2047k 3k' -c 'write -z 4k 2k' "
      "-c 'discard 1001k 1k' t.qcow2" },
    { "cluster-512-v2",
      Q "-o cluster_size=512,compat=0.10 t.qcow2 3M && "
      IO "-c 'write -P 0x11 0 12k' -c 'write -P 0x22 1000k 5k' "
      "-c 'write -z 4k 2k' -c 'discard 1001k 1k' t.qcow2" },
    { "cluster-4k-v3",
      Q "-o cluster_size=4096 t.qcow2 16M && "
      IO "-c 'write -P 0x11 0 64k' -c 'write -P 0x22 5M 100k' "
      "-c 'write -z 8k 16k' -c 'discard 5M 8k' "
      "-c 'write -P 0x44 16380k 4k' t.qcow2" },
    { "cluster-4k-v2",
      Q "-o cluster_size=4096,compat=0.10 t.qcow2 16M && "
      IO "-c 'write -P 0x11 0 64k' -c 'write -P 0x22 5M 100k' "
      "-c 'write -z 8k 16k' -c 'discard 5M 8k' t.qcow2" },
    { "cluster-64k-v3",
      Q "t.qcow2 64M && "
      IO "-c 'write -P 0x11 0 1M' -c 'write -P 0x22 30M 70k' "
      "-c 'write -z 128k 128k' -c 'write -z -u 512k 64k' "
      "-c 'discard 30M 64k' -c 'write -P 0x55 63M 1M' t.qcow2" },
    { "cluster-64k-v2",
      Q "-o compat=0.10 t.qcow2 64M && "
      IO "-c 'write -P 0x11 0 1M' -c 'write -P 0x22 30M 70k' "
      "-c 'write -z 128k 128k' -c 'discard 30M 64k' t.qcow2" },
    { "cluster-2m-v3",
      Q "-o cluster_size=2M t.qcow2 20M && "
      IO "-c 'write -P 0x11 0 3M' -c 'write -P 0x22 9M 1k' "
      "-c 'write -z 4M 2M' -c 'discard 2M 2M' t.qcow2" },
    { "cluster-2m-v2",
      Q "-o cluster_size=2M,compat=0.10 t.qcow2 20M && "
      IO "-c 'write -P 0x11 0 3M' -c 'write -P 0x22 9M 1k' t.qcow2" },
    { "compressed-zlib",
      "qemu-img create -q -f raw s.raw 8M && "
      "qemu-io -f raw -c 'write -P 0x11 0 1M' -c 'write -P 0x22 3M 100k' "
      "-c 'write -P 0x33 8000k 192k' s.raw && "
      "head -c 300000 /dev/urandom | dd of=s.raw seek=5M oflag=seek_bytes "
      "conv=notrunc status=none && "
      "qemu-img convert -c -O qcow2 s.raw t.qcow2" },
    { "compressed-zstd",
      "qemu-img create -q -f raw s.raw 8M && "
      "qemu-io -f raw -c 'write -P 0x11 0 1M' -c 'write -P 0x22 3M 100k' s.raw && "
      "head -c 300000 /dev/urandom | dd of=s.raw seek=5M oflag=seek_bytes "
      "conv=notrunc status=none && "
      "qemu-img convert -c -O qcow2 -o compression_type=zstd s.raw t.qcow2" },
    { "compressed-zstd-2m",
      "qemu-img create -q -f raw s.raw 9M && "
      "qemu-io -f raw -c 'write -P 0x11 0 1M' -c 'write -P 0x22 3M 100k' s.raw && "
      "head -c 3000000 /dev/urandom | dd of=s.raw seek=5M oflag=seek_bytes "
      "conv=notrunc status=none && "
      "qemu-img convert -c -O qcow2 -o compression_type=zstd,cluster_size=2M "
      "s.raw t.qcow2" },
    { "compressed-zlib-512",
      "qemu-img create -q -f raw s.raw 1M && "
      "qemu-io -f raw -c 'write -P 0x11 0 100k' s.raw && "
      "head -c 50000 /dev/urandom | dd of=s.raw seek=500k oflag=seek_bytes "
      "conv=notrunc status=none && "
      "qemu-img convert -c -O qcow2 -o cluster_size=512 s.raw t.qcow2" },
    { "compressed-then-overwritten",
      "qemu-img create -q -f raw s.raw 4M && "
      "qemu-io -f raw -c 'write -P 0x11 0 4M' s.raw && "
      "qemu-img convert -c -O qcow2 s.raw t.qcow2 && "
      IO "-c 'write -P 0x22 100k 10k' -c 'write -z 1M 64k' t.qcow2" },
    { "extended-l2",
      Q "-o extended_l2=on t.qcow2 16M && "
      IO "-c 'write -P 0x11 0 3k' -c 'write -P 0x22 66k 6k' "
      "-c 'write -z 80k 4k' -c 'write -P 0x33 1M 64k' -c 'discard 1M 2k' "
      "-c 'write -z 1030k 2k' -c 'write -P 0x44 16382k 2k' t.qcow2" },
    { "extended-l2-backing",
      "qemu-img create -q -f raw b.raw 4M && "
      "qemu-io -f raw -c 'write -P 0x77 0 4M' b.raw && "
      Q "-o extended_l2=on,cluster_size=128k -b b.raw -F raw t.qcow2 && "
      IO "-c 'write -P 0x11 4k 4k' -c 'write -z 20k 8k' "
      "-c 'write -P 0x22 1M 128k' -c 'discard 1M 4k' t.qcow2" },
    { "backing-raw-relative",
      "mkdir base && qemu-img create -q -f raw base/b.raw 6M && "
      "qemu-io -f raw -c 'write -P 0x66 0 1M' -c 'write -P 0x67 4M 1M' "
      "base/b.raw && "
      Q "-b base/b.raw -F raw t.qcow2 8M && "
      IO "-c 'write -P 0x11 512k 128k' -c 'write -z 4M 64k' t.qcow2" },
    { "backing-qcow2-relative",
      "mkdir base && " Q "base/b.qcow2 4M && "
      IO "-c 'write -P 0x66 0 2M' -c 'write -z 2M 64k' base/b.qcow2 && "
      Q "-b base/b.qcow2 -F qcow2 t.qcow2 6M && "
      IO "-c 'write -P 0x11 64k 64k' -c 'write -P 0x12 5M 4k' "
      "-c 'write -z 1M 128k' t.qcow2" },
    { "backing-v2-chain",
      Q "-o compat=0.10 b.qcow2 4M && "
      IO "-c 'write -P 0x66 0 4M' b.qcow2 && "
      Q "-o compat=0.10 -b b.qcow2 -F qcow2 t.qcow2 && "
      IO "-c 'write -P 0x11 64k 64k' -c 'write -z 1M 128k' t.qcow2" },
    { "large-6g",
      Q "t.qcow2 6G && "
      IO "-c 'write -P 0x11 0 64k' -c 'write -P 0x22 4G 100k' "
      "-c 'write -P 0x33 4194303k 2k' -c 'write -P 0x44 6143M 1M' t.qcow2" },
    { "odd-size",
      Q "t.qcow2 1000000 && "
      IO "-c 'write -P 0x11 0 4096' -c 'write -P 0x22 999000 1000' t.qcow2" },
    { "odd-size-v2-512",
      Q "-o compat=0.10,cluster_size=512 t.qcow2 1000001 && "
      IO "-c 'write -P 0x22 998912 1089' t.qcow2" },
    { "data-file",
      Q "-o data_file=t.data t.qcow2 8M && "
      IO "-c 'write -P 0x11 0 64k' -c 'write -P 0x22 3M 100k' "
      "-c 'write -z 64k 64k' t.qcow2" },
    { "data-file-raw",
      Q "-o data_file=t.data,data_file_raw=on t.qcow2 8M && "
      IO "-c 'write -P 0x11 0 64k' -c 'write -P 0x22 3M 100k' t.qcow2" },
    { "internal-snapshot",
      Q "t.qcow2 8M && "
      IO "-c 'write -P 0x11 0 1M' t.qcow2 && "
      "qemu-img snapshot -c snap1 t.qcow2 && "
      IO "-c 'write -P 0x22 512k 64k' -c 'discard 0 64k' t.qcow2" },
    { "preallocation-metadata",
      Q "-o preallocation=metadata t.qcow2 4M && "
      IO "-c 'write -P 0x11 1M 64k' t.qcow2" },
    { "empty",
      Q "t.qcow2 0" },
};

static gboolean
have_qemu(void)
{
    return test_requires_program("qemu-img") && test_requires_program("qemu-io");
}

static void
run_sh(const char *dir, const char *script, char **out)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *err = NULL;
    const char *argv[] = { "/bin/sh", "-ec", script, NULL };
    int status = 0;

    g_spawn_sync(dir, (char **)argv, NULL,
                 out ? G_SPAWN_DEFAULT : G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                 out, &err, &status, &error);
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("script failed: %s\n%s", script, err);
}

/* qemu-img map's view, merged by kind: data (data: true) or zero. */
static ConvExtents *
qemu_map(const char *dir)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *json = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    ConvExtents *ext = conv_extents_new();
    JsonArray *arr;
    guint i;

    run_sh(dir, "qemu-img map -f qcow2 --output=json t.qcow2", &json);
    g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
    arr = json_node_get_array(json_parser_get_root(parser));
    for (i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *o = json_array_get_object_element(arr, i);

        conv_extents_append(ext, (guint64)json_object_get_int_member(o, "start"),
                            (guint64)json_object_get_int_member(o, "length"),
                            json_object_get_boolean_member(o, "data") ?
                            CONV_EXTENT_DATA : CONV_EXTENT_ZERO);
    }
    return ext;
}

static char *
extents_to_string(const ConvExtents *ext)
{
    GString *s = g_string_new(NULL);
    guint i;

    for (i = 0; i < conv_extents_count(ext); i++) {
        const ConvExtent *e = conv_extents_get(ext, i);

        g_string_append_printf(s, "%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
                               " %s\n", e->start, e->length,
                               conv_extent_kind_to_string(e->kind));
    }
    return g_string_free(s, FALSE);
}

static void
compare_range(ConvImage *img, int raw_fd, guint64 off, guint64 len)
{
    g_autoptr(GError) error = NULL;
    const gsize chunk = 4u * 1024 * 1024;
    g_autofree guint8 *ours = g_malloc(chunk);
    g_autofree guint8 *theirs = g_malloc(chunk);

    while (len > 0) {
        gsize n = (gsize)MIN((guint64)chunk, len);
        ssize_t r = pread(raw_fd, theirs, n, (off_t)off);

        /* qemu-img convert may leave a trailing hole short. */
        if (r < (ssize_t)n)
            memset(theirs + MAX(r, 0), 0, n - (gsize)MAX(r, 0));
        if (!conv_image_pread(img, ours, n, off, &error))
            g_error("pread %" G_GUINT64_FORMAT "+%" G_GSIZE_FORMAT ": %s",
                    off, n, error->message);
        if (memcmp(ours, theirs, n) != 0) {
            gsize i = 0;

            while (ours[i] == theirs[i])
                i++;
            g_error("bytes differ at guest offset %" G_GUINT64_FORMAT
                    ": ours 0x%02x, qemu 0x%02x", off + i, ours[i], theirs[i]);
        }
        off += n;
        len -= n;
    }
}

static void
test_oracle(gconstpointer data)
{
    const OracleCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;
    g_autofree char *raw = NULL;
    g_autofree char *ours_s = NULL;
    g_autofree char *theirs_s = NULL;
    g_autofree char *rm = NULL;
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ours = conv_extents_new();
    g_autoptr(ConvExtents) theirs = NULL;
    guint64 size;
    int fd;
    guint i;

    if (!have_qemu())
        return;
    dir = g_dir_make_tmp("ferry-test-qcow2-XXXXXX", &error);
    g_assert_no_error(error);
    run_sh(dir, c->script, NULL);
    run_sh(dir, "qemu-img convert -f qcow2 -O raw t.qcow2 t.raw", NULL);
    path = g_build_filename(dir, "t.qcow2", NULL);
    raw = g_build_filename(dir, "t.raw", NULL);

    img = conv_image_open(path, "qcow2", &error);
    g_assert_no_error(error);
    size = conv_image_get_size(img);

    theirs = qemu_map(dir);
    g_assert_true(conv_image_chain_block_status(img, 0, size, ours, &error));
    g_assert_no_error(error);
    ours_s = extents_to_string(ours);
    theirs_s = extents_to_string(theirs);
    g_test_message("qemu-img map:\n%s", theirs_s);
    g_assert_cmpstr(ours_s, ==, theirs_s);

    fd = open(raw, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    if (size <= FULL_COMPARE_MAX) {
        compare_range(img, fd, 0, size);
    } else {
        for (i = 0; i < conv_extents_count(theirs); i++) {
            const ConvExtent *e = conv_extents_get(theirs, i);

            if (e->kind == CONV_EXTENT_DATA) {
                compare_range(img, fd, e->start, e->length);
            } else {
                guint64 n = MIN(e->length, (guint64)ZERO_SAMPLE);

                compare_range(img, fd, e->start, n);
                compare_range(img, fd, e->start + e->length - n, n);
            }
        }
    }
    close(fd);

    g_clear_pointer(&img, conv_image_free);
    rm = g_strdup_printf("rm -rf '%s'", dir);
    run_sh("/", rm, NULL);
}

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(oracle_cases); i++) {
        g_autofree char *name = g_strdup_printf("/conv/qcow2/oracle/%s",
                                                oracle_cases[i].name);

        g_test_add_data_func(name, &oracle_cases[i], test_oracle);
    }
    return g_test_run();
}
