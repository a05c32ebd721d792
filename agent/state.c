/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * state.c: jobs on disk.  Each job is one JSON file,
 * <state dir>/jobs/<id>.json, replaced atomically (a temporary file in the
 * same directory, fsync, rename, then fsync of the directory) so that a
 * SIGKILL or a power cut leaves either the old or the new version, never
 * a torn one:
 *
 *   {"version": 1, "id": "3", "kind": "export", "vm": "web1",
 *    "target": "ssh://...", "disks": ["vda"], "options": "<GVariant text>",
 *    "owner": uid (absent in files written before owners: root),
 *    "state": "running", "resume": false, "bytes": 123, "bytes_total": 456,
 *    "error": {"code": "io", "message": "..."} or absent,
 *    "result": "<GVariant text>" or absent,
 *    "create_time": µs, "start_time": µs, "finish_time": µs}
 *
 * options and result are kept in GVariant's text format, which keeps the
 * types an a{sv} has (JSON would turn a uint64 into an int64).  The files
 * are read back as hostile input: size-capped, every field type-checked,
 * the id matched against the file name.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/jobs-priv.h"

#define AGENT_STATE_VERSION 1

/* Error codes by name, so that the files do not depend on enum order. */
static const char *const agent_state_error_codes[] = {
    [FERRY_ERROR_FAILED] = "failed",
    [FERRY_ERROR_INVALID] = "invalid",
    [FERRY_ERROR_NOT_FOUND] = "not-found",
    [FERRY_ERROR_BUSY] = "busy",
    [FERRY_ERROR_UNSUPPORTED] = "unsupported",
    [FERRY_ERROR_CORRUPT] = "corrupt",
    [FERRY_ERROR_IO] = "io",
    [FERRY_ERROR_AUTH] = "auth",
    [FERRY_ERROR_NETWORK] = "network",
    [FERRY_ERROR_REMOTE] = "remote",
    [FERRY_ERROR_CHECKSUM] = "checksum",
    [FERRY_ERROR_EXISTS] = "exists",
};
G_STATIC_ASSERT(G_N_ELEMENTS(agent_state_error_codes) == FERRY_ERROR_LAST);

char *
agent_state_dir_default(gboolean session)
{
    if (session)
        return g_build_filename(g_get_user_state_dir(), "ferry", NULL);
    return g_strdup("/var/lib/ferry");
}

JsonNode *
agent_job_to_json(const AgentJob *job)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *options = g_variant_print(job->options, TRUE);
    guint i;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, AGENT_STATE_VERSION);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, job->id);
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, job->kind);
    json_builder_set_member_name(b, "vm");
    json_builder_add_string_value(b, job->vm);
    json_builder_set_member_name(b, "target");
    json_builder_add_string_value(b, job->target);
    json_builder_set_member_name(b, "disks");
    json_builder_begin_array(b);
    for (i = 0; job->disks[i]; i++)
        json_builder_add_string_value(b, job->disks[i]);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "options");
    json_builder_add_string_value(b, options);
    json_builder_set_member_name(b, "owner");
    json_builder_add_int_value(b, job->owner);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, agent_job_state_name(job->state));
    json_builder_set_member_name(b, "resume");
    json_builder_add_boolean_value(b, job->resume);
    json_builder_set_member_name(b, "bytes");
    json_builder_add_int_value(
        b, (gint64)MIN(agent_job_get_bytes(job), G_MAXINT64));
    json_builder_set_member_name(b, "bytes_total");
    json_builder_add_int_value(
        b, (gint64)MIN(agent_job_get_bytes_total(job), G_MAXINT64));
    if (job->error) {
        const char *code = "failed";

        if (g_error_matches(job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            code = "cancelled";
        else if (job->error->domain == FERRY_ERROR && job->error->code >= 0 &&
                 job->error->code < FERRY_ERROR_LAST)
            code = agent_state_error_codes[job->error->code];
        json_builder_set_member_name(b, "error");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "code");
        json_builder_add_string_value(b, code);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, job->error->message);
        json_builder_end_object(b);
    }
    if (job->result_data) {
        g_autofree char *result = g_variant_print(job->result_data, TRUE);

        json_builder_set_member_name(b, "result");
        json_builder_add_string_value(b, result);
    }
    json_builder_set_member_name(b, "create_time");
    json_builder_add_int_value(b, job->create_time);
    json_builder_set_member_name(b, "start_time");
    json_builder_add_int_value(b, job->start_time);
    json_builder_set_member_name(b, "finish_time");
    json_builder_add_int_value(b, job->finish_time);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* The member @key of @obj as a string, or NULL with an error naming it. */
