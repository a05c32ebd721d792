/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-config.c: credentials, region and endpoints the way the AWS CLI and
 * SDKs take them ("Configuration and credential file settings" and
 * "Service-specific endpoints" in the AWS CLI user guide):
 *
 *   1. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN);
 *   2. the profile AWS_PROFILE (else "default") in
 *      AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/credentials), section
 *      "[NAME]";
 *   3. the same profile in AWS_CONFIG_FILE (else ~/.aws/config), section
 *      "[profile NAME]" ("[default]" for the default one).
 *
 * Endpoints: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then the
 * public one.  The files are INI text read under a cap; indented lines
 * (nested settings such as "s3 =\n  max_concurrent_requests = 4") are
 * skipped.  Secrets never reach a message: only file names and profile
 * names do.
 */
#include <config.h>

#include <string.h>

#include "providers/aws-priv.h"

void
aws_credentials_clear(AwsCredentials *c)
{
    if (c->secret_key)
        memset(c->secret_key, 0, strlen(c->secret_key));
    if (c->session_token)
        memset(c->session_token, 0, strlen(c->session_token));
    g_clear_pointer(&c->access_key, g_free);
    g_clear_pointer(&c->secret_key, g_free);
    g_clear_pointer(&c->session_token, g_free);
    g_clear_pointer(&c->source, g_free);
}

static const char *
aws_env(AwsGetenvFunc getenv_fn, gpointer data, const char *name)
{
    const char *v = getenv_fn ? getenv_fn(name, data) : g_getenv(name);

    return v && *v ? v : NULL;
}

/* Reads section @section of the INI file @path into a table (key ->
 * value); NULL with no error when the file or the section is absent. */
static GHashTable *
aws_ini_section(const char *path, const char *section, GError **error)
{
    g_autoptr(GHashTable) kv = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) lines = NULL;
    gsize len = 0;
    gboolean in = FALSE, found = FALSE;
    guint i;

    if (!g_file_get_contents(path, &text, &len, &local)) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return NULL;
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", path,
                    local->message);
        return NULL;
    }
    if (len > AWS_MAX_CONFIG_BYTES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: larger than %u bytes", path, AWS_MAX_CONFIG_BYTES);
        return NULL;
    }
    kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    lines = g_strsplit(text, "\n", -1);
    memset(text, 0, len);
    for (i = 0; lines[i]; i++) {
        char *line = lines[i], *eq;

        if (line[0] == ' ' || line[0] == '\t')
            continue;          /* a nested setting */
        g_strstrip(line);
        if (!*line || *line == '#' || *line == ';')
            continue;
        if (*line == '[') {
            char *end = strchr(line, ']');

            if (end)
                *end = '\0';
            in = g_str_equal(g_strstrip(line + 1), section);
            found |= in;
            continue;
        }
        if (!in || !(eq = strchr(line, '=')))
            continue;
        *eq = '\0';
        g_hash_table_replace(kv, g_strdup(g_strstrip(line)),
                             g_strdup(g_strstrip(eq + 1)));
    }
    for (i = 0; lines[i]; i++)
        memset(lines[i], 0, strlen(lines[i]));
    return found ? g_steal_pointer(&kv) : NULL;
}

static char *
aws_home_file(AwsGetenvFunc getenv_fn, gpointer data, const char *var,
              const char *name)
{
    const char *v = aws_env(getenv_fn, data, var);
    const char *home = aws_env(getenv_fn, data, "HOME");

    if (v)
        return g_strdup(v);
    return g_build_filename(home ? home : g_get_home_dir(), ".aws", name,
                            NULL);
}

static gboolean
aws_take_keys(GHashTable *kv, const char *source, AwsCredentials *out)
{
    const char *id = g_hash_table_lookup(kv, "aws_access_key_id");
    const char *secret = g_hash_table_lookup(kv, "aws_secret_access_key");
    const char *token = g_hash_table_lookup(kv, "aws_session_token");

    if (!id || !*id || !secret || !*secret)
        return FALSE;
    out->access_key = g_strdup(id);
    out->secret_key = g_strdup(secret);
    out->session_token = token && *token ? g_strdup(token) : NULL;
    out->source = g_strdup(source);
    return TRUE;
}

