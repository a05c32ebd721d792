#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Who may change things.  On a bus that lets every call through, the agent
# itself refuses Export, Cancel and Resume to an unprivileged caller
# (nobody, via setpriv) with org.ferry.Error.AccessDenied, lets it list, and lets
# root; so it does for the real export kind (a slow export of a libvirt
# test-driver domain into a file:// pool).  With [agent] group set to
# nobody's group, nobody may, into [agent] pools from [agent] connect, but
# only root may name files for the agent to read (identity, password-file,
# known-hosts).  On a bus
# with the system bus's default-deny rules and data/org.ferry.Agent1.conf,
# the bus refuses nobody's Export before the agent sees it, while
# introspection and ListJobs stay open.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires gdbus setpriv qemu-img qemu-io
getent passwd nobody >/dev/null || skip "requires the user nobody"
nobody_group=$(id -gn nobody)
make_tmpdir
start_private_bus
start_agent

# A domain whose export takes seconds: 8 MiB of data at 1 MiB/s.
mkdir "$tmpdir/pool"
make_image raw "$tmpdir/disk.raw" 16M "0x77 0 8M"
write_test_host slow "vda:raw:$tmpdir/disk.raw"
real="{'connect': <'$test_host_uri'>, 'bwlimit': <uint64 1048576>}"

as_nobody() {
    setpriv --reuid=nobody --regid="$nobody_group" --clear-groups \
        env HOME=/nonexistent gdbus call -a "$bus_address" -d org.ferry.Agent1 "$@"
}
opts="{'kind': <'test-sleep'>, 'bytes': <uint64 100000>, 'step': <uint64 1>, 'delay-ms': <uint64 50>}"

# Root may: this job runs for a while.
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null "$opts" >/dev/null || fail "root's Export failed"

as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null "$opts" \
    >/dev/null 2>"$tmpdir/err" && fail "nobody's Export succeeded"
assert_contains "$(cat "$tmpdir/err")" "org.ferry.Error.AccessDenied: Export: caller uid $(id -u nobody) is not allowed" \
    "nobody's Export"
as_nobody -o /org/ferry/Agent1/jobs/1 -m org.ferry.Agent1.Job.Cancel "{}" \
    >/dev/null 2>"$tmpdir/err" && fail "nobody's Cancel succeeded"
assert_contains "$(cat "$tmpdir/err")" "org.ferry.Error.AccessDenied: Cancel:" "nobody's Cancel"
as_nobody -o /org/ferry/Agent1/jobs/1 -m org.ferry.Agent1.Job.Resume "{}" \
    >/dev/null 2>"$tmpdir/err" && fail "nobody's Resume succeeded"
assert_contains "$(cat "$tmpdir/err")" "org.ferry.Error.AccessDenied: Resume:" "nobody's Resume"
out=$(as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.ListJobs "{}") ||
    fail "nobody's ListJobs failed"
assert_eq "$out" "([objectpath '/org/ferry/Agent1/jobs/1'],)" "nobody's ListJobs"
state=$(as_nobody -o /org/ferry/Agent1/jobs/1 -m org.freedesktop.DBus.Properties.Get \
    org.ferry.Agent1.Job State)
assert_eq "$state" "(<'running'>,)" "the job still runs after nobody's Cancel"
# The CLI as nobody: one line, exit status 8 (auth).
set +e
setpriv --reuid=nobody --regid="$nobody_group" --clear-groups "$FERRY" cancel 1 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status of ferry cancel as nobody"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines of ferry cancel's error"
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/1 \
    -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null || fail "root's Cancel failed"

# The real export kind (the default one): nobody may neither start one nor
# cancel root's.
as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export slow \
    "file://$tmpdir/pool" "$real" >/dev/null 2>"$tmpdir/err" && fail "nobody's real Export succeeded"
assert_contains "$(cat "$tmpdir/err")" "org.ferry.Error.AccessDenied: Export: caller uid $(id -u nobody) is not allowed" \
    "nobody's real Export"
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export slow "file://$tmpdir/pool" "$real" >/dev/null ||
    fail "root's real Export failed"
i=0
until [ "$(as_nobody -o /org/ferry/Agent1/jobs/2 -m org.freedesktop.DBus.Properties.Get \
          org.ferry.Agent1.Job State)" = "(<'running'>,)" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "root's real export did not start"; sleep 0.1
done
assert_eq "$(as_nobody -o /org/ferry/Agent1/jobs/2 -m org.freedesktop.DBus.Properties.Get \
    org.ferry.Agent1.Job Kind)" "(<'export'>,)" "kind of job 2"
as_nobody -o /org/ferry/Agent1/jobs/2 -m org.ferry.Agent1.Job.Cancel "{}" \
    >/dev/null 2>"$tmpdir/err" && fail "nobody's Cancel of a real export succeeded"
assert_contains "$(cat "$tmpdir/err")" "org.ferry.Error.AccessDenied: Cancel:" "nobody's Cancel of a real export"
assert_eq "$(as_nobody -o /org/ferry/Agent1/jobs/2 -m org.freedesktop.DBus.Properties.Get \
    org.ferry.Agent1.Job State)" "(<'running'>,)" "the real export still runs after nobody's Cancel"
[ -e "$tmpdir/pool/slow-vda.qcow2.part" ] || fail "the real export has no .part while running"
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/2 \
    -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null || fail "root's Cancel of the real export failed"
stop_agent

# The configured group may, into its pools, from the configured libvirt URI.
printf '[agent]\ngroup=%s\npools=%s\nconnect=%s\n' "$nobody_group" "$tmpdir/pool" \
    "$test_host_uri" >"$tmpdir/ferry.conf"
start_agent
as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export vm1 "file://$tmpdir/pool" \
    "$opts" >/dev/null || fail "Export by a member of the configured group failed"
as_nobody -o /org/ferry/Agent1/jobs/3 -m org.ferry.Agent1.Job.Cancel "{}" \
    >/dev/null || fail "Cancel by a member of the configured group failed"
# A member may export for real, but not name a file the agent would read
# as root (here: a key sent to a host of the caller's choosing).
as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export slow \
    "file://$tmpdir/pool" "{'identity': <'/root/.ssh/id_ed25519'>}" >/dev/null 2>"$tmpdir/err" &&
    fail "a group member's Export naming an identity file succeeded"
assert_contains "$(cat "$tmpdir/err")" \
    "org.ferry.Error.AccessDenied: Export: option 'identity': only root may name files for the agent to read" \
    "a group member's identity option"
as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export slow \
    "file://$tmpdir/pool" "{'bwlimit': <uint64 1048576>}" >/dev/null ||
    fail "a group member's real Export failed"
as_nobody -o /org/ferry/Agent1/jobs/4 -m org.ferry.Agent1.Job.Cancel "{}" \
    >/dev/null || fail "a group member's Cancel of a real export failed"
stop_agent
kill "$bus_pid"

# The packaged bus policy on a system-like bus.
rm -f "$tmpdir/ferry.conf"
start_private_bus system
start_agent
as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null "$opts" \
    >/dev/null 2>"$tmpdir/err" && fail "the bus let nobody's Export through"
assert_contains "$(cat "$tmpdir/err")" "org.freedesktop.DBus.Error.AccessDenied" \
    "the bus policy on nobody's Export"
as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.ListJobs "{}" \
    >/dev/null || fail "the bus refused nobody's ListJobs"
setpriv --reuid=nobody --regid="$nobody_group" --clear-groups \
    gdbus introspect -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    >/dev/null || fail "the bus refused nobody's Introspect"
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null "$opts" >/dev/null ||
    fail "the bus refused root's Export"
