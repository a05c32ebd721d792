/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target.c: picks a target backend by URI scheme (as libvirt's drivers are
 * picked by .uriSchemes), parses the URI with GUri (RFC 3986), and checks
 * and expands pool file names.  A password in the URI is refused: secrets
 * only come from files (DESIGN.md).
 */
#include <config.h>

#include <grp.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "providers/target-priv.h"

static const struct ferry_target *const target_backends[] = {
    &target_file_backend,
    &target_ssh_backend,
    &target_aws_backend,
    &target_cloudstack_backend,
    &target_azure_backend,
    &target_azure_disk_backend,
};

static const struct ferry_target *
target_find_backend(const char *scheme)
{
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(target_backends); i++) {
        if (g_ascii_strcasecmp(target_backends[i]->scheme, scheme) == 0)
            return target_backends[i];
    }
    return NULL;
}

static gboolean
target_parse_uri(Target *t, const char *uri, GError **error)
{
    g_autoptr(GUri) u = NULL;
    g_autoptr(GError) local = NULL;
    const char *scheme, *path, *host;

    u = g_uri_parse(uri, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_QUERY,
                    &local);
    if (!u) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': not a URI: %s", uri, local->message);
        return FALSE;
    }
    scheme = g_uri_get_scheme(u);
    t->backend = target_find_backend(scheme);
    if (!t->backend) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': unknown scheme '%s' (expected file, ssh, aws, "
                    "cloudstack, azure or azure-disk)",
                    uri, scheme);
        return FALSE;
    }
    if (g_uri_get_password(u)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to: a password in the URI is refused; use "
                    "--password-file");
        return FALSE;
    }
    /* cloudstack:// names its pool in the query. */
    if (t->backend == &target_cloudstack_backend)
        return target_cloudstack_parse_uri(t, uri, u, error);
    if (t->backend == &target_azure_disk_backend)
        return target_azure_disk_parse_uri(t, uri, u, error);
    if (g_uri_get_query(u) || g_uri_get_fragment(u)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': a query or fragment is not expected", uri);
        return FALSE;
    }
    if (t->backend == &target_aws_backend)
        return target_aws_parse_uri(t, uri, u, error);
    if (t->backend == &target_azure_backend)
        return target_azure_parse_uri(t, uri, u, error);
    path = g_uri_get_path(u);
    if (!path || path[0] != '/' || strlen(path) >= 4096) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': the pool must be an absolute path", uri);
        return FALSE;
    }
    /* The pool reaches messages and log lines: no forged lines. */
    if (!ferry_check_text("--to: pool path", path, 4095, error))
        return FALSE;
    t->pool = g_strdup(path);
    /* "/pool/" and "/pool" are the same pool. */
    while (strlen(t->pool) > 1 && g_str_has_suffix(t->pool, "/"))
        t->pool[strlen(t->pool) - 1] = '\0';
    host = g_uri_get_host(u);

    if (t->backend == &target_file_backend) {
        if (host && *host && g_ascii_strcasecmp(host, "localhost") != 0) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "--to '%s': a file URI names no host (file:///path)",
                        uri);
            return FALSE;
        }
        t->name = g_strdup_printf("file://%s", t->pool);
        return TRUE;
    }

    if (!host || !*host) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': no host", uri);
        return FALSE;
    }
    if (g_uri_get_port(u) > 65535 || g_uri_get_port(u) == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "--to '%s': port %d is out of range", uri,
                    g_uri_get_port(u));
        return FALSE;
    }
    t->host = g_strdup(host);
    t->user = g_strdup(g_uri_get_user(u));
    t->port = g_uri_get_port(u) > 0 ? (guint16)g_uri_get_port(u)
                                     : SSH_DEFAULT_PORT;
    t->name = g_strdup_printf("ssh://%s%s%s%s%s:%u%s",
                              t->user ? t->user : "", t->user ? "@" : "",
                              strchr(host, ':') ? "[" : "", host,
                              strchr(host, ':') ? "]" : "",
                              t->port, t->pool);
    return TRUE;
}

