/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-export-job.c: the "export" job kind (agent/export-job.c): options
 * refused at Export with a message naming the option, the agent's
 * defaults filled in without overriding the caller's, and real runs on
 * the job queue: a two-disk domain of a libvirt test-driver host (an XML
 * file, no daemon) exported into a file:// pool, with the job's result
 * checked against the files; one disk of it chosen with "disks", and a
 * dev it does not have refused; and a Cancel mid-export (slowed by a
 * bandwidth limit) that leaves neither the disk nor its .part.
 */
#include <config.h>

#include <glib/gstdio.h>
#include <string.h>

#include "agent/jobs-priv.h"
#include "tests/unit/test-files.h"

/* ---- options ------------------------------------------------------------ */

static GVariant *
parsed(const char *text)
{
    return g_variant_ref_sink(g_variant_new_parsed(text));
}

/* check() then check_target() on @options must fail with INVALID and a
 * message containing @words. */
static void
check_refused(const char *target, const char *options, const char *words)
{
    g_autoptr(GVariant) o = parsed(options);
    g_autoptr(GError) error = NULL;
    const struct agent_job_kind *k = &agent_job_kind_export;
    gboolean ok;

    ok = k->check(o, &error) && k->check_target("vm1", target, o, &error);
    g_assert_false(ok);
    g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID);
    if (!strstr(error->message, words))
        g_error("'%s' not in: %s", words, error->message);
}

static void
test_check_format_unknown(void)
{
    check_refused("file:///p", "{'format': <'vmdk9'>}", "option 'format': 'vmdk9'");
}

static void
test_check_wrong_type(void)
{
    check_refused("file:///p", "{'accept-new': <'yes'>}",
                  "option 'accept-new': expected type 'b', got 's'");
    check_refused("file:///p", "{'format': <5>}", "option 'format': expected type 's'");
}

static void
test_check_relative_path(void)
{
    check_refused("file:///p", "{'identity': <'id_ed25519'>}",
                  "option 'identity': 'id_ed25519' is not an absolute path");
    check_refused("file:///p", "{'identity': <['/k1', 'k2']>}",
                  "option 'identity': 'k2' is not an absolute path");
    check_refused("file:///p", "{'known-hosts': <'kh'>}", "option 'known-hosts'");
}

static void
test_check_negative_bwlimit(void)
{
    check_refused("file:///p", "{'bwlimit': <int64 -1>}", "option 'bwlimit'");
}

static void
test_check_streams(void)
{
    g_autoptr(GVariant) four = parsed("{'streams': <uint32 4>}");
    g_autoptr(GVariant) sixteen = parsed("{'streams': <int64 16>}");
    g_autoptr(GError) error = NULL;

    check_refused("file:///p", "{'streams': <uint64 0>}",
                  "option 'streams': expected 1 to 16");
    check_refused("file:///p", "{'streams': <uint64 17>}", "option 'streams'");
    check_refused("file:///p", "{'streams': <int64 -4>}", "option 'streams'");
    check_refused("file:///p", "{'streams': <'4'>}", "option 'streams'");
    g_assert_true(agent_job_kind_export.check(four, &error));
    g_assert_no_error(error);
    g_assert_true(agent_job_kind_export.check_target("vm1", "ssh://root@h/pool",
                                                     sixteen, &error));
    g_assert_no_error(error);
}

static void
test_check_host_key(void)
{
    check_refused("file:///p", "{'host-key': <'MD5:aa'>}", "option 'host-key'");
}

static void
test_check_target_scheme(void)
{
    check_refused("s3://bucket/x", "@a{sv} {}", "unknown scheme 's3'");
    check_refused("ssh://u:secret@h/p", "@a{sv} {}", "password in the URI is refused");
    check_refused("file://p", "@a{sv} {}", "");
}

static void
test_check_aws(void)
{
    check_refused("aws://eu-west-1", "{'keep-objects': <'yes'>}",
                  "option 'keep-objects': expected type 'b', got 's'");
    check_refused("aws://eu-west-1", "{'poll-interval': <uint64 0>}",
                  "option 'poll-interval': expected 1 to 3600 seconds");
    check_refused("aws://eu-west-1", "{'poll-interval': <uint64 3601>}",
                  "option 'poll-interval'");
    check_refused("aws://eu-west-1", "{'license-type': <'FREE'>}",
                  "--license-type 'FREE'");
    check_refused("aws://eu-west-1", "{'platform': <'BeOS'>}",
                  "--platform 'BeOS'");
    check_refused("aws://eu-west-1", "{'role': <'a role'>}", "--role 'a role'");
}

