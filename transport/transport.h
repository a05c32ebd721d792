/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * transport.h: SSH sessions over libssh2: connect (IPv4/IPv6, timeouts,
 * keepalives, cancellable), host keys checked against OpenSSH known_hosts
 * files or a pinned fingerprint, authentication (agent, identity files,
 * password), remote commands with safely quoted arguments, and an SFTP
 * writer shaped like a sink (write, skip a hole, commit, abort).
 *
 * Depends on conv/ only for FERRY_ERROR.  Errors: FERRY_ERROR_NETWORK
 * (resolve, connect, timeout, dropped connection), FERRY_ERROR_AUTH (host
 * key refused, login refused), FERRY_ERROR_REMOTE (remote command failed,
 * SFTP status), FERRY_ERROR_NOT_FOUND (remote path missing),
 * FERRY_ERROR_INVALID (bad option), FERRY_ERROR_IO (local file),
 * FERRY_ERROR_CORRUPT (known_hosts file over its size cap); cancellation is
 * G_IO_ERROR_CANCELLED.  Every message starts with the session's name,
 * "ssh://user@host:port", or the local file at fault.
 *
 * Threads: an SshSession and what hangs off it (SshSftp, SshSftpWriter) is
 * used by one thread at a time.
 */
#pragma once

#include <gio/gio.h>

#include "conv/conv.h"

G_BEGIN_DECLS

#define SSH_DEFAULT_PORT 22
#define SSH_DEFAULT_CONNECT_TIMEOUT_MS 15000
#define SSH_DEFAULT_IO_TIMEOUT_MS 60000
#define SSH_DEFAULT_KEEPALIVE_S 15

/* ---- process-wide ------------------------------------------------------ */

/* Called once from main() (libssh2_init() is not thread-safe), and the
 * matching exit once at the end. */
gboolean ssh_global_init(GError **error);
void ssh_global_exit(void);

/* ---- options ----------------------------------------------------------- */

typedef enum {
    SSH_HOST_KEY_STRICT,       /* the host must be in known_hosts */
    SSH_HOST_KEY_ACCEPT_NEW,   /* an unknown host is recorded; a changed key
                                * is still refused (OpenSSH's accept-new) */
} SshHostKeyPolicy;

/*
 * SshOptions: what a session needs.  Strings are borrowed for the length of
 * the ssh_session_*() call.  Secrets are never passed here: only the file or
 * the environment variable they are read from.
 */
typedef struct {
    const char *host;                  /* name, IPv4 or IPv6 (no brackets) */
    guint16 port;                      /* 0: 22 */
    const char *user;                  /* NULL: the local user's name */

    SshHostKeyPolicy host_key_policy;
    /* NULL: the user's ~/.ssh/known_hosts then /etc/ssh/ssh_known_hosts
     * (accept-new records in the user's file); else only this file. */
    const char *known_hosts_file;
    /* "SHA256:<base64>": the host key must have this fingerprint and
     * known_hosts is not read at all. */
    const char *pinned_fingerprint;

    gboolean use_agent;                /* try $SSH_AUTH_SOCK's keys first */
    /* NULL-terminated private key files; NULL: ~/.ssh/id_ed25519,
     * id_ecdsa and id_rsa, those that exist. */
    const char *const *identity_files;
    const char *passphrase_file;       /* for the identity files */
    const char *passphrase_env;
    const char *password_file;         /* password authentication, last */
    const char *password_env;

    guint connect_timeout_ms;          /* 0: SSH_DEFAULT_CONNECT_TIMEOUT_MS */
    guint io_timeout_ms;               /* each operation; 0: default */
    guint keepalive_interval_s;        /* 0: SSH_DEFAULT_KEEPALIVE_S */
} SshOptions;

/* Fills @opts with the defaults (strict host keys, port 22, timeouts). */
void ssh_options_init(SshOptions *opts);

/* ---- host keys (ssh-knownhosts.c) -------------------------------------- */

/* Caps for a hostile known_hosts file: longer lines are skipped, a larger
 * file is refused.  OpenSSH's own line cap is 16 KiB (sshkey's 16384-bit
 * RSA public key in base64 is under 3 KiB). */
