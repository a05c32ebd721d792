#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The installed ferry-agent has no test job kinds: Export with
# kind=test-sleep is refused as an unknown kind (org.ferry.Error.Invalid,
# the exact message) even with the environment that once enabled them, and
# neither its symbols nor its strings name test-sleep.  The test build
# ($FERRY_AGENT_TEST) does, which shows the check can see it.
. "$top_srcdir/tests/integration/functions.sh"
requires gdbus nm strings
: "${FERRY_AGENT:?FERRY_AGENT must point at ferry-agent (make check sets it)}"
make_tmpdir

nm "$FERRY_AGENT" >"$tmpdir/nm" 2>"$tmpdir/nm.err" || fail "nm ferry-agent: $(cat "$tmpdir/nm.err")"
[ -s "$tmpdir/nm" ] || fail "nm ferry-agent listed no symbols (stripped?)"
grep -q 'agent_job_kind_export' "$tmpdir/nm" || fail "nm ferry-agent: no agent_job_kind_export"
! grep -qi 'test_sleep\|test_kinds' "$tmpdir/nm" ||
    fail "ferry-agent links test kind code: $(grep -i 'test_sleep\|test_kinds' "$tmpdir/nm")"
! strings -a "$FERRY_AGENT" | grep -q 'test-sleep\|delay-ms' ||
    fail "ferry-agent contains the string test-sleep or delay-ms"
nm "$FERRY_AGENT_TEST" | grep -q 'agent_job_kind_test_sleep' ||
    fail "nm ferry-agent-test: no agent_job_kind_test_sleep (the check above proves nothing)"
strings -a "$FERRY_AGENT_TEST" | grep -q 'test-sleep' ||
    fail "strings ferry-agent-test: no test-sleep (the check above proves nothing)"

start_private_bus
export FERRY_AGENT_TEST_JOBS=1         # what enabled them before
agent_program=$FERRY_AGENT
start_agent
set +e
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null \
    "{'kind': <'test-sleep'>}" >"$tmpdir/out" 2>"$tmpdir/err"
status=$?
set -e
[ "$status" != 0 ] || fail "the stock agent took a test-sleep job: $(cat "$tmpdir/out")"
assert_eq "$(cat "$tmpdir/err")" \
    "Error: GDBus.Error:org.ferry.Error.Invalid: option 'kind': unknown job kind 'test-sleep'" \
    "Export kind=test-sleep on the stock agent"
# Nor do its options: the authorization table of the stock agent has no
# row for them (the test build adds them), so they are unknown.
set +e
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null \
    "{'delay-ms': <uint64 10>}" >"$tmpdir/out" 2>"$tmpdir/err"
status=$?
set -e
[ "$status" != 0 ] || fail "the stock agent took test-sleep's option: $(cat "$tmpdir/out")"
assert_eq "$(cat "$tmpdir/err")" \
    "Error: GDBus.Error:org.ferry.Error.Invalid: Export: option 'delay-ms' is unknown" \
    "Export with test-sleep's delay-ms on the stock agent"
assert_eq "$("$FERRY" jobs --json --bus-address "$bus_address")" "[]" "jobs after the refusal"
