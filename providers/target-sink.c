/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-sink.c: the sink an export writes each disk into.  It hashes the
 * stream with SHA-256 (holes as zeros), drops the first resume_offset bytes
 * (already in the .part from an earlier attempt), sends the rest to
 * "<name>.part" through the backend, and on commit asks the target for the
 * file's SHA-256, compares, and renames.  Nothing appears under the final
 * name unless the target's own hash of the file matched the stream's.
 *
 * TargetOptions.bandwidth_limit is enforced here, on the bytes handed to
 * the backend, so that it holds for every scheme and a resume's skipped
 * prefix goes at full speed.
 */
#include <config.h>

#include <string.h>

#include "providers/target-priv.h"

/* Zeros hashed at once for a hole. */
#define TARGET_SINK_ZERO_BYTES (64 * 1024)

typedef struct {
    Target *t;                  /* borrowed */
    TargetUpload *up;           /* borrowed */
    char *name;                 /* final name */
    char *part_name;            /* "<name>.part" */
    char *part;                 /* full paths */
    char *path;
    gpointer handle;            /* the backend's upload, or NULL */
    TargetHash *sum;
    char hex[65];               /* the stream's, once finished */
    guint64 pos;                /* stream offset */
    gboolean resumable_error;   /* the last failure was a dropped link */
    RateLimit rate;             /* TargetOptions.bandwidth_limit */
} TargetSink;

static void
target_sink_note_error(TargetSink *ts, const GError *error)
{
    ts->resumable_error =
        g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NETWORK) ||
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gboolean
target_sink_write(gpointer data, const void *buf, gsize len, GError **error)
{
    TargetSink *ts = data;
    const guint8 *p = buf;
    gsize drop = 0;

    target_hash_update(ts->sum, buf, len);
    if (ts->pos < ts->up->resume_offset)
        drop = (gsize)MIN((guint64)len, ts->up->resume_offset - ts->pos);
    ts->pos += len;
    if (drop == len)
        return TRUE;
    if (!rate_limit_wait(&ts->rate, len - drop, ts->t->cancellable, error)) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    if (!ts->t->backend->upload_write(ts->handle, p + drop, len - drop,
                                      error)) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    ts->up->bytes_sent += len - drop;
    return TRUE;
}

static gboolean
target_sink_skip(gpointer data, guint64 len, GError **error)
{
    static const guint8 zeros[TARGET_SINK_ZERO_BYTES];
    TargetSink *ts = data;
    guint64 left = len, drop = 0;

    while (left > 0) {
        gsize n = (gsize)MIN(left, (guint64)sizeof(zeros));

        target_hash_update(ts->sum, zeros, n);
        left -= n;
    }
    if (ts->pos < ts->up->resume_offset)
        drop = MIN(len, ts->up->resume_offset - ts->pos);
    ts->pos += len;
    if (drop == len)
        return TRUE;
    if (!ts->t->backend->upload_skip(ts->handle, len - drop, error)) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    return TRUE;
}

static gboolean
target_sink_commit(gpointer data, GError **error)
{
    TargetSink *ts = data;
    const Target *t = ts->t;
    g_autofree char *remote = NULL;
    gpointer h = g_steal_pointer(&ts->handle);

    if (ts->pos < ts->up->resume_offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                    "%s: '%s': the output (%" G_GUINT64_FORMAT " bytes) is "
                    "shorter than the part being resumed (%" G_GUINT64_FORMAT
                    ")", t->name, ts->part_name, ts->pos,
                    ts->up->resume_offset);
        t->backend->upload_close(h);
        return FALSE;
    }
    target_hash_finish(ts->sum, ts->hex);
    if (!t->backend->upload_finish(h, error)) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    remote = t->backend->sha256(ts->t, ts->part, error);
    if (!remote) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    if (!g_str_equal(remote, ts->hex)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                    "%s: '%s': sha256 on the target is %s, the stream's is %s",
                    t->name, ts->part_name, remote,
                    ts->hex);
        return FALSE;
    }
    if (!t->backend->rename(ts->t, ts->part, ts->path, error)) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    g_strlcpy(ts->up->sha256, remote, sizeof(ts->up->sha256));
    return TRUE;
}

static void
target_sink_abort(gpointer data)
{
    TargetSink *ts = data;
    gboolean cancelled = ts->t->cancellable &&
                         g_cancellable_is_cancelled(ts->t->cancellable);

    if (ts->handle)
        ts->t->backend->upload_close(g_steal_pointer(&ts->handle));
    if (cancelled || ts->resumable_error) {
        ts->up->part_kept = TRUE;
        return;
    }
    target_remove(ts->t, ts->part_name);
}

static void
target_sink_free(gpointer data)
{
    TargetSink *ts = data;

    if (ts->handle)
        ts->t->backend->upload_close(ts->handle);
    target_hash_free(ts->sum);
    g_free(ts->name);
    g_free(ts->part_name);
    g_free(ts->part);
    g_free(ts->path);
    g_free(ts);
}

static const ConvSinkCustomOps target_sink_ops = {
    .name = "target",
    .write = target_sink_write,
    .skip = target_sink_skip,
    .commit = target_sink_commit,
    .abort = target_sink_abort,
};

ConvSink *
target_open_sink(Target *t, const char *name, guint64 resume_offset,
                 TargetUpload *up, GError **error)
{
    TargetSink *ts;

    if (!target_check_name(name, error))
        return NULL;
    g_assert(resume_offset % TARGET_RESUME_ALIGN == 0);
    memset(up, 0, sizeof(*up));
    up->resume_offset = resume_offset;
    ts = g_new0(TargetSink, 1);
    ts->t = t;
    ts->up = up;
    ts->name = g_strdup(name);
    ts->part_name = g_strconcat(name, ".part", NULL);
    ts->part = target_path(t, ts->part_name);
    ts->path = target_path(t, name);
    ts->sum = target_hash_new();
    rate_limit_init(&ts->rate, t->opts->bandwidth_limit);
    ts->handle = t->backend->upload_open(t, ts->part, resume_offset, error);
    if (!ts->handle) {
        target_sink_free(ts);
        return NULL;
    }
    return conv_sink_new_custom(&target_sink_ops, ts, target_sink_free);
}
