/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-receive-protocol.c: `ferry receive`'s input path, as the receiver
 * runs it: the fuzzer's bytes are the sender's side of the channel
 * (frames: header checks, order and offsets, deflate payloads), written
 * into a .part in a private directory under a 64 MiB size cap.  The first
 * byte picks a fresh file or a resume of what the last input left, so
 * the resume path (lock, cut, prefix hash) is reached too.
 * FUZZ_EXTRA_SOURCES: agent/receive.c transport/receive-proto.c
 */
#include <config.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/receive-priv.h"
#include "providers/providers.h"

/* providers/target.c would bring every backend (and libssh2) along; the
 * name is fixed below, so the name check is not what is fuzzed here. */
gboolean
target_check_name(const char *name, GError **error)
{
    return ferry_check_text("file name", name, TARGET_MAX_NAME, error);
}

int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    static char *dir;
    static int dfd = -1, null_fd = -1;
    g_autoptr(GError) error = NULL;
    AgentReceiveOptions o = { 0 };
    int in_fd;

    if (size < 1)
        return 0;
    if (dfd < 0) {
        dir = g_dir_make_tmp("fuzz-receive-XXXXXX", NULL);
        g_assert(dir);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        g_assert(dfd >= 0 && null_fd >= 0);
    }
    in_fd = memfd_create("fuzz-receive", MFD_CLOEXEC);
    g_assert(in_fd >= 0);
    if (size > 1)
        g_assert(write(in_fd, data + 1, size - 1) == (ssize_t)(size - 1));
    g_assert(lseek(in_fd, 0, SEEK_SET) == 0);
    o.in_fd = in_fd;
    o.out_fd = null_fd;
    o.pool_fd = dfd;
    o.pool = dir;
    o.name = "fuzz.part";
    o.resume = data[0] & 1;
    o.resume_max = G_MAXINT64;
    o.max_size = 64 * 1024 * 1024;
    (void)agent_receive_run(&o, &error);
    close(in_fd);
    return 0;
}
