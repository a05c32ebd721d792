#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export to cloudstack://MGMT/ZONE?storage=POOL against the CloudStack
# API contract server (signatures checked by its own implementation) and
# the loopback sshd as the KVM host that mounts the NFS pool.  A two-disk,
# two-NIC test-driver domain:
#   - a wrong secret key exits 8 with CloudStack's own message;
#   - an id CloudStack refuses exits 2 with its errortext (errorcode 431);
#   - --dry-run checks every id, prints importVm with the keys redacted,
#     and leaves the pool empty and importVm uncalled;
#   - an importVm job that fails exits 10 with the job's errortext, the
#     disks staying on the pool;
#   - --resume then imports once: importVm names the root disk as
#     diskpath, the data disk in datadiskofferinglist, both NICs with the
#     domain's MACs, the custom offering's cpuNumber and memory; the VM id
#     is in --json and the manifest; the disks compare identical;
#   - a second --resume imports nothing and reports the same VM;
#   - a SharedMountPoint pool is reached at its path, a local pool refused.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/cloudstack-functions.sh"
requires_root
requires qemu-img qemu-io python3 curl
make_tmpdir
start_sshd
ssh_client_key ed25519 id

img=$tmpdir/img
mnt=$tmpdir/mnt
pool=$mnt/$cs_pool
mkdir -p "$img" "$pool"
make_image qcow2 "$img/root.qcow2" 64M "0x22 1M 3M" "0x23 40M 1M"
make_image raw "$img/data.raw" 32M "0x44 4M 1M"
name=ferry-test-$$-cs
mac1=52:54:00:12:34:01
mac2=52:54:00:12:34:02
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw" \
    "$(cs_nic $mac1)" "$(cs_nic $mac2)"
start_cloudstack "$pool" true "$mac1" "$mac2"

to="cloudstack://127.0.0.1:8080/$cs_zone?storage=$cs_pool&ssh-port=$sshd_port&mount-parent=$mnt"
export_cs() {
    $FERRY export "$name" --connect "$test_host_uri" --to "$to" \
        --known-hosts "$sshd_known_hosts" --identity "$tmpdir/id" \
        --service-offering "$cs_offering" --network "$cs_network" \
        --disk-offering "$cs_disk_offering" \
        --api-key-file "$tmpdir/cs-api-key" "$@"
}

# A wrong secret: exit 8, CloudStack's words, one line.
printf 'not-the-secret\n' >"$tmpdir/wrong-secret"
st=0
export_cs --secret-key-file "$tmpdir/wrong-secret" --for none >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 8 "exit status with a wrong secret key"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr with a wrong secret key"
assert_contains "$(cat "$tmpdir/err")" "unable to verify user credentials and/or request signature (errorcode 401)" \
    "wrong-secret message"

# The secret from the environment works as the file does; an id that is
# not one: CloudStack's 431 in its own words, exit 2.
st=0
CLOUDSTACK_SECRET_KEY=$(cat "$tmpdir/cs-secret-key") \
    $FERRY export "$name" --connect "$test_host_uri" --to "$to" \
    --known-hosts "$sshd_known_hosts" --identity "$tmpdir/id" \
    --service-offering "$cs_offering" --network 12345 \
    --api-key-file "$tmpdir/cs-api-key" >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 2 "exit status for an id CloudStack refuses"
assert_contains "$(cat "$tmpdir/err")" "Invalid parameter id value=12345" "431 errortext"
assert_contains "$(cat "$tmpdir/err")" "(errorcode 431)" "431 errorcode"

# --dry-run: every id checked, the call printed without the keys, nothing
# sent, nothing imported.
: >"$tmpdir/cs.log"
export_cs --secret-key-file "$tmpdir/cs-secret-key" --dry-run \
    >"$tmpdir/out" 2>"$tmpdir/err" || fail "dry run: $(cat "$tmpdir/err")"
assert_contains "$(cat "$tmpdir/err")" "command=importVm" "dry run prints importVm"
assert_contains "$(cat "$tmpdir/err")" "diskpath=$name-vda.qcow2" "dry run names the root disk"
assert_contains "$(cat "$tmpdir/err")" "apikey=REDACTED" "dry run redacts the API key"
if grep -q -e "$cs_api_key" -e "$(cat "$tmpdir/cs-secret-key")" "$tmpdir/err" "$tmpdir/out"; then
    fail "dry run printed a key"
fi
for c in listZones listStoragePools listHosts listServiceOfferings listNetworks listDiskOfferings; do
    assert_eq "$(cs_calls $c)" 1 "dry run: $c calls"
done
assert_eq "$(cs_calls importVm)" 0 "dry run: importVm calls"
assert_eq "$(ls -A "$pool")" "" "dry run: pool content"

