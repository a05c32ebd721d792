/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd-list.c: `ferry list [--connect URI] [--json [--inspect [--config
 * FILE]]] [--all]`, the domains of one libvirt host that can be exported,
 * as a table for people or as CloudStack's listVmsForImport response
 * (--json).
 *
 * --inspect reads each listed guest's disks (agent/readiness.c) and adds
 * to its entry "inspect": {"os-pretty-name", "firmware", "readiness":
 * {TARGET: verdict}} for the targets of ferry.conf's [inspect] targets (all
 * four by default), or {"error": "..."} when its disks cannot be
 * inspected; the domain stays listed either way.  Only when asked: it
 * reads every guest, where plain listing reads image headers only.
 *
 * The table has one row per domain and, when a domain has several disks or
 * NICs, one continuation row per extra disk or NIC; then the skipped
 * domains, each with its reason.  --all also lists running, paused and
 * transient domains (their state says they are not exportable) instead of
 * skipping them; domains whose disks cannot be read stay skipped.
 *
 * The table fits the terminal (stdout's, else $COLUMNS when set): disk
 * paths, the widest cells by far, lose their middle to "…", then NICs
 * their end; piped without $COLUMNS, cells are whole.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "agent/inventory-priv.h"
#include "agent/libvirt-priv.h"
#include "inspect/rules.h"

#define LIST_COLUMNS 6
#define LIST_COL_DISKS 4
#define LIST_COL_NICS 5
/* Below this a column is not shrunk further: the line runs over instead
 * of every cell becoming "…". */
#define LIST_MIN_SHRUNK 16

typedef struct {
    char *cells[LIST_COLUMNS];
} ListRow;

static void
list_row_clear(gpointer data)
{
    ListRow *row = data;
    gsize i;

    for (i = 0; i < G_N_ELEMENTS(row->cells); i++)
        g_free(row->cells[i]);
}

static char *
list_cpu_cell(const AgentDomain *domain)
{
    if (domain->vcpus < 0)
        return g_strdup("-");
    if (domain->sockets > 0 && domain->cores > 0 && domain->threads > 0)
        return g_strdup_printf("%d (%ds x %dc x %dt)", domain->vcpus,
                               domain->sockets, domain->cores, domain->threads);
    return g_strdup_printf("%d", domain->vcpus);
}

static char *
list_disk_cell(const AgentDisk *disk)
{
    g_autofree char *size = NULL;

    if (disk->capacity >= 0) {
        g_auto(GStrv) parts = NULL;

        /* GLib puts a no-break space before the unit; scripts that cut
         * the table on spaces expect a plain one. */
        size = g_format_size_full((guint64)disk->capacity,
                                  G_FORMAT_SIZE_IEC_UNITS);
        parts = g_strsplit(size, "\u00a0", -1);
        g_free(size);
        size = g_strjoinv(" ", parts);
    } else {
        size = g_strdup("?");
    }
    return g_strdup_printf("%s %s %s %s", disk->target, size,
                           disk->format ? disk->format : "?", disk->path);
}

static char *
list_nic_cell(const AgentNic *nic)
{
    GString *s = g_string_new(nic->mac ? nic->mac : "(no mac)");

    g_string_append_printf(s, " %s",
                           nic->model ? nic->model : "(default model)");
    if (nic->source)
        g_string_append_printf(s, " %s", nic->source);
    if (nic->vlan >= 0)
        g_string_append_printf(s, " vlan %d", nic->vlan);
    return g_string_free(s, FALSE);
}

static void
list_add_domain_rows(GArray *rows, const AgentDomain *domain)
{
    guint i, n = MAX(1, MAX(domain->disks->len, domain->nics->len));

    for (i = 0; i < n; i++) {
        ListRow row = { { NULL } };

        if (i == 0) {
            row.cells[0] = g_strdup(domain->name);
            row.cells[1] = domain->listed_anyway ?
                g_strdup_printf("%s (not exportable)", domain->state) :
                g_strdup(domain->state);
            row.cells[2] = list_cpu_cell(domain);
            row.cells[3] = domain->memory_mib >= 0
                               ? g_strdup_printf("%" G_GINT64_FORMAT " MiB",
                                                 domain->memory_mib)
                               : g_strdup("-");
        }
        row.cells[4] = i < domain->disks->len ?
            list_disk_cell(g_ptr_array_index(domain->disks, i)) :
            g_strdup(i == 0 ? "-" : "");
        row.cells[5] = i < domain->nics->len ?
            list_nic_cell(g_ptr_array_index(domain->nics, i)) :
            g_strdup(i == 0 ? "-" : "");
        g_array_append_val(rows, row);
    }
}

/* The terminal's width, else $COLUMNS, else 0 (no limit). */
static int
list_terminal_columns(void)
{
    struct winsize ws;
    const char *env = g_getenv("COLUMNS");
    guint64 n;

    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
        ws.ws_col > 0)
        return ws.ws_col;
    if (env && g_ascii_string_to_unsigned(env, 10, 1, 10000, &n, NULL))
        return (int)n;
    return 0;
}

