/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbus-auth.c: who may change things.  The caller's uid comes from the bus
 * (org.freedesktop.DBus.GetConnectionUnixUser, which the bus daemon knows
 * from the socket's credentials; a peer-to-peer connection's own
 * credentials otherwise).  uid 0 and members of the configured group
 * ("ferry") may; anyone else is asked about through polkit's
 * CheckAuthorization when the agent is on the system bus and polkit
 * answers there.  polkit is optional: when it is not installed or not
 * running, the uid/group rule alone decides.  The bus policy
 * (data/org.ferry.Agent1.conf) is a first fence; this is the one that
 * counts.
 */
#include <config.h>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "agent/dbus-priv.h"

/* Callers in more groups than this are judged on the first ones only. */
#define AGENT_AUTH_MAX_GROUPS 1024
#define AGENT_AUTH_TIMEOUT_MS (25 * 1000)

gboolean
agent_dbus_caller_uid(GDBusMethodInvocation *invocation, uid_t *uid, GError **error)
{
    GDBusConnection *conn = g_dbus_method_invocation_get_connection(invocation);
    const char *sender = g_dbus_method_invocation_get_sender(invocation);
    g_autoptr(GVariant) reply = NULL;
    guint32 u;

    if (!sender) {
        GCredentials *creds = g_dbus_connection_get_peer_credentials(conn);
        uid_t peer = creds ? g_credentials_get_unix_user(creds, NULL) : (uid_t)-1;

        if (peer == (uid_t)-1) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                        "the caller's credentials are unknown");
            return FALSE;
        }
        *uid = peer;
        return TRUE;
    }
    reply = g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "GetConnectionUnixUser",
                                        g_variant_new("(s)", sender), G_VARIANT_TYPE("(u)"),
                                        G_DBUS_CALL_FLAGS_NONE, AGENT_AUTH_TIMEOUT_MS,
                                        NULL, error);
    if (!reply) {
        g_prefix_error(error, "caller %s: ", sender);
        if (error && *error) {
            (*error)->domain = FERRY_ERROR;
            (*error)->code = FERRY_ERROR_AUTH;
        }
        return FALSE;
    }
    g_variant_get(reply, "(u)", &u);
    *uid = u;
    return TRUE;
}

static gboolean
agent_auth_in_group(uid_t uid, const char *group)
{
    struct passwd pw, *pwp = NULL;
    struct group gr, *grp = NULL;
    char pwbuf[4096], grbuf[16384];
    gid_t groups[AGENT_AUTH_MAX_GROUPS];
    int n = G_N_ELEMENTS(groups), i;

    if (!group || getgrnam_r(group, &gr, grbuf, sizeof(grbuf), &grp) != 0 || !grp)
        return FALSE;
    if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp)
        return FALSE;
    if (pw.pw_gid == gr.gr_gid)
        return TRUE;
    /* -1 when there are more: the first n are filled in all the same. */
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
        n = G_N_ELEMENTS(groups);
    for (i = 0; i < n && i < (int)G_N_ELEMENTS(groups); i++) {
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

    if (!svc->system_bus || !sender)
        return FALSE;
    g_variant_builder_init(&subject, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&subject, "{sv}", "name", g_variant_new_string(sender));
    g_variant_builder_init(&details, G_VARIANT_TYPE("a{ss}"));
    reply = g_dbus_connection_call_sync(svc->conn, "org.freedesktop.PolicyKit1",
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

gboolean
agent_dbus_authorize(AgentService *svc, GDBusMethodInvocation *invocation,
                     const char *action, const char *verb, GError **error)
{
    const char *sender = g_dbus_method_invocation_get_sender(invocation);
    const char *group = svc->config->group;
    uid_t uid;

    if (!agent_dbus_caller_uid(invocation, &uid, error))
        return FALSE;
    if (uid == 0 || agent_auth_in_group(uid, group) ||
        agent_auth_polkit(svc, sender, action))
        return TRUE;
    g_info("%s refused to uid %u (%s)", verb, (guint)uid, sender ? sender : "peer");
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                "%s: caller uid %u is not allowed: not root, not in group '%s', "
                "and polkit did not authorize %s", verb, (guint)uid, group, action);
    return FALSE;
}
