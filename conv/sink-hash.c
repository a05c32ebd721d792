/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sink-hash.c: a sink layer that computes the SHA-256 of the stream on its
 * way to the layer below (OpenSSL EVP).  Holes count as the zeros they
 * read as, so the digest is that of the finished file, whichever sink sits
 * underneath.  It cannot patch: a rewrite would invalidate the digest.
 */
#include <config.h>

#include <openssl/evp.h>

#include "conv/writer-priv.h"

/* Zeros hashed at once for a hole. */
#define HASH_SINK_ZERO_BYTES (64 * 1024)

typedef struct {
    EVP_MD_CTX *ctx;
} HashSink;

static gboolean
hash_sink_update(ConvSink *sink, const void *buf, gsize len, GError **error)
{
    HashSink *hs = sink->priv;

    if (EVP_DigestUpdate(hs->ctx, buf, len) != 1) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "sha256: EVP_DigestUpdate failed");
        return FALSE;
    }
    return TRUE;
}

static gboolean
hash_sink_write(ConvSink *sink, const void *buf, gsize len, GError **error)
{
    return hash_sink_update(sink, buf, len, error) &&
           conv_sink_write(sink->next, buf, len, error);
}

static gboolean
hash_sink_skip(ConvSink *sink, guint64 len, GError **error)
{
    static const guint8 zeros[HASH_SINK_ZERO_BYTES];
    guint64 left = len;

    while (left > 0) {
        gsize n = (gsize)MIN(left, (guint64)sizeof(zeros));

        if (!hash_sink_update(sink, zeros, n, error))
            return FALSE;
        left -= n;
    }
    return conv_sink_skip(sink->next, len, error);
}

static gboolean
hash_sink_commit(ConvSink *sink, GError **error)
{
    HashSink *hs = sink->priv;
    guint8 md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    GString *hex;
    unsigned int i;

    if (EVP_DigestFinal_ex(hs->ctx, md, &md_len) != 1) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
                    "sha256: EVP_DigestFinal_ex failed");
        return FALSE;
    }
    if (!conv_sink_commit(sink->next, error))
        return FALSE;
    hex = g_string_sized_new(md_len * 2);
    for (i = 0; i < md_len; i++)
        g_string_append_printf(hex, "%02x", md[i]);
    sink->sha256 = g_string_free(hex, FALSE);
    return TRUE;
}

static void
hash_sink_abort(ConvSink *sink)
{
    conv_sink_abort(sink->next);
}

static void
hash_sink_free(ConvSink *sink)
{
    HashSink *hs = sink->priv;

    EVP_MD_CTX_free(hs->ctx);
    g_free(hs);
}

static const ConvSinkOps hash_sink_ops = {
    .name = "sha256",
    .write = hash_sink_write,
    .skip = hash_sink_skip,
    .commit = hash_sink_commit,
    .abort = hash_sink_abort,
    .free = hash_sink_free,
};

ConvSink *
conv_sink_new_sha256(ConvSink *next)
{
    HashSink *hs = g_new0(HashSink, 1);
    ConvSink *sink;
    gboolean ok;

    hs->ctx = EVP_MD_CTX_new();
    /* Only allocation can fail here, and GLib aborts on that too. */
    ok = hs->ctx && EVP_DigestInit_ex(hs->ctx, EVP_sha256(), NULL) == 1;
    if (!ok)
        g_error("sha256: cannot set up an OpenSSL digest context");
    sink = conv_sink_new(&hash_sink_ops, next, hs);
    sink->seekable = next->seekable;
    sink->patchable = FALSE;
    return sink;
}
