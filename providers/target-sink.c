/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-sink.c: the sink an export writes each disk into, a stack of
 * layers as STYLE.md's sinks are (hash, then throttle, then transport):
 *
 *   target      checks, on commit, the target's own SHA-256 of the .part
 *    |          against the stream's (or hands the stream's to a backend
 *    |          that checked what landed as it landed: adopt_sha256), then
 *    |          renames it to the final name
 *   sha256      conv's hash sink: the stream's SHA-256, holes as zeros
 *    |
 *   resume      drops the stream's first resume_offset bytes (already in
 *    |          the .part from an earlier attempt)
 *   rate-limit  transport's throttle (TargetOptions.bandwidth_limit): below
 *    |          the resume layer, so a resume's skipped prefix goes at
 *    |          full speed and is not counted
 *   upload      the backend's upload of "<name>.part"
 *
 * Nothing appears under the final name unless the target's own hash of
 * the file matched the stream's.  The layers of providers/ share one
 * TargetSink, owned by the top one.
 */
#include <config.h>

#include <string.h>

#include "providers/target-priv.h"

typedef struct {
    Target *t;                  /* borrowed */
    TargetUpload *up;           /* borrowed */
    char *name;                 /* final name */
    char *part_name;            /* "<name>.part" */
    ConvSink *below;            /* sha256 -> resume -> rate-limit -> upload */
    gpointer handle;            /* the backend's upload, or NULL */
    guint64 pos;                /* stream offset, in the resume layer */
    gboolean resumable_error;   /* the last failure was a dropped link */
    gboolean backend_counts;    /* the upload counts up->bytes_sent */
} TargetSink;

static void
target_sink_note_error(TargetSink *ts, const GError *error)
{
    ts->resumable_error =
        g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NETWORK) ||
        g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- upload: the backend's writer --------------------------------------- */

static gboolean
target_upload_write(gpointer data, const void *buf, gsize len, GError **error)
{
    TargetSink *ts = data;

    if (!ts->t->backend->upload_write(ts->handle, buf, len, error)) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    if (!ts->backend_counts)
        ts->up->bytes_sent += len;
    return TRUE;
}

static gboolean
target_upload_skip(gpointer data, guint64 len, GError **error)
{
    TargetSink *ts = data;

    if (!ts->t->backend->upload_skip(ts->handle, len, error)) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    return TRUE;
}

static gboolean
target_upload_commit(gpointer data, GError **error)
{
    TargetSink *ts = data;

    if (!ts->t->backend->upload_finish(g_steal_pointer(&ts->handle), error)) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    return TRUE;
}

static void
target_upload_abort(gpointer data)
{
    TargetSink *ts = data;

    if (ts->handle)
        ts->t->backend->upload_close(g_steal_pointer(&ts->handle));
}

static const ConvSinkCustomOps target_upload_ops = {
    .name = "target-upload",
    .write = target_upload_write,
    .skip = target_upload_skip,
    .commit = target_upload_commit,
    .abort = target_upload_abort,
};

/* ---- resume: drop what the .part holds already -------------------------- */

typedef struct {
    TargetSink *ts;             /* borrowed */
    ConvSink *next;             /* owned: rate-limit -> upload */
} TargetResume;

static gboolean
target_resume_write(gpointer data, const void *buf, gsize len, GError **error)
{
    TargetResume *tr = data;
    TargetSink *ts = tr->ts;
    gsize drop = 0;

    if (ts->pos < ts->up->resume_offset)
        drop = (gsize)MIN((guint64)len, ts->up->resume_offset - ts->pos);
    ts->pos += len;
    if (drop == len)
        return TRUE;
    return conv_sink_write(tr->next, (const guint8 *)buf + drop, len - drop,
                           error);
}

static gboolean
target_resume_skip(gpointer data, guint64 len, GError **error)
{
    TargetResume *tr = data;
    TargetSink *ts = tr->ts;
    guint64 drop = 0;

    if (ts->pos < ts->up->resume_offset)
        drop = MIN(len, ts->up->resume_offset - ts->pos);
    ts->pos += len;
    if (drop == len)
        return TRUE;
    return conv_sink_skip(tr->next, len - drop, error);
}

