#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds every tests/fuzz/fuzz-*.c as a libFuzzer target with ASan and UBSan,
# linked against conv/ (and agent/ sources a target names in its
# "FUZZ_EXTRA_SOURCES:" comment line).
#   tests/fuzz/build.sh OUTDIR          build all targets into OUTDIR
# Then: OUTDIR/fuzz-qcow2 -max_total_time=300 tests/fuzz/corpus/qcow2
# (plus tests/fuzz/seeds/<target>, the committed corpus of the long runs:
# tests/fuzz/run-long.sh makes it; scripts/test-all.sh starts from both).
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: build.sh OUTDIR}
mkdir -p "$out"
cat >"$out/config.h" <<EOC
#define PACKAGE_VERSION "fuzz"
#define _FILE_OFFSET_BITS 64
EOC
conv_sources=$(ls "$srcdir"/conv/*.c)
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
 -D_GNU_SOURCE -DG_LOG_DOMAIN=\"ferry-fuzz\" -I$out -I$srcdir"
pkgs="glib-2.0 gio-2.0 zlib libzstd libdeflate json-glib-1.0 libxml-2.0 libvirt openssl libssh2"
for target in "$srcdir"/tests/fuzz/fuzz-*.c; do
    [ -e "$target" ] || continue
    name=$(basename "$target" .c)
    extra=$(sed -n 's/.*FUZZ_EXTRA_SOURCES: *//p' "$target" | head -1)
    extra_paths=""
    for e in $extra; do extra_paths="$extra_paths $srcdir/$e"; done
    # shellcheck disable=SC2086
    clang $flags -o "$out/$name" "$target" $conv_sources $extra_paths \
        $(pkg-config --cflags --libs $pkgs) -lpthread
    echo "built $out/$name"
done
