#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An azure-disk:// export as an agent job: `ferry export --background`
# over a private bus hands ferry-agent (which has the service principal
# in its environment, never the caller's) --image, --os-type,
# --manifest-dir and --overwrite.  The job ends completed with the disks'
# resource ids and the image id in GetDetails' result and in the
# manifest; the contract server saw osType Windows on the OS disk.  A
# second job to the same names fails without --overwrite and completes
# with it, after deleting the disks it replaces.  Job.Cancel in the middle
# of an upload calls endGetAccess and deletes the disk.  A SIGKILL of the
# agent mid-upload leaves the disk ActiveUpload; `ferry resume` of the
# interrupted job finishes it, sending only the windows not landed.  The client secret, a
# SAS signature and a bearer token are in neither the agent's log nor its
# job files nor the result.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/azure-functions.sh"
requires qemu-img qemu-io python3 curl gdbus
requires_azurite
make_tmpdir

img=$tmpdir/img
mkdir "$img"
make_image qcow2 "$img/root.qcow2" 24M "0x5a 1M 2M"
make_image raw "$img/data.raw" 21M "0x5b 4M 1M"
name=ferry-test-$$-dbusazd
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw"
$FERRY convert -O vpc -o subformat=fixed,azure=on "$img/root.qcow2" "$tmpdir/vda.vhd" ||
    fail "convert vda"

start_azurite
start_arm_contract
man=$tmpdir/manifests
mkdir "$man"
to="azure-disk://sub-1/rg-agent?location=northeurope"
sub=/subscriptions/sub-1/resourceGroups/rg-agent/providers/Microsoft.Compute
# The agent inherits this environment: its own service principal.
start_private_bus
start_agent

# run_job [OPTION...]: an export job; sets job to its object path.
run_job() {
    $FERRY export "$name" --connect "$test_host_uri" --to "$to" --background \
        --bus-address "$bus_address" --json --image "$name-img" --os-type Windows \
        --manifest-dir "$man" "$@" >"$tmpdir/job.json" 2>"$tmpdir/err" ||
        fail "ferry export --background: $(cat "$tmpdir/err")"
    job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$tmpdir/job.json")
}

run_job
await_job_completed "$job" 90
details=$job_details
assert_contains "$details" "'image-id': <'$sub/images/$name-img'>" "image id in the result"
assert_contains "$details" "'resource-id': <'$sub/disks/$name-vda'>" "vda's id in the result"
assert_contains "$details" "'resource-id': <'$sub/disks/$name-vdb'>" "vdb's id in the result"
python3 - "$man/$name.ferry.json" "$sub" "$name" <<'PY' || fail "manifest $(cat "$man/$name.ferry.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["image-id"] == "%s/images/%s-img" % (sys.argv[2], sys.argv[3]), m
assert [d["resource-id"] for d in m["disks"]] == \
    ["%s/disks/%s-%s" % (sys.argv[2], sys.argv[3], dev) for dev in ("vda", "vdb")], m
PY
arm_calls "r['method'] == 'PUT' and r.get('disk') == '$name-vda' and r['status'] == 202" >"$tmpdir/put"
python3 -c 'import json,sys; p=json.loads(open(sys.argv[1]).read())["body"]["properties"]; assert p["osType"] == "Windows" and p["hyperVGeneration"] == "V1", p' \
    "$tmpdir/put" || fail "PUT vda: $(cat "$tmpdir/put")"
container=$(arm_calls "r['path'].endswith('/disks/$name-vda/endGetAccess')" |
    python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert r["footer_ok"], r; print(r["container"])')
azure_blob get "$container" abcd "$tmpdir/vda.got" || fail "get vda's blob"
assert_eq "$(sha256sum <"$tmpdir/vda.got" | cut -d' ' -f1)" \
    "$(sha256sum <"$tmpdir/vda.vhd" | cut -d' ' -f1)" "vda's blob is ferry convert's"

# The same names again: the job fails without --overwrite ...
rm -f "$man/$name.ferry.json" "$man/$name.xml"
run_job
st=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o "$job" \
    -m org.freedesktop.DBus.Properties.Get org.ferry.Agent1.Job State)
