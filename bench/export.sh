#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/export.sh [BUILDDIR]: `ferry export --to ssh://` (convert and send
# in one pass, verified on the target) against the two-step way: (a)
# `qemu-img convert -O qcow2` to $TMPDIR, then scp of the result, and (b)
# the scp step alone (the finished file, as if conversion were free).  One
# disk, a qcow2 of FERRY_BENCH_GIB GiB (default 4) whose every other
# 64 MiB is random data (half sparse), over loopback to a private sshd
# (tests/integration/functions.sh start_sshd); the domain lives on a
# libvirt test-driver host made here.  The sshd's PATH has this build as
# `ferry` (sshd SetEnv, as bench/receive.sh), so ferry export can also
# write through `ferry receive` on the target, which hashes as it writes
# and never reads the file back; the SFTP rows name --transport sftp.
# FERRY_BENCH_RUNS rounds (default 3) of every way in turn: (a), (b),
# `ferry convert` alone, ferry export through SFTP with the default
# streams (min(4, cores)) and with one, and ferry export through ferry
# receive (one stream, its only way).  Prints best and
# median wall time, client CPU (user+sys, GNU time) and peak RSS, the
# ratio to (a), and ferry export over max(convert alone, scp alone), the
# issue 11 goals; writes the table
# to bench/reports/export-<date>.md.  Needs root (sshd) and ~2x the data
# in $TMPDIR.  scp is held to the cipher and MAC libssh2 1.10 negotiates
# (aes128-ctr, hmac-sha2-256), as in bench/sftp.sh.
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/bench/bench-functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires scp ssh /usr/bin/time qemu-img python3
gib=${FERRY_BENCH_GIB:-4}

load0=$(cut -d' ' -f1 /proc/loadavg)
make_tmpdir
# The target's ferry is this build, on the SSH user's PATH.
mkdir "$tmpdir/bin"
ln -s "$FERRY" "$tmpdir/bin/ferry"
start_sshd "SetEnv PATH=$tmpdir/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ssh_client_key ed25519 id
mkdir "$tmpdir/pool" "$tmpdir/stage"
echo "making a $gib GiB half-sparse qcow2..." >&2
bench_half_random_raw "$tmpdir/src.raw" $((gib * 1024)) 64
qemu-img convert -q -f raw -O qcow2 "$tmpdir/src.raw" "$tmpdir/src.qcow2"
rm -f "$tmpdir/src.raw"
cat "$tmpdir/src.qcow2" >/dev/null
write_test_host bench "vda:qcow2:$tmpdir/src.qcow2"
scp_opts="-q -P $sshd_port -i $tmpdir/id -o UserKnownHostsFile=$sshd_known_hosts
    -o StrictHostKeyChecking=yes -o BatchMode=yes -c aes128-ctr -o MACs=hmac-sha2-256"
rows=""
runs=${FERRY_BENCH_RUNS:-3}
defstreams=$(n=$(nproc); [ "$n" -gt 4 ] && n=4; echo "$n")
to="ssh://root@127.0.0.1:$sshd_port$tmpdir/pool"
pin="--known-hosts $sshd_known_hosts --identity $tmpdir/id"

