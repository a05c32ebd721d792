/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * error.c: ferry's GError domain.  The mapping of codes to exit statuses and
 * D-Bus error names lives in agent/, the only place that needs it.  Also
 * the one validator for text that crosses a trust boundary.
 */
#include <config.h>

#include <string.h>

#include "conv/conv.h"

G_DEFINE_QUARK(ferry-error-quark, ferry_error)

gboolean
ferry_check_text(const char *what, const char *value, gsize max, GError **error)
{
    gsize len = strlen(value), i;

    if (len == 0 || len > max) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: length %zu is not within 1..%zu bytes", what, len, max);
        return FALSE;
    }
    if (!g_utf8_validate(value, len, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "%s: not valid UTF-8", what);
        return FALSE;
    }
    for (i = 0; i < len; i++) {
        if ((guchar)value[i] < 0x20 || value[i] == 0x7f) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "%s: control character 0x%02x at byte %zu", what,
                        (guchar)value[i], i);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
ferry_json_depth_ok(const char *data, gsize len, guint max_depth)
{
    gboolean in_string = FALSE, escaped = FALSE;
    guint depth = 0;
    gsize i;

    for (i = 0; i < len; i++) {
        char c = data[i];

        if (in_string) {
            if (escaped)
                escaped = FALSE;
            else if (c == '\\')
                escaped = TRUE;
            else if (c == '"')
                in_string = FALSE;
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return FALSE;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return TRUE;
}
