#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/azure.sh [BUILDDIR]: `ferry export --to azure://` (convert to a
# fixed VHD, -o subformat=fixed,azure=on, and send its 4 MiB windows that
# hold data as Put Page, four in flight, each with Content-MD5) to Azurite
# on loopback, against `ferry convert` alone of the same disk to the same
# format, in the same run, two ways: as ferry convert runs by default (the
# output fsynced: a persisted copy, as an upload the storage service
# acknowledged is; the project's rule "if ferry fsyncs, time the other
# with sync too"), and with -t unsafe (into the page cache only).  One raw
# disk of FERRY_BENCH_MIB MiB (default 512) whose every other 16 MiB is
# random data; best of FERRY_BENCH_RUNS (default 3) for each, alternated.
# And against Azure's own client: Microsoft's Azure Storage SDK for
# JavaScript (@azure/storage-blob, bench/azure-sdk, installed there with
# npm ci when absent) uploading the converted VHD the same way
# (upload-pages.mjs: page blob at the file's size, the 4 MiB windows not
# all zero as Put Page, 4 in flight, Content-MD5), alone and after
# `ferry convert` as two steps; the goal is judged like issue 11's: the
# export within 1.15x of max(convert persisted, the SDK upload alone).
# Prints wall time, CPU (user+sys, GNU time) and peak RSS of each (the
# client's only, not Azurite's), the upload rate against the disk's data,
# and how much the upload adds to each convert time; writes the table to
# bench/reports/azure-<date>.md (FERRY_BENCH_REPORT: another file, e.g.
# to append a section by hand).
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/bench/bench-functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/azure-functions.sh"
requires /usr/bin/time python3 curl npm
requires_azurite
sdk_dir=$top_srcdir/bench/azure-sdk
if [ ! -d "$sdk_dir/node_modules/@azure/storage-blob" ]; then
    echo "installing @azure/storage-blob in $sdk_dir (npm ci)..." >&2
    (cd "$sdk_dir" && npm ci --ignore-scripts --no-audit --no-fund >&2) ||
        fail "npm ci in $sdk_dir failed"
fi
sdk_version=$(node -e 'console.log(require(process.argv[1]).version)' \
    "$sdk_dir/node_modules/@azure/storage-blob/package.json")
mib=${FERRY_BENCH_MIB:-512}
runs=${FERRY_BENCH_RUNS:-3}

make_tmpdir
echo "making a $mib MiB half-random raw disk..." >&2
bench_half_random_raw "$tmpdir/src.raw" "$mib" 16
data_mib=$(( (mib / 32) * 16 + (mib % 32 < 16 ? mib % 32 : 16) ))
write_test_host bench "vda:raw:$tmpdir/src.raw"
cat "$tmpdir/src.raw" >/dev/null
start_azurite
azure_env