# timed_key KEY CMD...: runs CMD under GNU time; appends wall, CPU (user+sys)
# and peak RSS (MiB) to $tmpdir/runs/KEY, one line per run.
mkdir "$tmpdir/runs"
timed_key() {
    key=$1
    shift
    sync
    timed "$@"
    echo "$wall $cpu $rss" >>"$tmpdir/runs/$key"
}
# median KEY COLUMN
median() {
    cut -d' ' -f"$2" "$tmpdir/runs/$1" | sort -n | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
best() { cut -d' ' -f1 "$tmpdir/runs/$1" | sort -n | head -1; }

# Each round runs every way once, in turn.
i=0
while [ $i -lt "$runs" ]; do
    i=$((i + 1))
    echo "round $i of $runs..." >&2
    # (a) qemu-img convert, then scp; (b) is its scp step alone.
    rm -f "$tmpdir/stage/out.qcow2" "$tmpdir/pool/"*
    timed_key conv qemu-img convert -f qcow2 -O qcow2 "$tmpdir/src.qcow2" "$tmpdir/stage/out.qcow2"
    timed_key scp scp $scp_opts "$tmpdir/stage/out.qcow2" "root@127.0.0.1:$tmpdir/pool/out.qcow2"
    qemu-img compare -q "$tmpdir/src.qcow2" "$tmpdir/pool/out.qcow2" || fail "scp copy differs"
    size=$(stat -c %s "$tmpdir/stage/out.qcow2")
    tail -n 1 "$tmpdir/runs/conv" >"$tmpdir/c" && tail -n 1 "$tmpdir/runs/scp" >"$tmpdir/s"
    paste -d' ' "$tmpdir/c" "$tmpdir/s" |
        awk '{printf "%.2f %.2f %d\n", $1 + $4, $2 + $5, ($3 > $6 ? $3 : $6)}' >>"$tmpdir/runs/a"
    # ferry convert alone (to the stage directory, fsynced: its default).
    rm -f "$tmpdir/stage/out.qcow2"
    timed_key fconv "$FERRY" convert -f qcow2 -O qcow2 "$tmpdir/src.qcow2" "$tmpdir/stage/out.qcow2"
    rm -f "$tmpdir/stage/out.qcow2"
    # ferry export: convert + send + sha256 on the target, one pass;
    # through SFTP with the default streams, then one; then through ferry
    # receive (one stream).  A transport named is the one used: without
    # a receiver on the target, --transport ferry-receive fails.
    for way in "sftp $defstreams" "sftp 1" "ferry-receive"; do
        # shellcheck disable=SC2086
        set -- $way
        if [ "$1" = sftp ]; then key=ferry$2 opts="--transport sftp --streams $2"
        else key=receive opts="--transport ferry-receive"; fi
        rm -f "$tmpdir/pool/"*
        # shellcheck disable=SC2086
        timed_key "$key" "$FERRY" export bench --connect "test://$tmpdir/host.xml" \
            --to "$to" $pin $opts
        qemu-img compare -q "$tmpdir/src.qcow2" "$tmpdir/pool/bench-vda.qcow2" ||
            fail "ferry copy differs ($opts)"
    done
done

a_med=$(median a 1)
row() {   # NAME KEY
    med=$(median "$2" 1)
    r="| $1 | $(best "$2") | $med | $(median "$2" 2) | $(median "$2" 3) | $(echo "$med $a_med" | awk '{printf "%.2f", $1 / $2}') |"
    echo "$r" >&2
    rows="$rows$r
"
}
row "(a) qemu-img convert -O qcow2, then scp" a
row "(b) scp of the finished qcow2 alone" scp
row "ferry convert -O qcow2 alone (fsynced)" fconv
if [ "$defstreams" != 1 ]; then
    row "ferry export --to ssh://, SFTP (default: --streams $defstreams)" "ferry$defstreams"
fi
row "ferry export --to ssh://, SFTP --streams 1" ferry1
row "ferry export, ferry receive" receive
max_alone=$(printf '%s\n' "$(median scp 1)" "$(median fconv 1)" | sort -n | tail -1)
goal=$(echo "$(median "ferry$defstreams" 1) $max_alone" | awk '{printf "%.2f", $1 / $2}')
goal_receive=$(echo "$(median receive 1) $max_alone" | awk '{printf "%.2f", $1 / $2}')

date=$(date +%Y-%m-%d)
report=${FERRY_BENCH_REPORT:-$top_srcdir/bench/reports/export-$date.md}
{
    echo "# ferry export against qemu-img convert + scp, $date"
    echo
    echo "One qcow2 disk of $gib GiB, every other 64 MiB random (half sparse),"
    echo "$size bytes as qcow2; loopback to a private sshd; page cache warm."
    echo "$runs rounds, each way once per round in turn; best and median wall"
    echo "time, median CPU and peak RSS of the client (GNU time; for (a) the sum"
    echo "of CPU and the larger RSS); ratio is median wall time over (a)'s."
    echo "ferry's time includes the SHA-256 of the file on the target before"
    echo "the rename: SFTP reads the file back for it, ferry receive hashes"
    echo "the stream as it writes (the target runs this build's ferry)."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r)"
    echo "- $(ssh -V 2>&1); $(qemu-img --version | head -1)"
    echo "- command: bench/export.sh (FERRY_BENCH_GIB=$gib FERRY_BENCH_RUNS=$runs)"
    echo "- load average (1 min) at the start: $load0, at the end: $(cut -d' ' -f1 /proc/loadavg)"
    echo
    echo "| way | best wall s | median wall s | CPU s | peak RSS MiB | ratio to (a) |"
    echo "|---|---|---|---|---|---|"
    printf '%s' "$rows"
    echo
    echo "ferry export over max(ferry convert alone, scp alone), medians: SFTP (default streams) $goal, ferry receive $goal_receive"
} >"$report"
cat "$report"
echo "report: $report" >&2
