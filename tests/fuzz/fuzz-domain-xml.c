/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-domain-xml.c: libFuzzer target for the inventory's domain XML
 * parser, and the JSON it feeds.  Seeds: the .xml files in tests/fixtures/inventory.
 *   tests/fuzz/build.sh out && out/fuzz-domain-xml tests/fixtures/inventory
 *
 * FUZZ_EXTRA_SOURCES: agent/inventory-xml.c agent/inventory-json.c
 */
#include <config.h>

#include "agent/inventory-priv.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(AgentDomain) domain = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autofree char *text = NULL;
    int vlan;

    domain = inventory_domain_parse_xml((const char *)data, size, &error);
    if (domain) {
        node = domain->skip_reason ? inventory_skipped_to_json(domain)
                                   : inventory_domain_to_json(domain, TRUE);
        text = inventory_json_to_string(node);
    }
    g_clear_error(&error);
    (void)inventory_network_parse_vlan((const char *)data, size, "web", &vlan, &error);
    return 0;
}
