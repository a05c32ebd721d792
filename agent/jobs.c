/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jobs.c: the agent's job queue.  A job is queued, runs in its own worker
 * thread when fewer than `concurrency` jobs run, and ends completed, failed
 * or cancelled; a job that was running when the agent stopped is
 * interrupted, and Resume queues it again with its runner told to resume.
 *
 * Threads: everything here runs in the thread that created the queue
 * (the agent's main loop), except a kind's run() and the progress callback
 * it calls, which only store the byte counters with g_atomic, and its
 * discard(), which a Cancel of an interrupted job runs in a thread of its
 * own (it reaches a target) before the job is cancelled.  A worker's
 * end is handed back to the main context through an idle source, so state
 * changes, persistence (agent/state.c) and the hooks the D-Bus service sets
 * never race.  The moves between states are one table,
 * agent_job_state_moves[], that agent_job_set_state() asserts.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "agent/jobs-priv.h"

static const char *const agent_job_state_names[] = {
    [AGENT_JOB_QUEUED] = "queued",
    [AGENT_JOB_RUNNING] = "running",
    [AGENT_JOB_COMPLETED] = "completed",
    [AGENT_JOB_FAILED] = "failed",
    [AGENT_JOB_CANCELLED] = "cancelled",
    [AGENT_JOB_INTERRUPTED] = "interrupted",
};
G_STATIC_ASSERT(G_N_ELEMENTS(agent_job_state_names) == AGENT_JOB_STATE_LAST);

#define MOVE(s) (1u << (s))
/* Row: from; bits: the states a job may go to from there. */
static const guint agent_job_state_moves[] = {
    [AGENT_JOB_QUEUED] = MOVE(AGENT_JOB_RUNNING) | MOVE(AGENT_JOB_CANCELLED) |
                         MOVE(AGENT_JOB_FAILED), /* its kind is gone */
    [AGENT_JOB_RUNNING] = MOVE(AGENT_JOB_COMPLETED) | MOVE(AGENT_JOB_FAILED) |
                          MOVE(AGENT_JOB_CANCELLED) |
                          MOVE(AGENT_JOB_INTERRUPTED),
    [AGENT_JOB_COMPLETED] = 0,
    [AGENT_JOB_FAILED] = MOVE(AGENT_JOB_QUEUED),
    [AGENT_JOB_CANCELLED] = MOVE(AGENT_JOB_QUEUED),
    [AGENT_JOB_INTERRUPTED] =
        MOVE(AGENT_JOB_QUEUED) | MOVE(AGENT_JOB_CANCELLED),
};
G_STATIC_ASSERT(G_N_ELEMENTS(agent_job_state_moves) == AGENT_JOB_STATE_LAST);

/* The kinds, by name.  A kind declared with a NULL runner is refused as
 * not available in this build. */
static const struct {
    const char *name;
    const struct agent_job_kind *kind;
} agent_job_kinds[] = {
    { "export", &agent_job_kind_export },
};

/* Kinds a test build adds (agent_job_kinds_set_extra()): set once before
 * any queue exists, read-only after.  The installed ferry-agent links no
 * test kind at all, so no environment variable can make it run one. */
static const struct agent_job_kind *const *agent_job_extra_kinds;

void
agent_job_kinds_set_extra(const struct agent_job_kind *const *kinds)
{
    agent_job_extra_kinds = kinds;
}

const char *
agent_job_state_name(AgentJobState state)
{
    if ((guint)state >= AGENT_JOB_STATE_LAST)
        return NULL;
    return agent_job_state_names[state];
}

gboolean
agent_job_state_from_name(const char *name, AgentJobState *state)
{
    guint i;

    for (i = 0; i < AGENT_JOB_STATE_LAST; i++) {
        if (g_strcmp0(name, agent_job_state_names[i]) == 0) {
            *state = i;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
agent_job_state_is_final(AgentJobState state)
{
    return state == AGENT_JOB_COMPLETED || state == AGENT_JOB_FAILED ||
           state == AGENT_JOB_CANCELLED;
}

gboolean
agent_job_state_can_change(AgentJobState from, AgentJobState to)
{
    if ((guint)from >= AGENT_JOB_STATE_LAST ||
        (guint)to >= AGENT_JOB_STATE_LAST)
        return FALSE;
    return (agent_job_state_moves[from] & MOVE(to)) != 0;
}

const struct agent_job_kind *
agent_job_kind_find(const char *name, GError **error)
{
    const struct agent_job_kind *const *extra;
    gsize i;

    for (extra = agent_job_extra_kinds; extra && *extra; extra++) {
        if (g_str_equal(name, (*extra)->name))
            return *extra;
    }
    for (i = 0; i < G_N_ELEMENTS(agent_job_kinds); i++) {
        if (!g_str_equal(name, agent_job_kinds[i].name))
            continue;
        if (!agent_job_kinds[i].kind) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                        "%s is not available yet", name);
            return NULL;
        }
        return agent_job_kinds[i].kind;
    }
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "option 'kind': unknown job kind '%s'", name);
    return NULL;
}

gboolean
agent_options_wrong_type(const char *key, const char *expected, GVariant *v,
                         GError **error)
{
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "option '%s': expected type '%s', got '%s'", key, expected,
                g_variant_get_type_string(v));
    return FALSE;
}

