/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmdk-descriptor.c: the VMDK text descriptor ("Virtual Disk Format 1.1",
 * section "The Descriptor File").
 *
 * A descriptor is lines of text, either a file of its own or embedded in a
 * sparse extent at descriptorOffset (padded with NULs):
 *
 *   # Disk DescriptorFile
 *   version=1
 *   CID=fffffffe
 *   parentCID=ffffffff
 *   createType="twoGbMaxExtentSparse"
 *   parentFileNameHint="base.vmdk"           (delta disks only)
 *   RW 4192256 SPARSE "disk-s001.vmdk"       (access sectors type "file")
 *   RW 2048 FLAT "disk-flat.vmdk" 0          (FLAT and VMFS: offset)
 *   RDONLY 2048 ZERO                          (ZERO: no file)
 *   ddb.geometry.cylinders = "16383"
 *
 * Comments start with '#'.  Unknown keys are kept out of the way (VMware
 * adds new ones often); extent lines and the keys ferry uses are checked.
 */
#include <config.h>

#include <string.h>

#include "conv/vmdk-priv.h"

static const char *const vmdk_type_names[] = {
    [VMDK_TYPE_FLAT] = "FLAT",
    [VMDK_TYPE_SPARSE] = "SPARSE",
    [VMDK_TYPE_ZERO] = "ZERO",
    [VMDK_TYPE_VMFS] = "VMFS",
    [VMDK_TYPE_VMFSSPARSE] = "VMFSSPARSE",
    [VMDK_TYPE_VMFSRDM] = "VMFSRDM",
    [VMDK_TYPE_VMFSRAW] = "VMFSRAW",
    [VMDK_TYPE_SESPARSE] = "SESPARSE",
    [VMDK_TYPE_VSANSPARSE] = "VSANSPARSE",
};
G_STATIC_ASSERT(G_N_ELEMENTS(vmdk_type_names) == VMDK_TYPE_VSANSPARSE + 1);

const char *
vmdk_extent_type_to_string(VmdkExtentType type)
{
    return vmdk_type_names[type];
}

static void
vmdk_extent_line_clear(gpointer data)
{
    VmdkExtentLine *line = data;

    g_free(line->file);
}

void
vmdk_descriptor_free(VmdkDescriptor *desc)
{
    if (!desc)
        return;
    g_free(desc->create_type);
    g_free(desc->parent_hint);
    if (desc->extents)
        g_array_unref(desc->extents);
    if (desc->ddb)
        g_hash_table_unref(desc->ddb);
    g_free(desc);
}

/* Parses a decimal sector count or offset: digits only, no sign, no
 * overflow. */
static gboolean
vmdk_parse_u64(const char *s, guint64 *out)
{
    guint64 v = 0;

    if (!*s)
        return FALSE;
    for (; *s; s++) {
        if (!g_ascii_isdigit(*s))
            return FALSE;
        if (v > (G_MAXUINT64 - (guint64)(*s - '0')) / 10)
            return FALSE;
        v = v * 10 + (guint64)(*s - '0');
    }
    *out = v;
    return TRUE;
}

/* Splits the next word off *p (spaces and tabs separate words). */
static char *
vmdk_next_word(char **p)
{
    char *s = *p;
    char *start;

    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    start = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    if (*s)
        *s++ = '\0';
    *p = s;
    return start;
}

static gboolean
vmdk_parse_extent_line(char *line, guint lineno, const char *path,
                       VmdkExtentLine *out, GError **error)
{
    char *p = line;
    char *access = vmdk_next_word(&p);
    char *sectors = vmdk_next_word(&p);
    char *type = vmdk_next_word(&p);
    char *rest;
    gsize i;

    memset(out, 0, sizeof(*out));
    if (g_str_equal(access, "RW"))
        out->access = VMDK_ACCESS_RW;
    else if (g_str_equal(access, "RDONLY"))
        out->access = VMDK_ACCESS_RDONLY;
    else
        out->access = VMDK_ACCESS_NOACCESS;

    if (!sectors || !vmdk_parse_u64(sectors, &out->sectors) || out->sectors == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor line %u: extent size '%s' is not a positive number of sectors",
                    path, lineno, sectors ? sectors : "");
        return FALSE;
    }
    if (out->sectors > VMDK_MAX_CAPACITY_SECTORS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor line %u: extent size %" G_GUINT64_FORMAT
                    " sectors exceeds the limit (%llu sectors)",
                    path, lineno, out->sectors, VMDK_MAX_CAPACITY_SECTORS);
        return FALSE;
    }
    for (i = 0; type && i < G_N_ELEMENTS(vmdk_type_names); i++) {
        if (g_str_equal(type, vmdk_type_names[i]))
            break;
    }
    if (!type || i == G_N_ELEMENTS(vmdk_type_names)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor line %u: unknown extent type '%s'",
                    path, lineno, type ? type : "");
        return FALSE;
    }
    out->type = (VmdkExtentType)i;

    while (*p == ' ' || *p == '\t')
        p++;
    if (out->type == VMDK_TYPE_ZERO) {
        if (*p) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk descriptor line %u: ZERO extent has a file name",
                        path, lineno);
            return FALSE;
        }
        return TRUE;
    }
    /* The file name is quoted and may hold spaces. */
    if (*p != '"' || !(rest = strchr(p + 1, '"'))) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor line %u: extent file name is not quoted",
                    path, lineno);
        return FALSE;
    }
    if (rest == p + 1 || (gsize)(rest - p - 1) > VMDK_MAX_FILE_NAME) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor line %u: extent file name length %" G_GSIZE_FORMAT
                    " is not within 1..%d",
                    path, lineno, (gsize)(rest - p - 1), VMDK_MAX_FILE_NAME);
        return FALSE;
    }
    out->file = g_strndup(p + 1, (gsize)(rest - p - 1));
    p = rest + 1;
    {
        char *offset = vmdk_next_word(&p);
        char *extra = vmdk_next_word(&p);

        if (extra) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk descriptor line %u: unexpected '%s' after the extent offset",
                        path, lineno, extra);
            return FALSE;
        }
        if (offset && !vmdk_parse_u64(offset, &out->offset)) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk descriptor line %u: extent offset '%s' is not a number of sectors",
                        path, lineno, offset);
            return FALSE;
        }
        /* Spec: "The offset is specified only for flat extents". */
        if (out->offset != 0 && out->type != VMDK_TYPE_FLAT &&
            out->type != VMDK_TYPE_VMFS) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk descriptor line %u: %s extent has an offset (%" G_GUINT64_FORMAT ")",
                        path, lineno, vmdk_type_names[out->type], out->offset);
            return FALSE;
        }
        if (out->offset > VMDK_MAX_CAPACITY_SECTORS) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "%s: vmdk descriptor line %u: extent offset %" G_GUINT64_FORMAT
                        " sectors exceeds the limit (%llu sectors)",
                        path, lineno, out->offset, VMDK_MAX_CAPACITY_SECTORS);
            return FALSE;
        }
    }
    return TRUE;
}

