/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-send.c: sends a file over one SSH exec channel running
 * `cat >/dev/null`, with libssh2 or with libssh, for
 * bench/ssh-libraries.sh.  Not part of ferry's build: the script compiles
 * it with gcc and pkg-config.
 *
 *   ssh-send --lib libssh2|libssh --port PORT --identity KEY
 *            --known-hosts FILE --cipher CIPHER [--mac MAC]
 *            [--command CMD] FILE
 *
 * Connects to root@127.0.0.1:PORT, holds the client-to-server and
 * server-to-client cipher (and MAC, when given) to exactly one method so
 * that the libraries are compared on the same algorithms, verifies the
 * server's ed25519 host key against the known_hosts FILE (an unknown or
 * changed key is a failure), authenticates with the key pair KEY and
 * KEY.pub, then writes FILE in 256 KiB buffers, sends EOF and waits for
 * the command's exit status (CMD, default `cat >/dev/null`; the script
 * checks each library's bytes once with `cat >FILE` and cmp).  Why one
 * exec channel and not SFTP: that is what `ferry receive` uses, and it
 * leaves only the transport (packet encryption, MAC, windows) in the
 * measurement.
 *
 * Both backends are blocking and single-threaded, as the simplest use of
 * each library; the negotiated cipher is printed to stderr so the report
 * can show it was the one asked for.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libssh/libssh.h>
#include <libssh2.h>

#define BUF_SIZE (256 * 1024)

struct opts {
    const char *lib;
    int port;
    const char *identity;
    const char *known_hosts;
    const char *cipher;
    const char *mac;
    const char *command;
    const char *file;
};

/* One backend: sends the whole file descriptor, returns 0 or prints one
 * error line and returns -1. */
struct backend {
    const char *name;
    int (*send)(const struct opts *o, int fd);
};

