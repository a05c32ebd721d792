#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Load on ferry-agent (issue #17), run by hand, outside CI:
#
#   FERRY=build/ferry FERRY_AGENT=build/ferry-agent top_srcdir=$PWD \
#       FERRY_AGENT_TEST=build/tests/tools/ferry-agent-test \
#       sh tests/load/agent-load.sh [N_EXPORTS] [CONCURRENCY]
#
# N exports (default 50) of N stopped domains of a libvirt test-driver host,
# half to a file:// pool and half to an ssh:// pool on a loopback sshd,
# queued at once on one agent at CONCURRENCY (default 4), each slowed so
# that the run lasts long enough to be interrupted.  The agent is SIGKILLed
# twice while jobs run and started again; after each restart every
# interrupted job is resumed (`ferry resume`).  At the end: every job
# completed, every disk equal to its source (cmp), every manifest's
# SHA-256 equal to sha256sum, no .part left, no disk exported twice (one
# manifest per VM, one job per VM); and the agent's peak RSS (VmHWM of
# each run) is printed.  Exits non-zero on any failure.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img python3 sha256sum gdbus cmp
n=${1:-50}
conc=${2:-4}
make_tmpdir
printf '[agent]\nconcurrency=%s\n' "$conc" >"$tmpdir/ferry.conf"
start_agent_and_sshd
img=$tmpdir/img
mkdir "$img" "$tmpdir/pool-file" "$tmpdir/pool-ssh"
{
    echo "<node>"
    i=1
    while [ $i -le "$n" ]; do
        make_random_raw "$img/vm$i.raw" $((8 << 20)) $((i * 4096)) $((2 << 20))
        domain_xml test "load$i" "vda:raw:$img/vm$i.raw"
        i=$((i + 1))
    done
    echo "</node>"
} >"$tmpdir/host.xml"
uri=test://$tmpdir/host.xml

peaks=""
peak_rss() {
    awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status" 2>/dev/null || echo 0
}
i=1
start=$(date +%s)
while [ $i -le "$n" ]; do
    if [ $((i % 2)) = 0 ]; then
        to="file://$tmpdir/pool-file"
    else
        to="ssh://root@127.0.0.1:$sshd_port$tmpdir/pool-ssh"
    fi
    gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
        -m org.ferry.Agent1.Manager.Export "load$i" "$to" \
        "{'connect': <'$uri'>, 'format': <'raw'>, 'identity': <'$tmpdir/id'>,
          'known-hosts': <'$sshd_known_hosts'>, 'bwlimit': <uint64 1048576>}" >/dev/null ||
        fail "Export of load$i failed"
    i=$((i + 1))
done

count_state() {
    "$FERRY" jobs --json | python3 -c '
import json, sys
print(sum(1 for j in json.load(sys.stdin) if j["state"] == sys.argv[1]))' "$1"
}
restart_and_resume() {
    peaks="$peaks $(peak_rss)"
    kill_agent
    start_agent
    "$FERRY" jobs --json | python3 -c '
import json, sys
for j in json.load(sys.stdin):
    if j["state"] == "interrupted":
        print(j["id"])' >"$tmpdir/interrupted"
    echo "restart: $(wc -l <"$tmpdir/interrupted") interrupted jobs resumed" >&2
    while read -r id; do
        "$FERRY" resume "$id" >/dev/null || fail "resume $id"
    done <"$tmpdir/interrupted"
}
for kill_at in 3 9; do
    until [ "$(count_state completed)" -ge "$kill_at" ]; do sleep 0.5; done
    restart_and_resume
done
until [ "$(count_state completed)" -ge "$n" ]; do
    [ "$(count_state failed)" = 0 ] || fail "a job failed: $("$FERRY" jobs | grep failed)"
    sleep 1
done
peaks="$peaks $(peak_rss)"
secs=$(( $(date +%s) - start ))

i=1
while [ $i -le "$n" ]; do
    if [ $((i % 2)) = 0 ]; then pool=$tmpdir/pool-file; else pool=$tmpdir/pool-ssh; fi
    cmp "$img/vm$i.raw" "$pool/load$i-vda.raw" || fail "load$i differs"
    i=$((i + 1))
done
for pool in "$tmpdir/pool-file" "$tmpdir/pool-ssh"; do
    assert_no_part "$pool"
    python3 - "$pool" <<'PY' || fail "manifests in $pool"
import glob, hashlib, json, sys
for m in glob.glob(sys.argv[1] + "/*.ferry.json"):
    for d in json.load(open(m))["disks"]:
        h = hashlib.sha256(open(sys.argv[1] + "/" + d["file"], "rb").read()).hexdigest()
        assert d["sha256"] == h, (m, d)
PY
done
assert_eq "$(ls "$tmpdir"/pool-*/*.ferry.json | wc -l)" "$n" "manifests"
assert_eq "$("$FERRY" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
    "$n" "jobs"
echo "agent-load: $n exports at concurrency $conc, 2 SIGKILLs, all verified in $secs s; agent peak RSS per run (KiB):$peaks"
