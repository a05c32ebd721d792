/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jobs-priv.h: the inside of AgentJob and AgentJobQueue, shared by
 * agent/jobs.c (the queue), agent/state.c (persistence) and the unit tests.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "agent/agent.h"

/* Persisted files bigger than this are refused as corrupt: a job is a
 * few hundred bytes, plus its options. */
#define AGENT_STATE_MAX_JOB_BYTES (64 * 1024)
/* At most this many job files are loaded; finished jobs beyond
 * AGENT_STATE_KEEP_FINISHED are pruned, oldest first. */
#define AGENT_STATE_MAX_JOBS 10000
#define AGENT_STATE_KEEP_FINISHED 500
/* Job ids are decimal, 1..G_MAXUINT32. */
#define AGENT_JOB_ID_MAX_DIGITS 10
/* vm and target lengths accepted at Export. */
#define AGENT_JOB_MAX_VM_BYTES 256
#define AGENT_JOB_MAX_TARGET_BYTES 4096
#define AGENT_JOB_MAX_DISKS 64

struct _AgentJob {
    gint refcount;                 /* g_atomic */
    /* Immutable after creation (any thread). */
    char *id;
    guint32 number;                /* the id as a number, for ordering */
    char *kind;
    char *vm;
    char *target;
    char **disks;                  /* NULL-terminated, maybe empty */
    GVariant *options;             /* a{sv} */
    guint32 owner;                 /* uid of the caller that queued it */
    /* Written by the queue's thread before a worker starts, then read-only
     * until that worker has finished. */
    gboolean resume;
    GCancellable *cancellable;
    const struct agent_job_kind *runner;
    /* g_atomic access only (workers write, the main loop reads). */
    guint64 bytes;
    guint64 bytes_total;
    gint cancel_requested;         /* set before the cancellable fires */
    /* The worker thread only, until the queue's thread joins it. */
    GVariant *result_new;          /* agent_job_set_result()'s */
    /* The queue's thread only. */
    AgentJobState state;
    gboolean cancelling;           /* Cancel asked while running */
    gboolean discarding;           /* the thread is the kind's discard() */
    GError *error;                 /* failed: why */
    GVariant *result_data;         /* a{sv}: the last run's, or NULL */
    gint64 create_time, start_time, finish_time;
    guint64 rate;                  /* bytes/s, smoothed */
    guint64 rate_last_bytes;
    guint64 saved_bytes;           /* bytes as last persisted */
    gint64 saved_time;             /* monotonic µs of the last save */
    GThread *thread;
    GMainContext *context;         /* the queue's, for the worker's end */
    GError *result;                /* set by the worker as it ends */
    AgentJobQueue *queue;          /* not a reference; NULL when detached */
};

struct _AgentJobQueue {
    char *state_dir;
    char *jobs_dir;
    int lock_fd;
    guint concurrency;
    guint running;
    gboolean started;
    gboolean shutting_down;
    guint32 next_number;
    GMainContext *context;
    GHashTable *jobs;              /* id -> AgentJob (ref) */
    GQueue waiting;                /* of AgentJob (no ref), oldest first */
    AgentJobQueueHooks hooks;
    gpointer hooks_data;
};

AgentJob *agent_job_new(guint32 number, const char *kind, const char *vm,
                        const char *target, const char *const *disks,
                        GVariant *options);
/* Counters, as a runner's progress callback would set them. */
void agent_job_set_counters(AgentJob *job, guint64 done, guint64 total);

/* agent/state.c: one job as JSON, and its file. */
JsonNode *agent_job_to_json(const AgentJob *job);
AgentJob *agent_job_from_json(JsonNode *node, const char *what, GError **error);
gboolean agent_state_save_job(const char *jobs_dir, AgentJob *job,
                              GError **error);
AgentJob *agent_state_load_job(const char *path, GError **error);
/* Every job file of @jobs_dir, as jobs sorted by id; unreadable files are
 * logged and skipped (one bad file must not stop the agent). */
GPtrArray *agent_state_load_jobs(const char *jobs_dir, GError **error);
void agent_state_remove_job(const char *jobs_dir, const AgentJob *job);

/* Replaces the job's result (queue's thread; takes @result's reference,
 * floating or full). */
void agent_job_take_result(AgentJob *job, GVariant *result);

/* Adds @kinds (NULL-terminated, static; NULL for none) to those
 * agent_job_kind_find() knows.  Test builds only: ferry-agent-test and the
 * unit tests, before any queue exists. */
void agent_job_kinds_set_extra(const struct agent_job_kind *const *kinds);

/* agent/jobs-test.c, linked only into test builds: "test-sleep". */
extern const struct agent_job_kind agent_job_kind_test_sleep;
/* Makes the test kinds known (agent_job_kinds_set_extra()). */
void agent_job_kinds_enable_tests(void);
