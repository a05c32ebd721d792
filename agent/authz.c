/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * authz.c: who may call what, in one table (see authz-priv.h).  The agent
 * runs as root: a caller must not get it to open a libvirt URI of the
 * caller's choosing (libvirt's "ext" transport runs the program named by
 * ?command=, the test driver parses any file), to write into a directory
 * of the caller's choosing, or to read files for the caller.  So:
 *
 *   - every method and every option has a row; no row, no call (udisks'
 *     handlers each name one polkit action; here the table names them);
 *   - a libvirt URI other than [agent] connect is root's only, and even
 *     root's is refused when it runs a program or names a socket;
 *   - a caller other than root exports into [agent] pools or over SSH.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/authz-priv.h"

static const struct {
    const char *dbus;              /* member name */
    const char *stdio;             /* `ferry serve --stdio` method, or NULL */
} agent_methods[] = {
    [AGENT_METHOD_LIST_VMS] = { "ListImportableVms", "list" },
    [AGENT_METHOD_EXPORT] = { "Export", "export" },
    [AGENT_METHOD_LIST_JOBS] = { "ListJobs", "jobs" },
    [AGENT_METHOD_CANCEL] = { "Cancel", "cancel" },
    [AGENT_METHOD_RESUME] = { "Resume", "resume" },
    [AGENT_METHOD_GET_DETAILS] = { "GetDetails", NULL },
    [AGENT_METHOD_WATCH] = { "watch", "watch" },
};
G_STATIC_ASSERT(G_N_ELEMENTS(agent_methods) == AGENT_METHOD_LAST);

#define MANAGE AGENT_POLKIT_ACTION_MANAGE
#define OTHER AGENT_POLKIT_ACTION_MANAGE_OTHER
#define FILES "only root may name files for the agent to read"

