/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-call-priv.h: signed calls to AWS services (aws-call.c) and the
 * operations the aws:// target makes of them (aws-s3.c, aws-import.c).
 */
#pragma once

#include "providers/aws-priv.h"

G_BEGIN_DECLS

typedef struct {
    HttpClient *http;            /* cancelled with the export */
    HttpClient *http_cleanup;    /* never cancelled: aborts, deletes */
    /* Immutable after aws_client_new(): threads that each hold an
     * HttpClient of their own (aws_client_new_http()) may share the rest
     * for aws_call(). */
    AwsCredentials creds;
    char *region;
    GHashTable *endpoints;       /* service -> base URL */
    char *ca_file;               /* AWS_CA_BUNDLE, or NULL */
    GCancellable *cancellable;   /* borrowed */
} AwsClient;

AwsClient *aws_client_new(const char *region, GCancellable *cancellable,
                          GError **error);
void aws_client_free(AwsClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AwsClient, aws_client_free)
const char *aws_client_endpoint(AwsClient *c, const char *service);
/* Another HttpClient like @c->http (CA bundle, cancellable), for a thread
 * of its own: libcurl easy handles are used by one thread at a time. */
HttpClient *aws_client_new_http(AwsClient *c, GError **error);

typedef struct {
    const char *service;         /* "s3", "sts", "iam", "ec2", "ebs" */
    const char *action;          /* for messages: "UploadPart" */
    const char *method;
    const char *path;            /* decoded; NULL for "/" */
    const GArray *query;         /* of AwsQueryParam, or NULL */
    const char *const *headers;  /* name, value, name, value..., NULL */
    const char *content_type;
    const void *body;
    gsize body_len;
    const char *payload_sha256;  /* hex, if already known */
    gboolean cleanup;            /* on the never-cancelled client */
    HttpClient *http;            /* or NULL for the client's own */
} AwsCall;

GArray *aws_params_new(void);
void aws_params_add(GArray *params, const char *key, const char *value);

/* TRUE for a 2xx answer (in @resp); else the error, one line. */
gboolean aws_call(AwsClient *c, const AwsCall *call, HttpResponse *resp,
                  GError **error);
/* The query protocol (STS, IAM, EC2): a form POST, an XML answer. */
gboolean aws_query(AwsClient *c, const char *service, const char *action,
                   const char *version, GArray *params, AwsXml **out,
                   GError **error);
/* Always FALSE, with @resp's error as one line. */
gboolean aws_error_from_response(const char *service, const char *action,
                                 const HttpResponse *resp, GError **error);

G_END_DECLS
