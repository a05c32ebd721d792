/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-session.c: an SSH connection over libssh2 (RFC 4253 transport).
 *
 * The host is resolved with GResolver (names, IPv4 and IPv6 literals), each
 * address is tried in turn with a non-blocking connect() bounded by the
 * connect timeout, then libssh2 does the key exchange in non-blocking mode.
 * Before it, the host key algorithms are narrowed to the key types
 * known_hosts already lists for the host, as OpenSSH does, so that a server
 * with several host keys offers the one the user recorded.  Every wait goes
 * through ssh_session_wait(): poll() on the socket and the cancellable's fd,
 * keepalives (libssh2_keepalive_send, "keepalive@openssh.com" requests),
 * and a deadline per operation.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/ssh-priv.h"

gboolean
ssh_global_init(GError **error)
{
    int rc = libssh2_init(0);

    if (rc != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "libssh2_init failed (%d)", rc);
        return FALSE;
    }
    return TRUE;
}

void
ssh_global_exit(void)
{
    libssh2_exit();
}

void
ssh_options_init(SshOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->port = SSH_DEFAULT_PORT;
    opts->host_key_policy = SSH_HOST_KEY_STRICT;
    opts->connect_timeout_ms = SSH_DEFAULT_CONNECT_TIMEOUT_MS;
    opts->io_timeout_ms = SSH_DEFAULT_IO_TIMEOUT_MS;
    opts->keepalive_interval_s = SSH_DEFAULT_KEEPALIVE_S;
}

/* ---- waiting ------------------------------------------------------------ */

gint64
ssh_session_deadline(const SshSession *s)
{
    return g_get_monotonic_time() + (gint64)s->io_timeout_ms * 1000;
}

/* Polls @fd for @events and the cancellable until @deadline.  Returns 1
 * when ready, 0 at the deadline, -1 with @error on cancel or poll error. */
static int
ssh_poll(int fd, short events, GCancellable *cancellable, gint64 deadline,
         int max_wait_ms, GError **error)
{
    struct pollfd fds[2] = { { .fd = fd, .events = events } };
    int nfds = 1;
    gint64 now = g_get_monotonic_time();
    int timeout_ms, rc;

    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return -1;
    if (now >= deadline)
        return 0;
    timeout_ms = (int)MIN((deadline - now + 999) / 1000, G_MAXINT);
    if (max_wait_ms >= 0)
        timeout_ms = MIN(timeout_ms, max_wait_ms);
    if (cancellable) {
        GPollFD gfd;

        if (g_cancellable_make_pollfd(cancellable, &gfd)) {
            fds[1].fd = gfd.fd;
            fds[1].events = POLLIN;
            nfds = 2;
        }
    }
    rc = poll(fds, nfds, timeout_ms);
    if (nfds == 2)
        g_cancellable_release_fd(cancellable);
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return -1;
    if (rc < 0 && errno != EINTR) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK, "poll: %s",
                    g_strerror(errno));
        return -1;
    }
    if (rc > 0 && fds[0].revents)
        return 1;
    /* Woken early (keepalive slice, EINTR): "not yet" unless past the
     * deadline; callers loop. */
    return g_get_monotonic_time() >= deadline ? 0 : 1;
}

gboolean
ssh_session_wait(SshSession *s, gint64 deadline, const char *what,
                 GError **error)
{
    int dirs = libssh2_session_block_directions(s->session);
    short events = 0;
    int next_keepalive = 0;
    int rc;

    if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
        events |= POLLIN;
    if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        events |= POLLOUT;
    if (events == 0)
        events = POLLIN;
    /* A keepalive is due (never before the key exchange is over: a global
     * request in the middle of it breaks it): send it (it may itself block, then it goes out
     * with the next write) and wake up in time for the next one. */
    if (s->keepalive_ok &&
        libssh2_keepalive_send(s->session, &next_keepalive) != 0)
        next_keepalive = 1;
    rc = ssh_poll(s->fd, events, s->cancellable, deadline,
                  next_keepalive > 0 ? next_keepalive * 1000 : -1, error);
    if (rc < 0) {
        g_prefix_error(error, "%s: ", s->name);
        return FALSE;
    }
    if (rc == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                    "%s: %s: no answer from the server within %u s", s->name,
                    what, (s->io_timeout_ms + 999) / 1000);
        return FALSE;
    }
    return TRUE;
}

