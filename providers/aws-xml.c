/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-xml.c: the XML answers of S3, EC2, IAM and STS, read as hostile
 * input: a size cap before parsing, libxml2 without network access or
 * entity substitution, and any document type declaration refused (no
 * entity expansion, no external subset).  Lookups go by local name, so
 * the services' namespaces (S3's 2006-03-01, EC2's 2016-11-15, IAM's
 * 2010-05-08) do not matter.
 */
#include <config.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "providers/aws-priv.h"

/* Nesting deeper than any AWS answer (EC2's are about 8 levels). */
#define AWS_XML_MAX_DEPTH 64

struct _AwsXml {
    xmlDocPtr doc;
};

/* libxml2 2.9 reports an encoding error ("encoding error : input
 * conversion failed", "I/O error : encoder error") through the generic
 * error function, which XML_PARSE_NOERROR does not silence: an answer in
 * a bad encoding wrote lines to ferry's stderr beside its one error line
 * (found by tests/fuzz/fuzz-aws-xml.c).  The parse drops them instead;
 * the handler is per thread in libxml2, so this touches no other
 * thread's. */
static void
aws_xml_drop_error(void *ctx, const char *msg, ...)
{
}

AwsXml *
aws_xml_parse(const void *data, gsize len, GError **error)
{
    xmlGenericErrorFunc saved = xmlGenericError;
    void *saved_ctx = xmlGenericErrorContext;
    xmlDocPtr doc;
    AwsXml *x;

    if (len == 0 || len > AWS_MAX_XML_BYTES) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "XML answer of %" G_GSIZE_FORMAT " bytes (expected 1 to "
                    "%u)", len, AWS_MAX_XML_BYTES);
        return NULL;
    }
    xmlSetGenericErrorFunc(NULL, aws_xml_drop_error);
    doc = xmlReadMemory(data, (int)len, "aws.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    xmlSetGenericErrorFunc(saved_ctx, saved);
    if (!doc || !xmlDocGetRootElement(doc)) {
        xmlFreeDoc(doc);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "XML answer is not well-formed");
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "XML answer has a document type declaration (refused)");
        return NULL;
    }
    x = g_new0(AwsXml, 1);
    x->doc = doc;
    return x;
}

void
aws_xml_free(AwsXml *x)
{
    if (!x)
        return;
    xmlFreeDoc(x->doc);
    g_free(x);
}

const char *
aws_xml_root_name(const AwsXml *x)
{
    return (const char *)xmlDocGetRootElement(x->doc)->name;
}

/* Depth-first search for an element named @name below @node. */
static xmlNodePtr
aws_xml_find_node(xmlNodePtr node, const char *name, guint depth)
{
    xmlNodePtr c, found;

    if (depth > AWS_XML_MAX_DEPTH)
        return NULL;
    for (c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (g_str_equal((const char *)c->name, name))
            return c;
        found = aws_xml_find_node(c, name, depth + 1);
        if (found)
            return found;
    }
    return NULL;
}

static char *
aws_xml_text(xmlNodePtr node)
{
    xmlChar *content = xmlNodeGetContent(node);
    char *s = g_strdup(content ? (const char *)content : "");

    xmlFree(content);
    return g_strstrip(s);
}

char *
aws_xml_find(const AwsXml *x, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    xmlNodePtr node = xmlDocGetRootElement(x->doc);
    guint i;

    for (i = 0; parts[i] && node; i++) {
        /* The root itself may be the first step ("Error/Code" in S3). */
        if (i == 0 && g_str_equal((const char *)node->name, parts[0]) &&
            parts[1])
            continue;
        node = aws_xml_find_node(node, parts[i], 0);
    }
    return node ? aws_xml_text(node) : NULL;
}

static void
aws_xml_collect(xmlNodePtr node, const char *name, GPtrArray *out,
                guint depth)
{
    xmlNodePtr c;

    if (depth > AWS_XML_MAX_DEPTH)
        return;
    for (c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (g_str_equal((const char *)c->name, name))
            g_ptr_array_add(out, aws_xml_text(c));
        else
            aws_xml_collect(c, name, out, depth + 1);
    }
}

char **
aws_xml_find_all(const AwsXml *x, const char *name)
{
    GPtrArray *out = g_ptr_array_new();

    aws_xml_collect(xmlDocGetRootElement(x->doc), name, out, 0);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

gboolean
aws_xml_parse_error(const void *data, gsize len, char **code, char **message)
{
    g_autoptr(AwsXml) x = aws_xml_parse(data, len, NULL);
    const char *root;

    *code = NULL;
    *message = NULL;
    if (!x)
        return FALSE;
    root = aws_xml_root_name(x);
    if (!g_str_equal(root, "Error") && !g_str_equal(root, "ErrorResponse") &&
        !g_str_equal(root, "Response"))
        return FALSE;
    *code = aws_xml_find(x, "Code");
    *message = aws_xml_find(x, "Message");
    /* Keep what reaches a message to one printable line. */
    if (*code && !ferry_check_text("code", *code, 256, NULL))
        g_clear_pointer(code, g_free);
    if (*message) {
        g_autofree char *valid = g_utf8_make_valid(*message, -1);
        char *p;

        for (p = valid; *p; p++) {
            if ((guchar)*p < 0x20 || *p == 0x7f)
                *p = ' ';
        }
        g_free(*message);
        *message = g_utf8_substring(valid, 0,
                                    MIN(g_utf8_strlen(valid, -1), 512));
    }
    return *code || *message;
}
