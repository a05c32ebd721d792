#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# SIGKILL ferry-agent in the middle of a real export (at 2 MiB/s into the
# loopback sshd pool) once its .part holds a few MiB; after a restart the
# job is "interrupted" and its .part is still there, as a Resume needs.
# `ferry cancel` then cancels it and removes the .part, as README says a
# Cancel does: no .part is left, no final file appears, and the job is
# "cancelled".
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires python3 gdbus
make_tmpdir
G_MESSAGES_DEBUG=ferry
export G_MESSAGES_DEBUG
start_agent_and_sshd

name=ferry-test-$$-kcancel
img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_random_raw "$img/disk.raw" $((64 << 20)) 0 $((16 << 20))
write_test_host "$name" "vda:raw:$img/disk.raw"

gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export "$name" "ssh://root@127.0.0.1:$sshd_port$pool" \
    "{'connect': <'$test_host_uri'>, 'identity': <'$tmpdir/id'>,
      'known-hosts': <'$sshd_known_hosts'>, 'bwlimit': <uint64 2097152>}" \
    >/dev/null || fail "Export failed"

file=$tmpdir/state/jobs/1.json
persisted_state() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["state"])' "$file"
}
part=$pool/$name-vda.qcow2.part
i=0
until [ "$(persisted_state)" = running ] && [ -e "$part" ] &&
      [ "$(stat -c %s "$part")" -ge $((2 << 20)) ]; do
    i=$((i + 1))
    [ $i -lt 300 ] || fail "the export did not get going within 15 s: $(ls -la "$pool")"
    sleep 0.05
done
kill_agent
start_agent
assert_eq "$("$FERRY" jobs --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["state"])')" \
    interrupted "state after the restart"
[ -e "$part" ] || fail "the .part is gone after the restart, before any Cancel"

"$FERRY" cancel 1 || fail "ferry cancel of the interrupted job failed"
i=0
until [ "$("$FERRY" jobs --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["state"])')" = cancelled ]; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "the job was not cancelled within 10 s: $("$FERRY" jobs)"
    sleep 0.05
done
assert_no_part "$pool"
[ ! -e "$pool/$name-vda.qcow2" ] || fail "a final file appeared: $(ls -la "$pool")"
grep -q "job 1: cancelled; 3 temporary files removed from " "$tmpdir/agent.log" ||
    fail "the agent did not log the removal: $(grep 'job 1' "$tmpdir/agent.log")"
set +e
"$FERRY" cancel 1 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status of a second cancel"
assert_eq "$(cat "$tmpdir/err")" "ferry: job 1 has already finished (cancelled)" "second cancel"
