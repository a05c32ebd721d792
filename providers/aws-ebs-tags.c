/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-ebs-tags.c: what lets a resumed --method snapshot export keep the
 * disks an earlier run finished.  EBS has no object to stat: once a
 * disk's snapshot is completed, ferry tags it (EC2 CreateTags)
 *
 *   ferry:disk    BUCKET/FILE   the export's pool and the disk's file name
 *   ferry:sha256  the SHA-256 of the raw stream it was made from
 *
 * and a resume looks for a completed snapshot carrying BUCKET/FILE
 * (DescribeSnapshots, Owner self, tag and status filters), the newest if
 * several, and adopts it with its hash instead of starting the disk again.
 * The tag goes on after CompleteSnapshot and the wait for "completed", so
 * a snapshot that carries it holds the whole disk; one that is still
 * pending (a run killed mid-disk) never does.
 */
#include <config.h>

#include <string.h>

#include "providers/aws-target-priv.h"

#define AWS_EBS_TAG_DISK "ferry:disk"
#define AWS_EBS_TAG_SHA256 "ferry:sha256"

static char *
aws_ebs_tag_value(AwsTarget *at, const char *file)
{
    return g_strdup_printf("%s/%s", at->bucket, file);
}

gboolean
aws_ebs_tag_completed(AwsTarget *at, const char *snapshot_id,
                      const char *file, const char *sha256, GError **error)
{
    g_autoptr(GArray) p = aws_params_new();
    g_autoptr(AwsXml) x = NULL;
    g_autofree char *disk = aws_ebs_tag_value(at, file);

    aws_params_add(p, "ResourceId.1", snapshot_id);
    aws_params_add(p, "Tag.1.Key", AWS_EBS_TAG_DISK);
    aws_params_add(p, "Tag.1.Value", disk);
    aws_params_add(p, "Tag.2.Key", AWS_EBS_TAG_SHA256);
    aws_params_add(p, "Tag.2.Value", sha256);
    if (!aws_query(at->client, "ec2", "CreateTags", AWS_EC2_VERSION, p, &x,
                   error)) {
        g_prefix_error(error, "snapshot %s: ", snapshot_id);
        return FALSE;
    }
    return TRUE;
}

/* The SHA-256 tag of @snapshot_id, checked: 64 lower-case hex digits. */
static gboolean
aws_ebs_read_sha256(AwsTarget *at, const char *snapshot_id, char sha256[65],
                    GError **error)
{
    g_autoptr(GArray) p = aws_params_new();
    g_autoptr(AwsXml) x = NULL;
    g_auto(GStrv) keys = NULL, values = NULL;
    guint i;

    aws_params_add(p, "SnapshotId.1", snapshot_id);
    if (!aws_query(at->client, "ec2", "DescribeSnapshots", AWS_EC2_VERSION,
                   p, &x, error))
        return FALSE;
    /* Each tagSet item holds one key and one value, and nothing else in a
     * DescribeSnapshots answer is named so: the lists line up. */
    keys = aws_xml_find_all(x, "key");
    values = aws_xml_find_all(x, "value");
    for (i = 0; keys[i] && i < g_strv_length(values); i++) {
        if (!g_str_equal(keys[i], AWS_EBS_TAG_SHA256))
            continue;
        if (strlen(values[i]) == 64 &&
            strspn(values[i], "0123456789abcdef") == 64) {
            memcpy(sha256, values[i], 65);
            return TRUE;
        }
        break;
    }
    g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                "snapshot %s: no valid tag " AWS_EBS_TAG_SHA256, snapshot_id);
    return FALSE;
}

gboolean
aws_ebs_find_completed(AwsTarget *at, const char *file, char **snapshot_id,
                       char sha256[65], guint64 *size, GError **error)
{
    g_autoptr(GArray) p = aws_params_new();
    g_autoptr(AwsXml) x = NULL;
    g_autofree char *disk = aws_ebs_tag_value(at, file);
    g_auto(GStrv) ids = NULL, times = NULL, sizes = NULL;
    guint i, n, best = 0;
    guint64 gib;

    aws_params_add(p, "Owner.1", "self");
    aws_params_add(p, "Filter.1.Name", "tag:" AWS_EBS_TAG_DISK);
    aws_params_add(p, "Filter.1.Value.1", disk);
    aws_params_add(p, "Filter.2.Name", "status");
    aws_params_add(p, "Filter.2.Value.1", "completed");
    if (!aws_query(at->client, "ec2", "DescribeSnapshots", AWS_EC2_VERSION,
                   p, &x, error))
        return FALSE;
    ids = aws_xml_find_all(x, "snapshotId");
    times = aws_xml_find_all(x, "startTime");
    sizes = aws_xml_find_all(x, "volumeSize");
    n = g_strv_length(ids);
    if (n == 0) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
                    "'%s': no completed snapshot tagged " AWS_EBS_TAG_DISK
                    "=%s", file, disk);
        return FALSE;
    }
    if (g_strv_length(times) != n || g_strv_length(sizes) != n) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "ec2 DescribeSnapshots: '%s': %u snapshots but %u start "
                    "times and %u sizes", file, n, g_strv_length(times),
                    g_strv_length(sizes));
        return FALSE;
    }
    /* An export that was run again with --overwrite tagged another: the
     * newest is the one its manifest names.  EC2 writes every startTime
     * in the same ISO 8601 form, so strings compare as times do. */
    for (i = 1; i < n; i++) {
        if (strcmp(times[i], times[best]) > 0)
            best = i;
    }
    if (!g_str_has_prefix(ids[best], "snap-") ||
        strspn(ids[best], "snap-0123456789abcdef") != strlen(ids[best]) ||
        strlen(ids[best]) > 64 ||
        !g_ascii_string_to_unsigned(sizes[best], 10, 1, AWS_EBS_MAX_GIB,
                                    &gib, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "ec2 DescribeSnapshots: '%s': a snapshot id or size that "
                    "is none", file);
        return FALSE;
    }
    if (!aws_ebs_read_sha256(at, ids[best], sha256, error))
        return FALSE;
    *snapshot_id = g_strdup(ids[best]);
    *size = gib << 30;
    return TRUE;
}
