#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A test-sleep job over the bus: its Bytes property grows over time with
# ProgressValid and a non-zero Rate, PropertiesChanged comes at the timer's
# rate (not once per step), Cancel stops it, the job ends "cancelled" and
# Completed(false, ...) is emitted once; a second job's Completed(true, "").
. "$top_srcdir/tests/integration/functions.sh"
requires gdbus timeout
make_tmpdir
start_private_bus
start_agent

job_prop() {
    gdbus call -a "$bus_address" -d org.ferry.Agent1 -o "/org/ferry/Agent1/jobs/$1" \
        -m org.freedesktop.DBus.Properties.Get org.ferry.Agent1.Job "$2" |
        sed -e 's/^(<\(.*\)>,)$/\1/' -e 's/^uint64 //' -e "s/^'\(.*\)'$/\1/"
}
export_sleep() {
    gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
        -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null \
        "{'kind': <'test-sleep'>, 'bytes': <uint64 $1>, 'step': <uint64 $2>, 'delay-ms': <uint64 $3>}" |
        sed -n "s|^(objectpath '/org/ferry/Agent1/jobs/\(.*\)',)$|\1|p"
}

start_monitor

# 1000 steps of 1000 bytes, 5 ms apart: about 5 s if nobody cancels.
id=$(export_sleep 1000000 1000 5)
assert_eq "$id" 1 "job id"
samples=""
for i in 1 2 3 4; do
    sleep 0.4
    samples="$samples $(job_prop 1 Bytes)"
done
set -- $samples
[ "$1" -lt "$2" ] && [ "$2" -lt "$3" ] && [ "$3" -lt "$4" ] ||
    fail "Bytes did not grow over time: $samples"
[ "$4" -lt 1000000 ] || fail "the job finished before the cancel: $samples"
assert_eq "$(job_prop 1 State)" running "State while running"
assert_eq "$(job_prop 1 BytesTotal)" 1000000 "BytesTotal"
assert_eq "$(job_prop 1 ProgressValid)" true "ProgressValid"
rate=$(job_prop 1 Rate)
[ "$rate" -gt 0 ] || fail "Rate is $rate while running"

gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/1 \
    -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null || fail "Cancel failed"
i=0
until [ "$(job_prop 1 State)" = cancelled ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "job not cancelled within 5 s"; sleep 0.1
done
details=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/1 \
    -m org.ferry.Agent1.Job.GetDetails "{}") || fail "GetDetails failed"
assert_contains "$details" "'error': <'job 1 was cancelled'>" "error of a cancelled job"
assert_eq "$(job_prop 1 ErrorName)" "org.ferry.Error.Cancelled" "ErrorName"
assert_eq "$(job_prop 1 Rate)" 0 "Rate once stopped"
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/1 \
    -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null 2>"$tmpdir/err" &&
    fail "a second Cancel succeeded"
assert_contains "$(cat "$tmpdir/err")" "org.ferry.Error.Invalid" "second Cancel"

id=$(export_sleep 1000 500 1)
i=0
until [ "$(job_prop "$id" State)" = completed ]; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "job 2 not completed within 5 s"; sleep 0.1
done
sleep 0.3
kill "$monitor_pid"
grep -q "/org/ferry/Agent1/jobs/1: org.ferry.Agent1.Job.Completed (false, 'org.ferry.Error.Cancelled')" \
    "$tmpdir/monitor" || fail "no Completed(false) for job 1: $(grep Completed "$tmpdir/monitor")"
assert_eq "$(grep -c 'jobs/1: org.ferry.Agent1.Job.Completed' "$tmpdir/monitor")" 1 \
    "Completed signals of job 1"
grep -q "/org/ferry/Agent1/jobs/2: org.ferry.Agent1.Job.Completed (true, '')" \
    "$tmpdir/monitor" || fail "no Completed(true) for job 2"
# About 4 a second over the ~1.7 s job 1 ran; one per step would be ~300.
changes=$(grep -c "jobs/1: org.freedesktop.DBus.Properties.PropertiesChanged" "$tmpdir/monitor")
[ "$changes" -ge 3 ] && [ "$changes" -le 40 ] ||
    fail "$changes PropertiesChanged for job 1: not at the timer's rate"