static const char *
agent_state_get_string(JsonObject *obj, const char *key, const char *what,
                       GError **error)
{
    JsonNode *node = json_object_get_member(obj, key);

    if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: '%s' is missing or not a string", what, key);
        return NULL;
    }
    return json_node_get_string(node);
}

static gboolean
agent_state_get_int(JsonObject *obj, const char *key, const char *what,
                    gint64 *value, GError **error)
{
    JsonNode *node = json_object_get_member(obj, key);

    if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64 ||
        json_node_get_int(node) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: '%s' is missing or not a non-negative integer", what,
                    key);
        return FALSE;
    }
    *value = json_node_get_int(node);
    return TRUE;
}

static GError *
agent_state_error_from_json(JsonObject *obj)
{
    const char *code = NULL, *message = NULL;
    JsonNode *node;
    guint i;

    node = json_object_get_member(obj, "code");
    if (node && JSON_NODE_HOLDS_VALUE(node) &&
        json_node_get_value_type(node) == G_TYPE_STRING)
        code = json_node_get_string(node);
    node = json_object_get_member(obj, "message");
    if (node && JSON_NODE_HOLDS_VALUE(node) &&
        json_node_get_value_type(node) == G_TYPE_STRING)
        message = json_node_get_string(node);
    if (!message)
        message = "(no message)";
    if (g_strcmp0(code, "cancelled") == 0)
        return g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, message);
    for (i = 0; i < FERRY_ERROR_LAST; i++) {
        if (g_strcmp0(code, agent_state_error_codes[i]) == 0)
            return g_error_new_literal(FERRY_ERROR, i, message);
    }
    return g_error_new_literal(FERRY_ERROR, FERRY_ERROR_FAILED, message);
}