# proc_cpu PID: user+sys seconds of PID so far.
proc_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"
}
# best NAME: keep $wall/$cpu/$rss as NAME's best (NAMEw, NAMEc, NAMEr)
# when its wall time is below the best so far; true when it was.
best() {
    eval "b=\${${1}w:-}"
    if [ -z "$b" ] || awk "BEGIN{exit !($wall < $b)}"; then
        eval "${1}w=\$wall ${1}c=\$cpu ${1}r=\$rss"
        return 0
    fi
    return 1
}
cw="" pw="" ew="" sw="" tw=""
n=0
while [ $n -lt "$runs" ]; do
    rm -f "$tmpdir/out.vhd"
    timed "$FERRY" convert -t unsafe -O vpc -o subformat=fixed,azure=on \
        "$tmpdir/src.raw" "$tmpdir/out.vhd"
    echo "  convert -t unsafe run $((n + 1)): $wall s" >&2
    best c || :
    rm -f "$tmpdir/out.vhd"
    sync
    timed "$FERRY" convert -O vpc -o subformat=fixed,azure=on \
        "$tmpdir/src.raw" "$tmpdir/out.vhd"
    echo "  convert (fsync) run $((n + 1)): $wall s" >&2
    best p || :
    a0=$(proc_cpu "$azurite_pid")
    timed "$FERRY" export bench --connect "test://$tmpdir/host.xml" \
        --to "azure://$AZURITE_ACCOUNT/bench" --overwrite
    a1=$(proc_cpu "$azurite_pid")
    echo "  export run $((n + 1)): $wall s (Azurite CPU $a0 -> $a1 s)" >&2
    if best e; then
        ac=$(echo "$a1 $a0" | awk '{printf "%.2f", $1 - $2}')
    fi
    # The SDK uploads the VHD the fsynced convert above left.
    a0=$(proc_cpu "$azurite_pid")
    timed node "$sdk_dir/upload-pages.mjs" "$tmpdir/out.vhd" bench sdk-alone.vhd
    a1=$(proc_cpu "$azurite_pid")
    echo "  SDK upload run $((n + 1)): $wall s (Azurite CPU $a0 -> $a1 s)" >&2
    if best s; then
        sac=$(echo "$a1 $a0" | awk '{printf "%.2f", $1 - $2}')
    fi
    rm -f "$tmpdir/two.vhd"
    sync
    timed sh -c '"$1" convert -O vpc -o subformat=fixed,azure=on "$2" "$3" &&
        node "$4/upload-pages.mjs" "$3" bench sdk-two.vhd' sh \
        "$FERRY" "$tmpdir/src.raw" "$tmpdir/two.vhd" "$sdk_dir"
    echo "  convert, then SDK upload run $((n + 1)): $wall s" >&2
    best t || :
    n=$((n + 1))
done
# Each blob read back over the REST API by the tests' own Python client
# (azure_blob.py), against sha256sum of the converted file.
want=$(sha256sum <"$tmpdir/out.vhd")
[ "$(sha256sum <"$tmpdir/two.vhd")" = "$want" ] ||
    fail "the two-step convert differs from the first"
for blob in bench-vda.vhd sdk-alone.vhd sdk-two.vhd; do
    rm -f "$tmpdir/got.vhd"
    azure_blob get bench "$blob" "$tmpdir/got.vhd" || fail "get the blob $blob"
    [ "$(sha256sum <"$tmpdir/got.vhd")" = "$want" ] ||
        fail "the blob $blob differs from ferry convert's VHD"
done
rm -f "$tmpdir/got.vhd"
ratio=$(echo "$ew $pw" | awk '{printf "%.2f", $1 / $2}')
added=$(echo "$ew $pw" | awk '{printf "%+.0f", ($1 / $2 - 1) * 100}')
uratio=$(echo "$ew $cw" | awk '{printf "%.2f", $1 / $2}')
uadded=$(echo "$ew $cw" | awk '{printf "%+.0f", ($1 / $2 - 1) * 100}')
rate=$(echo "$data_mib $ew" | awk '{printf "%.0f", $1 / $2}')
crate=$(echo "$data_mib $cw" | awk '{printf "%.0f", $1 / $2}')
prate=$(echo "$data_mib $pw" | awk '{printf "%.0f", $1 / $2}')
srate=$(echo "$data_mib $sw" | awk '{printf "%.0f", $1 / $2}')
trate=$(echo "$data_mib $tw" | awk '{printf "%.0f", $1 / $2}')
sratio=$(echo "$ew $sw" | awk '{printf "%.2f", $1 / $2}')
tratio=$(echo "$ew $tw" | awk '{printf "%.2f", $1 / $2}')
# Issue 11's rule for a goal: the export against the slower of the two
# steps it fuses, each done alone by its reference tool.
floor=$(echo "$pw $sw" | awk '{print ($1 > $2) ? $1 : $2}')
gratio=$(echo "$ew $floor" | awk '{printf "%.2f", $1 / $2}')
gmet=$(echo "$gratio" | awk '{print ($1 <= 1.15) ? "met" : "not met"}')

