/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-priv.h: what the generic target code (target.c) and the scheme
 * backends (target-file.c, target-ssh.c) share.  Not for other folders;
 * unit tests may include it.
 */
#pragma once

#include "providers/providers.h"

G_BEGIN_DECLS

/* One backend per URI scheme.  Paths handed to the callbacks are full
 * paths on the target.  An upload handle is a backend's own. */
struct ferry_target {
    const char *scheme;
    gboolean (*connect)(Target *t, GError **error);
    void (*disconnect)(Target *t);
    gboolean (*free_space)(Target *t, guint64 *bytes, GError **error);
    gboolean (*stat)(Target *t, const char *path, guint64 *size,
                     GError **error);
    gboolean (*unlink)(Target *t, const char *path, GError **error);
    gboolean (*rename)(Target *t, const char *from, const char *to,
                       GError **error);
    /* Creates @path (or continues it at @resume, cutting what lies past). */
    gpointer (*upload_open)(Target *t, const char *path, guint64 resume,
                            GError **error);
    gboolean (*upload_write)(gpointer h, const void *buf, gsize len,
                             GError **error);
    gboolean (*upload_skip)(gpointer h, guint64 len, GError **error);
    /* Sets the size, fsyncs and closes; no rename. */
    gboolean (*upload_finish)(gpointer h, GError **error);
    /* Closes an unfinished upload, leaving the file as it is. */
    void (*upload_close)(gpointer h);
    /* The SHA-256 (hex) of @path as the target computes it. */
    char *(*sha256)(Target *t, const char *path, GError **error);
};

extern const struct ferry_target target_file_backend;
extern const struct ferry_target target_ssh_backend;

struct _Target {
    const struct ferry_target *backend;   /* immutable after new */
    char *name;                           /* the URI without secrets */
    char *pool;                           /* the pool directory */
    char *host;                           /* ssh: */
    char *user;
    guint16 port;
    const TargetOptions *opts;            /* borrowed */
    GCancellable *cancellable;            /* owned reference, or NULL */
    gpointer priv;                        /* the backend's connection */
};

/* SHA-256 with OpenSSL (6x GLib's GChecksum here: 1.4 GB/s against
 * 0.22), for the stream and for file:// re-reads. */
typedef struct _TargetHash TargetHash;
TargetHash *target_hash_new(void);
void target_hash_update(TargetHash *h, const void *buf, gsize len);
/* Lowercase hex into @hex; the hash cannot be updated afterwards. */
void target_hash_finish(TargetHash *h, char hex[65]);
void target_hash_free(TargetHash *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TargetHash, target_hash_free)

/* "<pool>/<name>" (owned). */
char *target_path(const Target *t, const char *name);

G_END_DECLS