#define SSH_KNOWN_HOSTS_MAX_LINE 16384
#define SSH_KNOWN_HOSTS_MAX_BYTES (16 * 1024 * 1024)
/* A host key blob: more than any real key (16384-bit RSA is ~2 KiB). */
#define SSH_MAX_KEY_BLOB 8192

typedef enum {
    SSH_KNOWN_HOST_UNKNOWN,     /* no line names this host */
    SSH_KNOWN_HOST_MATCH,       /* a line names the host with this key */
    SSH_KNOWN_HOST_MISMATCH,    /* a line names the host with another key
                                 * of the same type */
    SSH_KNOWN_HOST_OTHER_TYPE,  /* only keys of other types are known */
    SSH_KNOWN_HOST_REVOKED,     /* an @revoked line names this key */
} SshKnownHostStatus;

typedef struct {
    SshKnownHostStatus status;
    char *file;                 /* the deciding line's file, or NULL */
    guint line;                 /* its 1-based line number, or 0 */
} SshKnownHostResult;

void ssh_known_host_result_clear(SshKnownHostResult *result);

/* "SHA256:<base64 without padding>" of a key blob, as ssh prints it. */
char *ssh_key_fingerprint(const guint8 *blob, gsize len);

/* The key type a blob names ("ssh-ed25519"), or NULL if it is malformed. */
char *ssh_key_blob_type(const guint8 *blob, gsize len);

/* The name known_hosts files use: "host", or "[host]:port" off port 22. */
char *ssh_known_hosts_name(const char *host, guint16 port);

/**
 * ssh_known_hosts_lookup:
 * @files: NULL-terminated known_hosts files; missing ones count as empty
 * @host, @port: the server as the user named it
 * @blob, @len: the key the server offered
 * @result: (out): what the files say; a revoked key wins over a match,
 *          a match over a mismatch
 * @error: FERRY_ERROR_IO (unreadable file), FERRY_ERROR_CORRUPT (a file
 *         over SSH_KNOWN_HOSTS_MAX_BYTES)
 *
 * Malformed lines (bad base64, too long, unknown marker) are skipped with a
 * debug message; @cert-authority lines are ignored (no certificate support).
 */
gboolean ssh_known_hosts_lookup(const char *const *files, const char *host,
                                guint16 port, const guint8 *blob, gsize len,
                                SshKnownHostResult *result, GError **error);

/* The key types the files list for @host (to prefer them in the key
 * exchange, as OpenSSH does), NULL-terminated, possibly empty. */
char **ssh_known_hosts_key_types(const char *const *files, const char *host,
                                 guint16 port);

/* Appends "name keytype base64" (unhashed, as ssh-keyscan prints it) to
 * @file, creating it (0600) and its directory (0700) if needed. */
gboolean ssh_known_hosts_append(const char *file, const char *host,
                                guint16 port, const guint8 *blob, gsize len,
                                GError **error);

/**
 * ssh_host_key_verify:
 * @opts: host, port, policy, known_hosts_file, pinned_fingerprint
 * @name: the session's name for messages ("ssh://root@h:22")
 *
 * Applies the policy: a pinned fingerprint must be equal; otherwise a
 * known key passes, a revoked, changed or unknown one is refused with
 * FERRY_ERROR_AUTH (the message gives the offered key's fingerprint and,
 * for a change, the file and line), except that accept-new records an
 * unknown host's key.
 */
gboolean ssh_host_key_verify(const SshOptions *opts, const char *name,
                             const guint8 *blob, gsize len, GError **error);

/* The files @opts makes ssh_host_key_verify() read, NULL-terminated. */
char **ssh_known_hosts_files(const SshOptions *opts);

/* ---- sessions (ssh-session.c, ssh-auth.c) ------------------------------ */

typedef struct _SshSession SshSession;

/**
 * ssh_session_open:
 * @cancellable: (nullable): checked while waiting, for the whole life of
 *               the session (a job's cancellable); referenced
 *
 * Resolves, connects (within connect_timeout_ms), does the key exchange
 * and verifies the host key.  Does not log in: see
 * ssh_session_authenticate(), or ssh_session_connect() for both.
 */
