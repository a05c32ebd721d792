/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-ebs.c: --method snapshot for the aws:// target: each disk becomes
 * an EBS snapshot through the EBS direct APIs (EBS user guide, "Use EBS
 * direct APIs to access the contents of an EBS snapshot"), and the
 * snapshots an AMI through EC2 RegisterImage:
 *
 *   StartSnapshot       POST /snapshots {"VolumeSize": GiB, "Timeout": 60,
 *                       "ClientToken": a UUID per call}
 *   PutSnapshotBlock    PUT /snapshots/ID/blocks/INDEX, 512 KiB of data,
 *                       x-amz-Data-Length, x-amz-Checksum (base64 SHA-256)
 *                       and x-amz-Checksum-Algorithm SHA256; only for
 *                       blocks that hold data (a block never written reads
 *                       as zeros), AWS_EBS_BLOCKS_IN_FLIGHT at a time
 *   CompleteSnapshot    POST /snapshots/completion/ID with
 *                       x-amz-ChangedBlocksCount
 *   DescribeSnapshots   (EC2) until the snapshot is "completed"
 *   RegisterImage       (EC2) hvm, EnaSupport, BootMode from the domain's
 *                       firmware, /dev/xvda the root snapshot and
 *                       /dev/xvdb... the data disks
 *
 * The disk arrives as raw bytes (target_get_output_format()), holes as
 * skips; the stream's SHA-256 (zeros for holes) is what the export
 * verifies.  A snapshot that fails or is cancelled is deleted
 * (DeleteSnapshot); one that cannot be is dropped by EBS when its
 * Timeout passes.
 */
#include <config.h>

#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/sha.h>
#include <string.h>

#include "providers/aws-target-priv.h"

/* Blocks sent at once: EBS direct APIs take about 1,000 PutSnapshotBlock
 * requests per second per account; 8 of 512 KiB keeps a link busy
 * without holding more than 4.5 MiB of buffers. */
#define AWS_EBS_BLOCKS_IN_FLIGHT 8
/* Minutes before EBS gives up on a snapshot never completed. */
#define AWS_EBS_TIMEOUT_MIN "60"
/* A snapshot being completed is polled this long at most. */
#define AWS_EBS_MAX_WAIT_S (6 * 3600)

struct _AwsSnapshot {
    /* immutable after aws_ebs_snapshot_open() but snapshot_id */
    AwsTarget *at;               /* borrowed */
    char *name;                  /* the .part name ferry gave */
    char *snapshot_id;           /* NULL once completed */
    guint64 volume_bytes;
    guint poll_s;
    AwsPool *pool;

    /* the writer's thread only */
    guint64 block;               /* index of the block being filled */
    gsize fill;                  /* of the pool's current buffer */
    guint64 sent;                /* blocks submitted */
    GChecksum *stream;           /* SHA-256 of every byte, in order */
};

/* ---- one block ---------------------------------------------------------- */

/* PutSnapshotBlock of block @number, on a pool thread (AwsPoolSendFunc). */
static gboolean
aws_ebs_put_block(gpointer data, HttpClient *http, guint64 number,
                  const guint8 *buf, gsize len, char **result,
                  GError **error)
{
    AwsSnapshot *s = data;
    g_autofree char *path = g_strdup_printf("/snapshots/%s/blocks/%"
                                            G_GUINT64_FORMAT, s->snapshot_id,
                                            number);
    g_autofree char *b64 = NULL;
    g_autofree char *length = g_strdup_printf("%" G_GSIZE_FORMAT, len);
    g_auto(HttpResponse) resp = { 0 };
    guint8 md[SHA256_DIGEST_LENGTH];
    const char *headers[] = { "x-amz-Data-Length", length,
                              "x-amz-Checksum", NULL,
                              "x-amz-Checksum-Algorithm", "SHA256", NULL };
    AwsCall call = { .service = "ebs", .action = "PutSnapshotBlock",
                     .method = "PUT", .path = path, .headers = headers,
                     .content_type = "application/octet-stream",
                     .body = buf, .body_len = len, .http = http };
    char hex[65];
    guint i;

    SHA256(buf, len, md);
    for (i = 0; i < sizeof(md); i++)
        g_snprintf(hex + 2 * i, 3, "%02x", md[i]);
    b64 = g_base64_encode(md, sizeof(md));
    headers[3] = b64;
    call.payload_sha256 = hex;
    if (!aws_call(s->at->client, &call, &resp, error)) {
        g_prefix_error(error, "snapshot %s block %" G_GUINT64_FORMAT ": ",
                       s->snapshot_id, number);
        return FALSE;
    }
    return TRUE;
}

static gboolean
aws_ebs_is_zero(const guint8 *buf, gsize len)
{
    return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

/* The block being filled is full (padded with zeros at the end): sent
 * unless it is all zeros. */
static gboolean
aws_ebs_end_block(AwsSnapshot *s, guint8 *buf, GError **error)
{
    if ((s->block + 1) * AWS_EBS_BLOCK_SIZE > s->volume_bytes) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID,
                    "snapshot %s: the disk is larger than its volume (%"
                    G_GUINT64_FORMAT " bytes)", s->snapshot_id,
                    s->volume_bytes);
        return FALSE;
    }
    if (!aws_ebs_is_zero(buf, AWS_EBS_BLOCK_SIZE)) {
        if (!aws_pool_submit(s->pool, s->block, AWS_EBS_BLOCK_SIZE, error))
            return FALSE;
        s->sent++;
    }
    s->block++;
    s->fill = 0;
    return TRUE;
}