void
ssh_session_set_error(SshSession *s, GError **error, int code,
                      const char *what)
{
    char *msg = NULL;
    int rc = libssh2_session_last_error(s->session, &msg, NULL, 0);

    /* A dropped connection is a network error, whatever the caller was
     * doing. */
    if (rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND ||
        rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_TIMEOUT)
        code = FERRY_ERROR_NETWORK;
    g_set_error(error, FERRY_ERROR, code, "%s: %s: %s", s->name, what,
                msg && *msg ? msg : "libssh2 error");
}

/* ---- connecting --------------------------------------------------------- */

static char *
ssh_session_make_name(const char *user, const char *host, guint16 port)
{
    if (strchr(host, ':'))
        return g_strdup_printf("ssh://%s@[%s]:%u", user, host, port);
    return g_strdup_printf("ssh://%s@%s:%u", user, host, port);
}

/* Tries one address; returns the connected socket or -1 with @error. */
static int
ssh_connect_address(GInetAddress *addr, guint16 port, gint64 deadline,
                    guint timeout_ms, GCancellable *cancellable,
                    GError **error)
{
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, port);
    g_autofree char *text = g_inet_address_to_string(addr);
    struct sockaddr_storage ss;
    gsize sslen = g_socket_address_get_native_size(sa);
    socklen_t errlen = sizeof(int);
    int fd, err = 0, rc;

    if (!g_socket_address_to_native(sa, &ss, sizeof(ss), error))
        return -1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                    "socket for %s: %s", text, g_strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&ss, sslen) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                    "connect to %s port %u: %s", text, port, g_strerror(errno));
        close(fd);
        return -1;
    }
    while ((rc = ssh_poll(fd, POLLOUT, cancellable, deadline, -1, error)) == 1) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };

        if (poll(&pfd, 1, 0) == 1)
            break;
    }
    if (rc < 0) {
        close(fd);
        return -1;
    }
    if (rc == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                    "connect to %s port %u: no answer within %u s", text,
                    port, (timeout_ms + 999) / 1000);
        close(fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
        err = errno;
    if (err != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                    "connect to %s port %u: %s", text, port, g_strerror(err));
        close(fd);
        return -1;
    }
    return fd;
}

