/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-qcow2.c: libFuzzer target for the qcow2 reader (any version, compression, subclusters, data files).
 * The harness is tests/fuzz/fuzz-image.h; build with tests/fuzz/build.sh,
 * seeds from tests/fuzz/make-corpus-qcow2.sh.
 */
#include <config.h>

#define FUZZ_FORMAT "qcow2"
#include "tests/fuzz/fuzz-image.h"