gboolean
aws_ebs_snapshot_write(AwsSnapshot *s, const void *buf, gsize len,
                       GError **error)
{
    const guint8 *p = buf;

    g_checksum_update(s->stream, buf, len);
    while (len) {
        gsize n = MIN(len, AWS_EBS_BLOCK_SIZE - s->fill);
        guint8 *dst = aws_pool_get_buffer(s->pool, error);

        if (!dst)
            return FALSE;
        memcpy(dst + s->fill, p, n);
        s->fill += n;
        p += n;
        len -= n;
        if (s->fill == AWS_EBS_BLOCK_SIZE && !aws_ebs_end_block(s, dst, error))
            return FALSE;
    }
    return TRUE;
}

gboolean
aws_ebs_snapshot_skip(AwsSnapshot *s, guint64 len, GError **error)
{
    static const guint8 zeros[64 * 1024];
    guint64 left = len;

    while (left) {
        guint8 *dst;
        gsize n;

        if (s->fill == 0 && left >= AWS_EBS_BLOCK_SIZE) {
            /* Whole blocks of zeros: nothing to send, only to hash. */
            guint64 k;

            for (k = 0; k < AWS_EBS_BLOCK_SIZE; k += sizeof(zeros))
                g_checksum_update(s->stream, zeros, sizeof(zeros));
            s->block++;
            left -= AWS_EBS_BLOCK_SIZE;
            continue;
        }
        dst = aws_pool_get_buffer(s->pool, error);
        if (!dst)
            return FALSE;
        n = (gsize)MIN(left, (guint64)(AWS_EBS_BLOCK_SIZE - s->fill));
        memset(dst + s->fill, 0, n);
        s->fill += n;
        left -= n;
        while (n) {
            gsize m = MIN(n, sizeof(zeros));

            g_checksum_update(s->stream, zeros, m);
            n -= m;
        }
        if (s->fill == AWS_EBS_BLOCK_SIZE && !aws_ebs_end_block(s, dst, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- the snapshot ------------------------------------------------------- */

/* A string member of a JSON object answer, or NULL (owned). */
static char *
aws_ebs_json_string(const HttpResponse *resp, const char *member)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;
    JsonObject *o;
    const char *v;

    if (!resp->body ||
        !ferry_json_depth_ok((const char *)resp->body->data, resp->body->len,
                             FERRY_MAX_JSON_DEPTH) ||
        !json_parser_load_from_data(parser, (const char *)resp->body->data,
                                    (gssize)resp->body->len, NULL))
        return NULL;
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    o = json_node_get_object(root);
    if (!json_object_has_member(o, member) ||
        !JSON_NODE_HOLDS_VALUE(json_object_get_member(o, member)) ||
        json_node_get_value_type(json_object_get_member(o, member)) !=
            G_TYPE_STRING)
        return NULL;
    v = json_object_get_string_member(o, member);
    return v ? g_strdup(v) : NULL;
}

AwsSnapshot *
aws_ebs_snapshot_open(AwsTarget *at, const char *name, guint64 size,
                      guint poll_s, GError **error)
{
    guint64 gib = (size + G_GUINT64_CONSTANT(0x3fffffff)) >> 30;
    g_autofree char *body = NULL, *desc = NULL, *id = NULL, *token = NULL;
    g_auto(HttpResponse) resp = { 0 };
    AwsCall call = { .service = "ebs", .action = "StartSnapshot",
                     .method = "POST", .path = "/snapshots",
                     .content_type = "application/json" };
    AwsSnapshot *s;

    gib = MAX(gib, 1);
    if (gib > AWS_EBS_MAX_GIB) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "'%s': %" G_GUINT64_FORMAT " GiB: an EBS volume holds "
                    "at most %u GiB", name, gib, AWS_EBS_MAX_GIB);
        return NULL;
    }
    desc = g_strescape(name, NULL);
    /* aws_call() retries a 5xx or a lost answer with the same body: the
     * ClientToken makes EBS answer a retry with the snapshot the first
     * try started, instead of starting a second one nobody would delete
     * (moto ignores it). */
    token = g_uuid_string_random();
    body = g_strdup_printf("{\"VolumeSize\":%" G_GUINT64_FORMAT ","
                           "\"Timeout\":" AWS_EBS_TIMEOUT_MIN ","
                           "\"ClientToken\":\"%s\","
                           "\"Description\":\"ferry export: %s\"}", gib,
                           token, desc);
    call.body = body;
    call.body_len = strlen(body);
    if (!aws_call(at->client, &call, &resp, error))
        return NULL;
    id = aws_ebs_json_string(&resp, "SnapshotId");
    if (!id || !g_str_has_prefix(id, "snap-") ||
        !ferry_check_text("SnapshotId", id, 64, NULL) ||
        strspn(id, "snap-0123456789abcdef") != strlen(id)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "ebs StartSnapshot: '%s': no SnapshotId in the answer",
                    name);
        return NULL;
    }
    s = g_new0(AwsSnapshot, 1);
    s->at = at;
    s->name = g_strdup(name);
    s->snapshot_id = g_steal_pointer(&id);
    s->volume_bytes = gib << 30;
    s->poll_s = poll_s ? poll_s : AWS_IMPORT_DEFAULT_POLL_S;
    s->stream = g_checksum_new(G_CHECKSUM_SHA256);
    s->pool = aws_pool_new(at->client, AWS_EBS_BLOCKS_IN_FLIGHT,
                           AWS_EBS_BLOCK_SIZE, FALSE, aws_ebs_put_block, s,
                           error);
    if (!s->pool) {
        aws_ebs_snapshot_free(s);
        return NULL;
    }
    g_debug("'%s': snapshot %s of %" G_GUINT64_FORMAT " GiB", name,
            s->snapshot_id, gib);
    return s;
}

