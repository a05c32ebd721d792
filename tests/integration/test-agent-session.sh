#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry-agent --session: the agent on a session bus (dbus-run-session makes
# one) keeps its jobs in $XDG_STATE_HOME/ferry, and the CLI reaches it
# with --session.
. "$top_srcdir/tests/integration/functions.sh"
requires dbus-run-session gdbus
make_tmpdir
export XDG_STATE_HOME="$tmpdir/xdg-state"
unset FERRY_BUS_ADDRESS

cat >"$tmpdir/session.sh" <<'X'
set -eu
"$FERRY_AGENT_TEST" --session --config "$tmpdir/none.conf" 2>"$tmpdir/agent.log" &
pid=$!
i=0
until gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus \
        -m org.freedesktop.DBus.NameHasOwner org.ferry.Agent1 2>/dev/null | grep -q true; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "agent did not start"; exit 1; }
    sleep 0.1
done
gdbus call --session -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null \
    "{'kind': <'test-sleep'>, 'bytes': <uint64 10>}" >/dev/null
"$FERRY" watch --session 1 >/dev/null
"$FERRY" jobs --session >"$tmpdir/jobs"
kill -TERM "$pid"
wait "$pid"
X
printf '[agent]\n' >"$tmpdir/none.conf"
tmpdir=$tmpdir dbus-run-session -- sh "$tmpdir/session.sh" ||
    fail "session run failed: $(cat "$tmpdir/agent.log" 2>/dev/null)"
grep -q '^1  *test-sleep  *vm1  *completed' "$tmpdir/jobs" || fail "ferry jobs --session: $(cat "$tmpdir/jobs")"
[ -s "$XDG_STATE_HOME/ferry/jobs/1.json" ] ||
    fail "no job file in \$XDG_STATE_HOME/ferry/jobs"
