/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vhdx.c: the VHDX reader on images built here byte by byte: header
 * choice, log, region table, metadata and BAT checks with failure cases
 * named for the fault, every payload block state, and differencing disks
 * with sector bitmaps (qemu-img cannot make those).
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "conv/conv.h"
#include "conv/crc32c.h"
#include "tests/unit/test-vhdx-build.h"

/* ---- fixture and assertions ------------------------------------------ */

typedef struct {
    char *dir;
    char *path;
} Fx;

static void
fx_setup(Fx *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-vhdx-XXXXXX", &error);
    g_assert_no_error(error);
    fx->path = g_build_filename(fx->dir, "disk.vhdx", NULL);
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
    GDir *d = g_dir_open(fx->dir, 0, NULL);
    const char *name;

    /* FERRY_TEST_KEEP=1 leaves the images for a look with qemu-img. */
    if (g_getenv("FERRY_TEST_KEEP")) {
        g_printerr("kept %s\n", fx->dir);
        g_clear_pointer(&d, g_dir_close);
    }
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(fx->dir, name, NULL);

        g_unlink(p);
    }
    if (d) {
        g_dir_close(d);
        g_rmdir(fx->dir);
    }
    g_free(fx->path);
    g_free(fx->dir);
}

static void
assert_open_fails(const char *path, FerryError code, const char *field)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(path, NULL, &error);

    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, (gint)code);
    if (!strstr(error->message, field))
        g_error("message does not name '%s': %s", field, error->message);
}

static ConvImage *
open_ok(const char *path)
{
    g_autoptr(GError) error = NULL;
    ConvImage *img = conv_image_open(path, NULL, &error);

    g_assert_no_error(error);
    return img;
}

/* Seals, writes and expects open() to fail naming @field. */
static void
expect_fault(Fx *fx, Vx *x, FerryError code, const char *field)
{
    vx_seal(x);
    vx_write(x, fx->path);
    assert_open_fails(fx->path, code, field);
}

/* ---- headers and log ---------------------------------------------------- */

static void
test_probe_is_vhdx(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;

    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_cmpstr(conv_image_get_format(img), ==, "vhdx");
    g_assert_cmpuint(conv_image_get_size(img), ==, 4 * MIB);
    g_assert_nonnull(strstr(conv_image_get_detail(img), "subformat=dynamic"));
    g_assert_null(conv_image_get_backing_name(img));
}

static void
test_header_crc_mismatch(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    vx_seal(x);
    x->d[64 * 1024 + 100] ^= 1;
    x->d[128 * 1024 + 100] ^= 1;
    vx_write(x, fx->path);
    assert_open_fails(fx->path, FERRY_ERROR_CORRUPT, "header 1: checksum");
}

static void
test_header_one_bad_uses_other(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;

    vx_seal(x);
    x->d[128 * 1024 + 100] ^= 1;
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_cmpuint(conv_image_get_size(img), ==, 4 * MIB);
}

/* A log entry with a valid CRC at log offset @pos, @len bytes, for the
 * log_guid of header at @hdr. */
static void
vx_log_entry(Vx *x, guint32 hdr, guint64 pos, guint32 len)
{
    g_autofree guint8 *e = g_malloc0(len);
    guint32 done;

    memset(x->d + hdr + 48, 0x5c, 16);          /* log_guid */
    memcpy(e, "loge", 4);
    put_le32(e + 8, len);
    memset(e + 32, 0x5c, 16);
    memset(e + 64, 0x33, len - 64);
    put_le32(e + 4, crc32c(e, len));
    for (done = 0; done < len; done += 4096)
        memcpy(x->d + X_LOG_AT + (pos + done) % MIB, e + done, 4096);
}

static void
test_log_needs_replay(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    vx_log_entry(x, 128 * 1024, 8192, 8192);
    expect_fault(fx, x, FERRY_ERROR_UNSUPPORTED, "vhdx log");
}

static void
test_log_entry_wraps_around(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    vx_log_entry(x, 128 * 1024, MIB - 4096, 3 * 4096);
    expect_fault(fx, x, FERRY_ERROR_UNSUPPORTED, "needs replay");
}

static void
test_log_guid_without_valid_entry_opens(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;

    vx_log_entry(x, 128 * 1024, 0, 4096);
    x->d[X_LOG_AT + 100] ^= 1;                 /* entry CRC now wrong */
    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_nonnull(img);
}

static void
test_header_current_is_highest_sequence(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;

    /* Header 1 has the dirty log; header 2 (sequence 2) is current. */
    vx_log_entry(x, 64 * 1024, 0, 4096);
    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_clear_pointer(&img, conv_image_free);
    /* Now header 1 is newer: its log must be replayed. */
    put_le64(x->d + 64 * 1024 + 8, 3);
    expect_fault(fx, x, FERRY_ERROR_UNSUPPORTED, "needs replay");
}

