/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rules.c: a target's readiness rules, loaded from <dir>/<target>.conf
 * (parsed by inspect/rules-load.c) and checked against the flat "guest"
 * facts of an inspection report (docs/inspect.md).
 *
 * Each rule gives pass, warn or fail:
 *   - when-fact given and not equal to when-equals: pass (does not apply);
 *   - the fact (or the when-fact) null, absent or of another type than
 *     docs/inspect.md says: the rule's "unknown" result (default warn),
 *     its why prefixed with "could not tell <fact>";
 *   - the condition holds: pass; else the rule's level.
 * The verdict is the worst result.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conv/conv.h"
#include "inspect/rules-priv.h"

/* inspect/local.mk defines it as $(pkgdatadir)/rules; builds outside
 * automake (tests/fuzz/build.sh) never load from it. */
#ifndef FERRY_RULES_DIR
#define FERRY_RULES_DIR "/usr/share/ferry/rules"
#endif

const char *const *
ferry_rules_targets(void)
{
    static const char *const targets[] = { "aws", "azure", "cloudstack", "sce",
                                            NULL };
    return targets;
}

/* Reads at most RULES_MAX_FILE_BYTES of @path, refusing a longer file
 * (or a directory, a device: what a wrong path names). */
static char *
rules_read_file(const char *path, gsize *len, GError **error)
{
    g_autofree char *buf = NULL;
    struct stat st;
    gsize n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        int err = errno;

        g_set_error(error, FERRY_ERROR,
                    err == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
                    "open: %s: %s", path, g_strerror(err));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: not a regular file", path);
        return NULL;
    }
    buf = g_malloc(RULES_MAX_FILE_BYTES + 1);
    /* Up to one byte past the limit: a file growing under us is cut
     * there and refused, whatever fstat said. */
    while (n <= RULES_MAX_FILE_BYTES) {
        ssize_t got = read(fd, buf + n, RULES_MAX_FILE_BYTES + 1 - n);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int err = errno;

            close(fd);
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "read: %s: %s",
                        path, g_strerror(err));
            return NULL;
        }
        if (got == 0)
            break;
        n += (gsize)got;
    }
    close(fd);
    if (n > RULES_MAX_FILE_BYTES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: larger than the %d bytes a rules file may have",
                    path, RULES_MAX_FILE_BYTES);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return g_steal_pointer(&buf);
}

FerryRules *
ferry_rules_load(const char *target, const char *dir, GError **error)
{
    g_autoptr(FerryRules) rules = NULL;
    g_autofree char *file = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;

    g_return_val_if_fail(target != NULL, NULL);
    if (!g_strv_contains(ferry_rules_targets(), target)) {
        g_autofree char *known = g_strjoinv(", ",
                                            (char **)ferry_rules_targets());

        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "no readiness rules for '%s' (there are: %s)", target,
                    known);
        return NULL;
    }
    if (!dir || !*dir)
        dir = g_getenv("FERRY_RULES_DIR");
    if (!dir || !*dir)
        dir = FERRY_RULES_DIR;
    file = g_strconcat(target, ".conf", NULL);
    rules = g_new0(FerryRules, 1);
    rules->target = g_strdup(target);
    rules->path = g_build_filename(dir, file, NULL);
    rules->rules = g_ptr_array_new_with_free_func(rules_rule_free);
    data = rules_read_file(rules->path, &len, error);
    if (!data || !rules_parse(rules, rules->path, data, len, error))
        return NULL;
    return g_steal_pointer(&rules);
}

void
ferry_rules_free(FerryRules *rules)
{
    if (!rules)
        return;
    g_free(rules->target);
    g_free(rules->path);
    if (rules->rules)
        g_ptr_array_unref(rules->rules);
    g_free(rules);
}

/* ---- checking ----------------------------------------------------------- */

/* @fact's value in @guest, if present with the type docs/inspect.md gives
 * it; NULL otherwise (null, absent or of another type: "cannot tell"). */
static JsonNode *
rules_fact_node(JsonObject *guest, const RulesFact *fact)
{
    JsonNode *node;
    GType vt;

    if (!guest || !json_object_has_member(guest, fact->name))
        return NULL;
    node = json_object_get_member(guest, fact->name);
    if (!node || JSON_NODE_HOLDS_NULL(node))
        return NULL;
    if (fact->type == RULES_FACT_LIST) {
        JsonArray *a;
        guint i;

        if (!JSON_NODE_HOLDS_ARRAY(node))
            return NULL;
        a = json_node_get_array(node);
        for (i = 0; i < json_array_get_length(a); i++) {
            JsonNode *e = json_array_get_element(a, i);

            if (!JSON_NODE_HOLDS_VALUE(e) ||
                json_node_get_value_type(e) != G_TYPE_STRING)
                return NULL;
        }
        return node;
    }
    if (!JSON_NODE_HOLDS_VALUE(node))
        return NULL;
    vt = json_node_get_value_type(node);
    switch (fact->type) {
    case RULES_FACT_STRING:
        return vt == G_TYPE_STRING ? node : NULL;
    case RULES_FACT_INT:
        return vt == G_TYPE_INT64 ? node : NULL;
    case RULES_FACT_BOOL:
        return vt == G_TYPE_BOOLEAN ? node : NULL;
    default:
        return NULL;
    }
}

