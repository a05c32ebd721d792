/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-jobs.c: the verbs that talk to ferry-agent over D-Bus:
 *
 *   ferry jobs [--json]          every job: a table, or a JSON array
 *   ferry watch [--json] JOB     follows one job to its end: a progress bar
 *                                on a terminal, one JSON object per change
 *                                with --json, a line per state otherwise;
 *                                exits 0 only if the job completed
 *   ferry cancel JOB, ferry resume JOB
 *
 * The agent is found on the system bus, or the session bus (--session), or
 * at --bus-address / $FERRY_BUS_ADDRESS (tests use a private bus).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/dbus-priv.h"

typedef struct {
    gboolean session;
    char *address;
    gboolean json;
} JobsOptions;

static void
jobs_options_clear(JobsOptions *o)
{
    g_clear_pointer(&o->address, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(JobsOptions, jobs_options_clear)

static GOptionEntry *
jobs_option_entries(JobsOptions *o, gboolean with_json)
{
    GOptionEntry entries[] = {
        { "session", 0, 0, G_OPTION_ARG_NONE, &o->session,
          "Reach ferry-agent on the session bus", NULL },
        { "bus-address", 0, 0, G_OPTION_ARG_STRING, &o->address,
          "Reach ferry-agent on the bus at ADDRESS (default $FERRY_BUS_ADDRESS, "
          "else the system bus)",
          "ADDRESS" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &o->json, "Print JSON", NULL },
        { NULL }
    };

    if (!with_json)
        entries[2] = (GOptionEntry){ NULL };
    return g_memdup2(entries, sizeof(entries));
}

/* Parses the options of @verb; returns -1 to go on, else an exit status. */
static int
jobs_parse(const char *verb, const char *usage, gboolean with_json, int nargs,
           int *argc, char ***argv, JobsOptions *o)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(usage);
    g_autoptr(GError) error = NULL;
    g_autofree GOptionEntry *entries = jobs_option_entries(o, with_json);

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, &error))
        return agent_usage_error(verb, error->message);
    if (*argc - 1 != nargs)
        return agent_usage_error(verb, nargs ? "expected one JOB id"
                                             : "unexpected argument");
    return -1;
}

static GDBusObjectManager *
jobs_connect(JobsOptions *o, GError **error)
{
    g_autoptr(GDBusConnection) conn =
        agent_client_bus_open(o->session, o->address, error);

    if (!conn)
        return NULL;
    return agent_client_objects_new(conn, error);
}

static char *
jobs_rate_cell(guint64 rate)
{
    g_autofree char *size = NULL;

    g_auto(GStrv) parts = NULL;

    if (rate == 0)
        return g_strdup("-");
    /* GLib puts a no-break space before the unit: a plain one for cut(1). */
    size = g_format_size_full(rate, G_FORMAT_SIZE_IEC_UNITS);
    parts = g_strsplit(size, "\u00a0", -1);
    g_free(size);
    size = g_strjoinv(" ", parts);
    return g_strdup_printf("%s/s", size);
}

int
cmd_jobs(int argc, char **argv)
{
    g_auto(JobsOptions) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusObjectManager) objects = NULL;
    g_autoptr(GPtrArray) jobs = NULL;
    int status = jobs_parse("jobs", "- list ferry-agent's jobs", TRUE, 0, &argc,
                            &argv, &o);
    guint i;

    if (status >= 0)
        return status;
    if (!(objects = jobs_connect(&o, &error))) {
        return agent_fail(error);
    }
    jobs = agent_client_list_jobs(objects);
    if (o.json) {
        g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
        JsonArray *array = json_array_new();

        for (i = 0; i < jobs->len; i++)
            json_array_add_element(array,
                                   agent_client_job_to_json(jobs->pdata[i]));
        json_node_take_array(root, array);
        agent_print_json(stdout, root, TRUE);
    } else {
        printf("%-6s %-10s %-20s %-12s %-8s %-12s %s\n", "ID", "KIND", "VM",
               "STATE", "PROGRESS", "RATE", "TARGET");
        for (i = 0; i < jobs->len; i++) {
            FerryJob *job = jobs->pdata[i];
            g_autofree char *progress =
                ferry_job_get_progress_valid(job)
                    ? g_strdup_printf("%.0f%%",
                                      ferry_job_get_progress(job) * 100)
                    : g_strdup("-");
            g_autofree char *rate = jobs_rate_cell(ferry_job_get_rate(job));
            /* Someone else's job has no target to show: "-". */
            g_autoptr(GVariant) details =
                agent_client_job_get_details(job, NULL);
            const char *target = "-";

            if (details)
                g_variant_lookup(details, "target", "&s", &target);
            printf("%-6s %-10s %-20s %-12s %-8s %-12s %s\n",
                   ferry_job_get_id(job), ferry_job_get_kind(job),
                   ferry_job_get_vm(job), ferry_job_get_state(job), progress,
                   rate, target);
        }
    }
    return 0;
}

/* ---- watch -------------------------------------------------------------- */

typedef struct {
    FerryJob *job;
    GMainLoop *loop;
    gboolean json, tty;
    char *last_state;
    gboolean done;
    gboolean agent_gone;
} Watch;

static gboolean
watch_is_final(const char *state)
{
    return g_strcmp0(state, "completed") == 0 ||
           g_strcmp0(state, "failed") == 0 ||
           g_strcmp0(state, "cancelled") == 0;
}

