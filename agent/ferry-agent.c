/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ferry-agent.c: the daemon.  Reads /etc/ferry/ferry.conf, loads the
 * persisted jobs from the state directory (running ones become
 * interrupted), owns org.ferry.Agent1 on the system bus (--session: the
 * session bus; --bus-address: any bus, for tests) and runs the job queue
 * until SIGTERM or SIGINT, when running jobs are stopped and persisted as
 * interrupted, so that Resume continues them after the restart.
 */
#include <config.h>

#include <glib-unix.h>
#include <libxml/parser.h>
#include <stdio.h>

#include "agent/dbus-priv.h"
#ifdef FERRY_AGENT_TEST_KINDS
#include "agent/jobs-priv.h"
#endif
#include "providers/providers.h"

#ifndef FERRY_SYSCONFDIR
#define FERRY_SYSCONFDIR "/etc"
#endif

static gboolean
ferry_agent_on_signal(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void
ferry_agent_on_closed(GDBusConnection *conn, gboolean remote, GError *error,
                      gpointer data)
{
    AgentService *svc = data;

    g_printerr("ferry-agent: the bus connection closed%s%s\n",
               error ? ": " : "", error ? error->message : "");
    svc->exit_status = 1;
    g_main_loop_quit(svc->loop);
}

static GDBusConnection *
ferry_agent_connect(gboolean session, const char *address, GError **error)
{
    if (address)
        return g_dbus_connection_new_for_address_sync(
            address,
            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
            NULL, NULL, error);
    return g_bus_get_sync(session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                          NULL, error);
}

int
main(int argc, char **argv)
{
    g_autoptr(GMainLoop) loop = NULL;
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentConfig) config = NULL;
    g_autoptr(AgentJobQueue) queue = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autofree char *config_path = NULL;
    g_autofree char *state_dir = NULL;
    g_autofree char *address = NULL;
    AgentService svc = { NULL };
    gboolean version = FALSE, once = FALSE, session = FALSE;
    int concurrency = 0;
    GOptionEntry entries[] = {
        { "version", 0, 0, G_OPTION_ARG_NONE, &version,
          "Print the version and exit", NULL },
        { "once", 0, 0, G_OPTION_ARG_NONE, &once,
          "Read the configuration, then exit (a self-test)", NULL },
        { "session", 0, 0, G_OPTION_ARG_NONE, &session,
          "Use the session bus and $XDG_STATE_HOME/ferry", NULL },
        { "bus-address", 0, 0, G_OPTION_ARG_STRING, &address,
          "Connect to the bus at ADDRESS", "ADDRESS" },
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "Settings file (default " FERRY_SYSCONFDIR "/ferry/ferry.conf)",
          "FILE" },
        { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
          "Where jobs are persisted (default /var/lib/ferry)", "DIR" },
        { "concurrency", 0, 0, G_OPTION_ARG_INT, &concurrency,
          "Jobs running at once (overrides the settings file)", "N" },
        { NULL }
    };

    ctx = g_option_context_new("- ferry host agent");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "ferry-agent: %s\n", error->message);
        return AGENT_EXIT_USAGE;
    }
    if (version) {
        printf("ferry-agent %s\n", PACKAGE_VERSION);
        return 0;
    }
    config = config_path ? agent_config_load(config_path, FALSE, &error) :
        agent_config_load(FERRY_SYSCONFDIR "/ferry/ferry.conf", TRUE, &error);
    if (!config) {
        fprintf(stderr, "ferry-agent: %s\n", error->message);
        return agent_exit_status(error);
    }
    if (concurrency != 0) {
        if (concurrency < 1 || concurrency > AGENT_JOBS_MAX_CONCURRENCY) {
            fprintf(stderr,
                    "ferry-agent: --concurrency %d is not within 1..%d\n",
                    concurrency, AGENT_JOBS_MAX_CONCURRENCY);
            return AGENT_EXIT_USAGE;
        }
        config->concurrency = concurrency;
    }
    if (once)
        return 0;
    /* Signals first: a SIGTERM while starting up still ends cleanly. */
    loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, ferry_agent_on_signal, loop);
    g_unix_signal_add(SIGINT, ferry_agent_on_signal, loop);
    if (!state_dir)
        state_dir = config->state_dir ? g_strdup(config->state_dir) :
            agent_state_dir_default(session);

#ifdef FERRY_AGENT_TEST_KINDS
    /* tests/tools/ferry-agent-test: this file built again with the test
     * job kinds; the installed ferry-agent has none of their code. */
    agent_job_kinds_enable_tests();
#endif
    agent_dbus_errors_register();
    /* libxml2 (domain XML, read by ListImportableVms and export workers
     * at once) wants its one-time setup done before threads use it. */
    xmlInitParser();
    /* libssh2 (and the OpenSSL under it) once, before any export worker. */
    if (!ssh_global_init(&error)) {
        fprintf(stderr, "ferry-agent: %s\n", error->message);
        return agent_exit_status(error);
    }
    queue = agent_job_queue_new(state_dir, config->concurrency, &error);
    if (!queue) {
        fprintf(stderr, "ferry-agent: %s\n", error->message);
        return agent_exit_status(error);
    }
    conn = ferry_agent_connect(session, address, &error);
    if (!conn) {
        fprintf(stderr, "ferry-agent: cannot connect to %s: %s\n",
                address   ? address
                : session ? "the session bus"
                          : "the system bus",
                error->message);
        return AGENT_EXIT_NETWORK;
    }
    svc.conn = conn;
    svc.system_bus = !address && !session;
    svc.config = config;
    svc.queue = queue;
    svc.state_dir = state_dir;
    svc.loop = loop;
    g_dbus_connection_set_exit_on_close(conn, FALSE);
    g_signal_connect(conn, "closed", G_CALLBACK(ferry_agent_on_closed), &svc);
    if (!agent_service_start(&svc, &error)) {
        fprintf(stderr, "ferry-agent: %s\n", error->message);
        return agent_exit_status(error);
    }
    agent_job_queue_start(queue);
    g_main_loop_run(loop);
    g_signal_handlers_disconnect_by_data(conn, &svc);
    agent_service_stop(&svc);
    /* Stops the workers and persists them as interrupted. */
    g_clear_pointer(&queue, agent_job_queue_free);
    ssh_global_exit();
    g_dbus_connection_flush_sync(conn, NULL, NULL);
    return svc.exit_status;
}
