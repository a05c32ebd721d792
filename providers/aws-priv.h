/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-priv.h: what providers/aws-*.c share: SigV4 signing
 * (aws-sigv4.c), credentials and endpoints as the AWS tools read them
 * (aws-config.c), the XML answers of S3, EC2, IAM and STS (aws-xml.c),
 * signed calls (aws-call.c) and the aws:// target (target-aws.c).  Not for
 * other folders; unit tests and fuzz targets may include it.
 */
#pragma once

#include "providers/target-priv.h"

G_BEGIN_DECLS

/* ---- SigV4 (aws-sigv4.c) ------------------------------------------------
 * AWS Signature Version 4 with an Authorization header, as the
 * "Signature Version 4 signing process" pages specify it, checked against
 * AWS's own test suite (tests/unit/test-sigv4.c). */

#define AWS_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define AWS_EMPTY_SHA256 \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
    char *name;                  /* as given; compared without case */
    char *value;
} AwsHeader;

typedef struct {
    char *key;                   /* decoded */
    char *value;                 /* decoded */
} AwsQueryParam;

/* A request to sign.  Strings are borrowed. */
typedef struct {
    const char *method;
    const char *path;            /* decoded bytes, "/" for none */
    /* decoded pairs; NULL or an array of AwsQueryParam */
    const GArray *query;
    /* GArray of AwsHeader, Host and X-Amz-Date included */
    const GArray *headers;
    const char *payload_sha256;  /* lowercase hex */
    const char *region;
    const char *service;
    const char *amz_date;        /* "20150830T123600Z" */
    /* S3 signs the path as it is; every other service removes dot
     * segments and repeated slashes first (RFC 3986 5.2.4). */
    gboolean normalize_path;
} AwsSigv4Request;

/* The steps, for tests and debugging (owned strings). */
typedef struct {
    char *canonical_request;
    char *string_to_sign;
    char *signed_headers;
    char *signature;             /* lowercase hex */
    char *authorization;         /* the Authorization header's value */
} AwsSigv4Result;

void aws_sigv4_result_clear(AwsSigv4Result *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AwsSigv4Result, aws_sigv4_result_clear)

/* RFC 3986 unreserved characters kept, every other byte as %XX (upper
 * case); '/' kept when @keep_slash.  Owned. */
char *aws_uri_encode(const char *s, gboolean keep_slash);
/* The canonical query string: pairs encoded, sorted by key then value. */
char *aws_canonical_query(const GArray *query);
/* "/a/./b/../c//d" -> "/a/c/d" (a trailing slash kept). */
char *aws_normalize_path(const char *path);

void aws_sigv4_sign(const AwsSigv4Request *req, const char *access_key,
                    const char *secret_key, AwsSigv4Result *out);

/* Lowercase hex SHA-256 of @len bytes (65 bytes in @hex). */
void aws_sha256_hex(const void *data, gsize len, char hex[65]);
/* Base64 SHA-256 (as x-amz-checksum-sha256 wants it); owned. */
char *aws_sha256_base64(const void *data, gsize len);

/* ---- credentials and endpoints (aws-config.c) ---------------------------- */

typedef struct {
    char *access_key;
    char *secret_key;            /* never logged */
    char *session_token;         /* or NULL; never logged */
    char *source;                /* "environment", "profile 'x'" */
} AwsCredentials;

void aws_credentials_clear(AwsCredentials *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AwsCredentials, aws_credentials_clear)

/* The largest ~/.aws/credentials or config read. */
#define AWS_MAX_CONFIG_BYTES (1024 * 1024)

/* A lookup of environment variables (g_getenv, or a test's table). */
typedef const char *(*AwsGetenvFunc)(const char *name, gpointer data);

/**
 * aws_credentials_load:
 * In the AWS CLI's order: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN; else the profile AWS_PROFILE (or "default") from
 * AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then from
 * AWS_CONFIG_FILE (~/.aws/config, "[profile NAME]" sections).
 * FERRY_ERROR_AUTH naming where it looked when none is found;
 * FERRY_ERROR_CORRUPT for a file over AWS_MAX_CONFIG_BYTES.
 */
gboolean aws_credentials_load(AwsGetenvFunc getenv_fn, gpointer data,
                              AwsCredentials *out, GError **error);

/* The region of the profile, as AWS_REGION / AWS_DEFAULT_REGION / config's
 * "region" give it; NULL if none (owned). */
char *aws_config_region(AwsGetenvFunc getenv_fn, gpointer data);

/**
 * aws_endpoint_url:
 * @service: "s3", "ec2", "iam", "sts", "ebs"
 *
 * AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else the service's
 * public endpoint in @region (IAM is global: iam.amazonaws.com).  No
 * trailing slash; FERRY_ERROR_INVALID for a URL that is not http(s).
 */
char *aws_endpoint_url(AwsGetenvFunc getenv_fn, gpointer data,
                       const char *service, const char *region,
                       GError **error);

/* ---- XML answers (aws-xml.c) --------------------------------------------- */

/* The largest XML answer parsed (also HTTP_MAX_BODY bounds it). */
#define AWS_MAX_XML_BYTES (4 * 1024 * 1024)

typedef struct _AwsXml AwsXml;

/* Parses @len bytes (no DTD, no entities, no network): NULL with
 * FERRY_ERROR_CORRUPT for malformed or oversized input. */
AwsXml *aws_xml_parse(const void *data, gsize len, GError **error);
void aws_xml_free(AwsXml *x);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AwsXml, aws_xml_free)

/* The text of the first element named @path ("Account", or a chain of
 * local names "Error/Code") under the root, anywhere below it; NULL if
 * absent (owned).  Namespaces are ignored. */
char *aws_xml_find(const AwsXml *x, const char *path);
/* The texts of every element with the local name @name (owned strv). */
char **aws_xml_find_all(const AwsXml *x, const char *name);
/* Name of the root element (borrowed). */
const char *aws_xml_root_name(const AwsXml *x);

/* An AWS error body (S3's <Error>, EC2's <Response><Errors><Error>, the
 * query APIs' <ErrorResponse><Error>): @code and @message owned, either
 * NULL when absent.  FALSE when the body is not such an error. */
gboolean aws_xml_parse_error(const void *data, gsize len, char **code,
                             char **message);

G_END_DECLS
