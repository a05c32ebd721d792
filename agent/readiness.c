/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * readiness.c: a target's readiness rules (inspect/rules.h) checked
 * against a domain's guest before an export sends anything, and the short
 * summary `ferry list --inspect` gives.
 *
 * An export to aws://, azure://, azure-disk:// or cloudstack:// gets that
 * target's rules; --for names rules for a file:// or ssh:// pool (or other
 * ones).  The guest is read through ferry_inspect() (inspect/inspect.h);
 * the rules' verdict then:
 *   - fail: the export is refused (FERRY_ERROR_UNSUPPORTED) naming the
 *     first failed rule, its why and its fix, unless --force;
 *   - warn (or fail with --force): the export goes on, and the rules that
 *     did not pass go into the manifest's "readiness" and the job's Result.
 * When this build cannot inspect (ferry_inspect() says
 * FERRY_ERROR_UNSUPPORTED), the check is skipped with a warning rather than
 * refusing every export.
 */
#include <config.h>

#include <string.h>

#include "agent/inventory-priv.h"
#include "agent/libvirt-priv.h"
#include "inspect/inspect.h"
#include "inspect/rules.h"

/* The id of the warning that stands for an inspection that could not run. */
#define READINESS_SKIPPED_ID "inspect"

/* @o's member @key if it is an object (an array), else NULL: json-glib's
 * getters complain about a missing member, and a report or verdict that
 * lacks one is no reason for a critical. */
static JsonObject *
readiness_object(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;

    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static JsonArray *
readiness_array(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;

    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

const char *
agent_readiness_default_target(const char *uri)
{
    static const struct {
        const char *prefix;
        const char *rules;
    } defaults[] = {
        { "aws://", "aws" },
        { "azure://", "azure" },
        { "azure-disk://", "azure" },
        { "cloudstack://", "cloudstack" },
    };
    gsize i;

    for (i = 0; uri && i < G_N_ELEMENTS(defaults); i++) {
        if (g_ascii_strncasecmp(uri, defaults[i].prefix,
                                strlen(defaults[i].prefix)) == 0)
            return defaults[i].rules;
    }
    return NULL;
}

gboolean
agent_readiness_resolve(const char *what, const char *rules_for,
                        const char *uri, const char **target, GError **error)
{
    *target = NULL;
    if (!rules_for) {
        *target = agent_readiness_default_target(uri);
        return TRUE;
    }
    if (g_str_equal(rules_for, "none"))
        return TRUE;
    if (!agent_readiness_check_target(what, rules_for, error))
        return FALSE;
    *target = rules_for;
    return TRUE;
}

gboolean
agent_readiness_check_target(const char *what, const char *name,
                             GError **error)
{
    g_autofree char *known = NULL;

    if (g_strv_contains(ferry_rules_targets(), name))
        return TRUE;
    known = g_strjoinv(", ", (char **)ferry_rules_targets());
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "%s: '%s' has no readiness rules (there are: %s; or none)",
                what, name, known);
    return FALSE;
}

gboolean
agent_readiness_refusal(const char *vm, JsonObject *verdict, GError **error)
{
    JsonArray *rules;
    guint i;

    if (g_strcmp0(json_object_get_string_member_with_default(verdict,
                                                             "verdict", ""),
                  "fail") != 0)
        return TRUE;
    rules = readiness_array(verdict, "rules");
    for (i = 0; rules && i < json_array_get_length(rules); i++) {
        JsonNode *n = json_array_get_element(rules, i);
        JsonObject *r = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n)
                                                  : NULL;

        if (!r || g_strcmp0(json_object_get_string_member_with_default(
                                r, "result", ""), "fail") != 0)
            continue;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: not ready for %s: %s: %s (%s; --force to export "
                    "anyway)", vm,
                    json_object_get_string_member_with_default(verdict,
                                                               "target", "?"),
                    json_object_get_string_member_with_default(r, "id", "?"),
                    json_object_get_string_member_with_default(r, "why", ""),
                    json_object_get_string_member_with_default(r, "fix", ""));
        return FALSE;
    }
    /* A fail verdict without a failed rule is not ours to make. */
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                "%s: not ready for %s (--force to export anyway)", vm,
                json_object_get_string_member_with_default(verdict, "target",
                                                           "?"));
    return FALSE;
}

