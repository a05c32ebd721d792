/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent.h: the ferry CLI, the ferry-agent daemon and what they share:
 * inventory (libvirt), and the one table from FerryError codes to exit
 * statuses (and, later, D-Bus error names).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "conv/conv.h"

G_BEGIN_DECLS

/* A CLI verb: argv[0] is the verb itself ("list"); returns the exit status. */
typedef int (*AgentCommandFunc)(int argc, char **argv);

typedef struct {
    const char *name;              /* "list" */
    AgentCommandFunc run;
    const char *summary;           /* one line for `ferry --help` */
} AgentCommand;

/* Exit statuses beyond 0; a FerryError code maps to one of these. */
enum {
    AGENT_EXIT_FAILED = 1,         /* FERRY_ERROR_FAILED and foreign domains */
    AGENT_EXIT_USAGE = 2,          /* FERRY_ERROR_INVALID: bad argument */
    AGENT_EXIT_NOT_FOUND = 3,
    AGENT_EXIT_BUSY = 4,
    AGENT_EXIT_UNSUPPORTED = 5,
    AGENT_EXIT_CORRUPT = 6,
    AGENT_EXIT_IO = 7,
    AGENT_EXIT_AUTH = 8,
    AGENT_EXIT_NETWORK = 9,
    AGENT_EXIT_REMOTE = 10,
    AGENT_EXIT_CHECKSUM = 11,
    AGENT_EXIT_EXISTS = 12,        /* already there: remove it or --resume */
    AGENT_EXIT_CANCELLED = 130,    /* as a shell reports SIGINT */
};

int agent_exit_status(const GError *error);
/* Prints "ferry: <message>" on one line of stderr; returns the exit status. */
int agent_fail(const GError *error);
/* For option-parsing failures: prints the message and returns
 * AGENT_EXIT_USAGE. */
int agent_usage_error(const char *verb, const char *message);

/* Prints @node (or @b's root) as JSON and a newline on @stream, flushed
 * (agent/print-json.c). */
void agent_print_json(FILE *stream, JsonNode *node, gboolean pretty);
void agent_print_json_builder(FILE *stream, JsonBuilder *b, gboolean pretty);

/* CLI verbs (agent/cmd-*.c). */
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

/* ---- inventory (agent/inventory*.c) ------------------------------------
 * What `ferry list` reports: the domains of one libvirt connection, their
 * disks (path, format, virtual size) and NICs.  Fields that libvirt cannot
 * tell are NULL (strings) or -1 (numbers); see agent/inventory-json.c for
 * how each one is derived. */

typedef struct {
    char *target;           /* <target dev>: "vda" */
    char *bus;              /* <target bus>: "virtio", "scsi", "sata"... */
    char *source_type;      /* <disk type>: "file", "block", "volume"... */
    char *path;             /* the image file or block device */
    char *pool;             /* type='volume': storage pool name */
    char *volume;           /* type='volume': volume name */
    char *declared_format;  /* <driver type>, or NULL to probe */
    int controller;         /* drive address controller, or -1 */
    int unit;               /* drive address unit, or -1 */
    int position;           /* unit, else the index in the target name */
    /* Filled in when the image is opened. */
    char *format;           /* as probed and checked: "qcow2" */
    gint64 capacity;        /* virtual size in bytes, or -1 */
    char *datastore_path;   /* directory (or pool target) holding the image */
    char *datastore_name;   /* storage pool name, or NULL */
    char *datastore_type;   /* pool type ("dir", "netfs"), or "file"/"block" */
    char *datastore_host;   /* pool source host (netfs, iscsi), or NULL */
} AgentDisk;

typedef struct {
    char *mac;              /* <mac address> */
    char *model;            /* <model type>: "virtio", "e1000e" */
    char *source_type;      /* <interface type>: "network", "bridge"... */
    char *source;           /* network name, bridge name or host device */
    char *portgroup;        /* <source portgroup>, or NULL */
    int vlan;               /* VLAN tag id, or -1 */
    gboolean has_vlan;      /* has its own <vlan>: the network's is not used */
    int pci_slot;           /* PCI address slot, or -1 */
} AgentNic;

