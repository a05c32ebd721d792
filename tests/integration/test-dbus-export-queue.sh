#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# 20 real exports queued at once on an agent with concurrency 2 (from
# ferry.conf): 20 domains of a libvirt test-driver host, each with its own
# small raw disk, into one file:// pool at 4 MiB/s each (about a quarter
# of a second apiece).  All complete; the State changes the agent
# announced (gdbus monitor) never have more than 2 running, and often 2;
# so do the jobs' start and finish times; every disk compares identical
# with qemu-img and matches its manifest's SHA-256.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io python3 gdbus
make_tmpdir
start_private_bus
printf '[agent]\nconcurrency=2\n[export]\nformat=raw\nbandwidth-limit=4194304\n' \
    >"$tmpdir/ferry.conf"
start_agent

img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
echo "<node>" >"$tmpdir/host.xml"
n=0
while [ $n -lt 20 ]; do
    n=$((n + 1))
    make_image raw "$img/d$n.raw" 4M "$((n + 16)) $((n * 64))k 1M"
    domain_xml test "vm$n" "vda:raw:$img/d$n.raw" >>"$tmpdir/host.xml"
done
echo "</node>" >>"$tmpdir/host.xml"

# Every State change of every job, in the order the agent announced them.
start_monitor

n=0
while [ $n -lt 20 ]; do
    n=$((n + 1))
    gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
        -m org.ferry.Agent1.Manager.Export "vm$n" "file://$pool" \
        "{'connect': <'test://$tmpdir/host.xml'>}" >/dev/null || fail "Export $n failed"
done
i=0
while :; do
    "$FERRY" jobs --json >"$tmpdir/jobs.json" || fail "ferry jobs failed"
    python3 - "$tmpdir/jobs.json" <<'PY' && break
import json, sys
j = json.load(open(sys.argv[1]))
bad = [x for x in j if x["state"] in ("failed", "cancelled")]
if bad:
    print("FAILED", bad); sys.exit(0)
sys.exit(0 if len(j) == 20 and all(x["state"] == "completed" for x in j) else 1)
PY
    i=$((i + 1))
    [ $i -lt 300 ] || fail "not all 20 jobs completed within 60 s: $(cat "$tmpdir/jobs.json")"
    sleep 0.2
done
sleep 0.5
kill $monitor_pid

python3 - "$tmpdir/monitor" <<'PY' || fail "running jobs from the State changes (see above)"
import re, sys
state, most, seen2 = {}, 0, 0
for line in open(sys.argv[1]):
    m = re.match(r"/org/ferry/Agent1/jobs/(\d+): org.freedesktop.DBus.Properties.PropertiesChanged .*'State': <'(\w+)'>", line)
    if not m:
        continue
    state[m.group(1)] = m.group(2)
    running = sum(s == "running" for s in state.values())
    most = max(most, running)
    seen2 += running == 2
assert len(state) == 20 and set(state.values()) == {"completed"}, state
assert most == 2, f"at most {most} exports ran at once"
assert seen2 >= 5, f"2 exports ran at once only {seen2} times"
PY
python3 - "$tmpdir/jobs.json" <<'PY' || fail "concurrency from the job times (see above)"
import json, sys
jobs = json.load(open(sys.argv[1]))
assert [j["vm"] for j in jobs] == [f"vm{n}" for n in range(1, 21)], [j["vm"] for j in jobs]
events = []
for j in jobs:
    assert j["start_time"] > 0 and j["finish_time"] > j["start_time"], j
    events += [(j["start_time"], 1), (j["finish_time"], -1)]
# A finish and a start at the same microsecond: the finish came first.
running = most = 0
for t, step in sorted(events, key=lambda e: (e[0], e[1])):
    running += step
    most = max(most, running)
assert most == 2, f"at most {most} exports ran at once"
PY

n=0
while [ $n -lt 20 ]; do
    n=$((n + 1))
    qemu-img compare -q -f raw -F raw "$img/d$n.raw" "$pool/vm$n-vda.raw" || fail "vm$n's disk differs"
done
assert_no_part "$pool"
python3 - "$pool" <<'PY' || fail "manifests (see above)"
import hashlib, json, sys
pool = sys.argv[1]
for n in range(1, 21):
    m = json.load(open(f"{pool}/vm{n}.ferry.json"))
    d, = m["disks"]
    assert d["format"] == "raw", d          # the agent's [export] format
    h = hashlib.sha256(open(f"{pool}/{d['file']}", "rb").read()).hexdigest()
    assert d["sha256"] == h, (n, d["sha256"], h)
PY
