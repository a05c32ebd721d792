/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbus-auth.c: the authorization table (agent/authz.c) applied to a D-Bus
 * call, off the main loop.  The caller's uid comes from the bus
 * (org.freedesktop.DBus.GetConnectionUnixUser, which the bus daemon knows
 * from the socket's credentials; a peer-to-peer connection's own
 * credentials otherwise).  uid 0 and members of the configured group
 * ("ferry") hold every action but manage-other-jobs; anyone else is asked
 * about through polkit's CheckAuthorization when the agent is on the
 * system bus and polkit answers there.  polkit is optional: when it is not
 * installed or not running, the answer is no.  The bus policy
 * (data/org.ferry.Agent1.conf) is a first fence; this is the one that
 * counts.
 *
 * The look-ups block (the bus daemon, NSS for the group, polkit for up to
 * AGENT_AUTH_TIMEOUT_MS), so the whole decision runs in a GTask thread and
 * the handler continues in its callback: one slow caller never stalls the
 * others, nor the progress timer.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "agent/dbus-priv.h"

#define AGENT_AUTH_TIMEOUT_MS (25 * 1000)
/* getpwuid_r()/getgrnam_r() buffers start at sysconf's hint (or 1 KiB)
 * and double on ERANGE up to this: a group of 100,000 members lists ~1 MiB
 * of names. */
#define AGENT_AUTH_MAX_BUFFER (16 * 1024 * 1024)
/* getgrouplist() arrays grow to what it asks for, up to this (Linux's
 * NGROUPS_MAX is 65536). */
#define AGENT_AUTH_MAX_GROUPS 65536

static gboolean
agent_auth_fix_error(GError **error, const char *sender)
{
    g_prefix_error(error, "caller %s: ", sender);
    if (error && *error) {
        (*error)->domain = FERRY_ERROR;
        (*error)->code = FERRY_ERROR_AUTH;
    }
    return FALSE;
}

/* Blocks on the bus daemon: a thread, or a caller that may wait. */
static gboolean
agent_auth_caller_uid(GDBusConnection *conn, const char *sender, uid_t *uid,
                      GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    guint32 u;

    if (!sender) {
        GCredentials *creds = g_dbus_connection_get_peer_credentials(conn);
        uid_t peer =
            creds ? g_credentials_get_unix_user(creds, NULL) : (uid_t)-1;

        if (peer == (uid_t)-1) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                        "the caller's credentials are unknown");
            return FALSE;
        }
        *uid = peer;
        return TRUE;
    }
    reply = g_dbus_connection_call_sync(
        conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
        "org.freedesktop.DBus", "GetConnectionUnixUser",
        g_variant_new("(s)", sender), G_VARIANT_TYPE("(u)"),
        G_DBUS_CALL_FLAGS_NONE, AGENT_AUTH_TIMEOUT_MS, NULL, error);
    if (!reply)
        return agent_auth_fix_error(error, sender);
    g_variant_get(reply, "(u)", &u);
    *uid = u;
    return TRUE;
}

static gsize
agent_auth_initial_buffer(int name)
{
    long hint = sysconf(name);

    return hint > 0 && hint < AGENT_AUTH_MAX_BUFFER ? (gsize)hint : 1024;
}

static gboolean
agent_auth_getpwuid(uid_t uid, struct passwd *pw, char **buf)
{
    gsize size = agent_auth_initial_buffer(_SC_GETPW_R_SIZE_MAX);
    struct passwd *result = NULL;
    int rc;

    for (;;) {
        *buf = g_realloc(*buf, size);
        rc = getpwuid_r(uid, pw, *buf, size, &result);
        if (rc != ERANGE || size >= AGENT_AUTH_MAX_BUFFER)
            break;
        size *= 2;
    }
    if (rc != 0 || !result) {
        g_debug("getpwuid_r(%u): %s", (guint)uid,
                rc ? g_strerror(rc) : "no such user");
        return FALSE;
    }
    return TRUE;
}

static gboolean
agent_auth_getgrnam(const char *name, struct group *gr, char **buf)
{
    gsize size = agent_auth_initial_buffer(_SC_GETGR_R_SIZE_MAX);
    struct group *result = NULL;
    int rc;

    for (;;) {
        *buf = g_realloc(*buf, size);
        rc = getgrnam_r(name, gr, *buf, size, &result);
        if (rc != ERANGE || size >= AGENT_AUTH_MAX_BUFFER)
            break;
        size *= 2;
    }
    if (rc != 0 || !result) {
        g_debug("getgrnam_r(%s): %s", name,
                rc ? g_strerror(rc) : "no such group");
        return FALSE;
    }
    return TRUE;
}

