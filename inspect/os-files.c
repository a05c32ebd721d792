/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * os-files.c: the text files that say what a guest is: os-release(5) and
 * fstab(5).  Pure text parsing; ext.c fetches the bytes (capped), os.c
 * decides which filesystem is the root.
 */
#include <config.h>

#include <string.h>

#include "inspect/inspect-priv.h"

/* A guest's fstab has tens of lines; more than this is not an fstab. */
#define INSPECT_MAX_FSTAB_ENTRIES 1024

void
inspect_fstab_entry_free(InspectFstabEntry *e)
{
    if (!e)
        return;
    g_free(e->spec);
    g_free(e->file);
    g_free(e->vfstype);
    g_free(e);
}

/* fstab(5): spaces in fields are written as \040 (octal escapes). */
static char *
inspect_fstab_unescape(const char *field)
{
    GString *s = g_string_new(NULL);
    const char *p;

    for (p = field; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' &&
            p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            g_string_append_c(s, (char)((p[1] - '0') << 6 |
                                        (p[2] - '0') << 3 | (p[3] - '0')));
            p += 3;
        } else {
            g_string_append_c(s, *p);
        }
    }
    return g_string_free(s, FALSE);
}

gboolean
inspect_fstab_spec_is_device(const char *spec)
{
    static const char *const prefixes[] = { "/dev/hd", "/dev/sd", "/dev/vd",
                                            "/dev/xvd" };
    const char *p;
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        if (!g_str_has_prefix(spec, prefixes[i]))
            continue;
        p = spec + strlen(prefixes[i]);
        if (!g_ascii_islower(*p))
            return FALSE;
        while (g_ascii_islower(*p))
            p++;
        while (g_ascii_isdigit(*p))
            p++;
        return *p == '\0';
    }
    if (g_str_has_prefix(spec, "/dev/nvme")) {
        p = spec + 9;
        if (!g_ascii_isdigit(*p))
            return FALSE;
        while (g_ascii_isalnum(*p))
            p++;
        return *p == '\0';
    }
    return FALSE;
}

const char *
inspect_fstab_spec_kind(const char *spec)
{
    static const struct {
        const char *prefix;
        const char *kind;
    } kinds[] = {
        { "UUID=", "uuid" }, { "LABEL=", "label" },
        { "PARTUUID=", "partuuid" }, { "PARTLABEL=", "partlabel" },
        { "/dev/disk/by-uuid/", "uuid" }, { "/dev/disk/by-label/", "label" },
        { "/dev/disk/by-partuuid/", "partuuid" },
        { "/dev/disk/by-partlabel/", "partlabel" },
    };
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(kinds); i++)
        if (g_str_has_prefix(spec, kinds[i].prefix))
            return kinds[i].kind;
    return inspect_fstab_spec_is_device(spec) ? "device" : "other";
}

GPtrArray *
inspect_fstab_parse(const char *text, gsize len)
{
    g_autofree char *copy = g_strndup(text, len);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    GPtrArray *entries = g_ptr_array_new_with_free_func(
        (GDestroyNotify)inspect_fstab_entry_free);
    guint i;

    for (i = 0; lines[i] && entries->len < INSPECT_MAX_FSTAB_ENTRIES; i++) {
        g_auto(GStrv) fields = NULL;
        InspectFstabEntry *e;
        char *line = g_strstrip(lines[i]);
        char *hash;

        if ((hash = strchr(line, '#')))
            *hash = '\0';
        if (!line[0])
            continue;
        fields = g_regex_split_simple("[ \t]+", line, 0, 0);
        if (!fields[0] || !fields[1] || !fields[0][0])
            continue;
        if (!g_utf8_validate(line, -1, NULL))
            continue;
        e = g_new0(InspectFstabEntry, 1);
        e->spec = inspect_text_clean(inspect_fstab_unescape(fields[0]));
        e->file = inspect_text_clean(inspect_fstab_unescape(fields[1]));
        e->vfstype = fields[2] ? inspect_text_clean(g_strdup(fields[2])) : NULL;
        /* An octal escape can make bytes that are no UTF-8. */
        if (!g_utf8_validate(e->spec, -1, NULL) ||
            !g_utf8_validate(e->file, -1, NULL)) {
            inspect_fstab_entry_free(e);
            continue;
        }
        e->by = inspect_fstab_spec_kind(e->spec);
        g_ptr_array_add(entries, e);
    }
    return entries;
}

char *
inspect_os_release_get(const char *text, gsize len, const char *key)
{
    g_autofree char *copy = g_strndup(text, len);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    gsize klen = strlen(key);
    guint i;

    for (i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        char *value;

        if (strncmp(line, key, klen) != 0 || line[klen] != '=')
            continue;
        value = line + klen + 1;
        /* os-release(5): shell-compatible quoting, no expansion. */
        if (value[0] == '"' || value[0] == '\'') {
            char *unq = g_shell_unquote(value, NULL);

            if (unq && g_utf8_validate(unq, -1, NULL) && unq[0])
                return inspect_text_clean(unq);
            g_free(unq);
            return NULL;
        }
        if (!value[0] || !g_utf8_validate(value, -1, NULL))
            return NULL;
        return inspect_text_clean(g_strdup(value));
    }
    return NULL;
}