SshSession *ssh_session_open(const SshOptions *opts, GCancellable *cancellable,
                             GError **error);

/* Logs in: agent, then identity files, then password, as @opts allows
 * and the server offers.  FERRY_ERROR_AUTH when nothing is accepted. */
gboolean ssh_session_authenticate(SshSession *s, const SshOptions *opts,
                                  GError **error);

/* ssh_session_open() then ssh_session_authenticate(). */
SshSession *ssh_session_connect(const SshOptions *opts,
                                GCancellable *cancellable, GError **error);

/* Disconnects (politely, if the connection still works) and frees. */
void ssh_session_free(SshSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SshSession, ssh_session_free)

/* "ssh://user@host:port" (IPv6 in brackets), for messages. */
const char *ssh_session_get_name(const SshSession *s);
/* The server's host key fingerprint, "SHA256:...". */
const char *ssh_session_get_host_key_fingerprint(const SshSession *s);

/* ---- remote commands (ssh-exec.c) -------------------------------------- */

/* Captured output beyond this is refused (stdout) or cut (stderr). */
#define SSH_EXEC_DEFAULT_MAX_OUTPUT (1024 * 1024)

/* @arg in single quotes for a POSIX shell, each ' written as '\''. */
char *ssh_quote_arg(const char *arg);
/* Every argument quoted and joined with spaces. */
char *ssh_command_line(const char *const *argv);

typedef struct {
    int exit_status;            /* -1 if the command died of a signal */
    char *exit_signal;          /* "KILL", or NULL */
    GBytes *out;                /* stdout, at most max_output bytes */
    GBytes *err;                /* stderr, cut at max_output bytes */
} SshExecResult;

void ssh_exec_result_free(SshExecResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SshExecResult, ssh_exec_result_free)

/**
 * ssh_exec:
 * @argv: the command and its arguments, each quoted for the remote shell
 * @max_output: 0 for SSH_EXEC_DEFAULT_MAX_OUTPUT
 *
 * Runs the command to its end, whatever its exit status.
 * Returns: the result, or NULL with FERRY_ERROR_NETWORK (session),
 * FERRY_ERROR_REMOTE (channel refused, stdout over @max_output).
 */
SshExecResult *ssh_exec(SshSession *s, const char *const *argv,
                        gsize max_output, GError **error);

/* Like ssh_exec() but a non-zero exit is FERRY_ERROR_REMOTE naming the
 * command and quoting its stderr's first line. */
SshExecResult *ssh_exec_check(SshSession *s, const char *const *argv,
                              gsize max_output, GError **error);

/* ---- SFTP (ssh-sftp.c) ------------------------------------------------- */

typedef struct _SshSftp SshSftp;

/* Starts the SFTP subsystem; @s must outlive the result. */
SshSftp *ssh_sftp_open(SshSession *s, GError **error);
void ssh_sftp_free(SshSftp *sftp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SshSftp, ssh_sftp_free)

/* Remote file size; FERRY_ERROR_NOT_FOUND when it does not exist. */
gboolean ssh_sftp_stat_size(SshSftp *sftp, const char *path, guint64 *size,
                            GError **error);
/* Bytes free for an unprivileged user in @path's filesystem
 * (statvfs@openssh.com); FERRY_ERROR_UNSUPPORTED without the extension. */
gboolean ssh_sftp_statvfs_free(SshSftp *sftp, const char *path,
                               guint64 *bytes_free, GError **error);
/* Renames, replacing @to if it exists (see ssh-sftp.c for how). */
gboolean ssh_sftp_rename(SshSftp *sftp, const char *from, const char *to,
                         GError **error);
gboolean ssh_sftp_unlink(SshSftp *sftp, const char *path, GError **error);
/* Sets the permission bits of @path to @mode (at most 0777). */
gboolean ssh_sftp_chmod(SshSftp *sftp, const char *path, guint mode,
                        GError **error);

/* The write size handed to libssh2 at a time, which is also the data in
 * flight: see ssh-sftp.c for the measurement behind it. */
#define SSH_SFTP_DEFAULT_BUFFER (2 * 1024 * 1024)
#define SSH_SFTP_MAX_BUFFER (64 * 1024 * 1024)