typedef struct {
    char *name;
    char *uuid;
    char *powerstate;       /* CloudStack's: "PowerOff", "PowerOn" */
    char *state;            /* libvirt's, for people: "shut off", "running" */
    gint64 memory_mib;      /* <memory>, in MiB */
    int vcpus;              /* <vcpu current>, else <vcpu> */
    int sockets, cores, threads;  /* <cpu><topology>, or -1 */
    int cpu_speed_mhz;      /* the host CPU's nominal MHz, or -1 */
    char *os;               /* libosinfo os id, or NULL */
    char *firmware;         /* "uefi" or "bios", as libvirt would boot it */
    char *machine;          /* <os><type machine>: "pc-q35-8.2", or NULL */
    char *arch;             /* <os><type arch>: "x86_64", or NULL */
    char *hostname;         /* the libvirt host's name, or NULL */
    GPtrArray *disks;       /* of AgentDisk */
    GPtrArray *nics;        /* of AgentNic */
    /* Why the domain cannot be exported, or NULL. */
    char *skip_reason;
    /* TRUE when listed although not exportable (--all: running, paused). */
    gboolean listed_anyway;
} AgentDomain;

void agent_disk_free(AgentDisk *disk);
void agent_nic_free(AgentNic *nic);
void agent_domain_free(AgentDomain *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentDisk, agent_disk_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentNic, agent_nic_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentDomain, agent_domain_free)

typedef struct {
    char *uri;              /* the connection's URI as libvirt reports it */
    GPtrArray *listed;      /* of AgentDomain: exportable, sorted by name */
    GPtrArray *skipped;     /* of AgentDomain with skip_reason, by name */
} AgentInventory;

void agent_inventory_free(AgentInventory *inv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentInventory, agent_inventory_free)

typedef enum {
    AGENT_INVENTORY_DEFAULT = 0,
    /* Also list running, paused and transient domains (not exportable). */
    AGENT_INVENTORY_ALL = 1 << 0,
} AgentInventoryFlags;

/**
 * agent_inventory_collect:
 * @uri: a libvirt URI, or NULL for $LIBVIRT_DEFAULT_URI, else qemu:///system
 * @flags: AgentInventoryFlags
 * @error: FERRY_ERROR_INVALID (unknown URI), FERRY_ERROR_NETWORK (libvirtd
 *         not reachable), FERRY_ERROR_AUTH (permission denied),
 *         FERRY_ERROR_FAILED; the message starts with the URI
 *
 * Connects read-only and sorts every domain into listed or skipped.
 */
AgentInventory *agent_inventory_collect(const char *uri,
                                        AgentInventoryFlags flags,
                                        GError **error);

/* The default URI: $LIBVIRT_DEFAULT_URI, else qemu:///system. */
const char *agent_inventory_default_uri(void);

/* {"listvmsforimportresponse": {...}} as pretty-printed JSON (owned). */
char *agent_inventory_to_json(const AgentInventory *inv,
                              AgentInventoryFlags flags);

/* ---- jobs (agent/jobs*.c, agent/state*.c) -------------------------------
 * The agent's work queue: each export (or other job kind) is an AgentJob
 * with a state, byte counters and an error, persisted in the state
 * directory so that a restart shows what was running as interrupted.  The
 * queue runs at most `concurrency` jobs at once, each in its own worker
 * thread; everything else (state changes, persistence, hooks) happens in
 * the thread that created the queue, from its GMainContext. */

typedef enum {
    AGENT_JOB_QUEUED,
    AGENT_JOB_RUNNING,
    AGENT_JOB_COMPLETED,
    AGENT_JOB_FAILED,
    AGENT_JOB_CANCELLED,
    AGENT_JOB_INTERRUPTED,    /* was running when the agent stopped */
    AGENT_JOB_STATE_LAST
} AgentJobState;

/* "queued", "running", ...; NULL past the end. */
const char *agent_job_state_name(AgentJobState state);
gboolean agent_job_state_from_name(const char *name, AgentJobState *state);
/* completed, failed and cancelled: nothing happens until a Resume. */
gboolean agent_job_state_is_final(AgentJobState state);
/* Whether the queue may move a job from @from to @to. */
gboolean agent_job_state_can_change(AgentJobState from, AgentJobState to);

typedef struct _AgentJob AgentJob;
typedef struct _AgentJobQueue AgentJobQueue;