/* @cell cut to @max characters: "…" for its middle from @keep_head on
 * (a path keeps its file name), or for its end when @keep_head < 0. */
static char *
list_elide(const char *cell, glong max, glong keep_head)
{
    glong len = g_utf8_strlen(cell, -1);
    const char *tail;

    if (len <= max)
        return g_strdup(cell);
    if (keep_head < 0 || keep_head + 1 >= max) {
        g_autofree char *head = g_utf8_substring(cell, 0, max - 1);

        return g_strconcat(head, "…", NULL);
    } else {
        g_autofree char *head = g_utf8_substring(cell, 0, keep_head);

        tail = g_utf8_offset_to_pointer(cell, len - (max - keep_head - 1));
        return g_strconcat(head, "…", tail, NULL);
    }
}

/* Where a disk cell's path starts: after "dev size unit format ". */
static glong
list_disk_path_start(const char *cell)
{
    const char *p = cell;
    int spaces = 0;

    while (*p && spaces < 4) {
        if (*p++ == ' ')
            spaces++;
    }
    return spaces == 4 ? g_utf8_pointer_to_offset(cell, p) : -1;
}

/* Shrinks column @c of @rows to @max characters. */
static void
list_shrink_column(GArray *rows, guint c, int max)
{
    guint i;

    for (i = 0; i < rows->len; i++) {
        char **cell = &g_array_index(rows, ListRow, i).cells[c];
        char *cut;

        if (!*cell)
            continue;
        cut = list_elide(*cell, max, c == LIST_COL_DISKS ?
                         list_disk_path_start(*cell) : -1);
        g_free(*cell);
        *cell = cut;
    }
}

/* Fits the table into @columns: DISKS first, then NICS. */
static void
list_fit(GArray *rows, int *width, int columns)
{
    static const guint order[] = { LIST_COL_DISKS, LIST_COL_NICS };
    int total = 0;
    gsize c;

    for (c = 0; c < LIST_COLUMNS; c++)
        total += width[c] + (c + 1 < LIST_COLUMNS ? 2 : 0);
    for (c = 0; c < G_N_ELEMENTS(order) && total > columns; c++) {
        int col = order[c];
        int want = MAX(LIST_MIN_SHRUNK, width[col] - (total - columns));

        if (want >= width[col])
            continue;
        list_shrink_column(rows, col, want);
        total -= width[col] - want;
        width[col] = want;
    }
}

/* Left-aligned columns two spaces apart; the last one unpadded. */
static void
list_print_row(const char *const *cells, const int *width)
{
    GString *line = g_string_new(NULL);
    gsize c;

    for (c = 0; c < LIST_COLUMNS; c++) {
        const char *cell = cells[c] ? cells[c] : "";

        g_string_append(line, cell);
        if (c + 1 < LIST_COLUMNS) {
            glong pad = width[c] - g_utf8_strlen(cell, -1) + 2;

            while (pad-- > 0)
                g_string_append_c(line, ' ');
        }
    }
    g_strchomp(line->str);
    printf("%s\n", line->str);
    g_string_free(line, TRUE);
}

static void
list_print_table(const AgentInventory *inv)
{
    static const char *const heads[] = { "NAME", "STATE", "VCPUS", "MEMORY",
                                         "DISKS", "NICS" };
    g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(ListRow));
    int width[G_N_ELEMENTS(heads)];
    guint i, c;

    G_STATIC_ASSERT(G_N_ELEMENTS(heads) == LIST_COLUMNS);
    g_array_set_clear_func(rows, list_row_clear);
    if (inv->listed->len == 0) {
        printf("No exportable domains on %s.\n", inv->uri);
    } else {
        for (i = 0; i < inv->listed->len; i++)
            list_add_domain_rows(rows, g_ptr_array_index(inv->listed, i));
        for (c = 0; c < G_N_ELEMENTS(heads); c++) {
            width[c] = (int)strlen(heads[c]);
            for (i = 0; i < rows->len; i++) {
                const char *cell = g_array_index(rows, ListRow, i).cells[c];

                if (cell)
                    width[c] = MAX(width[c], (int)g_utf8_strlen(cell, -1));
            }
        }
        if (list_terminal_columns() > 0)
            list_fit(rows, width, list_terminal_columns());
        list_print_row((const char *const *)heads, width);
        for (i = 0; i < rows->len; i++)
            list_print_row(
                (const char *const *)g_array_index(rows, ListRow, i).cells,
                width);
    }
    if (inv->skipped->len > 0) {
        int name_width = 0;

        for (i = 0; i < inv->skipped->len; i++) {
            const AgentDomain *d = g_ptr_array_index(inv->skipped, i);

            name_width = MAX(name_width, (int)g_utf8_strlen(d->name, -1));
        }
        printf("\nSkipped (not exportable):\n");
        for (i = 0; i < inv->skipped->len; i++) {
            const AgentDomain *d = g_ptr_array_index(inv->skipped, i);

            printf("  %-*s  %s\n", name_width, d->name, d->skip_reason);
        }
    }
}

