/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rate-limit.c: the bandwidth limit of an upload (`--bwlimit`), one
 * implementation for the SFTP writer and, as a sink layer stacked over a
 * target's upload, for the providers' target sink.
 */
#include <config.h>

#include "transport/transport.h"

/* A waiting sender checks for cancellation at least this often. */
#define RATE_LIMIT_SLICE_US (50 * 1000)

void
rate_limit_init(RateLimit *rl, guint64 bytes_per_second)
{
    rl->rate = bytes_per_second;
    rl->start_us = 0;
    rl->bytes = 0;
}

gboolean
rate_limit_wait(RateLimit *rl, gsize len, GCancellable *cancellable,
                GError **error)
{
    gint64 due, now;

    if (rl->rate == 0)
        return TRUE;
    now = g_get_monotonic_time();
    if (rl->start_us == 0)
        rl->start_us = now;
    /* @len goes out once the time for it has come, so that even an upload
     * of one large write takes as long as the limit says. */
    rl->bytes += len;
    due = rl->start_us +
          (gint64)((double)rl->bytes * G_USEC_PER_SEC / (double)rl->rate);
    while (now < due) {
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
        g_usleep(MIN(due - now, RATE_LIMIT_SLICE_US));
        now = g_get_monotonic_time();
    }
    return !g_cancellable_set_error_if_cancelled(cancellable, error);
}

/* ---- as a sink layer ---------------------------------------------------- */

typedef struct {
    RateLimit rate;
    ConvSink *next;             /* owned */
    GCancellable *cancellable;  /* owned reference, or NULL */
} RateLimitSink;

static gboolean
rate_limit_sink_write(gpointer data, const void *buf, gsize len,
                      GError **error)
{
    RateLimitSink *rs = data;

    return rate_limit_wait(&rs->rate, len, rs->cancellable, error) &&
           conv_sink_write(rs->next, buf, len, error);
}

static gboolean
rate_limit_sink_skip(gpointer data, guint64 len, GError **error)
{
    RateLimitSink *rs = data;

    return conv_sink_skip(rs->next, len, error);
}

static gboolean
rate_limit_sink_commit(gpointer data, GError **error)
{
    RateLimitSink *rs = data;

    return conv_sink_commit(rs->next, error);
}

static void
rate_limit_sink_abort(gpointer data)
{
    RateLimitSink *rs = data;

    conv_sink_abort(rs->next);
}

static void
rate_limit_sink_free(gpointer data)
{
    RateLimitSink *rs = data;

    conv_sink_free(rs->next);
    g_clear_object(&rs->cancellable);
    g_free(rs);
}

static const ConvSinkCustomOps rate_limit_sink_ops = {
    .name = "rate-limit",
    .write = rate_limit_sink_write,
    .skip = rate_limit_sink_skip,
    .commit = rate_limit_sink_commit,
    .abort = rate_limit_sink_abort,
};

ConvSink *
rate_limit_sink_new(ConvSink *next, guint64 bytes_per_second,
                    GCancellable *cancellable)
{
    RateLimitSink *rs = g_new0(RateLimitSink, 1);

    rate_limit_init(&rs->rate, bytes_per_second);
    rs->next = next;
    rs->cancellable = cancellable ? g_object_ref(cancellable) : NULL;
    return conv_sink_new_custom(&rate_limit_sink_ops, rs,
                                rate_limit_sink_free);
}