static void
test_header_same_sequence_differs(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le64(x->d + 64 * 1024 + 8, 2);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "sequence_number");
}

static void
test_header_version_not_1(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le16(x->d + 64 * 1024 + 66, 2);
    put_le16(x->d + 128 * 1024 + 66, 2);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "version");
}

/* ---- region table ------------------------------------------------------ */

static void
test_region_table_crc_mismatch(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    vx_seal(x);
    x->d[192 * 1024 + 1000] ^= 1;
    x->d[256 * 1024 + 1000] ^= 1;
    vx_write(x, fx->path);
    assert_open_fails(fx->path, FERRY_ERROR_CORRUPT, "region table 1: checksum");
}

static void
test_region_table_1_bad_uses_table_2(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;

    vx_seal(x);
    x->d[192 * 1024 + 1000] ^= 1;
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_nonnull(img);
}

static void
test_region_bat_past_eof(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le64(x->d + 192 * 1024 + 32, 64ULL * MIB);
    put_le64(x->d + 256 * 1024 + 32, 64ULL * MIB);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "BAT region: file_offset");
}

static void
test_region_bat_misaligned(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le64(x->d + 192 * 1024 + 32, X_BAT_AT + 4096);
    put_le64(x->d + 256 * 1024 + 32, X_BAT_AT + 4096);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "BAT region");
}

static void
test_region_unknown_required(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    x->d[192 * 1024 + 16] ^= 0xff;       /* BAT guid becomes unknown */
    x->d[256 * 1024 + 16] ^= 0xff;
    expect_fault(fx, x, FERRY_ERROR_UNSUPPORTED, "required region");
}

static void
test_region_overlap(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le64(x->d + 192 * 1024 + 32, X_META_AT);
    put_le64(x->d + 256 * 1024 + 32, X_META_AT);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "overlap");
}

static void
test_region_metadata_missing(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le32(x->d + 192 * 1024 + 8, 1);
    put_le32(x->d + 256 * 1024 + 8, 1);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "no metadata region");
}

/* ---- metadata ------------------------------------------------------------ */

static void
test_metadata_signature_bad(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    x->d[X_META_AT] = 'M';
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "metadata table: signature");
}

static void
test_metadata_block_size_not_power_of_two(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le32(x->d + X_META_AT + 0x10000, 3 * MIB);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "block_size");
}

static void
test_metadata_logical_sector_size_bad(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le32(x->d + X_META_AT + 0x10000 + 32, 1024);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "logical_sector_size");
}

static void
test_metadata_virtual_size_above_64_tib(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le64(x->d + X_META_AT + 0x10000 + 8, (64ULL << 40) + 512);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "virtual_disk_size");
}

static void
test_metadata_bat_region_too_small(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le64(x->d + X_META_AT + 0x10000 + 8, 64ULL << 40);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "BAT region");
}

static void
test_metadata_item_outside_region(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le32(vx_metadata_entry(x, 1) + 16, MIB - 4);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "virtual_disk_size at offset");
}

static void
test_metadata_required_item_missing(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    vx_metadata_entry(x, 2)[0] ^= 0xff;        /* page 83 guid unknown */
    put_le32(vx_metadata_entry(x, 2) + 24, 0); /* and not required */
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "page_83_data is missing");
}

static void
test_metadata_unknown_required_item(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);

    put_le16(x->d + X_META_AT + 10, 6);
    memset(vx_metadata_entry(x, 5), 0x77, 16);
    put_le32(vx_metadata_entry(x, 5) + 24, 1u << 2);
    expect_fault(fx, x, FERRY_ERROR_UNSUPPORTED, "required item");
}

/* ---- BAT and block states ---------------------------------------------- */

static void
check_bytes(ConvImage *img, guint64 off, guint64 len, guint8 want)
{
    g_autofree guint8 *buf = g_malloc(len);
    g_autoptr(GError) error = NULL;
    guint64 i;

    g_assert_true(conv_image_pread(img, buf, len, off, &error));
    g_assert_no_error(error);
    for (i = 0; i < len; i++) {
        if (buf[i] != want)
            g_error("byte %" G_GUINT64_FORMAT " is 0x%02x, expected 0x%02x",
                    off + i, buf[i], want);
    }
}

