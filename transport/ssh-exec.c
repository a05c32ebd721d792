/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-exec.c: remote commands over an RFC 4254 "session" channel ("exec"
 * request, section 6.5).
 *
 * The server hands the command line to the user's shell, so every argument
 * is quoted for a POSIX shell (XCU 2.2.2): inside single quotes nothing is
 * special, and a single quote itself is written '\'' (close, escaped quote,
 * reopen).  stdout and stderr are read as they come, under a size cap;
 * the exit status (or signal) comes from the channel's "exit-status" /
 * "exit-signal" requests.
 */
#include <config.h>

#include <string.h>

#include "transport/ssh-priv.h"

char *
ssh_quote_arg(const char *arg)
{
    GString *out = g_string_sized_new(strlen(arg) + 2);
    const char *p;

    g_string_append_c(out, '\'');
    for (p = arg; *p; p++) {
        if (*p == '\'')
            g_string_append(out, "'\\''");
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '\'');
    return g_string_free(out, FALSE);
}

char *
ssh_command_line(const char *const *argv)
{
    GString *out = g_string_new(NULL);
    gsize i;

    for (i = 0; argv[i]; i++) {
        g_autofree char *q = ssh_quote_arg(argv[i]);

        if (i > 0)
            g_string_append_c(out, ' ');
        g_string_append(out, q);
    }
    return g_string_free(out, FALSE);
}

void
ssh_exec_result_free(SshExecResult *result)
{
    if (!result)
        return;
    g_free(result->exit_signal);
    if (result->out)
        g_bytes_unref(result->out);
    if (result->err)
        g_bytes_unref(result->err);
    g_free(result);
}

/* Reads what is there on one stream; returns bytes read, 0 on nothing
 * new (EAGAIN or EOF), -1 on error. */
static gssize
ssh_exec_drain(SshSession *s, LIBSSH2_CHANNEL *ch, int stream,
               GByteArray *buf, gsize max, gboolean *over, GError **error)
{
    char chunk[32768];
    gssize total = 0;

    for (;;) {
        ssize_t n = libssh2_channel_read_ex(ch, stream, chunk, sizeof(chunk));

        if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
            return total;
        if (n < 0) {
            ssh_session_set_error(s, error, FERRY_ERROR_NETWORK,
                                  "read command output");
            return -1;
        }
        total += n;
        if (buf->len + (gsize)n > max) {
            g_byte_array_append(buf, (guint8 *)chunk, max - buf->len);
            *over = TRUE;           /* read on and discard */
        } else {
            g_byte_array_append(buf, (guint8 *)chunk, n);
        }
    }
}

/* Frees a channel; in non-blocking mode that may take a few rounds. */
static void
ssh_exec_channel_free(SshSession *s, LIBSSH2_CHANNEL *ch)
{
    gint64 deadline = ssh_session_deadline(s);

    while (libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(s, deadline, "close a channel", NULL))
            break;
    }
}

SshExecResult *
ssh_exec(SshSession *s, const char *const *argv, gsize max_output,
         GError **error)
{
    g_autoptr(SshExecResult) result = g_new0(SshExecResult, 1);
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GByteArray) err = g_byte_array_new();
    g_autofree char *cmdline = NULL;
    LIBSSH2_CHANNEL *ch = NULL;
    gboolean out_over = FALSE, err_over = FALSE;
    gint64 deadline = ssh_session_deadline(s);
    char *signame = NULL;
    int rc;

    g_return_val_if_fail(argv && argv[0], NULL);
    if (max_output == 0)
        max_output = SSH_EXEC_DEFAULT_MAX_OUTPUT;
    cmdline = ssh_command_line(argv);
    g_debug("%s: exec %s", s->name, cmdline);

    while (!(ch = libssh2_channel_open_session(s->session))) {
        if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_EAGAIN) {
            ssh_session_set_error(s, error, FERRY_ERROR_REMOTE,
                                  "open a channel");
            return NULL;
        }
        if (!ssh_session_wait(s, deadline, "open a channel", error))
            return NULL;
    }
    while ((rc = libssh2_channel_exec(ch, cmdline)) == LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(s, deadline, argv[0], error))
            goto fail;
    }
    if (rc != 0) {
        ssh_session_set_error(s, error, FERRY_ERROR_REMOTE, argv[0]);
        goto fail;
    }
    /* No input: tell the command at once. */
    while ((rc = libssh2_channel_send_eof(ch)) == LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(s, deadline, argv[0], error))
            goto fail;
    }
    for (;;) {
        gssize a = ssh_exec_drain(s, ch, 0, out, max_output, &out_over, error);
        gssize b = a < 0 ? -1 : ssh_exec_drain(s, ch, SSH_EXTENDED_DATA_STDERR,
                                               err, max_output, &err_over,
                                               error);

        if (a < 0 || b < 0)
            goto fail;
        if (a > 0 || b > 0)
            deadline = ssh_session_deadline(s);   /* progress: timer anew */
        if (libssh2_channel_eof(ch)) {
            /* Output that arrived with the EOF is still queued: one last
             * pass over both streams. */
            if (ssh_exec_drain(s, ch, 0, out, max_output, &out_over,
                               error) < 0 ||
                ssh_exec_drain(s, ch, SSH_EXTENDED_DATA_STDERR, err,
                               max_output, &err_over, error) < 0)
                goto fail;
            break;
        }
        if (a == 0 && b == 0 && !ssh_session_wait(s, deadline, argv[0], error))
            goto fail;
    }
    while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(s, deadline, argv[0], error))
            goto fail;
    }
    while ((rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(s, deadline, argv[0], error))
            goto fail;
    }
    result->exit_status = libssh2_channel_get_exit_status(ch);
    if (libssh2_channel_get_exit_signal(ch, &signame, NULL, NULL, NULL, NULL,
                                        NULL) == 0 && signame) {
        result->exit_signal = g_strdup(signame);
        result->exit_status = -1;
        libssh2_free(s->session, signame);
    }
    ssh_exec_channel_free(s, ch);
    if (out_over) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "%s: %s: output is longer than %" G_GSIZE_FORMAT " bytes",
                    s->name, argv[0], max_output);
        return NULL;
    }
    if (err_over)
        g_debug("%s: %s: stderr cut at %" G_GSIZE_FORMAT " bytes", s->name,
                argv[0], max_output);
    result->out = g_byte_array_free_to_bytes(g_steal_pointer(&out));
    result->err = g_byte_array_free_to_bytes(g_steal_pointer(&err));
    return g_steal_pointer(&result);

fail:
    ssh_exec_channel_free(s, ch);
    return NULL;
}

SshExecResult *
ssh_exec_check(SshSession *s, const char *const *argv, gsize max_output,
               GError **error)
{
    g_autoptr(SshExecResult) r = ssh_exec(s, argv, max_output, error);
    g_autofree char *first = NULL;
    const char *data;
    gsize len = 0, n;

    if (!r)
        return NULL;
    if (r->exit_status == 0)
        return g_steal_pointer(&r);
    data = g_bytes_get_data(r->err, &len);
    for (n = 0; n < len && data[n] != '\n' && data[n] != '\r'; n++)
        ;
    first = g_utf8_make_valid(data ? data : "", MIN(n, 200));
    if (r->exit_signal) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "%s: remote command '%s' was killed by signal %s%s%s",
                    s->name, argv[0], r->exit_signal, *first ? ": " : "",
                    first);
    } else {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                    "%s: remote command '%s' exited with status %d%s%s",
                    s->name, argv[0], r->exit_status, *first ? ": " : "",
                    first);
    }
    return NULL;
}
