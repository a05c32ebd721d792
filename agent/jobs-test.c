/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jobs-test.c: "test-sleep", a job kind for tests only.  It is linked
 * into tests/tools/ferry-agent-test and the unit tests, never into the
 * installed ferry-agent, which answers kind=test-sleep as unknown.  It "copies"
 * `bytes` bytes in steps of `step` bytes, sleeping `delay-ms` between
 * steps, so that the queue, progress, cancel, persistence and resume can
 * be tested before any real export exists.  Options (a{sv}, numbers):
 *
 *   bytes     total to "copy", default 1 MiB, at most 1 TiB
 *   step      bytes per step, default 64 KiB, 1..bytes
 *   delay-ms  pause after each step, default 20, at most 60000
 *   fail-at   fail with FERRY_ERROR_IO once this many bytes are done
 *
 * A resumed run starts from the persisted byte count, as an export resumes
 * from what the target holds.  With $FERRY_AGENT_TEST_LOG set, each run
 * appends "start ID FROM" and "end ID RESULT" lines to that file, which
 * tests read to check the concurrency limit and the resume point; the
 * agent runs as root, so a symlink there is not followed.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/authz-priv.h"
#include "agent/jobs-priv.h"

#define TEST_SLEEP_MAX_BYTES (G_GUINT64_CONSTANT(1) << 40)
#define TEST_SLEEP_MAX_DELAY_MS 60000
/* Cancel is noticed within this long even with a long delay. */
#define TEST_SLEEP_SLICE_US 5000

typedef struct {
    guint64 bytes, step, delay_ms, fail_at;
} TestSleepParams;

static gboolean
test_sleep_params(GVariant *options, TestSleepParams *p, GError **error)
{
    if (!agent_options_get_uint64(options, "bytes", 1024 * 1024,
                                  TEST_SLEEP_MAX_BYTES, &p->bytes, error) ||
        !agent_options_get_uint64(options, "step", MIN(p->bytes, 65536),
                                  p->bytes, &p->step, error) ||
        !agent_options_get_uint64(options, "delay-ms", 20,
                                  TEST_SLEEP_MAX_DELAY_MS, &p->delay_ms,
                                  error) ||
        !agent_options_get_uint64(options, "fail-at", G_MAXUINT64, G_MAXUINT64,
                                  &p->fail_at, error))
        return FALSE;
    if (p->step == 0 && p->bytes > 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "option 'step': 0 is not within 1..%" G_GUINT64_FORMAT,
                    p->bytes);
        return FALSE;
    }
    return TRUE;
}

static gboolean
test_sleep_check(GVariant *options, GError **error)
{
    TestSleepParams p;

    return test_sleep_params(options, &p, error);
}

static void
test_sleep_log(const char *fmt, ...)
{
    const char *path = g_getenv("FERRY_AGENT_TEST_LOG");
    g_autofree char *line = NULL;
    va_list ap;
    int fd;

    if (!path)
        return;
    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* One write() per line with O_APPEND: lines from workers never mix. */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
              0644);
    if (fd < 0) {
        g_debug("open: %s: %s", path, g_strerror(errno));
        return;
    }
    if (write(fd, line, strlen(line)) < 0)
        g_debug("test log: %s", g_strerror(errno));
    close(fd);
}

static gboolean
test_sleep_run(AgentJob *job, GCancellable *cancellable,
               AgentJobProgressFunc progress, GError **error)
{
    TestSleepParams p;
    guint64 done = 0;

    if (!test_sleep_params(agent_job_get_options(job), &p, error))
        return FALSE;
    if (agent_job_get_resume(job))
        done = MIN(agent_job_get_bytes(job), p.bytes);
    test_sleep_log("start %s %" G_GUINT64_FORMAT "\n", agent_job_get_id(job),
                   done);
    progress(job, done, p.bytes);
    while (done < p.bytes) {
        gint64 until = g_get_monotonic_time() + (gint64)p.delay_ms * 1000;

        if (done >= p.fail_at) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                        "test-sleep: write failed at byte %" G_GUINT64_FORMAT
                        " as option 'fail-at' asked", done);
            test_sleep_log("end %s failed\n", agent_job_get_id(job));
            return FALSE;
        }
        for (;;) {
            gint64 now = g_get_monotonic_time();

            if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
                test_sleep_log("end %s cancelled\n", agent_job_get_id(job));
                return FALSE;
            }
            if (now >= until)
                break;
            g_usleep(MIN(until - now, TEST_SLEEP_SLICE_US));
        }
        done += MIN(p.step, p.bytes - done);
        progress(job, done, p.bytes);
    }
    test_sleep_log("end %s completed\n", agent_job_get_id(job));
    return TRUE;
}

const struct agent_job_kind agent_job_kind_test_sleep = {
    .name = "test-sleep",
    .check = test_sleep_check,
    .run = test_sleep_run,
};

static const struct agent_job_kind *const test_kinds[] = {
    &agent_job_kind_test_sleep,
    NULL,
};

/* test-sleep's options, for the authorization table (agent/authz.c). */
static const AgentAuthzRule test_sleep_rules[] = {
    { AGENT_METHOD_EXPORT, "bytes", AGENT_POLKIT_ACTION_MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "step", AGENT_POLKIT_ACTION_MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "delay-ms", AGENT_POLKIT_ACTION_MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
    { AGENT_METHOD_EXPORT, "fail-at", AGENT_POLKIT_ACTION_MANAGE, NULL, FALSE,
      AGENT_AUTHZ_VALUE_ANY, NULL },
};

void
agent_job_kinds_enable_tests(void)
{
    agent_job_kinds_set_extra(test_kinds);
    agent_authz_set_extra_rules(test_sleep_rules,
                                G_N_ELEMENTS(test_sleep_rules));
}