/* Takes the value of "key = value" or key="value" (quotes removed). */
static char *
vmdk_parse_value(char *v)
{
    gsize n;

    v = g_strstrip(v);
    n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v[n - 1] = '\0';
        v++;
    }
    return v;
}

static gboolean
vmdk_parse_cid(const char *value, guint lineno, const char *key, const char *path,
               guint32 *out, GError **error)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(value, 16, 0, G_MAXUINT32, &v, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor line %u: %s '%s' is not a 32-bit hex number",
                    path, lineno, key, value);
        return FALSE;
    }
    *out = (guint32)v;
    return TRUE;
}

VmdkDescriptor *
vmdk_descriptor_parse(const char *text, gsize len, const char *path, GError **error)
{
    g_autoptr(VmdkDescriptor) desc = g_new0(VmdkDescriptor, 1);
    g_autofree char *copy = NULL;
    g_auto(GStrv) lines = NULL;
    guint i;

    if (len > VMDK_MAX_DESCRIPTOR_BYTES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "%s: vmdk descriptor size %" G_GSIZE_FORMAT
                    " bytes exceeds the limit (%d bytes)",
                    path, len, VMDK_MAX_DESCRIPTOR_BYTES);
        return NULL;
    }
    /* Embedded descriptors are NUL-padded to their sector count. */
    copy = g_strndup(text, len);
    lines = g_strsplit(copy, "\n", -1);
    desc->parent_cid = 0xffffffff;
    desc->extents = g_array_new(FALSE, TRUE, sizeof(VmdkExtentLine));
    g_array_set_clear_func(desc->extents, vmdk_extent_line_clear);
    desc->ddb = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    for (i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);   /* drops '\r' too */
        guint lineno = i + 1;
        char *eq;

        if (!*line || *line == '#')
            continue;
        if (g_str_has_prefix(line, "RW ") || g_str_has_prefix(line, "RW\t") ||
            g_str_has_prefix(line, "RDONLY ") || g_str_has_prefix(line, "RDONLY\t") ||
            g_str_has_prefix(line, "NOACCESS ") || g_str_has_prefix(line, "NOACCESS\t")) {
            VmdkExtentLine ext;

            if (desc->extents->len >= VMDK_MAX_EXTENTS) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "%s: vmdk descriptor line %u: more than %d extents",
                            path, lineno, VMDK_MAX_EXTENTS);
                return NULL;
            }
            if (!vmdk_parse_extent_line(line, lineno, path, &ext, error)) {
                g_free(ext.file);
                return NULL;
            }
            if (!g_uint64_checked_add(&desc->total_sectors, desc->total_sectors,
                                      ext.sectors) ||
                desc->total_sectors > VMDK_MAX_CAPACITY_SECTORS) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "%s: vmdk descriptor line %u: extents add up to more than the limit (%llu sectors)",
                            path, lineno, VMDK_MAX_CAPACITY_SECTORS);
                g_free(ext.file);
                return NULL;
            }
            g_array_append_val(desc->extents, ext);
            continue;
        }
        eq = strchr(line, '=');
        if (!eq)
            continue;       /* not a key: tolerated, as VMware and qemu do */
        *eq = '\0';
        {
            const char *key = g_strstrip(line);
            char *value = vmdk_parse_value(eq + 1);

            if (g_str_equal(key, "createType")) {
                g_free(desc->create_type);
                desc->create_type = g_strdup(value);
            } else if (g_str_equal(key, "parentFileNameHint")) {
                if (!*value || strlen(value) > VMDK_MAX_FILE_NAME) {
                    g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                                "%s: vmdk descriptor line %u: parentFileNameHint length %" G_GSIZE_FORMAT
                                " is not within 1..%d",
                                path, lineno, strlen(value), VMDK_MAX_FILE_NAME);
                    return NULL;
                }
                g_free(desc->parent_hint);
                desc->parent_hint = g_strdup(value);
            } else if (g_str_equal(key, "CID")) {
                if (!vmdk_parse_cid(value, lineno, key, path, &desc->cid, error))
                    return NULL;
            } else if (g_str_equal(key, "parentCID")) {
                if (!vmdk_parse_cid(value, lineno, key, path, &desc->parent_cid, error))
                    return NULL;
            } else if (g_str_has_prefix(key, "ddb.")) {
                g_hash_table_replace(desc->ddb, g_strdup(key), g_strdup(value));
            }
        }
    }
    return g_steal_pointer(&desc);
}
