/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-jobs.c: the job queue (agent/jobs.c), its persistence
 * (agent/state.c) and settings (agent/state-config.c): state moves, a job
 * file's round trip and the hostile ones, the concurrency limit, cancel,
 * and a restart that finds a running job, marks it interrupted and resumes
 * it from its persisted progress.  Jobs are of the test-sleep kind.
 */
#include <config.h>

#include <glib/gstdio.h>
#include <string.h>

#include "agent/jobs-priv.h"

typedef struct {
    char *dir;
    guint added, changed, finished;
    guint running, max_running;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("ferry-test-jobs-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
fixture_rm_rf(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            fixture_rm_rf(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    fixture_rm_rf(f->dir);
    g_free(f->dir);
}

static void
hook_added(AgentJob *job, gpointer data)
{
    ((Fixture *)data)->added++;
}

static void
hook_changed(AgentJob *job, gpointer data)
{
    Fixture *f = data;
    g_autoptr(GPtrArray) all = agent_job_queue_list(job->queue);
    guint i, running = 0;

    f->changed++;
    for (i = 0; i < all->len; i++)
        running += agent_job_get_state(all->pdata[i]) == AGENT_JOB_RUNNING;
    f->running = running;
    f->max_running = MAX(f->max_running, running);
}

static void
hook_finished(AgentJob *job, gpointer data)
{
    ((Fixture *)data)->finished++;
}

static const AgentJobQueueHooks hooks = { hook_added, hook_changed, hook_finished };

static GVariant *
sleep_options(guint64 bytes, guint64 step, guint64 delay_ms)
{
    GVariantDict d;

    g_variant_dict_init(&d, NULL);
    g_variant_dict_insert(&d, "kind", "s", "test-sleep");
    g_variant_dict_insert(&d, "bytes", "t", bytes);
    g_variant_dict_insert(&d, "step", "t", step);
    g_variant_dict_insert(&d, "delay-ms", "t", delay_ms);
    return g_variant_dict_end(&d);
}

static gboolean
timed_out(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the main loop until @job is in @state (or 10 s pass: a failure). */
static void
wait_for_state(AgentJob *job, AgentJobState state)
{
    gboolean timeout = FALSE;
    guint id = g_timeout_add_seconds(10, timed_out, &timeout);

    while (agent_job_get_state(job) != state && !timeout)
        g_main_context_iteration(NULL, TRUE);
    if (!timeout)
        g_source_remove(id);
    g_assert_cmpstr(agent_job_state_name(agent_job_get_state(job)), ==,
                    agent_job_state_name(state));
}

static void
wait_for_bytes(AgentJob *job, guint64 bytes)
{
    gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (agent_job_get_bytes(job) < bytes && g_get_monotonic_time() < until)
        g_usleep(1000);
    g_assert_cmpuint(agent_job_get_bytes(job), >=, bytes);
}

static void
test_state_names(void)
{
    AgentJobState s;
    guint i;

    for (i = 0; i < AGENT_JOB_STATE_LAST; i++) {
        g_assert_true(agent_job_state_from_name(agent_job_state_name(i), &s));
        g_assert_cmpuint(s, ==, i);
    }
    g_assert_null(agent_job_state_name(AGENT_JOB_STATE_LAST));
    g_assert_false(agent_job_state_from_name("paused", &s));
}

static void
test_state_moves(void)
{
    g_assert_true(agent_job_state_can_change(AGENT_JOB_QUEUED, AGENT_JOB_RUNNING));
    g_assert_true(agent_job_state_can_change(AGENT_JOB_QUEUED, AGENT_JOB_CANCELLED));
    g_assert_true(agent_job_state_can_change(AGENT_JOB_RUNNING, AGENT_JOB_INTERRUPTED));
    g_assert_true(agent_job_state_can_change(AGENT_JOB_INTERRUPTED, AGENT_JOB_QUEUED));
    g_assert_true(agent_job_state_can_change(AGENT_JOB_FAILED, AGENT_JOB_QUEUED));
    g_assert_true(agent_job_state_can_change(AGENT_JOB_CANCELLED, AGENT_JOB_QUEUED));
    g_assert_false(agent_job_state_can_change(AGENT_JOB_COMPLETED, AGENT_JOB_QUEUED));
    g_assert_false(agent_job_state_can_change(AGENT_JOB_COMPLETED, AGENT_JOB_RUNNING));
    g_assert_false(agent_job_state_can_change(AGENT_JOB_RUNNING, AGENT_JOB_QUEUED));
    g_assert_false(agent_job_state_can_change(AGENT_JOB_QUEUED, AGENT_JOB_COMPLETED));
    g_assert_false(agent_job_state_can_change(AGENT_JOB_INTERRUPTED, AGENT_JOB_RUNNING));
    g_assert_false(agent_job_state_can_change(AGENT_JOB_STATE_LAST, AGENT_JOB_QUEUED));
    g_assert_true(agent_job_state_is_final(AGENT_JOB_CANCELLED));
    g_assert_false(agent_job_state_is_final(AGENT_JOB_INTERRUPTED));
}

static void
test_persist_round_trip(Fixture *f, gconstpointer data)
{
    const char *disks[] = { "vda", "vdb", NULL };
    g_autoptr(AgentJob) job = agent_job_new(42, "test-sleep", "web 1", "ssh://u@h/p",
                                            disks, sleep_options(1000, 10, 5));
    g_autoptr(AgentJob) back = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(f->dir, "42.json", NULL);
    guint64 bytes;

    job->state = AGENT_JOB_FAILED;
    job->resume = TRUE;
    job->start_time = 1234;
    job->finish_time = 5678;
    job->error = g_error_new(FERRY_ERROR, FERRY_ERROR_CHECKSUM, "disk vda: sha256 differs");
    agent_job_set_counters(job, 300, 1000);
    agent_job_take_result(job, g_variant_new_parsed(
        "{'manifest': <'/p/web 1.ferry.json'>, 'disks': <[{'dev': <'vda'>, "
        "'resumed-at': <uint64 1048576>}]>}"));
    g_assert_true(agent_state_save_job(f->dir, job, &error));
    g_assert_no_error(error);
    back = agent_state_load_job(path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(back->id, ==, "42");
    g_assert_cmpuint(back->number, ==, 42);
    g_assert_cmpstr(back->kind, ==, "test-sleep");
    g_assert_cmpstr(back->vm, ==, "web 1");
    g_assert_cmpstr(back->target, ==, "ssh://u@h/p");
    g_assert_cmpstrv(back->disks, disks);
    g_assert_cmpint(back->state, ==, AGENT_JOB_FAILED);
    g_assert_true(back->resume);
    g_assert_cmpuint(agent_job_get_bytes(back), ==, 300);
    g_assert_cmpuint(agent_job_get_bytes_total(back), ==, 1000);
    g_assert_cmpint(back->create_time, ==, job->create_time);
    g_assert_cmpint(back->start_time, ==, 1234);
    g_assert_cmpint(back->finish_time, ==, 5678);
    g_assert_error(back->error, FERRY_ERROR, FERRY_ERROR_CHECKSUM);
    g_assert_cmpstr(back->error->message, ==, "disk vda: sha256 differs");
    /* Options keep their GVariant types (a uint64 stays one). */
    g_assert_true(g_variant_equal(back->options, job->options));
    g_assert_true(g_variant_lookup(back->options, "bytes", "t", &bytes));
    g_assert_cmpuint(bytes, ==, 1000);
    /* So does the result. */
    g_assert_nonnull(agent_job_get_result(back));
    g_assert_true(g_variant_equal(agent_job_get_result(back), agent_job_get_result(job)));
}

/* Writes @text as jobs file @name and expects loading it to fail with
 * FERRY_ERROR @code and a message containing @field. */
static void
check_load_refused(Fixture *f, const char *name, const char *text, int code, const char *field)
{
    g_autofree char *path = g_build_filename(f->dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentJob) job = NULL;

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    job = agent_state_load_job(path, &error);
    g_assert_null(job);
    g_assert_error(error, FERRY_ERROR, code);
    g_assert_nonnull(strstr(error->message, field));
    g_assert_nonnull(strstr(error->message, name));
}

#define GOOD_JOB(id, state) \
    "{\"version\":1,\"id\":\"" id "\",\"kind\":\"test-sleep\",\"vm\":\"v\"," \
    "\"target\":\"t\",\"disks\":[],\"options\":\"@a{sv} {}\",\"state\":\"" state "\"," \
    "\"bytes\":5,\"bytes_total\":10,\"create_time\":1,\"start_time\":2,\"finish_time\":0}"

static void
test_load_refuses_id_mismatch(Fixture *f, gconstpointer data)
{
    check_load_refused(f, "5.json", GOOD_JOB("6", "queued"), FERRY_ERROR_CORRUPT, "'id'");
}

static void
test_load_refuses_unknown_state(Fixture *f, gconstpointer data)
{
    check_load_refused(f, "7.json", GOOD_JOB("7", "paused"), FERRY_ERROR_CORRUPT, "'state'");
}

static void
test_load_refuses_bad_options(Fixture *f, gconstpointer data)
{
    check_load_refused(f, "8.json",
        "{\"version\":1,\"id\":\"8\",\"kind\":\"k\",\"vm\":\"v\",\"target\":\"t\","
        "\"disks\":[],\"options\":\"[1, 2]\",\"state\":\"queued\",\"bytes\":0,"
        "\"bytes_total\":0,\"create_time\":0,\"start_time\":0,\"finish_time\":0}",
        FERRY_ERROR_CORRUPT, "'options'");
}

static void
test_load_refuses_bad_result(Fixture *f, gconstpointer data)
{
    check_load_refused(f, "12.json",
        "{\"version\":1,\"id\":\"12\",\"kind\":\"k\",\"vm\":\"v\",\"target\":\"t\","
        "\"disks\":[],\"options\":\"@a{sv} {}\",\"state\":\"completed\",\"bytes\":0,"
        "\"bytes_total\":0,\"create_time\":0,\"start_time\":0,\"finish_time\":0,"
        "\"result\":\"'manifest'\"}",
        FERRY_ERROR_CORRUPT, "'result'");
}

static void
test_load_refuses_negative_bytes(Fixture *f, gconstpointer data)
{
    check_load_refused(f, "9.json",
        "{\"version\":1,\"id\":\"9\",\"kind\":\"k\",\"vm\":\"v\",\"target\":\"t\","
        "\"disks\":[],\"options\":\"@a{sv} {}\",\"state\":\"queued\",\"bytes\":-1,"
        "\"bytes_total\":0,\"create_time\":0,\"start_time\":0,\"finish_time\":0}",
        FERRY_ERROR_CORRUPT, "'bytes'");
}

static void
test_load_refuses_oversized_file(Fixture *f, gconstpointer data)
{
    g_autofree char *big = g_strnfill(AGENT_STATE_MAX_JOB_BYTES + 1, ' ');

    check_load_refused(f, "10.json", big, FERRY_ERROR_CORRUPT, "at most");
}

static void
test_load_refuses_other_version(Fixture *f, gconstpointer data)
{
    check_load_refused(f, "11.json", "{\"version\":2}", FERRY_ERROR_UNSUPPORTED, "'version'");
}

static void
test_restart_marks_running_interrupted(Fixture *f, gconstpointer data)
{
    g_autofree char *jobs = g_build_filename(f->dir, "jobs", NULL);
    g_autofree char *p3 = g_build_filename(jobs, "3.json", NULL);
    g_autofree char *p4 = g_build_filename(jobs, "4.json", NULL);
    g_autofree char *bad = g_build_filename(jobs, "12.json", NULL);
    g_autoptr(AgentJobQueue) queue = NULL;
    g_autoptr(AgentJob) j3 = NULL, j4 = NULL, again = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(g_mkdir_with_parents(jobs, 0700), ==, 0);
    g_assert_true(g_file_set_contents(p3, GOOD_JOB("3", "running"), -1, NULL));
    g_assert_true(g_file_set_contents(p4, GOOD_JOB("4", "completed"), -1, NULL));
    g_assert_true(g_file_set_contents(bad, "not json", -1, NULL));
    /* One bad file is logged and skipped; it does not stop the agent. */
    g_test_expect_message("ferry", G_LOG_LEVEL_WARNING, "*12.json*");
    queue = agent_job_queue_new(f->dir, 1, &error);
    g_test_assert_expected_messages();
    g_assert_no_error(error);
    j3 = agent_job_queue_lookup(queue, "3", &error);
    g_assert_no_error(error);
    g_assert_cmpint(agent_job_get_state(j3), ==, AGENT_JOB_INTERRUPTED);
    g_assert_cmpuint(agent_job_get_bytes(j3), ==, 5);
    j4 = agent_job_queue_lookup(queue, "4", &error);
    g_assert_cmpint(agent_job_get_state(j4), ==, AGENT_JOB_COMPLETED);
    g_assert_null(agent_job_queue_lookup(queue, "12", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_null(agent_job_queue_lookup(queue, "../3", &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_clear_error(&error);
    /* The new state is on disk, and a new job gets the next id. */
    again = agent_state_load_job(p3, &error);
    g_assert_no_error(error);
    g_assert_cmpint(agent_job_get_state(again), ==, AGENT_JOB_INTERRUPTED);
    g_clear_pointer(&j3, agent_job_unref);
    j3 = agent_job_queue_add(queue, "vm", "file:///x", NULL, sleep_options(1, 1, 0), &error);
    g_assert_no_error(error);
    g_assert_cmpstr(agent_job_get_id(j3), ==, "5");
}

static void
test_second_queue_is_busy(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) first = NULL;
    g_autoptr(AgentJobQueue) second = NULL;
    g_autoptr(GError) error = NULL;

    first = agent_job_queue_new(f->dir, 1, &error);
    g_assert_no_error(error);
    second = agent_job_queue_new(f->dir, 1, &error);
    g_assert_null(second);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
    g_assert_nonnull(strstr(error->message, f->dir));
}

static void
test_runs_to_completion(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) queue = agent_job_queue_new(f->dir, 2, NULL);
    g_autoptr(AgentJob) job = NULL;
    g_autoptr(GError) error = NULL;

    agent_job_queue_set_hooks(queue, &hooks, f);
    agent_job_queue_start(queue);
    job = agent_job_queue_add(queue, "vm", "file:///x", NULL, sleep_options(100, 10, 1),
                              &error);
    g_assert_no_error(error);
    g_assert_cmpint(agent_job_get_state(job), ==, AGENT_JOB_RUNNING);
    wait_for_state(job, AGENT_JOB_COMPLETED);
    g_assert_cmpuint(agent_job_get_bytes(job), ==, 100);
    g_assert_cmpuint(agent_job_get_bytes_total(job), ==, 100);
    g_assert_null(agent_job_get_error(job));
    g_assert_cmpint(agent_job_get_finish_time(job), >=, agent_job_get_start_time(job));
    g_assert_cmpuint(f->added, ==, 1);
    g_assert_cmpuint(f->finished, ==, 1);
}

static void
test_concurrency_limit(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) queue = agent_job_queue_new(f->dir, 2, NULL);
    g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func((GDestroyNotify)agent_job_unref);
    guint i;

    agent_job_queue_set_hooks(queue, &hooks, f);
    agent_job_queue_start(queue);
    for (i = 0; i < 6; i++)
        g_ptr_array_add(jobs, agent_job_queue_add(queue, "vm", "file:///x", NULL,
                                                  sleep_options(40, 10, 2), NULL));
    g_assert_cmpint(agent_job_get_state(jobs->pdata[1]), ==, AGENT_JOB_RUNNING);
    g_assert_cmpint(agent_job_get_state(jobs->pdata[2]), ==, AGENT_JOB_QUEUED);
    for (i = 0; i < jobs->len; i++)
        wait_for_state(jobs->pdata[i], AGENT_JOB_COMPLETED);
    g_assert_cmpuint(f->max_running, ==, 2);
    g_assert_cmpuint(f->finished, ==, 6);
}

static void
test_cancel_running(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) queue = agent_job_queue_new(f->dir, 1, NULL);
    g_autoptr(AgentJob) job = NULL;
    g_autoptr(GError) error = NULL;

    agent_job_queue_set_hooks(queue, &hooks, f);
    agent_job_queue_start(queue);
    job = agent_job_queue_add(queue, "vm", "file:///x", NULL,
                              sleep_options(1000, 1, 50), NULL);
    wait_for_bytes(job, 1);
    g_assert_true(agent_job_queue_cancel(queue, job, &error));
    g_assert_no_error(error);
    g_assert_false(agent_job_queue_cancel(queue, job, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
    g_clear_error(&error);
    wait_for_state(job, AGENT_JOB_CANCELLED);
    g_assert_error(agent_job_get_error(job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpuint(agent_job_get_bytes(job), <, 1000);
    g_assert_false(agent_job_queue_cancel(queue, job, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpuint(f->finished, ==, 1);
}

static void
test_cancel_queued(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) queue = agent_job_queue_new(f->dir, 1, NULL);
    g_autoptr(AgentJob) first = NULL, second = NULL;
    g_autoptr(GError) error = NULL;

    agent_job_queue_start(queue);
    first = agent_job_queue_add(queue, "vm", "file:///x", NULL, sleep_options(10, 1, 20), NULL);
    second = agent_job_queue_add(queue, "vm", "file:///x", NULL, sleep_options(10, 1, 1), NULL);
    g_assert_cmpint(agent_job_get_state(second), ==, AGENT_JOB_QUEUED);
    g_assert_true(agent_job_queue_cancel(queue, second, &error));
    g_assert_cmpint(agent_job_get_state(second), ==, AGENT_JOB_CANCELLED);
    wait_for_state(first, AGENT_JOB_COMPLETED);
    g_assert_cmpint(agent_job_get_state(second), ==, AGENT_JOB_CANCELLED);
    g_assert_cmpuint(agent_job_get_bytes(second), ==, 0);
}

static void
test_fail_then_resume_refused_when_completed(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) queue = agent_job_queue_new(f->dir, 1, NULL);
    g_autoptr(AgentJob) job = NULL, done = NULL;
    g_autoptr(GError) error = NULL;
    GVariantDict d;

    agent_job_queue_start(queue);
    g_variant_dict_init(&d, sleep_options(100, 10, 0));
    g_variant_dict_insert(&d, "fail-at", "x", (gint64)30);
    job = agent_job_queue_add(queue, "vm", "file:///x", NULL, g_variant_dict_end(&d), NULL);
    wait_for_state(job, AGENT_JOB_FAILED);
    g_assert_error(agent_job_get_error(job), FERRY_ERROR, FERRY_ERROR_IO);
    g_assert_nonnull(strstr(agent_job_get_error(job)->message, "'fail-at'"));
    done = agent_job_queue_add(queue, "vm", "file:///x", NULL, sleep_options(1, 1, 0), NULL);
    wait_for_state(done, AGENT_JOB_COMPLETED);
    g_assert_false(agent_job_queue_resume(queue, done, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "job 2"));
}

static void
test_shutdown_then_resume_from_progress(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) queue = agent_job_queue_new(f->dir, 1, NULL);
    g_autoptr(AgentJob) job = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *log = g_build_filename(f->dir, "test.log", NULL);
    g_autofree char *text = NULL;
    guint64 at_stop;

    g_setenv("FERRY_AGENT_TEST_LOG", log, TRUE);
    agent_job_queue_start(queue);
    job = agent_job_queue_add(queue, "vm", "file:///x", NULL, sleep_options(100, 1, 5), NULL);
    wait_for_bytes(job, 10);
    g_clear_pointer(&job, agent_job_unref);
    g_clear_pointer(&queue, agent_job_queue_free);    /* as on SIGTERM */

    queue = agent_job_queue_new(f->dir, 1, &error);
    g_assert_no_error(error);
    job = agent_job_queue_lookup(queue, "1", &error);
    g_assert_cmpint(agent_job_get_state(job), ==, AGENT_JOB_INTERRUPTED);
    at_stop = agent_job_get_bytes(job);
    g_assert_cmpuint(at_stop, >=, 10);
    g_assert_cmpuint(at_stop, <, 100);
    agent_job_queue_start(queue);
    g_assert_true(agent_job_queue_resume(queue, job, &error));
    g_assert_no_error(error);
    g_assert_false(agent_job_queue_resume(queue, job, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_BUSY);
    wait_for_state(job, AGENT_JOB_COMPLETED);
    g_assert_true(agent_job_get_resume(job));
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    g_autofree char *resumed = g_strdup_printf("start 1 %" G_GUINT64_FORMAT "\n", at_stop);
    g_assert_nonnull(strstr(text, "start 1 0\n"));
    g_assert_nonnull(strstr(text, "end 1 cancelled\n"));
    g_assert_nonnull(strstr(text, resumed));
    g_assert_nonnull(strstr(text, "end 1 completed\n"));
    g_unsetenv("FERRY_AGENT_TEST_LOG");
}

static void
test_kind_export_available(void)
{
    g_autoptr(GError) error = NULL;
    const struct agent_job_kind *kind;

    agent_job_kinds_set_extra(NULL);
    kind = agent_job_kind_find("export", &error);
    agent_job_kinds_enable_tests();
    g_assert_no_error(error);
    g_assert_true(kind == &agent_job_kind_export);
    g_assert_nonnull(kind->run);
}

/* Without the test build's registration, as in the installed agent, the
 * environment of old (FERRY_AGENT_TEST_JOBS=1) makes no difference. */
static void
test_kind_test_sleep_unknown_unless_enabled(void)
{
    g_autoptr(GError) error = NULL;

    agent_job_kinds_set_extra(NULL);
    g_setenv("FERRY_AGENT_TEST_JOBS", "1", TRUE);
    g_assert_null(agent_job_kind_find("test-sleep", &error));
    g_unsetenv("FERRY_AGENT_TEST_JOBS");
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, "option 'kind': unknown job kind 'test-sleep'");
    g_clear_error(&error);
    agent_job_kinds_enable_tests();
    g_assert_true(agent_job_kind_find("test-sleep", &error) == &agent_job_kind_test_sleep);
    g_assert_no_error(error);
}

/* The agent runs as root: a symlink planted at the log's path must not
 * make it append to the file the link names. */
static void
test_kind_test_sleep_log_not_through_symlink(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) queue = agent_job_queue_new(f->dir, 1, NULL);
    g_autoptr(AgentJob) job = NULL;
    g_autofree char *victim = g_build_filename(f->dir, "victim", NULL);
    g_autofree char *log = g_build_filename(f->dir, "test.log", NULL);
    g_autofree char *text = NULL;

    g_assert_true(g_file_set_contents(victim, "", 0, NULL));
    g_assert_cmpint(symlink(victim, log), ==, 0);
    g_setenv("FERRY_AGENT_TEST_LOG", log, TRUE);
    agent_job_queue_start(queue);
    job = agent_job_queue_add(queue, "vm", "file:///x", NULL, sleep_options(2, 1, 0), NULL);
    wait_for_state(job, AGENT_JOB_COMPLETED);
    g_unsetenv("FERRY_AGENT_TEST_LOG");
    g_assert_true(g_file_get_contents(victim, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, "");
}

static void
test_add_refuses_bad_arguments(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJobQueue) queue = agent_job_queue_new(f->dir, 1, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *long_vm = g_strnfill(AGENT_JOB_MAX_VM_BYTES + 1, 'v');
    GVariantDict d;

    g_assert_null(agent_job_queue_add(queue, "", "t", NULL, sleep_options(1, 1, 0), &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "vm"));
    g_clear_error(&error);
    g_assert_null(agent_job_queue_add(queue, long_vm, "t", NULL, sleep_options(1, 1, 0),
                                      &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(agent_job_queue_add(queue, "vm", "a\nb", NULL, sleep_options(1, 1, 0),
                                      &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "target"));
    g_clear_error(&error);
    g_variant_dict_init(&d, sleep_options(1, 1, 0));
    g_variant_dict_insert(&d, "delay-ms", "x", (gint64)-5);
    g_assert_null(agent_job_queue_add(queue, "vm", "t", NULL, g_variant_dict_end(&d), &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "'delay-ms'"));
    g_clear_error(&error);
    g_variant_dict_init(&d, sleep_options(1, 1, 0));
    g_variant_dict_insert(&d, "bytes", "s", "many");
    g_assert_null(agent_job_queue_add(queue, "vm", "t", NULL, g_variant_dict_end(&d), &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "'bytes'"));
    g_clear_error(&error);
    g_assert_null(agent_job_queue_new(f->dir, 0, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
}

static void
test_config_values(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "ferry.conf", NULL);
    g_autoptr(AgentConfig) config = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path,
        "[agent]\nconcurrency=5\ngroup=ops\n[export]\nbandwidth-limit=1000000\n"
        "known-hosts=/etc/ferry/kh\n[future]\nx=1\n", -1, NULL));
    config = agent_config_load(path, FALSE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(config->concurrency, ==, 5);
    g_assert_cmpstr(config->group, ==, "ops");
    g_assert_cmpstr(config->format, ==, "qcow2");
    g_assert_cmpstr(config->known_hosts, ==, "/etc/ferry/kh");
    g_assert_cmpuint(config->bandwidth_limit, ==, 1000000);
    g_assert_cmpuint(config->streams, ==, 0);        /* not set */
}

static void
test_config_streams(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "ferry.conf", NULL);
    static const char *const bad[] = { "0", "17", "four", "-1", "" };
    g_autoptr(AgentConfig) config = NULL;
    g_autoptr(GError) error = NULL;
    gsize i;

    g_assert_true(g_file_set_contents(path, "[export]\nstreams= 4 \n", -1, NULL));
    config = agent_config_load(path, FALSE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(config->streams, ==, 4);
    g_clear_pointer(&config, agent_config_free);
    g_assert_true(g_file_set_contents(path, "[export]\nstreams=16\n", -1, NULL));
    config = agent_config_load(path, FALSE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(config->streams, ==, 16);
    g_clear_pointer(&config, agent_config_free);
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf("[export]\nstreams=%s\n", bad[i]);
        g_autofree char *want = *bad[i] ?
            g_strdup_printf("[export] streams: '%s' is not a number within 1..16",
                            bad[i]) :
            g_strdup("[export] streams: empty value");

        g_assert_true(g_file_set_contents(path, text, -1, NULL));
        config = agent_config_load(path, FALSE, &error);
        g_assert_null(config);
        g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
        if (!strstr(error->message, want) || !strstr(error->message, path))
            g_error("'%s' not in: %s", want, error->message);
        g_clear_error(&error);
    }
}

static void
test_config_concurrency_out_of_range(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "ferry.conf", NULL);
    g_autoptr(AgentConfig) config = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path, "[agent]\nconcurrency=65\n", -1, NULL));
    config = agent_config_load(path, FALSE, &error);
    g_assert_null(config);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "[agent] concurrency"));
    g_assert_nonnull(strstr(error->message, path));
}

static void
test_config_missing_file(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "none.conf", NULL);
    g_autoptr(AgentConfig) config = agent_config_load(path, TRUE, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_nonnull(config);
    g_assert_cmpuint(config->concurrency, ==, 2);
    g_assert_null(agent_config_load(path, FALSE, &error));
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    agent_job_kinds_enable_tests();
    g_unsetenv("FERRY_AGENT_TEST_JOBS");
    g_unsetenv("FERRY_AGENT_TEST_LOG");
    g_test_add_func("/agent/jobs/state/names-round-trip", test_state_names);
    g_test_add_func("/agent/jobs/state/moves-follow-the-table", test_state_moves);
    ADD("/agent/jobs/persist/round-trip-keeps-every-field", test_persist_round_trip);
    ADD("/agent/jobs/persist/id-not-matching-file-name", test_load_refuses_id_mismatch);
    ADD("/agent/jobs/persist/unknown-state", test_load_refuses_unknown_state);
    ADD("/agent/jobs/persist/options-not-a-dictionary", test_load_refuses_bad_options);
    ADD("/agent/jobs/persist/negative-bytes", test_load_refuses_negative_bytes);
    ADD("/agent/jobs/persist/result-not-a-dictionary", test_load_refuses_bad_result);
    ADD("/agent/jobs/persist/oversized-file", test_load_refuses_oversized_file);
    ADD("/agent/jobs/persist/other-version", test_load_refuses_other_version);
    ADD("/agent/jobs/queue/restart-marks-running-interrupted",
        test_restart_marks_running_interrupted);
    ADD("/agent/jobs/queue/second-agent-on-state-dir-is-busy", test_second_queue_is_busy);
    ADD("/agent/jobs/queue/job-runs-to-completion", test_runs_to_completion);
    ADD("/agent/jobs/queue/never-more-than-concurrency-running", test_concurrency_limit);
    ADD("/agent/jobs/queue/cancel-running-job", test_cancel_running);
    ADD("/agent/jobs/queue/cancel-queued-job", test_cancel_queued);
    ADD("/agent/jobs/queue/failed-job-and-completed-not-resumable",
        test_fail_then_resume_refused_when_completed);
    ADD("/agent/jobs/queue/shutdown-then-resume-from-progress",
        test_shutdown_then_resume_from_progress);
    ADD("/agent/jobs/queue/add-refuses-bad-arguments", test_add_refuses_bad_arguments);
    g_test_add_func("/agent/jobs/kind/export-available-without-test-kinds", test_kind_export_available);
    g_test_add_func("/agent/jobs/kind/test-sleep-unknown-unless-enabled",
                    test_kind_test_sleep_unknown_unless_enabled);
    ADD("/agent/jobs/kind/test-sleep-log-not-through-symlink",
        test_kind_test_sleep_log_not_through_symlink);
    ADD("/agent/config/values-read", test_config_values);
    ADD("/agent/config/streams", test_config_streams);
    ADD("/agent/config/concurrency-out-of-range", test_config_concurrency_out_of_range);
    ADD("/agent/config/missing-file", test_config_missing_file);
    return g_test_run();
}