gboolean
agent_options_get_uint64(GVariant *options, const char *key, guint64 fallback,
                         guint64 max, guint64 *value, GError **error)
{
    g_autoptr(GVariant) v = g_variant_lookup_value(options, key, NULL);
    gint64 n;

    *value = fallback;
    if (!v)
        return TRUE;
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64)) {
        *value = g_variant_get_uint64(v);
    } else {
        if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
            n = g_variant_get_int64(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
            n = g_variant_get_uint32(v);
        else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
            n = g_variant_get_int32(v);
        else {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "option '%s': expected a number, got type '%s'", key,
                        g_variant_get_type_string(v));
            return FALSE;
        }
        if (n < 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "option '%s': %" G_GINT64_FORMAT " is negative", key,
                        n);
            return FALSE;
        }
        *value = (guint64)n;
    }
    if (*value > max) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "option '%s': %" G_GUINT64_FORMAT " is above the limit %"
                    G_GUINT64_FORMAT, key, *value, max);
        return FALSE;
    }
    return TRUE;
}

/* ---- AgentJob ----------------------------------------------------------- */

AgentJob *
agent_job_new(guint32 number, const char *kind, const char *vm,
              const char *target, const char *const *disks, GVariant *options)
{
    AgentJob *job = g_new0(AgentJob, 1);
    const char *const none[] = { NULL };

    job->refcount = 1;
    job->number = number;
    job->id = g_strdup_printf("%u", number);
    job->kind = g_strdup(kind);
    job->vm = g_strdup(vm);
    job->target = g_strdup(target);
    job->disks = g_strdupv((char **)(disks ? disks : none));
    job->options = options ? g_variant_ref_sink(options)
                           : g_variant_ref_sink(g_variant_new_array(
                                 G_VARIANT_TYPE("{sv}"), NULL, 0));
    job->state = AGENT_JOB_QUEUED;
    job->create_time = g_get_real_time();
    return job;
}

AgentJob *
agent_job_ref(AgentJob *job)
{
    g_atomic_int_inc(&job->refcount);
    return job;
}

void
agent_job_unref(AgentJob *job)
{
    if (!job || !g_atomic_int_dec_and_test(&job->refcount))
        return;
    g_assert(!job->thread);
    g_free(job->id);
    g_free(job->kind);
    g_free(job->vm);
    g_free(job->target);
    g_strfreev(job->disks);
    g_variant_unref(job->options);
    g_clear_object(&job->cancellable);
    g_clear_error(&job->error);
    g_clear_error(&job->result);
    g_clear_pointer(&job->result_new, g_variant_unref);
    g_clear_pointer(&job->result_data, g_variant_unref);
    if (job->context)
        g_main_context_unref(job->context);
    g_free(job);
}

