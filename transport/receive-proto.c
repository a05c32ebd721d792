/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * receive-proto.c: the frame header of the `ferry receive` protocol
 * (docs/receive-protocol.md), shared by the sender (ssh-receive.c) and the
 * receiver (agent/receive.c).  Both sides treat the other's frames as
 * hostile: a header is checked field by field against its type's rules
 * before anything is read or allocated for its payload.
 */
#include <config.h>

#include <string.h>

#include "transport/transport.h"

G_STATIC_ASSERT(sizeof(RECEIVE_HELLO_MAGIC) - 1 == 13);

static const char *const receive_frame_names[] = {
    [RECEIVE_FRAME_HELLO] = "HELLO",
    [RECEIVE_FRAME_READY] = "READY",
    [RECEIVE_FRAME_DATA] = "DATA",
    [RECEIVE_FRAME_HOLE] = "HOLE",
    [RECEIVE_FRAME_END] = "END",
    [RECEIVE_FRAME_RESULT] = "RESULT",
    [RECEIVE_FRAME_ERROR] = "ERROR",
};
G_STATIC_ASSERT(G_N_ELEMENTS(receive_frame_names) == RECEIVE_FRAME_LAST);

const char *
receive_frame_type_name(guint8 type)
{
    if (type == 0 || type >= RECEIVE_FRAME_LAST)
        return "unknown";
    return receive_frame_names[type];
}

static void
receive_put_be32(guint8 *p, guint32 v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, sizeof(v));
}

static void
receive_put_be64(guint8 *p, guint64 v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, sizeof(v));
}

static guint32
receive_get_be32(const guint8 *p)
{
    guint32 v;

    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_BE(v);
}

static guint64
receive_get_be64(const guint8 *p)
{
    guint64 v;

    memcpy(&v, p, sizeof(v));
    return GUINT64_FROM_BE(v);
}

void
receive_frame_encode(const ReceiveFrame *f, guint8 out[RECEIVE_FRAME_HEADER])
{
    out[0] = f->type;
    out[1] = f->flags;
    out[2] = out[3] = 0;
    receive_put_be32(out + 4, f->payload);
    receive_put_be64(out + 8, f->offset);
    receive_put_be64(out + 16, f->length);
}

static gboolean
receive_frame_bad(GError **error, const ReceiveFrame *f, const char *what)
{
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                "receive protocol: %s frame: %s",
                receive_frame_type_name(f->type), what);
    return FALSE;
}

gboolean
receive_frame_decode(const guint8 in[RECEIVE_FRAME_HEADER], ReceiveFrame *f,
                     GError **error)
{
    guint64 end;

    f->type = in[0];
    f->flags = in[1];
    f->payload = receive_get_be32(in + 4);
    f->offset = receive_get_be64(in + 8);
    f->length = receive_get_be64(in + 16);
    if (f->type == 0 || f->type >= RECEIVE_FRAME_LAST) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "receive protocol: unknown frame type %u", in[0]);
        return FALSE;
    }
    if (in[2] != 0 || in[3] != 0)
        return receive_frame_bad(error, f, "reserved bytes are not zero");
    if (f->type == RECEIVE_FRAME_DATA) {
        if (f->flags & ~RECEIVE_FLAG_DEFLATE)
            return receive_frame_bad(error, f, "unknown flags");
    } else if (f->flags != 0) {
        return receive_frame_bad(error, f, "flags must be zero");
    }

    switch ((ReceiveFrameType)f->type) {
    case RECEIVE_FRAME_HELLO:
        /* The one frame whose layout never changes between versions: the
         * version check depends on it. */
        if (f->payload != sizeof(RECEIVE_HELLO_MAGIC) - 1 || f->length != 0)
            return receive_frame_bad(error, f, "not a ferry receive greeting");
        return TRUE;
    case RECEIVE_FRAME_READY:
    case RECEIVE_FRAME_END:
        if (f->payload != 0 || f->length != 0)
            return receive_frame_bad(error, f, "payload and length must be 0");
        return TRUE;
    case RECEIVE_FRAME_DATA:
        if (f->length == 0 || f->length > RECEIVE_MAX_DATA)
            return receive_frame_bad(error, f,
                                     "length is 0 or over 4 MiB");
        if (f->payload == 0 || f->payload > RECEIVE_MAX_PAYLOAD)
            return receive_frame_bad(error, f,
                                     "payload is 0 or over its 4 MiB + 64 KiB cap");
        if (!(f->flags & RECEIVE_FLAG_DEFLATE) && f->payload != f->length)
            return receive_frame_bad(error, f,
                                     "uncompressed payload differs from length");
        break;
    case RECEIVE_FRAME_HOLE:
        if (f->payload != 0 || f->length == 0)
            return receive_frame_bad(error, f,
                                     "a hole has a length and no payload");
        break;
    case RECEIVE_FRAME_RESULT:
        if (f->payload != 64 || f->length != 0)
            return receive_frame_bad(error, f,
                                     "payload must be 64 hex digits");
        return TRUE;
    case RECEIVE_FRAME_ERROR:
        if (f->payload == 0 || f->payload > RECEIVE_MAX_MESSAGE ||
            f->length != 0)
            return receive_frame_bad(error, f,
                                     "message is empty or over 1024 bytes");
        return TRUE;
    case RECEIVE_FRAME_LAST:
    default:
        g_assert_not_reached();
    }
    if (!g_uint64_checked_add(&end, f->offset, f->length) ||
        end > G_MAXINT64)
        return receive_frame_bad(error, f, "offset + length overflows");
    return TRUE;
}
