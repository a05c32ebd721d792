#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The CLI answers --help and --version (each verb's usage line names
# "ferry VERB"), refuses unknown verbs and bad arguments with status 2 and
# one line on stderr starting "ferry: ", and the daemon starts and stops
# cleanly.
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

# Each verb's --help names the command as typed, "ferry VERB".
for verb in list info map convert export jobs watch cancel resume serve; do
    "$FERRY" "$verb" --help >"$tmpdir/help" || fail "ferry $verb --help failed"
    assert_contains "$(sed -n 2p "$tmpdir/help")" "  ferry $verb [OPTION" "usage line of ferry $verb --help"
done
assert_eq "$("$FERRY" export --help | sed -n 2p)" \
    "  ferry export [OPTION…] VM - export a stopped domain's disks to a pool" "ferry export --help"

# A usage error is one line with README's "ferry: " prefix, and status 2.
set +e
"$FERRY" convert -O raw "$tmpdir/src" >"$tmpdir/out" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status of convert without DST"
assert_eq "$(cat "$tmpdir/err")" "ferry: convert: expected SRC and DST (see 'ferry convert --help')" \
    "convert without DST"

"$FERRY_AGENT" --once || fail "ferry-agent --once did not exit 0"
start_private_bus
"$FERRY_AGENT" --bus-address "$bus_address" --state-dir "$tmpdir/state" & pid=$!
sleep 0.3
kill -TERM "$pid"
wait "$pid" || fail "ferry-agent did not exit 0 on SIGTERM"
