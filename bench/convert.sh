#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/convert.sh [BUILDDIR]: `ferry convert` against `qemu-img convert`
# on the same inputs in the same run.  The input is a raw image of
# FERRY_BENCH_GIB GiB (default 4) whose every other 64 MiB holds data and
# the rest is a hole (half sparse); the data is a mix of binaries and text
# from /usr (compresses about like a real root disk), so the compressed
# rows mean something.  Every source format is made from it by qemu-img.
# Each case runs qemu-img then ferry, FERRY_BENCH_RUNS times each (default
# 2), alternating, with the page cache warm alike (the source was just
# written or read) and `sync` before every run, so that neither pays for
# the other's dirty pages; the best wall time of
# each is kept.  FERRY_BENCH_ONLY=REGEX runs only the cases whose label
# matches (grep -E); FERRY_BENCH_SYNC=1 puts a `sync` inside each timing.
# GNU time gives
# CPU (user+sys) and peak RSS.  Every ferry output is checked with
# `qemu-img compare` against the source (and `qemu-img check` where there
# is one) before its row is printed, so a fast wrong answer cannot score.
# Cases whose writer ferry does not have yet print "not available".
# Prints a Markdown report on stdout:
#
#   sh bench/convert.sh [BUILDDIR] > bench/reports/convert-$(date +%F).md
#
# Needs about 3x the data size free in $TMPDIR.
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io /usr/bin/time python3
gib=${FERRY_BENCH_GIB:-4}
runs=${FERRY_BENCH_RUNS:-2}
only=${FERRY_BENCH_ONLY:-}
# qemu-img convert writes with cache=unsafe (no fsync); ferry does the same
# here so both do the same work.  FERRY_BENCH_CACHE=writeback times
# ferry's default, which fsyncs before the rename.
cache=${FERRY_BENCH_CACHE:-unsafe}
# FERRY_BENCH_SYNC=1 times each command followed by `sync`, for both tools:
# the time to the data being on disk, whatever each leaves dirty.
sync_in_timing=${FERRY_BENCH_SYNC:-0}

make_tmpdir
src=$tmpdir/src
mkdir "$src" "$tmpdir/out"

echo "making a $gib GiB half-sparse raw image..." >&2
python3 - "$src/disk.raw" "$gib" <<'PY'
import os, sys
chunk = 64 << 20
# A pool of real file contents from /usr: compressible like a root disk.
pool = bytearray()
for root in ("/usr/bin", "/usr/share/doc", "/usr/lib/x86_64-linux-gnu"):
    for dirpath, _, names in os.walk(root):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            try:
                if os.path.isfile(p) and not os.path.islink(p):
                    with open(p, "rb") as f:
                        pool += f.read(4 << 20)
            except OSError:
                pass
            if len(pool) >= 2 * chunk:
                break
        if len(pool) >= 2 * chunk:
            break
pool = bytes(pool[: 2 * chunk])
size = int(sys.argv[2]) << 30
with open(sys.argv[1], "wb") as f:
    f.truncate(size)
    for i, off in enumerate(range(0, size, 2 * chunk)):
        f.seek(off)
        start = (i * 7919 * 4096) % chunk   # a different slice each time
        f.write(pool[start : start + chunk])
PY

echo "making the source images with qemu-img..." >&2
qemu-img convert -q -f raw -O qcow2 "$src/disk.raw" "$src/disk.qcow2"
qemu-img convert -q -c -f raw -O qcow2 "$src/disk.raw" "$src/disk-c.qcow2"
qemu-img convert -q -f raw -O vmdk "$src/disk.raw" "$src/disk.vmdk"
# A two-layer chain: the base holds the image, the overlay rewrites 256 MiB
# spread over it (data over holes and over data).
qemu-img convert -q -f raw -O qcow2 "$src/disk.raw" "$src/base.qcow2"
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$src/top.qcow2"
i=0
while [ $i -lt 16 ]; do
    qemu-io -f qcow2 -c "write -P $((i + 1)) $((i * 200 + 30))M 16M" \
        "$src/top.qcow2" >/dev/null
    i=$((i + 1))
done

# measure NAME -- CMD...: runs CMD under GNU time; sets t_wall t_cpu t_rss.
# Dirty pages left by the command before (qemu-img does not flush its
# output, nor does ferry -t unsafe) are written out first, so that no
# command pays for the writeback of the one before it.
measure() {
    sync
    if [ "$sync_in_timing" = 1 ]; then
        set -- sh -c '"$@" && sync' sh "$@"
    fi
    /usr/bin/time -f '%e %U %S %M' -o "$tmpdir/time" "$@" >/dev/null \
        2>"$tmpdir/stderr" || {
        cat "$tmpdir/stderr" >&2
        return 1
    }
    read -r t_wall t_user t_sys t_rss <"$tmpdir/time"
    t_cpu=$(echo "$t_user $t_sys" | awk '{printf "%.2f", $1 + $2}')
}

kib_to_mib() { echo "$1" | awk '{printf "%.0f", $1 / 1024}'; }
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }'; }
alloc_bytes() { du -B1 "$1" | cut -f1; }
# Compressed outputs are compared by file size (what is sent), others by
# what the file occupies.
out_size() { stat -c %s "$1"; }

