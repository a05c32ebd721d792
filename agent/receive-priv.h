/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * receive-priv.h: `ferry receive`, the target side of an ssh:// export
 * (agent/receive.c, the protocol in docs/receive-protocol.md).  Not for
 * other folders; the fuzz target and unit tests include it.
 */
#pragma once

#include "agent/agent.h"

G_BEGIN_DECLS

/* A .part may not grow past this unless the caller says otherwise: the
 * largest virtual disk any of ferry's output formats describes is far
 * below it, and it bounds what a hostile sender can make us hash. */
#define AGENT_RECEIVE_DEFAULT_MAX_SIZE (G_GUINT64_CONSTANT(1) << 48)
/* How long a resume waits for an earlier receiver of the same .part (its
 * connection just dropped) to let go of the file. */
#define AGENT_RECEIVE_LOCK_WAIT_S 30

typedef struct {
    int in_fd;                  /* frames from the sender */
    int out_fd;                 /* frames to the sender */
    int pool_fd;                /* the pool directory, open */
    const char *pool;           /* its path, for messages */
    const char *name;           /* "<file>.part", checked by the caller */
    gboolean resume;            /* continue the .part that is there */
    guint64 resume_max;         /* ... at most this far (the sender's view) */
    guint64 max_size;           /* no frame may reach past it */
} AgentReceiveOptions;

/* Sends the HELLO frame alone (`ferry receive --hello`). */
gboolean agent_receive_hello(int out_fd, GError **error);

/* FERRY_ERROR_INVALID unless @name is a pool file name ending in ".part":
 * the receiver never writes a final name. */
gboolean agent_receive_check_name(const char *name, GError **error);

/**
 * agent_receive_run:
 *
 * HELLO, then "<name>" is created (O_EXCL|O_NOFOLLOW, mode 0600) or, with
 * @resume, opened (a regular file of ours, locked against an earlier
 * receiver), cut to its size rounded down to 1 MiB (at most resume_max)
 * and that prefix hashed; READY gives that offset.  DATA and HOLE frames
 * must follow in order from there; END sets the size, fsyncs and answers
 * RESULT with the SHA-256 of the whole file, hashed as it was written.  On
 * failure an ERROR frame is sent (when the sender can still read it) and
 * what was written is fsynced and left in place: a prefix of the stream,
 * for a later resume.
 */
gboolean agent_receive_run(const AgentReceiveOptions *o, GError **error);

int cmd_receive(int argc, char **argv);

G_END_DECLS
