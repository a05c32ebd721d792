/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-rules.c: the readiness rules shipped in data/rules/<target>.conf, checked
 * against guest facts (docs/inspect.md).  tests/fixtures/rules/
 * guest-ready.json is a guest every target takes; each case below changes
 * a few facts and names the rule's expected result and the verdict.  Every
 * rule of every shipped file must have a case where it passes and one
 * where it does not (/inspect/rules/every-rule-has-cases), so that a new
 * rule without cases fails here.  Broken rules files must be refused with
 * a message naming the file, the group and the key.
 */
#include <config.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "conv/conv.h"
#include "inspect/rules.h"
#include "test-files.h"


typedef struct {
    const char *target;
    const char *rule;
    const char *patch;       /* JSON object merged over guest-ready.json */
    const char *result;      /* of @rule */
    const char *verdict;
} RulesCase;

static const RulesCase rules_cases[] = {
    /* aws */
    { "aws", "arch-64bit", "{}", "pass", "pass" },
    { "aws", "arch-64bit", "{\"arch\": \"aarch64\"}", "pass", "pass" },
    { "aws", "arch-64bit", "{\"arch\": \"i686\"}", "fail", "fail" },
    { "aws", "arch-64bit", "{\"arch\": null}", "warn", "warn" },
    { "aws", "os-disk-size",
      "{\"os-disk-partition-table\": \"gpt\", \"os-disk-size\": 17592186044416}",
      "pass", "pass" },
    { "aws", "os-disk-size",
      "{\"os-disk-partition-table\": \"gpt\", \"os-disk-size\": 17592186044417}",
      "fail", "fail" },
    { "aws", "os-disk-mbr-size", "{\"os-disk-size\": 2199023255552}", "pass",
      "pass" },
    { "aws", "os-disk-mbr-size", "{\"os-disk-size\": 2199023255553}", "fail",
      "fail" },
    { "aws", "os-disk-mbr-size",
      "{\"os-disk-partition-table\": \"gpt\", \"os-disk-size\": 2199023255553}",
      "pass", "pass" },
    { "aws", "disk-size", "{\"largest-disk-size\": 17592186044416}", "pass",
      "pass" },
    { "aws", "disk-size", "{\"largest-disk-size\": 17592186044417}", "fail",
      "fail" },
    { "aws", "volume-count", "{\"disk-count\": 21}", "pass", "pass" },
    { "aws", "volume-count", "{\"disk-count\": 22}", "fail", "fail" },
    { "aws", "uefi-fallback-loader",
      "{\"firmware\": \"uefi\", \"fallback-loader\": true}", "pass", "pass" },
    { "aws", "uefi-fallback-loader",
      "{\"firmware\": \"bios\", \"fallback-loader\": false}", "pass", "pass" },
    { "aws", "uefi-fallback-loader",
      "{\"firmware\": \"uefi\", \"fallback-loader\": false}", "fail", "fail" },
    { "aws", "uefi-fallback-loader",
      "{\"firmware\": \"uefi\", \"fallback-loader\": null}", "warn", "warn" },
    { "aws", "no-encrypted-volumes", "{}", "pass", "pass" },
    { "aws", "no-encrypted-volumes", "{\"luks\": true}", "fail", "fail" },
    { "aws", "fstab-by-uuid", "{}", "pass", "pass" },
    { "aws", "fstab-by-uuid", "{\"fstab-by-device\": true}", "fail", "fail" },
    { "aws", "ena-driver", "{\"drivers\": [\"ena\", \"nvme\"]}", "pass", "pass" },
    { "aws", "ena-driver", "{\"drivers\": [\"nvme\", \"virtio_blk\"]}", "warn",
      "warn" },
    { "aws", "nvme-driver", "{\"drivers\": [\"ena\", \"nvme\"]}", "pass",
      "pass" },
    { "aws", "nvme-driver", "{\"drivers\": [\"ena\"]}", "warn", "warn" },
    { "aws", "kernel-present", "{\"kernel-count\": 2}", "pass", "pass" },
    { "aws", "kernel-present", "{\"kernel-count\": 0}", "fail", "fail" },
    { "aws", "kernel-present", "{\"kernel-count\": null}", "warn", "warn" },
    { "aws", "os-known", "{\"os-id\": \"rhel\"}", "pass", "pass" },
    { "aws", "os-known", "{\"os-id\": \"alpine\"}", "fail", "fail" },
    { "aws", "os-known", "{\"os-id\": null}", "warn", "warn" },

    /* azure */
    { "azure", "gpt-needs-uefi", "{}", "pass", "pass" },
    { "azure", "gpt-needs-uefi",
      "{\"firmware\": \"uefi\", \"os-disk-partition-table\": \"gpt\", "
      "\"esp\": true}", "pass", "pass" },
    /* a blank disk (no table) is not judged by it */
    { "azure", "gpt-needs-uefi",
      "{\"os-disk-partition-table\": \"none\", \"mbr-boot-code\": false}",
      "pass", "pass" },
    { "azure", "gpt-needs-uefi", "{\"os-disk-partition-table\": \"gpt\"}",
      "fail", "fail" },
    { "azure", "gpt-needs-uefi",
      "{\"os-disk-partition-table\": \"gpt\", \"firmware\": null}", "warn",
      "warn" },
    { "azure", "mbr-boot-code", "{}", "pass", "pass" },
    { "azure", "mbr-boot-code", "{\"mbr-boot-code\": false}", "fail", "fail" },
    { "azure", "gen1-os-disk-size", "{\"os-disk-size\": 2199023255552}", "pass",
      "pass" },
    { "azure", "gen1-os-disk-size", "{\"os-disk-size\": 2199023255553}", "fail",
      "fail" },
    { "azure", "gen2-gpt",
      "{\"firmware\": \"uefi\", \"os-disk-partition-table\": \"gpt\", "
      "\"esp\": true}", "pass", "pass" },
    { "azure", "gen2-gpt",
      "{\"firmware\": \"uefi\", \"os-disk-partition-table\": \"mbr\", "
      "\"esp\": true}", "fail", "fail" },
    { "azure", "gen2-esp",
      "{\"firmware\": \"uefi\", \"os-disk-partition-table\": \"gpt\", "
      "\"esp\": true}", "pass", "pass" },
    { "azure", "gen2-esp",
      "{\"firmware\": \"uefi\", \"os-disk-partition-table\": \"gpt\", "
      "\"esp\": false}", "fail", "fail" },
    { "azure", "os-disk-size",
      "{\"firmware\": \"uefi\", \"os-disk-partition-table\": \"gpt\", "
      "\"esp\": true, \"os-disk-size\": 4396972769280}", "pass", "pass" },
    { "azure", "os-disk-size",
      "{\"firmware\": \"uefi\", \"os-disk-partition-table\": \"gpt\", "
      "\"esp\": true, \"os-disk-size\": 4396972769281}", "fail", "fail" },
    { "azure", "hv-vmbus", "{}", "pass", "pass" },
    { "azure", "hv-vmbus", "{\"drivers\": [\"hv_netvsc\", \"hv_storvsc\"]}",
      "warn", "warn" },
    { "azure", "hv-storvsc", "{}", "pass", "pass" },
    { "azure", "hv-storvsc", "{\"drivers\": [\"hv_netvsc\", \"hv_vmbus\"]}",
      "warn", "warn" },
    { "azure", "hv-netvsc", "{}", "pass", "pass" },
    { "azure", "hv-netvsc", "{\"drivers\": [\"hv_storvsc\", \"hv_vmbus\"]}",
      "warn", "warn" },
    { "azure", "provisioning-agent", "{}", "pass", "pass" },
    { "azure", "provisioning-agent", "{\"cloud-init\": false}", "warn", "warn" },
    { "azure", "no-encrypted-volumes", "{}", "pass", "pass" },
    { "azure", "no-encrypted-volumes", "{\"luks\": true}", "fail", "fail" },
    { "azure", "fstab-by-uuid", "{}", "pass", "pass" },
    { "azure", "fstab-by-uuid", "{\"fstab-by-device\": true}", "warn", "warn" },

    /* cloudstack */
    { "cloudstack", "virtio-disk",
      "{\"drivers\": [\"virtio_net\", \"virtio_scsi\"]}", "pass", "pass" },
    { "cloudstack", "virtio-disk", "{\"drivers\": [\"virtio_net\"]}", "fail",
      "fail" },
    { "cloudstack", "virtio-net", "{\"drivers\": [\"virtio_blk\", "
      "\"virtio_net\"]}", "pass", "pass" },
    { "cloudstack", "virtio-net", "{\"drivers\": [\"virtio_blk\"]}", "warn",
      "warn" },
    { "cloudstack", "kernel-present", "{}", "pass", "pass" },
    { "cloudstack", "kernel-present", "{\"kernel-count\": 0}", "fail", "fail" },
    { "cloudstack", "fstab-by-uuid", "{}", "pass", "pass" },
    { "cloudstack", "fstab-by-uuid", "{\"fstab-by-device\": true}", "warn",
      "warn" },
    { "cloudstack", "no-encrypted-volumes", "{}", "pass", "pass" },
    { "cloudstack", "no-encrypted-volumes", "{\"luks\": true}", "warn", "warn" },

    /* sce */
    { "sce", "no-lvm", "{}", "pass", "pass" },
    { "sce", "no-lvm", "{\"lvm\": true}", "fail", "fail" },
    /* the case: GPT and LVM, refused for LVM */
    { "sce", "no-lvm", "{\"lvm\": true, \"os-disk-partition-table\": \"gpt\", "
      "\"partition-tables\": [\"gpt\"]}", "fail", "fail" },
    { "sce", "no-raid", "{}", "pass", "pass" },
    { "sce", "no-raid", "{\"raid\": true}", "fail", "fail" },
    { "sce", "mount-points", "{\"mount-points\": [\"/\", \"/boot\", \"swap\"]}",
      "pass", "pass" },
    { "sce", "mount-points", "{\"mount-points\": [\"/\", \"/home\"]}", "fail",
      "fail" },
    { "sce", "root-ext3", "{}", "pass", "pass" },
    { "sce", "root-ext3", "{\"root-fs-type\": \"ext4\"}", "fail", "fail" },
    { "sce", "root-ext3", "{\"root-fs-type\": null}", "warn", "warn" },
    { "sce", "mbr-table", "{}", "pass", "pass" },
    { "sce", "mbr-table", "{\"os-disk-partition-table\": \"gpt\"}", "warn",
      "warn" },
    { "sce", "raw-disks", "{\"disk-formats\": [\"raw\", \"raw\"]}", "pass",
      "pass" },
    { "sce", "raw-disks", "{\"disk-formats\": [\"raw\", \"qcow2\"]}", "warn",
      "warn" },
    { "sce", "no-encrypted-volumes", "{}", "pass", "pass" },
    { "sce", "no-encrypted-volumes", "{\"luks\": true}", "fail", "fail" },
    { "sce", "virtio-disk", "{}", "pass", "pass" },
    { "sce", "virtio-disk", "{\"drivers\": [\"virtio_net\"]}", "fail", "fail" },
    { "sce", "virtio-net", "{}", "pass", "pass" },
    { "sce", "virtio-net", "{\"drivers\": [\"virtio_blk\"]}", "warn", "warn" },
};

