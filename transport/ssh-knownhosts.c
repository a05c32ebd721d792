/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ssh-knownhosts.c: host keys checked against OpenSSH known_hosts files, or
 * against a pinned "SHA256:..." fingerprint.
 *
 * Format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), one entry a line:
 *   [@revoked|@cert-authority] hostnames keytype base64-key [comment]
 * hostnames is either a comma-separated list of patterns ("*" and "?"
 * wildcards, "!" negates, "[host]:port" off port 22) or one hashed name
 * "|1|base64(salt)|base64(HMAC-SHA1(salt, name))" with a 20-byte salt.
 * '#' starts a comment line; blank lines are skipped.  The key blob (RFC
 * 4253 section 6.6) starts with its own type string, which must equal the
 * keytype field.
 *
 * The file is hostile input: it is refused past SSH_KNOWN_HOSTS_MAX_BYTES;
 * a line past SSH_KNOWN_HOSTS_MAX_LINE, with a NUL byte, bad base64, an
 * unknown marker or a key blob that contradicts its keytype is skipped with
 * a debug line.  @cert-authority lines are ignored: ferry does not accept
 * host certificates.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "transport/ssh-priv.h"

#define SSH_HASHED_MAGIC "|1|"
#define SSH_HASHED_SALT_LEN 20      /* SHA-1 output size, as OpenSSH uses */

void
ssh_known_host_result_clear(SshKnownHostResult *result)
{
    g_clear_pointer(&result->file, g_free);
    result->line = 0;
    result->status = SSH_KNOWN_HOST_UNKNOWN;
}

char *
ssh_key_fingerprint(const guint8 *blob, gsize len)
{
    guint8 digest[32];
    gsize digest_len = sizeof(digest);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree char *b64 = NULL;
    gsize n;

    g_checksum_update(sum, blob, len);
    g_checksum_get_digest(sum, digest, &digest_len);
    b64 = g_base64_encode(digest, digest_len);
    /* ssh prints the base64 without its '=' padding. */
    n = strlen(b64);
    while (n > 0 && b64[n - 1] == '=')
        b64[--n] = '\0';
    return g_strdup_printf("SHA256:%s", b64);
}

static guint32
ssh_get_u32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) |
           ((guint32)p[2] << 8) | p[3];
}

char *
ssh_key_blob_type(const guint8 *blob, gsize len)
{
    gsize pos = 0, i;
    guint32 n;

    /* RFC 4253 6.6: the plain public key types (ssh-ed25519, ecdsa-sha2-*,
     * ssh-rsa) are a sequence of strings (uint32 length, bytes), the key
     * type first.  The whole blob must parse as such, so a truncated key
     * is refused here rather than reported as a changed key. */
    while (pos < len) {
        if (len - pos < 4)
            return NULL;
        n = ssh_get_u32(blob + pos);
        if (n > len - pos - 4)
            return NULL;
        pos += 4 + (gsize)n;
    }
    if (len < 4)
        return NULL;
    n = ssh_get_u32(blob);
    if (n == 0 || n > 64)
        return NULL;
    for (i = 0; i < n; i++) {
        if (!g_ascii_isgraph(blob[4 + i]))
            return NULL;
    }
    return g_strndup((const char *)blob + 4, n);
}

char *
ssh_known_hosts_name(const char *host, guint16 port)
{
    g_autofree char *lower = g_ascii_strdown(host, -1);

    if (port == 0 || port == SSH_DEFAULT_PORT)
        return g_steal_pointer(&lower);
    return g_strdup_printf("[%s]:%u", lower, port);
}

guint8 *
ssh_base64_decode_strict(const char *text, gsize text_len, gsize *out_len)
{
    g_autofree char *copy = NULL;
    gsize i, pad = 0;

    if (text_len == 0 || text_len % 4 != 0)
        return NULL;
    for (i = 0; i < text_len; i++) {
        char c = text[i];

        if (c == '=') {
            pad++;
            continue;
        }
        if (pad > 0)                    /* data after padding */
            return NULL;
        if (!g_ascii_isalnum(c) && c != '+' && c != '/')
            return NULL;
    }
    if (pad > 2)
        return NULL;
    copy = g_strndup(text, text_len);
    return g_base64_decode(copy, out_len);
}

/* ---- reading a file ----------------------------------------------------- */

/* Reads @path whole, at most SSH_KNOWN_HOSTS_MAX_BYTES.  A missing file is
 * empty (*contents NULL). */
