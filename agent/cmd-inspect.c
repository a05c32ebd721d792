/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-inspect.c: `ferry inspect DOMAIN|IMAGE... [--json] [--connect URI]
 * [--for TARGET]`: what a guest's disks say about it (docs/inspect.md),
 * read-only, without mounting anything or starting the guest.
 *
 * An argument that names an existing file, or holds a '/', is an image
 * (several images are the disks of one guest, the OS disk first);
 * otherwise it is a domain of
 * the libvirt connection, whose disks come from the inventory (as `ferry
 * list` finds them) and whose firmware, machine, architecture and disk
 * buses come from its XML.  --for TARGET checks the target's readiness
 * rules (data/rules/TARGET.conf) against the report's "guest" facts.
 * The human output is rendered from the same report as --json.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "inspect/inspect.h"
#include "inspect/rules.h"

typedef struct {
    GPtrArray *paths;         /* of char *, NULL-terminated */
    GPtrArray *formats;       /* of char * (or NULL), NULL-terminated */
    GPtrArray *buses;         /* of char *, NULL-terminated */
    AgentDomain *domain;
} InspectArgs;

static void
inspect_args_clear(InspectArgs *a)
{
    g_clear_pointer(&a->paths, g_ptr_array_unref);
    g_clear_pointer(&a->formats, g_ptr_array_unref);
    g_clear_pointer(&a->buses, g_ptr_array_unref);
    g_clear_pointer(&a->domain, agent_domain_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(InspectArgs, inspect_args_clear)

static const AgentDomain *
inspect_find_domain(AgentInventory *inv, const char *name, GPtrArray **list,
                    guint *index)
{
    GPtrArray *lists[2] = { inv->listed, inv->skipped };
    guint i, l;

    for (l = 0; l < 2; l++) {
        for (i = 0; i < lists[l]->len; i++) {
            const AgentDomain *d = g_ptr_array_index(lists[l], i);

            if (g_str_equal(d->name, name)) {
                *list = lists[l];
                *index = i;
                return d;
            }
        }
    }
    return NULL;
}

/* The disks of domain @name: each one with an image on this host. */
static gboolean
inspect_load_domain(InspectArgs *a, const char *uri, const char *name,
                    GError **error)
{
    g_autoptr(AgentInventory) inv = NULL;
    GPtrArray *list = NULL;
    guint index = 0, i;

    /* _ALL: a running domain's disks can be read too (what is read may be
     * mid-write, which inspection reports as it finds it). */
    inv = agent_inventory_collect(uri, AGENT_INVENTORY_ALL, error);
    if (!inv)
        return FALSE;
    if (!inspect_find_domain(inv, name, &list, &index)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "'%s' is neither a file nor a domain on %s", name,
                    inv->uri ? inv->uri : agent_inventory_default_uri());
        return FALSE;
    }
    a->domain = g_ptr_array_steal_index(list, index);
    for (i = 0; i < a->domain->disks->len; i++) {
        const AgentDisk *disk = g_ptr_array_index(a->domain->disks, i);

        if (!disk->path)
            continue;
        g_ptr_array_add(a->paths, g_strdup(disk->path));
        g_ptr_array_add(a->formats, g_strdup(disk->format ? disk->format
                                                          : disk->declared_format));
        /* Each bus once, in disk order (as agent/readiness.c gives them). */
        if (disk->bus && !g_ptr_array_find_with_equal_func(a->buses, disk->bus,
                                                           g_str_equal, NULL))
            g_ptr_array_add(a->buses, g_strdup(disk->bus));
    }
    if (a->paths->len == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "domain '%s': no disk with an image on this host", name);
        return FALSE;
    }
    return TRUE;
}

/* ---- human output ------------------------------------------------------- */

static const char *
inspect_str(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;

    return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_string(n) : NULL;
}

/* For printing: the value, or "-" when null. */
static const char *
inspect_show(JsonObject *o, const char *key)
{
    const char *v = inspect_str(o, key);

    return v ? v : "-";
}

static char *
inspect_join(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;
    GString *s = g_string_new(NULL);
    JsonArray *a;
    guint i;

    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return g_string_free(s, FALSE);
    a = json_node_get_array(n);
    for (i = 0; i < json_array_get_length(a); i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "",
                               json_array_get_string_element(a, i));
    return g_string_free(s, FALSE);
}

