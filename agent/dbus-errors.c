/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dbus-errors.c: the D-Bus error name of each FerryError code (beside the
 * exit statuses of agent/errors.c), registered once with GDBus so that a
 * GError returned by a handler travels as org.ferry.Error.<Name> and comes
 * back to a ferry client as the same FERRY_ERROR code.  Cancellation
 * (G_IO_ERROR_CANCELLED) travels as org.ferry.Error.Cancelled.
 */
#include <config.h>

#include <gio/gio.h>

#include "agent/dbus-priv.h"

static const char *const agent_dbus_error_names[] = {
    [FERRY_ERROR_FAILED] = "org.ferry.Error.Failed",
    [FERRY_ERROR_INVALID] = "org.ferry.Error.Invalid",
    [FERRY_ERROR_NOT_FOUND] = "org.ferry.Error.NotFound",
    [FERRY_ERROR_BUSY] = "org.ferry.Error.Busy",
    [FERRY_ERROR_UNSUPPORTED] = "org.ferry.Error.Unsupported",
    [FERRY_ERROR_CORRUPT] = "org.ferry.Error.Corrupt",
    [FERRY_ERROR_IO] = "org.ferry.Error.IO",
    [FERRY_ERROR_AUTH] = "org.ferry.Error.AccessDenied",
    [FERRY_ERROR_NETWORK] = "org.ferry.Error.Network",
    [FERRY_ERROR_REMOTE] = "org.ferry.Error.Remote",
    [FERRY_ERROR_CHECKSUM] = "org.ferry.Error.Checksum",
    [FERRY_ERROR_EXISTS] = "org.ferry.Error.Exists",
};
G_STATIC_ASSERT(G_N_ELEMENTS(agent_dbus_error_names) == FERRY_ERROR_LAST);

#define AGENT_DBUS_ERROR_CANCELLED "org.ferry.Error.Cancelled"

void
agent_dbus_errors_register(void)
{
    static gsize once = 0;
    guint i;

    if (!g_once_init_enter(&once))
        return;
    for (i = 0; i < FERRY_ERROR_LAST; i++)
        g_dbus_error_register_error(FERRY_ERROR, i, agent_dbus_error_names[i]);
    g_dbus_error_register_error(G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                AGENT_DBUS_ERROR_CANCELLED);
    g_once_init_leave(&once, 1);
}

const char *
agent_dbus_error_name(int code)
{
    if (code < 0 || code >= FERRY_ERROR_LAST)
        return agent_dbus_error_names[FERRY_ERROR_FAILED];
    return agent_dbus_error_names[code];
}

const char *
agent_dbus_error_name_for(const GError *error)
{
    if (!error)
        return "";
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return AGENT_DBUS_ERROR_CANCELLED;
    if (error->domain == FERRY_ERROR)
        return agent_dbus_error_name(error->code);
    return agent_dbus_error_names[FERRY_ERROR_FAILED];
}