static gboolean
ssh_known_hosts_read(const char *path, char **contents, gsize *length,
                     GError **error)
{
    g_autofree char *buf = NULL;
    struct stat st;
    gsize have = 0;
    int fd;

    *contents = NULL;
    *length = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return TRUE;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "open: %s: %s",
                    path, g_strerror(errno));
        return FALSE;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s: known_hosts is not a regular file", path);
        close(fd);
        return FALSE;
    }
    if (st.st_size > SSH_KNOWN_HOSTS_MAX_BYTES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: known_hosts size %lld bytes is over the limit of %d",
                    path, (long long)st.st_size, SSH_KNOWN_HOSTS_MAX_BYTES);
        close(fd);
        return FALSE;
    }
    /* What fstat() saw and no more: a line appended meanwhile by another
     * process is simply not read this time. */
    buf = g_malloc((gsize)st.st_size + 1);
    while (have < (gsize)st.st_size) {
        ssize_t n = read(fd, buf + have, (gsize)st.st_size - have);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "read: %s: %s",
                        path, g_strerror(errno));
            close(fd);
            return FALSE;
        }
        if (n == 0)
            break;
        have += n;
    }
    close(fd);
    *contents = g_steal_pointer(&buf);
    *length = have;
    return TRUE;
}

/* ---- matching one line -------------------------------------------------- */

typedef enum {
    SSH_LINE_PLAIN,
    SSH_LINE_REVOKED,
} SshLineMarker;

typedef struct {
    SshLineMarker marker;
    char *type;                    /* keytype field */
    guint8 *blob;
    gsize blob_len;
} SshKnownHostLine;

static void
ssh_known_host_line_clear(SshKnownHostLine *l)
{
    g_free(l->type);
    g_free(l->blob);
    memset(l, 0, sizeof(*l));
}

static gboolean
ssh_hashed_name_matches(const char *field, const char *name)
{
    const char *salt_b64 = field + strlen(SSH_HASHED_MAGIC);
    const char *bar = strchr(salt_b64, '|');
    g_autofree guint8 *salt = NULL;
    g_autofree guint8 *hash = NULL;
    gsize salt_len = 0, hash_len = 0;
    guint8 mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;

    if (!bar)
        return FALSE;
    salt = ssh_base64_decode_strict(salt_b64, bar - salt_b64, &salt_len);
    hash = ssh_base64_decode_strict(bar + 1, strlen(bar + 1), &hash_len);
    if (!salt || !hash || salt_len != SSH_HASHED_SALT_LEN || hash_len != 20) {
        g_debug("known_hosts: hashed name '%s' is malformed", field);
        return FALSE;
    }
    if (!HMAC(EVP_sha1(), salt, (int)salt_len, (const guint8 *)name,
              strlen(name), mac, &mac_len) || mac_len != hash_len)
        return FALSE;
    return CRYPTO_memcmp(mac, hash, hash_len) == 0;
}

/* OpenSSH's match_pattern(): '*' and '?' over bytes.  Not
 * g_pattern_match_simple(), which asserts that its pattern is valid UTF-8:
 * a known_hosts line is not (fuzz-known-hosts found the crash).  The
 * single-star backtrack keeps it linear in practice and never recursive. */