/* DescribeSnapshots until @id is completed (or error, or too long). */
static gboolean
aws_ebs_wait_completed(AwsSnapshot *s, GError **error)
{
    gint64 give_up = g_get_monotonic_time() +
                     (gint64)AWS_EBS_MAX_WAIT_S * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GArray) p = aws_params_new();
        g_autoptr(AwsXml) x = NULL;
        g_autofree char *status = NULL, *message = NULL;

        aws_params_add(p, "SnapshotId.1", s->snapshot_id);
        if (!aws_query(s->at->client, "ec2", "DescribeSnapshots",
                       AWS_EC2_VERSION, p, &x, error))
            return FALSE;
        status = aws_xml_find(x, "status");
        if (!status) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "ec2 DescribeSnapshots: snapshot %s: no status in "
                        "the answer", s->snapshot_id);
            return FALSE;
        }
        if (g_str_equal(status, "completed"))
            return TRUE;
        if (g_str_equal(status, "error")) {
            message = aws_xml_find(x, "statusMessage");
            if (message && !ferry_check_text("statusMessage", message, 1024,
                                             NULL))
                g_clear_pointer(&message, g_free);
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "snapshot %s: error: %s", s->snapshot_id,
                        message ? message : "no reason given");
            return FALSE;
        }
        if (g_get_monotonic_time() > give_up) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "snapshot %s still %s after %u hours",
                        s->snapshot_id, status, AWS_EBS_MAX_WAIT_S / 3600);
            return FALSE;
        }
        if (!aws_import_sleep(s->at, MIN(s->poll_s, TARGET_AWS_MAX_POLL_S) *
                                         1000,
                              s->at->cancellable, error))
            return FALSE;
    }
}