AgentJob *agent_job_ref(AgentJob *job);
void agent_job_unref(AgentJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentJob, agent_job_unref)

/* Immutable after creation: any thread. */
const char *agent_job_get_id(const AgentJob *job);
const char *agent_job_get_kind(const AgentJob *job);
const char *agent_job_get_vm(const AgentJob *job);
const char *agent_job_get_target(const AgentJob *job);
const char *const *agent_job_get_disks(const AgentJob *job);
GVariant *agent_job_get_options(const AgentJob *job);   /* a{sv}, borrowed */
/* The uid of the caller that queued the job (0 for jobs persisted before
 * owners were recorded). */
guint32 agent_job_get_owner(const AgentJob *job);
/* TRUE when the current run follows a Resume: the runner continues from
 * what it finds done (agent_job_get_bytes() is the persisted count). */
gboolean agent_job_get_resume(const AgentJob *job);
/* Counters: any thread (g_atomic access). */
guint64 agent_job_get_bytes(const AgentJob *job);
guint64 agent_job_get_bytes_total(const AgentJob *job);
/* The queue's thread only. */
AgentJobState agent_job_get_state(const AgentJob *job);
guint64 agent_job_get_rate(const AgentJob *job);        /* bytes/s */
const GError *agent_job_get_error(const AgentJob *job); /* NULL unless failed */
gint64 agent_job_get_create_time(const AgentJob *job);  /* µs since epoch */
gint64 agent_job_get_start_time(const AgentJob *job);   /* 0: not yet */
gint64 agent_job_get_finish_time(const AgentJob *job);  /* 0: not yet */

/* Worker thread, from a kind's run(): what the job produced, an a{sv}
 * (floating references are sunk).  It becomes agent_job_get_result()'s
 * once the worker has ended, and is persisted with the job. */
void agent_job_set_result(AgentJob *job, GVariant *result);
/* The queue's thread only: the last run's result, or NULL (borrowed). */
GVariant *agent_job_get_result(const AgentJob *job);
/* Any thread: TRUE once Cancel was asked for the current run (the runner
 * then removes its temporaries; a cancellation by an agent shutdown, which
 * leaves the job resumable, does not set it). */
gboolean agent_job_get_cancel_requested(const AgentJob *job);

/* Called by a runner, from its worker thread, whenever work got done:
 * @done of @total bytes (@total 0 while unknown). */
typedef void (*AgentJobProgressFunc)(AgentJob *job, guint64 done,
                                     guint64 total);

/* A job kind (nbdkit-plugin style: new fields only ever go at the end). */
struct agent_job_kind {
    const char *name;                                   /* "export" */
    /* Main thread, at Export: refuse bad options early.  May be NULL. */
    gboolean (*check)(GVariant *options, GError **error);
    /* Worker thread: do the work, calling @progress as it goes; return
     * FALSE with G_IO_ERROR_CANCELLED once @cancellable fires. */
    gboolean (*run)(AgentJob *job, GCancellable *cancellable,
                    AgentJobProgressFunc progress, GError **error);
    /* Main thread, at Export, after check: refuse a VM name or target the
     * kind cannot use, without I/O (parse the URI only).  May be NULL. */
    gboolean (*check_target)(const char *vm, const char *target,
                             GVariant *options, GError **error);
    /* Worker thread, at a Cancel of a job whose last run did not end by
     * itself (interrupted: the agent stopped or died under it): remove
     * what that run left, as run() does when cancelled.  Failures are
     * logged, not returned: the job is cancelled either way.  May be NULL. */
    void (*discard)(AgentJob *job);
};

/**
 * agent_job_kind_find:
 * @name: "export", ...
 * @error: FERRY_ERROR_UNSUPPORTED (known but not available),
 *         FERRY_ERROR_INVALID (unknown)
 *
 * Test kinds ("test-sleep") exist only in test builds (ferry-agent-test).
 */
const struct agent_job_kind *agent_job_kind_find(const char *name,
                                                 GError **error);

/* Hooks the D-Bus service sets; all called in the queue's thread. */
typedef struct {
    void (*added)(AgentJob *job, gpointer data);
    void (*changed)(AgentJob *job, gpointer data);   /* state or error */
    void (*finished)(AgentJob *job, gpointer data);  /* reached a final state */
} AgentJobQueueHooks;