const char *agent_job_get_id(const AgentJob *job) { return job->id; }
const char *agent_job_get_kind(const AgentJob *job) { return job->kind; }
const char *agent_job_get_vm(const AgentJob *job) { return job->vm; }
const char *agent_job_get_target(const AgentJob *job) { return job->target; }
const char *const *agent_job_get_disks(const AgentJob *job)
{
    return (const char *const *)job->disks;
}
GVariant *agent_job_get_options(const AgentJob *job) { return job->options; }
guint32 agent_job_get_owner(const AgentJob *job) { return job->owner; }
gboolean agent_job_get_resume(const AgentJob *job) { return job->resume; }
AgentJobState agent_job_get_state(const AgentJob *job) { return job->state; }
guint64 agent_job_get_rate(const AgentJob *job) { return job->rate; }
const GError *agent_job_get_error(const AgentJob *job) { return job->error; }
gint64
agent_job_get_create_time(const AgentJob *job)
{
    return job->create_time;
}
gint64 agent_job_get_start_time(const AgentJob *job) { return job->start_time; }
gint64
agent_job_get_finish_time(const AgentJob *job)
{
    return job->finish_time;
}

GVariant *agent_job_get_result(const AgentJob *job) { return job->result_data; }

void
agent_job_set_result(AgentJob *job, GVariant *result)
{
    g_return_if_fail(g_variant_is_of_type(result, G_VARIANT_TYPE_VARDICT));
    g_clear_pointer(&job->result_new, g_variant_unref);
    job->result_new = g_variant_ref_sink(result);
}

void
agent_job_take_result(AgentJob *job, GVariant *result)
{
    g_clear_pointer(&job->result_data, g_variant_unref);
    /* take_ref: a floating reference is sunk, a full one is taken over. */
    job->result_data = result ? g_variant_take_ref(result) : NULL;
}

gboolean
agent_job_get_cancel_requested(const AgentJob *job)
{
    return g_atomic_int_get(&job->cancel_requested) != 0;
}

guint64
agent_job_get_bytes(const AgentJob *job)
{
    return __atomic_load_n(&job->bytes, __ATOMIC_RELAXED);
}

guint64
agent_job_get_bytes_total(const AgentJob *job)
{
    return __atomic_load_n(&job->bytes_total, __ATOMIC_RELAXED);
}

void
agent_job_set_counters(AgentJob *job, guint64 done, guint64 total)
{
    __atomic_store_n(&job->bytes_total, total, __ATOMIC_RELAXED);
    __atomic_store_n(&job->bytes, done, __ATOMIC_RELAXED);
}

/* ---- the queue ---------------------------------------------------------- */

static void
agent_job_set_state(AgentJob *job, AgentJobState to)
{
    g_assert(agent_job_state_can_change(job->state, to));
    g_debug("job %s: %s -> %s", job->id, agent_job_state_names[job->state],
            agent_job_state_names[to]);
    job->state = to;
    if (agent_job_state_is_final(to))
        job->finish_time = g_get_real_time();
}

/* Persists @job; a failure is logged, not fatal: the job goes on, and the
 * next save may succeed (disk full, for example). */
static void
agent_job_queue_save(AgentJobQueue *queue, AgentJob *job)
{
    g_autoptr(GError) error = NULL;

    job->saved_bytes = agent_job_get_bytes(job);
    job->saved_time = g_get_monotonic_time();
    if (!agent_state_save_job(queue->jobs_dir, job, &error))
        g_warning("%s", error->message);
}

