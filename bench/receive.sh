#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/receive.sh [BUILDDIR]: how bytes reach an ssh:// pool, in one run:
# `ferry export --format raw` through `ferry receive` on the target, the
# same through SFTP (--transport sftp), and scp of the same bytes (the
# source file itself) with the cipher and MAC libssh2 1.10 negotiates
# (aes128-ctr, hmac-sha2-256), as bench/export.sh and bench/sftp.sh hold
# it.  The disk is a raw file of FERRY_BENCH_MIB MiB (default 1024) of
# random bytes, on a libvirt test-driver host made here, to a private sshd
# on loopback (tests/integration/functions.sh start_sshd) whose PATH has
# this build as `ferry`.  Then the long link: the same three through
# bench/relay.py with FERRY_BENCH_RTT_MS (default 20) of round trip, on
# FERRY_BENCH_RELAY_MIB MiB (default 256).  Each row is the best (least
# wall time) of FERRY_BENCH_RUNS runs (default 3), the ways alternating;
# ferry's times include the target's verification (the receiver's hash as
# it writes, or SFTP's `openssl dgst` read-back).  Prints wall, client CPU
# (user+sys, GNU time), peak client RSS and the ratio to scp of the same
# group; writes the table to bench/reports/receive-<date>.md.  Needs root.
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires scp ssh /usr/bin/time python3
mib=${FERRY_BENCH_MIB:-1024}
relay_mib=${FERRY_BENCH_RELAY_MIB:-256}
rtt=${FERRY_BENCH_RTT_MS:-20}
runs=${FERRY_BENCH_RUNS:-3}

. "$top_srcdir/bench/bench-functions.sh"
. "$top_srcdir/bench/ssh-link-functions.sh"

# group KEY LABEL HOST MIB PORT PINOPTS SCPOPTS: scp, ferry sftp, ferry
# receive.
group() {
    gname=$1 label=$2 host=$3 gmib=$4 port=$5 pin=$6 sopts=$7
    i=0
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        # shellcheck disable=SC2086
        best "${gname}_scp" scp $sopts -P "$port" "$tmpdir/$host.raw" "root@127.0.0.1:$tmpdir/pool/x.raw"
        for t in sftp ferry-receive; do
            # One stream each: ferry receive takes one, and the SFTP
            # default (min(4, cores)) is bench/streams.sh's subject.
            # shellcheck disable=SC2086
            best "${gname}_$(echo $t | tr - _)" "$FERRY" export "$host" --connect "test://$tmpdir/$host.xml" \
                --format raw --transport "$t" --streams 1 --to "ssh://root@127.0.0.1:$port$tmpdir/pool" $pin
            cmp "$tmpdir/$host.raw" "$tmpdir/pool/$host-vda.raw" || fail "$t copy differs"
        done
    done
    row "scp ($label)" "${gname}_scp" "${gname}_scp" "$gmib"
    row "ferry export, SFTP ($label)" "${gname}_sftp" "${gname}_scp" "$gmib"
    row "ferry export, ferry receive ($label)" "${gname}_ferry_receive" "${gname}_scp" "$gmib"
}

load0=$(cut -d' ' -f1 /proc/loadavg)
run_groups

date=$(date +%Y-%m-%d)
report=${FERRY_BENCH_REPORT:-$top_srcdir/bench/reports/receive-$date.md}
{
    echo "# ferry receive against SFTP and scp, $date"
    echo
    echo "\`ferry export --format raw\` of one raw disk of random bytes ($mib MiB on"
    echo "loopback, $relay_mib MiB through bench/relay.py at $rtt ms RTT) to a private"
    echo "sshd, through \`ferry receive\` on the target and through SFTP, against"
    echo "scp of the same file (aes128-ctr, hmac-sha2-256, as libssh2 negotiates)."
    echo "Best and median of $runs runs each, ways alternating (one SFTP stream,"
    echo "\`--streams 1\`); ferry's times include the"
    echo "target's verification; CPU and RSS are the client's (GNU time); ratio"
    echo "is wall time over scp's in the same group.  The machine's 2 cores are"
    echo "shared with other work: figures are noisy."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r)"
    echo "- $(ssh -V 2>&1); libssh2 $(pkg-config --modversion libssh2); $(python3 --version)"
    echo "- command: bench/receive.sh (FERRY_BENCH_MIB=$mib FERRY_BENCH_RELAY_MIB=$relay_mib FERRY_BENCH_RTT_MS=$rtt FERRY_BENCH_RUNS=$runs)"
    echo "- load average (1 min) at the start: $load0, at the end: $(cut -d' ' -f1 /proc/loadavg)"
    echo
    echo "| way | best wall s | median wall s | MiB/s (best) | client CPU s | peak RSS MiB | ratio to scp (best) | ratio to scp (median) |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s' "$rows"
} >"$report"
cat "$report"
echo "report: $report" >&2