static const char *
inspect_bool(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);

    if (!n || JSON_NODE_HOLDS_NULL(n))
        return "unknown";
    return json_node_get_boolean(n) ? "yes" : "no";
}

static void
inspect_print_fs(JsonObject *fs)
{
    const char *label = inspect_str(fs, "label");
    const char *uuid = inspect_str(fs, "uuid");

    printf("  %s", inspect_show(fs, "type"));
    if (uuid)
        printf(" UUID=%s", uuid);
    if (label)
        printf(" LABEL=\"%s\"", label);
}

static void
inspect_print_disk(JsonObject *d, guint index)
{
    g_autofree char *size = g_format_size_full(
        (guint64)json_object_get_int_member(d, "virtual-size"),
        G_FORMAT_SIZE_IEC_UNITS);
    JsonArray *parts = json_object_get_array_member(d, "partitions");
    JsonArray *notes = json_object_get_array_member(d, "notes");
    JsonNode *whole = json_object_get_member(d, "filesystem");
    guint i;

    printf("disk %u: %s (%s, %s), partition table %s\n", index,
           inspect_show(d, "path"), inspect_show(d, "format"), size,
           inspect_show(d, "partition-table"));
    for (i = 0; i < json_array_get_length(parts); i++) {
        JsonObject *p = json_array_get_object_element(parts, i);
        JsonNode *fs = json_object_get_member(p, "filesystem");
        g_autofree char *psize = g_format_size_full(
            (guint64)json_object_get_int_member(p, "size"),
            G_FORMAT_SIZE_IEC_UNITS);

        printf("  %2" G_GINT64_FORMAT "  %-10s %-20s",
               json_object_get_int_member(p, "number"), psize, inspect_show(p, "type"));
        if (fs && JSON_NODE_HOLDS_OBJECT(fs))
            inspect_print_fs(json_node_get_object(fs));
        if (json_object_has_member(p, "fallback-loader"))
            printf("  fallback loader: %s", inspect_show(p, "fallback-loader"));
        printf("\n");
    }
    if (whole && JSON_NODE_HOLDS_OBJECT(whole)) {
        printf("  whole disk:");
        inspect_print_fs(json_node_get_object(whole));
        printf("\n");
    }
    for (i = 0; notes && i < json_array_get_length(notes); i++)
        printf("  note: %s\n", json_array_get_string_element(notes, i));
}

static void
inspect_print_text(JsonObject *report)
{
    JsonArray *disks = json_object_get_array_member(report, "disks");
    JsonObject *guest = json_object_get_object_member(report, "guest");
    JsonNode *os_node = json_object_get_member(report, "os");
    JsonObject *os = os_node && JSON_NODE_HOLDS_OBJECT(os_node)
                         ? json_node_get_object(os_node) : NULL;
    JsonNode *ready = json_object_get_member(report, "readiness");
    g_autofree char *drivers = inspect_join(guest, "drivers");
    g_autofree char *kernels = inspect_join(os, "kernels");
    g_autofree char *mounts = inspect_join(guest, "mount-points");
    guint i;

    printf("source: %s\n", inspect_show(report, "source"));
    for (i = 0; i < json_array_get_length(disks); i++)
        inspect_print_disk(json_array_get_object_element(disks, i), i);
    if (os)
        printf("os: %s (%s)\n",
               inspect_str(os, "pretty-name") ? inspect_str(os, "pretty-name")
                                              : "unnamed",
               inspect_show(os, "root"));
    else
        printf("os: not found (no readable ext2/3/4 root)\n");
    printf("firmware: %s\n", inspect_str(guest, "firmware")
                                 ? inspect_str(guest, "firmware") : "unknown");
    if (os) {
        printf("kernels: %s\n", kernels[0] ? kernels : "none");
        printf("drivers: %s\n", drivers[0] ? drivers : "none found");
        printf("mounts: %s\n", mounts[0] ? mounts : "no fstab");
        printf("fstab names devices by kernel name: %s\n",
               inspect_bool(guest, "fstab-by-device"));
        printf("cloud-init: %s\n", inspect_bool(guest, "cloud-init"));
    }
    printf("ESP: %s, fallback loader: %s\n", inspect_bool(guest, "esp"),
           inspect_bool(guest, "fallback-loader"));
    if (ready && JSON_NODE_HOLDS_OBJECT(ready)) {
        JsonObject *r = json_node_get_object(ready);
        JsonArray *rules = json_object_get_array_member(r, "rules");

        printf("readiness for %s: %s\n", inspect_show(r, "target"),
               inspect_show(r, "verdict"));
        for (i = 0; rules && i < json_array_get_length(rules); i++) {
            JsonObject *rule = json_array_get_object_element(rules, i);

            /* A rule's why and fix explain a failure: a pass needs its
             * name alone. */
            if (g_str_equal(inspect_show(rule, "result"), "pass")) {
                printf("  pass %s\n", inspect_show(rule, "id"));
                continue;
            }
            printf("  %-4s %s: %s (%s)\n", inspect_show(rule, "result"),
                   inspect_show(rule, "id"), inspect_show(rule, "why"),
                   inspect_show(rule, "fix"));
        }
    }
    printf("bytes read: %" G_GINT64_FORMAT "\n",
           json_object_get_int_member(report, "bytes-read"));
}