gboolean
aws_ebs_snapshot_finish(AwsSnapshot *s, char **snapshot_id, char sha256[65],
                        GError **error)
{
    g_autofree char *path = g_strdup_printf("/snapshots/completion/%s",
                                            s->snapshot_id);
    g_autofree char *count = NULL, *file = NULL;
    g_auto(HttpResponse) resp = { 0 };
    const char *headers[] = { "x-amz-ChangedBlocksCount", NULL, NULL };
    AwsCall call = { .service = "ebs", .action = "CompleteSnapshot",
                     .method = "POST", .path = path, .headers = headers };

    if (s->fill) {
        guint8 *dst = aws_pool_get_buffer(s->pool, error);

        if (!dst)
            return FALSE;
        memset(dst + s->fill, 0, AWS_EBS_BLOCK_SIZE - s->fill);
        if (!aws_ebs_end_block(s, dst, error))
            return FALSE;
    }
    if (!aws_pool_drain(s->pool, error))
        return FALSE;
    count = g_strdup_printf("%" G_GUINT64_FORMAT, s->sent);
    headers[1] = count;
    if (!aws_call(s->at->client, &call, &resp, error) ||
        !aws_ebs_wait_completed(s, error)) {
        g_prefix_error(error, "'%s': ", s->name);
        return FALSE;
    }
    /* Tagged once completed, so that a resume adopts it (aws-ebs-tags.c);
     * untagged, it is deleted below like any unfinished one. */
    g_strlcpy(sha256, g_checksum_get_string(s->stream), 65);
    file = g_strndup(s->name, strlen(s->name) -
                                  (g_str_has_suffix(s->name, ".part")
                                       ? strlen(".part") : 0));
    if (!aws_ebs_tag_completed(s->at, s->snapshot_id, file, sha256, error)) {
        g_prefix_error(error, "'%s': ", s->name);
        return FALSE;
    }
    g_info("'%s': snapshot %s completed, %" G_GUINT64_FORMAT " blocks of "
           "%" G_GUINT64_FORMAT " sent", s->name, s->snapshot_id, s->sent,
           s->block);
    *snapshot_id = g_steal_pointer(&s->snapshot_id);
    return TRUE;
}

void
aws_ebs_snapshot_free(AwsSnapshot *s)
{
    if (!s)
        return;
    /* Blocks in flight end (a cancel cuts them short) first. */
    aws_pool_free(s->pool);
    if (s->snapshot_id) {
        g_autoptr(GArray) p = aws_params_new();
        g_autoptr(GError) error = NULL;
        g_auto(HttpResponse) resp = { 0 };
        g_autofree char *body = NULL;
        AwsCall call = { .service = "ec2", .action = "DeleteSnapshot",
                         .method = "POST", .path = "/", .cleanup = TRUE,
                         .content_type = "application/x-www-form-urlencoded;"
                                         " charset=utf-8" };

        body = g_strdup_printf("Action=DeleteSnapshot&Version="
                               AWS_EC2_VERSION "&SnapshotId=%s",
                               s->snapshot_id);
        call.body = body;
        call.body_len = strlen(body);
        if (!aws_call(s->at->client, &call, &resp, &error))
            g_warning("snapshot %s: %s", s->snapshot_id, error->message);
        g_free(s->snapshot_id);
    }
    g_free(s->name);
    g_checksum_free(s->stream);
    g_free(s);
}

const char *
aws_ebs_snapshot_get_name(const AwsSnapshot *s)
{
    return s->name;
}

/* ---- the image ---------------------------------------------------------- */