gboolean
aws_credentials_load(AwsGetenvFunc getenv_fn, gpointer data,
                     AwsCredentials *out, GError **error)
{
    const char *id = aws_env(getenv_fn, data, "AWS_ACCESS_KEY_ID");
    const char *secret = aws_env(getenv_fn, data, "AWS_SECRET_ACCESS_KEY");
    const char *profile = aws_env(getenv_fn, data, "AWS_PROFILE");
    g_autofree char *creds_file = NULL, *config_file = NULL;
    g_autofree char *config_section = NULL, *source = NULL;
    g_autoptr(GHashTable) kv = NULL;

    memset(out, 0, sizeof(*out));
    if (id && secret) {
        const char *token = aws_env(getenv_fn, data, "AWS_SESSION_TOKEN");

        out->access_key = g_strdup(id);
        out->secret_key = g_strdup(secret);
        out->session_token = g_strdup(token);
        out->source = g_strdup("environment");
        return TRUE;
    }
    if (!profile)
        profile = "default";
    if (!ferry_check_text("AWS_PROFILE", profile, 128, error))
        return FALSE;
    creds_file = aws_home_file(getenv_fn, data, "AWS_SHARED_CREDENTIALS_FILE",
                               "credentials");
    kv = aws_ini_section(creds_file, profile, error);
    if (!kv && error && *error)
        return FALSE;
    source = g_strdup_printf("profile '%s' in %s", profile, creds_file);
    if (kv && aws_take_keys(kv, source, out))
        return TRUE;
    g_clear_pointer(&kv, g_hash_table_unref);

    config_file = aws_home_file(getenv_fn, data, "AWS_CONFIG_FILE", "config");
    config_section = g_str_equal(profile, "default")
                         ? g_strdup("default")
                         : g_strdup_printf("profile %s", profile);
    kv = aws_ini_section(config_file, config_section, error);
    if (!kv && error && *error)
        return FALSE;
    g_free(source);
    source = g_strdup_printf("profile '%s' in %s", profile, config_file);
    if (kv && aws_take_keys(kv, source, out))
        return TRUE;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH,
                "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or give profile '%s' keys in %s or "
                "%s", profile, creds_file, config_file);
    return FALSE;
}

char *
aws_config_region(AwsGetenvFunc getenv_fn, gpointer data)
{
    const char *v = aws_env(getenv_fn, data, "AWS_REGION");
    const char *profile = aws_env(getenv_fn, data, "AWS_PROFILE");
    g_autofree char *config_file = NULL, *section = NULL;
    g_autoptr(GHashTable) kv = NULL;
    const char *r;

    if (!v)
        v = aws_env(getenv_fn, data, "AWS_DEFAULT_REGION");
    if (v)
        return g_strdup(v);
    if (!profile)
        profile = "default";
    config_file = aws_home_file(getenv_fn, data, "AWS_CONFIG_FILE", "config");
    section = g_str_equal(profile, "default")
                  ? g_strdup("default")
                  : g_strdup_printf("profile %s", profile);
    kv = aws_ini_section(config_file, section, NULL);
    r = kv ? g_hash_table_lookup(kv, "region") : NULL;
    return r && *r ? g_strdup(r) : NULL;
}

char *
aws_endpoint_url(AwsGetenvFunc getenv_fn, gpointer data, const char *service,
                 const char *region, GError **error)
{
    g_autofree char *upper = g_ascii_strup(service, -1);
    g_autofree char *var = g_strconcat("AWS_ENDPOINT_URL_", upper, NULL);
    const char *v = aws_env(getenv_fn, data, var);
    const char *which = var;
    g_autofree char *url = NULL;

    if (!v) {
        v = aws_env(getenv_fn, data, "AWS_ENDPOINT_URL");
        which = "AWS_ENDPOINT_URL";
    }
    if (!v) {
        if (g_str_equal(service, "iam"))
            return g_strdup("https://iam.amazonaws.com");
        return g_strdup_printf("https://%s.%s.amazonaws.com", service,
                               region);
    }
    if (!ferry_check_text(which, v, 2048, error))
        return NULL;
    if (!g_str_has_prefix(v, "http://") && !g_str_has_prefix(v, "https://")) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s '%s': not an http or https URL", which, v);
        return NULL;
    }
    url = g_strdup(v);
    while (g_str_has_suffix(url, "/"))
        url[strlen(url) - 1] = '\0';
    return g_steal_pointer(&url);
}