static gboolean
rules_scalar_equals(JsonNode *node, const RulesFact *fact, const RulesValue *v)
{
    switch (fact->type) {
    case RULES_FACT_STRING:
        return g_strcmp0(json_node_get_string(node), v->s) == 0;
    case RULES_FACT_INT:
        return json_node_get_int(node) == v->i;
    case RULES_FACT_BOOL:
        return !json_node_get_boolean(node) == !v->b;
    default:
        g_assert_not_reached();
    }
}

static gboolean
rules_array_has(JsonArray *a, const char *s)
{
    guint i;

    for (i = 0; i < json_array_get_length(a); i++) {
        if (g_strcmp0(json_array_get_string_element(a, i), s) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Whether @rule's condition holds for @node (of the fact's type). */
static gboolean
rules_cond_holds(const RulesRule *rule, JsonNode *node)
{
    const RulesValue *v = &rule->value;
    JsonArray *a = NULL;
    guint i, n = 0;

    if (rule->fact->type == RULES_FACT_LIST) {
        a = json_node_get_array(node);
        n = json_array_get_length(a);
    }
    switch (rule->cond) {
    case RULES_COND_EQUALS:
        return rules_scalar_equals(node, rule->fact, v);
    case RULES_COND_NOT_EQUALS:
        return !rules_scalar_equals(node, rule->fact, v);
    case RULES_COND_IN:
        return g_strv_contains((const char *const *)v->list,
                               json_node_get_string(node));
    case RULES_COND_NOT_IN:
        return !g_strv_contains((const char *const *)v->list,
                                json_node_get_string(node));
    case RULES_COND_MAX:
        return json_node_get_int(node) <= v->i;
    case RULES_COND_MIN:
        return json_node_get_int(node) >= v->i;
    case RULES_COND_CONTAINS:
        return rules_array_has(a, v->s);
    case RULES_COND_NOT_CONTAINS:
        return !rules_array_has(a, v->s);
    case RULES_COND_ANY_OF:
    case RULES_COND_NONE_OF: {
        gboolean any = FALSE;
        char **s;

        for (s = v->list; *s && !any; s++)
            any = rules_array_has(a, *s);
        return rule->cond == RULES_COND_ANY_OF ? any : !any;
    }
    case RULES_COND_ALL_IN:
        for (i = 0; i < n; i++) {
            if (!g_strv_contains((const char *const *)v->list,
                                 json_array_get_string_element(a, i)))
                return FALSE;
        }
        return TRUE;
    case RULES_COND_COUNT_MAX:
        return (gint64)n <= v->i;
    case RULES_COND_COUNT_MIN:
        return (gint64)n >= v->i;
    case RULES_COND_LAST:
        break;
    }
    g_assert_not_reached();
}

static RulesResult
rules_check_one(const RulesRule *rule, JsonObject *guest,
                const char **unknown_fact)
{
    JsonNode *node;

    *unknown_fact = NULL;
    if (rule->when_fact) {
        node = rules_fact_node(guest, rule->when_fact);
        if (!node) {
            *unknown_fact = rule->when_fact->name;
            return rule->unknown;
        }
        if (!rules_scalar_equals(node, rule->when_fact, &rule->when_value))
            return RULES_RESULT_PASS;
    }
    node = rules_fact_node(guest, rule->fact);
    if (!node) {
        *unknown_fact = rule->fact->name;
        return rule->unknown;
    }
    return rules_cond_holds(rule, node) ? RULES_RESULT_PASS : rule->level;
}

JsonObject *
ferry_rules_check(const FerryRules *rules, JsonObject *guest)
{
    JsonObject *out;
    JsonArray *results;
    RulesResult verdict = RULES_RESULT_PASS;
    guint i;

    g_return_val_if_fail(rules != NULL, NULL);
    out = json_object_new();
    results = json_array_new();
    for (i = 0; i < rules->rules->len; i++) {
        const RulesRule *rule = g_ptr_array_index(rules->rules, i);
        JsonObject *r = json_object_new();
        const char *unknown = NULL;
        RulesResult res = rules_check_one(rule, guest, &unknown);

        json_object_set_string_member(r, "id", rule->id);
        json_object_set_string_member(r, "result", rules_result_name(res));
        if (unknown) {
            g_autofree char *why = g_strdup_printf("could not tell %s: %s",
                                                   unknown, rule->why);

            json_object_set_string_member(r, "why", why);
        } else {
            json_object_set_string_member(r, "why", rule->why);
        }
        json_object_set_string_member(r, "fix", rule->fix);
        json_array_add_object_element(results, r);
        verdict = MAX(verdict, res);
    }
    json_object_set_string_member(out, "target", rules->target);
    json_object_set_string_member(out, "verdict", rules_result_name(verdict));
    json_object_set_array_member(out, "rules", results);
    return out;
}
