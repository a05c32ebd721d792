/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-auth.c: logging in (RFC 4252): ssh-agent keys, then identity files
 * (OpenSSH or PEM private keys: ed25519, ecdsa, rsa; libssh2 1.10 signs
 * with rsa-sha2-256/512 when the server announces them in server-sig-algs,
 * RFC 8332/8308), then a password, each only if the server offers the
 * method.
 *
 * Secrets (passphrase, password) come from a file or an environment
 * variable, never from argv; they live in one buffer that is scrubbed with
 * explicit_bzero() when freed, and never reach a message or a log line.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/ssh-priv.h"

/* ---- secrets ------------------------------------------------------------ */

void
ssh_secret_free(char *secret)
{
    if (!secret)
        return;
    explicit_bzero(secret, strlen(secret));
    g_free(secret);
}

typedef char SshSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SshSecret, ssh_secret_free)

static void
ssh_secret_chomp(char *secret, gsize len)
{
    /* One trailing newline, as `echo pass > file` writes it. */
    if (len > 0 && secret[len - 1] == '\n') {
        secret[--len] = '\0';
        if (len > 0 && secret[len - 1] == '\r')
            secret[--len] = '\0';
    }
}

char *
ssh_secret_read_file(const char *path, const char *what, GError **error)
{
    char *buf;
    gsize have = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0) {
        g_set_error(error, FERRY_ERROR, errno == ENOENT ? FERRY_ERROR_NOT_FOUND :
                    FERRY_ERROR_IO, "open: %s: %s", path, g_strerror(errno));
        return NULL;
    }
    buf = g_malloc0(SSH_MAX_SECRET + 2);
    for (;;) {
        ssize_t n = read(fd, buf + have, SSH_MAX_SECRET + 1 - have);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "read: %s: %s",
                        path, g_strerror(errno));
            break;
        }
        if (n == 0)
            break;
        have += n;
        if (have > SSH_MAX_SECRET) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: %s file is longer than %d bytes", path, what,
                        SSH_MAX_SECRET);
            break;
        }
    }
    close(fd);
    if (error && *error) {
        explicit_bzero(buf, SSH_MAX_SECRET + 2);
        g_free(buf);
        return NULL;
    }
    if (memchr(buf, '\0', have)) {
        explicit_bzero(buf, SSH_MAX_SECRET + 2);
        g_free(buf);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: %s file holds a NUL byte", path, what);
        return NULL;
    }
    ssh_secret_chomp(buf, have);
    return buf;
}

char *
ssh_secret_from_env(const char *name, const char *what, GError **error)
{
    const char *value = g_getenv(name);

    if (!value) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "environment variable '%s' for the %s is not set", name,
                    what);
        return NULL;
    }
    if (strlen(value) > SSH_MAX_SECRET) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "environment variable '%s' for the %s is longer than %d "
                    "bytes", name, what, SSH_MAX_SECRET);
        return NULL;
    }
    return g_strdup(value);
}

/* The secret from @file or else @env; NULL without error when neither. */
static char *
ssh_secret_load(const char *file, const char *env, const char *what,
                GError **error)
{
    if (file)
        return ssh_secret_read_file(file, what, error);
    if (env)
        return ssh_secret_from_env(env, what, error);
    return NULL;
}

/* ---- methods ------------------------------------------------------------ */

static gboolean
ssh_method_offered(const char *methods, const char *name)
{
    g_auto(GStrv) list = NULL;

    if (!methods)
        return FALSE;
    list = g_strsplit(methods, ",", -1);
    return g_strv_contains((const char *const *)list, name);
}

/* Runs one libssh2 auth call to its end: 1 accepted, 0 refused, -1 with
 * @error for a transport failure. */
#define SSH_AUTH_RUN(s, deadline, what, call, error)                         \
    ({                                                                       \
        int _rc, _ret = 0;                                                   \
        while ((_rc = (call)) == LIBSSH2_ERROR_EAGAIN) {                     \
            if (!ssh_session_wait((s), (deadline), (what), (error))) {       \
                _rc = -1000;                                                 \
                break;                                                       \
            }                                                                \
        }                                                                    \
        if (_rc == 0)                                                        \
            _ret = 1;                                                        \
        else if (_rc == -1000)                                               \
            _ret = -1;                                                       \
        else if (_rc == LIBSSH2_ERROR_SOCKET_RECV ||                         \
                 _rc == LIBSSH2_ERROR_SOCKET_SEND ||                         \
                 _rc == LIBSSH2_ERROR_SOCKET_DISCONNECT) {                   \
            ssh_session_set_error((s), (error), FERRY_ERROR_NETWORK, (what)); \
            _ret = -1;                                                       \
        }                                                                    \
        _ret;                                                                \
    })

