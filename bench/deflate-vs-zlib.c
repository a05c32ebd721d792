/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * deflate-vs-zlib.c: the measurement behind ferry's libdeflate dependency.
 * Compresses FILE in 64 KiB chunks (a qcow2 cluster, a VMDK grain) as raw
 * deflate, once with zlib as qemu-img calls it (Z_DEFAULT_COMPRESSION,
 * window bits -12, block/qcow2-threads.c) and once with libdeflate at
 * level 2 (what conv/engine-compress.c uses), on one thread each, and
 * prints the CPU seconds and output bytes of both.  Built and run by
 * bench/deflate.sh.
 */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define CHUNK (64 * 1024)

static double
cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    static unsigned char in[CHUNK], out[2 * CHUNK];
    struct libdeflate_compressor *ld = libdeflate_alloc_compressor(2);
    unsigned long long zbytes = 0, lbytes = 0, total = 0;
    double zcpu = 0, lcpu = 0;
    FILE *f;
    size_t n;

    if (argc != 2 || !(f = fopen(argv[1], "rb")) || !ld) {
        fprintf(stderr, "usage: deflate-vs-zlib FILE\n");
        return 2;
    }
    while ((n = fread(in, 1, CHUNK, f)) > 0) {
        z_stream zs;
        double t0;
        size_t got;

        memset(&zs, 0, sizeof(zs));
        t0 = cpu_seconds();
        if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return 1;
        zs.next_in = in;
        zs.avail_in = n;
        zs.next_out = out;
        zs.avail_out = sizeof(out);
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
            return 1;
        zbytes += zs.total_out;
        deflateEnd(&zs);
        zcpu += cpu_seconds() - t0;

        t0 = cpu_seconds();
        got = libdeflate_deflate_compress(ld, in, n, out, sizeof(out));
        lcpu += cpu_seconds() - t0;
        if (got == 0)
            return 1;
        lbytes += got;
        total += n;
    }
    fclose(f);
    libdeflate_free_compressor(ld);
    printf("%llu %.3f %llu %.3f %llu\n", total, zcpu, zbytes, lcpu, lbytes);
    return 0;
}
