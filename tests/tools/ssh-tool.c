/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-tool.c: drives transport/ from shell scripts (integration tests and
 * bench/sftp.sh) until `ferry export` exists.  Not installed.
 *
 *   ssh-tool [OPTION...] hostkey-check [USER@]HOST
 *   ssh-tool [OPTION...] login [USER@]HOST
 *   ssh-tool [OPTION...] exec [USER@]HOST CMD [ARG...]     (exit: CMD's status)
 *   ssh-tool [OPTION...] exec-check [USER@]HOST CMD [ARG...] (non-zero: exit 10)
 *   ssh-tool [OPTION...] put [USER@]HOST LOCAL REMOTE      (via REMOTE.part)
 *   ssh-tool [OPTION...] stat|statvfs|rm [USER@]HOST PATH
 *
 * Errors print one line and exit with the CLI's status for the error code
 * (agent/errors.c: 8 for FERRY_ERROR_AUTH, 9 for FERRY_ERROR_NETWORK).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "transport/transport.h"

static int opt_port = SSH_DEFAULT_PORT;
static char *opt_user;
static char *opt_known_hosts;
static gboolean opt_accept_new;
static char *opt_fingerprint;
static char **opt_identities;
static gboolean opt_agent;
static char *opt_passphrase_file;
static char *opt_passphrase_env;
static char *opt_password_file;
static char *opt_password_env;
static int opt_connect_timeout;
static int opt_timeout;
static gint64 opt_buffer_size;
static gint64 opt_bwlimit;
static gboolean opt_resume;
static gint64 opt_resume_at;
static gboolean opt_verbose;

static const GOptionEntry ssh_tool_options[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &opt_port, "server port", "PORT" },
    { "user", 'l', 0, G_OPTION_ARG_STRING, &opt_user, "login name", "USER" },
    { "known-hosts", 0, 0, G_OPTION_ARG_FILENAME, &opt_known_hosts,
      "known_hosts file (default: ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts)", "FILE" },
    { "accept-new", 0, 0, G_OPTION_ARG_NONE, &opt_accept_new,
      "record an unknown host's key", NULL },
    { "fingerprint", 0, 0, G_OPTION_ARG_STRING, &opt_fingerprint,
      "pinned host key fingerprint instead of known_hosts", "SHA256:..." },
    { "identity", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_identities,
      "private key file (repeatable)", "FILE" },
    { "agent", 'A', 0, G_OPTION_ARG_NONE, &opt_agent, "try ssh-agent keys", NULL },
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_passphrase_file,
      "identity passphrase file", "FILE" },
    { "passphrase-env", 0, 0, G_OPTION_ARG_STRING, &opt_passphrase_env,
      "identity passphrase environment variable", "NAME" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_password_file,
      "password file", "FILE" },
    { "password-env", 0, 0, G_OPTION_ARG_STRING, &opt_password_env,
      "password environment variable", "NAME" },
    { "connect-timeout", 0, 0, G_OPTION_ARG_INT, &opt_connect_timeout,
      "connect timeout", "MS" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout, "per-operation timeout", "MS" },
    { "buffer-size", 0, 0, G_OPTION_ARG_INT64, &opt_buffer_size,
      "SFTP write size (bytes in flight)", "BYTES" },
    { "bwlimit", 0, 0, G_OPTION_ARG_INT64, &opt_bwlimit,
      "bandwidth limit", "BYTES/S" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &opt_resume,
      "put: continue REMOTE.part where it ends", NULL },
    { "resume-at", 0, 0, G_OPTION_ARG_INT64, &opt_resume_at,
      "put: continue REMOTE.part at this offset (what a job would record)", "BYTES" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "debug messages", NULL },
    { NULL }
};

/* [USER@]HOST or [USER@][IPV6] into @opts (strings point into @spec). */
static void
ssh_tool_parse_host(char *spec, SshOptions *opts)
{
    char *at = strrchr(spec, '@');
    char *host = spec;
    gsize n;

    if (at) {
        *at = '\0';
        opts->user = spec;
        host = at + 1;
    }
    n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host[n - 1] = '\0';
        host++;
    }
    opts->host = host;
}

static int
ssh_tool_exec(SshSession *s, char **argv, gboolean check, GError **error)
{
    g_autoptr(SshExecResult) r = NULL;
    gsize len = 0;
    const char *data;

    if (check)
        r = ssh_exec_check(s, (const char *const *)argv, 0, error);
    else
        r = ssh_exec(s, (const char *const *)argv, 0, error);
    if (!r)
        return -1;
    data = g_bytes_get_data(r->out, &len);
    if (len)
        fwrite(data, 1, len, stdout);
    data = g_bytes_get_data(r->err, &len);
    if (len)
        fwrite(data, 1, len, stderr);
    return r->exit_status < 0 ? 128 : r->exit_status;
}

