#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# SIGKILL ferry-agent in the middle of a real export (16 MiB of random
# data at 2 MiB/s into a qcow2 on the loopback sshd pool), once its .part
# holds several MiB and the job file says "running".  After a restart the
# job is "interrupted" with its persisted byte count; `ferry resume` and
# `ferry watch` take it to "completed", and it resumed from the .part, not
# from 0: the job's result and the manifest say resumed-at > 0, fewer
# bytes were sent than the file holds, and the agent's log says so.  The
# disk compares identical with qemu-img compare, its SHA-256 matches the
# manifest, no .part is left.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img python3 sha256sum gdbus
make_tmpdir
G_MESSAGES_DEBUG=ferry
export G_MESSAGES_DEBUG
start_agent_and_sshd

name=ferry-test-$$-kill
img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_random_raw "$img/disk.raw" $((128 << 20)) $((8 << 20)) $((16 << 20))
write_test_host "$name" "vda:raw:$img/disk.raw"

gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export "$name" "ssh://root@127.0.0.1:$sshd_port$pool" \
    "{'connect': <'$test_host_uri'>, 'identity': <'$tmpdir/id'>,
      'known-hosts': <'$sshd_known_hosts'>, 'bwlimit': <uint64 2097152>}" \
    >/dev/null || fail "Export failed"

file=$tmpdir/state/jobs/1.json
persisted() {
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(j["state"], j["bytes"])' "$file"
}
part=$pool/$name-vda.qcow2.part
i=0
while :; do
    set -- $(persisted)
    if [ "$1" = running ] && [ "$2" -gt 0 ] && [ -e "$part" ] &&
       [ "$(stat -c %s "$part")" -ge $((6 << 20)) ]; then
        break
    fi
    i=$((i + 1))
    [ $i -lt 300 ] || fail "the export did not get going within 15 s: $* $(ls -la "$pool")"
    sleep 0.05
done
kill_agent
set -- $(persisted)
assert_eq "$1" running "state on disk after SIGKILL"
at_kill=$2
part_at_kill=$(stat -c %s "$part")
[ ! -e "$pool/$name-vda.qcow2" ] || fail "the disk was finished before SIGKILL"

start_agent
"$FERRY" jobs --json >"$tmpdir/jobs.json" || fail "ferry jobs failed"
python3 - "$tmpdir/jobs.json" "$at_kill" <<'PY' || fail "job after restart (see above)"
import json, sys
j, = json.load(open(sys.argv[1]))
assert j["state"] == "interrupted" and j["kind"] == "export", j
assert j["bytes"] == int(sys.argv[2]) and j["bytes_total"] == 128 << 20, j
assert j["result"] == {}, j
PY
[ -e "$part" ] || fail "the .part is gone after the restart"

"$FERRY" resume 1 || fail "ferry resume failed"
"$FERRY" watch --json 1 >"$tmpdir/watch" || fail "the resumed job did not complete: $(tail -1 "$tmpdir/watch")"
python3 - "$tmpdir/watch" "$pool" "$name" "$part_at_kill" <<'PY' || fail "resume point (see above)"
import json, os, sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
pool, name, part_at_kill = sys.argv[2], sys.argv[3], int(sys.argv[4])
assert last["state"] == "completed", last
d, = last["result"]["disks"]
size = os.path.getsize(f"{pool}/{d['file']}")
# Resumed from the .part, rounded down to 1 MiB, and sent only the rest.
assert d["resumed-at"] > 0 and d["resumed-at"] % (1 << 20) == 0, d
assert d["resumed-at"] <= part_at_kill, (d, part_at_kill)
assert d["bytes-sent"] + d["resumed-at"] <= size, (d, size)
assert d["bytes-sent"] < size, (d, size)
m = json.load(open(f"{pool}/{name}.ferry.json"))["disks"][0]
assert m["resumed-at"] == d["resumed-at"] and m["sha256"] == d["sha256"], (m, d)
assert last["result"]["manifest"] == f"{pool}/{name}.ferry.json", last["result"]
PY
grep -q "job 1: resuming the export of '$name'" "$tmpdir/agent.log" ||
    fail "the agent did not log a resume: $(grep 'job 1' "$tmpdir/agent.log")"

qemu-img compare -q -F qcow2 "$img/disk.raw" "$pool/$name-vda.qcow2" || fail "the disk differs"
sum=$(sha256sum "$pool/$name-vda.qcow2" | cut -d' ' -f1)
assert_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["disks"][0]["sha256"])' \
    "$pool/$name.ferry.json")" "$sum" "manifest hash against sha256sum"
assert_no_part "$pool"
set -- $(persisted)
assert_eq "$1" completed "job file at the end"
