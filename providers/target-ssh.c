/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-ssh.c: the ssh:// target.  Bytes go to `ferry receive` on the
 * target when it has ferry (transport/'s SshReceiver: the target writes
 * the .part, fsyncs it and answers its SHA-256, hashed as it wrote, so
 * nothing is read back), else over SFTP (SshSftpWriter, holes skipped)
 * with the verification as a remote command (`openssl dgst` or
 * `sha256sum`).  Which one is decided at connect: TARGET_TRANSPORT_AUTO
 * probes `ferry receive --hello` and takes SFTP only when the command is
 * not there; a receiver of another protocol version is refused, never
 * silently replaced by SFTP.  The pool check (`test -d -a -w`), stat,
 * rename and unlink are SFTP and ssh_exec either way, every argument
 * quoted.  With TargetOptions.streams N > 1 (by default min(4, cores)),
 * SFTP uploads (not the small files) go over N more connections (SshSftpStreams, made at the first
 * disk and kept), the control connection creating, sizing and fsyncing
 * the .part.  The session is opened without the export's
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
    SshSftpStreams *streams;    /* or NULL: one stream */
    gboolean receive;           /* bytes go to `ferry receive` */
    /* The hash ferry receive answered for the last upload it finished. */
    char *received_name;
    char received_sha256[65];
} TargetSsh;

/* An upload: one of the two. */
typedef struct {
    Target *t;                  /* borrowed */
    TargetSsh *ts;              /* borrowed */
    char *name;
    SshSftpWriter *writer;
    SshSftpStreamsWriter *parallel;
    SshReceiver *receiver;
} TargetSshUpload;

static const char *
target_ssh_remote_ferry(const Target *t)
{
    return t->opts->remote_ferry ? t->opts->remote_ferry : "ferry";
}

