#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# SIGKILL the agent in the middle of a job: after a restart the job is
# "interrupted" with the byte count it had persisted, and `ferry resume`
# queues it again; the runner restarts from that count (not from 0) and
# the job completes.  The job file is never torn: it parses at every step.
. "$top_srcdir/tests/integration/functions.sh"
requires gdbus python3
make_tmpdir
start_private_bus
start_agent

gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null \
    "{'kind': <'test-sleep'>, 'bytes': <uint64 1000>, 'step': <uint64 5>, 'delay-ms': <uint64 10>}" \
    >/dev/null || fail "Export failed"
file=$tmpdir/state/jobs/1.json
persisted() {
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(j["state"], j["bytes"])' "$file"
}
# Progress is persisted about once a second while the job runs.
i=0
while :; do
    set -- $(persisted)
    [ "$1" = running ] && [ "$2" -gt 0 ] && break
    i=$((i + 1)); [ $i -lt 100 ] || fail "no progress persisted within 10 s: $*"
    sleep 0.1
done
kill_agent
set -- $(persisted)
assert_eq "$1" running "state on disk after SIGKILL"
at_kill=$2
[ "$at_kill" -lt 1000 ] || fail "the job had finished before SIGKILL"

start_agent
"$FERRY" jobs --json >"$tmpdir/jobs.json" || fail "ferry jobs failed"
python3 - "$tmpdir/jobs.json" "$at_kill" <<'X' || fail "job after restart (see above)"
import json, sys
jobs = json.load(open(sys.argv[1]))
assert len(jobs) == 1, jobs
j = jobs[0]
assert j["state"] == "interrupted", j
assert j["bytes"] == int(sys.argv[2]) and j["bytes_total"] == 1000, j
X
assert_eq "$(persisted)" "interrupted $at_kill" "job file after restart"

"$FERRY" resume 1 || fail "ferry resume failed"
"$FERRY" watch --json 1 >"$tmpdir/watch" || fail "the resumed job did not complete"
assert_contains "$(tail -n 1 "$tmpdir/watch")" '"state":"completed"' "last watch line"
assert_eq "$(persisted)" "completed 1000" "job file at the end"
grep -q "^start 1 0$" "$tmpdir/agent-test.log" || fail "no first start in the test log"
grep -q "^start 1 $at_kill$" "$tmpdir/agent-test.log" ||
    fail "the resumed run did not start at $at_kill: $(cat "$tmpdir/agent-test.log")"
set +e
"$FERRY" resume 1 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status of resuming a completed job"
assert_contains "$(cat "$tmpdir/err")" "ferry: job 1 has completed" "resume of a completed job"
