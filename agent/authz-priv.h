/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * authz-priv.h: the one table that says who may call what (agent/authz.c).
 * Every method of the agent, by its D-Bus and its stdio name, and every key
 * of its a{sv} options has a row naming the polkit action it needs (NULL:
 * open to every caller the bus lets through) and whether only root may use
 * it.  What has no row does not exist: the D-Bus service refuses an unknown
 * option, the stdio service an unknown method (default deny).  The daemon
 * applies the table in agent/dbus-auth.c, off the main loop.
 */
#pragma once

#include "agent/agent.h"

typedef enum {
    AGENT_METHOD_LIST_VMS, /* Manager.ListImportableVms, "list" */
    AGENT_METHOD_EXPORT, /* Manager.Export, "export" */
    AGENT_METHOD_LIST_JOBS, /* Manager.ListJobs, "jobs" */
    AGENT_METHOD_CANCEL, /* Job.Cancel, "cancel" */
    AGENT_METHOD_RESUME, /* Job.Resume, "resume" */
    AGENT_METHOD_GET_DETAILS, /* Job.GetDetails (used by "jobs", "watch") */
    AGENT_METHOD_WATCH, /* stdio "watch": properties and signals only */
    AGENT_METHOD_LAST
} AgentMethod;

#define AGENT_POLKIT_ACTION_MANAGE "org.ferry.agent1.manage-jobs"
#define AGENT_POLKIT_ACTION_MANAGE_OTHER "org.ferry.agent1.manage-other-jobs"

/* What an option's value must be beyond its type (the kind's own check). */
typedef enum {
    AGENT_AUTHZ_VALUE_ANY,
    /* A libvirt URI: the configured one for anyone, another only for root,
     * never one that runs a program or opens a socket or file of the
     * caller's choosing (agent_authz_check_libvirt_uri()). */
    AGENT_AUTHZ_VALUE_LIBVIRT_URI,
} AgentAuthzValue;

typedef struct {
    AgentMethod method;
    const char *option;            /* NULL: the method itself */
    /* polkit action a caller other than root and the [agent] group needs;
     * NULL: open to every caller. */
    const char *action;
    /* Job methods: what a caller other than root needs for a job it does
     * not own (the [agent] group does not count); NULL otherwise. */
    const char *other_action;
    gboolean root_only;
    AgentAuthzValue value;
    const char *why;               /* root_only: the hint in the refusal */
} AgentAuthzRule;

/* "Export", "ListImportableVms", ...; "watch" for the stdio-only one. */
const char *agent_method_name(AgentMethod method);
/* The stdio method @name ("list"); FALSE when it does not exist. */
gboolean agent_method_from_stdio(const char *name, AgentMethod *method);
/* The row of @method's @option (NULL: of the method); NULL when none. */
const AgentAuthzRule *agent_authz_lookup(AgentMethod method,
                                         const char *option);
/* Option rows for a test build's job kinds (agent/jobs-test.c), looked up
 * after the table's own; methods cannot be added.  Call once at startup. */
void agent_authz_set_extra_rules(const AgentAuthzRule *rules, gsize n_rules);

/**
 * agent_authz_check_libvirt_uri:
 * @what: how the message names the value ("option 'uri'")
 * @uri: a libvirt URI a caller named
 * @allow_test: whether the test driver ("test:///...") may be used
 * @error: FERRY_ERROR_AUTH naming @what and the part refused;
 *         FERRY_ERROR_INVALID when @uri is not a URI at all
 *
 * Refuses what would make the agent (root) run a program, open a socket or
 * parse a file of the caller's choosing: the "ext" transport, the
 * "command" and "socket" parameters, the test driver unless @allow_test,
 * and anything that is not "driver[+transport]://...".
 */
gboolean agent_authz_check_libvirt_uri(const char *what, const char *uri,
                                       gboolean allow_test, GError **error);

/**
 * agent_authz_check_pool:
 * @target: an export target URI from a caller other than root
 * @pools: [agent] pools (NULL-terminated, may be NULL)
 * @error: FERRY_ERROR_AUTH (not an allowed target), FERRY_ERROR_INVALID
 *
 * file:// targets must name an existing directory that is, once
 * canonicalized (realpath), one of @pools or under one of them; ssh://
 * targets are the remote host's business; aws:// (signed with the agent's
 * own AWS credentials) and every other scheme are refused.
 * Returns: (transfer full): the target to use: a file:// target rewritten
 * with its canonical path, else a copy of @target.
 */
char *agent_authz_check_pool(const char *target, const char *const *pools,
                             GError **error);