/* Checks TargetOptions.file_mode and resolves file_group. */
static gboolean
target_parse_file_options(Target *t, GError **error)
{
    const char *group = t->opts->file_group;
    struct group *gr;
    char *end = NULL;
    guint64 gid;

    if (t->opts->file_mode & ~(guint)0777) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: file mode %#o: only permission bits (at most 0777) "
                    "are allowed", t->name, t->opts->file_mode);
        return FALSE;
    }
    t->file_mode = t->opts->file_mode ? t->opts->file_mode
                                      : TARGET_DEFAULT_FILE_MODE;
    if (!group)
        return TRUE;
    if (!ferry_check_text("file group", group, 256, error))
        return FALSE;
    if (t->backend != &target_file_backend) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: file group '%s': only file:// targets set a group",
                    t->name, group);
        return FALSE;
    }
    gr = getgrnam(group);
    if (gr) {
        t->file_gid = gr->gr_gid;
    } else {
        gid = g_ascii_strtoull(group, &end, 10);
        if (!g_ascii_isdigit(group[0]) || *end || gid >= G_MAXUINT32) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: file group '%s': no such group", t->name, group);
            return FALSE;
        }
        t->file_gid = (gid_t)gid;
    }
    t->set_file_gid = TRUE;
    return TRUE;
}

guint
target_default_streams(void)
{
    return CLAMP(g_get_num_processors(), 1, TARGET_DEFAULT_MAX_STREAMS);
}

Target *
target_new(const char *uri, const TargetOptions *opts,
           GCancellable *cancellable, GError **error)
{
    static const TargetOptions no_opts = { 0 };
    g_autoptr(Target) t = g_new0(Target, 1);

    t->opts = opts ? opts : &no_opts;
    t->cancellable = cancellable ? g_object_ref(cancellable) : NULL;
    if (!target_parse_uri(t, uri, error) ||
        !target_parse_file_options(t, error))
        return NULL;
    if (t->opts->overwrite && t->backend != &target_azure_backend &&
        t->backend != &target_azure_disk_backend) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "%s: --overwrite: only azure:// and azure-disk:// "
                    "targets replace what is there", t->name);
        return NULL;
    }
    return g_steal_pointer(&t);
}

void
target_free(Target *t)
{
    if (!t)
        return;
    target_disconnect(t);
    g_clear_object(&t->cancellable);
    g_free(t->name);
    g_free(t->pool);
    g_free(t->host);
    g_free(t->user);
    g_free(t->stopped_name);
    g_free(t->domain_xml);
    g_free(t->guest_os_type);
    if (t->backend && t->backend->free_priv)
        t->backend->free_priv(t);
    g_free(t);
}

const char *
target_get_name(const Target *t)
{
    return t->name;
}

const char *
target_get_scheme(const Target *t)
{
    return t->backend->scheme;
}

const char *
target_get_pool(const Target *t)
{
    return t->pool;
}

const char *
target_get_transport(const Target *t)
{
    if (t->backend->transport)
        return t->backend->transport(t);
    return t->backend->scheme;
}

char *
target_path(const Target *t, const char *name)
{
    if (g_str_equal(t->pool, "/"))
        return g_strconcat("/", name, NULL);
    return g_strconcat(t->pool, "/", name, NULL);
}

gboolean
target_connect(Target *t, GError **error)
{
    target_disconnect(t);
    if (!t->backend->connect(t, error))
        return FALSE;
    return TRUE;
}

void
target_disconnect(Target *t)
{
    if (t->priv)
        t->backend->disconnect(t);
}

gboolean
target_check_space(Target *t, guint64 needed, GError **error)
{
    guint64 avail = 0;

    if (!t->backend->free_space(t, &avail, error))
        return FALSE;
    if (avail < needed) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
                    "%s: not enough free space: %" G_GUINT64_FORMAT
                    " bytes needed, %" G_GUINT64_FORMAT " available",
                    t->name, needed, avail);
        return FALSE;
    }
    return TRUE;
}

gboolean
target_stat(Target *t, const char *name, guint64 *size, GError **error)
{
    return t->backend->stat(t, name, size, error);
}

void
target_remove(Target *t, const char *name)
{
    g_autoptr(GError) error = NULL;

    if (!t->priv)
        return;
    if (!t->backend->unlink(t, name, &error) &&
        !g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
        g_debug("%s: remove '%s': %s", t->name, name, error->message);
}

gboolean
target_check_name(const char *name, GError **error)
{
    if (!*name || strlen(name) > TARGET_MAX_NAME || name[0] == '.' ||
        strchr(name, '/')) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "file name '%s': expected 1 to %d bytes, no '/' and no "
                    "leading '.'", name, TARGET_MAX_NAME);
        return FALSE;
    }
    return ferry_check_text("file name", name, TARGET_MAX_NAME, error);
}