int
cmd_inspect(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    g_autofree char *target = NULL;
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
          "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)",
          "URI" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "print the report as JSON (docs/inspect.md)", NULL },
        { "for", 0, 0, G_OPTION_ARG_STRING, &target,
          "check the readiness rules of TARGET (aws, azure, cloudstack, sce)",
          "TARGET" },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "DOMAIN|IMAGE... - what a guest's disks say about it");
    g_autoptr(GError) error = NULL;
    g_auto(InspectArgs) a = { 0 };
    g_autoptr(JsonObject) report = NULL;
    g_autoptr(FerryRules) rules = NULL;
    FerryInspectSource src = { 0 };
    int i;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx,
        "Reads the partition tables, filesystems and, on an ext2/3/4 root,\n"
        "os-release, fstab, kernels and drivers of a domain's disks or of\n"
        "image files, read-only, through ferry's own image readers.\n");
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_usage_error("inspect", error->message);
    if (argc < 2)
        return agent_usage_error("inspect", "a domain or an image is required");

    a.paths = g_ptr_array_new_with_free_func(g_free);
    a.formats = g_ptr_array_new_with_free_func(g_free);
    a.buses = g_ptr_array_new_with_free_func(g_free);
    /* libvirt refuses '/' in a domain name: such an argument is a path
     * even when the file is missing (then conv/ says so). */
    if (strchr(argv[1], '/') || g_file_test(argv[1], G_FILE_TEST_EXISTS)) {
        for (i = 1; i < argc; i++) {
            g_ptr_array_add(a.paths, g_strdup(argv[i]));
            g_ptr_array_add(a.formats, NULL);
        }
    } else {
        if (argc > 2)
            return agent_usage_error("inspect",
                                     "a domain is inspected alone");
        if (!inspect_load_domain(&a, uri, argv[1], &error))
            return agent_fail(error);
        src.name = a.domain->name;
        src.firmware = a.domain->firmware;
        src.machine = a.domain->machine;
        src.arch = a.domain->arch;
        g_ptr_array_add(a.buses, NULL);
        src.disk_buses = (const char *const *)a.buses->pdata;
    }
    g_ptr_array_add(a.paths, NULL);
    g_ptr_array_add(a.formats, NULL);
    src.disk_paths = (const char *const *)a.paths->pdata;
    src.disk_formats = (const char *const *)a.formats->pdata;

    /* The rules first: an unknown target or a bad rules file is told
     * before any disk is read. */
    if (target && !(rules = ferry_rules_load(target, NULL, &error)))
        return agent_fail(error);
    report = ferry_inspect(&src, NULL, &error);
    if (!report)
        return agent_fail(error);
    if (rules)
        json_object_set_object_member(
            report, "readiness",
            ferry_rules_check(rules,
                              json_object_get_object_member(report, "guest")));
    if (json) {
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

        json_node_set_object(node, report);
        agent_print_json(stdout, node, TRUE);
    } else {
        inspect_print_text(report);
    }
    return fflush(stdout) == 0 ? 0 : AGENT_EXIT_IO;
}
