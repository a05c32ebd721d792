/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-inspect-os-files.c: fstab(5) and os-release(5) as os-files.c reads
 * them: comments, octal escapes, how each entry names its device, quoting.
 */
#include <config.h>

#include "inspect/inspect-priv.h"

static void
test_fstab_parse(void)
{
    static const char text[] =
        "# /etc/fstab: static file system information.\n"
        "UUID=3f1c2d4e-5a6b  /          ext4  errors=remount-ro 0 1\n"
        "\n"
        "   LABEL=My\\040Data\t/srv/my\\040data  xfs defaults\n"
        "/dev/vda1 /boot ext3 defaults 0 2 # trailing comment\n"
        "PARTUUID=abcd-01 /boot/efi vfat umask=0077\n"
        "/dev/mapper/vg-home /home ext4 defaults\n"
        "lonely\n"
        "LABEL=\\377 /bad ext4\n"
        "tmpfs /tmp\\012\\033[2J tmpfs\n";
    g_autoptr(GPtrArray) e = inspect_fstab_parse(text, sizeof(text) - 1);
    const InspectFstabEntry *x;

    g_assert_cmpuint(e->len, ==, 6);
    x = g_ptr_array_index(e, 0);
    g_assert_cmpstr(x->spec, ==, "UUID=3f1c2d4e-5a6b");
    g_assert_cmpstr(x->file, ==, "/");
    g_assert_cmpstr(x->vfstype, ==, "ext4");
    g_assert_cmpstr(x->by, ==, "uuid");
    x = g_ptr_array_index(e, 1);
    g_assert_cmpstr(x->spec, ==, "LABEL=My Data");
    g_assert_cmpstr(x->file, ==, "/srv/my data");
    g_assert_cmpstr(x->by, ==, "label");
    x = g_ptr_array_index(e, 2);
    g_assert_cmpstr(x->by, ==, "device");
    g_assert_cmpstr(x->vfstype, ==, "ext3");
    g_assert_cmpstr(((InspectFstabEntry *)g_ptr_array_index(e, 3))->by, ==,
                    "partuuid");
    g_assert_cmpstr(((InspectFstabEntry *)g_ptr_array_index(e, 4))->by, ==,
                    "other");
    /* Control characters from escapes are shown as '?'; bytes that are
     * no UTF-8 drop the entry. */
    g_assert_cmpstr(((InspectFstabEntry *)g_ptr_array_index(e, 5))->file, ==,
                    "/tmp??[2J");
}

static void
test_fstab_limit(void)
{
    GString *s = g_string_new(NULL);
    g_autoptr(GPtrArray) e = NULL;
    int i;

    for (i = 0; i < 5000; i++)
        g_string_append_printf(s, "/dev/sd%c%d /m%d ext4\n", 'a' + i % 26, i,
                               i);
    e = inspect_fstab_parse(s->str, s->len);
    g_assert_cmpuint(e->len, ==, 1024);
    g_string_free(s, TRUE);
}

static void
test_spec_is_device(void)
{
    static const struct {
        const char *spec;
        gboolean device;
    } cases[] = {
        { "/dev/vda1", TRUE }, { "/dev/sda", TRUE }, { "/dev/hdb3", TRUE },
        { "/dev/xvda1", TRUE }, { "/dev/sdaa12", TRUE },
        { "/dev/nvme0n1p2", TRUE }, { "/dev/nvme0n1", TRUE },
        { "/dev/mapper/root", FALSE }, { "/dev/md0", FALSE },
        { "/dev/vg/root", FALSE }, { "/dev/sd", FALSE }, { "/dev/vda1x", FALSE },
        { "/dev/disk/by-uuid/abc", FALSE }, { "UUID=x", FALSE },
        { "/dev/nvme", FALSE },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].spec);
        g_assert_cmpint(inspect_fstab_spec_is_device(cases[i].spec), ==,
                        cases[i].device);
    }
    g_assert_cmpstr(inspect_fstab_spec_kind("/dev/disk/by-uuid/abc"), ==, "uuid");
    g_assert_cmpstr(inspect_fstab_spec_kind("/dev/disk/by-partlabel/x"), ==,
                    "partlabel");
    g_assert_cmpstr(inspect_fstab_spec_kind("PARTLABEL=x"), ==, "partlabel");
}

static void
test_os_release(void)
{
    static const char text[] =
        "NAME=\"Ubuntu\"\n"
        "VERSION_ID=\"22.04\"\n"
        "ID=ubuntu\n"
        "ID_LIKE=debian\n"
        "PRETTY_NAME='Ubuntu 22.04.4 LTS'\n"
        "EMPTY=\"\"\n"
        "BAD=\"unterminated\n";
    g_autofree char *id = inspect_os_release_get(text, sizeof(text) - 1, "ID");
    g_autofree char *ver = inspect_os_release_get(text, sizeof(text) - 1,
                                                  "VERSION_ID");
    g_autofree char *pretty = inspect_os_release_get(text, sizeof(text) - 1,
                                                     "PRETTY_NAME");
    g_autofree char *empty = inspect_os_release_get(text, sizeof(text) - 1,
                                                    "EMPTY");
    g_autofree char *bad = inspect_os_release_get(text, sizeof(text) - 1,
                                                  "BAD");
    g_autofree char *none = inspect_os_release_get(text, sizeof(text) - 1,
                                                   "VARIANT");

    g_assert_cmpstr(id, ==, "ubuntu");
    g_assert_cmpstr(ver, ==, "22.04");
    g_assert_cmpstr(pretty, ==, "Ubuntu 22.04.4 LTS");
    g_assert_null(empty);
    g_assert_null(bad);
    g_assert_null(none);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/inspect/os-files/fstab/parse", test_fstab_parse);
    g_test_add_func("/inspect/os-files/fstab/entry-limit", test_fstab_limit);
    g_test_add_func("/inspect/os-files/fstab/spec-is-device", test_spec_is_device);
    g_test_add_func("/inspect/os-files/os-release", test_os_release);
    return g_test_run();
}