AgentJob *
agent_job_from_json(JsonNode *root, const char *what, GError **error)
{
    g_autoptr(AgentJob) job = NULL;
    g_autoptr(GVariant) options = NULL;
    g_autoptr(GPtrArray) disks = g_ptr_array_new();
    g_autoptr(GError) parse_error = NULL;
    JsonObject *obj;
    JsonNode *node;
    const char *id, *kind, *vm, *target, *options_text, *state_name;
    gint64 version, bytes, total, number;
    AgentJobState state;
    char *end = NULL;
    guint i, n;

    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: not a JSON object", what);
        return NULL;
    }
    obj = json_node_get_object(root);
    if (!agent_state_get_int(obj, "version", what, &version, error))
        return NULL;
    if (version != AGENT_STATE_VERSION) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: 'version' %" G_GINT64_FORMAT " is not %d", what,
                    version, AGENT_STATE_VERSION);
        return NULL;
    }
    if (!(id = agent_state_get_string(obj, "id", what, error)) ||
        !(kind = agent_state_get_string(obj, "kind", what, error)) ||
        !(vm = agent_state_get_string(obj, "vm", what, error)) ||
        !(target = agent_state_get_string(obj, "target", what, error)) ||
        !(options_text = agent_state_get_string(obj, "options", what, error)) ||
        !(state_name = agent_state_get_string(obj, "state", what, error)))
        return NULL;
    number = g_ascii_strtoll(id, &end, 10);
    if (strlen(id) == 0 || strlen(id) > AGENT_JOB_ID_MAX_DIGITS || *end ||
        !g_ascii_isdigit(id[0]) || number < 1 || number > G_MAXUINT32) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: 'id' '%s' is not a number within 1..%u", what, id,
                    G_MAXUINT32);
        return NULL;
    }
    if (!agent_job_state_from_name(state_name, &state)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: 'state' '%s' is not a job state", what, state_name);
        return NULL;
    }
    node = json_object_get_member(obj, "disks");
    if (!node || !JSON_NODE_HOLDS_ARRAY(node) ||
        (n = json_array_get_length(json_node_get_array(node))) >
            AGENT_JOB_MAX_DISKS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: 'disks' is missing, not an array or longer than %d",
                    what, AGENT_JOB_MAX_DISKS);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        JsonNode *d = json_array_get_element(json_node_get_array(node), i);

        if (!JSON_NODE_HOLDS_VALUE(d) ||
            json_node_get_value_type(d) != G_TYPE_STRING) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: 'disks' element %u is not a string", what, i);
            return NULL;
        }
        g_ptr_array_add(disks, (gpointer)json_node_get_string(d));
    }
    g_ptr_array_add(disks, NULL);
    options = g_variant_parse(G_VARIANT_TYPE_VARDICT, options_text, NULL, NULL,
                              &parse_error);
    if (!options) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: 'options' is not an a{sv}: %s", what,
                    parse_error->message);
        return NULL;
    }
    if (!agent_state_get_int(obj, "bytes", what, &bytes, error) ||
        !agent_state_get_int(obj, "bytes_total", what, &total, error))
        return NULL;
    job = agent_job_new((guint32)number, kind, vm, target,
                        (const char *const *)disks->pdata, options);
    job->state = state;
    agent_job_set_counters(job, (guint64)bytes, (guint64)total);
    if (!agent_state_get_int(obj, "create_time", what, &job->create_time,
                             error) ||
        !agent_state_get_int(obj, "start_time", what, &job->start_time,
                             error) ||
        !agent_state_get_int(obj, "finish_time", what, &job->finish_time,
                             error))
        return NULL;
    if (json_object_has_member(obj, "owner")) {
        gint64 owner;

        if (!agent_state_get_int(obj, "owner", what, &owner, error))
            return NULL;
        if (owner > G_MAXUINT32) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: 'owner' %" G_GINT64_FORMAT " is not a uid", what,
                        owner);
            return NULL;
        }
        job->owner = (guint32)owner;
    }
    node = json_object_get_member(obj, "resume");
    job->resume = node && JSON_NODE_HOLDS_VALUE(node) &&
                  json_node_get_value_type(node) == G_TYPE_BOOLEAN &&
                  json_node_get_boolean(node);
    node = json_object_get_member(obj, "error");
    if (node && JSON_NODE_HOLDS_OBJECT(node))
        job->error = agent_state_error_from_json(json_node_get_object(node));
    if (json_object_has_member(obj, "result")) {
        const char *text = agent_state_get_string(obj, "result", what, error);
        GVariant *result;

        if (!text)
            return NULL;
        result = g_variant_parse(G_VARIANT_TYPE_VARDICT, text, NULL, NULL,
                                 &parse_error);
        if (!result) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: 'result' is not an a{sv}: %s", what,
                        parse_error->message);
            return NULL;
        }
        agent_job_take_result(job, result);
    }
    job->saved_bytes = (guint64)bytes;
    return g_steal_pointer(&job);
}

static gboolean
agent_state_fsync_dir(const char *dir, GError **error)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "fsync: %s: %s", dir,
                    g_strerror(err));
        return FALSE;
    }
    close(fd);
    return TRUE;
}

gboolean
agent_state_save_job(const char *jobs_dir, AgentJob *job, GError **error)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = agent_job_to_json(job);
    g_autofree char *name = g_strdup_printf("%s.json", job->id);
    g_autofree char *path = g_build_filename(jobs_dir, name, NULL);
    g_autofree char *data = NULL;
    g_autoptr(GError) local = NULL;
    gsize len;

    json_generator_set_root(gen, root);
    data = json_generator_to_data(gen, &len);
    /* CONSISTENT|DURABLE: a temporary file, fsync, rename over. */
    if (!g_file_set_contents_full(path, data, len,
                                  G_FILE_SET_CONTENTS_CONSISTENT |
                                  G_FILE_SET_CONTENTS_DURABLE, 0600, &local)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "job %s: %s", job->id,
                    local->message);
        return FALSE;
    }
    return agent_state_fsync_dir(jobs_dir, error);
}