static char *
rules_dir(void)
{
    return g_build_filename(FERRY_TEST_SRCDIR, "..", "data", "rules", NULL);
}

static JsonObject *
parse_object(const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) error = NULL;

    g_assert_true(json_parser_load_from_data(p, json, -1, &error));
    g_assert_no_error(error);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)));
    return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static JsonObject *
guest_ready(void)
{
    g_autofree char *path = g_build_filename(FERRY_TEST_SRCDIR, "fixtures",
                                             "rules", "guest-ready.json", NULL);
    g_autofree char *json = NULL;

    g_assert_true(g_file_get_contents(path, &json, NULL, NULL));
    return parse_object(json);
}

/* The "rule ID" groups of a shipped file, read here with GKeyFile rather
 * than through rules.c. */
static GStrv
shipped_rule_ids(const char *target)
{
    g_autofree char *dir = rules_dir();
    g_autofree char *file = g_strconcat(target, ".conf", NULL);
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) groups = NULL;
    GPtrArray *ids = g_ptr_array_new();
    char **g;

    g_assert_true(g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error));
    groups = g_key_file_get_groups(kf, NULL);
    for (g = groups; *g; g++) {
        g_assert_true(g_str_has_prefix(*g, "rule "));
        g_ptr_array_add(ids, g_strdup(*g + 5));
    }
    g_ptr_array_add(ids, NULL);
    return (GStrv)g_ptr_array_free(ids, FALSE);
}