/* azure-disk:// options; the agent, working in "/", has no default
 * manifest directory. */
static void
test_check_azure(void)
{
    const char *to = "azure-disk://s1/rg?location=westeurope";

    check_refused(to, "@a{sv} {}", "option 'manifest-dir' is required");
    check_refused(to, "{'manifest-dir': <'m'>}",
                  "option 'manifest-dir': 'm' is not an absolute path");
    check_refused(to, "{'manifest-dir': <'/m'>, 'os-type': <'BeOS'>}",
                  "--os-type 'BeOS'");
    check_refused(to, "{'manifest-dir': <'/m'>, 'overwrite': <'yes'>}",
                  "option 'overwrite': expected type 'b', got 's'");
    check_refused(to, "{'manifest-dir': <'/m'>, 'keep': <1>}",
                  "option 'keep'");
}

static void
test_check_aws_accepted(void)
{
    g_autoptr(GVariant) o = parsed(
        "{'method': <'import-image'>, 'role': <'vmimport-2'>, "
        "'keep-objects': <true>, 'no-import': <false>, "
        "'license-type': <'BYOL'>, 'platform': <'Linux'>, "
        "'poll-interval': <uint32 5>}");
    g_autoptr(GError) error = NULL;

    g_assert_true(agent_job_kind_export.check(o, &error));
    g_assert_no_error(error);
    g_assert_true(agent_job_kind_export.check_target("vm1", "aws://eu-west-1/my-bucket",
                                                     o, &error));
    g_assert_no_error(error);
}

static void
test_check_template(void)
{
    check_refused("file:///p", "{'name': <'{disk}.img'>}", "'{disk}'");
}

static void
test_check_accepts_good_options(void)
{
    g_autoptr(GVariant) o = parsed(
        "{'format': <'raw'>, 'identity': <['/k1', '/k2']>, 'accept-new': <true>, "
        "'bwlimit': <int64 1048576>, 'host-key': <'SHA256:abc'>, "
        "'name': <'{vm}-{index}.{ext}'>, 'connect': <'test:///default'>}");
    g_autoptr(GError) error = NULL;

    g_assert_true(agent_job_kind_export.check(o, &error));
    g_assert_no_error(error);
    g_assert_true(agent_job_kind_export.check_target("vm1", "ssh://root@h:2222/pool", o,
                                                     &error));
    g_assert_no_error(error);
}

static void
test_options_defaults(void)
{
    g_autoptr(AgentConfig) config = agent_config_new_default();
    g_autoptr(GVariant) in = parsed("{'format': <'raw'>, 'kind': <'export'>}");
    g_autoptr(GVariant) out = NULL;
    g_autoptr(GVariant) none = parsed("@a{sv} {}");
    g_autoptr(GVariant) bare = NULL;
    const char *s = NULL, *key = NULL;
    guint64 t = 0;

    config->known_hosts = g_strdup("/etc/ferry/kh");
    config->connect = g_strdup("qemu:///system");
    config->bandwidth_limit = 5000;
    config->streams = 3;
    out = g_variant_ref_sink(agent_export_job_options(in, config));
    g_assert_true(g_variant_lookup(out, "format", "&s", &s));
    g_assert_cmpstr(s, ==, "raw");                      /* the caller's stays */
    g_assert_true(g_variant_lookup(out, "known-hosts", "&s", &s));
    g_assert_cmpstr(s, ==, "/etc/ferry/kh");
    g_assert_true(g_variant_lookup(out, "connect", "&s", &s));
    g_assert_cmpstr(s, ==, "qemu:///system");
    g_assert_true(g_variant_lookup(out, "bwlimit", "t", &t));
    g_assert_cmpuint(t, ==, 5000);
    g_assert_true(g_variant_lookup(out, "streams", "t", &t));
    g_assert_cmpuint(t, ==, 3);
    g_assert_true(g_variant_lookup(out, "kind", "&s", &s));
    g_assert_false(g_variant_lookup(out, "identity", "&s", &s));
    /* The defaults are not file options given by the caller. */
    g_assert_false(agent_export_job_names_files(in, &key));
    g_assert_true(agent_export_job_names_files(out, &key));
    g_assert_cmpstr(key, ==, "known-hosts");
    bare = g_variant_ref_sink(agent_export_job_options(none, config));
    g_assert_true(g_variant_lookup(bare, "format", "&s", &s));
    g_assert_cmpstr(s, ==, "qcow2");
}

