/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-job-state.c: a job file of the agent's state directory
 * (<state dir>/jobs/<id>.json), as a restarted agent loads it: the input
 * is the file's text, parsed with json-glib and turned into a job by
 * agent_job_from_json(), whose result is written back out again.  The
 * export kind's code is not linked: the loader only names kinds.
 * FUZZ_EXTRA_SOURCES: agent/state.c agent/jobs.c
 */
#include <config.h>

#include "agent/jobs-priv.h"

/* The one kind agent/jobs.c names; its callbacks are never reached here. */
const struct agent_job_kind agent_job_kind_export = { .name = "export" };

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(AgentJob) job = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) again = NULL;

    if (size > AGENT_STATE_MAX_JOB_BYTES)
        return 0;
    if (!json_parser_load_from_data(parser, (const char *)data, size, NULL))
        return 0;
    job = agent_job_from_json(json_parser_get_root(parser), "fuzz.json", &error);
    g_assert((job == NULL) != (error == NULL));
    if (job)
        again = agent_job_to_json(job);
    return 0;
}
