#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/relay-check.sh: does bench/relay.py (the latency relay of
# bench/receive.sh and bench/streams.sh) limit what goes through it?
# (1) Its capacity: FERRY_BENCH_MIB MiB (default 1024) of plain TCP, sent
# in 32 KiB writes with TCP_NODELAY (as SSH packets go), through the relay
# at 10 ms each way, to a sink; no flow control above TCP's.  (2) One SSH
# channel through it: OpenSSH `ssh -c aes128-ctr -o MACs=hmac-sha2-256
# host 'cat >/dev/null'` of FERRY_BENCH_RELAY_MIB MiB (default 256) to a
# private sshd (tests/integration/functions.sh start_sshd) directly and
# through the relay at 0, 10, 20 and 40 ms RTT, against the bound of
# OpenSSH's 2 MiB session window per round trip.  If the SSH rate follows
# 2 MiB / (RTT + a constant), the window bounds it, not the relay.
# Prints MiB/s and the relay's CPU seconds (from /proc) per run; best of
# FERRY_BENCH_RUNS (default 2).  Needs root (sshd).
#     flock /tmp/ferry-bench.lock sh bench/relay-check.sh
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
FERRY=${FERRY:-$top_srcdir/build/ferry}
export top_srcdir FERRY
. "$top_srcdir/tests/integration/functions.sh"
requires ssh python3
mib=${FERRY_BENCH_MIB:-1024}
relay_mib=${FERRY_BENCH_RELAY_MIB:-256}
runs=${FERRY_BENCH_RUNS:-2}
relay=$top_srcdir/bench/relay.py

make_tmpdir
start_sshd
ssh_client_key ed25519 id
head -c $((relay_mib << 20)) /dev/urandom >"$tmpdir/data"

echo "(1) plain TCP through the relay, 10 ms each way, 32 KiB writes:"
python3 - "$relay" "$mib" "$tmpdir/pump.port" <<'PY'
import os, socket, subprocess, sys, threading, time
relay, mib, port_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
got = [0]
def sink():
    c, _ = ls.accept()
    buf = bytearray(1 << 20)
    while True:
        n = c.recv_into(buf)
        if not n:
            break
        got[0] += n
t = threading.Thread(target=sink)
t.start()
p = subprocess.Popen([sys.executable, relay, "--to", str(ls.getsockname()[1]),
                      "--port-file", port_file, "--delay-ms", "10"])
while not os.path.exists(port_file):
    time.sleep(0.05)
def cpu():
    f = open("/proc/%d/stat" % p.pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
s = socket.create_connection(("127.0.0.1", int(open(port_file).read())))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
block = os.urandom(32 << 10)
c0, t0 = cpu(), time.monotonic()
for _ in range(mib << 5):
    s.sendall(block)
s.shutdown(socket.SHUT_WR)
t.join()
t1, c1 = time.monotonic(), cpu()
p.kill()
p.wait()
assert got[0] == mib << 20, got[0]
print("    %d MiB in %.2f s: %.0f MiB/s, relay CPU %.2f s" % (mib, t1 - t0, mib / (t1 - t0), c1 - c0))
PY

ssh_opts="-F none -i $tmpdir/id -o IdentitiesOnly=yes -o UserKnownHostsFile=$sshd_known_hosts
    -o HostKeyAlias=[127.0.0.1]:$sshd_port -o StrictHostKeyChecking=yes -o BatchMode=yes
    -c aes128-ctr -o MACs=hmac-sha2-256"
proc_cpu() {
    python3 -c 'import os, sys
f = open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split()
print((int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK"))' "$1"
}
# send PORT: one ssh run to PORT; its wall seconds in $secs.
send() {
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    ssh $ssh_opts -p "$1" root@127.0.0.1 'cat >/dev/null' <"$tmpdir/data" || fail "ssh through port $1 failed"
    secs=$(echo "$t0 $(date +%s.%N)" | awk '{printf "%.2f", $2 - $1}')
}
echo "(2) ssh 'cat >/dev/null' of $relay_mib MiB, aes128-ctr + hmac-sha2-256, best of $runs:"
echo "| path | RTT ms | MiB/s | 2 MiB window / RTT, MiB/s | relay CPU s |"
echo "|---|---|---|---|---|"
best=""
i=0
while [ $i -lt "$runs" ]; do
    i=$((i + 1))
    send "$sshd_port"
    if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        best=$secs
    fi
done
echo "| direct | 0 | $(echo "$relay_mib $best" | awk '{printf "%.0f", $1 / $2}') | - | - |"
for rtt in 0 10 20 40; do
    rm -f "$tmpdir/relay.port"
    python3 "$relay" --to "$sshd_port" --port-file "$tmpdir/relay.port" \
        --delay-ms "$(echo "$rtt" | awk '{print $1 / 2}')" &
    relay_pid=$!
    await_daemon relay "$relay_pid" /dev/null "wrote no port" test -s "$tmpdir/relay.port"
    best="" best_cpu=""
    i=0
    while [ $i -lt "$runs" ]; do
        i=$((i + 1))
        c0=$(proc_cpu "$relay_pid")
        send "$(cat "$tmpdir/relay.port")"
        c1=$(proc_cpu "$relay_pid")
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$secs best_cpu=$(echo "$c0 $c1" | awk '{printf "%.2f", $2 - $1}')
        fi
    done
    kill "$relay_pid"
    wait "$relay_pid" 2>/dev/null || true
    bound=$(echo "$rtt" | awk '{ if ($1 > 0) printf "%.0f", 2 * 1000 / $1; else print "-" }')
    echo "| relay | $rtt | $(echo "$relay_mib $best" | awk '{printf "%.0f", $1 / $2}') | $bound | $best_cpu |"
done