# The import job fails: exit 10 with the job's words; the disks stay.
touch "$tmpdir/cs-fail-import"
st=0
export_cs --secret-key-file "$tmpdir/cs-secret-key" >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 10 "exit status when the importVm job fails"
assert_contains "$(cat "$tmpdir/err")" "Failed to import VM: disk check failed on host kvm1 (errorcode 530)" \
    "job failure message"
[ -f "$pool/$name-vda.qcow2" ] && [ -f "$pool/$name-vdb.qcow2" ] ||
    fail "disks not on the pool after a failed import: $(ls "$pool")"
rm "$tmpdir/cs-fail-import"

# --resume: the disks are adopted, importVm runs once with everything.
: >"$tmpdir/cs.log"
export_cs --secret-key-file "$tmpdir/cs-secret-key" --resume --json \
    >"$tmpdir/events" 2>"$tmpdir/err" || fail "resumed export: $(cat "$tmpdir/err")"
assert_eq "$(cs_calls importVm)" 1 "importVm calls"
vm_id=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "image": print(e["image-id"])' "$tmpdir/events")
[ -n "$vm_id" ] || fail "no VM id in --json: $(cat "$tmpdir/events")"
python3 - "$tmpdir/cs.log" "$name" "$pool/$name.ferry.json" "$vm_id" <<'PY' || fail "importVm parameters"
import json, sys
log, name, manifest, vm_id = sys.argv[1:5]
imp = [c for c in map(json.loads, open(log)) if c["command"] == "importVm"][0]
assert imp["diskpath"] == name + "-vda.qcow2", imp
assert imp["datadiskofferinglist[0].disk"] == name + "-vdb.qcow2", imp
assert "datadiskofferinglist[1].disk" not in imp, imp
assert imp["name"] == name and imp["hypervisor"] == "kvm", imp
assert imp["nicnetworklist[0].macaddress"] == "52:54:00:12:34:01", imp
assert imp["nicnetworklist[1].macaddress"] == "52:54:00:12:34:02", imp
assert imp["details[0].cpuNumber"] == "1" and imp["details[0].memory"] == "256", imp
m = json.load(open(manifest))
assert m["image-id"] == vm_id, (m.get("image-id"), vm_id)
PY
qemu-img compare -q "$img/root.qcow2" "$pool/$name-vda.qcow2" || fail "vda differs from its source"
qemu-img compare -q "$img/data.raw" "$pool/$name-vdb.qcow2" || fail "vdb differs from its source"
assert_no_part "$pool"

# Once more: the VM is there, nothing is imported twice.
rm "$pool/$name.ferry.json" "$pool/$name.xml"
: >"$tmpdir/cs.log"
export_cs --secret-key-file "$tmpdir/cs-secret-key" --resume --json \
    >"$tmpdir/events" 2>"$tmpdir/err" || fail "second resume: $(cat "$tmpdir/err")"
assert_eq "$(cs_calls importVm)" 0 "importVm calls on the second resume"
assert_contains "$(cat "$tmpdir/events")" "\"image-id\":\"$vm_id\"" "second resume reports the VM"

# A SharedMountPoint pool is written at its path (no mount-parent); a
# local (Filesystem) pool is refused before anything is sent.
cs_set_pool SharedMountPoint "$pool"
rm "$pool/$name.ferry.json" "$pool/$name.xml"
to_smp="cloudstack://127.0.0.1:8080/$cs_zone?storage=$cs_pool&ssh-port=$sshd_port"
$FERRY export "$name" --connect "$test_host_uri" --to "$to_smp" \
    --known-hosts "$sshd_known_hosts" --identity "$tmpdir/id" \
    --service-offering "$cs_offering" --network "$cs_network" \
    --disk-offering "$cs_disk_offering" --api-key-file "$tmpdir/cs-api-key" \
    --secret-key-file "$tmpdir/cs-secret-key" --dry-run --resume \
    >"$tmpdir/out" 2>"$tmpdir/err" || fail "SharedMountPoint dry run: $(cat "$tmpdir/err")"
assert_contains "$(cat "$tmpdir/err")" "a VM of that name exists" "dry run sees the imported VM"
cs_set_pool Filesystem /var/lib/libvirt/images
st=0
$FERRY export "$name" --connect "$test_host_uri" --to "$to_smp" \
    --known-hosts "$sshd_known_hosts" --identity "$tmpdir/id" \
    --service-offering "$cs_offering" --network "$cs_network" \
    --api-key-file "$tmpdir/cs-api-key" --secret-key-file "$tmpdir/cs-secret-key" \
    >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 5 "exit status for a local pool"
assert_contains "$(cat "$tmpdir/err")" "is of type 'Filesystem'" "local pool message"