/* ---- runs --------------------------------------------------------------- */

typedef struct {
    char *dir;
    char *uri;           /* test://<dir>/host.xml */
    char *disk;          /* the raw source of vda */
    char *disk2;         /* vdb's: DISK2_BYTES of 0x5a */
    char *pool;
    AgentJobQueue *queue;
} Fixture;

#define DISK_BYTES (8u << 20)
#define DISK2_BYTES (1u << 20)

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL, *host = NULL, *state = NULL;
    g_autofree guint8 *bytes = g_malloc0(DISK_BYTES);
    guint i;

    f->dir = g_dir_make_tmp("ferry-test-export-job-XXXXXX", &error);
    g_assert_no_error(error);
    f->disk = g_build_filename(f->dir, "disk.raw", NULL);
    f->disk2 = g_build_filename(f->dir, "disk2.raw", NULL);
    f->pool = g_build_filename(f->dir, "pool", NULL);
    state = g_build_filename(f->dir, "state", NULL);
    g_assert_cmpint(g_mkdir(f->pool, 0700), ==, 0);
    /* Data in the first and last MiB, zeros between. */
    for (i = 0; i < (1u << 20); i++) {
        bytes[i] = (guint8)(i * 7 + 1);
        bytes[DISK_BYTES - 1 - i] = (guint8)(i * 13 + 5);
    }
    g_assert_true(g_file_set_contents(f->disk, (char *)bytes, DISK_BYTES, NULL));
    memset(bytes, 0x5a, DISK2_BYTES);
    g_assert_true(g_file_set_contents(f->disk2, (char *)bytes, DISK2_BYTES, NULL));
    xml = g_strdup_printf(
        "<node><domain type='test' "
        "xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
        "<name>vm1</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64'>hvm</type></os><test:runstate>5</test:runstate>"
        "<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        "<source file='%s'/><target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        "<source file='%s'/><target dev='vdb' bus='virtio'/></disk></devices>"
        "</domain></node>", f->disk, f->disk2);
    host = g_build_filename(f->dir, "host.xml", NULL);
    g_assert_true(g_file_set_contents(host, xml, -1, NULL));
    f->uri = g_strdup_printf("test://%s", host);
    f->queue = agent_job_queue_new(state, 1, &error);
    g_assert_no_error(error);
    agent_job_queue_start(f->queue);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    agent_job_queue_free(f->queue);
    test_remove_tree(f->dir);
    g_free(f->dir);
    g_free(f->uri);
    g_free(f->disk);
    g_free(f->disk2);
    g_free(f->pool);
}

static gboolean
timed_out(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

static void
wait_for_final(AgentJob *job)
{
    gboolean timeout = FALSE;
    guint id = g_timeout_add_seconds(30, timed_out, &timeout);

    while (!agent_job_state_is_final(agent_job_get_state(job)) && !timeout)
        g_main_context_iteration(NULL, TRUE);
    if (!timeout)
        g_source_remove(id);
    g_assert_true(agent_job_state_is_final(agent_job_get_state(job)));
}

static AgentJob *
add_export_disks(Fixture *f, guint64 bwlimit, const char *const *disks)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *to = g_strdup_printf("file://%s", f->pool);
    GVariantDict d;
    AgentJob *job;

    g_variant_dict_init(&d, NULL);
    g_variant_dict_insert(&d, "connect", "s", f->uri);
    g_variant_dict_insert(&d, "format", "s", "raw");
    if (bwlimit)
        g_variant_dict_insert(&d, "bwlimit", "t", bwlimit);
    job = agent_job_queue_add(f->queue, "vm1", to, disks, g_variant_dict_end(&d), &error);
    g_assert_no_error(error);
    return job;
}

