/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * error.c: ferry's GError domain.  The mapping of codes to exit statuses and
 * D-Bus error names lives in agent/, the only place that needs it.
 */
#include <config.h>

#include "conv/conv.h"

G_DEFINE_QUARK(ferry-error-quark, ferry_error)
