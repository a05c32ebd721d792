/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rules.c: placeholder until the rules land (replaced whole). */
#include <config.h>

#include "conv/conv.h"
#include "inspect/rules.h"

struct _FerryRules {
    char *target;
};

const char *const *
ferry_rules_targets(void)
{
    static const char *const targets[] = { "aws", "azure", "cloudstack", "sce", NULL };
    return targets;
}

FerryRules *
ferry_rules_load(const char *target, const char *dir, GError **error)
{
    (void)dir;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                "no readiness rules for '%s' are built in", target);
    return NULL;
}

void
ferry_rules_free(FerryRules *rules)
{
    if (!rules)
        return;
    g_free(rules->target);
    g_free(rules);
}

JsonObject *
ferry_rules_check(const FerryRules *rules, JsonObject *guest)
{
    (void)rules;
    (void)guest;
    return json_object_new();
}