static int
fail(const char *fmt, ...)
{
    va_list ap;

    fputs("ssh-send: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* read_buf FD BUF: a full buffer unless at end of file; -1 on error. */
static ssize_t
read_buf(int fd, char *buf)
{
    size_t got = 0;

    while (got < BUF_SIZE) {
        ssize_t n = read(fd, buf + got, BUF_SIZE - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* ---- libssh2 ------------------------------------------------------- */

static int
tcp_connect(int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    int one = 1;
    int s = socket(AF_INET, SOCK_STREAM, 0);

    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fail("connect to 127.0.0.1:%d: %s", port, strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    /* As OpenSSH and both libraries' own connect code do. */
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return s;
}

static int
l2_err(LIBSSH2_SESSION *s, const char *what)
{
    char *msg = NULL;

    libssh2_session_last_error(s, &msg, NULL, 0);
    return fail("libssh2 %s: %s", what, msg ? msg : "unknown error");
}

static int
l2_check_host(LIBSSH2_SESSION *s, const struct opts *o)
{
    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s);
    size_t len;
    int type;
    const char *key = libssh2_session_hostkey(s, &len, &type);
    int rc;

    if (!kh || !key)
        return l2_err(s, "host key");
    if (libssh2_knownhost_readfile(kh, o->known_hosts,
                                   LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
        libssh2_knownhost_free(kh);
        return l2_err(s, "known_hosts");
    }
    if (type != LIBSSH2_HOSTKEY_TYPE_ED25519) {
        libssh2_knownhost_free(kh);
        return fail("libssh2: the server offered a host key of type %d, not ed25519", type);
    }
    rc = libssh2_knownhost_checkp(kh, "127.0.0.1", o->port, key, len,
                                  LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                  LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                  LIBSSH2_KNOWNHOST_KEY_ED25519, NULL);
    libssh2_knownhost_free(kh);
    if (rc != LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return fail("libssh2: host key of 127.0.0.1:%d not in %s (check %d)",
                    o->port, o->known_hosts, rc);
    return 0;
}

static int
l2_send_file(const struct opts *o, LIBSSH2_SESSION *s, LIBSSH2_CHANNEL *ch, int fd)
{
    static char buf[BUF_SIZE];
    ssize_t n;

    while ((n = read_buf(fd, buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = libssh2_channel_write(ch, buf + off, (size_t)(n - off));
            if (w < 0)
                return l2_err(s, "channel write");
            off += w;
        }
    }
    if (n < 0)
        return fail("read: %s", strerror(errno));
    if (libssh2_channel_send_eof(ch) < 0 || libssh2_channel_wait_eof(ch) < 0 ||
        libssh2_channel_close(ch) < 0 || libssh2_channel_wait_closed(ch) < 0)
        return l2_err(s, "channel close");
    if (libssh2_channel_get_exit_status(ch) != 0)
        return fail("libssh2: `%s` exited %d", o->command, libssh2_channel_get_exit_status(ch));
    return 0;
}

static int
send_libssh2(const struct opts *o, int fd)
{
    LIBSSH2_SESSION *s;
    LIBSSH2_CHANNEL *ch = NULL;
    char *pub = NULL;
    int sock, rc = -1;

    if (libssh2_init(0) != 0)
        return fail("libssh2_init failed");
    if ((sock = tcp_connect(o->port)) < 0)
        return -1;
    s = libssh2_session_init();
    if (!s) {
        close(sock);
        return fail("libssh2_session_init failed");
    }
    libssh2_session_set_blocking(s, 1);
    if (libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS, o->cipher) < 0 ||
        libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_SC, o->cipher) < 0 ||
        (o->mac && (libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_CS, o->mac) < 0 ||
                    libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_SC, o->mac) < 0)) ||
        libssh2_session_method_pref(s, LIBSSH2_METHOD_HOSTKEY, "ssh-ed25519") < 0) {
        l2_err(s, "method preference");
        goto out;
    }
    if (libssh2_session_handshake(s, sock) != 0) {
        l2_err(s, "handshake");
        goto out;
    }
    if (l2_check_host(s, o) < 0)
        goto out;
    if (asprintf(&pub, "%s.pub", o->identity) < 0)
        goto out;
    if (libssh2_userauth_publickey_fromfile(s, "root", pub, o->identity, NULL) != 0) {
        l2_err(s, "public key authentication");
        goto out;
    }
    fprintf(stderr, "ssh-send: libssh2 %s, cipher %s, mac %s\n", LIBSSH2_VERSION,
            libssh2_session_methods(s, LIBSSH2_METHOD_CRYPT_CS),
            libssh2_session_methods(s, LIBSSH2_METHOD_MAC_CS));
    ch = libssh2_channel_open_session(s);
    if (!ch) {
        l2_err(s, "channel open");
        goto out;
    }
    if (libssh2_channel_exec(ch, o->command) != 0) {
        l2_err(s, "exec");
        goto out;
    }
    rc = l2_send_file(o, s, ch, fd);
out:
    if (ch)
        libssh2_channel_free(ch);
    libssh2_session_disconnect(s, "done");
    libssh2_session_free(s);
    close(sock);
    free(pub);
    libssh2_exit();
    return rc;
}

/* ---- libssh -------------------------------------------------------- */

static int
ls_err(ssh_session s, const char *what)
{
    return fail("libssh %s: %s", what, ssh_get_error(s));
}

static int
ls_send_file(const struct opts *o, ssh_session s, ssh_channel ch, int fd)
{
    static char buf[BUF_SIZE];
    ssize_t n;
    int status;

    while ((n = read_buf(fd, buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            int w = ssh_channel_write(ch, buf + off, (uint32_t)(n - off));
            if (w < 0)
                return ls_err(s, "channel write");
            off += w;
        }
    }
    if (n < 0)
        return fail("read: %s", strerror(errno));
    if (ssh_channel_send_eof(ch) != SSH_OK)
        return ls_err(s, "send eof");
    /* Blocks until the server sends exit-status or closes. */
    status = ssh_channel_get_exit_status(ch);
    if (status != 0)
        return fail("libssh: `%s` exited %d", o->command, status);
    if (ssh_channel_close(ch) != SSH_OK)
        return ls_err(s, "channel close");
    return 0;
}

static int
send_libssh(const struct opts *o, int fd)
{
    ssh_session s = ssh_new();
    ssh_channel ch = NULL;
    ssh_key key = NULL;
    int no = 0, rc = -1;
    unsigned int port = (unsigned int)o->port;

    if (!s)
        return fail("ssh_new failed");
    /* No ~/.ssh/config, no system known_hosts: only what is given here. */
    if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1") < 0 ||
        ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_USER, "root") < 0 ||
        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/nonexistent") < 0 ||
        ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, "ssh-ed25519") < 0 ||
        ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, o->cipher) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, o->cipher) < 0 ||
        (o->mac && (ssh_options_set(s, SSH_OPTIONS_HMAC_C_S, o->mac) < 0 ||
                    ssh_options_set(s, SSH_OPTIONS_HMAC_S_C, o->mac) < 0))) {
        ls_err(s, "options");
        goto out;
    }
    if (ssh_connect(s) != SSH_OK) {
        ls_err(s, "connect");
        goto out;
    }
    if (ssh_session_is_known_server(s) != SSH_KNOWN_HOSTS_OK) {
        fail("libssh: host key of 127.0.0.1:%d not in %s", o->port, o->known_hosts);
        goto out;
    }
    if (ssh_pki_import_privkey_file(o->identity, NULL, NULL, NULL, &key) != SSH_OK) {
        fail("libssh: cannot read the key %s", o->identity);
        goto out;
    }
    if (ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
        ls_err(s, "public key authentication");
        goto out;
    }
    fprintf(stderr, "ssh-send: libssh %s, cipher %s, mac %s\n", ssh_version(0),
            ssh_get_cipher_out(s), ssh_get_hmac_out(s));
    ch = ssh_channel_new(s);
    if (!ch || ssh_channel_open_session(ch) != SSH_OK) {
        ls_err(s, "channel open");
        goto out;
    }
    if (ssh_channel_request_exec(ch, o->command) != SSH_OK) {
        ls_err(s, "exec");
        goto out;
    }
    rc = ls_send_file(o, s, ch, fd);
out:
    if (ch)
        ssh_channel_free(ch);
    ssh_key_free(key);
    ssh_disconnect(s);
    ssh_free(s);
    return rc;
}

