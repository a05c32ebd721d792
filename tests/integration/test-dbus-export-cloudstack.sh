#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A cloudstack:// export as an agent job: `ferry export --background` hands
# ferry-agent the cloudstack options (the key files as absolute paths,
# which only root may name); the job copies the disk to the loopback sshd
# "KVM host", calls importVm once on the contract server and ends
# completed with the VM id and the import phase in GetDetails' result and
# in the manifest.  Neither key reaches the agent's log or its job files.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/cloudstack-functions.sh"
requires_root
requires qemu-img qemu-io python3 curl gdbus
make_tmpdir

img=$tmpdir/img
mnt=$tmpdir/mnt
pool=$mnt/$cs_pool
mkdir -p "$img" "$pool"
make_image qcow2 "$img/root.qcow2" 32M "0x5a 1M 2M"
name=ferry-test-$$-dbuscs
mac=52:54:00:ab:cd:01
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "$(cs_nic $mac)"
# The agent takes CLOUDSTACK_ENDPOINT from its own environment.
start_sshd
ssh_client_key ed25519 id
start_cloudstack "$pool" false "$mac"
start_private_bus
start_agent

to="cloudstack://127.0.0.1:8080/$cs_zone?storage=$cs_pool&ssh-port=$sshd_port&mount-parent=$mnt"
$FERRY export "$name" --connect "$test_host_uri" --to "$to" --background \
    --bus-address "$bus_address" --json \
    --known-hosts "$sshd_known_hosts" --identity "$tmpdir/id" \
    --service-offering "$cs_offering" --network "$cs_network" \
    --api-key-file "$tmpdir/cs-api-key" --secret-key-file "$tmpdir/cs-secret-key" \
    >"$tmpdir/job.json" 2>"$tmpdir/err" ||
    fail "ferry export --background: $(cat "$tmpdir/err")"
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$tmpdir/job.json")

await_job_completed "$job" 40
details=$job_details
vm_id=$(printf '%s\n' "$details" | sed -n "s/.*'image-id': <'\([0-9a-f-]*\)'>.*/\1/p")
[ -n "$vm_id" ] || fail "no image-id in GetDetails: $details"
assert_contains "$details" "'phase': <'import'>" "phase in the result"
assert_eq "$(cs_calls importVm)" 1 "importVm calls"
python3 - "$tmpdir/cs.log" "$name" "$pool/$name.ferry.json" "$vm_id" <<'PY' || fail "importVm or manifest"
import json, sys
log, name, manifest, vm_id = sys.argv[1:5]
imp = [c for c in map(json.loads, open(log)) if c["command"] == "importVm"][0]
assert imp["diskpath"] == name + "-vda.qcow2", imp
assert imp["nicnetworklist[0].macaddress"] == "52:54:00:ab:cd:01", imp
assert "details[0].cpuNumber" not in imp, imp
assert json.load(open(manifest))["image-id"] == vm_id
PY
qemu-img compare -q "$img/root.qcow2" "$pool/$name-vda.qcow2" || fail "vda differs from its source"

if grep -rqF -e "$cs_secret_key" -e "$cs_api_key" "$tmpdir/agent.log" "$tmpdir/state"; then
    fail "a CloudStack key is in the agent's log or state"
fi
