#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The long fuzz runs of issue 17, outside CI: each TARGET (a name such as
# aws-xml) runs alone for SECONDS under nice, from its generated seeds
# (tests/fuzz/corpus/<target>, made by make-corpus-*.sh), its committed
# seeds (tests/fuzz/seeds/<target>) and, for domain-xml, the inventory
# fixtures; then the corpus it grew is merged with -set_cover_merge=1 (the
# smallest set libFuzzer finds that keeps the coverage) into a fresh
# tests/fuzz/seeds/<target>, which CI's short runs start from.
# One line per run goes to OUTDIR/long-runs.txt: target, seconds, execs,
# corpus files before the merge, seeds kept (files, bytes), findings.
#   tests/fuzz/build.sh OUTDIR
#   tests/fuzz/run-long.sh OUTDIR SECONDS TARGET...
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: run-long.sh OUTDIR SECONDS TARGET...}
secs=${2:?usage: run-long.sh OUTDIR SECONDS TARGET...}
shift 2
for name in "$@"; do
    bin=$out/fuzz-$name
    [ -x "$bin" ] || { echo "run-long.sh: no $bin (run tests/fuzz/build.sh $out)" >&2; exit 1; }
    work=$out/long-$name
    rm -rf "$work" "$out/crash-$name"
    mkdir -p "$work" "$out/crash-$name"
    for d in "$srcdir/tests/fuzz/corpus/$name" "$srcdir/tests/fuzz/seeds/$name"; do
        [ -d "$d" ] && cp -r "$d/." "$work/"
    done
    [ "$name" = domain-xml ] && cp "$srcdir"/tests/fixtures/inventory/*.xml "$work/"
    status=0
    nice -n 19 "$bin" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$out/crash-$name/" "$work" \
        >"$out/long-$name.log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/long-$name.log")
    grown=$(find "$work" -type f | wc -l)
    findings=$(find "$out/crash-$name" -type f | wc -l)
    # The minimised set: what keeps the grown corpus's coverage.
    seeds=$srcdir/tests/fuzz/seeds/$name
    rm -rf "$seeds.new"
    mkdir -p "$seeds.new"
    nice -n 19 "$bin" -set_cover_merge=1 -rss_limit_mb=1024 -timeout=10 "$seeds.new" "$work" \
        >"$out/merge-$name.log" 2>&1
    rm -rf "$seeds"
    mv "$seeds.new" "$seeds"
    kept=$(find "$seeds" -type f | wc -l)
    bytes=$(du -sb "$seeds" | cut -f1)
    printf '%s\t%s s\t%s execs\t%s grown\t%s seeds\t%s bytes\t%s findings\texit %s\n' \
        "$name" "$secs" "$execs" "$grown" "$kept" "$bytes" "$findings" "$status" |
        tee -a "$out/long-runs.txt"
done
