#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# 20 jobs queued at once on an agent with concurrency 2 (from ferry.conf):
# all complete, ListJobs lists them in order, and the test-sleep log shows
# that never more than 2 ran at the same time, and that 2 did.
. "$top_srcdir/tests/integration/functions.sh"
requires gdbus python3
make_tmpdir
start_private_bus
printf '[agent]\nconcurrency=2\n' >"$tmpdir/ferry.conf"
start_agent

n=0
while [ $n -lt 20 ]; do
    n=$((n + 1))
    gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
        -m org.ferry.Agent1.Manager.Export "vm$n" file:///dev/null \
        "{'kind': <'test-sleep'>, 'bytes': <uint64 4>, 'step': <uint64 1>, 'delay-ms': <uint64 15>}" \
        >/dev/null || fail "Export $n failed"
done
out=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.ListJobs "{}")
assert_contains "$out" "'/org/ferry/Agent1/jobs/1', '/org/ferry/Agent1/jobs/2', '/org/ferry/Agent1/jobs/3'" \
    "ListJobs order"
assert_contains "$out" "'/org/ferry/Agent1/jobs/20'" "ListJobs has job 20"

i=0
while :; do
    "$FERRY" jobs --json >"$tmpdir/jobs.json"
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if len(j) == 20 and all(x["state"] == "completed" for x in j) else 1)' \
        "$tmpdir/jobs.json" && break
    i=$((i + 1))
    [ $i -lt 150 ] || fail "not all 20 jobs completed within 30 s: $(cat "$tmpdir/jobs.json")"
    sleep 0.2
done

python3 - "$tmpdir/agent-test.log" <<'X' || fail "concurrency limit broken (see above)"
import sys
running, most, started, ended = set(), 0, 0, 0
for line in open(sys.argv[1]):
    what, job, rest = line.split()
    if what == "start":
        running.add(job); started += 1
    else:
        assert rest == "completed", line
        running.discard(job); ended += 1
    most = max(most, len(running))
assert started == 20 and ended == 20, (started, ended)
assert most == 2, "at most %d jobs ran at once" % most
X
