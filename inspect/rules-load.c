/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rules-load.c: parses a target's rules file (data/rules/<target>.conf), a
 * GKeyFile with one group per rule:
 *
 *   [rule fstab-by-uuid]
 *   fact=fstab-by-device        a key of the "guest" facts (docs/inspect.md)
 *   equals=false                exactly one condition, typed by the fact
 *   level=fail                  fail | warn: the result when it does not hold
 *   unknown=warn                pass | warn | fail when the fact is null
 *                               (optional, default warn)
 *   when-fact=firmware          optional: the rule applies only when
 *   when-equals=uefi            when-fact equals when-equals
 *   why=...                     one line: what the target requires
 *   fix=...                     one line: what to do about it
 *
 * Conditions by the fact's type: string: equals, not-equals, in, not-in;
 * int: equals, not-equals, max, min (a size may end in KiB, MiB, GiB,
 * TiB); bool: equals, not-equals (true | false); list of strings:
 * contains, not-contains, any-of, none-of, all-in, count-max, count-min.
 * Lists are GKeyFile lists ("a;b;c").
 *
 * The file is checked whole before it is used: an unknown group or key, a
 * fact not in docs/inspect.md, a condition that does not fit the fact, a
 * value of the wrong type, a missing why or fix are FERRY_ERROR_INVALID
 * naming the file, the group and the key, so that a typo in a rule never
 * turns into a rule that silently passes.
 */
#include <config.h>

#include <string.h>

#include "conv/conv.h"
#include "inspect/rules-priv.h"

/* docs/inspect.md, "The facts": the only keys a rule may test. */
static const RulesFact rules_facts[] = {
    { "firmware", RULES_FACT_STRING },
    { "arch", RULES_FACT_STRING },
    { "disk-count", RULES_FACT_INT },
    { "os-disk-size", RULES_FACT_INT },
    { "largest-disk-size", RULES_FACT_INT },
    { "partition-tables", RULES_FACT_LIST },
    { "os-disk-partition-table", RULES_FACT_STRING },
    { "lvm", RULES_FACT_BOOL },
    { "luks", RULES_FACT_BOOL },
    { "raid", RULES_FACT_BOOL },
    { "filesystem-types", RULES_FACT_LIST },
    { "root-fs-type", RULES_FACT_STRING },
    { "boot-separate", RULES_FACT_BOOL },
    { "mount-points", RULES_FACT_LIST },
    { "fstab-by-device", RULES_FACT_BOOL },
    { "esp", RULES_FACT_BOOL },
    { "fallback-loader", RULES_FACT_BOOL },
    { "mbr-boot-code", RULES_FACT_BOOL },
    { "bios-boot", RULES_FACT_BOOL },
    { "os-id", RULES_FACT_STRING },
    { "os-version-id", RULES_FACT_STRING },
    { "os-pretty-name", RULES_FACT_STRING },
    { "kernel-count", RULES_FACT_INT },
    { "drivers", RULES_FACT_LIST },
    { "cloud-init", RULES_FACT_BOOL },
    { "disk-formats", RULES_FACT_LIST },
    { "disk-buses", RULES_FACT_LIST },
};

#define TYPE_BIT(t) (1u << (t))
#define SCALARS (TYPE_BIT(RULES_FACT_STRING) | TYPE_BIT(RULES_FACT_INT) | \
                 TYPE_BIT(RULES_FACT_BOOL))

/* One row per condition key: the fact types it applies to and whether its
 * operand is a list, an int, or of the fact's own type. */
typedef enum {
    OPERAND_FACT,              /* as the fact: string, int or bool */
    OPERAND_STRING,
    OPERAND_INT,
    OPERAND_LIST,
} RulesOperand;