/**
 * agent_job_queue_new:
 * @state_dir: where jobs/<id>.json live; created (0700) if missing
 * @concurrency: jobs running at once, 1..AGENT_JOBS_MAX_CONCURRENCY
 * @error: FERRY_ERROR_IO, FERRY_ERROR_BUSY (another agent holds the
 *         directory's lock), FERRY_ERROR_INVALID
 *
 * Loads the persisted jobs: running ones become interrupted, queued ones
 * wait again.  Nothing starts before agent_job_queue_start().
 */
AgentJobQueue *agent_job_queue_new(const char *state_dir, guint concurrency,
                                   GError **error);
/* Cancels what runs, waits for the workers and persists them as
 * interrupted (so that Resume continues them after a restart). */
void agent_job_queue_free(AgentJobQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentJobQueue, agent_job_queue_free)

#define AGENT_JOBS_MAX_CONCURRENCY 64

void agent_job_queue_set_hooks(AgentJobQueue *queue,
                               const AgentJobQueueHooks *hooks, gpointer data);
void agent_job_queue_start(AgentJobQueue *queue);
guint agent_job_queue_get_concurrency(const AgentJobQueue *queue);
/* Every job, oldest first (a new array of new references). */
GPtrArray *agent_job_queue_list(AgentJobQueue *queue);
/* @id: "17"; NULL with FERRY_ERROR_NOT_FOUND or FERRY_ERROR_INVALID. */
AgentJob *agent_job_queue_lookup(AgentJobQueue *queue, const char *id,
                                 GError **error);

/**
 * agent_job_queue_add:
 * @options: a{sv}; "kind" names the job kind, the rest is the kind's
 * @error: FERRY_ERROR_INVALID, FERRY_ERROR_UNSUPPORTED, FERRY_ERROR_IO
 *
 * Returns: (transfer full): the new, queued and persisted job.
 */
AgentJob *agent_job_queue_add(AgentJobQueue *queue, const char *vm,
                              const char *target, const char *const *disks,
                              GVariant *options, GError **error);
/* The same, for a job queued by uid @owner (agent_job_queue_add(): root). */
AgentJob *agent_job_queue_add_owned(AgentJobQueue *queue, guint32 owner,
                                    const char *vm, const char *target,
                                    const char *const *disks, GVariant *options,
                                    GError **error);
/* FERRY_ERROR_BUSY when already being cancelled, FERRY_ERROR_INVALID when
 * finished. */
gboolean agent_job_queue_cancel(AgentJobQueue *queue, AgentJob *job,
                                GError **error);
/* FERRY_ERROR_BUSY when queued or running, FERRY_ERROR_INVALID when
 * completed, FERRY_ERROR_UNSUPPORTED when its kind is gone. */
gboolean agent_job_queue_resume(AgentJobQueue *queue, AgentJob *job,
                                GError **error);
/* The timer: recomputes each running job's rate from its counters over
 * @elapsed_us and persists progress now and then. */
void agent_job_queue_tick(AgentJobQueue *queue, gint64 elapsed_us);

/* Sets FERRY_ERROR_INVALID "option 'KEY': expected type 'EXPECTED', got
 * '<v's type>'" and returns FALSE. */
gboolean agent_options_wrong_type(const char *key, const char *expected,
                                  GVariant *v, GError **error);
/* Reading an a{sv} option as a number: accepts t, x, u, i (JSON gives x);
 * FERRY_ERROR_INVALID names the option when out of 0..@max. */
gboolean agent_options_get_uint64(GVariant *options, const char *key,
                                  guint64 fallback, guint64 max, guint64 *value,
                                  GError **error);

/* ---- settings (agent/state-config.c) -----------------------------------
 * /etc/ferry/ferry.conf, a GKeyFile; see data/ferry.conf.example. */

