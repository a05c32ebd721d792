/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rate-limit.c: the bandwidth limit of an upload (`--bwlimit`), one
 * implementation for the SFTP writer and the providers' target sink.
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
