#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/convert.sh [BUILDDIR]: `ferry convert` against `qemu-img convert`
# on the same inputs in the same run, in two comparisons:
#
#  - persisted: ferry's default (fsync before the rename) against
#    `qemu-img convert` followed by `sync FILE`: the time to the output
#    being on disk;
#  - not persisted: `ferry convert -t unsafe` against qemu-img's default
#    (cache=unsafe: no fsync, the output left dirty in the page cache).
#
# The input is a raw image of FERRY_BENCH_GIB GiB (default "1 4": one input
# of each size in turn, in one report) whose every other 64 MiB holds data
# and the rest is a hole (half sparse); the data is a mix of binaries and
# text from /usr (compresses about like a real root disk), so the
# compressed rows mean something.  Every source format is made from it by
# qemu-img.  Each case runs the four commands (qemu-img, ferry -t unsafe,
# qemu-img + sync, ferry) in turn, FERRY_BENCH_RUNS rounds (default 3),
# with the page cache warm alike (the source was just written or read) and
# `sync` before every run, so that none pays for the dirty pages of the one
# before; the best and the median wall time of each are kept.
# FERRY_BENCH_ONLY=REGEX runs only the cases whose label matches (grep -E);
# FERRY_BENCH_MODES="persisted unsafe" (the default) picks the comparisons;
# FERRY_BENCH_SYNC=1 ends the persisted commands of both tools with a
# whole-system `sync` instead (the time to everything on disk, whatever
# each leaves dirty).  GNU time gives CPU (user+sys) and peak RSS.  Every
# ferry output is checked with `qemu-img compare` against the source (and
# `qemu-img check` where there is one) before its row is printed, so a fast
# wrong answer cannot score (the last round's outputs are the ones
# checked).  Cases whose writer ferry does not have yet print "not
# available".  Prints a Markdown report on stdout:
#
#   sh bench/convert.sh [BUILDDIR] > bench/reports/convert-$(date +%F).md
#
# Needs about 3x the largest data size free in $TMPDIR.
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io /usr/bin/time python3
gibs=${FERRY_BENCH_GIB:-1 4}
runs=${FERRY_BENCH_RUNS:-3}
only=${FERRY_BENCH_ONLY:-}
modes=${FERRY_BENCH_MODES:-persisted unsafe}
sync_all=${FERRY_BENCH_SYNC:-0}
if [ "$sync_all" = 1 ]; then
    flush="sync"
else
    flush="sync FILE"
fi

make_tmpdir
src=$tmpdir/src
mkdir "$src" "$tmpdir/out" "$tmpdir/rows"