static void
test_rules_load_shipped(void)
{
    const char *const *t;
    g_autofree char *dir = rules_dir();

    for (t = ferry_rules_targets(); *t; t++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(FerryRules) rules = ferry_rules_load(*t, dir, &error);
        g_autoptr(JsonObject) guest = guest_ready();
        g_autoptr(JsonObject) out = NULL;
        g_auto(GStrv) ids = shipped_rule_ids(*t);
        JsonArray *results;
        guint i;

        g_assert_no_error(error);
        g_assert_nonnull(rules);
        /* guest-ready.json passes every rule of every target. */
        out = ferry_rules_check(rules, guest);
        g_assert_cmpstr(json_object_get_string_member(out, "target"), ==, *t);
        g_assert_cmpstr(json_object_get_string_member(out, "verdict"), ==,
                        "pass");
        results = json_object_get_array_member(out, "rules");
        g_assert_cmpuint(json_array_get_length(results), ==,
                         g_strv_length(ids));
        for (i = 0; i < json_array_get_length(results); i++) {
            JsonObject *r = json_array_get_object_element(results, i);

            g_assert_cmpstr(json_object_get_string_member(r, "id"), ==, ids[i]);
            g_assert_cmpstr(json_object_get_string_member(r, "result"), ==,
                            "pass");
            g_assert_cmpuint(strlen(json_object_get_string_member(r, "why")),
                             >, 0);
            g_assert_cmpuint(strlen(json_object_get_string_member(r, "fix")),
                             >, 0);
        }
    }
}

