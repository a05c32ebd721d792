/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * state-config.c: /etc/ferry/ferry.conf, the agent's settings, a GKeyFile
 * (data/ferry.conf.example documents every key):
 *
 *   [agent]  concurrency (1..64), group, state-dir, connect (libvirt URI),
 *            pools (absolute directories, ';'-separated), allow-test-driver
 *   [export] format, known-hosts, bandwidth-limit (bytes/s, 0 = none),
 *            identity, password-file, file-mode, file-group, streams
 *            (SFTP connections per ssh:// disk, 1..TARGET_MAX_STREAMS)
 *   [inspect] targets: the readiness rules `ferry list --inspect` checks
 *            (';'-separated names of data/rules/<target>.conf)
 *
 * Unknown groups and keys are ignored so that a newer file works with an
 * older agent; a known key with a bad value is an error naming the file,
 * the group and the key.  The file is read with a size cap.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "inspect/rules.h"
#include "providers/providers.h"

AgentConfig *
agent_config_new_default(void)
{
    AgentConfig *config = g_new0(AgentConfig, 1);

    config->concurrency = 2;
    config->group = g_strdup("ferry");
    config->format = g_strdup("qcow2");
    return config;
}

void
agent_config_free(AgentConfig *config)
{
    if (!config)
        return;
    g_free(config->group);
    g_free(config->state_dir);
    g_free(config->format);
    g_free(config->known_hosts);
    g_free(config->connect);
    g_free(config->identity);
    g_free(config->password_file);
    g_strfreev(config->pools);
    g_free(config->file_group);
    g_strfreev(config->inspect_targets);
    g_free(config);
}

static gboolean
agent_config_string(GKeyFile *kf, const char *path, const char *group,
                    const char *key, char **value, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *s = g_key_file_get_string(kf, group, key, &local);

    if (!s) {
        if (g_error_matches(local, G_KEY_FILE_ERROR,
                            G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
            g_error_matches(local, G_KEY_FILE_ERROR,
                            G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
            return TRUE;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID, "%s: [%s] %s: %s",
                    path, group, key, local->message);
        return FALSE;
    }
    if (*s == '\0') {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: [%s] %s: empty value", path, group, key);
        return FALSE;
    }
    g_free(*value);
    *value = g_steal_pointer(&s);
    return TRUE;
}

/* A number in @base (10, or 8 for a file mode as chmod takes it). */
static gboolean
agent_config_uint(GKeyFile *kf, const char *path, const char *group,
                  const char *key, guint base, guint64 min, guint64 max,
                  guint64 *value, GError **error)
{
    g_autofree char *s = NULL;
    guint64 n;

    if (!agent_config_string(kf, path, group, key, &s, error))
        return FALSE;
    if (!s)
        return TRUE;
    if (!g_ascii_string_to_unsigned(g_strstrip(s), base, min, max, &n, NULL)) {
        if (base == 8)
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: [%s] %s: '%s' is not an octal number within "
                        "0%" G_GINT64_MODIFIER "o..0%" G_GINT64_MODIFIER "o",
                        path, group, key, s, min, max);
        else
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: [%s] %s: '%s' is not a number within "
                        "%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
                        path, group, key, s, min, max);
        return FALSE;
    }
    *value = n;
    return TRUE;
}

static gboolean
agent_config_bool(GKeyFile *kf, const char *path, const char *group,
                  const char *key, gboolean *value, GError **error)
{
    g_autofree char *s = NULL;

    if (!agent_config_string(kf, path, group, key, &s, error))
        return FALSE;
    if (!s)
        return TRUE;
    g_strstrip(s);
    if (g_str_equal(s, "true")) {
        *value = TRUE;
    } else if (g_str_equal(s, "false")) {
        *value = FALSE;
    } else {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: [%s] %s: '%s' is not true or false", path, group, key,
                    s);
        return FALSE;
    }
    return TRUE;
}

/* Absolute directories, ';'-separated (a GKeyFile list); each is checked
 * as text a path may be: no control characters. */