static void
agent_job_queue_changed(AgentJobQueue *queue, AgentJob *job)
{
    agent_job_queue_save(queue, job);
    if (queue->hooks.changed)
        queue->hooks.changed(job, queue->hooks_data);
    if (agent_job_state_is_final(job->state) && queue->hooks.finished)
        queue->hooks.finished(job, queue->hooks_data);
}

static void agent_job_queue_pump(AgentJobQueue *queue);

/* The worker has ended (main context): judge its result. */
static gboolean
agent_job_worker_done(gpointer data)
{
    AgentJob *job = data;
    AgentJobQueue *queue = job->queue;
    g_autoptr(GError) result = NULL;

    if (!queue || !job->thread)
        return G_SOURCE_REMOVE;    /* the queue was freed and joined it */
    g_thread_join(g_steal_pointer(&job->thread));
    result = g_steal_pointer(&job->result);
    if (job->result_new)
        agent_job_take_result(job, g_steal_pointer(&job->result_new));
    queue->running--;
    job->rate = 0;
    g_clear_error(&job->error);
    if (!result) {
        agent_job_set_state(job, AGENT_JOB_COMPLETED);
    } else if (g_error_matches(result, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
        agent_job_set_state(job, AGENT_JOB_CANCELLED);
        job->error = g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "job %s was cancelled", job->id);
    } else {
        agent_job_set_state(job, AGENT_JOB_FAILED);
        job->error = g_steal_pointer(&result);
    }
    job->cancelling = FALSE;
    agent_job_queue_changed(queue, job);
    agent_job_queue_pump(queue);
    return G_SOURCE_REMOVE;
}

static gpointer
agent_job_worker(gpointer data)
{
    AgentJob *job = data;
    GError *error = NULL;
    GSource *source;

    if (!job->runner->run(job, job->cancellable, agent_job_set_counters,
                          &error))
        g_assert(error);
    job->result = error;
    /* An idle source, not g_main_context_invoke(): that would run the
     * callback here, in this thread, when nobody owns the context. */
    source = g_idle_source_new();
    g_source_set_callback(source, agent_job_worker_done, job,
                          (GDestroyNotify)agent_job_unref);
    g_source_attach(source, job->context);
    g_source_unref(source);
    return NULL;
}

static void
agent_job_queue_run(AgentJobQueue *queue, AgentJob *job)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = g_strdup_printf("ferry-job-%s", job->id);

    job->runner = agent_job_kind_find(job->kind, &error);
    if (job->runner) {
        g_clear_object(&job->cancellable);
        job->cancellable = g_cancellable_new();
        g_atomic_int_set(&job->cancel_requested, 0);
        agent_job_take_result(job, NULL);
        if (!job->context)
            job->context = g_main_context_ref(queue->context);
        job->thread = g_thread_try_new(name, agent_job_worker,
                                       agent_job_ref(job), &error);
        if (!job->thread)
            agent_job_unref(job);
    }
    if (!job->thread) {
        g_prefix_error(&error, "job %s: ", job->id);
        agent_job_set_state(job, AGENT_JOB_FAILED);
        g_clear_error(&job->error);
        job->error = g_steal_pointer(&error);
        agent_job_queue_changed(queue, job);
        return;
    }
    queue->running++;
    agent_job_set_state(job, AGENT_JOB_RUNNING);
    job->start_time = g_get_real_time();
    job->finish_time = 0;
    job->rate = 0;
    job->rate_last_bytes = agent_job_get_bytes(job);
    agent_job_queue_changed(queue, job);
}

static void
agent_job_queue_pump(AgentJobQueue *queue)
{
    while (queue->started && !queue->shutting_down &&
           queue->running < queue->concurrency &&
           !g_queue_is_empty(&queue->waiting)) {
        AgentJob *job = g_queue_pop_head(&queue->waiting);

        g_assert(job->state == AGENT_JOB_QUEUED);
        g_assert(agent_job_state_can_change(job->state, AGENT_JOB_RUNNING));
        agent_job_queue_run(queue, job);
    }
}

