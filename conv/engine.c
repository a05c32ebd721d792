/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * engine.c: the copy engine.  conv_output_new() checks the -o options and
 * lets the writer plan the whole output from the source's allocation map;
 * conv_output_emit() runs the writer's emit(), which queues bytes, copies
 * and holes in output order.
 *
 * The pipeline: each queued copy is cut into chunks of CONV_CHUNK_BYTES; a
 * GThreadPool of readers fills them (each reader with its own read handle
 * on the source chain, since a reader's metadata cache is not shared
 * between threads) and compresses them where asked, while the calling
 * thread writes finished chunks to the sink strictly in order.  At most
 * CONV_PIPELINE_SLOTS chunks are in flight, so memory is bounded whatever
 * the disk's size: 16 slots of 1 MiB, plus as much for compressed output.
 */
#include <config.h>

#include <string.h>

#include "conv/engine-priv.h"

static const char *const conv_writer_name_list[] = { "raw", "qcow2", "vmdk", "vpc", NULL };

static const struct ferry_format *
conv_writer_find(const char *name)
{
    if (!name)
        return NULL;
    if (g_str_equal(name, "raw"))
        return &raw_writer;
    if (g_str_equal(name, "qcow2"))
        return &qcow2_writer;
    if (g_str_equal(name, "vmdk"))
        return &vmdk_writer;
    if (g_str_equal(name, "vpc"))
        return &vpc_writer;
    return NULL;
}

const char *
conv_format_extension(const char *format)
{
    return g_strcmp0(format, "vpc") == 0 ? "vhd" : format;
}

const char *const *
conv_writer_names(void)
{
    return conv_writer_name_list;
}

/* ---- the allocation map, in windows ------------------------------------ */

void
conv_map_iter_init(ConvMapIter *it, ConvImage *img, guint64 start, guint64 end)
{
    it->img = img;
    it->pos = start;
    it->end = end;
    it->window = conv_extents_new();
    it->index = 0;
}

void
conv_map_iter_clear(ConvMapIter *it)
{
    g_clear_pointer(&it->window, conv_extents_free);
}

/* Loads the next window when the current one is used up; FALSE on error.
 * Leaves it->index < count unless the end is reached. */
static gboolean
conv_map_iter_fill(ConvMapIter *it, GError **error)
{
    guint64 len;

    if (it->index < conv_extents_count(it->window) || it->pos >= it->end)
        return TRUE;
    conv_extents_clear(it->window);
    it->index = 0;
    len = MIN(CONV_MAP_WINDOW_BYTES, it->end - it->pos);
    if (!conv_image_chain_block_status(it->img, it->pos, len, it->window, error))
        return FALSE;
    it->pos += len;
    return TRUE;
}

gboolean
conv_map_iter_next(ConvMapIter *it, ConvExtent *ext, GError **error)
{
    memset(ext, 0, sizeof(*ext));
    if (!conv_map_iter_fill(it, error))
        return FALSE;
    if (it->index >= conv_extents_count(it->window))
        return TRUE;
    *ext = *conv_extents_get(it->window, it->index++);
    /* Merge a run that goes on in the next window. */
    for (;;) {
        const ConvExtent *e;

        if (!conv_map_iter_fill(it, error))
            return FALSE;
        if (it->index >= conv_extents_count(it->window))
            return TRUE;
        e = conv_extents_get(it->window, it->index);
        if (e->kind != ext->kind || e->start != ext->start + ext->length)
            return TRUE;
        ext->length += e->length;
        it->index++;
    }
}

/* ---- options ------------------------------------------------------------ */

char *
conv_output_take_option(ConvOutput *out, const char *key)
{
    char *value = NULL;
    char *stored_key = NULL;

    if (!g_hash_table_steal_extended(out->options, key, (gpointer *)&stored_key,
                                     (gpointer *)&value))
        return NULL;
    g_free(stored_key);
    return value;
}

gboolean
conv_output_parse_size(const char *key, const char *text, guint64 *value,
                       GError **error)
{
    guint64 n = 0, mult = 1;
    char *end = NULL;

    if (!g_ascii_isdigit(text[0]))
        goto bad;
    n = g_ascii_strtoull(text, &end, 10);
    switch (g_ascii_tolower(*end)) {
    case '\0': break;
    case 'b': end++; break;
    case 'k': mult = G_GUINT64_CONSTANT(1) << 10; end++; break;
    case 'm': mult = G_GUINT64_CONSTANT(1) << 20; end++; break;
    case 'g': mult = G_GUINT64_CONSTANT(1) << 30; end++; break;
    case 't': mult = G_GUINT64_CONSTANT(1) << 40; end++; break;
    default: goto bad;
    }
    if (*end != '\0' || n > G_MAXUINT64 / mult)
        goto bad;
    *value = n * mult;
    return TRUE;

 bad:
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                "-o %s=%s: not a size (bytes, or with a k/M/G suffix)",
                key, text);
    return FALSE;
}

