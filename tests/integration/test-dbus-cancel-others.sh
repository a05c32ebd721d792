#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Jobs have owners.  With nobody in the [agent] group, nobody may export
# and manage its own jobs, but not root's: Cancel, Resume and GetDetails on
# root's job are refused with org.ferry.Error.AccessDenied (the group does not
# stand for org.ferry.agent1.manage-other-jobs, and without polkit nobody
# holds it), and the job's properties name no target, path or error.  Root
# (who holds every action) may cancel nobody's job and read its details.
. "$top_srcdir/tests/integration/functions.sh"
requires_root
requires gdbus setpriv python3
getent passwd nobody >/dev/null || skip "requires the user nobody"
nobody_uid=$(id -u nobody)
nobody_group=$(id -gn nobody)
make_tmpdir
mkdir "$tmpdir/pool"
start_private_bus
printf '[agent]\ngroup=%s\npools=%s\n' "$nobody_group" "$tmpdir/pool" >"$tmpdir/ferry.conf"
start_agent

as_root() {
    gdbus call -a "$bus_address" -d org.ferry.Agent1 "$@"
}
as_nobody() {
    setpriv --reuid=nobody --regid="$nobody_group" --clear-groups \
        env HOME=/nonexistent gdbus call -a "$bus_address" -d org.ferry.Agent1 "$@"
}
# refused WHAT CMD...: CMD fails with exactly org.ferry.Error.AccessDenied.
refused() {
    what=$1
    shift
    "$@" >/dev/null 2>"$tmpdir/err" && fail "$what succeeded"
    name=$(sed -n 's/.*GDBus\.Error:\([A-Za-z.]*\): .*/\1/p' "$tmpdir/err")
    assert_eq "$name" "org.ferry.Error.AccessDenied" "$what: error name ($(cat "$tmpdir/err"))"
}
slow="{'kind': <'test-sleep'>, 'bytes': <uint64 100000>, 'step': <uint64 1>, 'delay-ms': <uint64 50>}"
fails="{'kind': <'test-sleep'>, 'bytes': <uint64 1000>, 'step': <uint64 5>, 'delay-ms': <uint64 1>, 'fail-at': <uint64 10>}"

# Job 1: root's, running.  Job 2: root's, failed (an error to hide).
as_root -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export secret-vm \
    "file://$tmpdir/secret-pool" "$slow" >/dev/null || fail "root's Export failed"
as_root -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export secret-vm \
    "file://$tmpdir/secret-pool" "$fails" >/dev/null || fail "root's failing Export failed"
i=0
until [ "$(as_root -o /org/ferry/Agent1/jobs/2 -m org.freedesktop.DBus.Properties.Get \
          org.ferry.Agent1.Job State)" = "(<'failed'>,)" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "job 2 did not fail"; sleep 0.1
done

refused "nobody's Cancel of root's job" \
    as_nobody -o /org/ferry/Agent1/jobs/1 -m org.ferry.Agent1.Job.Cancel "{}"
assert_contains "$(cat "$tmpdir/err")" \
    "Cancel: the job belongs to uid 0, and polkit did not authorize org.ferry.agent1.manage-other-jobs for caller uid $nobody_uid" \
    "nobody's Cancel message"
refused "nobody's Resume of root's job" \
    as_nobody -o /org/ferry/Agent1/jobs/2 -m org.ferry.Agent1.Job.Resume "{}"
refused "nobody's GetDetails of root's job" \
    as_nobody -o /org/ferry/Agent1/jobs/2 -m org.ferry.Agent1.Job.GetDetails "{}"
assert_eq "$(as_root -o /org/ferry/Agent1/jobs/1 -m org.freedesktop.DBus.Properties.Get \
    org.ferry.Agent1.Job State)" "(<'running'>,)" "root's job after nobody's Cancel"
assert_eq "$(as_root -o /org/ferry/Agent1/jobs/2 -m org.freedesktop.DBus.Properties.Get \
    org.ferry.Agent1.Job State)" "(<'failed'>,)" "root's job after nobody's Resume"

# What every user may read names no target, path or error message.
for j in 1 2; do
    as_nobody -o /org/ferry/Agent1/jobs/$j -m org.freedesktop.DBus.Properties.GetAll \
        org.ferry.Agent1.Job >"$tmpdir/props$j" || fail "nobody's GetAll of job $j failed"
    case "$(cat "$tmpdir/props$j")" in
        *secret-pool*|*"'Target'"*|*"'Error'"*|*"'Result'"*)
            fail "job $j's properties show details: $(cat "$tmpdir/props$j")" ;;
    esac
    assert_contains "$(cat "$tmpdir/props$j")" "'Owner': <uint32 0>" "job $j's Owner"