/* Whether @uid is in @group, as its primary group or a supplementary one;
 * every look-up grows its buffer until it fits, so a large group or a
 * user in many groups is judged on all of them. */
static gboolean
agent_auth_in_group(uid_t uid, const char *group)
{
    struct passwd pw;
    struct group gr;
    g_autofree char *pwbuf = NULL;
    g_autofree char *grbuf = NULL;
    g_autofree gid_t *groups = NULL;
    int n = 64, i;

    if (!group || !agent_auth_getgrnam(group, &gr, &grbuf) ||
        !agent_auth_getpwuid(uid, &pw, &pwbuf))
        return FALSE;
    if (pw.pw_gid == gr.gr_gid)
        return TRUE;
    for (;;) {
        int want = n;

        groups = g_renew(gid_t, groups, n);
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) >= 0)
            break;
        /* -1: n now says how many there are. */
        if (n <= want)
            n = want * 2;
        if (n > AGENT_AUTH_MAX_GROUPS) {
            g_warning("user %s is in more than %d groups", pw.pw_name,
                      AGENT_AUTH_MAX_GROUPS);
            return FALSE;
        }
    }
    for (i = 0; i < n; i++) {
        if (groups[i] == gr.gr_gid)
            return TRUE;
    }
    return FALSE;
}

/* TRUE only if polkit answers and says yes; no polkit is a no. */
static gboolean
agent_auth_polkit(AgentService *svc, const char *sender, const char *action)
{
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) error = NULL;
    GVariantBuilder subject, details;
    gboolean authorized = FALSE, challenge = FALSE;

    if (!svc->system_bus || !sender || !action)
        return FALSE;
    g_variant_builder_init(&subject, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&subject, "{sv}", "name",
                          g_variant_new_string(sender));
    g_variant_builder_init(&details, G_VARIANT_TYPE("a{ss}"));
    reply = g_dbus_connection_call_sync(
        svc->conn, "org.freedesktop.PolicyKit1",
        "/org/freedesktop/PolicyKit1/Authority",
        "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
        g_variant_new("((sa{sv})sa{ss}us)", "system-bus-name", &subject, action,
                      &details, 0u, ""),
        G_VARIANT_TYPE("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE,
        AGENT_AUTH_TIMEOUT_MS, NULL, &error);
    if (!reply) {
        g_debug("polkit: %s", error->message);
        return FALSE;
    }
    g_variant_get(reply, "((bb@a{ss}))", &authorized, &challenge, NULL);
    return authorized;
}

/* ---- the decision ------------------------------------------------------- */

typedef struct {
    AgentService *svc;
    GDBusConnection *conn;
    char *sender;                  /* NULL on a peer-to-peer connection */
    AgentMethod method;
    GVariant *options;             /* a{sv}, or NULL */
    gint64 owner;                  /* the job's uid, or -1 */
    uid_t uid;                     /* the answer */
} AuthCall;

static void
auth_call_free(gpointer data)
{
    AuthCall *call = data;

    g_object_unref(call->conn);
    g_free(call->sender);
    g_clear_pointer(&call->options, g_variant_unref);
    g_free(call);
}

/* Whether the caller holds @action: root, the group, or polkit. */
static gboolean
auth_holds(AuthCall *call, const char *action, gboolean *group_checked,
           gboolean *in_group)
{
    if (call->uid == 0 || !action)
        return TRUE;
    if (!*group_checked) {
        *in_group = agent_auth_in_group(call->uid, call->svc->config->group);
        *group_checked = TRUE;
    }
    return *in_group || agent_auth_polkit(call->svc, call->sender, action);
}

static gboolean
auth_refuse(AuthCall *call, const char *action, GError **error)
{
    const char *verb = agent_method_name(call->method);

    g_info("%s refused to uid %u (%s)", verb, (guint)call->uid,
           call->sender ? call->sender : "peer");
    g_set_error(
        error, FERRY_ERROR, FERRY_ERROR_AUTH,
        "%s: caller uid %u is not allowed: not root, not in group '%s', "
        "and polkit did not authorize %s",
        verb, (guint)call->uid, call->svc->config->group, action);
    return FALSE;
}

/* The effective [agent] connect: what anyone may name. */
static const char *
auth_configured_uri(AgentService *svc)
{
    return svc->config->connect ? svc->config->connect
                                : agent_inventory_default_uri();
}

