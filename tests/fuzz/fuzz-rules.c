/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-rules.c: a readiness rules file (data/rules/<target>.conf) as
 * ferry_rules_load() parses it (inspect/rules-load.c: UTF-8 check,
 * GKeyFile, every group and key checked), then, when it loads, checked
 * against a guest every shipped rule passes and against one with no facts
 * at all (every rule's "unknown" path).
 * FUZZ_EXTRA_SOURCES: inspect/rules.c inspect/rules-load.c
 */
#include <config.h>

#include "conv/conv.h"
#include "inspect/rules-priv.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static const char fuzz_guest[] =
    "{\"firmware\": \"uefi\", \"arch\": \"x86_64\", \"disk-count\": 2, "
    "\"os-disk-size\": 10737418240, \"largest-disk-size\": 10737418240, "
    "\"partition-tables\": [\"gpt\", \"none\"], "
    "\"os-disk-partition-table\": \"gpt\", \"lvm\": false, \"luks\": false, "
    "\"raid\": false, \"filesystem-types\": [\"ext4\", \"vfat\"], "
    "\"root-fs-type\": \"ext4\", \"boot-separate\": false, "
    "\"mount-points\": [\"/\", \"/boot/efi\"], \"fstab-by-device\": true, "
    "\"esp\": true, \"fallback-loader\": true, \"mbr-boot-code\": false, "
    "\"bios-boot\": null, \"os-id\": \"debian\", \"os-version-id\": \"12\", "
    "\"os-pretty-name\": \"Debian\", \"kernel-count\": 1, "
    "\"drivers\": [\"nvme\", \"virtio_blk\"], \"cloud-init\": true, "
    "\"disk-formats\": [\"qcow2\", \"raw\"], \"disk-buses\": []}";

static void
fuzz_check(const FerryRules *rules, const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(JsonObject) out = NULL;

    g_assert(json_parser_load_from_data(p, json, -1, NULL));
    out = ferry_rules_check(rules, json_node_get_object(
                                       json_parser_get_root(p)));
    g_assert(json_object_get_array_member(out, "rules") != NULL);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    g_autoptr(FerryRules) rules = g_new0(FerryRules, 1);
    g_autoptr(GError) error = NULL;
    gboolean ok;

    if (size > RULES_MAX_FILE_BYTES)
        return 0;
    rules->target = g_strdup("fuzz");
    rules->path = g_strdup("fuzz.conf");
    rules->rules = g_ptr_array_new_with_free_func(rules_rule_free);
    ok = rules_parse(rules, rules->path, (const char *)data, size, &error);
    g_assert(ok == (error == NULL));
    if (!ok)
        return 0;
    fuzz_check(rules, fuzz_guest);
    fuzz_check(rules, "{}");
    return 0;
}