static AgentJob *
add_export(Fixture *f, guint64 bwlimit)
{
    return add_export_disks(f, bwlimit, NULL);
}

static char *
sha256_of(const char *path)
{
    g_autofree char *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
}

static void
test_run_to_file_pool(Fixture *f, gconstpointer data)
{
    g_autoptr(AgentJob) job = add_export(f, 0);
    g_autofree char *out = g_build_filename(f->pool, "vm1-vda.raw", NULL);
    g_autofree char *manifest_path = g_build_filename(f->pool, "vm1.ferry.json", NULL);
    g_autofree char *part = g_build_filename(f->pool, "vm1-vda.raw.part", NULL);
    g_autofree char *want = NULL, *src = NULL, *dst = NULL;
    g_autoptr(GVariant) disks = NULL;
    g_autoptr(GVariant) disk = NULL;
    const char *manifest = NULL, *sha = NULL, *file = NULL;
    guint64 resumed = 1;
    gsize src_len, dst_len;

    wait_for_final(job);
    g_assert_cmpstr(agent_job_state_name(agent_job_get_state(job)), ==, "completed");
    g_assert_cmpuint(agent_job_get_bytes(job), ==, DISK_BYTES + DISK2_BYTES);
    g_assert_cmpuint(agent_job_get_bytes_total(job), ==, DISK_BYTES + DISK2_BYTES);
    g_assert_true(g_file_get_contents(f->disk, &src, &src_len, NULL));
    g_assert_true(g_file_get_contents(out, &dst, &dst_len, NULL));
    g_assert_cmpmem(src, src_len, dst, dst_len);
    g_assert_nonnull(agent_job_get_result(job));
    g_assert_true(g_variant_lookup(agent_job_get_result(job), "manifest", "&s", &manifest));
    g_assert_cmpstr(manifest, ==, manifest_path);
    g_assert_true(g_file_test(manifest, G_FILE_TEST_IS_REGULAR));
    disks = g_variant_lookup_value(agent_job_get_result(job), "disks",
                                   G_VARIANT_TYPE("aa{sv}"));
    g_assert_nonnull(disks);
    g_assert_cmpuint(g_variant_n_children(disks), ==, 2);
    disk = g_variant_get_child_value(disks, 0);
    g_assert_true(g_variant_lookup(disk, "file", "&s", &file));
    g_assert_cmpstr(file, ==, "vm1-vda.raw");
    g_assert_true(g_variant_lookup(disk, "sha256", "&s", &sha));
    want = sha256_of(out);
    g_assert_cmpstr(sha, ==, want);
    g_assert_true(g_variant_lookup(disk, "resumed-at", "t", &resumed));
    g_assert_cmpuint(resumed, ==, 0);
    g_assert_false(g_file_test(part, G_FILE_TEST_EXISTS));
}