i=0
while [ "$st" = "(<'queued'>,)" ] || [ "$st" = "(<'running'>,)" ]; do
    i=$((i + 1)); [ $i -lt 300 ] || fail "second job still $st"
    sleep 0.1
    st=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o "$job" \
        -m org.freedesktop.DBus.Properties.Get org.ferry.Agent1.Job State)
done
assert_eq "$st" "(<'failed'>,)" "a job to existing disks without --overwrite"
# ... and replaces them with it.
: >"$arm_log"
run_job --overwrite
await_job_completed "$job" 90
assert_eq "$(arm_calls "r['method'] == 'DELETE' and '/disks/$name-' in r['path']" | wc -l)" 2 \
    "disks deleted by --overwrite"
assert_eq "$(arm_calls "r['method'] == 'PUT' and r.get('disk', '').startswith('$name-') and r['status'] == 202" | wc -l)" 2 \
    "disks made again by --overwrite"
assert_eq "$(arm_calls "r['method'] == 'DELETE' and r.get('image') == '$name-img'" | wc -l)" 1 \
    "the image replaced by --overwrite"

# Cancel mid-upload (slowed by bwlimit): endGetAccess, the disk deleted.
slow=$name-slow
make_random_raw "$img/slow.raw" 67108864 0 50331648
write_test_host "$slow" "vda:raw:$img/slow.raw"
: >"$arm_log"
$FERRY export "$slow" --connect "$test_host_uri" --to "$to" --background \
    --bus-address "$bus_address" --json --manifest-dir "$man" --bwlimit 8M \
    >"$tmpdir/job.json" 2>"$tmpdir/err" || fail "ferry export --background: $(cat "$tmpdir/err")"
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$tmpdir/job.json")
i=0
until arm_calls "r['path'].endswith('/beginGetAccess') and r['status'] == 202" | grep -q .; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "no beginGetAccess within 20 s"
    sleep 0.1
done
sleep 1
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o "$job" -m org.ferry.Agent1.Job.Cancel "{}" \
    >/dev/null || fail "Cancel failed"
i=0
until [ "$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o "$job" \
    -m org.freedesktop.DBus.Properties.Get org.ferry.Agent1.Job State)" = "(<'cancelled'>,)" ]; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "job not cancelled within 20 s"
    sleep 0.1
done
assert_eq "$(arm_calls "r['path'].endswith('/disks/$slow-vda/endGetAccess')" | wc -l)" 1 \
    "endGetAccess after Job.Cancel"
assert_eq "$(arm_calls "r['method'] == 'DELETE' and r['path'].endswith('/disks/$slow-vda')" | wc -l)" 1 \
    "the cancelled job's disk deleted"
case $(arm_state) in *"$slow-vda"*) fail "the cancelled job's disk is left" ;; esac

# SIGKILL of the agent mid-upload: no endGetAccess could run, the disk
# stays ActiveUpload.  Restarted, the agent shows the job interrupted;
# `ferry resume` finishes the same disk (not PUT again, the same blob in
# the contract server's view), sending only the 4 MiB windows that had
# not landed (bytes-sent against Azurite's Get Page Ranges after the
# kill), and the blob equals ferry convert's VHD.
killed=$name-kill
write_test_host "$killed" "vda:raw:$img/slow.raw"
$FERRY convert -O vpc -o subformat=fixed,azure=on "$img/slow.raw" "$tmpdir/kill.vhd" ||
    fail "convert the killed job's disk"
