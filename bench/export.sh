#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/export.sh [BUILDDIR]: `ferry export --to ssh://` (convert and send
# in one pass, verified on the target) against the two-step way: (a)
# `qemu-img convert -O qcow2` to $TMPDIR, then scp of the result, and (b)
# the scp step alone (the finished file, as if conversion were free).  One
# disk, a qcow2 of FERRY_BENCH_GIB GiB (default 4) whose every other
# 64 MiB is random data (half sparse), over loopback to a private sshd
# (tests/integration/functions.sh start_sshd); the domain lives on a
# libvirt test-driver host made here.  Prints wall time, client CPU
# (user+sys, GNU time) and peak RSS, and the ratio to (a); writes the table
# to bench/reports/export-<date>.md.  Needs root (sshd) and ~2x the data
# in $TMPDIR.  scp is held to the cipher and MAC libssh2 1.10 negotiates
# (aes128-ctr, hmac-sha2-256), as in bench/sftp.sh.
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires scp ssh /usr/bin/time qemu-img python3
gib=${FERRY_BENCH_GIB:-4}

make_tmpdir
start_sshd
ssh_client_key ed25519 id
mkdir "$tmpdir/pool" "$tmpdir/stage"
echo "making a $gib GiB half-sparse qcow2..." >&2
python3 - "$tmpdir/src.raw" "$gib" <<'PY'
import os, sys
chunk = 64 << 20
with open(sys.argv[1], "wb") as f:
    size = int(sys.argv[2]) << 30
    f.truncate(size)
    for off in range(0, size, 2 * chunk):
        f.seek(off)
        f.write(os.urandom(chunk))
PY
qemu-img convert -q -f raw -O qcow2 "$tmpdir/src.raw" "$tmpdir/src.qcow2"
rm -f "$tmpdir/src.raw"
cat "$tmpdir/src.qcow2" >/dev/null
write_test_host bench "vda:qcow2:$tmpdir/src.qcow2"
scp_opts="-q -P $sshd_port -i $tmpdir/id -o UserKnownHostsFile=$sshd_known_hosts
    -o StrictHostKeyChecking=yes -o BatchMode=yes -c aes128-ctr -o MACs=hmac-sha2-256"
rows=""
base_wall=""

# timed NAME CMD...: wall, user+sys, peak RSS of CMD into $wall $cpu $rss.
timed() {
    sync
    /usr/bin/time -f '%e %U %S %M' -o "$tmpdir/time" "$@" >/dev/null 2>"$tmpdir/run.err" ||
        fail "$* failed: $(cat "$tmpdir/run.err")"
    read -r w u s r <"$tmpdir/time"
    wall=$w
    cpu=$(echo "$u $s" | awk '{printf "%.2f", $1 + $2}')
    rss=$((r / 1024))
}
row() {   # NAME WALL CPU RSS
    if [ -z "$base_wall" ]; then ratio="1.00"; else
        ratio=$(echo "$2 $base_wall" | awk '{printf "%.2f", $1 / $2}')
    fi
    r="| $1 | $2 | $3 | $4 | $ratio |"
    echo "$r" >&2
    rows="$rows$r
"
}

# (a) qemu-img convert, then scp.
rm -f "$tmpdir/stage/out.qcow2" "$tmpdir/pool/"*
timed qemu-img convert -f qcow2 -O qcow2 "$tmpdir/src.qcow2" "$tmpdir/stage/out.qcow2"
conv_wall=$wall conv_cpu=$cpu conv_rss=$rss
timed scp $scp_opts "$tmpdir/stage/out.qcow2" "root@127.0.0.1:$tmpdir/pool/out.qcow2"
scp_wall=$wall scp_cpu=$cpu scp_rss=$rss
qemu-img compare -q "$tmpdir/src.qcow2" "$tmpdir/pool/out.qcow2" || fail "scp copy differs"
a_wall=$(echo "$conv_wall $scp_wall" | awk '{printf "%.2f", $1 + $2}')
a_cpu=$(echo "$conv_cpu $scp_cpu" | awk '{printf "%.2f", $1 + $2}')
base_wall=$a_wall
row "(a) qemu-img convert -O qcow2, then scp" "$a_wall" "$a_cpu" "$(( conv_rss > scp_rss ? conv_rss : scp_rss ))"
# (b) the scp step alone.
row "(b) scp of the finished qcow2 alone" "$scp_wall" "$scp_cpu" "$scp_rss"
size=$(stat -c %s "$tmpdir/stage/out.qcow2")

# ferry export: convert + send + sha256 on the target, one pass.
rm -f "$tmpdir/pool/"*
timed "$FERRY" export bench --connect "test://$tmpdir/host.xml" \
    --to "ssh://root@127.0.0.1:$sshd_port$tmpdir/pool" \
    --known-hosts "$sshd_known_hosts" --identity "$tmpdir/id"
qemu-img compare -q "$tmpdir/src.qcow2" "$tmpdir/pool/bench-vda.qcow2" || fail "ferry copy differs"
row "ferry export --to ssh:// (incl. remote sha256sum)" "$wall" "$cpu" "$rss"

date=$(date +%Y-%m-%d)
report=$top_srcdir/bench/reports/export-$date.md
{
    echo "# ferry export against qemu-img convert + scp, $date"
    echo
    echo "One qcow2 disk of $gib GiB, every other 64 MiB random (half sparse),"
    echo "$size bytes as qcow2; loopback to a private sshd; page cache warm."
    echo "CPU and RSS are the client's (GNU time; for (a) the sum of CPU and the"
    echo "larger RSS); ratio is wall time over (a)'s.  ferry's time includes"
    echo "sha256sum of the file on the target before the rename."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r)"
    echo "- $(ssh -V 2>&1); $(qemu-img --version | head -1)"
    echo "- command: bench/export.sh (FERRY_BENCH_GIB=$gib)"
    echo
    echo "| way | wall s | CPU s | peak RSS MiB | ratio to (a) |"
    echo "|---|---|---|---|---|"
    printf '%s' "$rows"
} >"$report"
cat "$report"
echo "report: $report" >&2
