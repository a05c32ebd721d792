#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/streams.sh [BUILDDIR]: ferry export --streams (issue #11) in one
# run: `ferry export --format raw --transport sftp` with --streams 1 and
# --streams 4, against scp of the same bytes (the source file itself) with
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
requires scp ssh /usr/bin/time python3
mib=${FERRY_BENCH_MIB:-512}
relay_mib=${FERRY_BENCH_RELAY_MIB:-256}
rtt=${FERRY_BENCH_RTT_MS:-20}
runs=${FERRY_BENCH_RUNS:-3}

make_tmpdir
mkdir "$tmpdir/bin" "$tmpdir/pool"
ln -s "$FERRY" "$tmpdir/bin/ferry"
start_sshd "SetEnv PATH=$tmpdir/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ssh_client_key ed25519 id

# make_host NAME MIB: NAME.raw of MIB MiB random bytes and a test-driver
# host NAME.xml with domain NAME on it.
make_host() {
    head -c $(($2 << 20)) /dev/urandom >"$tmpdir/$1.raw"
    cat >"$tmpdir/$1.xml" <<X
<node>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>$1</name>
    <memory unit='MiB'>256</memory>
    <os><type arch='x86_64'>hvm</type></os>
    <test:runstate>5</test:runstate>
    <devices>
      <disk type='file' device='disk'>
        <driver name='qemu' type='raw'/>
        <source file='$tmpdir/$1.raw'/>
        <target dev='vda' bus='virtio'/>
      </disk>
    </devices>
  </domain>
</node>
X
}
echo "making $mib MiB and $relay_mib MiB of random bytes..." >&2
make_host big "$mib"
make_host small "$relay_mib"

rows=""
# timed CMD...: wall, user+sys, peak RSS of CMD into $wall $cpu $rss.
timed() {
    rm -rf "$tmpdir/pool" && mkdir "$tmpdir/pool"
    sync
    /usr/bin/time -f '%e %U %S %M' -o "$tmpdir/time" "$@" >/dev/null 2>"$tmpdir/run.err" ||
        fail "$* failed: $(cat "$tmpdir/run.err")"
    read -r w u s r <"$tmpdir/time"
    wall=$w
    cpu=$(echo "$u $s" | awk '{printf "%.2f", $1 + $2}')
    rss=$((r / 1024))
}
# best KEY CMD...: keeps the run of least wall time in best_KEY.
best() {
    key=$1
    shift
    timed "$@"
    eval "prev=\${best_$key:-}"
    if [ -z "$prev" ] || awk -v a="$wall" -v b="${prev%% *}" 'BEGIN { exit !(a < b) }'; then
        eval "best_$key=\"$wall $cpu $rss\""
    fi
}
row() {   # NAME KEY BASEKEY MIB
    eval "set -- \"\$1\" \$best_$2 \$best_$3 $4"
    ratio=$(echo "$2 $5" | awk '{printf "%.2f", $1 / $2}')
    rate=$(echo "$8 $2" | awk '{printf "%.0f", $1 / $2}')
    r="| $1 | $2 | $rate | $3 | $4 | $ratio |"
    echo "$r" >&2
    rows="$rows$r
"
}

# group KEY LABEL HOST MIB PORT PINOPTS SCPOPTS: scp, ferry SFTP with one
# stream and with four.
group() {
    gname=$1 label=$2 host=$3 gmib=$4 port=$5 pin=$6 sopts=$7
    i=0
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        # shellcheck disable=SC2086
        best "${gname}_scp" scp $sopts -P "$port" "$tmpdir/$host.raw" "root@127.0.0.1:$tmpdir/pool/x.raw"
        for n in 1 4; do
            # shellcheck disable=SC2086
            best "${gname}_s$n" "$FERRY" export "$host" --connect "test://$tmpdir/$host.xml" \
                --format raw --transport sftp --streams "$n" \
                --to "ssh://root@127.0.0.1:$port$tmpdir/pool" $pin
            cmp "$tmpdir/$host.raw" "$tmpdir/pool/$host-vda.raw" || fail "--streams $n copy differs"
        done
    done
    row "scp ($label)" "${gname}_scp" "${gname}_scp" "$gmib"
    row "ferry export, SFTP, --streams 1 ($label)" "${gname}_s1" "${gname}_scp" "$gmib"
    row "ferry export, SFTP, --streams 4 ($label)" "${gname}_s4" "${gname}_scp" "$gmib"
}

scp_opts="-q -i $tmpdir/id -o UserKnownHostsFile=$sshd_known_hosts -o HostKeyAlias=[127.0.0.1]:$sshd_port
    -o StrictHostKeyChecking=yes -o BatchMode=yes -c aes128-ctr -o MACs=hmac-sha2-256"
pin="--known-hosts /dev/null --host-key $sshd_host_key_fp --identity $tmpdir/id"
echo "| way | wall s | MiB/s | client CPU s | peak RSS MiB | ratio to scp |" >&2
group loopback loopback big "$mib" "$sshd_port" "$pin" "$scp_opts"

rm -f "$tmpdir/relay.port"
python3 "$top_srcdir/bench/relay.py" --to "$sshd_port" --port-file "$tmpdir/relay.port" \
    --delay-ms "$(echo "$rtt" | awk '{print $1 / 2}')" &
relay_pid=$!
cleanup_fn "kill $relay_pid 2>/dev/null"
await_daemon relay "$relay_pid" /dev/null "wrote no port" test -s "$tmpdir/relay.port"
group relay "relay, $rtt ms RTT" small "$relay_mib" "$(cat "$tmpdir/relay.port")" "$pin" "$scp_opts"

date=$(date +%Y-%m-%d)
report=${FERRY_BENCH_REPORT:-$top_srcdir/bench/reports/streams-$date.md}
{
    echo "# ferry export --streams against scp, $date"
    echo
    echo "\`ferry export --format raw --transport sftp\` of one raw disk of random"
    echo "bytes ($mib MiB on loopback, $relay_mib MiB through bench/relay.py at $rtt ms"
    echo "RTT) to a private sshd with --streams 1 and --streams 4, against scp of"
    echo "the same file (aes128-ctr, hmac-sha2-256, as libssh2 negotiates).  Best"
    echo "of $runs runs each, ways alternating; ferry's times include the target's"
    echo "verification (a read-back over \`openssl dgst\`); CPU and RSS are the"
    echo "client's (GNU time); ratio is wall time over scp's in the same group."
    echo "The machine's 2 cores are shared with other work: figures are noisy."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r)"
    echo "- $(ssh -V 2>&1); libssh2 $(pkg-config --modversion libssh2); $(python3 --version)"
    echo "- command: bench/streams.sh (FERRY_BENCH_MIB=$mib FERRY_BENCH_RELAY_MIB=$relay_mib FERRY_BENCH_RTT_MS=$rtt FERRY_BENCH_RUNS=$runs)"
    echo
    echo "| way | wall s | MiB/s | client CPU s | peak RSS MiB | ratio to scp |"
    echo "|---|---|---|---|---|---|"
    printf '%s' "$rows"
} >"$report"
cat "$report"
echo "report: $report" >&2