static int
ssh_auth_agent(SshSession *s, GString *tried, GError **error)
{
    LIBSSH2_AGENT *agent;
    struct libssh2_agent_publickey *id = NULL, *prev = NULL;
    int ret = 0;

    if (!g_getenv("SSH_AUTH_SOCK")) {
        g_debug("%s: SSH_AUTH_SOCK is not set: agent skipped", s->name);
        return 0;
    }
    agent = libssh2_agent_init(s->session);
    if (!agent)
        return 0;
    if (libssh2_agent_connect(agent) != 0 ||
        libssh2_agent_list_identities(agent) != 0) {
        g_debug("%s: ssh-agent does not answer: agent skipped", s->name);
        libssh2_agent_free(agent);
        return 0;
    }
    g_string_append(tried, tried->len ? ", agent" : "agent");
    while (ret == 0 && libssh2_agent_get_identity(agent, &id, prev) == 0) {
        gint64 deadline = ssh_session_deadline(s);

        ret = SSH_AUTH_RUN(s, deadline, "agent authentication",
                           libssh2_agent_userauth(agent, s->user, id), error);
        g_debug("%s: agent key '%s': %s", s->name,
                id->comment ? id->comment : "", ret == 1 ? "accepted" : "refused");
        prev = id;
    }
    libssh2_agent_disconnect(agent);
    libssh2_agent_free(agent);
    return ret;
}

static int
ssh_auth_identity(SshSession *s, const char *path, const char *passphrase,
                  GString *tried, GError **error)
{
    gint64 deadline = ssh_session_deadline(s);
    int ret;

    if (access(path, R_OK) != 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: identity file %s: %s", s->name, path,
                    g_strerror(errno));
        return -1;
    }
    g_string_append_printf(tried, "%s%s", tried->len ? ", " : "", path);
    /* The public key is derived from the private one (libssh2 with
     * OpenSSL allows a NULL public key file). */
    ret = SSH_AUTH_RUN(s, deadline, "public key authentication",
                       libssh2_userauth_publickey_fromfile_ex(
                           s->session, s->user, strlen(s->user), NULL, path,
                           passphrase ? passphrase : ""),
                       error);
    if (ret == 0) {
        char *msg = NULL;
        int rc = libssh2_session_last_error(s->session, &msg, NULL, 0);

        /* A key that cannot be read or decrypted is the user's mistake:
         * say so rather than "refused". */
        if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                        "%s: identity file %s: %s%s", s->name, path,
                        msg ? msg : "unreadable",
                        passphrase ? " (wrong passphrase?)" :
                        " (encrypted? give a passphrase file)");
            return -1;
        }
    }
    g_debug("%s: identity %s: %s", s->name, path,
            ret == 1 ? "accepted" : "refused");
    return ret;
}

static char **
ssh_default_identities(void)
{
    static const char *const names[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
    GPtrArray *list = g_ptr_array_new();
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(names); i++) {
        char *path = g_build_filename(g_get_home_dir(), ".ssh", names[i], NULL);

        if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add(list, path);
        else
            g_free(path);
    }
    g_ptr_array_add(list, NULL);
    return (char **)g_ptr_array_free(list, FALSE);
}

gboolean
ssh_session_authenticate(SshSession *s, const SshOptions *opts,
                         GError **error)
{
    g_autoptr(GString) tried = g_string_new(NULL);
    g_auto(GStrv) defaults = NULL;
    g_autofree char *methods = NULL;
    const char *const *ids = opts->identity_files;
    const char *listed;
    gint64 deadline = ssh_session_deadline(s);
    int ret = 0;
    gsize i;

    /* "none" first: the server's answer lists the methods it accepts. */
    while (!(listed = libssh2_userauth_list(s->session, s->user,
                                            strlen(s->user)))) {
        if (libssh2_userauth_authenticated(s->session))
            return TRUE;
        if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_EAGAIN) {
            ssh_session_set_error(s, error, FERRY_ERROR_AUTH,
                                  "authentication methods");
            return FALSE;
        }
        if (!ssh_session_wait(s, deadline, "authentication methods", error))
            return FALSE;
    }
    methods = g_strdup(listed);
    g_debug("%s: server offers %s", s->name, methods);

    if (ssh_method_offered(methods, "publickey")) {
        if (opts->use_agent)
            ret = ssh_auth_agent(s, tried, error);
        if (ret == 0) {
            g_autoptr(SshSecret) passphrase = NULL;
            g_autoptr(GError) local = NULL;

            passphrase = ssh_secret_load(opts->passphrase_file,
                                         opts->passphrase_env, "passphrase",
                                         &local);
            if (local) {
                g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                           "%s: ", s->name);
                ret = -1;
            }
            if (!ids) {
                defaults = ssh_default_identities();
                ids = (const char *const *)defaults;
            }
            for (i = 0; ret == 0 && ids[i]; i++)
                ret = ssh_auth_identity(s, ids[i], passphrase, tried, error);
        }
    }
    if (ret == 0 && (opts->password_file || opts->password_env) &&
        ssh_method_offered(methods, "password")) {
        g_autoptr(SshSecret) password = NULL;
        g_autoptr(GError) local = NULL;

        password = ssh_secret_load(opts->password_file, opts->password_env,
                                   "password", &local);
        if (!password) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                       "%s: ", s->name);
            ret = -1;
        } else {
            g_string_append(tried, tried->len ? ", password" : "password");
            deadline = ssh_session_deadline(s);
            ret = SSH_AUTH_RUN(s, deadline, "password authentication",
                               libssh2_userauth_password_ex(
                                   s->session, s->user, strlen(s->user),
                                   password, strlen(password), NULL),
                               error);
        }
    }
    if (ret == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: login refused (tried: %s; the server offers: %s)",
                    s->name, tried->len ? tried->str : "nothing", methods);
    }
    return ret == 1;
}
