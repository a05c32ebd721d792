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

# refused STATUS WORDS WHAT ARG...: ferry-agent ARG... exits STATUS, with
# WORDS in its message; WHAT names the case.
refused() {
    expected=$1 words=$2 what=$3
    shift 3
    set +e
    "$FERRY_AGENT" "$@" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" "$expected" "exit status $what"
    assert_contains "$(cat "$tmpdir/err")" "$words" "message $what"
}

refused 4 "$tmpdir/state: the state directory is in use by another ferry-agent" \
    "of a second agent on the same state directory" \
    --bus-address "$bus_address" --state-dir "$tmpdir/state" --config "$tmpdir/ferry.conf"
refused 1 "cannot own org.ferry.Agent1" "of a second agent on the same bus" \
    --bus-address "$bus_address" --state-dir "$tmpdir/state2" --config "$tmpdir/ferry.conf"

"$FERRY" jobs >/dev/null || fail "the first agent stopped answering"

refused 3 "$tmpdir/nothere.conf" "with a missing --config file" \
    --config "$tmpdir/nothere.conf" --once
printf '[agent]\nconcurrency=0\n' >"$tmpdir/bad.conf"
refused 2 "[agent] concurrency: '0' is not a number within 1..64" "with a bad concurrency" \
    --config "$tmpdir/bad.conf" --once
