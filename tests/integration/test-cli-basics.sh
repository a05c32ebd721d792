#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The CLI answers --help and --version, refuses unknown verbs with status 2
# and one line on stderr, and the daemon starts and stops cleanly.
. "$top_srcdir/tests/integration/functions.sh"
make_tmpdir

"$FERRY" --help | grep -q '^  list ' || fail "--help does not list 'list'"
out=$("$FERRY" --version)
assert_contains "$out" "ferry " "--version"

set +e
"$FERRY" frobnicate >"$tmpdir/out" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status of an unknown verb"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr for an unknown verb"
assert_contains "$(cat "$tmpdir/err")" "unknown command 'frobnicate'" "unknown verb message"

"$FERRY_AGENT" --once || fail "ferry-agent --once did not exit 0"
start_private_bus
"$FERRY_AGENT" --bus-address "$bus_address" --state-dir "$tmpdir/state" & pid=$!
sleep 0.3
kill -TERM "$pid"
wait "$pid" || fail "ferry-agent did not exit 0 on SIGTERM"