typedef struct {
    guint concurrency;            /* [agent] concurrency, default 2 */
    char *group;                  /* [agent] group allowed to change things */
    char *state_dir;              /* [agent] state-dir, or NULL for default */
    char *format;                 /* [export] format, default "qcow2" */
    char *known_hosts;            /* [export] known-hosts, or NULL */
    guint64 bandwidth_limit; /* [export] bandwidth-limit, bytes/s, 0 none */
    char *connect;                /* [agent] connect: libvirt URI, or NULL */
    char *identity;               /* [export] identity, or NULL */
    char *password_file;          /* [export] password-file, or NULL */
    /* [agent] pools: absolute directories callers other than root may
     * export into (file://), NULL-terminated, maybe NULL. */
    char **pools;
    /* [agent] allow-test-driver: callers may name libvirt's test driver
     * (test:///...), which parses any file as root; for test suites. */
    gboolean allow_test_driver;
    /* [export] file-mode (octal, 0 = the target's default, 0600) and
     * file-group (a group name or number, or NULL) of finished files in a
     * file:// pool. */
    guint file_mode;
    char *file_group;
    /* [inspect] targets: readiness rules `ferry list --inspect` checks
     * (NULL: every one of ferry_rules_targets()). */
    char **inspect_targets;
    /* [export] streams: SFTP connections per ssh:// disk (1 to
     * TARGET_MAX_STREAMS), 0 when not set (target_default_streams()). */
    guint streams;
} AgentConfig;

#define AGENT_CONFIG_MAX_BYTES (64 * 1024)

AgentConfig *agent_config_new_default(void);
/* A missing file is not an error when @optional. */
AgentConfig *agent_config_load(const char *path, gboolean optional,
                               GError **error);
void agent_config_free(AgentConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentConfig, agent_config_free)

/* /var/lib/ferry, or $XDG_STATE_HOME/ferry for a session agent (owned). */
char *agent_state_dir_default(gboolean session);

/* ---- D-Bus (agent/dbus*.c) ---------------------------------------------- */

#define AGENT_DBUS_NAME "org.ferry.Agent1"
#define AGENT_DBUS_ROOT_PATH "/org/ferry/Agent1"
#define AGENT_DBUS_MANAGER_PATH "/org/ferry/Agent1/Manager"
#define AGENT_DBUS_JOBS_PATH "/org/ferry/Agent1/jobs"

/* Registers the org.ferry.Error.* names for FERRY_ERROR once. */
void agent_dbus_errors_register(void);
/* org.ferry.Error.NotFound, ... for a FerryError code. */
const char *agent_dbus_error_name(int code);