static gboolean
auth_check_option(AuthCall *call, const char *key, GVariant *value,
                  gboolean *group_checked, gboolean *in_group, GError **error)
{
    const char *verb = agent_method_name(call->method);
    const AgentAuthzRule *rule = agent_authz_lookup(call->method, key);

    if (!rule) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: option '%s' is unknown", verb, key);
        return FALSE;
    }
    if (rule->root_only && call->uid != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH, "%s: option '%s': %s",
                    verb, key, rule->why ? rule->why : "only root may use it");
        return FALSE;
    }
    if (rule->action &&
        !auth_holds(call, rule->action, group_checked, in_group)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: option '%s': caller uid %u is not allowed", verb, key,
                    (guint)call->uid);
        return FALSE;
    }
    if (rule->value == AGENT_AUTHZ_VALUE_LIBVIRT_URI &&
        g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
        const char *uri = g_variant_get_string(value, NULL);
        g_autofree char *what = g_strdup_printf("%s: option '%s'", verb, key);

        /* "" means the default, as if absent. */
        if (!*uri || g_str_equal(uri, auth_configured_uri(call->svc)))
            return TRUE;
        if (call->uid != 0) {
            g_set_error(
                error, FERRY_ERROR, FERRY_ERROR_AUTH,
                "%s: only root may name a libvirt URI other than [agent] "
                "connect ('%s')",
                what, auth_configured_uri(call->svc));
            return FALSE;
        }
        return agent_authz_check_libvirt_uri(
            what, uri, call->svc->config->allow_test_driver, error);
    }
    return TRUE;
}

static gboolean
auth_decide(AuthCall *call, GError **error)
{
    const AgentAuthzRule *rule = agent_authz_lookup(call->method, NULL);
    gboolean group_checked = FALSE, in_group = FALSE;

    if (!agent_auth_caller_uid(call->conn, call->sender, &call->uid, error))
        return FALSE;
    /* Default deny: a method without a row is nobody's. */
    if (!rule || (rule->root_only && call->uid != 0))
        return auth_refuse(call, "(no action: root only)", error);
    if (!auth_holds(call, rule->action, &group_checked, &in_group))
        return auth_refuse(call, rule->action, error);
    /* Someone else's job: root or the other-jobs action; the group does
     * not count (udisks' cancel-job-other-user). */
    if (call->owner >= 0 && (uid_t)call->owner != call->uid && call->uid != 0 &&
        rule->other_action &&
        !agent_auth_polkit(call->svc, call->sender, rule->other_action)) {
        g_info("%s of a job of uid %" G_GINT64_FORMAT " refused to uid %u",
               agent_method_name(call->method), call->owner, (guint)call->uid);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: the job belongs to uid %" G_GINT64_FORMAT
                    ", and polkit did not "
                    "authorize %s for caller uid %u",
                    agent_method_name(call->method), call->owner,
                    rule->other_action, (guint)call->uid);
        return FALSE;
    }
    if (call->options) {
        GVariantIter iter;
        const char *key;
        GVariant *value;

        g_variant_iter_init(&iter, call->options);
        while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
            g_autoptr(GVariant) owned = value;

            if (!auth_check_option(call, key, value, &group_checked, &in_group,
                                   error))
                return FALSE;
        }
    }
    return TRUE;
}

static void
auth_thread(GTask *task, gpointer source, gpointer data,
            GCancellable *cancellable)
{
    AuthCall *call = data;
    GError *error = NULL;

    if (!auth_decide(call, &error))
        g_task_return_error(task, error);
    else
        g_task_return_boolean(task, TRUE);
}

void
agent_dbus_authorize_async(AgentService *svc, GDBusMethodInvocation *invocation,
                           AgentMethod method, GVariant *options, gint64 owner,
                           GAsyncReadyCallback callback, gpointer data)
{
    g_autoptr(GTask) task = g_task_new(NULL, NULL, callback, data);
    AuthCall *call = g_new0(AuthCall, 1);

    call->svc = svc;
    call->conn =
        g_object_ref(g_dbus_method_invocation_get_connection(invocation));
    call->sender = g_strdup(g_dbus_method_invocation_get_sender(invocation));
    call->method = method;
    call->options = options ? g_variant_ref(options) : NULL;
    call->owner = owner;
    g_task_set_task_data(task, call, auth_call_free);
    g_task_run_in_thread(task, auth_thread);
}

gboolean
agent_dbus_authorize_finish(GAsyncResult *result, uid_t *uid, GError **error)
{
    AuthCall *call = g_task_get_task_data(G_TASK(result));

    if (!g_task_propagate_boolean(G_TASK(result), error))
        return FALSE;
    if (uid)
        *uid = call->uid;
    return TRUE;
}