static gboolean
target_resume_commit(gpointer data, GError **error)
{
    TargetResume *tr = data;
    TargetSink *ts = tr->ts;

    if (ts->pos < ts->up->resume_offset) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                    "%s: '%s': the output (%" G_GUINT64_FORMAT " bytes) is "
                    "shorter than the part being resumed (%" G_GUINT64_FORMAT
                    ")", ts->t->name, ts->part_name, ts->pos,
                    ts->up->resume_offset);
        return FALSE;
    }
    return conv_sink_commit(tr->next, error);
}

static void
target_resume_abort(gpointer data)
{
    TargetResume *tr = data;

    conv_sink_abort(tr->next);
}

static void
target_resume_free(gpointer data)
{
    TargetResume *tr = data;

    conv_sink_free(tr->next);
    g_free(tr);
}

static const ConvSinkCustomOps target_resume_ops = {
    .name = "target-resume",
    .write = target_resume_write,
    .skip = target_resume_skip,
    .commit = target_resume_commit,
    .abort = target_resume_abort,
};

/* ---- target: verify and rename ------------------------------------------ */

static gboolean
target_sink_write(gpointer data, const void *buf, gsize len, GError **error)
{
    TargetSink *ts = data;

    return conv_sink_write(ts->below, buf, len, error);
}

static gboolean
target_sink_skip(gpointer data, guint64 len, GError **error)
{
    TargetSink *ts = data;

    return conv_sink_skip(ts->below, len, error);
}

static gboolean
target_sink_commit(gpointer data, GError **error)
{
    TargetSink *ts = data;
    const Target *t = ts->t;
    g_autofree char *remote = NULL;
    const char *stream;

    if (!conv_sink_commit(ts->below, error))
        return FALSE;
    stream = conv_sink_get_sha256(ts->below);
    g_assert(stream);
    if (t->backend->adopt_sha256) {
        /* A second hash of the same bytes in this process would prove
         * nothing: what landed was checked as it landed. */
        if (!t->backend->adopt_sha256(ts->t, ts->part_name, stream, error)) {
            target_sink_note_error(ts, *error);
            return FALSE;
        }
        remote = g_strdup(stream);
    } else {
        remote = t->backend->sha256(ts->t, ts->part_name, error);
    }
    if (!remote) {
        target_sink_note_error(ts, *error);
        return FALSE;
    }
    if (!g_str_equal(remote, stream)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                    "%s: '%s': sha256 on the target is %s, the stream's is %s",
                    t->name, ts->part_name, remote, stream);
        return FALSE;
    }
    if (!t->backend->rename(ts->t, ts->part_name, ts->name, error)) {
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

    conv_sink_abort(ts->below);
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

    /* Closes an upload still open (the upload layer's abort). */
    conv_sink_free(ts->below);
    g_free(ts->name);
    g_free(ts->part_name);
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
    TargetResume *tr;
    ConvSink *upload;

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
    ts->handle = t->backend->upload_open(t, ts->part_name,
                                         &up->resume_offset, error);
    if (!ts->handle) {
        target_sink_free(ts);
        return NULL;
    }
    ts->backend_counts = t->backend->upload_count_sent &&
                         t->backend->upload_count_sent(ts->handle,
                                                       &up->bytes_sent);
    upload = conv_sink_new_custom(&target_upload_ops, ts, NULL);
    tr = g_new0(TargetResume, 1);
    tr->ts = ts;
    tr->next = rate_limit_sink_new(upload, t->opts->bandwidth_limit,
                                   t->cancellable);
    ts->below = conv_sink_new_sha256(
        conv_sink_new_custom(&target_resume_ops, tr, target_resume_free));
    return conv_sink_new_custom(&target_sink_ops, ts, target_sink_free);
}