static const struct {
    const char *key;
    guint types;
    RulesOperand operand;
} rules_conds[] = {
    [RULES_COND_EQUALS] = { "equals", SCALARS, OPERAND_FACT },
    [RULES_COND_NOT_EQUALS] = { "not-equals", SCALARS, OPERAND_FACT },
    [RULES_COND_IN] = { "in", TYPE_BIT(RULES_FACT_STRING), OPERAND_LIST },
    [RULES_COND_NOT_IN] = { "not-in", TYPE_BIT(RULES_FACT_STRING),
                            OPERAND_LIST },
    [RULES_COND_MAX] = { "max", TYPE_BIT(RULES_FACT_INT), OPERAND_INT },
    [RULES_COND_MIN] = { "min", TYPE_BIT(RULES_FACT_INT), OPERAND_INT },
    [RULES_COND_CONTAINS] = { "contains", TYPE_BIT(RULES_FACT_LIST),
                              OPERAND_STRING },
    [RULES_COND_NOT_CONTAINS] = { "not-contains", TYPE_BIT(RULES_FACT_LIST),
                                  OPERAND_STRING },
    [RULES_COND_ANY_OF] = { "any-of", TYPE_BIT(RULES_FACT_LIST),
                            OPERAND_LIST },
    [RULES_COND_NONE_OF] = { "none-of", TYPE_BIT(RULES_FACT_LIST),
                             OPERAND_LIST },
    [RULES_COND_ALL_IN] = { "all-in", TYPE_BIT(RULES_FACT_LIST),
                            OPERAND_LIST },
    [RULES_COND_COUNT_MAX] = { "count-max", TYPE_BIT(RULES_FACT_LIST),
                               OPERAND_INT },
    [RULES_COND_COUNT_MIN] = { "count-min", TYPE_BIT(RULES_FACT_LIST),
                               OPERAND_INT },
};
G_STATIC_ASSERT(G_N_ELEMENTS(rules_conds) == RULES_COND_LAST);

/* Keys besides the conditions. */
static const char *const rules_other_keys[] = {
    "fact", "level", "unknown", "when-fact", "when-equals", "why", "fix",
};

/* why and fix are one line each, shown in a refusal and a manifest. */
#define RULES_MAX_TEXT 400
#define RULES_MAX_ID 64
#define RULES_MAX_LIST 64

static const char *const rules_type_names[] = {
    [RULES_FACT_STRING] = "a string",
    [RULES_FACT_INT] = "an integer",
    [RULES_FACT_BOOL] = "a boolean",
    [RULES_FACT_LIST] = "a list of strings",
};

const RulesFact *
rules_fact_lookup(const char *name)
{
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(rules_facts); i++) {
        if (g_str_equal(rules_facts[i].name, name))
            return &rules_facts[i];
    }
    return NULL;
}

const char *
rules_cond_key(RulesCond cond)
{
    g_assert((guint)cond < RULES_COND_LAST);
    return rules_conds[cond].key;
}

const char *
rules_result_name(RulesResult result)
{
    switch (result) {
    case RULES_RESULT_PASS:
        return "pass";
    case RULES_RESULT_WARN:
        return "warn";
    case RULES_RESULT_FAIL:
        return "fail";
    }
    g_assert_not_reached();
}

static void
rules_value_clear(RulesValue *v)
{
    g_clear_pointer(&v->s, g_free);
    g_clear_pointer(&v->list, g_strfreev);
}

void
rules_rule_free(gpointer data)
{
    RulesRule *rule = data;

    if (!rule)
        return;
    g_free(rule->id);
    rules_value_clear(&rule->value);
    rules_value_clear(&rule->when_value);
    g_free(rule->why);
    g_free(rule->fix);
    g_free(rule);
}

/* ---- values ------------------------------------------------------------- */

/* Reading a rule: the file, the group and the rule for every message. */
typedef struct {
    const char *path;
    const char *group;
    GKeyFile *kf;
} RulesCtx;

static gboolean
rules_invalid(const RulesCtx *c, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean
rules_invalid(const RulesCtx *c, GError **error, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID, "%s: [%s]: %s",
                c->path, c->group, msg);
    return FALSE;
}

/* A value as written (GKeyFile's escapes undone). */
static char *
rules_get_string(const RulesCtx *c, const char *key, GError **error)
{
    g_autoptr(GError) local = NULL;
    char *s = g_key_file_get_string(c->kf, c->group, key, &local);

    if (!s) {
        rules_invalid(c, error, "key '%s': %s", key, local->message);
        return NULL;
    }
    return s;
}