# kill_blob: the killed job's disk's [container, blob], from /_control.
kill_blob() {
    arm_state | python3 -c '
import json, sys
print(" ".join(json.load(sys.stdin)["blobs"].get(sys.argv[1], [])))' "$killed-vda"
}
# landed_windows: the 4 MiB windows of that blob holding data, as
# Azurite lists them (one number per line).
landed_windows() {
    azure_blob ranges $kblob | python3 -c '
import sys
w = set()
for line in sys.stdin:
    s, e = (int(x) for x in line.split())
    w.update(range(s >> 22, ((e - 1) >> 22) + 1))
print("\n".join(str(i) for i in sorted(w)))'
}
: >"$arm_log"
$FERRY export "$killed" --connect "$test_host_uri" --to "$to" --background \
    --bus-address "$bus_address" --json --manifest-dir "$man" --bwlimit 8M \
    >"$tmpdir/job.json" 2>"$tmpdir/err" || fail "ferry export --background: $(cat "$tmpdir/err")"
kill_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"])' "$tmpdir/job.json")
kblob=
i=0
until [ -n "$kblob" ] && [ "$(landed_windows | wc -l)" -ge 3 ]; do
    i=$((i + 1)); [ $i -lt 300 ] || fail "three windows did not land within 30 s"
    [ -n "$kblob" ] || kblob=$(kill_blob)
    sleep 0.1
done
kill_agent
# A Put Page Azurite still held lands or not; let it settle.
sleep 2
landed=$(landed_windows | wc -l)
[ "$landed" -ge 3 ] && [ "$landed" -lt 12 ] ||
    fail "the kill left $landed of 12 data windows: not mid-upload"
assert_contains "$(arm_state)" "\"$killed-vda\": \"ActiveUpload\"" "the killed job's disk"
assert_eq "$(arm_calls "r['path'].endswith('/endGetAccess')" | wc -l)" 0 \
    "endGetAccess after SIGKILL"
start_agent
"$FERRY" jobs --json >"$tmpdir/jobs.json" || fail "ferry jobs failed"
python3 - "$tmpdir/jobs.json" "$kill_id" <<'PY' || fail "job after restart: $(cat "$tmpdir/jobs.json")"
import json, sys
j = [j for j in json.load(open(sys.argv[1])) if str(j["id"]) == sys.argv[2]][0]
assert j["state"] == "interrupted" and j["kind"] == "export", j
PY
"$FERRY" resume "$kill_id" || fail "ferry resume failed"
"$FERRY" watch --json "$kill_id" >"$tmpdir/watch" ||
    fail "the resumed job did not complete: $(tail -1 "$tmpdir/watch"; tail -5 "$tmpdir/agent.log")"
echo "agent kill: $landed of 12 data windows had landed"
# The kept windows are not sent: the data windows that had not landed
# (whole 4 MiB) and the footer's 512 bytes.
python3 - "$tmpdir/watch" $((12 - landed)) <<'PY' || fail "the resumed job's result (see above)"
import json, sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert last["state"] == "completed", last
d, = last["result"]["disks"]
assert d["bytes-sent"] == int(sys.argv[2]) * (4 << 20) + 512, d
PY
assert_eq "$(arm_calls "r['method'] == 'PUT' and r.get('disk') == '$killed-vda'" | wc -l)" 1 \
    "PUTs of the killed job's disk"
assert_eq "$(kill_blob)" "$kblob" "the resumed disk's blob"
assert_contains "$(arm_state)" "\"$killed-vda\": \"Unattached\"" "the resumed disk"
azure_blob get $kblob "$tmpdir/kill.got" || fail "read the resumed disk's blob"
cmp "$tmpdir/kill.got" "$tmpdir/kill.vhd" ||
    fail "the resumed blob differs from ferry convert -O vpc -o subformat=fixed,azure=on"

# The agent's own secret and what it was given never reach its log,
# its job files or the result.
printf '%s\n' "$details" >"$tmpdir/details"
if grep -rq -e "$ARM_SECRET" -e "sig=" -e "Bearer" "$tmpdir/agent.log" "$tmpdir/state" \
    "$tmpdir/details" "$man"; then
    fail "a secret is in the agent's log, state or result"
fi
