#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/deflate.sh: zlib as qemu-img uses it against libdeflate level 2 as
# ferry uses it, one thread each, on FERRY_BENCH_MIB MiB (default 256) of
# file contents from /usr (binaries and text, about like a root disk), in
# 64 KiB chunks.  Prints a Markdown report on stdout:
#
#   sh bench/deflate.sh > bench/reports/deflate-$(date +%F).md
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
mib=${FERRY_BENCH_MIB:-256}
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/deflate-vs-zlib" "$top_srcdir/bench/deflate-vs-zlib.c" \
    $(pkg-config --cflags --libs zlib libdeflate)
# The same kind of input as bench/convert.sh: regular files under /usr,
# concatenated until there is enough.
find /usr/lib /usr/share /usr/bin -type f -size +4k 2>/dev/null | sort |
    while IFS= read -r f; do cat "$f" 2>/dev/null || true; done |
    head -c $((mib << 20)) >"$work/input"
read -r total zcpu zbytes lcpu lbytes <<EOR
$("$work/deflate-vs-zlib" "$work/input")
EOR
cat <<EOR
# deflate: zlib (as qemu-img) against libdeflate level 2 (as ferry), $(date +%F)

Input: $((total >> 20)) MiB of files from /usr, compressed in 64 KiB chunks as raw
deflate, one thread.  zlib: level Z_DEFAULT_COMPRESSION, window bits -12
(qemu's block/qcow2-threads.c); libdeflate: level 2 (conv/engine-compress.c).

- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
- zlib $(pkg-config --modversion zlib), libdeflate $(pkg-config --modversion libdeflate)
- command: sh bench/deflate.sh (FERRY_BENCH_MIB=$mib)

| library | CPU s | MiB/s | output bytes | output / input |
|---|---|---|---|---|
| zlib | $zcpu | $(awk "BEGIN{printf \"%.0f\", $total / 1048576 / $zcpu}") | $zbytes | $(awk "BEGIN{printf \"%.3f\", $zbytes / $total}") |
| libdeflate 2 | $lcpu | $(awk "BEGIN{printf \"%.0f\", $total / 1048576 / $lcpu}") | $lbytes | $(awk "BEGIN{printf \"%.3f\", $lbytes / $total}") |

libdeflate takes $(awk "BEGIN{printf \"%.2f\", $lcpu / $zcpu}") of zlib's CPU time ($(awk "BEGIN{printf \"%.1f\", $zcpu / $lcpu}")x as fast) for an output $(awk "BEGIN{printf \"%.3f\", $lbytes / $zbytes}") times zlib's size.
EOR
