#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Manager.Export of a real export over a private bus: a domain of a
# libvirt test-driver host (an XML file) with a qcow2 disk over a raw
# backing file and a raw disk goes to a pool on the loopback sshd, slowed
# to 4 MiB/s so that it runs for a few seconds.  gdbus monitor shows the
# job's Bytes growing in several PropertiesChanged before Completed(true);
# each disk compares identical with qemu-img compare, the manifest's
# SHA-256 match sha256sum of the files and the job's Result property, and
# no .part is left.  The Export asks for 3 streams (the agent's
# "streams" option, issue 11): sshd accepts the 2 worker connections too.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io python3 sha256sum gdbus
make_tmpdir
start_agent_and_sshd

name=ferry-test-$$-dbus
img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_image raw "$img/base.raw" 64M "0x11 0 4M"
make_image -b base.raw qcow2 "$img/root.qcow2" 64M "0x22 2M 4M" "0x33 40M 2M"
make_image raw "$img/data.raw" 16M "0x44 8M 4M"
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw"

# The first job of a fresh agent is jobs/1: watch it from before it exists.
start_monitor /org/ferry/Agent1/jobs/1

out=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export "$name" "ssh://root@127.0.0.1:$sshd_port$pool" \
    "{'connect': <'$test_host_uri'>, 'identity': <'$tmpdir/id'>,
      'known-hosts': <'$sshd_known_hosts'>, 'bwlimit': <uint64 4194304>,
      'streams': <uint32 3>}") ||
    fail "Export failed"
assert_eq "$out" "(objectpath '/org/ferry/Agent1/jobs/1',)" "Export's answer"

i=0
until grep -q "Completed" "$tmpdir/monitor"; do
    i=$((i + 1))
    [ $i -lt 600 ] || fail "no Completed within 60 s: $(tail -5 "$tmpdir/monitor")"
    sleep 0.1
done
kill $monitor_pid
grep -q "org.ferry.Agent1.Job.Completed (true, '')" "$tmpdir/monitor" ||
    fail "Completed was not (true, ''): $(grep Completed "$tmpdir/monitor")"

# Bytes as announced, in order, before Completed: several distinct values
# between 0 and the total, never going down.
python3 - "$tmpdir/monitor" <<'PY' || fail "progress properties (see above)"
import re, sys
text = open(sys.argv[1]).read()
before = text[:text.index("Completed")]
byts = [int(m) for m in re.findall(r"'Bytes': <uint64 (\d+)>", before)]
totals = [int(m) for m in re.findall(r"'BytesTotal': <uint64 (\d+)>", before)]
assert totals and totals[-1] == (64 + 16) << 20, totals
total = totals[-1]
mid = sorted(set(b for b in byts if 0 < b < total))
assert len(mid) >= 3, ("too few progress steps", byts)
assert byts == sorted(byts), ("Bytes went down", byts)
assert byts[-1] == total, ("last Bytes is not the total", byts)
states = re.findall(r"'State': <'(\w+)'>", before)
assert states[-1] == "completed" and "running" in states, states
rates = [int(m) for m in re.findall(r"'Rate': <uint64 (\d+)>", before)]
assert any(r > 0 for r in rates), ("no Rate while running", rates)
PY

logins=$(grep -c "Accepted publickey" "$sshd_dir/sshd.log")
[ "$logins" -ge 3 ] || fail "streams 3: sshd accepted $logins connections, expected 3 or more"
qemu-img compare -q "$img/root.qcow2" "$pool/$name-vda.qcow2" || fail "vda differs"
qemu-img compare -q "$img/data.raw" "$pool/$name-vdb.qcow2" || fail "vdb differs"
assert_no_part "$pool"
assert_eq "$(ls "$pool" | sort | tr '\n' ' ')" \
    "$name-vda.qcow2 $name-vdb.qcow2 $name.ferry.json $name.xml " "pool contents"
python3 - "$pool/$name.ferry.json" >"$tmpdir/sums" <<'PY' || fail "manifest"
import json, sys
for d in json.load(open(sys.argv[1]))["disks"]:
    print(f"{d['sha256']}  {d['file']}")
PY
assert_eq "$(wc -l <"$tmpdir/sums")" 2 "disks in the manifest"
(cd "$pool" && sha256sum -c --quiet "$tmpdir/sums") || fail "manifest hashes do not match sha256sum"

# The result (GetDetails) names the manifest and carries the same hashes.
result=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/1 \
    -m org.ferry.Agent1.Job.GetDetails "{}")
assert_contains "$result" "'manifest': <'$pool/$name.ferry.json'>" "Result's manifest"
while read -r sum file; do
    assert_contains "$result" "'file': <'$file'>, 'sha256': <'$sum'>" "Result's hash of $file"
done <"$tmpdir/sums"
"$FERRY" jobs --json >"$tmpdir/jobs.json" || fail "ferry jobs failed"
python3 - "$tmpdir/jobs.json" "$tmpdir/sums" <<'PY' || fail "ferry jobs --json result"
import json, sys
j = json.load(open(sys.argv[1]))[0]
sums = dict(reversed(l.split()) for l in open(sys.argv[2]))
assert j["state"] == "completed" and j["kind"] == "export", j
assert {d["file"]: d["sha256"] for d in j["result"]["disks"]} == sums, j["result"]
assert all(d["resumed-at"] == 0 for d in j["result"]["disks"]), j["result"]
PY