static void
target_ssh_disconnect(Target *t)
{
    TargetSsh *ts = g_steal_pointer(&t->priv);

    if (!ts)
        return;
    ssh_sftp_streams_free(ts->streams);
    ssh_sftp_free(ts->sftp);
    ssh_session_free(ts->session);
    g_free(ts->received_name);
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
    gboolean use_receive = FALSE;
    guint n_streams;

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
    if (o->transport != TARGET_TRANSPORT_SFTP) {
        g_autoptr(GError) local = NULL;

        if (ssh_receive_probe(s, target_ssh_remote_ferry(t), &local)) {
            use_receive = TRUE;
        } else if (o->transport == TARGET_TRANSPORT_AUTO &&
                   g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
            g_debug("%s; SFTP it is", local->message);
        } else {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
    }
    sftp = ssh_sftp_open(s, error);
    if (!sftp)
        return FALSE;
    ts = g_new0(TargetSsh, 1);
    ts->receive = use_receive;
    /* The strings of so are the target's and its options', which outlive
     * the connection. */
    n_streams = o->streams ? o->streams : target_default_streams();
    /* Asked for by name, not the default: say why it is not used. */
    if (use_receive && o->streams > 1 && o->notice) {
        g_autofree char *text = g_strdup_printf(
            "%s has ferry: the disks go through `ferry receive`, one stream "
            "(--streams %u is for SFTP: --transport sftp)\n", t->name,
            o->streams);

        o->notice(text, o->notice_data);
    }
    if (!use_receive && n_streams > 1)
        ts->streams = ssh_sftp_streams_new(&so, MIN(n_streams,
                                                    TARGET_MAX_STREAMS));
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

static void
target_ssh_upload_free(TargetSshUpload *u)
{
    ssh_sftp_writer_free(u->writer);
    ssh_sftp_streams_writer_free(u->parallel);
    ssh_receiver_free(u->receiver);
    g_free(u->name);
    g_free(u);
}

static gpointer
target_ssh_upload_open(Target *t, const char *name, guint64 *resume,
                       GError **error)
{
    TargetSsh *ts = target_ssh_get(t);
    g_autofree char *path = NULL;
    TargetSshUpload *u;

    /* The domain XML and the manifest: an exec costs more than SFTP's
     * open/write/close on an open channel, and their hash is not checked
     * on the target either way. */
    if (ts->receive && !t->small_upload) {
        SshReceiver *r = ssh_receiver_open(ts->session,
                                           target_ssh_remote_ferry(t),
                                           t->pool, name, resume, error);

        if (!r)
            return NULL;
        ssh_receiver_set_compression(r, t->opts->compress_level, 0);
        u = g_new0(TargetSshUpload, 1);
        u->receiver = r;
    } else if (ts->streams && !t->small_upload &&
               t->upload_size_hint > SSH_SFTP_STREAMS_CHUNK) {
        SshSftpStreamsWriter *w;

        path = target_path(t, name);
        if (t->stopped_name && g_str_equal(t->stopped_name, name) &&
            *resume > t->stopped_prefix)
            *resume = t->stopped_prefix / TARGET_RESUME_ALIGN *
                      TARGET_RESUME_ALIGN;
        g_clear_pointer(&t->stopped_name, g_free);
        w = ssh_sftp_streams_writer_open(ts->streams, ts->sftp, path, *resume,
                                         t->cancellable, error);
        if (!w)
            return NULL;
        u = g_new0(TargetSshUpload, 1);
        u->parallel = w;
    } else {
        SshSftpWriter *w;

        path = target_path(t, name);
        w = ssh_sftp_writer_open(ts->sftp, path, NULL, *resume, error);
        if (!w)
            return NULL;
        u = g_new0(TargetSshUpload, 1);
        u->writer = w;
    }
    u->t = t;
    u->ts = ts;
    u->name = g_strdup(name);
    return u;
}

static gboolean
target_ssh_upload_write(gpointer h, const void *buf, gsize len,
                        GError **error)
{
    TargetSshUpload *u = h;

    if (u->receiver)
        return ssh_receiver_write(u->receiver, buf, len, error);
    if (u->parallel)
        return ssh_sftp_streams_writer_write(u->parallel, buf, len, error);
    return ssh_sftp_writer_write(u->writer, buf, len, error);
}

static gboolean
target_ssh_upload_skip(gpointer h, guint64 len, GError **error)
{
    TargetSshUpload *u = h;

    if (u->receiver)
        return ssh_receiver_skip(u->receiver, len, error);
    if (u->parallel)
        return ssh_sftp_streams_writer_skip(u->parallel, len, error);
    return ssh_sftp_writer_skip(u->writer, len, error);
}

static gboolean
target_ssh_upload_finish(gpointer h, GError **error)
{
    TargetSshUpload *u = h;
    TargetSsh *ts = u->ts;
    gboolean ok;

    if (u->receiver) {
        g_clear_pointer(&ts->received_name, g_free);
        ok = ssh_receiver_finish(u->receiver, ts->received_sha256, error);
        if (ok)
            ts->received_name = g_strdup(u->name);
    } else if (u->parallel) {
        ok = ssh_sftp_streams_writer_commit(u->parallel, error);
    } else {
        ok = ssh_sftp_writer_commit(u->writer, error);
    }
    target_ssh_upload_free(u);
    return ok;
}

static void
target_ssh_upload_close(gpointer h)
{
    TargetSshUpload *u = h;
    Target *t = u->t;
    g_autoptr(GError) error = NULL;

    if (u->parallel) {
        g_free(t->stopped_name);
        t->stopped_name = g_strdup(u->name);
        t->stopped_prefix = ssh_sftp_streams_writer_abort(u->parallel);
    }

    /* Without a final name, commit only flushes, sets the size and closes:
     * the .part stays, a valid prefix of the stream.  A receiver does the
     * same when its input ends without END, and parallel streams cut
     * the .part at the prefix written in full as they are freed. */
    if (u->writer && !ssh_sftp_writer_commit(u->writer, &error))
        g_debug("close upload: %s", error->message);
    target_ssh_upload_free(u);
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
    TargetSsh *ts = target_ssh_get(t);

    /* ferry receive hashed the file as it wrote it: no read-back. */
    if (ts->received_name && g_str_equal(ts->received_name, name)) {
        g_clear_pointer(&ts->received_name, g_free);
        return g_strdup(ts->received_sha256);
    }
    res = ssh_exec_check(ts->session, argv, 0, error);
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

static const char *
target_ssh_transport(const Target *t)
{
    const TargetSsh *ts = t->priv;

    if (ts)
        return ts->receive ? "ferry-receive" : "sftp";
    return t->opts->transport == TARGET_TRANSPORT_RECEIVE ? "ferry-receive"
                                                          : "sftp";
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
    .transport = target_ssh_transport,
};