done
assert_contains "$(cat "$tmpdir/props2")" "'ErrorName': <'org.ferry.Error.IO'>" "job 2's ErrorName"
# ferry jobs --json as nobody: public fields only.
setpriv --reuid=nobody --regid="$nobody_group" --clear-groups env HOME=/nonexistent \
    "$FERRY" jobs --json >"$tmpdir/jobs.json" || fail "ferry jobs as nobody failed"
python3 - "$tmpdir/jobs.json" <<'X' || fail "ferry jobs as nobody: $(cat "$tmpdir/jobs.json")"
import json, sys
jobs = json.load(open(sys.argv[1]))
assert [j["id"] for j in jobs] == ["1", "2"], jobs
for j in jobs:
    assert j["owner"] == 0 and "target" not in j and "error" not in j and "result" not in j, j
X
# Root reads them.
out=$(as_root -o /org/ferry/Agent1/jobs/2 -m org.ferry.Agent1.Job.GetDetails "{}") ||
    fail "root's GetDetails failed"
assert_contains "$out" "'target': <'file://$tmpdir/secret-pool'>" "root's details of job 2"

# Job 3: nobody's own (in its pool): nobody reads its details and cancels it.
as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export vm3 \
    "file://$tmpdir/pool" "$slow" >/dev/null || fail "nobody's Export failed"
assert_eq "$(as_nobody -o /org/ferry/Agent1/jobs/3 -m org.freedesktop.DBus.Properties.Get \
    org.ferry.Agent1.Job Owner)" "(<uint32 $nobody_uid>,)" "job 3's Owner"
out=$(as_nobody -o /org/ferry/Agent1/jobs/3 -m org.ferry.Agent1.Job.GetDetails "{}") ||
    fail "nobody's GetDetails of its own job failed"
assert_contains "$out" "'target': <'file://$tmpdir/pool'>" "nobody's details of job 3"
as_nobody -o /org/ferry/Agent1/jobs/3 -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null ||
    fail "nobody's Cancel of its own job failed"
# Root holds every action: it cancels nobody's job and reads its details.
as_nobody -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export vm4 \
    "file://$tmpdir/pool" "$slow" >/dev/null || fail "nobody's second Export failed"
as_root -o /org/ferry/Agent1/jobs/4 -m org.ferry.Agent1.Job.GetDetails "{}" >/dev/null ||
    fail "root's GetDetails of nobody's job failed"
as_root -o /org/ferry/Agent1/jobs/4 -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null ||
    fail "root's Cancel of nobody's job failed"
as_root -o /org/ferry/Agent1/jobs/1 -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null ||
    fail "root's Cancel of its own job failed"

# The owner is persisted: after a restart, job 3 is still nobody's.
stop_agent
start_agent
assert_eq "$(as_nobody -o /org/ferry/Agent1/jobs/3 -m org.freedesktop.DBus.Properties.Get \
    org.ferry.Agent1.Job Owner)" "(<uint32 $nobody_uid>,)" "job 3's Owner after a restart"
refused "nobody's Resume of root's job after a restart" \
    as_nobody -o /org/ferry/Agent1/jobs/1 -m org.ferry.Agent1.Job.Resume "{}"
