/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-vpc.c: libFuzzer target for the VHD reader (open, block status,
 * reads), through conv.h as the product uses it.
 *
 * A VHD is mostly empty space (a fixed disk is all data, a dynamic one has
 * its footer at the end), so the input is not the file itself but a sparse
 * description of it, which keeps inputs small and mutations on the bytes
 * that matter:
 *   bytes 0-1   file size in 64 KiB units (at most 16 MiB)
 *   then records: offset in 512-byte units (4 bytes LE), length (2 bytes
 *   LE), that many bytes; anything past the file size is dropped.
 * Seeds: tests/fuzz/make-corpus-vpc.sh (images made by qemu-img).
 *   tests/fuzz/build.sh out && out/fuzz-vpc -max_total_time=300 \
 *       tests/fuzz/corpus/vpc
 */
#define FUZZ_FORMAT "vpc"
#include "tests/fuzz/fuzz-vpc-common.h"