static void
test_bat_block_states(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(6 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autoptr(GError) error = NULL;
    static const ConvExtentKind want[6] = {
        CONV_EXTENT_ZERO, CONV_EXTENT_ZERO, CONV_EXTENT_DATA,
        CONV_EXTENT_ZERO, CONV_EXTENT_ZERO, CONV_EXTENT_DATA,
    };
    guint i;

    vx_block(x, 0, 0, 0);       /* NOT_PRESENT */
    vx_block(x, 1, 2, 0);       /* ZERO */
    vx_block(x, 2, 6, 0x11);    /* FULLY_PRESENT */
    vx_block(x, 3, 3, 0);       /* UNMAPPED */
    vx_block(x, 4, 1, 0);       /* UNDEFINED */
    vx_block(x, 5, 6, 0x22);
    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    for (i = 0; i < 6; i++) {
        conv_extents_clear(ext);
        g_assert_true(conv_image_block_status(img, i * MIB, MIB, ext, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(conv_extents_count(ext), ==, 1);
        g_assert_cmpint(conv_extents_get(ext, 0)->kind, ==, want[i]);
    }
    check_bytes(img, 0, 2 * MIB, 0);
    check_bytes(img, 2 * MIB, MIB, 0x11);
    check_bytes(img, 3 * MIB, 2 * MIB, 0);
    check_bytes(img, 5 * MIB, MIB, 0x22);
}

static void
test_bat_entry_past_eof(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autoptr(GError) error = NULL;

    put_le64(x->d + X_BAT_AT + 8, (4096ULL << 20) | 6);
    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_false(conv_image_block_status(img, 0, 4 * MIB, ext, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "BAT: entry 1"));
}

static void
test_bat_reserved_state(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(GError) error = NULL;
    guint8 buf[512];

    put_le64(x->d + X_BAT_AT + 16, 4);
    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_false(conv_image_pread(img, buf, sizeof(buf), 2 * MIB, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "reserved state"));
}

static void
test_bat_partially_present_without_parent(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, FALSE);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(GError) error = NULL;
    guint8 buf[512];

    vx_block(x, 0, 7, 0x11);
    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_false(conv_image_pread(img, buf, sizeof(buf), 0, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "partially present"));
}

/* ---- differencing ------------------------------------------------------ */

static void
write_parent(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "parent.vhdx", NULL);
    g_autoptr(Vx) p = vx_new(4 * MIB, FALSE);
    guint i;

    for (i = 0; i < 4; i++)
        vx_block(p, i, 6, 0xaa);
    vx_seal(p);
    vx_write(p, path);
}

static void
test_differencing_reads_through_parent(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, TRUE);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(ConvExtents) layer = conv_extents_new();
    g_autoptr(GError) error = NULL;

    write_parent(fx->dir);
    vx_block(x, 0, 0, 0);               /* NOT_PRESENT: parent */
    vx_block(x, 1, 7, 0xbb);            /* first 512 KiB here */
    vx_bitmap_set(x, 1, 0, 1024);
    vx_block(x, 2, 6, 0xcc);
    vx_block(x, 3, 2, 0);               /* ZERO */
    vx_seal(x);
    vx_write(x, fx->path);

    img = open_ok(fx->path);
    g_assert_cmpstr(conv_image_get_backing_name(img), ==, "parent.vhdx");
    g_assert_nonnull(conv_image_get_backing(img));
    g_assert_true(conv_image_block_status(img, 0, 4 * MIB, layer, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(conv_extents_count(layer), ==, 5);
    g_assert_cmpint(conv_extents_get(layer, 0)->kind, ==,
                    CONV_EXTENT_UNALLOCATED);
    g_assert_cmpint(conv_extents_get(layer, 1)->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(conv_extents_get(layer, 1)->start, ==, MIB);
    g_assert_cmpuint(conv_extents_get(layer, 1)->length, ==, MIB / 2);
    g_assert_cmpint(conv_extents_get(layer, 2)->kind, ==,
                    CONV_EXTENT_UNALLOCATED);
    g_assert_cmpuint(conv_extents_get(layer, 2)->length, ==, MIB / 2);
    g_assert_cmpint(conv_extents_get(layer, 3)->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpint(conv_extents_get(layer, 4)->kind, ==, CONV_EXTENT_ZERO);

    check_bytes(img, 0, MIB, 0xaa);
    check_bytes(img, MIB, MIB / 2, 0xbb);
    check_bytes(img, MIB + MIB / 2, MIB / 2, 0xaa);
    check_bytes(img, 2 * MIB, MIB, 0xcc);
    check_bytes(img, 3 * MIB, MIB, 0);
}

static void
test_differencing_sector_bitmap_not_present(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, TRUE);
    g_autoptr(ConvImage) img = NULL;
    g_autoptr(GError) error = NULL;
    guint8 buf[512];

    write_parent(fx->dir);
    vx_block(x, 1, 7, 0xbb);
    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_false(conv_image_pread(img, buf, sizeof(buf), MIB, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "sector bitmap entry"));
}

static void
test_differencing_parent_from_absolute_path(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, TRUE);
    g_autoptr(ConvImage) img = NULL;

    write_parent(fx->dir);
    vx_locator(x, 5, "absolute_win32_path", "C:\\VMs\\parent.vhdx");
    vx_seal(x);
    vx_write(x, fx->path);
    img = open_ok(fx->path);
    g_assert_cmpstr(conv_image_get_backing_name(img), ==, "parent.vhdx");
}

static void
test_differencing_locator_entry_past_item(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, TRUE);

    put_le32(x->d + X_META_AT + 0x10000 + 4096 + 24, 100000);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "parent_locator: entry 0");
}