static void
test_run_chosen_disk(Fixture *f, gconstpointer data)
{
    const char *const only_vdb[] = { "vdb", NULL };
    g_autoptr(AgentJob) job = add_export_disks(f, 0, only_vdb);
    g_autofree char *vda = g_build_filename(f->pool, "vm1-vda.raw", NULL);
    g_autofree char *vdb = g_build_filename(f->pool, "vm1-vdb.raw", NULL);
    g_autoptr(GVariant) disks = NULL;
    g_autoptr(GVariant) disk = NULL;
    const char *dev = NULL;

    wait_for_final(job);
    g_assert_cmpstr(agent_job_state_name(agent_job_get_state(job)), ==, "completed");
    g_assert_cmpuint(agent_job_get_bytes_total(job), ==, DISK2_BYTES);
    g_assert_false(g_file_test(vda, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(vdb, G_FILE_TEST_IS_REGULAR));
    disks = g_variant_lookup_value(agent_job_get_result(job), "disks",
                                   G_VARIANT_TYPE("aa{sv}"));
    g_assert_cmpuint(g_variant_n_children(disks), ==, 1);
    disk = g_variant_get_child_value(disks, 0);
    g_assert_true(g_variant_lookup(disk, "dev", "&s", &dev));
    g_assert_cmpstr(dev, ==, "vdb");
}

static void
test_run_unknown_disk_fails(Fixture *f, gconstpointer data)
{
    const char *const vdz[] = { "vdb", "vdz", NULL };
    g_autoptr(AgentJob) job = add_export_disks(f, 0, vdz);
    g_autoptr(GDir) dir = NULL;

    wait_for_final(job);
    g_assert_cmpstr(agent_job_state_name(agent_job_get_state(job)), ==, "failed");
    g_assert_error(agent_job_get_error(job), FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    g_assert_cmpstr(agent_job_get_error(job)->message, ==, "domain 'vm1' has no disk 'vdz'");
    dir = g_dir_open(f->pool, 0, NULL);
    g_assert_null(g_dir_read_name(dir));               /* nothing written */
}

static void
test_run_unknown_domain_fails(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *to = g_strdup_printf("file://%s", f->pool);
    g_autoptr(AgentJob) job = NULL;
    GVariantDict d;

    g_variant_dict_init(&d, NULL);
    g_variant_dict_insert(&d, "connect", "s", f->uri);
    job = agent_job_queue_add(f->queue, "nosuch", to, NULL, g_variant_dict_end(&d), &error);
    g_assert_no_error(error);
    wait_for_final(job);
    g_assert_cmpstr(agent_job_state_name(agent_job_get_state(job)), ==, "failed");
    g_assert_error(agent_job_get_error(job), FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(agent_job_get_error(job)->message, "domain 'nosuch' not found"));
    g_assert_null(agent_job_get_result(job));
}

static void
test_cancel_removes_part(Fixture *f, gconstpointer data)
{
    /* 2 MiB/s: the 2 MiB of data take about a second. */
    g_autoptr(AgentJob) job = add_export(f, 2u << 20);
    g_autoptr(GError) error = NULL;
    g_autofree char *out = g_build_filename(f->pool, "vm1-vda.raw", NULL);
    g_autofree char *part = g_build_filename(f->pool, "vm1-vda.raw.part", NULL);
    gint64 until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (!g_file_test(part, G_FILE_TEST_EXISTS) && g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    g_assert_true(g_file_test(part, G_FILE_TEST_EXISTS));
    g_assert_cmpint(agent_job_get_state(job), ==, AGENT_JOB_RUNNING);
    g_assert_true(agent_job_queue_cancel(f->queue, job, &error));
    g_assert_no_error(error);
    wait_for_final(job);
    g_assert_cmpstr(agent_job_state_name(agent_job_get_state(job)), ==, "cancelled");
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(part, G_FILE_TEST_EXISTS));
    g_assert_null(agent_job_get_result(job));
}

#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/agent/export-job/check/format-unknown", test_check_format_unknown);
    g_test_add_func("/agent/export-job/check/option-of-wrong-type", test_check_wrong_type);
    g_test_add_func("/agent/export-job/check/relative-path", test_check_relative_path);
    g_test_add_func("/agent/export-job/check/negative-bwlimit", test_check_negative_bwlimit);
    g_test_add_func("/agent/export-job/check/streams", test_check_streams);
    g_test_add_func("/agent/export-job/check/host-key-not-sha256", test_check_host_key);
    g_test_add_func("/agent/export-job/check/target-scheme-unknown", test_check_target_scheme);
    g_test_add_func("/agent/export-job/check/template-unknown-field", test_check_template);
    g_test_add_func("/agent/export-job/check/aws-options-refused", test_check_aws);
    g_test_add_func("/agent/export-job/check/azure-options-refused",
                    test_check_azure);
    g_test_add_func("/agent/export-job/check/aws-options-accepted",
                    test_check_aws_accepted);
    g_test_add_func("/agent/export-job/check/good-options-accepted",
                    test_check_accepts_good_options);
    g_test_add_func("/agent/export-job/options/defaults-fill-not-override",
                    test_options_defaults);
    ADD("/agent/export-job/run/test-driver-to-file-pool", test_run_to_file_pool);
    ADD("/agent/export-job/run/only-the-disks-asked-for", test_run_chosen_disk);
    ADD("/agent/export-job/run/disk-the-domain-lacks-fails", test_run_unknown_disk_fails);
    ADD("/agent/export-job/run/unknown-domain-fails", test_run_unknown_domain_fails);
    ADD("/agent/export-job/run/cancel-removes-part", test_cancel_removes_part);
    return g_test_run();
}
