/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rules-priv.h: the rule language's pieces, shared by the loader
 * (inspect/rules-load.c) and the checker (inspect/rules.c).  The language
 * itself is described in docs/inspect.md ("Rules").
 */
#pragma once

#include "inspect/rules.h"

/* A rules file is a few dozen short groups; 64 KiB is ten times the
 * largest shipped one and keeps a wrong path (a disk image) from being
 * read whole. */
#define RULES_MAX_FILE_BYTES (64 * 1024)

typedef enum {
    RULES_FACT_STRING,
    RULES_FACT_INT,
    RULES_FACT_BOOL,
    RULES_FACT_LIST,           /* of strings */
} RulesFactType;

/* A key of the "guest" facts (docs/inspect.md, "The facts"). */
typedef struct {
    const char *name;
    RulesFactType type;
} RulesFact;

typedef enum {
    RULES_COND_EQUALS,         /* string, int, bool */
    RULES_COND_NOT_EQUALS,     /* string, int, bool */
    RULES_COND_IN,             /* string: one of the list */
    RULES_COND_NOT_IN,         /* string: none of the list */
    RULES_COND_MAX,            /* int: <= value */
    RULES_COND_MIN,            /* int: >= value */
    RULES_COND_CONTAINS,       /* list: holds the value */
    RULES_COND_NOT_CONTAINS,   /* list: does not hold it */
    RULES_COND_ANY_OF,         /* list: holds at least one of the list */
    RULES_COND_NONE_OF,        /* list: holds none of the list */
    RULES_COND_ALL_IN,         /* list: every element is one of the list */
    RULES_COND_COUNT_MAX,      /* list: at most value elements */
    RULES_COND_COUNT_MIN,      /* list: at least value elements */
    RULES_COND_LAST
} RulesCond;

typedef enum {
    RULES_RESULT_PASS,
    RULES_RESULT_WARN,
    RULES_RESULT_FAIL,
} RulesResult;

/* A condition's operand, as its key's kind says. */
typedef enum {
    RULES_VALUE_STRING,
    RULES_VALUE_INT,
    RULES_VALUE_BOOL,
    RULES_VALUE_LIST,
} RulesValueKind;

typedef struct {
    RulesValueKind kind;
    char *s;                   /* _STRING */
    gint64 i;                  /* _INT */
    gboolean b;                /* _BOOL */
    char **list;               /* _LIST */
} RulesValue;

typedef struct {
    char *id;                  /* from [rule ID] */
    const RulesFact *fact;
    RulesCond cond;
    RulesValue value;
    RulesResult level;         /* fail or warn, when the condition fails */
    RulesResult unknown;       /* when the fact (or when-fact) is null */
    const RulesFact *when_fact;    /* NULL: always applies */
    RulesValue when_value;         /* applies when when_fact equals it */
    char *why;
    char *fix;
} RulesRule;

struct _FerryRules {
    char *target;
    char *path;
    GPtrArray *rules;          /* of RulesRule, in file order */
};

const RulesFact *rules_fact_lookup(const char *name);
const char *rules_cond_key(RulesCond cond);
const char *rules_result_name(RulesResult result);
void rules_rule_free(gpointer rule);

/* Parses @data (from @path, for messages) into @rules->rules. */
gboolean rules_parse(FerryRules *rules, const char *path, const char *data,
                     gsize len, GError **error);
