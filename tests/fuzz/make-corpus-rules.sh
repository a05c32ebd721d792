#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seeds for fuzz-rules: the shipped data/rules/*.conf and a few broken
# files (each kind of error rules-load.c names), in
# tests/fuzz/corpus/rules/.
#   tests/fuzz/make-corpus-rules.sh [CORPUS-DIR]   (default tests/fuzz/corpus)
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$srcdir/tests/fuzz/corpus}/rules
mkdir -p "$out"
for f in "$srcdir"/data/rules/*.conf; do
    cp "$f" "$out/$(basename "$f" .conf)"
done
printf '[rule a]\nfact=luks\nequals=false\nlevel=fail\nwhy=w\nfix=f\ncolour=red\n' >"$out/unknown-key"
printf '[rule a]\nfact=disk-count\nmax=16TiB\nlevel=warn\nunknown=pass\nwhy=w\nfix=f\n' >"$out/int"
printf '[rule a]\nfact=drivers\nall-in=a;b;c\nwhen-fact=firmware\nwhen-equals=uefi\nlevel=fail\nwhy=w\nfix=f\n' >"$out/list-when"
printf '[rule a]\nfact=arch\nin=x86_64;aarch64\nlevel=fail\nwhy=w\nfix=f\n[rule b]\nfact=mount-points\ncount-max=3\nlevel=warn\nwhy=w\nfix=f\n' >"$out/two"