/* CLI verbs on the agent (agent/cmd-jobs.c, agent/cmd-serve.c). */
int cmd_jobs(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_serve(int argc, char **argv);

G_END_DECLS

/* ---- export (agent/export*.c, agent/cmd-export.c) ----------------------
 * `ferry export`: a stopped domain's disks converted on the fly to a
 * target pool (providers/), each verified there before it takes its final
 * name, then the manifest <vm>.ferry.json and the domain XML <vm>.xml. */

struct _Target;                  /* providers/providers.h: Target */

/* Retries of a dropped connection per disk, waiting 1, 2, 4... seconds. */
#define AGENT_EXPORT_MAX_RETRIES 5

/* The disk an export event is about (borrowed for the call only). */
typedef struct {
    const char *dev;             /* "vda" */
    const char *file;            /* its name in the pool */
    guint index;                 /* its position among the domain's disks */
    guint64 virtual_size;
    /* Once verified: what the cloud made of it (azure-disk://: the
     * managed disk's resource id), or NULL. */
    const char *resource_id;
} AgentExportDiskRef;

typedef struct {
    const AgentExportDiskRef *disk;  /* NULL: between disks (totals only) */
    guint64 done, total;             /* the disk's output bytes */
    guint64 guest_done, guest_total; /* guest data over every disk exported */
} AgentExportProgress;

/* What an export reports as it goes, for a front to render: the CLI as
 * text or JSON events, a job as its counters and the log.  Each is called
 * from the exporting thread and may be NULL. */
typedef struct {
    /* A disk begins; @resume_offset bytes are kept from its .part. */
    void (*disk_started)(const AgentExportDiskRef *disk, guint64 resume_offset,
                         gpointer data);
    /* Work got done: as often as the copy engine reports (throttle it). */
    void (*progress)(const AgentExportProgress *progress, gpointer data);
    /* The link to @target dropped (@why: the failure, one line): attempt
     * @attempt after @wait seconds. */
    void (*retry)(const AgentExportDiskRef *disk, const char *target,
                  const char *why, guint attempt, guint wait, gpointer data);
    /* A disk is under its final name, its hash checked by @target. */
    void (*disk_verified)(const AgentExportDiskRef *disk, const char *target,
                          const char *sha256, guint64 bytes_sent,
                          guint64 resumed_at, gpointer data);
    /* The manifest @manifest (a name in the pool) is written: done. */
    void (*manifest_written)(const char *target, const char *manifest,
                             gpointer data);
    /* After the disks, a target's own work (aws://: "import"), with
     * @percent (-1: unknown) and the service's status text. */
    void (*phase)(const char *phase, int percent, const char *status,
                  gpointer data);
    /* The readiness rules did not all pass, yet the export goes on
     * (warnings, or failures with --force): @readiness is
     * agent_readiness_summary()'s (borrowed). */
    void (*readiness)(JsonObject *readiness, gpointer data);
} AgentExportEvents;

typedef struct {
    const char *vm;
    const char *connect_uri;     /* libvirt URI, or NULL for the default */
    const char *format;          /* "qcow2" (default) or "raw" */
    const char *options;         /* -o k=v,... for the writer, or NULL */
    const char *name_template;   /* NULL: "{vm}-{dev}.{ext}" */
    gboolean resume;             /* continue .part files, keep done disks */
    /* replace what is there (azure:// only: target_new() refuses it for
     * other targets) */
    gboolean overwrite;
    GCancellable *cancellable;
    /* Target devs to export ("vda"), NULL-terminated; NULL for all. */
    const char *const *disks;
    /* Where the export reports; NULL for nothing.  export.c itself prints
     * nothing: a daemon has no terminal to forget. */
    const AgentExportEvents *events;
    gpointer events_data;
    /* Check the domain, the disks and the target, describe what the
     * target would make of them (cloudstack://: the importVm call), and
     * send nothing. */
    gboolean dry_run;
    /* Readiness rules to check the guest against before anything is sent
     * ("aws", "sce": inspect/rules.h), or NULL for none; the fronts take
     * --for, else agent_readiness_default_target() of the target URI. */
    const char *rules_target;
    /* A failed rule is a warning, not a refusal (--force). */
    gboolean force;
} AgentExportOptions;

/* One disk that reached its final name. */
typedef struct {
    char *dev;                   /* "vda" */
    char *file;                  /* its name in the pool */
    char sha256[65];             /* as the target computed it */
    guint64 virtual_size;
    guint64 bytes_sent;          /* this run, retries included */
    guint64 resumed_at;          /* output bytes kept from a .part */
    char *resource_id;           /* the cloud's id of it, or NULL */
} AgentExportDisk;

/* What agent_export_run() did, filled in on success and failure alike. */
typedef struct {
    char *pool;                  /* the pool directory on the target */
    char *manifest;              /* the manifest's name, once written */
    GArray *disks;               /* of AgentExportDisk, in domain order */
    /* "<name>.part" of every planned disk not finished: what a failed or
     * cancelled run may have left in the pool. */
    GPtrArray *parts;
    /* What the target made of the disks (aws://: the AMI id), or NULL. */
    char *image_id;
    /* The rules that did not pass (agent_readiness_summary()), or NULL
     * when none were checked or all passed. */
    JsonObject *readiness;
} AgentExportResult;

void agent_export_result_clear(AgentExportResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AgentExportResult, agent_export_result_clear)

/* FERRY_ERROR_NOT_FOUND unless domain @vm exists on @connect_uri (NULL:
 * the default), FERRY_ERROR_BUSY unless it is shut off, FERRY_ERROR_NETWORK
 * when libvirt cannot be reached: what an export would refuse first.
 * Blocks on libvirt. */
gboolean agent_export_check_domain(const char *connect_uri, const char *vm,
                                   GError **error);

/* The temporaries an export with @opts may leave in the pool: the
 * "<file>.part" of each disk it would export, of "<vm>.xml" and of the
 * manifest.  Reads the domain's disks from libvirt, whatever its state;
 * opens no image.  For a Cancel after the run that made them is gone. */
GPtrArray *agent_export_plan_parts(const AgentExportOptions *opts,
                                   GError **error);

/* Runs the export into @target (not yet connected); @result (nullable)
 * must be zeroed and is filled in even when the export fails. */
gboolean agent_export_run(struct _Target *target,
                          const AgentExportOptions *opts,
                          AgentExportResult *result, GError **error);

/* ---- readiness (agent/readiness.c) --------------------------------------
 * A target's rules (inspect/rules.h, data/rules/<target>.conf) checked
 * against what ferry_inspect() reads of the guest, before an export. */

/* The rules an export to @uri gets by default: "aws" for aws://, "azure"
 * for azure:// and azure-disk://, "cloudstack" for cloudstack://; NULL
 * for file:// and ssh:// pools (--for names rules for those). */
const char *agent_readiness_default_target(const char *uri);
/* FERRY_ERROR_INVALID ("@what: 'x' has no readiness rules (there are:
 * ...; or none)") unless @name is one of ferry_rules_targets(). */
gboolean agent_readiness_check_target(const char *what, const char *name,
                                      GError **error);
/* The rules an export to @uri checks: --for @rules_for ("none": no
 * check, @target NULL), else agent_readiness_default_target(@uri);
 * FERRY_ERROR_INVALID (named @what) for a name without rules. */
gboolean agent_readiness_resolve(const char *what, const char *rules_for,
                                 const char *uri, const char **target,
                                 GError **error);
/* For a ferry_rules_check() @verdict of "fail": FERRY_ERROR_UNSUPPORTED,
 * "VM: not ready for TARGET: RULE: WHY (FIX; --force to export anyway)"
 * naming the first failed rule, and FALSE; TRUE otherwise. */
gboolean agent_readiness_refusal(const char *vm, JsonObject *verdict,
                                 GError **error);
/* {"target", "verdict", "rules": [the rules that did not pass]}, with
 * "forced": true when @forced (a new object). */
JsonObject *agent_readiness_summary(JsonObject *verdict, gboolean forced);
/* The summary of a check that could not run: one "inspect" warning whose
 * why is "inspection not available: @reason". */
JsonObject *agent_readiness_skipped(const char *target, const char *reason);

typedef struct {
    const char *vm;
    const char *target;          /* rules: "aws", "sce"... */
    const char *xml;             /* the domain's inactive XML */
    GPtrArray *disks;            /* of AgentDisk, the OS disk first */
    gboolean force;
    GCancellable *cancellable;
    /* (out, optional): "Linux" or "Windows" as the inspection found the
     * guest, NULL when it could not tell; freed by the caller. */
    char **os_type;
} AgentReadinessRequest;

/**
 * agent_readiness_for_export:
 * @summary: (out): agent_readiness_summary()'s, or a skipped one when
 *           this build cannot inspect; NULL on failure
 * @error: FERRY_ERROR_UNSUPPORTED for a failed rule (unless force), the
 *         inspection's or the rules file's error otherwise (a rules file
 *         or disk that cannot be read is a warning with force)
 *
 * Blocks on the disks; for the exporting thread.
 */
gboolean agent_readiness_for_export(const AgentReadinessRequest *req,
                                    JsonObject **summary, GError **error);

/* "Linux" when the guest facts name an os-release, "Windows" when they
 * name none and an NTFS filesystem is there, else NULL. */
const char *agent_readiness_os_type(JsonObject *guest);

/* `ferry list --inspect`: {"os-pretty-name", "firmware", "readiness":
 * {TARGET: verdict, ...}} for @targets, or {"error": "..."} when the
 * guest cannot be inspected (a new object, never NULL). */
JsonObject *agent_readiness_list_summary(const char *vm, const char *xml,
                                         GPtrArray *disks,
                                         const char *const *targets,
                                         GCancellable *cancellable);

/* ---- the "export" job kind (agent/export-job.c) -------------------------
 * Options of Manager.Export for it (a{sv}), as `ferry export` names them:
 * connect, format, options, name, known-hosts, accept-new, host-key,
 * identity (s or as), password-file, bwlimit (bytes/s), streams.  The agent's
 * settings fill in what the caller left out, at Export, so that a Resume
 * after a restart runs with the same ones. */
extern const struct agent_job_kind agent_job_kind_export;

/* @options with the defaults of @config added where absent (a new a{sv},
 * floating). */
GVariant *agent_export_job_options(GVariant *options,
                                   const AgentConfig *config);
/* The options that name files the agent reads or writes as itself:
 * "identity", "password-file", "known-hosts". */
gboolean agent_export_job_names_files(GVariant *options, const char **key);

int cmd_export(int argc, char **argv);
