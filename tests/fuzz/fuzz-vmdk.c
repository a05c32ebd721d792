/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-vmdk.c: libFuzzer target for the VMDK reader: a sparse extent, a streamOptimized disk or a text descriptor; a descriptor may name itself as an extent or parent (a loop the chain code must refuse).
 * The harness is tests/fuzz/fuzz-image.h; build with tests/fuzz/build.sh,
 * seeds from tests/fuzz/make-corpus-vmdk.sh.
 */
#include <config.h>

#define FUZZ_FORMAT "vmdk"
#include "tests/fuzz/fuzz-image.h"