static gboolean
ssh_glob_match(const char *pattern, const char *s)
{
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (*pattern == '*') {
            star = pattern++;
            resume = s;
        } else if (*pattern == '?' || *pattern == *s) {
            pattern++;
            s++;
        } else if (star) {
            pattern = star + 1;
            s = ++resume;
        } else {
            return FALSE;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

/* OpenSSH's match_hostname(): any positive pattern matching and no negated
 * one; comparison without regard to case. */
static gboolean
ssh_patterns_match(const char *field, const char *name)
{
    g_auto(GStrv) patterns = g_strsplit(field, ",", -1);
    gboolean positive = FALSE;
    gsize i;

    for (i = 0; patterns[i]; i++) {
        const char *p = patterns[i];
        gboolean negate = FALSE;
        g_autofree char *lower = NULL;

        if (*p == '!') {
            negate = TRUE;
            p++;
        }
        if (*p == '\0')
            continue;
        lower = g_ascii_strdown(p, -1);
        if (ssh_glob_match(lower, name)) {
            if (negate)
                return FALSE;
            positive = TRUE;
        }
    }
    return positive;
}

/* Splits off the next blank-separated field of *cursor. */
static char *
ssh_next_field(char **cursor)
{
    char *p = *cursor;
    char *start;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return NULL;
    start = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p)
        *p++ = '\0';
    *cursor = p;
    return start;
}

/* Parses @text (NUL-terminated, one line) into @out if it names @name.
 * Returns FALSE for lines that do not apply, with a debug line for the
 * malformed ones. */
static gboolean
ssh_known_host_line_parse(char *text, const char *name, const char *path,
                          guint lineno, SshKnownHostLine *out)
{
    char *cursor = text;
    char *field = ssh_next_field(&cursor);
    char *hosts, *type, *b64;
    gboolean matches;

    if (!field || *field == '#')
        return FALSE;
    out->marker = SSH_LINE_PLAIN;
    if (*field == '@') {
        if (g_str_equal(field, "@revoked")) {
            out->marker = SSH_LINE_REVOKED;
        } else if (g_str_equal(field, "@cert-authority")) {
            g_debug("%s:%u: @cert-authority line ignored (host certificates "
                    "are not supported)", path, lineno);
            return FALSE;
        } else {
            g_debug("%s:%u: unknown marker, line skipped", path, lineno);
            return FALSE;
        }
        field = ssh_next_field(&cursor);
    }
    hosts = field;
    type = ssh_next_field(&cursor);
    b64 = ssh_next_field(&cursor);
    if (!hosts || !type || !b64) {
        g_debug("%s:%u: fewer than three fields, line skipped", path, lineno);
        return FALSE;
    }
    if (g_str_has_prefix(hosts, SSH_HASHED_MAGIC))
        matches = ssh_hashed_name_matches(hosts, name);
    else
        matches = ssh_patterns_match(hosts, name);
    if (!matches)
        return FALSE;

    out->blob = ssh_base64_decode_strict(b64, strlen(b64), &out->blob_len);
    if (!out->blob || out->blob_len > SSH_MAX_KEY_BLOB) {
        g_debug("%s:%u: key is not valid base64, line skipped", path, lineno);
        ssh_known_host_line_clear(out);
        return FALSE;
    }
    out->type = ssh_key_blob_type(out->blob, out->blob_len);
    if (!out->type || !g_str_equal(out->type, type)) {
        g_debug("%s:%u: key blob does not hold a '%s' key, line skipped",
                path, lineno, type);
        ssh_known_host_line_clear(out);
        return FALSE;
    }
    return TRUE;
}

/* Calls @fn for every well-formed line of @path that names @name. */
typedef void (*SshKnownHostLineFunc)(const char *path, guint lineno,
                                     const SshKnownHostLine *line,
                                     gpointer opaque);

static gboolean
ssh_known_hosts_foreach(const char *path, const char *name,
                        SshKnownHostLineFunc fn, gpointer opaque,
                        GError **error)
{
    g_autofree char *contents = NULL;
    gsize length = 0, pos = 0;
    guint lineno = 0;

    if (!ssh_known_hosts_read(path, &contents, &length, error))
        return FALSE;
    while (pos < length) {
        const char *start = contents + pos;
        const char *nl = memchr(start, '\n', length - pos);
        gsize len = nl ? (gsize)(nl - start) : length - pos;
        g_autofree char *text = NULL;
        SshKnownHostLine line = { 0 };

        pos += len + (nl ? 1 : 0);
        lineno++;
        if (len > SSH_KNOWN_HOSTS_MAX_LINE) {
            g_debug("%s:%u: line longer than %d bytes, skipped", path, lineno,
                    SSH_KNOWN_HOSTS_MAX_LINE);
            continue;
        }
        if (memchr(start, '\0', len)) {
            g_debug("%s:%u: NUL byte in line, skipped", path, lineno);
            continue;
        }
        text = g_strndup(start, len);
        if (len > 0 && text[len - 1] == '\r')
            text[len - 1] = '\0';
        if (!ssh_known_host_line_parse(text, name, path, lineno, &line))
            continue;
        fn(path, lineno, &line, opaque);
        ssh_known_host_line_clear(&line);
    }
    return TRUE;
}

/* ---- lookup ------------------------------------------------------------- */

typedef struct {
    const guint8 *blob;
    gsize len;
    const char *type;
    SshKnownHostResult *result;
} SshLookup;

/* Order of precedence: revoked > match > mismatch > other type > unknown;
 * the first line of a given rank is the one reported. */
static int
ssh_known_host_rank(SshKnownHostStatus status)
{
    switch (status) {
    case SSH_KNOWN_HOST_REVOKED: return 4;
    case SSH_KNOWN_HOST_MATCH: return 3;
    case SSH_KNOWN_HOST_MISMATCH: return 2;
    case SSH_KNOWN_HOST_OTHER_TYPE: return 1;
    case SSH_KNOWN_HOST_UNKNOWN: return 0;
    }
    return 0;
}

static void
ssh_lookup_line(const char *path, guint lineno, const SshKnownHostLine *line,
                gpointer opaque)
{
    SshLookup *lk = opaque;
    gboolean same_key = line->blob_len == lk->len &&
                        memcmp(line->blob, lk->blob, lk->len) == 0;
    SshKnownHostStatus status;

    if (line->marker == SSH_LINE_REVOKED) {
        if (!same_key)
            return;
        status = SSH_KNOWN_HOST_REVOKED;
    } else if (same_key) {
        status = SSH_KNOWN_HOST_MATCH;
    } else if (g_str_equal(line->type, lk->type)) {
        status = SSH_KNOWN_HOST_MISMATCH;
    } else {
        status = SSH_KNOWN_HOST_OTHER_TYPE;
    }
    if (ssh_known_host_rank(status) <= ssh_known_host_rank(lk->result->status))
        return;
    g_free(lk->result->file);
    lk->result->file = g_strdup(path);
    lk->result->line = lineno;
    lk->result->status = status;
}

gboolean
ssh_known_hosts_lookup(const char *const *files, const char *host,
                       guint16 port, const guint8 *blob, gsize len,
                       SshKnownHostResult *result, GError **error)
{
    g_autofree char *name = ssh_known_hosts_name(host, port);
    g_autofree char *type = ssh_key_blob_type(blob, len);
    SshLookup lk = { blob, len, type, result };
    gsize i;

    memset(result, 0, sizeof(*result));
    result->status = SSH_KNOWN_HOST_UNKNOWN;
    if (!type) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: the server's host key blob names no key type", name);
        return FALSE;
    }
    for (i = 0; files && files[i]; i++) {
        if (!ssh_known_hosts_foreach(files[i], name, ssh_lookup_line, &lk,
                                     error)) {
            ssh_known_host_result_clear(result);
            return FALSE;
        }
    }
    return TRUE;
}

