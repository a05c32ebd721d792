/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt-priv.h: what agent/'s users of libvirt's API (inventory.c,
 * export.c) share: autoptr cleanups for its handles, and the one way to
 * connect, so that every verb reports a failed connection alike.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "agent/agent.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/**
 * agent_libvirt_open:
 * @uri: a libvirt URI, or NULL for agent_inventory_default_uri()
 * @error: FERRY_ERROR_INVALID (not a URI), FERRY_ERROR_NETWORK (libvirtd
 *         not reachable; a local one that is not running says what to
 *         start), FERRY_ERROR_AUTH, FERRY_ERROR_FAILED; the message starts
 *         with the URI
 *
 * A read-only connection, with libvirt's own printing of errors silenced
 * (they reach the user once, through @error).
 */
virConnectPtr agent_libvirt_open(const char *uri, GError **error);