static const struct backend backends[] = {
    { .name = "libssh2", .send = send_libssh2 },
    { .name = "libssh", .send = send_libssh },
};

static int
usage(void)
{
    fprintf(stderr, "usage: ssh-send --lib libssh2|libssh --port PORT --identity KEY "
                    "--known-hosts FILE --cipher CIPHER [--mac MAC] [--command CMD] FILE\n");
    return 2;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "lib", required_argument, NULL, 'l' },
        { "port", required_argument, NULL, 'p' },
        { "identity", required_argument, NULL, 'i' },
        { "known-hosts", required_argument, NULL, 'k' },
        { "cipher", required_argument, NULL, 'c' },
        { "mac", required_argument, NULL, 'm' },
        { "command", required_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 },
    };
    struct opts o = { .command = "cat >/dev/null" };
    const struct backend *b = NULL;
    char *end;
    int c, fd, rc;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': o.lib = optarg; break;
        case 'p':
            o.port = (int)strtol(optarg, &end, 10);
            if (*end || o.port <= 0 || o.port > 65535) {
                fail("--port: not a port number: '%s'", optarg);
                return 2;
            }
            break;
        case 'i': o.identity = optarg; break;
        case 'k': o.known_hosts = optarg; break;
        case 'c': o.cipher = optarg; break;
        case 'm': o.mac = optarg; break;
        case 'C': o.command = optarg; break;
        default: return usage();
        }
    }
    if (optind != argc - 1 || !o.lib || !o.port || !o.identity || !o.known_hosts || !o.cipher)
        return usage();
    o.file = argv[optind];
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (strcmp(backends[i].name, o.lib) == 0)
            b = &backends[i];
    if (!b) {
        fail("--lib: unknown library '%s' (libssh2 or libssh)", o.lib);
        return 2;
    }
    fd = open(o.file, O_RDONLY);
    if (fd < 0) {
        fail("open: %s: %s", o.file, strerror(errno));
        return 1;
    }
    rc = b->send(&o, fd);
    close(fd);
    return rc == 0 ? 0 : 1;
}