typedef struct _SshSftpWriter SshSftpWriter;

/* A bandwidth limit: the bytes sent since the first one may not run ahead
 * of @rate bytes per second (0: no limit). */
typedef struct {
    guint64 rate;
    gint64 start_us;            /* monotonic time of the first byte, or 0 */
    guint64 bytes;
} RateLimit;

void rate_limit_init(RateLimit *rl, guint64 bytes_per_second);
/* Waits until sending @len more bytes keeps within the limit; FALSE with
 * G_IO_ERROR_CANCELLED if @cancellable (may be NULL) fires meanwhile. */
gboolean rate_limit_wait(RateLimit *rl, gsize len, GCancellable *cancellable,
                         GError **error);
/* A sink layer that holds the bytes written through it to
 * @bytes_per_second (0: no limit) on their way to @next, which it takes;
 * holes are passed on at once.  A write fails with G_IO_ERROR_CANCELLED if
 * @cancellable (nullable, referenced) fires while it waits. */
ConvSink *rate_limit_sink_new(ConvSink *next, guint64 bytes_per_second,
                              GCancellable *cancellable);

/**
 * ssh_sftp_writer_open:
 * @path: the remote file to write, normally a temporary name
 * @final_path: (nullable): where commit renames it to
 * @resume_offset: 0 creates or truncates @path; otherwise @path must exist
 *                 with at least that many bytes, is cut to that size (so a
 *                 skipped hole reads as zeros) and writing continues there;
 *                 a failed open leaves it as it was
 *
 * The writer is a forward-only byte stream, the shape of a conv/ sink:
 * write, skip (a hole), commit (flush, set the size, fsync, rename), abort
 * (close, unlink).  Freeing a writer that was not committed aborts it.
 */
SshSftpWriter *ssh_sftp_writer_open(SshSftp *sftp, const char *path,
                                    const char *final_path,
                                    guint64 resume_offset, GError **error);
/* Bytes buffered before a libssh2 write (0: default), at most
 * SSH_SFTP_MAX_BUFFER. */
void ssh_sftp_writer_set_buffer_size(SshSftpWriter *w, gsize size);
/* Bandwidth limit in bytes per second, 0 for none. */
void ssh_sftp_writer_set_rate_limit(SshSftpWriter *w, guint64 bytes_per_second);
gboolean ssh_sftp_writer_write(SshSftpWriter *w, const void *buf, gsize len,
                               GError **error);
/* Moves forward @len bytes without writing: they read as zeros. */
gboolean ssh_sftp_writer_skip(SshSftpWriter *w, guint64 len, GError **error);
/* The stream position: bytes written plus bytes skipped (plus the resume
 * offset). */
guint64 ssh_sftp_writer_get_offset(const SshSftpWriter *w);
gboolean ssh_sftp_writer_commit(SshSftpWriter *w, GError **error);
/* Closes and removes the file; errors only reach the debug log. */
void ssh_sftp_writer_abort(SshSftpWriter *w);
void ssh_sftp_writer_free(SshSftpWriter *w);

/* A writer for positional writes into @path, which must exist (created by
 * another writer, on another session maybe): no truncation, and freeing it
 * closes the handle without removing the file. */
SshSftpWriter *ssh_sftp_writer_open_shared(SshSftp *sftp, const char *path,
                                           GError **error);
/* Writes @len bytes at @offset (shared writers only); when it returns the
 * server has acknowledged them all. */
gboolean ssh_sftp_writer_pwrite(SshSftpWriter *w, const void *buf, gsize len,
                                guint64 offset, GError **error);
/* Closes a shared writer's handle. */
gboolean ssh_sftp_writer_close(SshSftpWriter *w, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SshSftpWriter, ssh_sftp_writer_free)

/* ---- parallel SFTP streams (ssh-sftp-streams.c) ------------------------ */

/* What one worker writes at a time; a producer holds at most N + 1.  The
 * SFTP writer's buffer (SSH_SFTP_DEFAULT_BUFFER): a chunk is one
 * libssh2_sftp_write() pass, what a connection has in flight. */