static JsonObject *
find_result(JsonObject *out, const char *id)
{
    JsonArray *results = json_object_get_array_member(out, "rules");
    guint i;

    for (i = 0; i < json_array_get_length(results); i++) {
        JsonObject *r = json_array_get_object_element(results, i);

        if (g_str_equal(json_object_get_string_member(r, "id"), id))
            return r;
    }
    return NULL;
}

static void
test_rules_case(gconstpointer data)
{
    const RulesCase *c = data;
    g_autofree char *dir = rules_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(FerryRules) rules = ferry_rules_load(c->target, dir, &error);
    g_autoptr(JsonObject) guest = guest_ready();
    g_autoptr(JsonObject) patch = parse_object(c->patch);
    g_autoptr(JsonObject) out = NULL;
    g_autoptr(GList) members = json_object_get_members(patch);
    JsonObject *r;
    GList *l;

    g_assert_no_error(error);
    for (l = members; l; l = l->next)
        json_object_set_member(guest, l->data,
                               json_object_dup_member(patch, l->data));
    out = ferry_rules_check(rules, guest);
    r = find_result(out, c->rule);
    g_assert_nonnull(r);
    g_assert_cmpstr(json_object_get_string_member(r, "result"), ==, c->result);
    g_assert_cmpstr(json_object_get_string_member(out, "verdict"), ==,
                    c->verdict);
}

/* A rule added to a shipped file needs a passing and a failing case. */
static void
test_rules_every_rule_has_cases(void)
{
    const char *const *t;

    for (t = ferry_rules_targets(); *t; t++) {
        g_auto(GStrv) ids = shipped_rule_ids(*t);
        char **id;

        for (id = ids; *id; id++) {
            gboolean pass = FALSE, other = FALSE;
            gsize i;

            for (i = 0; i < G_N_ELEMENTS(rules_cases); i++) {
                const RulesCase *c = &rules_cases[i];

                if (!g_str_equal(c->target, *t) || !g_str_equal(c->rule, *id))
                    continue;
                if (g_str_equal(c->result, "pass"))
                    pass = TRUE;
                else
                    other = TRUE;
            }
            if (!pass || !other)
                g_test_message("%s.conf: rule '%s' has no %s case", *t, *id,
                               pass ? "failing" : "passing");
            g_assert_true(pass && other);
        }
    }
}

