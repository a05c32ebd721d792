#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Job.Cancel in the middle of a real export to the loopback sshd pool
# (16 MiB of data at 4 MiB/s): the job ends "cancelled" with Completed
# (false, ...) and ErrorName org.ferry.Error.Cancelled, nothing is under a
# final name, and the .part is removed (a Cancel, unlike a stop of the
# agent, keeps nothing).  A second Cancel is refused as Invalid.  Resume
# then exports from scratch (resumed-at 0) and the result verifies.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img python3 sha256sum gdbus
make_tmpdir
start_agent_and_sshd

name=ferry-test-$$-cancel
img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_random_raw "$img/disk.raw" $((64 << 20)) $((4 << 20)) $((16 << 20))
write_test_host "$name" "vda:raw:$img/disk.raw"

start_monitor /org/ferry/Agent1/jobs/1

job() {   # job METHOD ARGS...: a call on jobs/1
    gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/1 -m "$@"
}
prop() {
    job org.freedesktop.DBus.Properties.Get org.ferry.Agent1.Job "$1"
}
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export "$name" "ssh://root@127.0.0.1:$sshd_port$pool" \
    "{'connect': <'$test_host_uri'>, 'identity': <'$tmpdir/id'>,
      'known-hosts': <'$sshd_known_hosts'>, 'format': <'raw'>,
      'bwlimit': <uint64 4194304>}" >/dev/null || fail "Export failed"

part=$pool/$name-vda.raw.part
i=0
until [ -s "$part" ] && [ "$(stat -c %s "$part")" -ge $((2 << 20)) ]; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "the export did not get going: $(prop State) $(ls -la "$pool")"
    sleep 0.05
done
assert_eq "$(prop State)" "(<'running'>,)" "state before Cancel"
job org.ferry.Agent1.Job.Cancel "{}" >/dev/null || fail "Cancel failed"

i=0
until [ "$(prop State)" = "(<'cancelled'>,)" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "not cancelled within 10 s: $(prop State)"
    sleep 0.1
done
# 16 MiB at 4 MiB/s: stopped well before the end.
[ ! -e "$pool/$name-vda.raw" ] || fail "a file under its final name after Cancel"
[ ! -e "$part" ] || fail "the .part was left after Cancel"
[ ! -e "$pool/$name.ferry.json" ] || fail "a manifest after Cancel"
assert_eq "$(ls -A "$pool")" "" "pool after Cancel"
assert_eq "$(prop ErrorName)" "(<'org.ferry.Error.Cancelled'>,)" "ErrorName"
details=$(job org.ferry.Agent1.Job.GetDetails "{}") || fail "GetDetails failed"
assert_contains "$details" "'error': <'job 1 was cancelled'>" "error"
assert_contains "$details" "'result': <@a{sv} {}>" "result of a cancelled job"
i=0
until grep -q "Completed" "$tmpdir/monitor"; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "no Completed signal"; sleep 0.1
done
assert_contains "$(grep Completed "$tmpdir/monitor")" \
    "org.ferry.Agent1.Job.Completed (false, 'org.ferry.Error.Cancelled')" "Completed signal"

job org.ferry.Agent1.Job.Cancel "{}" >/dev/null 2>"$tmpdir/err" && fail "a second Cancel succeeded"
assert_contains "$(cat "$tmpdir/err")" "org.ferry.Error.Invalid: job 1 has already finished (cancelled)" \
    "second Cancel"

# Resume: nothing was kept, so it starts from 0, and completes.
job org.ferry.Agent1.Job.Resume "{}" >/dev/null || fail "Resume failed"
"$FERRY" watch 1 >/dev/null || fail "the resumed job did not complete"
qemu-img compare -q -f raw -F raw "$img/disk.raw" "$pool/$name-vda.raw" || fail "vda differs"
assert_no_part "$pool"
"$FERRY" jobs --json >"$tmpdir/jobs.json"
python3 - "$tmpdir/jobs.json" "$pool" <<'PY' || fail "result after Resume (see above)"
import hashlib, json, sys
j = json.load(open(sys.argv[1]))[0]
assert j["state"] == "completed", j
d, = j["result"]["disks"]
assert d["resumed-at"] == 0, d
assert d["sha256"] == hashlib.sha256(open(sys.argv[2] + "/" + d["file"], "rb").read()).hexdigest(), d
PY
