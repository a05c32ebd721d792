/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-vhdx.c: libFuzzer target for the VHDX reader (open, block status,
 * reads), through conv.h as the product uses it.
 *
 * A VHDX keeps its regions at 1 MiB multiples and is mostly empty space,
 * so the input is not the file itself but a sparse description of it,
 * which keeps inputs small and mutations on the bytes that matter:
 *   bytes 0-1   file size in 64 KiB units (at most 16 MiB)
 *   then records: offset in 512-byte units (4 bytes LE), length (2 bytes
 *   LE), that many bytes; anything past the file size is dropped.
 * Seeds: tests/fuzz/make-corpus-vpc.sh (images made by qemu-img).
 *   tests/fuzz/build.sh out && out/fuzz-vhdx -max_total_time=300 \
 *       tests/fuzz/corpus/vhdx
 */
#define FUZZ_FORMAT "vhdx"
#include "tests/fuzz/fuzz-vpc-common.h"
