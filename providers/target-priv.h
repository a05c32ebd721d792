/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * target-priv.h: what the generic target code (target.c) and the scheme
 * backends (target-file.c, target-ssh.c) share.  Not for other folders;
 * unit tests may include it.
 */
#pragma once

#include <sys/types.h>

#include "providers/providers.h"

G_BEGIN_DECLS

/* One backend per URI scheme.  Names handed to the callbacks are file
 * names in the pool (checked by target_check_name(), ".part" included),
 * never paths: a backend resolves them under the pool itself, so that
 * nothing it creates can be redirected by a planted symbolic link.  An
 * upload handle is a backend's own. */
struct ferry_target {
    const char *scheme;
    gboolean (*connect)(Target *t, GError **error);
    void (*disconnect)(Target *t);
    gboolean (*free_space)(Target *t, guint64 *bytes, GError **error);
    gboolean (*stat)(Target *t, const char *name, guint64 *size,
                     GError **error);
    gboolean (*unlink)(Target *t, const char *name, GError **error);
    /* Gives @from the final mode (and group), then renames it to @to,
     * which must not exist yet. */
    gboolean (*rename)(Target *t, const char *from, const char *to,
                       GError **error);
    /* Creates @name, mode 0600, which must not exist (or continues it at
     * *@resume, cutting what lies past).  A backend whose far end checks
     * what it kept may lower *@resume to the offset it verified. */
    gpointer (*upload_open)(Target *t, const char *name, guint64 *resume,
                            GError **error);
    gboolean (*upload_write)(gpointer h, const void *buf, gsize len,
                             GError **error);
    gboolean (*upload_skip)(gpointer h, guint64 len, GError **error);
    /* Sets the size, fsyncs and closes; no rename. */
    gboolean (*upload_finish)(gpointer h, GError **error);
    /* Closes an unfinished upload, leaving the file as it is. */
    void (*upload_close)(gpointer h);
    /* The SHA-256 (hex) of @name as the target computes it. */
    char *(*sha256)(Target *t, const char *name, GError **error);
    /* Optional (NULL for file and ssh): see target_finish_export(). */
    gboolean (*finish_export)(Target *t, const TargetExport *exp,
                              char **image_id, GError **error);
    /* Optional: see target_get_output_format(). */
    const char *(*output_format)(const Target *t, const char **options);
    /* Optional: frees t->priv when the target is freed. */
    void (*free_priv)(Target *t);
    /* How the bytes travel (target_get_transport()); NULL: the scheme. */
    const char *(*transport)(const Target *t);
    /* Optional: the cloud's id of what finished file @name became (a
     * managed disk's resource id), owned, or NULL. */
    char *(*resource_id)(Target *t, const char *name);
    /* Optional, instead of the sink asking sha256() for a ".part": for a
     * backend that cannot hash what it holds (Azure keeps no hash of a
     * page blob) but whose upload_finish checked what landed piece by
     * piece (Content-MD5 on each Put Page, Get Page Ranges).  Told the
     * stream's SHA-256 of @name, it keeps it for rename() and sha256(), or
     * fails (FERRY_ERROR_CHECKSUM) if it has a hash of its own that
     * differs. */
    gboolean (*adopt_sha256)(Target *t, const char *name,
                             const char *sha256, GError **error);
    /* Optional: for an upload whose requests do not carry what
     * upload_write is handed (Azure's page upload sends only the windows
     * that hold data, and a resumed one not those that landed already):
     * from now on @h adds the bytes it sends to *@sent (which outlives
     * it) and the sink counts nothing itself.  FALSE leaves the counting
     * to the sink (upload_write's bytes, as for file and ssh). */
    gboolean (*upload_count_sent)(gpointer h, guint64 *sent);
};

extern const struct ferry_target target_file_backend;
extern const struct ferry_target target_ssh_backend;
extern const struct ferry_target target_aws_backend;
extern const struct ferry_target target_cloudstack_backend;
extern const struct ferry_target target_azure_backend;
extern const struct ferry_target target_azure_disk_backend;

struct _Target {
    const struct ferry_target *backend;   /* immutable after new */
    char *name;                           /* the URI without secrets */
    char *pool;                           /* the pool directory */
    char *host;                           /* ssh: */
    char *user;
    guint16 port;
    const TargetOptions *opts;            /* borrowed */
    guint file_mode;                      /* of finished files; immutable */
    gboolean set_file_gid;                /* file:// only; immutable */
    gid_t file_gid;
    GCancellable *cancellable;            /* owned reference, or NULL */
    gpointer priv;                        /* the backend's connection */
    guint64 upload_size_hint;             /* target_set_upload_size_hint() */
    char *domain_xml;                     /* target_set_domain_xml() */
    char *guest_os_type;                  /* target_set_guest_os_type() */
    /* Set by target_write_file() around its upload: a small file a
     * backend may send its cheapest way (ssh: SFTP, not a `ferry receive`
     * process per file). */
    gboolean small_upload;
    /* ssh:// parallel streams: an upload that stopped had written the
     * first @stopped_prefix bytes of @stopped_name in full, past which its
     * .part may hold gaps; a resume of it keeps no more.  Outlives the
     * connection. */
    char *stopped_name;
    guint64 stopped_prefix;
};

/* aws://REGION[/BUCKET] (target-aws.c), called by target.c's parser. */
gboolean target_aws_parse_uri(Target *t, const char *uri, GUri *u,
                              GError **error);

/* cloudstack://MGMT[:PORT]/ZONE?storage=POOL (target-cloudstack.c). */
gboolean target_cloudstack_parse_uri(Target *t, const char *uri, GUri *u,
                                     GError **error);
/* azure://ACCOUNT/CONTAINER[/PREFIX] (target-azure.c): t->host is the
 * account, t->pool "CONTAINER[/PREFIX]", t->user the prefix ("" or
 * "PREFIX/"). */
gboolean target_azure_parse_uri(Target *t, const char *uri, GUri *u,
                                GError **error);

/* azure-disk://SUB/RG?location=L (target-azure-disk.c): t->pool is the
 * local manifest directory. */
gboolean target_azure_disk_parse_uri(Target *t, const char *uri, GUri *u,
                                     GError **error);

/* Whether domain XML @xml boots UEFI: <os firmware='efi'> or a pflash
 * <loader> (aws:// BootMode, azure-disk:// hyperVGeneration). */
gboolean target_domain_is_uefi(const char *xml);

/* "<pool>/<name>" (owned). */
char *target_path(const Target *t, const char *name);

/* adopt_sha256 for a backend that keeps the hashes of what it sent in
 * @hashes (name -> hex): one it computed itself for @name must equal the
 * stream's @sha256 (FERRY_ERROR_CHECKSUM otherwise); then @sha256 is kept
 * for @name. */
gboolean target_hashes_adopt(const Target *t, GHashTable *hashes,
                             const char *name, const char *sha256,
                             GError **error);

G_END_DECLS
