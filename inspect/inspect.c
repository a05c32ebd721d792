/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* inspect.c: placeholder until the readers land (replaced whole). */
#include <config.h>

#include "conv/conv.h"
#include "inspect/inspect.h"

JsonObject *
ferry_inspect(const FerryInspectSource *src, GCancellable *cancellable,
              GError **error)
{
    (void)src;
    (void)cancellable;
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                "guest inspection is not built in");
    return NULL;
}