JsonObject *
agent_readiness_summary(JsonObject *verdict, gboolean forced)
{
    JsonObject *out = json_object_new();
    JsonArray *kept = json_array_new();
    JsonArray *rules = readiness_array(verdict, "rules");
    guint i;

    json_object_set_string_member(out, "target",
        json_object_get_string_member_with_default(verdict, "target", ""));
    json_object_set_string_member(out, "verdict",
        json_object_get_string_member_with_default(verdict, "verdict", ""));
    if (forced)
        json_object_set_boolean_member(out, "forced", TRUE);
    for (i = 0; rules && i < json_array_get_length(rules); i++) {
        JsonNode *n = json_array_get_element(rules, i);
        JsonObject *r = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n)
                                                  : NULL;

        if (r && g_strcmp0(json_object_get_string_member_with_default(
                               r, "result", ""), "pass") != 0)
            json_array_add_object_element(kept, json_object_ref(r));
    }
    json_object_set_array_member(out, "rules", kept);
    return out;
}

JsonObject *
agent_readiness_skipped(const char *target, const char *reason)
{
    JsonObject *out = json_object_new();
    JsonArray *rules = json_array_new();
    JsonObject *r = json_object_new();
    g_autofree char *why = g_strdup_printf("inspection not available: %s",
                                           reason);

    json_object_set_string_member(r, "id", READINESS_SKIPPED_ID);
    json_object_set_string_member(r, "result", "warn");
    json_object_set_string_member(r, "why", why);
    json_object_set_string_member(r, "fix", "check the guest against the "
                                  "target's requirements by hand");
    json_array_add_object_element(rules, r);
    json_object_set_string_member(out, "target", target);
    json_object_set_string_member(out, "verdict", "warn");
    json_object_set_array_member(out, "rules", rules);
    return out;
}

/* The inspection report of @vm's disks @disks (of AgentDisk, the OS disk
 * first), with the firmware, machine and arch of its XML @xml. */
static JsonObject *
readiness_inspect(const char *vm, const char *xml, GPtrArray *disks,
                  GCancellable *cancellable, GError **error)
{
    g_auto(InventoryOs) os = { 0 };
    g_autoptr(GPtrArray) paths = g_ptr_array_new();
    g_autoptr(GPtrArray) formats = g_ptr_array_new();
    g_autoptr(GPtrArray) buses = g_ptr_array_new();
    FerryInspectSource src = { 0 };
    guint i;

    if (!inventory_domain_parse_os(xml, strlen(xml), &os, error)) {
        g_prefix_error(error, "domain '%s': ", vm);
        return NULL;
    }
    for (i = 0; i < disks->len; i++) {
        const AgentDisk *d = g_ptr_array_index(disks, i);

        g_ptr_array_add(paths, d->path);
        g_ptr_array_add(formats, d->format);
        if (d->bus && !g_ptr_array_find_with_equal_func(buses, d->bus,
                                                        g_str_equal, NULL))
            g_ptr_array_add(buses, d->bus);
    }
    g_ptr_array_add(paths, NULL);
    g_ptr_array_add(formats, NULL);
    g_ptr_array_add(buses, NULL);
    src.disk_paths = (const char *const *)paths->pdata;
    src.disk_formats = (const char *const *)formats->pdata;
    src.name = vm;
    src.firmware = os.firmware;
    src.machine = os.machine;
    src.arch = os.arch;
    src.disk_buses = (const char *const *)buses->pdata;
    return ferry_inspect(&src, cancellable, error);
}

/* The rules of @target checked against @report's "guest". */
static JsonObject *
readiness_check_report(const char *target, JsonObject *report,
                       GError **error)
{
    g_autoptr(FerryRules) rules = ferry_rules_load(target, NULL, error);
    JsonObject *guest;

    if (!rules)
        return NULL;
    guest = readiness_object(report, "guest");
    if (!guest) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "the inspection report has no guest facts");
        return NULL;
    }
    return ferry_rules_check(rules, guest);
}

