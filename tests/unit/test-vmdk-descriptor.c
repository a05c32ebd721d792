/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-vmdk-descriptor.c: the VMDK text descriptor parser, and opening
 * descriptor files (extent lines resolved to files, refused createTypes).
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "conv/vmdk-priv.h"

typedef struct {
    char *dir;
} DescFixture;

static void
desc_fixture_setup(DescFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    fx->dir = g_dir_make_tmp("ferry-test-vmdk-desc-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
desc_fixture_teardown(DescFixture *fx, gconstpointer data)
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

static char *
write_file(DescFixture *fx, const char *name, const void *data, gsize len)
{
    g_autoptr(GError) error = NULL;
    char *path = g_build_filename(fx->dir, name, NULL);

    g_assert_true(g_file_set_contents(path, data, (gssize)len, &error));
    g_assert_no_error(error);
    return path;
}

/* A flat file of @sectors sectors, sector i filled with byte i + 1 for
 * the first 4 sectors, the rest a hole. */
static char *
write_flat(DescFixture *fx, const char *name, guint64 sectors)
{
    char *path = g_build_filename(fx->dir, name, NULL);
    guint8 sector[512];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int i;

    g_assert_cmpint(fd, >=, 0);
    for (i = 0; i < 4 && (guint64)i < sectors; i++) {
        memset(sector, i + 1, sizeof(sector));
        g_assert_cmpint(pwrite(fd, sector, sizeof(sector), i * 512), ==, sizeof(sector));
    }
    g_assert_cmpint(ftruncate(fd, (off_t)(sectors * 512)), ==, 0);
    close(fd);
    return path;
}

static VmdkDescriptor *
parse(const char *text, GError **error)
{
    return vmdk_descriptor_parse(text, strlen(text), "test.vmdk", error);
}

static void
assert_parse_fails(const char *text, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmdkDescriptor) desc = parse(text, &error);

    g_assert_null(desc);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "test.vmdk"));
    if (!strstr(error->message, needle))
        g_error("'%s' not in: %s", needle, error->message);
}

static void
test_parses_everything(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmdkDescriptor) desc = parse(
        "# Disk DescriptorFile\r\n"
        "version=1\r\n"
        "encoding=\"UTF-8\"\r\n"
        "CID=12ab34cd\r\n"
        "parentCID=fffffffe\r\n"
        "createType=\"twoGbMaxExtentSparse\"\r\n"
        "parentFileNameHint=\"my base.vmdk\"\r\n"
        "\r\n"
        "# Extent description\r\n"
        "RW 4192256 SPARSE \"disk name-s001.vmdk\"\r\n"
        "RDONLY 2048 FLAT \"disk-flat.vmdk\" 63\r\n"
        "NOACCESS 100 ZERO\r\n"
        "RW 8 VMFS \"vmfs-flat.vmdk\"\r\n"
        "RW 16 VMFSSPARSE \"delta.vmdk\"\r\n"
        "\r\n"
        "ddb.virtualHWVersion = \"4\"\r\n"
        "ddb.geometry.cylinders = \"16383\"\r\n", &error);
    const VmdkExtentLine *e;

    g_assert_no_error(error);
    g_assert_cmpstr(desc->create_type, ==, "twoGbMaxExtentSparse");
    g_assert_cmpstr(desc->parent_hint, ==, "my base.vmdk");
    g_assert_cmphex(desc->cid, ==, 0x12ab34cd);
    g_assert_cmphex(desc->parent_cid, ==, 0xfffffffe);
    g_assert_cmpuint(desc->extents->len, ==, 5);
    g_assert_cmpuint(desc->total_sectors, ==, 4192256 + 2048 + 100 + 8 + 16);
    e = &g_array_index(desc->extents, VmdkExtentLine, 0);
    g_assert_cmpint(e->access, ==, VMDK_ACCESS_RW);
    g_assert_cmpint(e->type, ==, VMDK_TYPE_SPARSE);
    g_assert_cmpstr(e->file, ==, "disk name-s001.vmdk");
    e = &g_array_index(desc->extents, VmdkExtentLine, 1);
    g_assert_cmpint(e->access, ==, VMDK_ACCESS_RDONLY);
    g_assert_cmpint(e->type, ==, VMDK_TYPE_FLAT);
    g_assert_cmpuint(e->offset, ==, 63);
    e = &g_array_index(desc->extents, VmdkExtentLine, 2);
    g_assert_cmpint(e->access, ==, VMDK_ACCESS_NOACCESS);
    g_assert_cmpint(e->type, ==, VMDK_TYPE_ZERO);
    g_assert_null(e->file);
    e = &g_array_index(desc->extents, VmdkExtentLine, 3);
    g_assert_cmpint(e->type, ==, VMDK_TYPE_VMFS);
    g_assert_cmpuint(e->offset, ==, 0);
    e = &g_array_index(desc->extents, VmdkExtentLine, 4);
    g_assert_cmpint(e->type, ==, VMDK_TYPE_VMFSSPARSE);
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.geometry.cylinders"), ==, "16383");
    g_assert_cmpstr(g_hash_table_lookup(desc->ddb, "ddb.virtualHWVersion"), ==, "4");
}