#define SSH_SFTP_STREAMS_CHUNK (2 * 1024 * 1024)
#define SSH_SFTP_MAX_STREAMS 16

/* N streams: the caller's connection and N - 1 more, each made (with
 * @opts, whose strings must outlive the streams) by the first writer that
 * needs it and kept for the next. */
typedef struct _SshSftpStreams SshSftpStreams;
SshSftpStreams *ssh_sftp_streams_new(const SshOptions *opts, guint n);
void ssh_sftp_streams_free(SshSftpStreams *ss);
guint ssh_sftp_streams_get_n(const SshSftpStreams *ss);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SshSftpStreams, ssh_sftp_streams_free)

/**
 * ssh_sftp_streams_writer_open:
 * @control: the caller's SFTP session: creates @path (or cuts it at
 *           @resume_offset, as ssh_sftp_writer_open()), and at commit sets
 *           its size, fsyncs and closes it
 * @cancellable: (nullable): the caller's; a write fails once it fires
 *
 * A forward-only writer like SshSftpWriter whose chunks go out over the N
 * connections of @ss at their offsets, @control's being the first (the
 * caller leaves it alone until commit or abort).  The first failure of any of them
 * fails the next write, skip or commit.  Freeing it uncommitted cuts
 * @path to the prefix written in full (see ssh-sftp-streams.c), which is
 * never removed.
 */
typedef struct _SshSftpStreamsWriter SshSftpStreamsWriter;
SshSftpStreamsWriter *ssh_sftp_streams_writer_open(SshSftpStreams *ss,
                                                   SshSftp *control,
                                                   const char *path,
                                                   guint64 resume_offset,
                                                   GCancellable *cancellable,
                                                   GError **error);
gboolean ssh_sftp_streams_writer_write(SshSftpStreamsWriter *w,
                                       const void *buf, gsize len,
                                       GError **error);
gboolean ssh_sftp_streams_writer_skip(SshSftpStreamsWriter *w, guint64 len,
                                      GError **error);
guint64 ssh_sftp_streams_writer_get_offset(const SshSftpStreamsWriter *w);
gboolean ssh_sftp_streams_writer_commit(SshSftpStreamsWriter *w,
                                        GError **error);
/* Stops the workers and cuts @path at the prefix written in full (if the
 * control connection still works); returns that prefix's length, no more
 * than a resume may keep.  A committed writer: its length. */
guint64 ssh_sftp_streams_writer_abort(SshSftpStreamsWriter *w);
void ssh_sftp_streams_writer_free(SshSftpStreamsWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SshSftpStreamsWriter,
                              ssh_sftp_streams_writer_free)

/* ---- HTTP client (transport/http.c) -------------------------------------
 * One libcurl easy handle per HttpClient, used by one thread at a time.
 * TLS peers are always verified (the system store, or HttpClientOptions
 * .ca_file, which AWS tools take from AWS_CA_BUNDLE).  Requests that fail
 * to connect, or are answered 429, 500, 502, 503 or 504, are sent again
 * after a doubling wait (or the server's Retry-After, capped), up to
 * max_retries times.  Response bodies are capped (HTTP_MAX_BODY): a bigger
 * one is refused, never buffered.  Messages name the URL through
 * http_redact_url() only: no query string (it may hold a signature), no
 * user information. */

/* The largest response body kept in memory (S3/EC2/IAM answers are a few
 * KiB; 16 MiB leaves room for long listings). */
#define HTTP_MAX_BODY (16 * 1024 * 1024)
#define HTTP_MAX_HEADERS_BYTES (64 * 1024)
#define HTTP_DEFAULT_RETRIES 4
#define HTTP_DEFAULT_BACKOFF_MS 500
/* The longest wait honoured from a Retry-After header. */
#define HTTP_MAX_RETRY_AFTER_S 60
#define HTTP_DEFAULT_CONNECT_TIMEOUT_S 15
/* A transfer slower than 1 byte/s for this long is dropped. */
#define HTTP_DEFAULT_STALL_S 60

typedef struct _HttpClient HttpClient;

