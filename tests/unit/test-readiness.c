/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-readiness.c: how an export turns a target's rules verdict into a
 * refusal or warnings (agent/readiness.c), which rules a target URI gets
 * by default, the domain XML's firmware, and the authorization rows of
 * the "for" and "force" export options.
 */
#include <config.h>

#include <glib/gstdio.h>
#include <string.h>

#include "agent/authz-priv.h"
#include "agent/inventory-priv.h"
#include "inspect/rules.h"

static JsonObject *
parse_object(const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();

    g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
    return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static char *
to_json(JsonObject *o)
{
    g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);

    json_node_set_object(n, o);
    return json_to_string(n, FALSE);
}

#define VERDICT_FAIL                                                         \
    "{\"target\": \"sce\", \"verdict\": \"fail\", \"rules\": ["             \
    "{\"id\": \"no-raid\", \"result\": \"pass\", \"why\": \"r\", \"fix\": \"f\"}," \
    "{\"id\": \"mbr-table\", \"result\": \"warn\", \"why\": \"SCE boots MBR\", " \
    "\"fix\": \"convert\"},"                                                 \
    "{\"id\": \"no-lvm\", \"result\": \"fail\", \"why\": \"the disk holds LVM\", " \
    "\"fix\": \"move out of LVM\"},"                                          \
    "{\"id\": \"root-ext3\", \"result\": \"fail\", \"why\": \"ext3\", "      \
    "\"fix\": \"x\"}]}"