static void
test_embedded_nul_padding_ends_text(void)
{
    g_autoptr(GError) error = NULL;
    const char text[] = "createType=\"monolithicSparse\"\n\0RW 5 SPARSE \"x\"\n";
    g_autoptr(VmdkDescriptor) desc = vmdk_descriptor_parse(text, sizeof(text), "t", &error);

    g_assert_no_error(error);
    g_assert_cmpuint(desc->extents->len, ==, 0);
}

static void
test_extent_size_zero(void)
{
    assert_parse_fails("RW 0 FLAT \"a\" 0\n", "extent size '0'");
}

static void
test_extent_size_not_number(void)
{
    assert_parse_fails("RW 12x FLAT \"a\" 0\n", "line 1: extent size '12x'");
    assert_parse_fails("RW -5 FLAT \"a\" 0\n", "extent size '-5'");
    assert_parse_fails("RW 99999999999999999999999 FLAT \"a\" 0\n", "extent size");
}

static void
test_extent_size_too_big(void)
{
    assert_parse_fails("RW 137438953473 FLAT \"a\" 0\n", "exceeds the limit");
}

static void
test_extents_sum_too_big(void)
{
    assert_parse_fails("RW 137438953472 FLAT \"a\" 0\nRW 1 ZERO\n",
                       "line 2: extents add up to more than the limit");
}

static void
test_unknown_extent_type(void)
{
    assert_parse_fails("version=1\nRW 8 BOGUS \"a\"\n", "line 2: unknown extent type 'BOGUS'");
}

static void
test_name_unquoted(void)
{
    assert_parse_fails("RW 8 SPARSE a.vmdk\n", "not quoted");
    assert_parse_fails("RW 8 SPARSE \"a.vmdk\n", "not quoted");
}

static void
test_name_empty(void)
{
    assert_parse_fails("RW 8 SPARSE \"\"\n", "file name length 0");
}

static void
test_offset_on_sparse(void)
{
    assert_parse_fails("RW 8 SPARSE \"a.vmdk\" 5\n", "SPARSE extent has an offset");
}

static void
test_offset_not_number(void)
{
    assert_parse_fails("RW 8 FLAT \"a.vmdk\" 0x10\n", "extent offset '0x10'");
}

static void
test_junk_after_offset(void)
{
    assert_parse_fails("RW 8 FLAT \"a.vmdk\" 0 junk\n", "unexpected 'junk'");
}

static void
test_zero_with_name(void)
{
    assert_parse_fails("RW 8 ZERO \"a.vmdk\"\n", "ZERO extent has a file name");
}

static void
test_cid_not_hex(void)
{
    assert_parse_fails("CID=zz\n", "CID 'zz'");
    assert_parse_fails("parentCID=123456789\n", "parentCID '123456789'");
}

