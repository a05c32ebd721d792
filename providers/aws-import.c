/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aws-import.c: VM Import for the aws:// target (VM Import/Export user
 * guide, "Required service role" and "Importing a VM as an image"):
 *
 *   - the service role (vmimport, or --role) is read with IAM GetRole and
 *     created when absent: trusted by vmie.amazonaws.com under the
 *     ExternalId "vmimport", with an inline policy that reaches only the
 *     export's bucket.  When IAM refuses, the exact JSON to apply is
 *     handed to TargetOptions.notice and the error stays one line;
 *   - one ImportImage per VM, a DiskContainer per disk (at most 21), its
 *     ClientToken the SHA-256 of account, region, bucket, VM and each
 *     disk's key and hash: a resumed export asks for the same task, never
 *     a second import;
 *   - BootMode from the domain's firmware (<os firmware='efi'> or a
 *     pflash <loader>: uefi; else legacy-bios);
 *   - DescribeImportImageTasks polled (every --poll-interval seconds,
 *     default 15) with its progress and status message as the "import" phase,
 *     until completed (the AMI id) or deleted (AWS's message, failed);
 *   - the S3 objects deleted afterwards unless --keep-objects.
 */
#include <config.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "providers/aws-target-priv.h"

#define AWS_IAM_VERSION "2010-05-08"
/* VM Import may take hours on a big disk; stop waiting after this. */
#define AWS_IMPORT_MAX_WAIT_S (12 * 3600)

static const char aws_trust_policy[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
    "\"Principal\":{\"Service\":\"vmie.amazonaws.com\"},"
    "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":"
    "{\"sts:Externalid\":\"vmimport\"}}}]}";

char *
aws_import_role_policy(const char *bucket)
{
    return g_strdup_printf(
        "{\"Version\":\"2012-10-17\",\"Statement\":["
        "{\"Effect\":\"Allow\",\"Action\":[\"s3:GetBucketLocation\","
        "\"s3:GetObject\",\"s3:ListBucket\"],\"Resource\":["
        "\"arn:aws:s3:::%s\",\"arn:aws:s3:::%s/*\"]},"
        "{\"Effect\":\"Allow\",\"Action\":[\"ec2:ModifySnapshotAttribute\","
        "\"ec2:CopySnapshot\",\"ec2:RegisterImage\",\"ec2:Describe*\"],"
        "\"Resource\":\"*\"}]}", bucket, bucket);
}

static void
aws_import_notice_policy(AwsTarget *at, const TargetOptions *opts)
{
    g_autofree char *policy = aws_import_role_policy(at->bucket);
    g_autofree char *text = NULL;

    if (!opts->notice)
        return;
    text = g_strdup_printf(
        "IAM refused to manage role '%s'. Create it with this trust policy "
        "(aws iam create-role --role-name %s --assume-role-policy-document "
        "file://trust-policy.json):\n%s\nand this role policy (aws iam "
        "put-role-policy --role-name %s --policy-name vmimport "
        "--policy-document file://role-policy.json):\n%s\n",
        at->role, at->role, aws_trust_policy, at->role, policy);
    opts->notice(text, opts->notice_data);
}

gboolean
aws_import_ensure_role(AwsTarget *at, const TargetOptions *opts,
                       GError **error)
{
    g_autoptr(GArray) p = aws_params_new();
    g_autoptr(AwsXml) x = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *policy = NULL;

    if (!ferry_check_text("--role", at->role, 64, error))
        return FALSE;
    aws_params_add(p, "RoleName", at->role);
    if (aws_query(at->client, "iam", "GetRole", AWS_IAM_VERSION, p, &x,
                  &local))
        return TRUE;
    if (g_error_matches(local, FERRY_ERROR, FERRY_ERROR_AUTH)) {
        aws_import_notice_policy(at, opts);
        g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                   "role '%s': ", at->role);
        return FALSE;
    }
    if (!g_error_matches(local, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    g_clear_error(&local);
    aws_params_add(p, "AssumeRolePolicyDocument", aws_trust_policy);
    aws_params_add(p, "Description", "VM Import service role (ferry)");
    if (!aws_query(at->client, "iam", "CreateRole", AWS_IAM_VERSION, p, &x,
                   &local))
        goto refused;
    g_clear_pointer(&x, aws_xml_free);
    g_array_set_size(p, 0);
    policy = aws_import_role_policy(at->bucket);
    aws_params_add(p, "RoleName", at->role);
    aws_params_add(p, "PolicyName", "vmimport");
    aws_params_add(p, "PolicyDocument", policy);
    if (!aws_query(at->client, "iam", "PutRolePolicy", AWS_IAM_VERSION, p,
                   &x, &local))
        goto refused;
    g_info("created IAM role '%s' for VM Import", at->role);
    return TRUE;

refused:
    if (g_error_matches(local, FERRY_ERROR, FERRY_ERROR_AUTH))
        aws_import_notice_policy(at, opts);
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "role '%s': ",
                               at->role);
    return FALSE;
}

const char *
aws_import_boot_mode(const char *xml)
{
    return target_domain_is_uefi(xml) ? "uefi" : "legacy-bios";
}

static char *
aws_import_client_token(AwsTarget *at, const TargetExport *exp)
{
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint i;

    g_checksum_update(ck, (const guchar *)"ferry-import-1", -1);
    g_checksum_update(ck, (const guchar *)at->account, -1);
    g_checksum_update(ck, (const guchar *)at->region, -1);
    g_checksum_update(ck, (const guchar *)at->bucket, -1);
    g_checksum_update(ck, (const guchar *)exp->vm, -1);
    for (i = 0; exp->files[i]; i++) {
        g_checksum_update(ck, (const guchar *)exp->files[i], -1);
        g_checksum_update(ck, (const guchar *)exp->sha256[i], -1);
    }
    /* ClientToken: at most 64 ASCII characters. */
    return g_strdup(g_checksum_get_string(ck));
}

gboolean
aws_import_sleep(AwsTarget *at, guint ms, GCancellable *cancellable,
                 GError **error)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    while (g_get_monotonic_time() < end) {
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
        g_usleep(50 * 1000);
    }
    return TRUE;
}

static gboolean
aws_import_wait(AwsTarget *at, const TargetOptions *opts,
                const TargetExport *exp, const char *task,
                GCancellable *cancellable, char **image_id, GError **error)
{
    gint64 give_up = g_get_monotonic_time() +
                     (gint64)AWS_IMPORT_MAX_WAIT_S * G_USEC_PER_SEC;
    guint poll_s = opts->aws_poll_interval ? opts->aws_poll_interval
                                           : AWS_IMPORT_DEFAULT_POLL_S;

    for (;;) {
        g_autoptr(GArray) p = aws_params_new();
        g_autoptr(AwsXml) x = NULL;
        g_autofree char *status = NULL, *message = NULL, *progress = NULL;
        g_autofree char *ami = NULL;

        aws_params_add(p, "ImportTaskId.1", task);
        if (!aws_query(at->client, "ec2", "DescribeImportImageTasks",
                       AWS_EC2_VERSION, p, &x, error))
            return FALSE;
        status = aws_xml_find(x, "status");
        message = aws_xml_find(x, "statusMessage");
        progress = aws_xml_find(x, "progress");
        ami = aws_xml_find(x, "imageId");
        if (message && !ferry_check_text("statusMessage", message, 1024,
                                         NULL))
            g_clear_pointer(&message, g_free);
        if (!status) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                        "ec2 DescribeImportImageTasks: task %s: no status "
                        "in the answer", task);
            return FALSE;
        }
        if (exp->phase)
            exp->phase("import",
                       progress ? (int)CLAMP(g_ascii_strtoll(progress, NULL,
                                                             10), 0, 100)
                                : -1,
                       message ? message : status, exp->phase_data);
        if (g_str_equal(status, "completed")) {
            if (!ami || !ferry_check_text("imageId", ami, 64, NULL)) {
                g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                            "ec2 DescribeImportImageTasks: task %s completed "
                            "without an image id", task);
                return FALSE;
            }
            *image_id = g_steal_pointer(&ami);
            return TRUE;
        }
        if (g_str_equal(status, "deleted") ||
            g_str_equal(status, "deleting")) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "import task %s %s: %s", task, status,
                        message ? message : "no reason given");
            return FALSE;
        }
        if (g_get_monotonic_time() > give_up) {
            g_set_error(error, FERRY_ERROR, FERRY_ERROR_REMOTE,
                        "import task %s still %s after %u hours", task,
                        status, AWS_IMPORT_MAX_WAIT_S / 3600);
            return FALSE;
        }
        if (!aws_import_sleep(at, MIN(poll_s, TARGET_AWS_MAX_POLL_S) * 1000,
                              cancellable, error))
            return FALSE;
    }
}

