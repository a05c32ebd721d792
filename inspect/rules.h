/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rules.h: a target's readiness rules (data/rules/<target>.conf), checked
 * against the "guest" facts of an inspection report (docs/inspect.md).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _FerryRules FerryRules;

/* Targets with a rules file: "aws", "azure", "cloudstack", "sce". */
const char *const *ferry_rules_targets(void);

/* Loads <dir>/<target>.conf; @dir NULL means $FERRY_RULES_DIR, else the
 * installed rules directory.  An unknown target is FERRY_ERROR_INVALID; a
 * bad file is FERRY_ERROR_INVALID naming the file, group and key. */
FerryRules *ferry_rules_load(const char *target, const char *dir,
                             GError **error);
void ferry_rules_free(FerryRules *rules);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryRules, ferry_rules_free)

/* {"target", "verdict": pass|warn|fail, "rules": [{id, result, why, fix}]}
 * for the "guest" object of a report. */
JsonObject *ferry_rules_check(const FerryRules *rules, JsonObject *guest);

G_END_DECLS
