/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-ferry-conf.c: /etc/ferry/ferry.conf as ferry-agent loads it
 * (agent_config_load: size cap, GKeyFile, every key's check).  The input
 * is the file, in a memfd read through /proc/self/fd like any path.
 * FUZZ_EXTRA_SOURCES: agent/state-config.c inspect/rules.c inspect/rules-load.c
 */
#include <config.h>

#include <sys/mman.h>
#include <unistd.h>

#include "agent/agent.h"

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    int fd = memfd_create("ferry.conf", MFD_CLOEXEC);
    g_autofree char *path = NULL;
    g_autoptr(AgentConfig) config = NULL;
    g_autoptr(GError) error = NULL;

    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    config = agent_config_load(path, FALSE, &error);
    g_assert((config == NULL) != (error == NULL));
    close(fd);
    return 0;
}
