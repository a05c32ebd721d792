#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/streams.sh [BUILDDIR]: ferry export --streams (issue #11) in one
# run: `ferry export --format raw --transport sftp` with --streams 1, the
# default (min(4, cores)) and 4 (FERRY_BENCH_STREAMS), against scp of the same bytes (the source file itself) with
# the cipher and MAC libssh2 1.10 negotiates (aes128-ctr, hmac-sha2-256).
# The disk is a raw file of random bytes on a libvirt test-driver host
# made here, to a private sshd on loopback (tests/integration/functions.sh
# start_sshd): FERRY_BENCH_MIB MiB (default 512) on loopback, then
# FERRY_BENCH_RELAY_MIB MiB (default 256) through bench/relay.py with
# FERRY_BENCH_RTT_MS (default 20) of round trip, the long link several
# streams are for.  Each row is the best (least wall time) of
# FERRY_BENCH_RUNS runs (default 3), the ways alternating; ferry's times
# include the target's verification (SFTP: `openssl dgst` read-back).
# Prints wall, client CPU (user+sys, GNU time), peak client RSS and the
# ratio to scp of the same group; writes the table to
# bench/reports/streams-<date>.md.  Needs root.
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires scp ssh /usr/bin/time python3
mib=${FERRY_BENCH_MIB:-512}
relay_mib=${FERRY_BENCH_RELAY_MIB:-256}
rtt=${FERRY_BENCH_RTT_MS:-20}
runs=${FERRY_BENCH_RUNS:-3}
# --streams values to run: 1, the default on this machine (min(4, cores)), 4.
counts=${FERRY_BENCH_STREAMS:-$(n=$(nproc); [ "$n" -gt 4 ] && n=4; printf '%s\n' 1 "$n" 4 | sort -nu | tr '\n' ' ' | sed 's/ $//')}

. "$top_srcdir/bench/bench-functions.sh"
. "$top_srcdir/bench/ssh-link-functions.sh"

# group KEY LABEL HOST MIB PORT PINOPTS SCPOPTS: scp, ferry SFTP with one
# stream and with four.
group() {
    gname=$1 label=$2 host=$3 gmib=$4 port=$5 pin=$6 sopts=$7
    i=0
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        # shellcheck disable=SC2086
        best "${gname}_scp" scp $sopts -P "$port" "$tmpdir/$host.raw" "root@127.0.0.1:$tmpdir/pool/x.raw"
        for n in $counts; do
            # shellcheck disable=SC2086
            best "${gname}_s$n" "$FERRY" export "$host" --connect "test://$tmpdir/$host.xml" \
                --format raw --transport sftp --streams "$n" \
                --to "ssh://root@127.0.0.1:$port$tmpdir/pool" $pin
            cmp "$tmpdir/$host.raw" "$tmpdir/pool/$host-vda.raw" || fail "--streams $n copy differs"
        done
    done
    row "scp ($label)" "${gname}_scp" "${gname}_scp" "$gmib"
    for n in $counts; do
        row "ferry export, SFTP, --streams $n ($label)" "${gname}_s$n" "${gname}_scp" "$gmib"
    done
}

load0=$(cut -d' ' -f1 /proc/loadavg)
run_groups

date=$(date +%Y-%m-%d)
report=${FERRY_BENCH_REPORT:-$top_srcdir/bench/reports/streams-$date.md}
{
    echo "# ferry export --streams against scp, $date"
    echo
    echo "\`ferry export --format raw --transport sftp\` of one raw disk of random"
    echo "bytes ($mib MiB on loopback, $relay_mib MiB through bench/relay.py at $rtt ms"
    echo "RTT) to a private sshd with --streams $counts (the default here is $(n=$(nproc); [ "$n" -gt 4 ] && n=4; echo "$n")), against scp of"
    echo "the same file (aes128-ctr, hmac-sha2-256, as libssh2 negotiates).  Best"
    echo "and median of $runs runs each, ways alternating; ferry's times include the target's"
    echo "verification (a read-back over \`openssl dgst\`); CPU and RSS are the"
    echo "client's (GNU time); ratio is wall time over scp's in the same group."
    echo "The machine's 2 cores are shared with other work: figures are noisy."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r)"
    echo "- $(ssh -V 2>&1); libssh2 $(pkg-config --modversion libssh2); $(python3 --version)"
    echo "- command: bench/streams.sh (FERRY_BENCH_MIB=$mib FERRY_BENCH_RELAY_MIB=$relay_mib FERRY_BENCH_RTT_MS=$rtt FERRY_BENCH_RUNS=$runs FERRY_BENCH_STREAMS='$counts')"
    echo "- load average (1 min) at the start: $load0, at the end: $(cut -d' ' -f1 /proc/loadavg)"
    echo
    echo "| way | best wall s | median wall s | MiB/s (best) | client CPU s | peak RSS MiB | ratio to scp (best) | ratio to scp (median) |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s' "$rows"
} >"$report"
cat "$report"
echo "report: $report" >&2