static gint
agent_job_compare(gconstpointer a, gconstpointer b)
{
    const AgentJob *ja = *(AgentJob *const *)a, *jb = *(AgentJob *const *)b;

    return ja->number < jb->number ? -1 : ja->number > jb->number;
}

static gint
agent_job_compare_data(gconstpointer a, gconstpointer b, gpointer unused)
{
    return agent_job_compare(&a, &b);
}

AgentJobQueue *
agent_job_queue_new(const char *state_dir, guint concurrency, GError **error)
{
    g_autoptr(AgentJobQueue) queue = g_new0(AgentJobQueue, 1);
    g_autoptr(GPtrArray) jobs = NULL;
    g_autofree char *lock_path = NULL;
    guint i;

    queue->lock_fd = -1;
    queue->next_number = 1;
    queue->context = g_main_context_ref_thread_default();
    queue->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify)agent_job_unref);
    g_queue_init(&queue->waiting);
    if (concurrency < 1 || concurrency > AGENT_JOBS_MAX_CONCURRENCY) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "concurrency %u is not within 1..%d", concurrency,
                    AGENT_JOBS_MAX_CONCURRENCY);
        return NULL;
    }
    queue->concurrency = concurrency;
    queue->state_dir = g_strdup(state_dir);
    queue->jobs_dir = g_build_filename(state_dir, "jobs", NULL);
    if (g_mkdir_with_parents(queue->jobs_dir, 0700) < 0) {
        int err = errno;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "mkdir: %s: %s",
                    queue->jobs_dir, g_strerror(err));
        return NULL;
    }
    /* One agent per state directory: a second one would mark the first
     * one's running jobs interrupted.  The lock dies with the process. */
    lock_path = g_build_filename(state_dir, "lock", NULL);
    queue->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (queue->lock_fd < 0) {
        int err = errno;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "open: %s: %s",
                    lock_path, g_strerror(err));
        return NULL;
    }
    if (flock(queue->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                    "%s: the state directory is in use by another ferry-agent",
                    state_dir);
        return NULL;
    }
    jobs = agent_state_load_jobs(queue->jobs_dir, error);
    if (!jobs)
        return NULL;
    for (i = 0; i < jobs->len; i++) {
        AgentJob *job = g_ptr_array_index(jobs, i);

        if (g_hash_table_contains(queue->jobs, job->id))
            continue;
        job->queue = queue;
        g_hash_table_insert(queue->jobs, job->id, agent_job_ref(job));
        queue->next_number = MAX(queue->next_number, job->number + 1);
        if (job->state == AGENT_JOB_RUNNING) {
            agent_job_set_state(job, AGENT_JOB_INTERRUPTED);
            agent_job_queue_save(queue, job);
        } else if (job->state == AGENT_JOB_QUEUED) {
            g_queue_insert_sorted(&queue->waiting, job, agent_job_compare_data,
                                  NULL);
        }
    }
    return g_steal_pointer(&queue);
}