static gboolean
rules_text_ok(const char *s)
{
    const char *p;

    for (p = s; *p; p++) {
        if ((guchar)*p < 0x20)
            return FALSE;
    }
    return g_utf8_validate(s, -1, NULL);
}

/* An integer, or a size with a binary unit: "21", "16TiB", "4095 GiB". */
static gboolean
rules_parse_int(const RulesCtx *c, const char *key, const char *s,
                gint64 *out, GError **error)
{
    static const struct {
        const char *unit;
        guint shift;
    } units[] = {
        { "", 0 }, { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
    };
    guint64 n;
    char *end = NULL;
    gsize i;

    if (!g_ascii_isdigit(*s))
        goto bad;
    errno = 0;
    n = g_ascii_strtoull(s, &end, 10);
    if (errno)
        goto bad;
    while (*end == ' ')
        end++;
    for (i = 0; i < G_N_ELEMENTS(units); i++) {
        if (g_str_equal(end, units[i].unit)) {
            /* Facts are gint64 (JSON): the value must be one too. */
            if (n > ((guint64)G_MAXINT64 >> units[i].shift))
                goto bad;
            *out = (gint64)(n << units[i].shift);
            return TRUE;
        }
    }
bad:
    return rules_invalid(c, error,
                         "key '%s': '%s' is not a whole number of bytes "
                         "(digits, then optionally KiB, MiB, GiB or TiB)",
                         key, s);
}

static gboolean
rules_parse_bool(const RulesCtx *c, const char *key, const char *s,
                 gboolean *out, GError **error)
{
    if (g_str_equal(s, "true") || g_str_equal(s, "false")) {
        *out = g_str_equal(s, "true");
        return TRUE;
    }
    return rules_invalid(c, error, "key '%s': '%s' is not true or false", key,
                         s);
}

static gboolean
rules_parse_list(const RulesCtx *c, const char *key, char ***out,
                 GError **error)
{
    g_autoptr(GError) local = NULL;
    gsize n = 0, i;
    g_auto(GStrv) list = g_key_file_get_string_list(c->kf, c->group, key, &n,
                                                    &local);

    if (!list)
        return rules_invalid(c, error, "key '%s': %s", key, local->message);
    if (n == 0 || n > RULES_MAX_LIST)
        return rules_invalid(c, error, "key '%s': a list of 1 to %d values "
                             "is needed, not %" G_GSIZE_FORMAT, key,
                             RULES_MAX_LIST, n);
    for (i = 0; i < n; i++) {
        if (!*list[i] || !rules_text_ok(list[i]))
            return rules_invalid(c, error, "key '%s': value %" G_GSIZE_FORMAT
                                 " is empty or not one line of text", key,
                                 i + 1);
    }
    *out = g_steal_pointer(&list);
    return TRUE;
}

/* The operand of @key for a fact of @type, read as @operand says. */
static gboolean
rules_parse_value(const RulesCtx *c, const char *key, RulesOperand operand,
                  RulesFactType type, RulesValue *v, GError **error)
{
    g_autofree char *s = NULL;

    if (operand == OPERAND_LIST) {
        v->kind = RULES_VALUE_LIST;
        return rules_parse_list(c, key, &v->list, error);
    }
    s = rules_get_string(c, key, error);
    if (!s)
        return FALSE;
    if (operand == OPERAND_FACT) {
        switch (type) {
        case RULES_FACT_INT:
            operand = OPERAND_INT;
            break;
        case RULES_FACT_BOOL:
            v->kind = RULES_VALUE_BOOL;
            return rules_parse_bool(c, key, s, &v->b, error);
        default:
            operand = OPERAND_STRING;
            break;
        }
    }
    if (operand == OPERAND_INT) {
        v->kind = RULES_VALUE_INT;
        return rules_parse_int(c, key, s, &v->i, error);
    }
    if (!*s || !rules_text_ok(s))
        return rules_invalid(c, error, "key '%s': the value is empty or not "
                             "one line of text", key);
    v->kind = RULES_VALUE_STRING;
    v->s = g_steal_pointer(&s);
    return TRUE;
}

/* ---- one rule ----------------------------------------------------------- */

static gboolean
rules_known_key(const char *key)
{
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(rules_other_keys); i++) {
        if (g_str_equal(key, rules_other_keys[i]))
            return TRUE;
    }
    for (i = 0; i < G_N_ELEMENTS(rules_conds); i++) {
        if (g_str_equal(key, rules_conds[i].key))
            return TRUE;
    }
    return FALSE;
}