/* Rows of one method stay together, the method's own row first. */
static const AgentAuthzRule agent_authz_rules[] = {
    { AGENT_METHOD_LIST_VMS, NULL, NULL, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_LIST_VMS, "uri", NULL, NULL, FALSE,
      AGENT_AUTHZ_VALUE_LIBVIRT_URI, NULL },
    { AGENT_METHOD_LIST_VMS, "all", NULL, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },

    { AGENT_METHOD_EXPORT, NULL, MANAGE, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_EXPORT, "kind", MANAGE, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_EXPORT, "disks", MANAGE, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_EXPORT, "connect", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_LIBVIRT_URI, NULL },
    { AGENT_METHOD_EXPORT, "format", MANAGE, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_EXPORT, "options", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "name", MANAGE, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_EXPORT, "bwlimit", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    /* Readiness rules: "for" names one of the installed rules files
     * (checked against ferry_rules_targets(), never a path), "force"
     * exports past a failed rule; neither reaches beyond the caller's own
     * export. */
    { AGENT_METHOD_EXPORT, "for", MANAGE, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_EXPORT, "force", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    /* Connections to the target the caller names anyway; the value is
     * bounded (TARGET_MAX_STREAMS) by the export kind's check. */
    { AGENT_METHOD_EXPORT, "streams", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    /* A caller other than root records keys in the agent's own known_hosts
     * (<state dir>/known_hosts), never in root's: see agent/dbus.c. */
    { AGENT_METHOD_EXPORT, "accept-new", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "host-key", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    /* Read (known-hosts also written) by the agent as root: a key or a
     * password sent to a host of the caller's choosing otherwise. */
    { AGENT_METHOD_EXPORT, "known-hosts", MANAGE, NULL, TRUE,
      AGENT_AUTHZ_VALUE_ANY,
      FILES "; set [export] known-hosts in ferry.conf instead" },
    { AGENT_METHOD_EXPORT, "identity", MANAGE, NULL, TRUE,
      AGENT_AUTHZ_VALUE_ANY,
      FILES "; set [export] identity in ferry.conf instead" },
    { AGENT_METHOD_EXPORT, "password-file", MANAGE, NULL, TRUE,
      AGENT_AUTHZ_VALUE_ANY,
      FILES "; set [export] password-file in ferry.conf instead" },

    /* aws:// only.  None names credentials, a profile or an endpoint: the
     * agent signs with the keys of its own environment or profile, and
     * aws:// itself is root's only (agent_authz_check_pool()). */
    { AGENT_METHOD_EXPORT, "method", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "role", MANAGE, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_EXPORT, "keep-objects", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "no-import", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "license-type", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "platform", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "poll-interval", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },

    /* cloudstack:// only (root's only, agent_authz_check_pool()).  The key
     * files are read by the agent as root, as identity is. */
    { AGENT_METHOD_EXPORT, "service-offering", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "network", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "disk-offering", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "api-key-file", MANAGE, NULL, TRUE,
      AGENT_AUTHZ_VALUE_ANY, FILES },
    { AGENT_METHOD_EXPORT, "secret-key-file", MANAGE, NULL, TRUE,
      AGENT_AUTHZ_VALUE_ANY, FILES },

    /* azure:// and azure-disk:// only (root's only,
     * agent_authz_check_pool()): replace blobs, disks or the image of the
     * same name; the managed disks' options; the directory the agent
     * writes azure-disk://'s manifest in, as root. */
    { AGENT_METHOD_EXPORT, "overwrite", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "os-type", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "image", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "keep", MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "manifest-dir", MANAGE, NULL, TRUE,
      AGENT_AUTHZ_VALUE_ANY,
      "only root may name a directory for the agent to write in" },

    { AGENT_METHOD_LIST_JOBS, NULL, NULL, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },

    /* udisks' cancel-job-other-user: someone else's job is another action. */
    { AGENT_METHOD_CANCEL, NULL, MANAGE, OTHER, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    { AGENT_METHOD_RESUME, NULL, MANAGE, OTHER, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
    /* Targets, paths and errors: the owner's, root's, or with the action. */
    { AGENT_METHOD_GET_DETAILS, NULL, NULL, OTHER, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },

    { AGENT_METHOD_WATCH, NULL, NULL, NULL, FALSE, AGENT_AUTHZ_VALUE_ANY,
      NULL },
};

#undef MANAGE
#undef OTHER
#undef FILES

const char *
agent_method_name(AgentMethod method)
{
    g_return_val_if_fail((guint)method < AGENT_METHOD_LAST, "?");
    return agent_methods[method].dbus;
}

gboolean
agent_method_from_stdio(const char *name, AgentMethod *method)
{
    guint i;

    for (i = 0; i < AGENT_METHOD_LAST; i++) {
        if (agent_methods[i].stdio &&
            g_str_equal(name, agent_methods[i].stdio)) {
            *method = i;
            return TRUE;
        }
    }
    return FALSE;
}

/* Rows a test build adds for its job kinds' options (tests/tools'
 * ferry-agent-test): set once at startup, read-only after.  The installed
 * agent has none, so the test kinds' options do not exist there. */
static const AgentAuthzRule *agent_authz_extra_rules;
static gsize agent_authz_n_extra_rules;

void
agent_authz_set_extra_rules(const AgentAuthzRule *rules, gsize n_rules)
{
    agent_authz_extra_rules = rules;
    agent_authz_n_extra_rules = n_rules;
}

static const AgentAuthzRule *
agent_authz_find(const AgentAuthzRule *rules, gsize n_rules, AgentMethod method,
                 const char *option)
{
    gsize i;

    for (i = 0; i < n_rules; i++) {
        if (rules[i].method == method &&
            g_strcmp0(rules[i].option, option) == 0)
            return &rules[i];
    }
    return NULL;
}

const AgentAuthzRule *
agent_authz_lookup(AgentMethod method, const char *option)
{
    const AgentAuthzRule *r = agent_authz_find(agent_authz_rules,
                                               G_N_ELEMENTS(agent_authz_rules),
                                               method, option);

    if (!r && option)
        r = agent_authz_find(agent_authz_extra_rules, agent_authz_n_extra_rules,
                             method, option);
    return r;
}

/* ---- values -------------------------------------------------------------- */

/* libvirt's URI parameters that make the client (the agent) run a program
 * or connect to a path: the ext transport's command, the unix transport's
 * socket.  libvirt compares their names case-insensitively, after
 * unescaping, and splits on '&' and ';' (virURIParseParams). */
static const char *const agent_authz_uri_params[] = { "command", "socket" };

gboolean
agent_authz_check_libvirt_uri(const char *what, const char *uri,
                              gboolean allow_test, GError **error)
{
    g_autoptr(GUri) u = NULL;
    g_autoptr(GHashTable) params = NULL;
    g_autofree char *driver = NULL;
    const char *scheme, *plus, *query;
    GHashTableIter iter;
    gpointer key;
    gsize i;

    if (!ferry_check_text(what, uri, 4096, error))
        return FALSE;
    u = g_uri_parse(uri, G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS, NULL);
    if (!u || !strstr(uri, "://")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: '%s' is not a libvirt URI (driver[+transport]://...)",
                    what, uri);
        return FALSE;
    }
    scheme = g_uri_get_scheme(u);
    plus = strchr(scheme, '+');
    driver = plus ? g_strndup(scheme, plus - scheme) : g_strdup(scheme);
    if (plus && g_ascii_strcasecmp(plus + 1, "ext") == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: '%s': the ext transport runs a program and is refused",
                    what, uri);
        return FALSE;
    }
    if (g_ascii_strcasecmp(driver, "test") == 0 && !allow_test) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: '%s': the test driver reads any file and is refused "
                    "(see [agent] allow-test-driver)", what, uri);
        return FALSE;
    }
    query = g_uri_get_query(u);
    if (!query || !*query)
        return TRUE;
    params = g_uri_parse_params(query, -1, "&;", G_URI_PARAMS_NONE, NULL);
    if (!params) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: '%s': the query cannot be parsed", what, uri);
        return FALSE;
    }
    g_hash_table_iter_init(&iter, params);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        for (i = 0; i < G_N_ELEMENTS(agent_authz_uri_params); i++) {
            if (g_ascii_strcasecmp(key, agent_authz_uri_params[i]) == 0) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                            "%s: '%s': the parameter '%s' is refused", what,
                            uri, agent_authz_uri_params[i]);
                return FALSE;
            }
        }
    }
    return TRUE;
}