static int
ssh_connect_host(const char *host, guint16 port, guint timeout_ms,
                 GCancellable *cancellable, GError **error)
{
    g_autoptr(GResolver) resolver = g_resolver_get_default();
    g_autoptr(GError) last = NULL;
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    GList *addrs, *l;
    int fd = -1;

    addrs = g_resolver_lookup_by_name(resolver, host, cancellable, error);
    if (!addrs) {
        if (error && *error && (*error)->domain == G_RESOLVER_ERROR) {
            g_autofree char *msg = g_strdup((*error)->message);

            g_clear_error(error);
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NETWORK,
                        "resolve '%s': %s", host, msg);
        }
        return -1;
    }
    for (l = addrs; l && fd < 0; l = l->next) {
        g_clear_error(&last);
        fd = ssh_connect_address(l->data, port, deadline, timeout_ms,
                                 cancellable, &last);
        if (fd < 0 && g_error_matches(last, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            break;
    }
    g_resolver_free_addresses(addrs);
    if (fd < 0)
        g_propagate_error(error, g_steal_pointer(&last));
    return fd;
}

/* Host key algorithms for each known_hosts key type; those libssh2 does
 * not support are left out (Debian 12's 1.10.0 has no rsa-sha2-*). */
static const struct {
    const char *key_type;
    const char *methods;
} ssh_hostkey_methods[] = {
    { "ssh-ed25519", "ssh-ed25519" },
    { "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256" },
    { "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384" },
    { "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521" },
    { "ssh-rsa", "rsa-sha2-512,rsa-sha2-256,ssh-rsa" },
};

/* With nothing known (or a pinned fingerprint), OpenSSH's order: ed25519
 * first, so that a pin taken from `ssh-keygen -l` of the ed25519 host key
 * and the key an unknown host shows are the ones ssh would use. */
static const char ssh_hostkey_default_pref[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
    "rsa-sha2-512,rsa-sha2-256,ssh-rsa";

/* Appends to @pref those of the comma-separated @methods that libssh2
 * supports and @pref lacks.  libssh2 1.10 would strip unknown names itself,
 * but does it with an overlapping memcpy() (AddressSanitizer:
 * memcpy-param-overlap), so it is never handed one. */
static void
ssh_pref_append_supported(GString *pref, const char *methods,
                          const char **supported, int n_supported)
{
    g_auto(GStrv) names = g_strsplit(methods, ",", -1);
    gsize i;
    int j;

    for (i = 0; names[i]; i++) {
        g_auto(GStrv) have = g_strsplit(pref->str, ",", -1);

        if (g_strv_contains((const char *const *)have, names[i]))
            continue;
        for (j = 0; j < n_supported; j++) {
            if (g_str_equal(supported[j], names[i]))
                break;
        }
        if (j == n_supported)
            continue;
        if (pref->len)
            g_string_append_c(pref, ',');
        g_string_append(pref, names[i]);
    }
}

static void
ssh_session_prefer_known_types(SshSession *s, const SshOptions *opts,
                               guint16 port)
{
    g_auto(GStrv) files = NULL;
    g_auto(GStrv) types = NULL;
    g_autoptr(GString) pref = g_string_new(NULL);
    const char **supported = NULL;
    int n_supported;
    gsize i, j;

    n_supported = libssh2_session_supported_algs(s->session,
                                                 LIBSSH2_METHOD_HOSTKEY,
                                                 &supported);
    if (n_supported <= 0)
        return;
    if (!opts->pinned_fingerprint) {
        files = ssh_known_hosts_files(opts);
        types = ssh_known_hosts_key_types((const char *const *)files,
                                          opts->host, port);
        for (i = 0; types[i]; i++) {
            for (j = 0; j < G_N_ELEMENTS(ssh_hostkey_methods); j++) {
                if (g_str_equal(types[i], ssh_hostkey_methods[j].key_type))
                    ssh_pref_append_supported(pref,
                                              ssh_hostkey_methods[j].methods,
                                              supported, n_supported);
            }
        }
    }
    if (pref->len == 0)
        ssh_pref_append_supported(pref, ssh_hostkey_default_pref, supported,
                                  n_supported);
    libssh2_free(s->session, supported);
    if (pref->len == 0)
        return;
    if (libssh2_session_method_pref(s->session, LIBSSH2_METHOD_HOSTKEY,
                                    pref->str) != 0)
        g_debug("%s: host key preference '%s' not accepted by libssh2",
                s->name, pref->str);
    else
        g_debug("%s: host key types preferred: %s", s->name, pref->str);
}

static gboolean
ssh_host_is_valid(const char *host)
{
    const char *p;

    if (!host || !*host || strlen(host) > 255)
        return FALSE;
    for (p = host; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr(".-_:%", *p))
            return FALSE;
    }
    return TRUE;
}

SshSession *
ssh_session_open(const SshOptions *opts, GCancellable *cancellable,
                 GError **error)
{
    g_autoptr(SshSession) s = g_new0(SshSession, 1);
    guint16 port = opts->port ? opts->port : SSH_DEFAULT_PORT;
    guint connect_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms :
                       SSH_DEFAULT_CONNECT_TIMEOUT_MS;
    guint keepalive = opts->keepalive_interval_s ? opts->keepalive_interval_s :
                      SSH_DEFAULT_KEEPALIVE_S;
    const char *blob;
    size_t blob_len = 0;
    int type = 0, rc;
    gint64 deadline;

    s->fd = -1;
    s->user = g_strdup(opts->user ? opts->user : g_get_user_name());
    if (!ssh_host_is_valid(opts->host)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "ssh: host '%s' is not a host name or address",
                    opts->host ? opts->host : "");
        return NULL;
    }
    s->name = ssh_session_make_name(s->user, opts->host, port);
    s->io_timeout_ms = opts->io_timeout_ms ? opts->io_timeout_ms :
                       SSH_DEFAULT_IO_TIMEOUT_MS;
    if (cancellable)
        s->cancellable = g_object_ref(cancellable);

    s->fd = ssh_connect_host(opts->host, port, connect_ms, cancellable, error);
    if (s->fd < 0) {
        g_prefix_error(error, "%s: ", s->name);
        return NULL;
    }
    s->session = libssh2_session_init_ex(NULL, NULL, NULL, s);
    if (!s->session) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "%s: libssh2_session_init failed", s->name);
        return NULL;
    }
    libssh2_session_set_blocking(s->session, 0);
    libssh2_keepalive_config(s->session, 1, keepalive);
    ssh_session_prefer_known_types(s, opts, port);

    /* The key exchange is bounded by the connect timeout too: a port that
     * accepts but never speaks SSH must not hang for the I/O timeout. */
    deadline = g_get_monotonic_time() + (gint64)connect_ms * 1000;
    while ((rc = libssh2_session_handshake(s->session, s->fd)) ==
           LIBSSH2_ERROR_EAGAIN) {
        if (!ssh_session_wait(s, deadline, "key exchange", error))
            return NULL;
    }
    if (rc != 0) {
        ssh_session_set_error(s, error, FERRY_ERROR_NETWORK, "key exchange");
        return NULL;
    }

    s->keepalive_ok = TRUE;
    blob = libssh2_session_hostkey(s->session, &blob_len, &type);
    if (!blob || blob_len == 0 || blob_len > SSH_MAX_KEY_BLOB) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: the server sent no usable host key", s->name);
        return NULL;
    }
    s->fingerprint = ssh_key_fingerprint((const guint8 *)blob, blob_len);
    if (!ssh_host_key_verify(opts, s->name, (const guint8 *)blob, blob_len,
                             error))
        return NULL;
    g_debug("%s: connected, host key %s", s->name, s->fingerprint);
    return g_steal_pointer(&s);
}

SshSession *
ssh_session_connect(const SshOptions *opts, GCancellable *cancellable,
                    GError **error)
{
    g_autoptr(SshSession) s = ssh_session_open(opts, cancellable, error);

    if (!s || !ssh_session_authenticate(s, opts, error))
        return NULL;
    return g_steal_pointer(&s);
}

void
ssh_session_free(SshSession *s)
{
    if (!s)
        return;
    if (s->session) {
        /* A polite goodbye, but never a long wait for a dead peer. */
        gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
        int rc;

        while ((rc = libssh2_session_disconnect(s->session, "done")) ==
               LIBSSH2_ERROR_EAGAIN) {
            struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

            if (g_get_monotonic_time() >= deadline || poll(&pfd, 1, 100) < 0)
                break;
        }
        libssh2_session_free(s->session);
    }
    if (s->fd >= 0)
        close(s->fd);
    g_clear_object(&s->cancellable);
    g_free(s->name);
    g_free(s->user);
    g_free(s->fingerprint);
    g_free(s);
}

const char *
ssh_session_get_name(const SshSession *s)
{
    return s->name;
}

const char *
ssh_session_get_host_key_fingerprint(const SshSession *s)
{
    return s->fingerprint;
}