/* Sends @local's data extents; holes become skips. */
static gboolean
ssh_tool_put(SshSession *s, const char *local, const char *remote,
             GError **error)
{
    g_autoptr(SshSftp) sftp = ssh_sftp_open(s, error);
    g_autoptr(SshSftpWriter) w = NULL;
    g_autofree char *part = g_strdup_printf("%s.part", remote);
    g_autofree guint8 *buf = NULL;
    const gsize buf_size = 4 * 1024 * 1024;
    guint64 size, pos = 0, resume = 0, sent = 0;
    gint64 t0 = g_get_monotonic_time();
    off_t end;
    int fd;

    if (!sftp)
        return FALSE;
    if (opt_resume && !ssh_sftp_stat_size(sftp, part, &resume, NULL))
        resume = 0;
    if (opt_resume_at > 0)
        resume = (guint64)opt_resume_at;
    fd = open(local, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "open: %s: %s", local,
                    g_strerror(errno));
        return FALSE;
    }
    end = lseek(fd, 0, SEEK_END);
    size = end < 0 ? 0 : (guint64)end;
    resume = MIN(resume, size);
    w = ssh_sftp_writer_open(sftp, part, remote, resume, error);
    if (!w) {
        close(fd);
        return FALSE;
    }
    if (opt_buffer_size > 0)
        ssh_sftp_writer_set_buffer_size(w, (gsize)opt_buffer_size);
    if (opt_bwlimit > 0)
        ssh_sftp_writer_set_rate_limit(w, (guint64)opt_bwlimit);
    buf = g_malloc(buf_size);
    pos = resume;
    while (pos < size) {
        off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
        off_t hole;

        if (data < 0)                    /* ENXIO: a hole to the end */
            data = (off_t)size;
        if ((guint64)data > pos) {
            if (!ssh_sftp_writer_skip(w, (guint64)data - pos, error))
                goto fail;
            pos = (guint64)data;
        }
        if (pos >= size)
            break;
        hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0)
            hole = (off_t)size;
        while (pos < (guint64)hole) {
            gsize n = MIN(buf_size, (guint64)hole - pos);
            ssize_t got = pread(fd, buf, n, (off_t)pos);

            if (got <= 0) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "read: %s: %s",
                            local, got < 0 ? g_strerror(errno) : "short read");
                goto fail;
            }
            if (!ssh_sftp_writer_write(w, buf, got, error))
                goto fail;
            pos += got;
            sent += got;
        }
    }
    close(fd);
    if (!ssh_sftp_writer_commit(w, error))
        return FALSE;
    printf("put %s: %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT
           " sent, resumed at %" G_GUINT64_FORMAT ", %.3f s\n", remote, size,
           sent, resume, (g_get_monotonic_time() - t0) / 1e6);
    return TRUE;
fail:
    close(fd);
    return FALSE;
}

static int
ssh_tool_run(const char *cmd, int argc, char **argv, GError **error)
{
    g_autoptr(SshSession) s = NULL;
    g_autoptr(SshSftp) sftp = NULL;
    SshOptions opts;
    guint64 value = 0;

    if (argc < 1) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID, "%s: no host", cmd);
        return -1;
    }
    ssh_options_init(&opts);
    ssh_tool_parse_host(argv[0], &opts);
    if (opt_user)
        opts.user = opt_user;
    opts.port = (guint16)opt_port;
    opts.known_hosts_file = opt_known_hosts;
    opts.host_key_policy = opt_accept_new ? SSH_HOST_KEY_ACCEPT_NEW :
                           SSH_HOST_KEY_STRICT;
    opts.pinned_fingerprint = opt_fingerprint;
    opts.identity_files = (const char *const *)opt_identities;
    opts.use_agent = opt_agent;
    opts.passphrase_file = opt_passphrase_file;
    opts.passphrase_env = opt_passphrase_env;
    opts.password_file = opt_password_file;
    opts.password_env = opt_password_env;
    if (opt_connect_timeout > 0)
        opts.connect_timeout_ms = opt_connect_timeout;
    if (opt_timeout > 0)
        opts.io_timeout_ms = opt_timeout;

    if (g_str_equal(cmd, "hostkey-check")) {
        s = ssh_session_open(&opts, NULL, error);
        if (!s)
            return -1;
        printf("%s\n", ssh_session_get_host_key_fingerprint(s));
        return 0;
    }
    s = ssh_session_connect(&opts, NULL, error);
    if (!s)
        return -1;
    if (g_str_equal(cmd, "login")) {
        printf("logged in to %s\n", ssh_session_get_name(s));
        return 0;
    }
    if (g_str_equal(cmd, "exec") && argc >= 2)
        return ssh_tool_exec(s, argv + 1, FALSE, error);
    if (g_str_equal(cmd, "exec-check") && argc >= 2)
        return ssh_tool_exec(s, argv + 1, TRUE, error);
    if (g_str_equal(cmd, "put") && argc == 3)
        return ssh_tool_put(s, argv[1], argv[2], error) ? 0 : -1;
    if (argc != 2) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: wrong number of arguments", cmd);
        return -1;
    }
    if (!(sftp = ssh_sftp_open(s, error)))
        return -1;
    if (g_str_equal(cmd, "stat")) {
        if (!ssh_sftp_stat_size(sftp, argv[1], &value, error))
            return -1;
        printf("%" G_GUINT64_FORMAT "\n", value);
        return 0;
    }
    if (g_str_equal(cmd, "statvfs")) {
        if (!ssh_sftp_statvfs_free(sftp, argv[1], &value, error))
            return -1;
        printf("%" G_GUINT64_FORMAT "\n", value);
        return 0;
    }
    if (g_str_equal(cmd, "rm"))
        return ssh_sftp_unlink(sftp, argv[1], error) ? 0 : -1;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "unknown command '%s'", cmd);
    return -1;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND HOST [ARG...]");
    g_autoptr(GError) error = NULL;
    int status;

    setlocale(LC_ALL, "");
    g_option_context_add_main_entries(ctx, ssh_tool_options, NULL);
    /* Options stop at the command, so that `exec HOST ls -l` keeps -l. */
    g_option_context_set_strict_posix(ctx, TRUE);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_fail(error);
    if (argc < 2) {
        fprintf(stderr, "ssh-tool: no command (see --help)\n");
        return AGENT_EXIT_USAGE;
    }
    if (opt_verbose)
        g_setenv("G_MESSAGES_DEBUG", "ferry-ssh", TRUE);
    if (!ssh_global_init(&error))
        return agent_fail(error);
    status = ssh_tool_run(argv[1], argc - 2, argv + 2, &error);
    ssh_global_exit();
    if (status < 0)
        return agent_fail(error);
    return status;
}