ferry_can() {   # ferry_can OUTFMT OPTS...: does ferry have this writer?
    fmt=$1
    shift
    qemu-img create -q -f raw "$tmpdir/probe.raw" 1M
    rm -f "$tmpdir/probe.out"
    "$FERRY" convert -f raw -O "$fmt" "$@" "$tmpdir/probe.raw" \
        "$tmpdir/probe.out" >/dev/null 2>&1
}

cat <<EOF
# ferry convert against qemu-img convert, $(date +%F)

Input: $gib GiB virtual, every other 64 MiB holds data (file contents from
/usr), the rest a hole; each source format made from it by qemu-img.
Best of $runs run(s) each, alternating, page cache warm for both, \`sync\`
before every run; ferry ran with \`-t $cache\` (qemu-img convert's default
cache mode is unsafe: it does not fsync its output); \`sync\` inside the
timing: $( [ "$sync_in_timing" = 1 ] && echo yes || echo no ).  Every
ferry output passed \`qemu-img compare\` (and \`qemu-img check\`) first.
Ratio = ferry / qemu-img (time; size of the output file).

- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
- $(qemu-img --version | head -1)
- ferry: $(cd "$top_srcdir" && git describe --always --dirty 2>/dev/null || echo unknown)

| case | qemu-img s | ferry s | time ratio | qemu-img CPU s | ferry CPU s | qemu-img RSS MiB | ferry RSS MiB | size ratio |
|---|---|---|---|---|---|---|---|---|
EOF

# bench_case LABEL SRC SRCFMT OUTFMT "QEMU-IMG ARGS" "FERRY ARGS"
bench_case() {
    label=$1 in=$2 ifmt=$3 ofmt=$4 qargs=$5 fargs=$6
    if [ -n "$only" ] && ! echo "$label" | grep -Eq -- "$only"; then
        return 0
    fi
    # shellcheck disable=SC2086
    if ! ferry_can "$ofmt" $fargs; then
        echo "| $label | | | not available | | | | | |"
        return 0
    fi
    qo=$tmpdir/out/q.$ofmt fo=$tmpdir/out/f.$ofmt
    best_q="" best_f=""
    r=0
    while [ $r -lt "$runs" ]; do
        echo "$label: qemu-img, run $((r + 1))" >&2
        rm -f "$qo"
        # shellcheck disable=SC2086
        measure qemu-img convert -f "$ifmt" -O "$ofmt" $qargs "$in" "$qo"
        if [ -z "$best_q" ] || awk "BEGIN{exit !($t_wall < $best_q)}"; then
            best_q=$t_wall q_cpu=$t_cpu q_rss=$t_rss
        fi
        echo "$label: ferry, run $((r + 1))" >&2
        rm -f "$fo"
        # shellcheck disable=SC2086
        measure "$FERRY" convert -t "$cache" -f "$ifmt" -O "$ofmt" $fargs "$in" "$fo"
        if [ -z "$best_f" ] || awk "BEGIN{exit !($t_wall < $best_f)}"; then
            best_f=$t_wall f_cpu=$t_cpu f_rss=$t_rss
        fi
        r=$((r + 1))
    done
    qemu-img compare -q -f "$ifmt" -F "$ofmt" "$in" "$fo" ||
        fail "$label: ferry's output differs from the source"
    case $ofmt in
    qcow2 | vmdk)
        qemu-img check -q -f "$ofmt" "$fo" ||
            fail "$label: qemu-img check failed on ferry's output" ;;
    esac
    echo "| $label | $best_q | $best_f | $(ratio "$best_f" "$best_q") | $q_cpu | $f_cpu | $(kib_to_mib "$q_rss") | $(kib_to_mib "$f_rss") | $(ratio "$(out_size "$fo")" "$(out_size "$qo")") |"
    rm -f "$qo" "$fo"
}

# Issue 4: the read path into qcow2 and raw.
bench_case "raw -> qcow2" "$src/disk.raw" raw qcow2 "" ""
bench_case "qcow2 -> raw" "$src/disk.qcow2" qcow2 raw "" ""
bench_case "compressed qcow2 -> raw" "$src/disk-c.qcow2" qcow2 raw "" ""
bench_case "vmdk -> qcow2" "$src/disk.vmdk" vmdk qcow2 "" ""
bench_case "qcow2 chain -> raw" "$src/top.qcow2" qcow2 raw "" ""
# Issue 5: the cloud formats and compression.
bench_case "raw -> qcow2 -c" "$src/disk.raw" raw qcow2 "-c" "-c"
bench_case "qcow2 -> vmdk streamOptimized" "$src/disk.qcow2" qcow2 vmdk \
    "-o subformat=streamOptimized" "-o subformat=streamOptimized"
bench_case "qcow2 -> vmdk monolithicSparse" "$src/disk.qcow2" qcow2 vmdk "" ""
bench_case "qcow2 -> vpc fixed" "$src/disk.qcow2" qcow2 vpc \
    "-o subformat=fixed" "-o subformat=fixed"
bench_case "qcow2 -> vpc dynamic" "$src/disk.qcow2" qcow2 vpc "" ""