static void
test_too_many_extents(void)
{
    g_autoptr(GString) s = g_string_new(NULL);
    guint i;

    for (i = 0; i <= VMDK_MAX_EXTENTS; i++)
        g_string_append(s, "RW 1 ZERO\n");
    assert_parse_fails(s->str, "more than 32768 extents");
}

static void
test_descriptor_bigger_than_limit(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmdkDescriptor) desc = vmdk_descriptor_parse("", VMDK_MAX_DESCRIPTOR_BYTES + 1,
                                                           "test.vmdk", &error);

    g_assert_null(desc);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT);
    g_assert_nonnull(strstr(error->message, "descriptor size"));
}

/* ---- opening descriptor files ------------------------------------------ */

static void
assert_open_fails(const char *path, int code, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ConvImage) img = conv_image_open(path, NULL, &error);

    g_assert_null(img);
    g_assert_error(error, FERRY_ERROR, code);
    if (!strstr(error->message, needle))
        g_error("'%s' not in: %s", needle, error->message);
}

static void
test_descriptor_10mb(DescFixture *fx, gconstpointer data)
{
    gsize n = 10 * 1024 * 1024;
    g_autofree char *text = g_malloc(n);
    g_autofree char *path = NULL;

    memset(text, '#', n);
    memcpy(text, "# Disk DescriptorFile\n", 22);
    path = write_file(fx, "big.vmdk", text, n);
    assert_open_fails(path, FERRY_ERROR_CORRUPT, "descriptor size 10485760 bytes exceeds");
}

static void
test_extent_file_missing(DescFixture *fx, gconstpointer data)
{
    const char *text = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\n"
                       "RW 2048 FLAT \"gone-flat.vmdk\" 0\n";
    g_autofree char *path = write_file(fx, "d.vmdk", text, strlen(text));

    assert_open_fails(path, FERRY_ERROR_NOT_FOUND, "vmdk extent 'gone-flat.vmdk'");
}

static void
test_flat_extent_short(DescFixture *fx, gconstpointer data)
{
    const char *text = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\n"
                       "RW 2048 FLAT \"d-flat.vmdk\" 8\n";
    g_autofree char *flat = write_flat(fx, "d-flat.vmdk", 2048);
    g_autofree char *path = write_file(fx, "d.vmdk", text, strlen(text));

    assert_open_fails(path, FERRY_ERROR_CORRUPT, "is shorter than the extent's offset + size");
}

static void
test_sesparse_refused(DescFixture *fx, gconstpointer data)
{
    const char *text = "# Disk DescriptorFile\ncreateType=\"seSparse\"\n"
                       "RW 2048 SESPARSE \"d-sesparse.vmdk\"\n";
    g_autofree char *path = write_file(fx, "d.vmdk", text, strlen(text));

    assert_open_fails(path, FERRY_ERROR_UNSUPPORTED, "createType 'seSparse' is not supported");
}

static void
test_sesparse_extent_refused(DescFixture *fx, gconstpointer data)
{
    const char *text = "# Disk DescriptorFile\ncreateType=\"custom\"\n"
                       "RW 2048 SESPARSE \"d-sesparse.vmdk\"\n";
    g_autofree char *path = write_file(fx, "d.vmdk", text, strlen(text));

    assert_open_fails(path, FERRY_ERROR_UNSUPPORTED, "SESPARSE extents are not supported");
}

static void
test_vsansparse_refused(DescFixture *fx, gconstpointer data)
{
    const char *text = "# Disk DescriptorFile\ncreateType=\"vsanSparse\"\n"
                       "RW 2048 VSANSPARSE \"vsan://x\"\n";
    g_autofree char *path = write_file(fx, "d.vmdk", text, strlen(text));

    assert_open_fails(path, FERRY_ERROR_UNSUPPORTED, "createType 'vsanSparse'");
}

static void
test_rdm_refused(DescFixture *fx, gconstpointer data)
{
    const char *text = "# Disk DescriptorFile\ncreateType=\"vmfsRawDeviceMap\"\n"
                       "RW 2048 VMFSRDM \"d-rdm.vmdk\"\n";
    g_autofree char *path = write_file(fx, "d.vmdk", text, strlen(text));

    assert_open_fails(path, FERRY_ERROR_UNSUPPORTED, "maps a raw device");
}