void
agent_job_queue_free(AgentJobQueue *queue)
{
    GHashTableIter iter;
    AgentJob *job;

    if (!queue)
        return;
    queue->shutting_down = TRUE;
    if (queue->jobs) {
        g_hash_table_iter_init(&iter, queue->jobs);
        while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&job)) {
            if (job->thread)
                g_cancellable_cancel(job->cancellable);
        }
        g_hash_table_iter_init(&iter, queue->jobs);
        while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&job)) {
            job->queue = NULL;
            if (!job->thread)
                continue;
            g_thread_join(g_steal_pointer(&job->thread));
            if (job->discarding) {
                /* The Cancel is done once its discard() is. */
                job->discarding = FALSE;
                agent_job_set_state(job, AGENT_JOB_CANCELLED);
                g_clear_error(&job->error);
                job->error = g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         "job %s was cancelled", job->id);
                agent_job_queue_save(queue, job);
                continue;
            }
            if (job->result_new)
                agent_job_take_result(job, g_steal_pointer(&job->result_new));
            /* A worker stopped by the shutdown, not by a Cancel, leaves a
             * resumable job; one that ended by itself keeps its result. */
            if (!job->result) {
                agent_job_set_state(job, AGENT_JOB_COMPLETED);
            } else if (!g_error_matches(job->result, G_IO_ERROR,
                                        G_IO_ERROR_CANCELLED)) {
                agent_job_set_state(job, AGENT_JOB_FAILED);
                g_clear_error(&job->error);
                job->error = g_steal_pointer(&job->result);
            } else if (job->cancelling) {
                agent_job_set_state(job, AGENT_JOB_CANCELLED);
            } else {
                agent_job_set_state(job, AGENT_JOB_INTERRUPTED);
            }
            g_clear_error(&job->result);
            agent_job_queue_save(queue, job);
        }
        g_hash_table_unref(queue->jobs);
    }
    g_queue_clear(&queue->waiting);
    if (queue->lock_fd >= 0)
        close(queue->lock_fd);
    if (queue->context)
        g_main_context_unref(queue->context);
    g_free(queue->state_dir);
    g_free(queue->jobs_dir);
    g_free(queue);
}

void
agent_job_queue_set_hooks(AgentJobQueue *queue, const AgentJobQueueHooks *hooks,
                          gpointer data)
{
    queue->hooks = *hooks;
    queue->hooks_data = data;
}

void
agent_job_queue_start(AgentJobQueue *queue)
{
    queue->started = TRUE;
    agent_job_queue_pump(queue);
}

guint
agent_job_queue_get_concurrency(const AgentJobQueue *queue)
{
    return queue->concurrency;
}

GPtrArray *
agent_job_queue_list(AgentJobQueue *queue)
{
    GPtrArray *list =
        g_ptr_array_new_with_free_func((GDestroyNotify)agent_job_unref);
    GHashTableIter iter;
    AgentJob *job;

    g_hash_table_iter_init(&iter, queue->jobs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&job))
        g_ptr_array_add(list, agent_job_ref(job));
    g_ptr_array_sort(list, agent_job_compare);
    return list;
}

AgentJob *
agent_job_queue_lookup(AgentJobQueue *queue, const char *id, GError **error)
{
    AgentJob *job;
    gsize len = strlen(id);

    if (len == 0 || len > AGENT_JOB_ID_MAX_DIGITS ||
        strspn(id, "0123456789") != len) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "job id '%s' is not a decimal number", id);
        return NULL;
    }
    job = g_hash_table_lookup(queue->jobs, id);
    if (!job) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "no job '%s'",
                    id);
        return NULL;
    }
    return agent_job_ref(job);
}

AgentJob *
agent_job_queue_add(AgentJobQueue *queue, const char *vm, const char *target,
                    const char *const *disks, GVariant *options, GError **error)
{
    return agent_job_queue_add_owned(queue, 0, vm, target, disks, options,
                                     error);
}