AgentJob *
agent_state_load_job(const char *path, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *data = NULL;
    g_autofree char *base = g_path_get_basename(path);
    g_autoptr(AgentJob) job = NULL;
    struct stat st;
    ssize_t got;
    int fd;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "open: %s: %s", path,
                    g_strerror(err));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > AGENT_STATE_MAX_JOB_BYTES) {
        close(fd);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: not a regular file of at most %d bytes", path,
                    AGENT_STATE_MAX_JOB_BYTES);
        return NULL;
    }
    data = g_malloc(st.st_size + 1);
    got = read(fd, data, st.st_size);
    close(fd);
    if (got != st.st_size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "read: %s: short read",
                    path);
        return NULL;
    }
    if (!json_parser_load_from_data(parser, data, got, &local)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT, "%s: %s", path,
                    local->message);
        return NULL;
    }
    job = agent_job_from_json(json_parser_get_root(parser), path, error);
    if (!job)
        return NULL;
    if (!g_str_has_prefix(base, job->id) ||
        !g_str_equal(base + strlen(job->id), ".json")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: 'id' '%s' does not match the file name", path,
                    job->id);
        return NULL;
    }
    return g_steal_pointer(&job);
}

void
agent_state_remove_job(const char *jobs_dir, const AgentJob *job)
{
    g_autofree char *name = g_strdup_printf("%s.json", job->id);
    g_autofree char *path = g_build_filename(jobs_dir, name, NULL);

    if (unlink(path) < 0 && errno != ENOENT)
        g_warning("unlink: %s: %s", path, g_strerror(errno));
}

static gint
agent_state_compare(gconstpointer a, gconstpointer b)
{
    const AgentJob *ja = *(AgentJob *const *)a, *jb = *(AgentJob *const *)b;

    return ja->number < jb->number ? -1 : ja->number > jb->number;
}

GPtrArray *
agent_state_load_jobs(const char *jobs_dir, GError **error)
{
    g_autoptr(GPtrArray) jobs =
        g_ptr_array_new_with_free_func((GDestroyNotify)agent_job_unref);
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) local = NULL;
    const char *name;
    guint i, finished = 0;

    dir = g_dir_open(jobs_dir, 0, &local);
    if (!dir) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s", local->message);
        return NULL;
    }
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = NULL;
        AgentJob *job;
        gsize len = strlen(name);

        /* <digits>.json only: GLib's temporaries are <id>.json.XXXXXX. */
        if (len < 6 || !g_str_has_suffix(name, ".json") ||
            strspn(name, "0123456789") != len - 5)
            continue;
        if (jobs->len >= AGENT_STATE_MAX_JOBS) {
            g_warning("%s: more than %d jobs: ignoring the rest", jobs_dir,
                      AGENT_STATE_MAX_JOBS);
            break;
        }
        path = g_build_filename(jobs_dir, name, NULL);
        job = agent_state_load_job(path, &local);
        if (!job) {
            g_warning("%s", local->message);
            g_clear_error(&local);
            continue;
        }
        g_ptr_array_add(jobs, job);
    }
    g_ptr_array_sort(jobs, agent_state_compare);
    for (i = 0; i < jobs->len; i++)
        finished +=
            agent_job_state_is_final(((AgentJob *)jobs->pdata[i])->state);
    /* Forget the oldest finished jobs beyond the limit. */
    for (i = 0; i < jobs->len && finished > AGENT_STATE_KEEP_FINISHED;) {
        AgentJob *job = g_ptr_array_index(jobs, i);

        if (agent_job_state_is_final(job->state)) {
            agent_state_remove_job(jobs_dir, job);
            g_ptr_array_remove_index(jobs, i);
            finished--;
        } else {
            i++;
        }
    }
    return g_steal_pointer(&jobs);
}