static void
watch_print(Watch *w)
{
    const char *state = ferry_job_get_state(w->job);

    if (w->json) {
        g_autoptr(JsonNode) node = agent_client_job_to_json(w->job);

        agent_print_json(stdout, node, FALSE);
    } else if (w->tty) {
        double p = ferry_job_get_progress_valid(w->job)
                       ? ferry_job_get_progress(w->job)
                       : 0;
        g_autofree char *rate = jobs_rate_cell(ferry_job_get_rate(w->job));
        char bar[31];
        int fill = (int)(p * 30), i;

        for (i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[30] = '\0';
        printf("\rjob %s [%s] %3.0f%% %-12s %-11s", ferry_job_get_id(w->job),
               bar, p * 100, rate, state);
    } else if (g_strcmp0(state, w->last_state) != 0) {
        printf("job %s: %s\n", ferry_job_get_id(w->job), state);
    }
    fflush(stdout);
    g_free(w->last_state);
    w->last_state = g_strdup(state);
    if (watch_is_final(state)) {
        w->done = TRUE;
        g_main_loop_quit(w->loop);
    }
}

static void
watch_on_properties(GDBusProxy *proxy, GVariant *changed,
                    const char *const *invalidated, gpointer data)
{
    watch_print(data);
}

static void
watch_on_owner(GObject *objects, GParamSpec *pspec, gpointer data)
{
    Watch *w = data;
    g_autofree char *owner = g_dbus_object_manager_client_get_name_owner(
                                 G_DBUS_OBJECT_MANAGER_CLIENT(objects));

    if (!owner) {
        w->agent_gone = TRUE;
        g_main_loop_quit(w->loop);
    }
}

/* The exit status and message for a job that has ended. */
static int
watch_result(FerryJob *job)
{
    const char *state = ferry_job_get_state(job);
    g_autoptr(GError) error = NULL;

    if (g_strcmp0(state, "completed") == 0)
        return 0;
    if (g_strcmp0(state, "cancelled") == 0) {
        error = g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                            "job %s was cancelled", ferry_job_get_id(job));
    } else if (g_strcmp0(state, "failed") == 0) {
        const char *name = ferry_job_get_error_name(job);
        g_autoptr(GVariant) details = agent_client_job_get_details(job, NULL);
        const char *message = NULL;

        /* The message is the owner's (and root's) to read. */
        if (!details || !g_variant_lookup(details, "error", "&s", &message))
            message = "the job failed";
        error = g_dbus_error_new_for_dbus_error(
            name && *name ? name : "org.ferry.Error.Failed", message);
        g_dbus_error_strip_remote_error(error);
    } else {
        error = g_error_new(FERRY_ERROR, FERRY_ERROR_FAILED, "job %s is %s",
                            ferry_job_get_id(job), state);
    }
    return agent_fail(error);
}

int
cmd_watch(int argc, char **argv)
{
    g_auto(JobsOptions) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusObjectManager) objects = NULL;
    g_autoptr(FerryJob) job = NULL;
    Watch w = { NULL };
    int status = jobs_parse("watch", "JOB - follow a job to its end", TRUE, 1,
                            &argc, &argv, &o);

    if (status >= 0)
        return status;
    if (!(objects = jobs_connect(&o, &error)) ||
        !(job = agent_client_get_job(objects, argv[1], &error))) {
        return agent_fail(error);
    }
    w.job = job;
    w.json = o.json;
    w.tty = !o.json && isatty(STDOUT_FILENO);
    w.loop = g_main_loop_new(NULL, FALSE);
    g_signal_connect(job, "g-properties-changed",
                     G_CALLBACK(watch_on_properties), &w);
    g_signal_connect(objects, "notify::name-owner", G_CALLBACK(watch_on_owner),
                     &w);
    watch_print(&w);
    if (!w.done)
        g_main_loop_run(w.loop);
    g_signal_handlers_disconnect_by_data(job, &w);
    g_signal_handlers_disconnect_by_data(objects, &w);
    if (w.tty)
        printf("\n");
    if (w.agent_gone) {
        g_set_error(&error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "job %s: ferry-agent stopped while watching", argv[1]);
        status = agent_fail(error);
    } else {
        status = watch_result(job);
    }
    g_main_loop_unref(w.loop);
    g_free(w.last_state);
    return status;
}

/* ---- cancel, resume ----------------------------------------------------- */

static int
jobs_call(const char *verb, int argc, char **argv, gboolean cancel)
{
    g_auto(JobsOptions) o = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusObjectManager) objects = NULL;
    g_autoptr(FerryJob) job = NULL;
    g_autoptr(GVariant) none = g_variant_ref_sink(
        g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
    int status =
        jobs_parse(verb, cancel ? "JOB - cancel a job" : "JOB - resume a job",
                   FALSE, 1, &argc, &argv, &o);
    gboolean ok;

    if (status >= 0)
        return status;
    if (!(objects = jobs_connect(&o, &error)) ||
        !(job = agent_client_get_job(objects, argv[1], &error))) {
        return agent_fail(error);
    }
    ok = cancel ? ferry_job_call_cancel_sync(job, none, NULL, &error) :
                  ferry_job_call_resume_sync(job, none, NULL, &error);
    if (!ok) {
        agent_client_fix_error(error);
        return agent_fail(error);
    }
    return 0;
}

int
cmd_cancel(int argc, char **argv)
{
    return jobs_call("cancel", argc, argv, TRUE);
}

int
cmd_resume(int argc, char **argv)
{
    return jobs_call("resume", argc, argv, FALSE);
}