AgentJob *
agent_job_queue_add_owned(AgentJobQueue *queue, guint32 owner, const char *vm,
                          const char *target, const char *const *disks,
                          GVariant *options, GError **error)
{
    g_autoptr(AgentJob) job = NULL;
    const struct agent_job_kind *kind;
    const char *kind_name = "export";
    guint n_disks = disks ? g_strv_length((char **)disks) : 0, i;

    if (!g_variant_is_of_type(options, G_VARIANT_TYPE_VARDICT)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "options: expected a{sv}, got '%s'",
                    g_variant_get_type_string(options));
        return NULL;
    }
    if (!ferry_check_text("vm", vm, AGENT_JOB_MAX_VM_BYTES, error) ||
        !ferry_check_text("target", target, AGENT_JOB_MAX_TARGET_BYTES, error))
        return NULL;
    if (n_disks > AGENT_JOB_MAX_DISKS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "option 'disks': %u disks, more than the limit %d", n_disks,
                    AGENT_JOB_MAX_DISKS);
        return NULL;
    }
    for (i = 0; i < n_disks; i++) {
        if (!ferry_check_text("option 'disks'", disks[i], 64, error))
            return NULL;
    }
    if (g_variant_lookup(options, "kind", "&s", &kind_name) &&
        !ferry_check_text("option 'kind'", kind_name, 64, error))
        return NULL;
    kind = agent_job_kind_find(kind_name, error);
    if (!kind)
        return NULL;
    if (kind->check && !kind->check(options, error))
        return NULL;
    if (kind->check_target && !kind->check_target(vm, target, options, error))
        return NULL;
    if (queue->next_number == 0) {      /* wrapped past G_MAXUINT32 */
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "no job ids left");
        return NULL;
    }
    job = agent_job_new(queue->next_number, kind_name, vm, target, disks,
                        options);
    job->owner = owner;
    if (!agent_state_save_job(queue->jobs_dir, job, error))
        return NULL;
    queue->next_number++;
    job->queue = queue;
    g_hash_table_insert(queue->jobs, job->id, agent_job_ref(job));
    g_queue_push_tail(&queue->waiting, job);
    if (queue->hooks.added)
        queue->hooks.added(job, queue->hooks_data);
    agent_job_queue_pump(queue);
    return g_steal_pointer(&job);
}

/* A Cancel that ends a job not running (main context). */
static void
agent_job_set_cancelled(AgentJobQueue *queue, AgentJob *job)
{
    agent_job_set_state(job, AGENT_JOB_CANCELLED);
    g_clear_error(&job->error);
    job->error = g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "job %s was cancelled", job->id);
    job->cancelling = FALSE;
    agent_job_queue_changed(queue, job);
}

/* The discard() has ended (main context): the job is cancelled now. */
static gboolean
agent_job_discard_done(gpointer data)
{
    AgentJob *job = data;
    AgentJobQueue *queue = job->queue;

    if (!queue || !job->thread)
        return G_SOURCE_REMOVE;    /* the queue was freed and joined it */
    g_thread_join(g_steal_pointer(&job->thread));
    job->discarding = FALSE;
    agent_job_set_cancelled(queue, job);
    return G_SOURCE_REMOVE;
}

static gpointer
agent_job_discard_worker(gpointer data)
{
    AgentJob *job = data;
    GSource *source;

    job->runner->discard(job);
    source = g_idle_source_new();
    g_source_set_callback(source, agent_job_discard_done, job,
                          (GDestroyNotify)agent_job_unref);
    g_source_attach(source, job->context);
    g_source_unref(source);
    return NULL;
}

/* Starts the kind's discard() for a job whose last run was cut off by a
 * stop of the agent: that run's temporaries are still on the target, and
 * a Cancel promises to remove them.  FALSE when there is nothing to run
 * (no discard(), or no thread): the caller cancels at once. */
static gboolean
agent_job_queue_discard(AgentJobQueue *queue, AgentJob *job)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *name = g_strdup_printf("ferry-discard-%s", job->id);
    const struct agent_job_kind *kind = agent_job_kind_find(job->kind, NULL);

    if (!kind || !kind->discard)
        return FALSE;
    job->runner = kind;
    if (!job->context)
        job->context = g_main_context_ref(queue->context);
    job->thread = g_thread_try_new(name, agent_job_discard_worker,
                                   agent_job_ref(job), &error);
    if (!job->thread) {
        agent_job_unref(job);
        g_warning("job %s: cannot remove its temporary files: %s", job->id,
                  error->message);
        return FALSE;
    }
    job->discarding = TRUE;
    job->cancelling = TRUE;
    return TRUE;
}

