/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * write-raw.c: the raw writer.  The output is the guest disk byte for byte:
 * data extents are copied, zero extents become holes where the sink can
 * seek (zeros otherwise), and copied chunks that read as all zeros become
 * holes too, as qemu-img convert does, so a sparse source stays sparse.
 * raw has no -o options ferry accepts.
 */
#include <config.h>

#include "conv/writer-priv.h"

static gboolean
raw_write_plan(ConvOutput *out, GError **error)
{
    if (out->opts->compress) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-c: the raw output format cannot be compressed");
        return FALSE;
    }
    out->planned_size = out->size;
    return TRUE;
}

static gboolean
raw_write_emit(ConvOutput *out, ConvSink *sink, GError **error)
{
    return conv_output_copy_flat(out, error);
}

const struct ferry_format raw_writer = {
    .name = "raw",
    .plan = raw_write_plan,
    .emit = raw_write_emit,
};
