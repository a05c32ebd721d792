#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# One agent per state directory and per bus: a second ferry-agent on the
# same state directory exits 4 (busy) naming the directory, one with its
# own state directory exits 1 because the name is taken, and the first
# one keeps serving.  A missing or bad settings file stops it with the
# file and key named.
. "$top_srcdir/tests/integration/functions.sh"
requires gdbus
make_tmpdir
start_private_bus
start_agent

set +e
"$FERRY_AGENT" --bus-address "$bus_address" --state-dir "$tmpdir/state" \
    --config "$tmpdir/ferry.conf" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 4 "exit status of a second agent on the same state directory"
assert_contains "$(cat "$tmpdir/err")" "$tmpdir/state: the state directory is in use by another ferry-agent" \
    "second agent's message"

set +e
"$FERRY_AGENT" --bus-address "$bus_address" --state-dir "$tmpdir/state2" \
    --config "$tmpdir/ferry.conf" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 1 "exit status of a second agent on the same bus"
assert_contains "$(cat "$tmpdir/err")" "cannot own org.ferry.Agent1" "second agent's message"

"$FERRY" jobs >/dev/null || fail "the first agent stopped answering"

set +e
"$FERRY_AGENT" --config "$tmpdir/nothere.conf" --once 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 3 "exit status with a missing --config file"
assert_contains "$(cat "$tmpdir/err")" "$tmpdir/nothere.conf" "missing config message"
printf '[agent]\nconcurrency=0\n' >"$tmpdir/bad.conf"
set +e
"$FERRY_AGENT" --config "$tmpdir/bad.conf" --once 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status with a bad concurrency"
assert_contains "$(cat "$tmpdir/err")" "[agent] concurrency: '0' is not a number within 1..64" \
    "bad concurrency message"