date=$(date +%Y-%m-%d)
report=${FERRY_BENCH_REPORT:-$top_srcdir/bench/reports/azure-$date.md}
{
    echo "# ferry export --to azure:// against ferry convert and the Azure SDK, $date"
    echo
    echo "One raw disk of $mib MiB, every other 16 MiB random ($data_mib MiB of"
    echo "data).  \`ferry convert -O vpc -o subformat=fixed,azure=on\` writes"
    echo "the fixed VHD and fsyncs it (its default), with \`-t unsafe\` into the"
    echo "page cache only; \`ferry export --to azure://\` converts the same way"
    echo "and sends the 4 MiB windows holding data as Put Page (Content-MD5, 4"
    echo "in flight, footer last, then Get Page Ranges) to Azurite $(node -e 'console.log(require(process.argv[1]).version)' "$top_srcdir/tests/azurite/node_modules/azurite/package.json" 2>/dev/null)"
    echo "on loopback (in-memory).  Best wall time of $runs runs each,"
    echo "alternated, with its CPU and peak RSS (GNU time: the client's only,"
    echo "ferry or node with the SDK; Azurite's CPU is not counted but shares"
    echo "the cores).  Beside them Azure's own client, the SDK, uploads the"
    echo "fsynced convert's VHD alone, and after a \`ferry convert\` as two"
    echo "steps.  Rate: the disk's data over wall time."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r), $(df -T "$tmpdir" | awk 'NR == 2 {print $2}') for the convert output"
    echo "- command: flock /tmp/ferry-bench.lock sh bench/azure.sh (FERRY_BENCH_MIB=$mib FERRY_BENCH_RUNS=$runs)"
    echo
    echo "| way | wall s | CPU s | peak RSS MiB | data MiB/s | export / this |"
    echo "|---|---|---|---|---|---|"
    echo "| ferry convert (fsync: a persisted copy) | $pw | $pc | $pr | $prate | $ratio |"
    echo "| ferry convert -t unsafe (page cache) | $cw | $cc | $cr | $crate | $uratio |"
    echo "| SDK upload of the converted VHD (alone) | $sw | $sc | $sr | $srate | $sratio |"
    echo "| ferry convert, then SDK upload (two steps) | $tw | $tc | $tr | $trate | $tratio |"
    echo "| ferry export --to azure:// (convert + upload) | $ew | $ec | $er | $rate | 1.00 |"
    echo
    echo "SDK: @azure/storage-blob $sdk_version on Node $(node --version),"
    echo "bench/azure-sdk/upload-pages.mjs (the page blob created at the file's"
    echo "size, the 4 MiB windows not all zero as Put Page with Content-MD5, 4 in"
    echo "flight; the file read window by window).  Every blob read back equals"
    echo "sha256sum of the converted VHD."
    echo
    echo "Azurite's own CPU during the best export run: $ac s; during the best"
    echo "SDK upload run: $sac s."
    echo
    echo "Goal (issue 11's rule): export / max(convert persisted, SDK upload"
    echo "alone) = $ew / $floor = $gratio (at most 1.15: $gmet).  Export / the"
    echo "two steps (ferry convert, then the SDK upload): $tratio."
    echo
    echo "Against the persisted convert alone the upload adds $added % (the"
    echo "issue's first wording: at most +15 %, which on loopback measures"
    echo "Azurite's ingest, hence the SDK rows); against the page-cache convert"
    echo "it adds $uadded %.  The persisted convert is the one compared: an"
    echo "upload counts as done when the service acknowledged it, which Azure"
    echo "does only once the pages are stored, so both rows end with a durable"
    echo "copy.  Azurite in memory writes nothing to disk, so on this loopback"
    echo "the uploads pay for no disk writes at all and the comparison favours"
    echo "them."
} >"$report"
cat "$report"
echo "report: $report" >&2