static gboolean
rules_parse_fact(const RulesCtx *c, const char *key, const RulesFact **out,
                 GError **error)
{
    g_autofree char *name = rules_get_string(c, key, error);

    if (!name)
        return FALSE;
    *out = rules_fact_lookup(name);
    if (!*out)
        return rules_invalid(c, error, "key '%s': '%s' is not a guest fact "
                             "(see docs/inspect.md)", key, name);
    return TRUE;
}

static gboolean
rules_parse_level(const RulesCtx *c, const char *key, gboolean allow_pass,
                  RulesResult *out, GError **error)
{
    g_autofree char *s = rules_get_string(c, key, error);

    if (!s)
        return FALSE;
    if (g_str_equal(s, "fail"))
        *out = RULES_RESULT_FAIL;
    else if (g_str_equal(s, "warn"))
        *out = RULES_RESULT_WARN;
    else if (allow_pass && g_str_equal(s, "pass"))
        *out = RULES_RESULT_PASS;
    else
        return rules_invalid(c, error, "key '%s': '%s' is not %s", key, s,
                             allow_pass ? "pass, warn or fail"
                                        : "fail or warn");
    return TRUE;
}

static char *
rules_parse_text(const RulesCtx *c, const char *key, GError **error)
{
    g_autofree char *s = NULL;

    if (!g_key_file_has_key(c->kf, c->group, key, NULL)) {
        rules_invalid(c, error, "key '%s' is missing", key);
        return NULL;
    }
    s = rules_get_string(c, key, error);
    if (!s)
        return NULL;
    if (!*s || strlen(s) > RULES_MAX_TEXT || !rules_text_ok(s)) {
        rules_invalid(c, error, "key '%s': one line of 1 to %d bytes is "
                      "needed", key, RULES_MAX_TEXT);
        return NULL;
    }
    return g_steal_pointer(&s);
}

/* The one condition key of the group. */
static gboolean
rules_find_cond(const RulesCtx *c, const RulesFact *fact, RulesCond *out,
                GError **error)
{
    gboolean found = FALSE;
    guint i;

    for (i = 0; i < RULES_COND_LAST; i++) {
        if (!g_key_file_has_key(c->kf, c->group, rules_conds[i].key, NULL))
            continue;
        if (found)
            return rules_invalid(c, error, "keys '%s' and '%s': a rule has "
                                 "one condition", rules_conds[*out].key,
                                 rules_conds[i].key);
        if (!(rules_conds[i].types & TYPE_BIT(fact->type)))
            return rules_invalid(c, error, "key '%s' does not apply to fact "
                                 "'%s' (%s)", rules_conds[i].key, fact->name,
                                 rules_type_names[fact->type]);
        *out = i;
        found = TRUE;
    }
    if (!found)
        return rules_invalid(c, error, "no condition: one of equals, "
                             "not-equals, in, not-in, max, min, contains, "
                             "not-contains, any-of, none-of, all-in, "
                             "count-max, count-min is needed");
    return TRUE;
}

static gboolean
rules_check_id(const RulesCtx *c, const char *id, GHashTable *seen,
               GError **error)
{
    const char *p;

    if (!*id || strlen(id) > RULES_MAX_ID)
        return rules_invalid(c, error, "a rule id of 1 to %d characters is "
                             "needed", RULES_MAX_ID);
    for (p = id; *p; p++) {
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '-')
            return rules_invalid(c, error, "rule id '%s': use a-z, 0-9 and "
                                 "'-' only", id);
    }
    if (g_hash_table_contains(seen, id))
        return rules_invalid(c, error, "rule id '%s' is used twice", id);
    return TRUE;
}