static GHashTable *
conv_output_split_options(const char *text, GError **error)
{
    g_autoptr(GHashTable) table = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                        g_free, g_free);
    g_auto(GStrv) parts = NULL;
    gsize i;

    if (!text || !*text)
        return g_steal_pointer(&table);
    parts = g_strsplit(text, ",", -1);
    for (i = 0; parts[i]; i++) {
        const char *eq = strchr(parts[i], '=');

        if (!eq || eq == parts[i]) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                        "-o '%s': expected key=value", parts[i]);
            return NULL;
        }
        g_hash_table_replace(table, g_strndup(parts[i], eq - parts[i]),
                             g_strdup(eq + 1));
    }
    return g_steal_pointer(&table);
}

ConvOutput *
conv_output_new(ConvImage *src, const ConvConvertOptions *opts, GError **error)
{
    g_autoptr(ConvOutput) out = g_new0(ConvOutput, 1);
    GHashTableIter iter;
    gpointer key;

    out->src = src;
    out->opts = opts;
    out->size = conv_image_get_size(src);
    out->writer = conv_writer_find(opts->format);
    if (!out->writer) {
        g_autofree char *names = g_strjoinv(", ", (char **)conv_writer_name_list);

        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-O %s: ferry cannot write this format (it writes %s)",
                    opts->format ? opts->format : "(none)", names);
        return NULL;
    }
    out->options = conv_output_split_options(opts->options, error);
    if (!out->options)
        return NULL;
    if (!out->writer->plan(out, error))
        return NULL;
    /* Whatever plan() did not take is not an option of this format. */
    g_hash_table_iter_init(&iter, out->options);
    if (g_hash_table_iter_next(&iter, &key, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "-o %s: not an option of the %s output format",
                    (const char *)key, out->writer->name);
        return NULL;
    }
    return g_steal_pointer(&out);
}

guint64
conv_output_get_planned_size(const ConvOutput *out)
{
    return out->planned_size;
}

void
conv_output_free(ConvOutput *out)
{
    if (!out)
        return;
    g_assert(!out->engine);
    if (out->priv_free && out->priv)
        out->priv_free(out->priv);
    g_clear_pointer(&out->options, g_hash_table_unref);
    g_free(out);
}

gboolean
conv_output_emit(ConvOutput *out, ConvSink *sink, GError **error)
{
    g_autoptr(GError) local = NULL;
    GError *first = NULL;
    gboolean ok;

    if (!conv_engine_start(out, sink, &local)) {
        conv_engine_stop(out);
        conv_sink_abort(sink);
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    ok = out->writer->emit(out, sink, &local) &&
         conv_output_flush(out, &local);
    /* The pipeline's first error wins over a writer's success and over
     * whatever later error it caused: a writer may have carried on past a
     * call that could not report it. */
    first = conv_engine_take_error(out);
    if (first) {
        g_clear_error(&local);
        local = first;
        ok = FALSE;
    }
    conv_engine_stop(out);
    if (ok && out->opts->cancellable &&
        g_cancellable_set_error_if_cancelled(out->opts->cancellable, &local))
        ok = FALSE;
    if (ok)
        ok = conv_sink_commit(sink, &local);
    if (!ok) {
        conv_sink_abort(sink);
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (out->opts->progress)
        out->opts->progress(out->size, out->size, out->opts->progress_data);
    return TRUE;
}

gboolean
conv_output_copy_flat(ConvOutput *out, GError **error)
{
    ConvMapIter it;
    gboolean ok = TRUE;

    conv_map_iter_init(&it, out->src, 0, out->size);
    for (;;) {
        ConvExtent e;

        ok = conv_map_iter_next(&it, &e, error);
        if (!ok || e.length == 0)
            break;
        if (e.kind == CONV_EXTENT_DATA)
            ok = conv_output_copy(out, e.start, e.length, CONV_COPY_SPARSE,
                                  error);
        else
            ok = conv_output_skip(out, e.length, e.length, error);
        if (!ok)
            break;
    }
    conv_map_iter_clear(&it);
    return ok;
}