gboolean
aws_import_run(AwsTarget *at, const TargetOptions *opts,
               const TargetExport *exp, char **image_id, GError **error)
{
    g_autoptr(GArray) p = aws_params_new();
    g_autoptr(AwsXml) x = NULL;
    g_autofree char *token = aws_import_client_token(at, exp);
    g_autofree char *task = NULL;
    g_autofree char *desc = g_strdup_printf("ferry export of '%s'", exp->vm);
    guint i, n = g_strv_length((char **)exp->files);

    if (n == 0 || n > AWS_IMPORT_MAX_DISKS) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_UNSUPPORTED,
                    "domain '%s': %u disks: ImportImage takes 1 to %u",
                    exp->vm, n, AWS_IMPORT_MAX_DISKS);
        return FALSE;
    }
    aws_params_add(p, "ClientToken", token);
    aws_params_add(p, "Description", desc);
    aws_params_add(p, "RoleName", at->role);
    aws_params_add(p, "BootMode", aws_import_boot_mode(exp->domain_xml));
    if (opts->aws_license_type)
        aws_params_add(p, "LicenseType", opts->aws_license_type);
    if (opts->aws_platform)
        aws_params_add(p, "Platform", opts->aws_platform);
    for (i = 0; i < n; i++) {
        g_autofree char *fmt = g_strdup_printf("DiskContainer.%u.Format",
                                               i + 1);
        g_autofree char *bkt = g_strdup_printf(
            "DiskContainer.%u.UserBucket.S3Bucket", i + 1);
        g_autofree char *key = g_strdup_printf(
            "DiskContainer.%u.UserBucket.S3Key", i + 1);
        g_autofree char *dsc = g_strdup_printf("DiskContainer.%u.Description",
                                               i + 1);

        aws_params_add(p, fmt, "VMDK");
        aws_params_add(p, bkt, at->bucket);
        aws_params_add(p, key, exp->files[i]);
        aws_params_add(p, dsc, exp->devs[i]);
    }
    if (exp->phase)
        exp->phase("import", 0, "ImportImage", exp->phase_data);
    if (!aws_query(at->client, "ec2", "ImportImage", AWS_EC2_VERSION, p, &x,
                   error))
        return FALSE;
    task = aws_xml_find(x, "importTaskId");
    if (!task || !ferry_check_text("importTaskId", task, 64, NULL)) {
        g_set_error(error, FERRY_ERROR, FERRY_ERROR_CORRUPT,
                    "ec2 ImportImage: no importTaskId in the answer");
        return FALSE;
    }
    g_info("domain '%s': import task %s", exp->vm, task);
    if (!aws_import_wait(at, opts, exp, task, at->cancellable, image_id,
                         error))
        return FALSE;
    if (!opts->aws_keep_objects) {
        for (i = 0; i < n; i++) {
            g_autoptr(GError) local = NULL;

            if (!aws_s3_delete_object(at, exp->files[i], &local))
                g_warning("%s", local->message);
        }
    }
    return TRUE;
}