static JsonObject *
list_inspect_error(const char *message)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "error", message);
    return o;
}

/* The "inspect" summary of domain @d, read over @conn. */
static JsonObject *
list_inspect_domain(virConnectPtr conn, const AgentDomain *d,
                    const char *const *targets)
{
    g_autoptr(virDomain) dom = virDomainLookupByName(conn, d->name);
    g_autofree char *xml = NULL;
    char *raw;

    if (!dom)
        return list_inspect_error("the domain is gone");
    raw = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    if (!raw) {
        g_autofree char *msg = g_strdup_printf("cannot read its XML: %s",
                                               virGetLastErrorMessage());

        return list_inspect_error(msg);
    }
    xml = g_strdup(raw);
    free(raw);
    return agent_readiness_list_summary(d->name, xml, d->disks, targets, NULL);
}

/* Adds "inspect" to each listed domain's entry of @text (the JSON of
 * agent_inventory_to_json()); a new text, or NULL. */
static char *
list_add_inspect(const AgentInventory *inv, const char *text,
                 const char *const *targets, GError **error)
{
    g_autoptr(JsonNode) root = json_from_string(text, error);
    g_autoptr(virConnect) conn = NULL;
    JsonObject *resp;
    JsonArray *vms;
    guint i;

    if (!root)
        return NULL;
    conn = agent_libvirt_open(inv->uri, error);
    if (!conn)
        return NULL;
    resp = json_object_get_object_member(json_node_get_object(root),
                                         "listvmsforimportresponse");
    vms = json_object_get_array_member(resp, "unmanagedinstance");
    /* agent_inventory_to_json() writes inv->listed in order. */
    g_assert(json_array_get_length(vms) == inv->listed->len);
    for (i = 0; i < inv->listed->len; i++) {
        JsonObject *vm = json_array_get_object_element(vms, i);

        json_object_set_object_member(vm, "inspect",
            list_inspect_domain(conn, g_ptr_array_index(inv->listed, i),
                                targets));
    }
    return inventory_json_to_string(root);
}

int
cmd_list(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    gboolean json = FALSE, all = FALSE, inspect = FALSE;
    g_autofree char *config_path = NULL;
    const GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
          "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)",
          "URI" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &json,
          "print CloudStack's listVmsForImport response as JSON", NULL },
        { "all", 0, 0, G_OPTION_ARG_NONE, &all,
          "also list running, paused and transient domains, marked not exportable",
          NULL },
        { "inspect", 0, 0, G_OPTION_ARG_NONE, &inspect,
          "with --json: read each guest and add its OS, firmware and "
          "readiness per target", NULL },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path,
          "with --inspect: ferry.conf to read [inspect] targets from "
          "(default " FERRY_SYSCONFDIR "/ferry/ferry.conf)", "FILE" },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("- list the stopped "
                             "domains that can be exported");
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentInventory) inv = NULL;
    g_autoptr(AgentConfig) config = NULL;
    AgentInventoryFlags flags;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx,
        "Lists the persistent, shut-off domains whose every disk ferry can read\n"
        "(file, block and storage-volume disks in raw, qcow2, vmdk, vpc, vhdx),\n"
        "with each disk's virtual size read from its image header. Other domains\n"
        "are listed under \"skipped\" with the reason. CD-ROMs and floppies are\n"
        "not exported. The connection is read-only.\n");
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return agent_usage_error("list", error->message);
    if (argc > 1)
        return agent_usage_error("list", "takes no arguments");
    if (inspect && !json)
        return agent_usage_error("list", "--inspect goes with --json");
    if (config_path && !inspect)
        return agent_usage_error("list", "--config goes with --inspect");
    if (inspect) {
        config = config_path ? agent_config_load(config_path, FALSE, &error)
                             : agent_config_load(FERRY_SYSCONFDIR
                                                 "/ferry/ferry.conf", TRUE,
                                                 &error);
        if (!config)
            return agent_fail(error);
    }

    flags = all ? AGENT_INVENTORY_ALL : AGENT_INVENTORY_DEFAULT;
    inv = agent_inventory_collect(uri, flags, &error);
    if (!inv)
        return agent_fail(error);
    if (json) {
        g_autofree char *text = agent_inventory_to_json(inv, flags);

        if (inspect) {
            const char *const *targets =
                config->inspect_targets
                    ? (const char *const *)config->inspect_targets
                    : ferry_rules_targets();
            char *with = list_add_inspect(inv, text, targets, &error);

            if (!with)
                return agent_fail(error);
            g_free(text);
            text = with;
        }
        printf("%s\n", text);
    } else {
        list_print_table(inv);
    }
    return fflush(stdout) == 0 ? 0 : AGENT_EXIT_IO;
}