static RulesRule *
rules_parse_rule(const RulesCtx *c, const char *id, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) keys = g_key_file_get_keys(c->kf, c->group, NULL, &local);
    RulesRule *rule;
    g_autoptr(GPtrArray) hold = g_ptr_array_new_with_free_func(rules_rule_free);
    char **k;

    if (!keys) {
        rules_invalid(c, error, "%s", local->message);
        return NULL;
    }
    for (k = keys; *k; k++) {
        if (!rules_known_key(*k)) {
            rules_invalid(c, error, "unknown key '%s'", *k);
            return NULL;
        }
    }
    rule = g_new0(RulesRule, 1);
    g_ptr_array_add(hold, rule);   /* freed on every early return */
    rule->id = g_strdup(id);
    if (!g_key_file_has_key(c->kf, c->group, "fact", NULL)) {
        rules_invalid(c, error, "key 'fact' is missing");
        return NULL;
    }
    if (!rules_parse_fact(c, "fact", &rule->fact, error) ||
        !rules_find_cond(c, rule->fact, &rule->cond, error) ||
        !rules_parse_value(c, rules_conds[rule->cond].key,
                           rules_conds[rule->cond].operand, rule->fact->type,
                           &rule->value, error))
        return NULL;
    if (!g_key_file_has_key(c->kf, c->group, "level", NULL)) {
        rules_invalid(c, error, "key 'level' is missing");
        return NULL;
    }
    if (!rules_parse_level(c, "level", FALSE, &rule->level, error))
        return NULL;
    rule->unknown = RULES_RESULT_WARN;
    if (g_key_file_has_key(c->kf, c->group, "unknown", NULL) &&
        !rules_parse_level(c, "unknown", TRUE, &rule->unknown, error))
        return NULL;
    if (g_key_file_has_key(c->kf, c->group, "when-fact", NULL) !=
        g_key_file_has_key(c->kf, c->group, "when-equals", NULL)) {
        rules_invalid(c, error, "keys 'when-fact' and 'when-equals' go "
                      "together");
        return NULL;
    }
    if (g_key_file_has_key(c->kf, c->group, "when-fact", NULL)) {
        if (!rules_parse_fact(c, "when-fact", &rule->when_fact, error))
            return NULL;
        if (rule->when_fact->type == RULES_FACT_LIST) {
            rules_invalid(c, error, "key 'when-fact': '%s' is a list; "
                          "when-equals needs a string, integer or boolean",
                          rule->when_fact->name);
            return NULL;
        }
        if (!rules_parse_value(c, "when-equals", OPERAND_FACT,
                               rule->when_fact->type, &rule->when_value,
                               error))
            return NULL;
    }
    rule->why = rules_parse_text(c, "why", error);
    if (!rule->why)
        return NULL;
    rule->fix = rules_parse_text(c, "fix", error);
    if (!rule->fix)
        return NULL;
    return g_ptr_array_steal_index(hold, 0);
}

gboolean
rules_parse(FerryRules *rules, const char *path, const char *data, gsize len,
            GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_auto(GStrv) groups = NULL;
    char **g;

    if (!g_utf8_validate(data, (gssize)len, NULL) || memchr(data, 0, len)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: not UTF-8 text", path);
        return FALSE;
    }
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID, "%s: %s", path,
                    local->message);
        return FALSE;
    }
    groups = g_key_file_get_groups(kf, NULL);
    for (g = groups; *g; g++) {
        RulesCtx c = { path, *g, kf };
        RulesRule *rule;

        if (!g_str_has_prefix(*g, "rule ")) {
            rules_invalid(&c, error, "unknown group: each group is "
                          "[rule ID]");
            return FALSE;
        }
        if (!rules_check_id(&c, *g + 5, seen, error))
            return FALSE;
        rule = rules_parse_rule(&c, *g + 5, error);
        if (!rule)
            return FALSE;
        g_ptr_array_add(rules->rules, rule);
        g_hash_table_add(seen, rule->id);
    }
    if (rules->rules->len == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: no [rule ID] group", path);
        return FALSE;
    }
    return TRUE;
}