static void
test_differencing_no_parent_locator(Fx *fx, gconstpointer data)
{
    g_autoptr(Vx) x = vx_new(4 * MIB, TRUE);

    put_le16(x->d + X_META_AT + 10, 5);
    expect_fault(fx, x, FERRY_ERROR_CORRUPT, "has_parent");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)
    ADD("/conv/vhdx/probe/is-vhdx", test_probe_is_vhdx);
    ADD("/conv/vhdx/header/vhdx-header-crc-mismatch", test_header_crc_mismatch);
    ADD("/conv/vhdx/header/one-bad-header-uses-the-other",
        test_header_one_bad_uses_other);
    ADD("/conv/vhdx/header/current-is-highest-sequence-number",
        test_header_current_is_highest_sequence);
    ADD("/conv/vhdx/header/same-sequence-number-different-content",
        test_header_same_sequence_differs);
    ADD("/conv/vhdx/header/version-not-1", test_header_version_not_1);
    ADD("/conv/vhdx/log/vhdx-log-needs-replay", test_log_needs_replay);
    ADD("/conv/vhdx/log/entry-wraps-around-the-log", test_log_entry_wraps_around);
    ADD("/conv/vhdx/log/guid-without-valid-entry-opens",
        test_log_guid_without_valid_entry_opens);
    ADD("/conv/vhdx/region/region-table-crc-mismatch",
        test_region_table_crc_mismatch);
    ADD("/conv/vhdx/region/table-1-bad-uses-table-2",
        test_region_table_1_bad_uses_table_2);
    ADD("/conv/vhdx/region/bat-past-eof", test_region_bat_past_eof);
    ADD("/conv/vhdx/region/bat-misaligned", test_region_bat_misaligned);
    ADD("/conv/vhdx/region/unknown-required-region", test_region_unknown_required);
    ADD("/conv/vhdx/region/regions-overlap", test_region_overlap);
    ADD("/conv/vhdx/region/metadata-missing", test_region_metadata_missing);
    ADD("/conv/vhdx/metadata/signature-bad", test_metadata_signature_bad);
    ADD("/conv/vhdx/metadata/block-size-not-power-of-two",
        test_metadata_block_size_not_power_of_two);
    ADD("/conv/vhdx/metadata/logical-sector-size-bad",
        test_metadata_logical_sector_size_bad);
    ADD("/conv/vhdx/metadata/virtual-size-above-64-tib",
        test_metadata_virtual_size_above_64_tib);
    ADD("/conv/vhdx/metadata/bat-region-too-small",
        test_metadata_bat_region_too_small);
    ADD("/conv/vhdx/metadata/item-outside-region",
        test_metadata_item_outside_region);
    ADD("/conv/vhdx/metadata/required-item-missing",
        test_metadata_required_item_missing);
    ADD("/conv/vhdx/metadata/unknown-required-item",
        test_metadata_unknown_required_item);
    ADD("/conv/vhdx/bat/block-states", test_bat_block_states);
    ADD("/conv/vhdx/bat/entry-past-eof", test_bat_entry_past_eof);
    ADD("/conv/vhdx/bat/reserved-state", test_bat_reserved_state);
    ADD("/conv/vhdx/bat/partially-present-without-parent",
        test_bat_partially_present_without_parent);
    ADD("/conv/vhdx/differencing/reads-through-parent",
        test_differencing_reads_through_parent);
    ADD("/conv/vhdx/differencing/sector-bitmap-not-present",
        test_differencing_sector_bitmap_not_present);
    ADD("/conv/vhdx/differencing/parent-from-absolute-path",
        test_differencing_parent_from_absolute_path);
    ADD("/conv/vhdx/differencing/locator-entry-past-item",
        test_differencing_locator_entry_past_item);
    ADD("/conv/vhdx/differencing/no-parent-locator",
        test_differencing_no_parent_locator);
#undef ADD
    return g_test_run();
}