static void
test_readiness_refusal_names_first_failed_rule(void)
{
    g_autoptr(JsonObject) verdict = parse_object(VERDICT_FAIL);
    g_autoptr(GError) error = NULL;

    g_assert_false(agent_readiness_refusal("web1", verdict, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED);
    g_assert_cmpstr(error->message, ==,
                    "web1: not ready for sce: no-lvm: the disk holds LVM "
                    "(move out of LVM; --force to export anyway)");
}

static void
test_readiness_refusal_warn_passes(void)
{
    g_autoptr(JsonObject) verdict = parse_object(
        "{\"target\": \"aws\", \"verdict\": \"warn\", \"rules\": ["
        "{\"id\": \"ena-driver\", \"result\": \"warn\", \"why\": \"w\", "
        "\"fix\": \"f\"}]}");
    g_autoptr(GError) error = NULL;

    g_assert_true(agent_readiness_refusal("web1", verdict, &error));
    g_assert_no_error(error);
}

static void
test_readiness_summary_keeps_what_did_not_pass(void)
{
    g_autoptr(JsonObject) verdict = parse_object(VERDICT_FAIL);
    g_autoptr(JsonObject) summary = agent_readiness_summary(verdict, TRUE);
    g_autofree char *json = to_json(summary);

    g_assert_cmpstr(json, ==,
                    "{\"target\":\"sce\",\"verdict\":\"fail\",\"forced\":true,"
                    "\"rules\":[{\"id\":\"mbr-table\",\"result\":\"warn\","
                    "\"why\":\"SCE boots MBR\",\"fix\":\"convert\"},"
                    "{\"id\":\"no-lvm\",\"result\":\"fail\",\"why\":\"the disk "
                    "holds LVM\",\"fix\":\"move out of LVM\"},"
                    "{\"id\":\"root-ext3\",\"result\":\"fail\",\"why\":"
                    "\"ext3\",\"fix\":\"x\"}]}");
}

static void
test_readiness_skipped(void)
{
    g_autoptr(JsonObject) s = agent_readiness_skipped("aws", "not built");
    g_autofree char *json = to_json(s);

    g_assert_cmpstr(json, ==,
                    "{\"target\":\"aws\",\"verdict\":\"warn\",\"rules\":["
                    "{\"id\":\"inspect\",\"result\":\"warn\",\"why\":"
                    "\"inspection not available: not built\",\"fix\":"
                    "\"check the guest against the target's requirements by "
                    "hand\"}]}");
}

static void
test_readiness_default_target(void)
{
    g_assert_cmpstr(agent_readiness_default_target("aws://bucket/prefix"), ==,
                    "aws");
    g_assert_cmpstr(agent_readiness_default_target("azure://acct/container"),
                    ==, "azure");
    g_assert_cmpstr(agent_readiness_default_target("azure-disk://sub/rg"), ==,
                    "azure");
    g_assert_cmpstr(agent_readiness_default_target("cloudstack://h/api"), ==,
                    "cloudstack");
    g_assert_null(agent_readiness_default_target("file:///pool"));
    g_assert_null(agent_readiness_default_target("ssh://h/pool"));
    g_assert_null(agent_readiness_default_target("awsx://b"));
    g_assert_null(agent_readiness_default_target(NULL));
}

static void
test_readiness_check_target(void)
{
    g_autoptr(GError) error = NULL;
    const char *const *t;

    for (t = ferry_rules_targets(); *t; t++)
        g_assert_true(agent_readiness_check_target("--for", *t, NULL));
    g_assert_false(agent_readiness_check_target("--for", "../etc/x", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==,
                    "--for: '../etc/x' has no readiness rules (there are: aws, "
                    "azure, cloudstack, sce; or none)");
}

static void
test_readiness_resolve(void)
{
    g_autoptr(GError) error = NULL;
    const char *t = "x";

    g_assert_true(agent_readiness_resolve("--for", NULL, "aws://b", &t, NULL));
    g_assert_cmpstr(t, ==, "aws");
    g_assert_true(agent_readiness_resolve("--for", NULL, "file:///p", &t,
                                          NULL));
    g_assert_null(t);
    g_assert_true(agent_readiness_resolve("--for", "sce", "file:///p", &t,
                                          NULL));
    g_assert_cmpstr(t, ==, "sce");
    g_assert_true(agent_readiness_resolve("--for", "none", "aws://b", &t,
                                          NULL));
    g_assert_null(t);
    g_assert_false(agent_readiness_resolve("--for", "gcp", "aws://b", &t,
                                           &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
}

static gboolean
export_check(const char *text, GError **error)
{
    g_autoptr(GVariant) o = g_variant_ref_sink(g_variant_parse(
        G_VARIANT_TYPE_VARDICT, text, NULL, NULL, NULL));

    g_assert_nonnull(o);
    return agent_job_kind_export.check(o, error);
}

/* The export job's "for" and "force" options, as D-Bus and stdio pass
 * them. */
static void
test_readiness_job_options(void)
{
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    g_assert_true(export_check("{'for': <'sce'>, 'force': <true>}", NULL));
    g_assert_true(export_check("{'for': <'none'>}", NULL));
    g_assert_false(export_check("{'for': <'gcp'>}", &e1));
    g_assert_error(e1, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(e1->message, ==,
                    "option 'for': 'gcp' has no readiness rules (there are: "
                    "aws, azure, cloudstack, sce; or none)");
    g_assert_false(export_check("{'force': <'yes'>}", &e2));
    g_assert_error(e2, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(e2->message, ==,
                    "option 'force': expected type 'b', got 's'");
}

/* A guest that cannot be inspected keeps its place in `ferry list
 * --inspect`, with the reason. */
static void
test_readiness_list_error(void)
{
    g_autoptr(GPtrArray) disks = g_ptr_array_new();
    AgentDisk disk = { 0 };
    g_autoptr(JsonObject) s = NULL;
    const char *const targets[] = { "aws", NULL };

    disk.target = (char *)"vda";
    disk.path = (char *)"/nonexistent/ferry-test/disk.raw";
    disk.format = (char *)"raw";
    disk.bus = (char *)"virtio";
    g_ptr_array_add(disks, &disk);
    s = agent_readiness_list_summary("web1", "<domain><name>web1</name>"
                                     "</domain>", disks, targets, NULL);
    g_assert_nonnull(s);
    g_assert_cmpuint(json_object_get_size(s), ==, 1);
    g_assert_true(json_object_has_member(s, "error"));
    g_assert_cmpuint(strlen(json_object_get_string_member(s, "error")), >, 0);
}

/* ferry.conf's [inspect] targets: names with rules, else an error naming
 * the file, the group and the key. */
static void
test_readiness_config_targets(void)
{
    g_autofree char *dir = g_dir_make_tmp("ferry-readiness-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "ferry.conf", NULL);
    g_autofree char *want = g_strdup_printf(
        "%s: [inspect] targets: 'gcp' has no readiness rules (there are: aws, "
        "azure, cloudstack, sce)", path);
    g_autoptr(AgentConfig) none = NULL;
    g_autoptr(AgentConfig) two = NULL;
    g_autoptr(AgentConfig) bad = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path, "[agent]\nconcurrency=2\n", -1,
                                      NULL));
    none = agent_config_load(path, FALSE, NULL);
    g_assert_nonnull(none);
    g_assert_null(none->inspect_targets);
    g_assert_true(g_file_set_contents(path, "[inspect]\ntargets=sce;aws\n",
                                      -1, NULL));
    two = agent_config_load(path, FALSE, NULL);
    g_assert_nonnull(two);
    g_assert_cmpuint(g_strv_length(two->inspect_targets), ==, 2);
    g_assert_cmpstr(two->inspect_targets[0], ==, "sce");
    g_assert_cmpstr(two->inspect_targets[1], ==, "aws");
    g_assert_true(g_file_set_contents(path, "[inspect]\ntargets=aws;gcp\n",
                                      -1, NULL));
    bad = agent_config_load(path, FALSE, &error);
    g_assert_null(bad);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, want);
    g_unlink(path);
    g_rmdir(dir);
}

/* Every export option has a row (default deny): for and force too. */
static void
test_readiness_authz_rows(void)
{
    static const char *const keys[] = { "for", "force" };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(keys); i++) {
        const AgentAuthzRule *r = agent_authz_lookup(AGENT_METHOD_EXPORT,
                                                     keys[i]);

        g_assert_nonnull(r);
        g_assert_false(r->root_only);
        g_assert_cmpstr(r->action, ==, AGENT_POLKIT_ACTION_MANAGE);
    }
}

typedef struct {
    const char *name;
    const char *xml;
    const char *firmware, *machine, *arch;
} OsCase;

static const OsCase os_cases[] = {
    { "bios",
      "<domain><os><type arch='x86_64' machine='pc-q35-8.2'>hvm</type></os>"
      "</domain>", "bios", "pc-q35-8.2", "x86_64" },
    { "firmware-efi",
      "<domain><os firmware='efi'><type arch='x86_64'>hvm</type></os>"
      "</domain>", "uefi", NULL, "x86_64" },
    { "loader-pflash",
      "<domain><os><type arch='x86_64'>hvm</type><loader readonly='yes' "
      "type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os></domain>",
      "uefi", NULL, "x86_64" },
    { "aarch64",
      "<domain><os><type arch='aarch64' machine='virt'>hvm</type></os>"
      "</domain>", "uefi", "virt", "aarch64" },
    { "no-os", "<domain><name>x</name></domain>", "bios", NULL, NULL },
};

static void
test_readiness_domain_os(gconstpointer data)
{
    const OsCase *c = data;
    g_auto(InventoryOs) os = { 0 };
    g_autoptr(GError) error = NULL;

    g_assert_true(inventory_domain_parse_os(c->xml, strlen(c->xml), &os,
                                            &error));
    g_assert_no_error(error);
    g_assert_cmpstr(os.firmware, ==, c->firmware);
    g_assert_cmpstr(os.machine, ==, c->machine);
    g_assert_cmpstr(os.arch, ==, c->arch);
}

/* azure-disk://'s osType when --os-type is not given. */
static void
test_readiness_os_type(void)
{
    static const struct {
        const char *guest;
        const char *os_type;
    } cases[] = {
        { "{\"os-id\": \"debian\", \"filesystem-types\": [\"ext4\"]}", "Linux" },
        { "{\"os-id\": \"debian\", \"filesystem-types\": [\"ntfs\"]}", "Linux" },
        { "{\"os-id\": null, \"filesystem-types\": [\"ntfs\", \"vfat\"]}", "Windows" },
        { "{\"os-id\": null, \"filesystem-types\": [\"xfs\"]}", NULL },
        { "{\"os-id\": null, \"filesystem-types\": null}", NULL },
        { "{}", NULL },
    };
    gsize i;

    g_assert_null(agent_readiness_os_type(NULL));
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(JsonObject) guest = parse_object(cases[i].guest);

        g_assert_cmpstr(agent_readiness_os_type(guest), ==, cases[i].os_type);
    }
}

int
main(int argc, char **argv)
{
    gsize i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/agent/readiness/refusal/first-failed-rule",
                    test_readiness_refusal_names_first_failed_rule);
    g_test_add_func("/agent/readiness/refusal/warn-passes",
                    test_readiness_refusal_warn_passes);
    g_test_add_func("/agent/readiness/summary/keeps-what-did-not-pass",
                    test_readiness_summary_keeps_what_did_not_pass);
    g_test_add_func("/agent/readiness/skipped", test_readiness_skipped);
    g_test_add_func("/agent/readiness/os-type", test_readiness_os_type);
    g_test_add_func("/agent/readiness/default-target",
                    test_readiness_default_target);
    g_test_add_func("/agent/readiness/check-target",
                    test_readiness_check_target);
    g_test_add_func("/agent/readiness/resolve", test_readiness_resolve);
    g_test_add_func("/agent/readiness/authz-rows", test_readiness_authz_rows);
    g_test_add_func("/agent/readiness/job-options", test_readiness_job_options);
    g_test_add_func("/agent/readiness/list-error", test_readiness_list_error);
    g_test_add_func("/agent/readiness/config-targets",
                    test_readiness_config_targets);
    for (i = 0; i < G_N_ELEMENTS(os_cases); i++) {
        g_autofree char *name = g_strdup_printf("/agent/readiness/domain-os/%s",
                                                os_cases[i].name);

        g_test_add_data_func(name, &os_cases[i], test_readiness_domain_os);
    }
    return g_test_run();
}