gboolean
agent_job_queue_cancel(AgentJobQueue *queue, AgentJob *job, GError **error)
{
    switch (job->state) {
    case AGENT_JOB_RUNNING:
        if (job->cancelling) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                        "job %s is already being cancelled", job->id);
            return FALSE;
        }
        job->cancelling = TRUE;
        /* Before the cancellable fires: the worker reads it once it sees
         * the cancellation, to tell a Cancel from a shutdown. */
        g_atomic_int_set(&job->cancel_requested, 1);
        g_cancellable_cancel(job->cancellable);
        return TRUE;                 /* the worker ends it */
    case AGENT_JOB_QUEUED:
    case AGENT_JOB_INTERRUPTED:
        if (job->cancelling) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                        "job %s is already being cancelled", job->id);
            return FALSE;
        }
        if (job->state == AGENT_JOB_QUEUED)
            g_queue_remove(&queue->waiting, job);
        /* Interrupted, or queued again by a Resume of one: its last run
         * left temporaries.  The discard's end cancels the job. */
        if ((job->state == AGENT_JOB_INTERRUPTED || job->resume) &&
            agent_job_queue_discard(queue, job))
            return TRUE;
        agent_job_set_cancelled(queue, job);
        return TRUE;
    default:
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "job %s has already finished (%s)", job->id,
                    agent_job_state_names[job->state]);
        return FALSE;
    }
}

gboolean
agent_job_queue_resume(AgentJobQueue *queue, AgentJob *job, GError **error)
{
    if (job->state == AGENT_JOB_QUEUED || job->state == AGENT_JOB_RUNNING) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                    "job %s is %s", job->id, agent_job_state_names[job->state]);
        return FALSE;
    }
    if (job->discarding) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
                    "job %s is being cancelled", job->id);
        return FALSE;
    }
    if (!agent_job_state_can_change(job->state, AGENT_JOB_QUEUED)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "job %s has completed: there is nothing to resume",
                    job->id);
        return FALSE;
    }
    if (!agent_job_kind_find(job->kind, error)) {
        g_prefix_error(error, "job %s: ", job->id);
        return FALSE;
    }
    agent_job_set_state(job, AGENT_JOB_QUEUED);
    job->resume = TRUE;
    job->cancelling = FALSE;
    job->finish_time = 0;
    g_clear_error(&job->error);
    g_queue_push_tail(&queue->waiting, job);
    agent_job_queue_changed(queue, job);
    agent_job_queue_pump(queue);
    return TRUE;
}

/* How often a running job's progress is persisted: often enough that a
 * resume after SIGKILL redoes little, rarely enough that fsync is cheap. */
#define AGENT_JOB_SAVE_INTERVAL_US (1 * G_USEC_PER_SEC)
/* The rate is an exponential average over about this long. */
#define AGENT_JOB_RATE_WINDOW_US (2 * G_USEC_PER_SEC)

void
agent_job_queue_tick(AgentJobQueue *queue, gint64 elapsed_us)
{
    GHashTableIter iter;
    AgentJob *job;
    gint64 now = g_get_monotonic_time();

    g_hash_table_iter_init(&iter, queue->jobs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&job)) {
        guint64 bytes;
        double instant, weight;

        if (job->state != AGENT_JOB_RUNNING)
            continue;
        bytes = agent_job_get_bytes(job);
        if (elapsed_us > 0) {
            instant = bytes >= job->rate_last_bytes
                          ? (double)(bytes - job->rate_last_bytes) *
                                G_USEC_PER_SEC / elapsed_us
                          : 0;
            weight = MIN(1.0, (double)elapsed_us / AGENT_JOB_RATE_WINDOW_US);
            /* The first sample stands alone: averaging it with the 0 a
             * job starts at would show half the real speed for seconds. */
            job->rate = job->rate == 0 ? (guint64)instant :
                (guint64)(job->rate + (instant - (double)job->rate) * weight);
        }
        job->rate_last_bytes = bytes;
        if (bytes != job->saved_bytes &&
            now - job->saved_time >= AGENT_JOB_SAVE_INTERVAL_US)
            agent_job_queue_save(queue, job);
    }
}
