/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-priv.h: what transport/'s files share.  Not for other folders (unit
 * tests may include it).
 *
 * libssh2 runs non-blocking: every call that may wait returns
 * LIBSSH2_ERROR_EAGAIN and the caller goes through ssh_session_wait(),
 * which polls the socket in the directions libssh2 asks for together with
 * the cancellable's fd, sends keepalives, and enforces the deadline.
 */
#pragma once

#include <libssh2.h>

#include "transport/transport.h"

G_BEGIN_DECLS

struct _SshSession {
    /* Immutable after ssh_session_open(). */
    LIBSSH2_SESSION *session;
    int fd;                        /* the TCP socket, non-blocking */
    char *name;                    /* "ssh://user@host:port" */
    char *user;
    char *fingerprint;             /* the host key's "SHA256:..." */
    guint io_timeout_ms;
    GCancellable *cancellable;     /* referenced, or NULL */
    gboolean keepalive_ok;         /* the key exchange is over */
};

/* A deadline io_timeout_ms from now, in g_get_monotonic_time() units. */
gint64 ssh_session_deadline(const SshSession *s);

/* Waits until the socket is ready in the directions libssh2 last blocked
 * on, sending keepalives; fails at @deadline (FERRY_ERROR_NETWORK, naming
 * @what) or on cancellation. */
gboolean ssh_session_wait(SshSession *s, gint64 deadline, const char *what,
                          GError **error);

/* Sets @error from libssh2's last error: "<name>: <what>: <message>". */
void ssh_session_set_error(SshSession *s, GError **error, int code,
                           const char *what);

/* Reads a secret from a file (at most SSH_MAX_SECRET bytes, one trailing
 * newline dropped) or copies it from the environment.  Free with
 * ssh_secret_free(), which scrubs it. */
#define SSH_MAX_SECRET 4096
char *ssh_secret_read_file(const char *path, const char *what, GError **error);
char *ssh_secret_from_env(const char *name, const char *what, GError **error);
void ssh_secret_free(char *secret);

/* Strict RFC 4648 base64 (no whitespace, padding only at the end); NULL on
 * anything else. */
guint8 *ssh_base64_decode_strict(const char *text, gsize text_len,
                                 gsize *out_len);

G_END_DECLS
