#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/sftp.sh [BUILDDIR]: OpenSSH's scp against ferry's SFTP writer
# (tests/tools/ssh-tool put) on the same file over loopback, in the same
# run and cache state, to a private sshd (tests/integration/functions.sh
# start_sshd).  Prints wall time, client CPU (user+sys) and peak RSS
# (GNU time -v fields) and the ratio ferry/scp; writes the table to
# bench/reports/sftp-<date>.md with the machine and tool versions.
#
# Rows: scp as it comes (OpenSSH 9 scp speaks SFTP and picks its fastest
# cipher), scp held to the cipher and MAC libssh2 1.10 negotiates
# (aes128-ctr + hmac-sha2-256, the fair anchor), then the SFTP writer at
# several write sizes (= bytes in flight, see transport/ssh-sftp.c).
# FERRY_BENCH_MIB sets the file size (default 1024), FERRY_BENCH_BUFFERS
# the write sizes in KiB.  Needs root (sshd) and ~2x the file in $TMPDIR.
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
requires scp ssh /usr/bin/time
tool=$top_builddir/tests/tools/ssh-tool
[ -x "$tool" ] || fail "build $tool first (make -C $top_builddir check TESTS=)"
mib=${FERRY_BENCH_MIB:-1024}
buffers=${FERRY_BENCH_BUFFERS:-256 1024 2048 4096 8192 16384}

make_tmpdir
start_sshd
ssh_client_key ed25519 id
mkdir "$tmpdir/dst"
echo "making a $mib MiB file of random bytes..." >&2
head -c $((mib << 20)) /dev/urandom >"$tmpdir/src.img"
cat "$tmpdir/src.img" >/dev/null
src_sum=$(sha256sum <"$tmpdir/src.img" | cut -d' ' -f1)

ssh_opts="-i $tmpdir/id -o UserKnownHostsFile=$sshd_known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes"
rows=""
scp_wall=""

# run NAME CMD...: times CMD, checks the copy, appends a row.
run() {
    name=$1; shift
    rm -f "$tmpdir/dst/out.img"
    sync
    /usr/bin/time -f '%e %U %S %M' -o "$tmpdir/time" "$@" >/dev/null 2>"$tmpdir/run.err" ||
        fail "$name failed: $(cat "$tmpdir/run.err")"
    sum=$(sha256sum <"$tmpdir/dst/out.img" | cut -d' ' -f1)
    [ "$sum" = "$src_sum" ] || fail "$name: the copy differs"
    read -r wall user sys rss <"$tmpdir/time"
    cpu=$(echo "$user $sys" | awk '{printf "%.2f", $1 + $2}')
    mbs=$(echo "$mib $wall" | awk '{printf "%.0f", $1 / $2}')
    if [ -z "$scp_wall" ]; then ratio="-"; else
        ratio=$(echo "$wall $scp_wall" | awk '{printf "%.2f", $1 / $2}')
    fi
    row="| $name | $wall | $mbs | $cpu | $((rss / 1024)) | $ratio |"
    echo "$row" >&2
    rows="$rows$row
"
}

run "scp (defaults)" scp -q -P "$sshd_port" $ssh_opts "$tmpdir/src.img" "root@127.0.0.1:$tmpdir/dst/out.img"
run "scp -c aes128-ctr -o MACs=hmac-sha2-256" scp -q -P "$sshd_port" $ssh_opts \
    -c aes128-ctr -o MACs=hmac-sha2-256 "$tmpdir/src.img" "root@127.0.0.1:$tmpdir/dst/out.img"
scp_wall=$(cut -d' ' -f1 "$tmpdir/time")
for kib in $buffers; do
    run "ssh-tool put, ${kib} KiB writes" "$tool" -p "$sshd_port" --known-hosts "$sshd_known_hosts" \
        -i "$tmpdir/id" --buffer-size $((kib * 1024)) put root@127.0.0.1 "$tmpdir/src.img" \
        "$tmpdir/dst/out.img"
done

date=$(date +%Y-%m-%d)
report=$top_srcdir/bench/reports/sftp-$date.md
{
    echo "# SFTP writer against scp, $date"
    echo
    echo "$mib MiB of random bytes (page cache warm), loopback, a private sshd"
    echo "(tests/integration/functions.sh start_sshd, sftp-server $(
        [ -x /usr/lib/openssh/sftp-server ] && echo /usr/lib/openssh/sftp-server || echo internal-sftp)),"
    echo "ed25519 client key; each copy checked by sha256sum.  CPU and RSS are"
    echo "the client's (GNU time); the ratio is wall time over that of scp held to"
    echo "libssh2's cipher and MAC (aes128-ctr, hmac-sha2-256)."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r)"
    echo "- $(ssh -V 2>&1)"
    echo "- libssh2 $(pkg-config --modversion libssh2 2>/dev/null || echo '?')"
    echo "- command: bench/sftp.sh (FERRY_BENCH_MIB=$mib)"
    echo
    echo "| client | wall s | MiB/s | CPU s | peak RSS MiB | ratio |"
    echo "|---|---|---|---|---|---|"
    printf '%s' "$rows"
} >"$report"
cat "$report"
echo "report: $report" >&2
