/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-ssh.c: the ssh:// target.  Bytes go over SFTP (transport/'s
 * SshSftpWriter, holes skipped); the pool check and the verification run
 * as remote commands (`test -d -a -w`, `openssl dgst` or `sha256sum`) through ssh_exec,
 * every argument quoted.  The session is opened without the export's
 * cancellable so that a cancelled export can still close its .part cleanly
 * (the copy engine stops between chunks; a dead link ends at the I/O
 * timeout).
 */
#include <config.h>

#include <string.h>

#include "providers/target-priv.h"

typedef struct {
    SshSession *session;
    SshSftp *sftp;
} TargetSsh;

static void
target_ssh_disconnect(Target *t)
{
    TargetSsh *ts = g_steal_pointer(&t->priv);

    if (!ts)
        return;
    ssh_sftp_free(ts->sftp);
    ssh_session_free(ts->session);
    g_free(ts);
}

static gboolean
target_ssh_connect(Target *t, GError **error)
{
    const TargetOptions *o = t->opts;
    g_autoptr(SshSession) s = NULL;
    g_autoptr(SshSftp) sftp = NULL;
    g_autoptr(SshExecResult) res = NULL;
    const char *argv[] = { "test", "-d", t->pool, "-a", "-w", t->pool, NULL };
    SshOptions so;
    TargetSsh *ts;

    ssh_options_init(&so);
    so.host = t->host;
    so.port = t->port;
    so.user = t->user;
    so.host_key_policy = o->accept_new ? SSH_HOST_KEY_ACCEPT_NEW
                                       : SSH_HOST_KEY_STRICT;
    so.known_hosts_file = o->known_hosts_file;
    so.pinned_fingerprint = o->pinned_fingerprint;
    so.use_agent = g_getenv("SSH_AUTH_SOCK") != NULL;
    so.identity_files = o->identity_files;
    so.password_file = o->password_file;

    s = ssh_session_connect(&so, NULL, error);
    if (!s)
        return FALSE;
    res = ssh_exec(s, argv, 0, error);
    if (!res)
        return FALSE;
    if (res->exit_status != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "%s: pool '%s' is not a writable directory", t->name,
                    t->pool);
        return FALSE;
    }
    sftp = ssh_sftp_open(s, error);
    if (!sftp)
        return FALSE;
    ts = g_new0(TargetSsh, 1);
    ts->session = g_steal_pointer(&s);
    ts->sftp = g_steal_pointer(&sftp);
    t->priv = ts;
    return TRUE;
}

static TargetSsh *
target_ssh_get(Target *t)
{
    g_assert(t->priv);
    return t->priv;
}

static gboolean
target_ssh_free_space(Target *t, guint64 *bytes, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (ssh_sftp_statvfs_free(target_ssh_get(t)->sftp, t->pool, bytes,
                              &local))
        return TRUE;
    if (g_error_matches(local, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED)) {
        /* No statvfs@openssh.com: the copy itself will tell. */
        g_debug("%s: %s; free space not checked", t->name, local->message);
        *bytes = G_MAXUINT64;
        return TRUE;
    }
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

static gboolean
target_ssh_stat(Target *t, const char *name, guint64 *size, GError **error)
{
    g_autofree char *path = target_path(t, name);

    return ssh_sftp_stat_size(target_ssh_get(t)->sftp, path, size, error);
}

static gboolean
target_ssh_unlink(Target *t, const char *name, GError **error)
{
    g_autofree char *path = target_path(t, name);

    return ssh_sftp_unlink(target_ssh_get(t)->sftp, path, error);
}

static gboolean
target_ssh_rename(Target *t, const char *from, const char *to,
                  GError **error)
{
    g_autofree char *from_path = target_path(t, from);
    g_autofree char *to_path = target_path(t, to);

    if (t->file_mode != 0600 &&
        !ssh_sftp_chmod(target_ssh_get(t)->sftp, from_path, t->file_mode,
                        error))
        return FALSE;
    return ssh_sftp_rename(target_ssh_get(t)->sftp, from_path, to_path,
                           error);
}

static gpointer
target_ssh_upload_open(Target *t, const char *name, guint64 resume,
                       GError **error)
{
    g_autofree char *path = target_path(t, name);

    return ssh_sftp_writer_open(target_ssh_get(t)->sftp, path, NULL, resume,
                                error);
}

static gboolean
target_ssh_upload_write(gpointer h, const void *buf, gsize len,
                        GError **error)
{
    return ssh_sftp_writer_write(h, buf, len, error);
}

static gboolean
target_ssh_upload_skip(gpointer h, guint64 len, GError **error)
{
    return ssh_sftp_writer_skip(h, len, error);
}

static gboolean
target_ssh_upload_finish(gpointer h, GError **error)
{
    gboolean ok = ssh_sftp_writer_commit(h, error);

    ssh_sftp_writer_free(h);
    return ok;
}

static void
target_ssh_upload_close(gpointer h)
{
    g_autoptr(GError) error = NULL;

    /* Without a final name, commit only flushes, sets the size and closes:
     * the .part stays, a valid prefix of the stream. */
    if (!ssh_sftp_writer_commit(h, &error))
        g_debug("close upload: %s", error->message);
    ssh_sftp_writer_free(h);
}

static char *
target_ssh_sha256(Target *t, const char *name, GError **error)
{
    g_autofree char *path = target_path(t, name);
    /* coreutils' sha256sum (9.1 in Debian 12) does not use the CPU's SHA
     * instructions; `openssl dgst` does and hashes ~4x faster, which is
     * most of the time an export spends verifying.  Both print the hex
     * digest first. */
    const char *argv[] = {
        "sh", "-c",
        "if command -v openssl >/dev/null 2>&1; "
        "then exec openssl dgst -sha256 -r -- \"$1\"; "
        "else exec sha256sum -- \"$1\"; fi",
        "ferry-sha256", path, NULL
    };
    g_autoptr(SshExecResult) res = NULL;
    const char *out;
    gsize len = 0, i;

    res = ssh_exec_check(target_ssh_get(t)->session, argv, 0, error);
    if (!res)
        return NULL;
    out = g_bytes_get_data(res->out, &len);
    if (len < 64)
        goto bad;
    for (i = 0; i < 64; i++) {
        if (!g_ascii_isxdigit(out[i]))
            goto bad;
    }
    return g_ascii_strdown(out, 64);
bad:
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                "%s: sha256 of '%s': unexpected output", t->name, path);
    return NULL;
}

const struct ferry_target target_ssh_backend = {
    .scheme = "ssh",
    .connect = target_ssh_connect,
    .disconnect = target_ssh_disconnect,
    .free_space = target_ssh_free_space,
    .stat = target_ssh_stat,
    .unlink = target_ssh_unlink,
    .rename = target_ssh_rename,
    .upload_open = target_ssh_upload_open,
    .upload_write = target_ssh_upload_write,
    .upload_skip = target_ssh_upload_skip,
    .upload_finish = target_ssh_upload_finish,
    .upload_close = target_ssh_upload_close,
    .sha256 = target_ssh_sha256,
};