char *
target_expand_name(const char *template, const char *vm, const char *dev,
                   guint index, const char *ext, GError **error)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const char *p = template;

    while (*p) {
        const char *end;
        g_autofree char *key = NULL;

        if (g_str_has_prefix(p, "{{") || g_str_has_prefix(p, "}}")) {
            g_string_append_c(out, *p);
            p += 2;
            continue;
        }
        if (*p != '{') {
            if (*p == '}') {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                            "--name '%s': unmatched '}'", template);
                return NULL;
            }
            g_string_append_c(out, *p++);
            continue;
        }
        end = strchr(p, '}');
        if (!end) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "--name '%s': unmatched '{'", template);
            return NULL;
        }
        key = g_strndup(p + 1, (gsize)(end - p - 1));
        if (g_str_equal(key, "vm"))
            g_string_append(out, vm);
        else if (g_str_equal(key, "dev"))
            g_string_append(out, dev);
        else if (g_str_equal(key, "index"))
            g_string_append_printf(out, "%u", index);
        else if (g_str_equal(key, "ext"))
            g_string_append(out, ext);
        else {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "--name '%s': unknown field '{%s}' (expected {vm}, "
                        "{dev}, {index} or {ext})", template, key);
            return NULL;
        }
        p = end + 1;
    }
    if (!target_check_name(out->str, error)) {
        g_prefix_error(error, "--name '%s': ", template);
        return NULL;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

gboolean
target_write_file(Target *t, const char *name, const void *data, gsize len,
                  GError **error)
{
    g_autofree char *part = g_strconcat(name, ".part", NULL);
    guint64 resume = 0;
    gpointer h;

    g_assert(len <= TARGET_MAX_SMALL_FILE);
    if (!target_check_name(name, error))
        return FALSE;
    t->small_upload = TRUE;
    h = t->backend->upload_open(t, part, &resume, error);
    t->small_upload = FALSE;
    if (!h)
        return FALSE;
    if (!t->backend->upload_write(h, data, len, error)) {
        t->backend->upload_close(h);
        target_remove(t, part);
        return FALSE;
    }
    if (!t->backend->upload_finish(h, error) ||
        !t->backend->rename(t, part, name, error)) {
        target_remove(t, part);
        return FALSE;
    }
    return TRUE;
}

char *
target_sha256(Target *t, const char *name, GError **error)
{
    return t->backend->sha256(t, name, error);
}

gboolean
target_finish_export(Target *t, const TargetExport *exp, char **image_id,
                     GError **error)
{
    *image_id = NULL;
    if (!t->backend->finish_export)
        return TRUE;
    return t->backend->finish_export(t, exp, image_id, error);
}

const char *
target_get_output_format(const Target *t, const char **options)
{
    *options = NULL;
    if (!t->backend->output_format)
        return NULL;
    return t->backend->output_format(t, options);
}

void
target_set_upload_size_hint(Target *t, guint64 bytes)
{
    t->upload_size_hint = bytes;
}

void
target_set_domain_xml(Target *t, const char *xml)
{
    g_free(t->domain_xml);
    t->domain_xml = g_strdup(xml);
}

void
target_set_guest_os_type(Target *t, const char *os_type)
{
    g_free(t->guest_os_type);
    t->guest_os_type = g_strdup(os_type);
}

char *
target_get_resource_id(Target *t, const char *name)
{
    if (!t->backend->resource_id || !t->priv)
        return NULL;
    return t->backend->resource_id(t, name);
}

gboolean
target_domain_is_uefi(const char *xml)
{
    xmlDocPtr doc;
    xmlNodePtr root, os, c;
    gboolean uefi = FALSE;

    if (!xml)
        return FALSE;
    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (os = root ? root->children : NULL; os; os = os->next) {
        xmlChar *fw;

        if (os->type != XML_ELEMENT_NODE ||
            !g_str_equal((const char *)os->name, "os"))
            continue;
        fw = xmlGetProp(os, (const xmlChar *)"firmware");
        uefi |= fw && g_str_equal((const char *)fw, "efi");
        xmlFree(fw);
        for (c = os->children; c; c = c->next) {
            xmlChar *type;

            if (c->type != XML_ELEMENT_NODE ||
                !g_str_equal((const char *)c->name, "loader"))
                continue;
            type = xmlGetProp(c, (const xmlChar *)"type");
            uefi |= type && g_str_equal((const char *)type, "pflash");
            xmlFree(type);
        }
    }
    xmlFreeDoc(doc);
    return uefi;
}

gboolean
target_hashes_adopt(const Target *t, GHashTable *hashes, const char *name,
                    const char *sha256, GError **error)
{
    const char *own = g_hash_table_lookup(hashes, name);

    if (own && !g_str_equal(own, sha256)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CHECKSUM,
                    "%s: '%s': sha256 of what was sent is %s, the stream's "
                    "is %s", t->name, name, own, sha256);
        return FALSE;
    }
    g_hash_table_replace(hashes, g_strdup(name), g_strdup(sha256));
    return TRUE;
}