const char *
agent_readiness_os_type(JsonObject *guest)
{
    JsonArray *fs;
    guint i;

    if (!guest)
        return NULL;
    if (json_object_has_member(guest, "os-id") &&
        !json_object_get_null_member(guest, "os-id"))
        return "Linux";
    fs = readiness_array(guest, "filesystem-types");
    for (i = 0; fs && i < json_array_get_length(fs); i++) {
        JsonNode *n = json_array_get_element(fs, i);

        if (JSON_NODE_HOLDS_VALUE(n) &&
            g_strcmp0(json_node_get_string(n), "ntfs") == 0)
            return "Windows";
    }
    return NULL;
}

gboolean
agent_readiness_for_export(const AgentReadinessRequest *req,
                           JsonObject **summary, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonObject) report = NULL;
    g_autoptr(JsonObject) verdict = NULL;

    *summary = NULL;
    report = readiness_inspect(req->vm, req->xml, req->disks, req->cancellable,
                               &local);
    if (!report) {
        if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
            !(g_error_matches(local, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED) ||
              req->force)) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                       "%s: readiness for %s: ", req->vm,
                                       req->target);
            return FALSE;
        }
        *summary = agent_readiness_skipped(req->target, local->message);
        return TRUE;
    }
    if (req->os_type)
        *req->os_type = g_strdup(
            agent_readiness_os_type(readiness_object(report, "guest")));
    verdict = readiness_check_report(req->target, report, &local);
    if (!verdict) {
        /* A broken rules file is the installation's fault: --force goes
         * past it, as past the rules themselves (and a report without
         * facts). */
        if (!req->force) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        *summary = agent_readiness_skipped(req->target, local->message);
        return TRUE;
    }
    if (!req->force && !agent_readiness_refusal(req->vm, verdict, error))
        return FALSE;
    *summary = agent_readiness_summary(
        verdict, req->force &&
                     g_strcmp0(json_object_get_string_member_with_default(
                                   verdict, "verdict", ""), "fail") == 0);
    return TRUE;
}

/* ---- `ferry list --inspect` ---------------------------------------------- */

static JsonObject *
readiness_list_error(const GError *error)
{
    JsonObject *out = json_object_new();

    json_object_set_string_member(out, "error", error->message);
    return out;
}

JsonObject *
agent_readiness_list_summary(const char *vm, const char *xml, GPtrArray *disks,
                             const char *const *targets,
                             GCancellable *cancellable)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) report = NULL;
    JsonObject *out, *guest, *readiness;
    const char *const *t;

    report = readiness_inspect(vm, xml, disks, cancellable, &error);
    if (!report)
        return readiness_list_error(error);
    guest = readiness_object(report, "guest");
    if (!guest) {
        g_set_error(&error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "the inspection report has no guest facts");
        return readiness_list_error(error);
    }
    out = json_object_new();
    json_object_set_member(out, "os-pretty-name",
                           json_object_has_member(guest, "os-pretty-name")
                               ? json_object_dup_member(guest,
                                                        "os-pretty-name")
                               : json_node_new(JSON_NODE_NULL));
    json_object_set_member(out, "firmware",
                           json_object_has_member(guest, "firmware")
                               ? json_object_dup_member(guest, "firmware")
                               : json_node_new(JSON_NODE_NULL));
    readiness = json_object_new();
    for (t = targets; t && *t; t++) {
        g_autoptr(GError) local = NULL;
        g_autoptr(JsonObject) verdict = readiness_check_report(*t, report,
                                                               &local);

        if (verdict)
            json_object_set_string_member(readiness, *t,
                json_object_get_string_member_with_default(verdict, "verdict",
                                                           ""));
        else
            json_object_set_object_member(readiness, *t,
                                          readiness_list_error(local));
    }
    json_object_set_object_member(out, "readiness", readiness);
    return out;
}