# make_inputs GIB: the raw image and every source format made from it.
make_inputs() {
    rm -f "$src"/*
    echo "making a $1 GiB half-sparse raw image..." >&2
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
    # A two-layer chain: the base holds the image, the overlay rewrites
    # 16 MiB every 200 MiB (data over holes and over data): 256 MiB on
    # 4 GiB, what fits on a smaller disk.
    qemu-img convert -q -f raw -O qcow2 "$src/disk.raw" "$src/base.qcow2"
    qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 "$src/top.qcow2"
    i=0
    while [ $i -lt 16 ] && [ $((i * 200 + 46)) -le $((gib * 1024)) ]; do
        qemu-io -f qcow2 -c "write -P $((i + 1)) $((i * 200 + 30))M 16M" \
            "$src/top.qcow2" >/dev/null
        i=$((i + 1))
    done
}

# measure CMD...: runs CMD under GNU time; sets t_wall t_cpu t_rss.
# Dirty pages left by the command before (qemu-img does not flush its
# output, nor does ferry -t unsafe) are written out first, so that no
# command pays for the writeback of the one before it; then the earlier
# outputs are removed, the removal committed, and a second let pass.
# Each step was measured on this kind of machine (a VM whose freed memory
# goes back to the host, on ext4 mounted with discard), 1 GiB qcow2 ->
# raw with `ferry convert -t unsafe`, the same binary each time, after
# qemu-img wrote its output:
#  - with qemu-img's output still in the cache: 1.0-1.8 s (0.7-1.0 s
#    system time); page cache that was freed moments before is cheap to
#    take again, other memory is not;
#  - output removed, then sync, run at once: 0.34-0.61 s, the same CPU
#    (0.23 s) but waits, as the removal's discards go on;
#  - sync, removal, sync, 3 s pause: 0.32-0.64 s (0.30-0.56 s CPU): the
#    freed memory has gone back by then;
#  - sync, removal, sync, 1 s pause: 0.24-0.28 s in 3 runs of 4.
measure() {
    sync
    rm -f "$tmpdir"/out/*
    sync
    sleep 1
    /usr/bin/time -f '%e %U %S %M' -o "$tmpdir/time" "$@" >/dev/null \
        2>"$tmpdir/stderr" || {
        cat "$tmpdir/stderr" >&2
        return 1
    }
    read -r t_wall t_user t_sys t_rss <"$tmpdir/time"
    t_cpu=$(echo "$t_user $t_sys" | awk '{printf "%.2f", $1 + $2}')
}

# `sh -c "$then_sync" sh FILE CMD...` runs CMD, then flushes FILE
# (everything, with FERRY_BENCH_SYNC=1) to disk: one command to time.
if [ "$sync_all" = 1 ]; then
    then_sync='shift; "$@" && sync'
else
    then_sync='f=$1; shift; "$@" && sync "$f"'
fi

kib_to_mib() { echo "$1" | awk '{printf "%.0f", $1 / 1024}'; }
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }'; }
# The median of the numbers on stdin.
median() {
    sort -n | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
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

Input: $(echo "$gibs" | sed 's/ / and /g') GiB virtual, every other 64 MiB
holds data (file contents from /usr), the rest a hole; each source format
made from it by qemu-img.  Each case ran qemu-img then \`$flush\`,
\`ferry convert\`, \`ferry convert -t unsafe\` and qemu-img in turn,
$runs round(s), page cache warm for all; before every run the earlier
outputs were removed and \`sync\` run; best and median wall time of each.
ferry's outputs of the last round passed \`qemu-img compare\` (and
\`qemu-img check\`) before the rows were printed.  Ratio = ferry /
qemu-img (of the best runs, of the medians; size of the output file).

Two comparisons:
- persisted: \`ferry convert\` (its default: fsync before the rename)
  against \`qemu-img convert\` followed by \`$flush\`, both timed to the
  output being on disk;
- not persisted: \`ferry convert -t unsafe\` against \`qemu-img convert\`
  (whose default cache mode, unsafe, leaves the output dirty in the page
  cache, no fsync).

- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB,
  shared with other engineers' builds and tests while this ran
- $(uname -sr); output filesystem $(df -T "$tmpdir" | awk 'NR == 2 {print $2}')
- $(qemu-img --version | head -1)
- ferry: $(cd "$top_srcdir" && git describe --always --dirty 2>/dev/null || echo unknown)
- command: FERRY_BENCH_GIB="$gibs" FERRY_BENCH_RUNS=$runs${only:+ FERRY_BENCH_ONLY='$only'}$( [ "$sync_all" = 1 ] && echo " FERRY_BENCH_SYNC=1") sh bench/convert.sh
EOF

# verify LABEL SRC SRCFMT OUT OUTFMT: ferry's output is the source's disk
# (and a consistent image where qemu-img can check one).
verify() {
    qemu-img compare -q -f "$3" -F "$5" "$2" "$4" ||
        fail "$1: ferry's output differs from the source"
    case $5 in
    qcow2 | vmdk)
        qemu-img check -q -f "$5" "$4" ||
            fail "$1: qemu-img check failed on ferry's output" ;;
    esac
}

# keep KEY WALL CPU RSS: keeps the run with the best wall time per KEY, and
# every wall time for the median.
keep() {
    echo "$2" >>"$tmpdir/rows/$1.all"
    if [ ! -s "$tmpdir/rows/$1.best" ] ||
        awk "BEGIN{exit !($2 < $(cut -d' ' -f1 "$tmpdir/rows/$1.best"))}"; then
        echo "$2 $3 $4" >"$tmpdir/rows/$1.best"
    fi
}

# row MODE LABEL SIZE_RATIO: appends the row of one comparison.
row() {
    read -r qw qc qr <"$tmpdir/rows/q-$1.best"
    read -r fw fc fr <"$tmpdir/rows/f-$1.best"
    qm=$(median <"$tmpdir/rows/q-$1.all")
    fm=$(median <"$tmpdir/rows/f-$1.all")
    echo "| $2 | $qw | $fw | $(ratio "$fw" "$qw") | $qm | $fm | $(ratio "$fm" "$qm") | $qc | $fc | $(kib_to_mib "$qr") | $(kib_to_mib "$fr") | $3 |" \
        >>"$tmpdir/rows/table-$1"
}

has_mode() { case " $modes " in *" $1 "*) return 0 ;; esac; return 1; }

# bench_case LABEL SRC SRCFMT OUTFMT "QEMU-IMG ARGS" "FERRY ARGS"
bench_case() {
    label=$1 in=$2 ifmt=$3 ofmt=$4 qargs=$5 fargs=$6
    if [ -n "$only" ] && ! echo "$label" | grep -Eq -- "$only"; then
        return 0
    fi
    # shellcheck disable=SC2086
    if ! ferry_can "$ofmt" $fargs; then
        for mode in $modes; do
            echo "| $label | | | not available | | | | | | | | |" \
                >>"$tmpdir/rows/table-$mode"
        done
        return 0
    fi
    qo=$tmpdir/out/q.$ofmt fo=$tmpdir/out/f.$ofmt
    rm -f "$tmpdir"/rows/[qf]-*
    # The order of a round: qemu-img + sync, ferry, ferry -t unsafe,
    # qemu-img.  Each command takes the page cache the one before freed
    # (see measure()), so each must follow one that left its whole output
    # in the cache.  ferry's default does not (it drops all but the last
    # 256 MiB as it goes, conv/sink.c), so an untimed ferry -t unsafe of
    # the same case follows it.  1 GiB qcow2 -> raw, ferry -t unsafe right
    # after ferry's default: 0.80-0.88 s (0.46-0.53 s CPU); with an
    # untimed conversion (ferry -t unsafe or qemu-img) between them:
    # 0.24-0.61 s (0.22-0.26 s CPU in 5 runs of 6); a copy of the raw
    # input between them did not help (0.57-0.94 s).
    r=0
    while [ $r -lt "$runs" ]; do
        r=$((r + 1))
        if has_mode persisted; then
            echo "$gib GiB $label: qemu-img + $flush, run $r" >&2
            # shellcheck disable=SC2086
            measure sh -c "$then_sync" sh "$qo" qemu-img convert \
                -f "$ifmt" -O "$ofmt" $qargs "$in" "$qo"
            keep q-persisted "$t_wall" "$t_cpu" "$t_rss"
            q_size=$(out_size "$qo")
            echo "$gib GiB $label: ferry, run $r" >&2
            if [ "$sync_all" = 1 ]; then
                # shellcheck disable=SC2086
                measure sh -c "$then_sync" sh "$fo" "$FERRY" convert \
                    -f "$ifmt" -O "$ofmt" $fargs "$in" "$fo"
            else
                # shellcheck disable=SC2086
                measure "$FERRY" convert -f "$ifmt" -O "$ofmt" $fargs \
                    "$in" "$fo"
            fi
            keep f-persisted "$t_wall" "$t_cpu" "$t_rss"
            [ $r -lt "$runs" ] || verify "$label" "$in" "$ifmt" "$fo" "$ofmt"
            f_size=$(out_size "$fo")
            if has_mode unsafe; then
                # shellcheck disable=SC2086
                "$FERRY" convert -t unsafe -f "$ifmt" -O "$ofmt" $fargs \
                    "$in" "$tmpdir/out/spacer" >/dev/null
            fi
        fi
        if has_mode unsafe; then
            echo "$gib GiB $label: ferry -t unsafe, run $r" >&2
            # shellcheck disable=SC2086
            measure "$FERRY" convert -t unsafe -f "$ifmt" -O "$ofmt" $fargs \
                "$in" "$fo"
            keep f-unsafe "$t_wall" "$t_cpu" "$t_rss"
            [ $r -lt "$runs" ] || verify "$label" "$in" "$ifmt" "$fo" "$ofmt"
            f_size=$(out_size "$fo")
            echo "$gib GiB $label: qemu-img, run $r" >&2
            # shellcheck disable=SC2086
            measure qemu-img convert -f "$ifmt" -O "$ofmt" $qargs "$in" "$qo"
            keep q-unsafe "$t_wall" "$t_cpu" "$t_rss"
            q_size=$(out_size "$qo")
        fi
    done
    for mode in $modes; do
        row "$mode" "$label" "$(ratio "$f_size" "$q_size")"
    done
    rm -f "$tmpdir"/out/*
}

for mode in $modes; do
    has_mode "$mode" && case $mode in
    persisted | unsafe) ;;
    *) fail "FERRY_BENCH_MODES: '$mode' is neither persisted nor unsafe" ;;
    esac
done

for gib in $gibs; do
    make_inputs "$gib"
    rm -f "$tmpdir"/rows/table-*
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
    bench_case "qcow2 -> vmdk monolithicSparse" "$src/disk.qcow2" qcow2 vmdk \
        "" ""
    bench_case "qcow2 -> vpc fixed" "$src/disk.qcow2" qcow2 vpc \
        "-o subformat=fixed" "-o subformat=fixed"
    bench_case "qcow2 -> vpc dynamic" "$src/disk.qcow2" qcow2 vpc "" ""
    for mode in $modes; do
        case $mode in
        persisted)
            what="persisted: \`ferry convert\` against \`qemu-img convert\` + \`$flush\`" ;;
        unsafe)
            what="not persisted: \`ferry convert -t unsafe\` against \`qemu-img convert\`" ;;
        esac
        cat <<EOF

## $gib GiB, $what

| case | qemu-img best s | ferry best s | ratio (best) | qemu-img median s | ferry median s | ratio (median) | qemu-img CPU s | ferry CPU s | qemu-img RSS MiB | ferry RSS MiB | size ratio |
|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
        cat "$tmpdir/rows/table-$mode"
    done
done