/* A fact the readers could not tell warns, naming it. */
static void
test_rules_unknown_fact_why(void)
{
    g_autofree char *dir = rules_dir();
    g_autoptr(FerryRules) rules = ferry_rules_load("sce", dir, NULL);
    g_autoptr(JsonObject) guest = guest_ready();
    g_autoptr(JsonObject) out = NULL;
    JsonObject *r;

    g_assert_nonnull(rules);
    json_object_remove_member(guest, "root-fs-type");
    /* a fact of the wrong type is not trusted either */
    json_object_set_string_member(guest, "lvm", "yes");
    out = ferry_rules_check(rules, guest);
    r = find_result(out, "root-ext3");
    g_assert_cmpstr(json_object_get_string_member(r, "result"), ==, "warn");
    g_assert_cmpstr(json_object_get_string_member(r, "why"), ==,
                    "could not tell root-fs-type: SCE images need an ext3 root "
                    "filesystem");
    r = find_result(out, "no-lvm");
    g_assert_cmpstr(json_object_get_string_member(r, "result"), ==, "warn");
    g_assert_cmpstr(json_object_get_string_member(out, "verdict"), ==, "warn");
}

/* ---- broken files ------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *text;
    const char *message;     /* after "<dir>/aws.conf: " */
} RulesBadFile;

#define GOOD_TAIL "level=fail\nwhy=w\nfix=f\n"

static const RulesBadFile rules_bad_files[] = {
    { "unknown-key",
      "[rule a]\nfact=luks\nequals=false\n" GOOD_TAIL "colour=red\n",
      "[rule a]: unknown key 'colour'" },
    { "unknown-fact",
      "[rule a]\nfact=lukz\nequals=false\n" GOOD_TAIL,
      "[rule a]: key 'fact': 'lukz' is not a guest fact (see docs/inspect.md)" },
    { "bad-level",
      "[rule a]\nfact=luks\nequals=false\nlevel=error\nwhy=w\nfix=f\n",
      "[rule a]: key 'level': 'error' is not fail or warn" },
    { "bad-unknown",
      "[rule a]\nfact=luks\nequals=false\nunknown=skip\n" GOOD_TAIL,
      "[rule a]: key 'unknown': 'skip' is not pass, warn or fail" },
    { "int-not-a-number",
      "[rule a]\nfact=disk-count\nmax=many\n" GOOD_TAIL,
      "[rule a]: key 'max': 'many' is not a whole number of bytes (digits, "
      "then optionally KiB, MiB, GiB or TiB)" },
    { "int-overflow",
      "[rule a]\nfact=os-disk-size\nmax=99999999999TiB\n" GOOD_TAIL,
      "[rule a]: key 'max': '99999999999TiB' is not a whole number of bytes "
      "(digits, then optionally KiB, MiB, GiB or TiB)" },
    { "bool-not-a-bool",
      "[rule a]\nfact=luks\nequals=yes\n" GOOD_TAIL,
      "[rule a]: key 'equals': 'yes' is not true or false" },
    { "condition-for-other-type",
      "[rule a]\nfact=arch\ncontains=x86_64\n" GOOD_TAIL,
      "[rule a]: key 'contains' does not apply to fact 'arch' (a string)" },
    { "two-conditions",
      "[rule a]\nfact=disk-count\nmin=1\nmax=2\n" GOOD_TAIL,
      "[rule a]: keys 'max' and 'min': a rule has one condition" },
    { "no-condition",
      "[rule a]\nfact=luks\n" GOOD_TAIL,
      "[rule a]: no condition: one of equals, not-equals, in, not-in, max, "
      "min, contains, not-contains, any-of, none-of, all-in, count-max, "
      "count-min is needed" },
    { "missing-why",
      "[rule a]\nfact=luks\nequals=false\nlevel=fail\nfix=f\n",
      "[rule a]: key 'why' is missing" },
    { "missing-level",
      "[rule a]\nfact=luks\nequals=false\nwhy=w\nfix=f\n",
      "[rule a]: key 'level' is missing" },
    { "when-without-equals",
      "[rule a]\nfact=luks\nequals=false\nwhen-fact=firmware\n" GOOD_TAIL,
      "[rule a]: keys 'when-fact' and 'when-equals' go together" },
    { "when-on-a-list",
      "[rule a]\nfact=luks\nequals=false\nwhen-fact=drivers\nwhen-equals=x\n"
      GOOD_TAIL,
      "[rule a]: key 'when-fact': 'drivers' is a list; when-equals needs a "
      "string, integer or boolean" },
    { "bad-id",
      "[rule A_1]\nfact=luks\nequals=false\n" GOOD_TAIL,
      "[rule A_1]: rule id 'A_1': use a-z, 0-9 and '-' only" },
    { "unknown-group",
      "[target]\nname=aws\n",
      "[target]: unknown group: each group is [rule ID]" },
    { "no-rules", "# nothing\n", "no [rule ID] group" },
};