typedef struct {
    const char *ca_file;          /* PEM bundle, or NULL for the system's */
    guint max_retries;            /* G_MAXUINT: none; 0: the default */
    guint backoff_ms;             /* first wait; 0: the default */
    guint connect_timeout_s;      /* 0: the default */
    GCancellable *cancellable;    /* checked while waiting and sending */
} HttpClientOptions;

/* Reads up to @len bytes of a streamed request body into @buf; returns the
 * count (0 at the end) or -1 with @error set.  @rewind (called before a
 * retry) starts the body again. */
typedef gssize (*HttpReadFunc)(void *buf, gsize len, gpointer data,
                               GError **error);
typedef gboolean (*HttpRewindFunc)(gpointer data, GError **error);

typedef struct {
    const char *method;           /* "GET", "PUT", "POST", "DELETE", "HEAD" */
    const char *url;
    const char *const *headers;   /* "Name: value", NULL-terminated, or NULL */
    const void *body;             /* in memory, or NULL */
    gsize body_len;
    HttpReadFunc read;            /* or streamed (then body is NULL) */
    HttpRewindFunc rewind;
    gpointer read_data;
    guint64 read_len;             /* the streamed body's length */
} HttpRequest;

typedef struct {
    long status;
    GHashTable *headers;          /* lowercase name -> last value */
    GByteArray *body;
    guint attempts;               /* how many times it was sent */
} HttpResponse;

void http_response_clear(HttpResponse *resp);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HttpResponse, http_response_clear)
/* A header of the response (lowercase @name), or NULL. */
const char *http_response_header(const HttpResponse *resp, const char *name);

/* Fails with FERRY_ERROR_INVALID if @opts->ca_file is not readable. */
HttpClient *http_client_new(const HttpClientOptions *opts, GError **error);
void http_client_free(HttpClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HttpClient, http_client_free)

/**
 * http_client_send:
 * @resp: (out caller-allocates): zeroed; filled in whenever TRUE is
 *        returned, whatever the status (the caller reads its error body)
 *
 * Sends @req, retrying as the header above says.  Returns FALSE with
 * FERRY_ERROR_NETWORK (resolve, connect, TLS, timeout, dropped after the
 * last retry), FERRY_ERROR_AUTH (TLS certificate not trusted),
 * FERRY_ERROR_REMOTE (a body over HTTP_MAX_BODY), G_IO_ERROR_CANCELLED;
 * each message names the redacted URL.
 */
gboolean http_client_send(HttpClient *c, const HttpRequest *req,
                          HttpResponse *resp, GError **error);

/* Whether a status is worth sending again (429, 500, 502, 503, 504). */
gboolean http_status_is_retryable(long status);

/* Seconds to wait from a Retry-After value (delta-seconds or an HTTP
 * date), capped at HTTP_MAX_RETRY_AFTER_S; -1 when absent or malformed. */
gint64 http_parse_retry_after(const char *value, gint64 now_unix);

/* "scheme://host[:port]/path": the user information and query string
 * dropped ("?..." left as a mark), control bytes as '?'.  Owned. */
char *http_redact_url(const char *url);
/* ---- the `ferry receive` protocol (receive-proto.c) -------------------- */

/* docs/receive-protocol.md is the specification; a frame is a 24-byte
 * header (big-endian) and its payload.  Each side checks every header
 * against these limits before it reads or allocates the payload. */
#define RECEIVE_PROTOCOL_VERSION 1
#define RECEIVE_HELLO_MAGIC "ferry-receive"
#define RECEIVE_FRAME_HEADER 24
/* Bytes of a file one DATA frame carries, once inflated. */
#define RECEIVE_MAX_DATA (4 * 1024 * 1024)
/* A DATA frame's payload: deflate can grow incompressible data by a few
 * bytes per 64 KiB block (RFC 1951 stored blocks); 64 KiB covers it. */
#define RECEIVE_MAX_PAYLOAD (RECEIVE_MAX_DATA + 64 * 1024)
/* An ERROR frame's message. */
#define RECEIVE_MAX_MESSAGE 1024