/* "arm64" for <type arch='aarch64'>, else "x86_64". */
static const char *
aws_ebs_architecture(const char *xml)
{
    xmlDocPtr doc;
    xmlNodePtr root, os, c;
    gboolean arm = FALSE;

    if (!xml)
        return "x86_64";
    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    for (os = root ? root->children : NULL; os; os = os->next) {
        if (os->type != XML_ELEMENT_NODE ||
            !g_str_equal((const char *)os->name, "os"))
            continue;
        for (c = os->children; c; c = c->next) {
            xmlChar *arch;

            if (c->type != XML_ELEMENT_NODE ||
                !g_str_equal((const char *)c->name, "type"))
                continue;
            arch = xmlGetProp(c, (const xmlChar *)"arch");
            arm |= arch && g_str_equal((const char *)arch, "aarch64");
            xmlFree(arch);
        }
    }
    xmlFreeDoc(doc);
    return arm ? "arm64" : "x86_64";
}

/* An AMI name: 3 to 128 of letters, digits and ()[] ./-'@_ (EC2 API
 * reference, RegisterImage, Name); other bytes of the VM name as '-'. */
static char *
aws_ebs_image_name(const char *vm)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *when = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
    g_autofree char *safe = g_strndup(vm, 96);
    char *c;

    for (c = safe; *c; c++) {
        if (!g_ascii_isalnum(*c) && !strchr("()[] ./-'@_", *c))
            *c = '-';
    }
    return g_strdup_printf("ferry-%s-%s", safe, when);
}

gboolean
aws_ebs_register_image(AwsTarget *at, const TargetExport *exp,
                       char **image_id, GError **error)
{
    g_autoptr(GArray) p = aws_params_new();
    g_autoptr(AwsXml) x = NULL;
    g_autofree char *name = aws_ebs_image_name(exp->vm);
    g_autofree char *desc = g_strdup_printf("ferry export of '%s'", exp->vm);
    g_autofree char *ami = NULL;
    guint i, n = g_strv_length((char **)exp->files);

    /* /dev/xvda to /dev/xvdz. */
    if (n == 0 || n > 26) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "domain '%s': %u disks: an image takes 1 to 26 here",
                    exp->vm, n);
        return FALSE;
    }
    aws_params_add(p, "Name", name);
    aws_params_add(p, "Description", desc);
    aws_params_add(p, "Architecture", aws_ebs_architecture(exp->domain_xml));
    aws_params_add(p, "VirtualizationType", "hvm");
    aws_params_add(p, "EnaSupport", "true");
    aws_params_add(p, "BootMode", aws_import_boot_mode(exp->domain_xml));
    aws_params_add(p, "RootDeviceName", "/dev/xvda");
    for (i = 0; i < n; i++) {
        const char *snap = g_hash_table_lookup(at->snapshots, exp->files[i]);
        g_autofree char *k_dev = g_strdup_printf(
            "BlockDeviceMapping.%u.DeviceName", i + 1);
        g_autofree char *k_snap = g_strdup_printf(
            "BlockDeviceMapping.%u.Ebs.SnapshotId", i + 1);
        g_autofree char *k_del = g_strdup_printf(
            "BlockDeviceMapping.%u.Ebs.DeleteOnTermination", i + 1);
        g_autofree char *k_type = g_strdup_printf(
            "BlockDeviceMapping.%u.Ebs.VolumeType", i + 1);
        g_autofree char *dev = g_strdup_printf("/dev/xvd%c", 'a' + i);

        if (!snap) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                        "domain '%s': disk %s: no snapshot made in this run",
                        exp->vm, exp->devs[i]);
            return FALSE;
        }
        aws_params_add(p, k_dev, dev);
        aws_params_add(p, k_snap, snap);
        aws_params_add(p, k_del, "true");
        aws_params_add(p, k_type, "gp3");
    }
    if (exp->phase)
        exp->phase("register", 0, "RegisterImage", exp->phase_data);
    if (!aws_query(at->client, "ec2", "RegisterImage", AWS_EC2_VERSION, p, &x,
                   error))
        return FALSE;
    ami = aws_xml_find(x, "imageId");
    if (!ami || !g_str_has_prefix(ami, "ami-") ||
        !ferry_check_text("imageId", ami, 64, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "ec2 RegisterImage: no imageId in the answer");
        return FALSE;
    }
    g_info("domain '%s': image %s", exp->vm, ami);
    if (exp->phase)
        exp->phase("register", 100, "completed", exp->phase_data);
    *image_id = g_steal_pointer(&ami);
    return TRUE;
}
