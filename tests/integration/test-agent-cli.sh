#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The job verbs against the agent: `ferry jobs` (table and --json),
# `ferry watch --json` (one object per change, exit 0 when completed),
# `ferry cancel` (watch then exits 130), `ferry resume` (the job completes),
# and their errors: an unknown job (exit 3), a bad id (exit 2), no agent
# running (exit 3), each one line on stderr.
. "$top_srcdir/tests/integration/functions.sh"
requires gdbus python3 script
make_tmpdir
start_private_bus
start_agent

export_sleep() {
    gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
        -m org.ferry.Agent1.Manager.Export "$1" file:///dev/null \
        "{'kind': <'test-sleep'>, 'bytes': <uint64 $2>, 'step': <uint64 $3>, 'delay-ms': <uint64 $4>}" \
        >/dev/null || fail "Export of $1 failed"
}
# run_status CMD...: runs CMD, sets $status, stderr in $tmpdir/err.
run_status() {
    set +e
    "$@" >"$tmpdir/out" 2>"$tmpdir/err"
    status=$?
    set -e
}

# Long enough (3 s) that watch starts while the job runs, even on a busy machine.
export_sleep web1 300000 10000 100
"$FERRY" watch --json 1 >"$tmpdir/watch" || fail "ferry watch of a completing job failed"
python3 - "$tmpdir/watch" <<'X' || fail "watch --json lines (see above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) >= 3, lines
assert all(l["id"] == "1" and l["vm"] == "web1" for l in lines), lines
assert lines[-1]["state"] == "completed" and lines[-1]["bytes"] == 300000, lines[-1]
b = [l["bytes"] for l in lines]
assert b == sorted(b), b
X

export_sleep db2 100000 1000 50
"$FERRY" watch 2 >"$tmpdir/watch2" 2>"$tmpdir/watch2.err" &
watch_pid=$!
sleep 0.5
"$FERRY" cancel 2 || fail "ferry cancel failed"
set +e
wait "$watch_pid"
status=$?
set -e
assert_eq "$status" 130 "ferry watch of a cancelled job"
assert_eq "$(cat "$tmpdir/watch2.err")" "ferry: job 2 was cancelled" "watch's message"
assert_contains "$(cat "$tmpdir/watch2")" "job 2: running" "watch's state lines"
assert_contains "$(cat "$tmpdir/watch2")" "job 2: cancelled" "watch's last state line"

"$FERRY" jobs >"$tmpdir/table" || fail "ferry jobs failed"
head -n 1 "$tmpdir/table" | grep -q '^ID  *KIND  *VM  *STATE  *PROGRESS  *RATE  *TARGET$' ||
    fail "table header: $(head -n 1 "$tmpdir/table")"
grep -q '^1  *test-sleep  *web1  *completed  *100%  *-  *file:///dev/null$' "$tmpdir/table" ||
    fail "table row of job 1: $(cat "$tmpdir/table")"
grep -q '^2  *test-sleep  *db2  *cancelled  ' "$tmpdir/table" ||
    fail "table row of job 2: $(cat "$tmpdir/table")"

"$FERRY" resume 2 || fail "ferry resume failed"
"$FERRY" watch 2 >/dev/null || fail "the resumed job did not complete"
"$FERRY" jobs --json >"$tmpdir/jobs.json"
python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); assert [x["state"] for x in j][:2] == ["completed", "completed"], j' \
    "$tmpdir/jobs.json" || fail "ferry jobs --json after resume"

# On a terminal (script(1) gives one): a progress bar redrawn in place.
export_sleep tty3 100000 10000 40
script -qec "$FERRY watch 3" /dev/null >"$tmpdir/tty" </dev/null ||
    fail "ferry watch on a terminal failed: $(cat "$tmpdir/tty")"
grep -q "$(printf '\r')job 3 \[#*-*\]  *[0-9]*% " "$tmpdir/tty" ||
    fail "no progress bar on a terminal: $(cat -A "$tmpdir/tty")"
grep -q "job 3 \[##############################\] 100% .*completed" "$tmpdir/tty" ||
    fail "no full bar at the end: $(cat -A "$tmpdir/tty")"

run_status "$FERRY" cancel 9
assert_eq "$status" 3 "exit status of cancelling an unknown job"
assert_eq "$(cat "$tmpdir/err")" "ferry: no job '9'" "unknown job message"
run_status "$FERRY" watch ../1
assert_eq "$status" 2 "exit status of a bad job id"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines of a bad id's error"
run_status "$FERRY" cancel
assert_eq "$status" 2 "exit status of cancel without a job"

stop_agent
run_status "$FERRY" jobs
assert_eq "$status" 3 "exit status with no agent"
assert_contains "$(cat "$tmpdir/err")" "ferry: ferry-agent is not running" "no agent message"