typedef enum {
    RECEIVE_FRAME_HELLO = 1,    /* receiver: offset = protocol version */
    RECEIVE_FRAME_READY = 2,    /* receiver: offset = verified resume offset */
    RECEIVE_FRAME_DATA = 3,     /* sender: bytes [offset, offset + length) */
    RECEIVE_FRAME_HOLE = 4,     /* sender: zeros [offset, offset + length) */
    RECEIVE_FRAME_END = 5,      /* sender: offset = the file's size */
    RECEIVE_FRAME_RESULT = 6,   /* receiver: offset = size, payload = sha256 */
    RECEIVE_FRAME_ERROR = 7,    /* receiver: offset = FerryError, message */
    RECEIVE_FRAME_LAST
} ReceiveFrameType;

/* DATA only: the payload is raw deflate (RFC 1951) of the length bytes. */
#define RECEIVE_FLAG_DEFLATE 0x01

typedef struct {
    guint8 type;                /* ReceiveFrameType */
    guint8 flags;
    guint32 payload;            /* bytes after the header */
    guint64 offset;
    guint64 length;
} ReceiveFrame;

void receive_frame_encode(const ReceiveFrame *f,
                          guint8 out[RECEIVE_FRAME_HEADER]);
/* Decodes and checks a header against the rules of its type (payload and
 * length bounds, flags, offset + length without wrap-around);
 * FERRY_ERROR_CORRUPT naming the field otherwise. */
gboolean receive_frame_decode(const guint8 in[RECEIVE_FRAME_HEADER],
                              ReceiveFrame *f, GError **error);
const char *receive_frame_type_name(guint8 type);

/* ---- the sender of `ferry receive` (ssh-receive.c) --------------------- */

/* The window this end advertises on a receive channel (RFC 4254 5.2), and
 * the largest packet it takes: see ssh-receive.c. */
#define SSH_RECEIVE_WINDOW (16 * 1024 * 1024)
#define SSH_RECEIVE_PACKET (32 * 1024)

/**
 * ssh_receive_probe:
 * @remote_ferry: the target's ferry, a command the remote shell finds
 *
 * Runs `REMOTE_FERRY receive --hello`.  FALSE with FERRY_ERROR_NOT_FOUND
 * when it fails without a greeting (no such command, or a ferry without
 * `receive`), FERRY_ERROR_UNSUPPORTED naming both versions when it greets
 * with another protocol version, FERRY_ERROR_REMOTE when what it prints is
 * no greeting.
 */
gboolean ssh_receive_probe(SshSession *s, const char *remote_ferry,
                           GError **error);

typedef struct _SshReceiver SshReceiver;

/**
 * ssh_receiver_open:
 * @name: the file in @pool, "<file>.part"
 * @resume: (inout): 0 creates the file afresh; else the offset the sender
 *     would continue at, which the receiver may lower: on return, the
 *     offset it verified and continues at
 *
 * Runs `REMOTE_FERRY receive POOL NAME` on an exec channel of @s (which
 * must outlive the receiver) and waits for its greeting and READY.  The
 * receiver is a forward-only byte stream like SshSftpWriter.
 */
SshReceiver *ssh_receiver_open(SshSession *s, const char *remote_ferry,
                               const char *pool, const char *name,
                               guint64 *resume, GError **error);
/* Deflate level (0: none, 1-12: libdeflate's) for DATA frames, compressed
 * by @threads worker threads (0: one per CPU, at most 4). */
void ssh_receiver_set_compression(SshReceiver *r, int level, guint threads);
gboolean ssh_receiver_write(SshReceiver *r, const void *buf, gsize len,
                            GError **error);
gboolean ssh_receiver_skip(SshReceiver *r, guint64 len, GError **error);
/* Sends END and waits for RESULT: the file is fsynced on the target and
 * @sha256 is its hash as the receiver wrote it. */
gboolean ssh_receiver_finish(SshReceiver *r, char sha256[65], GError **error);
/* Bytes handed to the SSH channel, headers included. */
guint64 ssh_receiver_get_wire_bytes(const SshReceiver *r);
/* Closes the channel; unless finished, the receiver keeps what it wrote
 * (a prefix of the stream). */
void ssh_receiver_free(SshReceiver *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SshReceiver, ssh_receiver_free)

G_END_DECLS