static void
test_create_type_missing(DescFixture *fx, gconstpointer data)
{
    const char *text = "# Disk DescriptorFile\nRW 2048 ZERO\n";
    g_autofree char *path = write_file(fx, "d.vmdk", text, strlen(text));

    assert_open_fails(path, FERRY_ERROR_CORRUPT, "createType is missing");
}

static void
test_no_extents(DescFixture *fx, gconstpointer data)
{
    const char *text = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\n";
    g_autofree char *path = write_file(fx, "d.vmdk", text, strlen(text));

    assert_open_fails(path, FERRY_ERROR_CORRUPT, "no extent lines");
}

/* A hand-written ESX "vmfs" descriptor: a flat file, then a ZERO extent,
 * then the same flat file again at an offset. */
static void
test_vmfs_descriptor_reads(DescFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    const char *text = "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
                       "createType=\"vmfs\"\n\n# Extent description\n"
                       "RW 2048 VMFS \"esx-flat.vmdk\"\n"
                       "RW 16 ZERO\n"
                       "RDONLY 2 FLAT \"esx-flat.vmdk\" 1\n\n"
                       "ddb.adapterType = \"lsilogic\"\n";
    g_autofree char *flat = write_flat(fx, "esx-flat.vmdk", 2048);
    g_autofree char *path = write_file(fx, "esx.vmdk", text, strlen(text));
    g_autoptr(ConvImage) img = conv_image_open(path, NULL, &error);
    g_autoptr(ConvExtents) ext = conv_extents_new();
    g_autofree guint8 *buf = g_malloc(2066 * 512);
    const ConvExtent *e;

    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_format(img), ==, "vmdk");
    g_assert_cmpstr(conv_image_get_detail(img), ==, "createType=vmfs");
    g_assert_cmpuint(conv_image_get_size(img), ==, (2048 + 16 + 2) * 512);
    g_assert_null(conv_image_get_backing_name(img));

    g_assert_true(conv_image_block_status(img, 0, conv_image_get_size(img), ext, &error));
    g_assert_no_error(error);
    e = conv_extents_get(ext, 0);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(e->start, ==, 0);
    /* The 2048-sector file is a hole after its first 4 sectors. */
    e = conv_extents_get(ext, conv_extents_count(ext) - 2);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_ZERO);
    e = conv_extents_get(ext, conv_extents_count(ext) - 1);
    g_assert_cmpint(e->kind, ==, CONV_EXTENT_DATA);
    g_assert_cmpuint(e->start + e->length, ==, conv_image_get_size(img));

    g_assert_true(conv_image_pread(img, buf, 2066 * 512, 0, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(buf[0], ==, 1);
    g_assert_cmpuint(buf[3 * 512 + 511], ==, 4);
    g_assert_cmpuint(buf[4 * 512], ==, 0);
    g_assert_cmpuint(buf[2048 * 512 + 100], ==, 0);       /* ZERO extent */
    g_assert_cmpuint(buf[2064 * 512], ==, 2);             /* flat at sector 1 */
    g_assert_cmpuint(buf[2065 * 512], ==, 3);
}

/* Extent names are taken relative to the descriptor, not the cwd. */
static void
test_extent_relative_to_descriptor(DescFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    const char *text = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\n"
                       "RW 8 FLAT \"rel-flat.vmdk\" 0\n";
    g_autofree char *flat = write_flat(fx, "rel-flat.vmdk", 8);
    g_autofree char *path = write_file(fx, "rel.vmdk", text, strlen(text));
    g_autoptr(ConvImage) img = NULL;
    g_autofree char *cwd = g_get_current_dir();
    guint8 b;

    g_assert_cmpint(chdir("/"), ==, 0);
    img = conv_image_open(path, "vmdk", &error);
    g_assert_cmpint(chdir(cwd), ==, 0);
    g_assert_no_error(error);
    g_assert_true(conv_image_pread(img, &b, 1, 512, &error));
    g_assert_cmpuint(b, ==, 2);
}

static void
test_parent_hint_sets_backing(DescFixture *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    const char *base_text = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\n"
                            "RW 8 FLAT \"base-flat.vmdk\" 0\n";
    const char *text = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nparentCID=1\n"
                       "parentFileNameHint=\"base.vmdk\"\n"
                       "RW 8 ZERO\n";
    g_autofree char *flat = write_flat(fx, "base-flat.vmdk", 8);
    g_autofree char *base = write_file(fx, "base.vmdk", base_text, strlen(base_text));
    g_autofree char *path = write_file(fx, "top.vmdk", text, strlen(text));
    g_autoptr(ConvImage) img = conv_image_open(path, NULL, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(conv_image_get_backing_name(img), ==, "base.vmdk");
    g_assert_nonnull(conv_image_get_backing(img));
    g_assert_cmpstr(conv_image_get_format(conv_image_get_backing(img)), ==, "vmdk");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/conv/vmdk/descriptor/parses-everything", test_parses_everything);
    g_test_add_func("/conv/vmdk/descriptor/nul-padding-ends-text",
                    test_embedded_nul_padding_ends_text);
    g_test_add_func("/conv/vmdk/descriptor/extent-size-zero", test_extent_size_zero);
    g_test_add_func("/conv/vmdk/descriptor/extent-size-not-number", test_extent_size_not_number);
    g_test_add_func("/conv/vmdk/descriptor/extent-size-too-big", test_extent_size_too_big);
    g_test_add_func("/conv/vmdk/descriptor/extents-sum-too-big", test_extents_sum_too_big);
    g_test_add_func("/conv/vmdk/descriptor/unknown-extent-type", test_unknown_extent_type);
    g_test_add_func("/conv/vmdk/descriptor/name-unquoted", test_name_unquoted);
    g_test_add_func("/conv/vmdk/descriptor/name-empty", test_name_empty);
    g_test_add_func("/conv/vmdk/descriptor/offset-on-sparse", test_offset_on_sparse);
    g_test_add_func("/conv/vmdk/descriptor/offset-not-number", test_offset_not_number);
    g_test_add_func("/conv/vmdk/descriptor/junk-after-offset", test_junk_after_offset);
    g_test_add_func("/conv/vmdk/descriptor/zero-with-name", test_zero_with_name);
    g_test_add_func("/conv/vmdk/descriptor/cid-not-hex", test_cid_not_hex);
    g_test_add_func("/conv/vmdk/descriptor/too-many-extents", test_too_many_extents);
    g_test_add_func("/conv/vmdk/descriptor/bigger-than-limit", test_descriptor_bigger_than_limit);
#define DESC_TEST(path, fn) \
    g_test_add(path, DescFixture, NULL, desc_fixture_setup, fn, desc_fixture_teardown)
    DESC_TEST("/conv/vmdk/open/descriptor-10mb", test_descriptor_10mb);
    DESC_TEST("/conv/vmdk/open/extent-file-missing", test_extent_file_missing);
    DESC_TEST("/conv/vmdk/open/flat-extent-short", test_flat_extent_short);
    DESC_TEST("/conv/vmdk/open/sesparse-refused", test_sesparse_refused);
    DESC_TEST("/conv/vmdk/open/sesparse-extent-refused", test_sesparse_extent_refused);
    DESC_TEST("/conv/vmdk/open/vsansparse-refused", test_vsansparse_refused);
    DESC_TEST("/conv/vmdk/open/rdm-refused", test_rdm_refused);
    DESC_TEST("/conv/vmdk/open/create-type-missing", test_create_type_missing);
    DESC_TEST("/conv/vmdk/open/no-extents", test_no_extents);
    DESC_TEST("/conv/vmdk/open/vmfs-descriptor-reads", test_vmfs_descriptor_reads);
    DESC_TEST("/conv/vmdk/open/extent-relative-to-descriptor",
              test_extent_relative_to_descriptor);
    DESC_TEST("/conv/vmdk/open/parent-hint-sets-backing", test_parent_hint_sets_backing);
    return g_test_run();
}