static void
ssh_types_line(const char *path, guint lineno, const SshKnownHostLine *line,
               gpointer opaque)
{
    GPtrArray *types = opaque;
    guint i;

    if (line->marker != SSH_LINE_PLAIN)
        return;
    for (i = 0; i < types->len; i++) {
        if (g_str_equal(types->pdata[i], line->type))
            return;
    }
    g_ptr_array_add(types, g_strdup(line->type));
}

char **
ssh_known_hosts_key_types(const char *const *files, const char *host,
                          guint16 port)
{
    g_autofree char *name = ssh_known_hosts_name(host, port);
    GPtrArray *types = g_ptr_array_new();
    gsize i;

    for (i = 0; files && files[i]; i++) {
        g_autoptr(GError) error = NULL;

        if (!ssh_known_hosts_foreach(files[i], name, ssh_types_line, types,
                                     &error))
            g_debug("%s", error->message);
    }
    g_ptr_array_add(types, NULL);
    return (char **)g_ptr_array_free(types, FALSE);
}

/* ---- recording ---------------------------------------------------------- */

/* Host names go into a line of the file: refuse what would break it. */
static gboolean
ssh_host_name_is_safe(const char *host)
{
    const char *p;

    if (!*host)
        return FALSE;
    for (p = host; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr(".-_:%", *p))
            return FALSE;
    }
    return TRUE;
}

gboolean
ssh_known_hosts_append(const char *file, const char *host, guint16 port,
                       const guint8 *blob, gsize len, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(file);
    g_autofree char *name = NULL;
    g_autofree char *type = ssh_key_blob_type(blob, len);
    g_autofree char *b64 = NULL;
    g_autofree char *line = NULL;
    struct stat st;
    gsize off = 0, total;
    int fd;

    if (!ssh_host_name_is_safe(host)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "host '%s': not recorded in %s: invalid character", host,
                    file);
        return FALSE;
    }
    if (!type) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "host '%s': the server's host key blob names no key type",
                    host);
        return FALSE;
    }
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "mkdir: %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    name = ssh_known_hosts_name(host, port);
    b64 = g_base64_encode(blob, len);
    fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "open: %s: %s", file,
                    g_strerror(errno));
        return FALSE;
    }
    /* A file without a final newline gets one first, or the new entry
     * would be glued to the last line. */
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        char last = '\n';

        if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
            line = g_strdup_printf("\n%s %s %s\n", name, type, b64);
    }
    if (!line)
        line = g_strdup_printf("%s %s %s\n", name, type, b64);
    total = strlen(line);
    while (off < total) {
        ssize_t n = write(fd, line + off, total - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "write: %s: %s",
                        file, g_strerror(errno));
            close(fd);
            return FALSE;
        }
        off += n;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "fsync: %s: %s", file,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* ---- policy ------------------------------------------------------------- */

