/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-known-hosts.c: a known_hosts file as ssh_host_key_verify() reads it
 * (plain and hashed host names, [host]:port, markers, base64 key blobs):
 * the input is the file, looked up for two names and one key, and listed
 * for the key types it holds.  The file sits in a memfd, read through
 * /proc/self/fd like any path.
 * FUZZ_EXTRA_SOURCES: transport/ssh-knownhosts.c
 */
#include <config.h>

#include <sys/mman.h>
#include <unistd.h>

#include "transport/ssh-priv.h"

/* An ssh-ed25519 key blob: string "ssh-ed25519", string of 32 bytes. */
static const guint8 fuzz_key_blob[] = {
    0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9',
    0, 0, 0, 32,
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    int fd = memfd_create("known_hosts", MFD_CLOEXEC);
    g_autofree char *path = NULL;
    const char *files[2] = { NULL, NULL };
    static const struct { const char *host; guint16 port; } names[] = {
        { "example.com", 22 }, { "127.0.0.1", 2222 },
    };
    gsize i;

    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    files[0] = path;
    for (i = 0; i < G_N_ELEMENTS(names); i++) {
        SshKnownHostResult result = { 0 };
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) types = NULL;

        ssh_known_hosts_lookup(files, names[i].host, names[i].port, fuzz_key_blob,
                               sizeof(fuzz_key_blob), &result, &error);
        ssh_known_host_result_clear(&result);
        types = ssh_known_hosts_key_types(files, names[i].host, names[i].port);
    }
    close(fd);
    return 0;
}