static gboolean
agent_config_paths(GKeyFile *kf, const char *path, const char *group,
                   const char *key, char ***value, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) list =
        g_key_file_get_string_list(kf, group, key, NULL, &local);
    guint i;

    if (!list) {
        if (g_error_matches(local, G_KEY_FILE_ERROR,
                            G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
            g_error_matches(local, G_KEY_FILE_ERROR,
                            G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
            return TRUE;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID, "%s: [%s] %s: %s",
                    path, group, key, local->message);
        return FALSE;
    }
    for (i = 0; list[i]; i++) {
        g_autofree char *what =
            g_strdup_printf("%s: [%s] %s", path, group, key);

        g_strstrip(list[i]);
        if (!ferry_check_text(what, list[i], 4096, error))
            return FALSE;
        if (!g_path_is_absolute(list[i])) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: [%s] %s: '%s' is not an absolute path", path,
                        group, key, list[i]);
            return FALSE;
        }
    }
    g_strfreev(*value);
    *value = g_steal_pointer(&list);
    return TRUE;
}

/* A list of readiness rules targets, each one that has a rules file. */
static gboolean
agent_config_targets(GKeyFile *kf, const char *path, const char *group,
                     const char *key, char ***out, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) list = NULL;
    gsize n = 0, i;

    if (!g_key_file_has_key(kf, group, key, NULL))
        return TRUE;
    list = g_key_file_get_string_list(kf, group, key, &n, &local);
    if (!list) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID, "%s: [%s] %s: %s",
                    path, group, key, local->message);
        return FALSE;
    }
    for (i = 0; i < n; i++) {
        if (!g_strv_contains(ferry_rules_targets(), list[i])) {
            g_autofree char *known = g_strjoinv(", ",
                                                (char **)ferry_rules_targets());

            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: [%s] %s: '%s' has no readiness rules (there are: "
                        "%s)", path, group, key, list[i], known);
            return FALSE;
        }
    }
    g_strfreev(*out);
    *out = g_steal_pointer(&list);
    return TRUE;
}

AgentConfig *
agent_config_load(const char *path, gboolean optional, GError **error)
{
    g_autoptr(AgentConfig) config = agent_config_new_default();
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_autofree char *data = NULL;
    guint64 concurrency = config->concurrency;
    guint64 file_mode = 0;
    guint64 streams = 0;
    struct stat st;
    ssize_t got;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT && optional)
            return g_steal_pointer(&config);
        g_set_error(error, FERRY_ERROR,
                    err == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
                    "open: %s: %s", path, g_strerror(err));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size > AGENT_CONFIG_MAX_BYTES) {
        close(fd);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: not a regular file of at most %d bytes", path,
                    AGENT_CONFIG_MAX_BYTES);
        return NULL;
    }
    data = g_malloc(st.st_size + 1);
    got = read(fd, data, st.st_size);
    close(fd);
    if (got != st.st_size) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "read: %s: short read",
                    path);
        return NULL;
    }
    if (!g_key_file_load_from_data(kf, data, got, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID, "%s: %s", path,
                    local->message);
        return NULL;
    }
    if (!agent_config_uint(kf, path, "agent", "concurrency", 10, 1,
                           AGENT_JOBS_MAX_CONCURRENCY, &concurrency, error) ||
        !agent_config_string(kf, path, "agent", "group", &config->group,
                             error) ||
        !agent_config_string(kf, path, "agent", "state-dir", &config->state_dir,
                             error) ||
        !agent_config_string(kf, path, "agent", "connect", &config->connect,
                             error) ||
        !agent_config_paths(kf, path, "agent", "pools", &config->pools,
                            error) ||
        !agent_config_bool(kf, path, "agent", "allow-test-driver",
                           &config->allow_test_driver, error) ||
        !agent_config_string(kf, path, "export", "format", &config->format,
                             error) ||
        !agent_config_string(kf, path, "export", "known-hosts",
                             &config->known_hosts, error) ||
        !agent_config_uint(kf, path, "export", "bandwidth-limit", 10, 0,
                           G_MAXUINT64, &config->bandwidth_limit, error) ||
        !agent_config_string(kf, path, "export", "identity", &config->identity,
                             error) ||
        !agent_config_string(kf, path, "export", "password-file",
                             &config->password_file, error) ||
        !agent_config_uint(kf, path, "export", "file-mode", 8, 1, 0777,
                           &file_mode, error) ||
        !agent_config_string(kf, path, "export", "file-group",
                             &config->file_group, error) ||
        !agent_config_targets(kf, path, "inspect", "targets",
                              &config->inspect_targets, error) ||
        !agent_config_uint(kf, path, "export", "streams", 10, 1,
                           TARGET_MAX_STREAMS, &streams, error))
        return NULL;
    config->streams = (guint)streams;
    config->concurrency = (guint)concurrency;
    config->file_mode = (guint)file_mode;
    return g_steal_pointer(&config);
}