char **
ssh_known_hosts_files(const SshOptions *opts)
{
    GPtrArray *files = g_ptr_array_new();

    if (opts->known_hosts_file) {
        g_ptr_array_add(files, g_strdup(opts->known_hosts_file));
    } else {
        g_ptr_array_add(files, g_build_filename(g_get_home_dir(), ".ssh",
                                                "known_hosts", NULL));
        g_ptr_array_add(files, g_strdup("/etc/ssh/ssh_known_hosts"));
    }
    g_ptr_array_add(files, NULL);
    return (char **)g_ptr_array_free(files, FALSE);
}

/* "SHA256:abc=" and "SHA256:abc" are the same fingerprint. */
static gboolean
ssh_fingerprint_equal(const char *pinned, const char *actual)
{
    gsize n = strlen(pinned);

    while (n > 0 && pinned[n - 1] == '=')
        n--;
    return strlen(actual) == n && strncmp(pinned, actual, n) == 0;
}

gboolean
ssh_host_key_verify(const SshOptions *opts, const char *name,
                    const guint8 *blob, gsize len, GError **error)
{
    g_autofree char *fp = ssh_key_fingerprint(blob, len);
    g_autofree char *type = ssh_key_blob_type(blob, len);
    g_auto(GStrv) files = NULL;
    g_autofree char *searched = NULL;
    SshKnownHostResult result = { 0 };
    guint16 port = opts->port ? opts->port : SSH_DEFAULT_PORT;
    gboolean ok = FALSE;

    if (!type) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: the server's host key blob names no key type", name);
        return FALSE;
    }
    if (opts->pinned_fingerprint) {
        if (!g_str_has_prefix(opts->pinned_fingerprint, "SHA256:")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: pinned fingerprint '%s' does not start with "
                        "'SHA256:'", name, opts->pinned_fingerprint);
            return FALSE;
        }
        if (!ssh_fingerprint_equal(opts->pinned_fingerprint, fp)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                        "%s: host key %s %s does not match the pinned "
                        "fingerprint %s", name, type, fp,
                        opts->pinned_fingerprint);
            return FALSE;
        }
        g_debug("%s: host key %s matches the pinned fingerprint", name, fp);
        return TRUE;
    }

    files = ssh_known_hosts_files(opts);
    searched = g_strjoinv(", ", files);
    if (!ssh_known_hosts_lookup((const char *const *)files, opts->host, port,
                                blob, len, &result, error)) {
        g_prefix_error(error, "%s: ", name);
        return FALSE;
    }
    switch (result.status) {
    case SSH_KNOWN_HOST_MATCH:
        g_debug("%s: host key %s %s matches %s line %u", name, type, fp,
                result.file, result.line);
        ok = TRUE;
        break;
    case SSH_KNOWN_HOST_REVOKED:
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: host key %s %s is revoked by %s line %u", name, type,
                    fp, result.file, result.line);
        break;
    case SSH_KNOWN_HOST_MISMATCH:
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: host key does not match %s line %u: the server "
                    "offered %s %s", name, result.file, result.line, type, fp);
        break;
    case SSH_KNOWN_HOST_OTHER_TYPE:
        /* Refused under accept-new too: an attacker could otherwise pick a
         * key type the user has not recorded yet. */
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                    "%s: host key type %s is not in known_hosts, but %s line "
                    "%u has another type for this host: the server offered %s",
                    name, type, result.file, result.line, fp);
        break;
    case SSH_KNOWN_HOST_UNKNOWN:
        if (opts->host_key_policy != SSH_HOST_KEY_ACCEPT_NEW) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                        "%s: host is not in known_hosts (%s): the server "
                        "offered %s %s", name, searched, type, fp);
            break;
        }
        if (!ssh_known_hosts_append(files[0], opts->host, port, blob, len,
                                    error)) {
            g_prefix_error(error, "%s: accept-new: ", name);
            break;
        }
        g_info("%s: host key %s %s recorded in %s", name, type, fp, files[0]);
        ok = TRUE;
        break;
    }
    ssh_known_host_result_clear(&result);
    return ok;
}