/* @path (canonical) is @pool or below it. */
static gboolean
agent_authz_path_in(const char *path, const char *pool)
{
    gsize n = strlen(pool);

    if (g_str_equal(pool, "/"))
        return TRUE;
    return strncmp(path, pool, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

char *
agent_authz_check_pool(const char *target, const char *const *pools,
                       GError **error)
{
    g_autoptr(GUri) u = NULL;
    g_autofree char *real = NULL;
    g_autofree char *escaped = NULL;
    const char *scheme, *path;
    gsize i;

    if (!ferry_check_text("target", target, 4096, error))
        return NULL;
    u = g_uri_parse(target, G_URI_FLAGS_NONE, NULL);
    scheme = u ? g_uri_get_scheme(u) : NULL;
    if (scheme && g_ascii_strcasecmp(scheme, "ssh") == 0)
        return g_strdup(target);
    if (scheme && g_ascii_strcasecmp(scheme, "aws") == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "target '%s': only root may export to aws://: the agent "
                    "would spend its own AWS credentials", target);
        return NULL;
    }
    if (!scheme || g_ascii_strcasecmp(scheme, "file") != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "target '%s': only root may export to other than file:// "
                    "pools of [agent] pools and ssh:// targets", target);
        return NULL;
    }
    path = g_uri_get_path(u);
    /* The path decoded: "%0a" is a newline too. */
    if (!ferry_check_text("target path", path, 4096, error))
        return NULL;
    real = realpath(path, NULL);
    if (!real) {
        int err = errno;

        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "target '%s': realpath: %s: %s", target, path,
                    g_strerror(err));
        return NULL;
    }
    for (i = 0; pools && pools[i]; i++) {
        g_autofree char *pool = realpath(pools[i], NULL);

        if (pool && agent_authz_path_in(real, pool)) {
            escaped = g_uri_escape_string(real, "/", FALSE);
            return g_strdup_printf("file://%s", escaped);
        }
    }
    g_set_error(
        error, FERRY_ERROR, FERRY_ERROR_AUTH,
        "target '%s': '%s' is not in a pool of [agent] pools; only root "
        "may export elsewhere",
        target, real);
    return NULL;
}