static void
test_rules_bad_file(gconstpointer data)
{
    const RulesBadFile *b = data;
    g_autofree char *dir = g_dir_make_tmp("ferry-rules-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "aws.conf", NULL);
    g_autofree char *want = g_strdup_printf("%s: %s", path, b->message);
    g_autoptr(GError) error = NULL;
    g_autoptr(FerryRules) rules = NULL;

    g_assert_nonnull(dir);
    g_assert_true(g_file_set_contents(path, b->text, -1, NULL));
    rules = ferry_rules_load("aws", dir, &error);
    g_assert_null(rules);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, want);
    test_remove_tree(dir);
}

static void
test_rules_file_too_large(void)
{
    g_autofree char *dir = g_dir_make_tmp("ferry-rules-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "aws.conf", NULL);
    g_autofree char *text = g_strnfill(64 * 1024 + 1, '#');
    g_autofree char *want = g_strdup_printf("%s: larger than the 65536 bytes "
                                            "a rules file may have", path);
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    g_assert_null(ferry_rules_load("aws", dir, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, want);
    test_remove_tree(dir);
}

static void
test_rules_unknown_target(void)
{
    g_autoptr(GError) error = NULL;

    g_assert_null(ferry_rules_load("gcp", NULL, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, "no readiness rules for 'gcp' (there "
                    "are: aws, azure, cloudstack, sce)");
}

static void
test_rules_missing_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("ferry-rules-XXXXXX", NULL);
    g_autofree char *want = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_null(ferry_rules_load("sce", dir, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    want = g_strdup_printf("open: %s/sce.conf: %s", dir, g_strerror(ENOENT));
    g_assert_cmpstr(error->message, ==, want);
    test_remove_tree(dir);
}

static void
test_rules_not_a_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("ferry-rules-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "aws.conf", NULL);
    g_autofree char *want = g_strdup_printf("%s: not a regular file", path);
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    g_assert_null(ferry_rules_load("aws", dir, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, want);
    test_remove_tree(dir);
}

/* dir NULL: $FERRY_RULES_DIR */
static void
test_rules_env_dir(void)
{
    g_autofree char *dir = rules_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(FerryRules) rules = NULL;

    g_setenv("FERRY_RULES_DIR", dir, TRUE);
    rules = ferry_rules_load("cloudstack", NULL, &error);
    g_unsetenv("FERRY_RULES_DIR");
    g_assert_no_error(error);
    g_assert_nonnull(rules);
}

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/inspect/rules/load-shipped", test_rules_load_shipped);
    g_test_add_func("/inspect/rules/every-rule-has-cases",
                    test_rules_every_rule_has_cases);
    g_test_add_func("/inspect/rules/unknown-fact-why",
                    test_rules_unknown_fact_why);
    for (i = 0; i < G_N_ELEMENTS(rules_cases); i++) {
        const RulesCase *c = &rules_cases[i];
        g_autofree char *name = g_strdup_printf("/inspect/rules/%s/%s/%s-%"
                                                G_GSIZE_FORMAT, c->target,
                                                c->rule, c->result, i);

        g_test_add_data_func(name, c, test_rules_case);
    }
    for (i = 0; i < G_N_ELEMENTS(rules_bad_files); i++) {
        g_autofree char *name = g_strdup_printf("/inspect/rules/bad-file/%s",
                                                rules_bad_files[i].name);

        g_test_add_data_func(name, &rules_bad_files[i], test_rules_bad_file);
    }
    g_test_add_func("/inspect/rules/bad-file/too-large",
                    test_rules_file_too_large);
    g_test_add_func("/inspect/rules/unknown-target", test_rules_unknown_target);
    g_test_add_func("/inspect/rules/missing-file", test_rules_missing_file);
    g_test_add_func("/inspect/rules/not-a-file", test_rules_not_a_file);
    g_test_add_func("/inspect/rules/env-dir", test_rules_env_dir);
    return g_test_run();
}
