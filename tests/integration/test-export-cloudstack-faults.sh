#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The fault matrix of the cloudstack:// target's API calls, with
# tests/tools/fault-proxy.py between ferry and the CloudStack contract
# server (the disks go over the loopback sshd, as in
# test-export-cloudstack.sh).  One VM name per cell.  Each cell ends in
# one of two ways only:
#   - completes: exactly one VM of that name was imported (the contract
#     server's record), its id is in --json, the disks compare equal;
#   - fails with its exit status, one line on stderr, and no VM of that
#     name imported, half-way or otherwise.
# Cells: listZones answered 503 (Retry-After 1) twice, listStoragePools
# 429 twice, listHosts' answer closed half-way, queryAsyncJobResult 503
# twice: retried, complete.  importVm answered 503: never retried (it
# changes something), exit 10, nothing imported; --resume then imports
# once.  importVm's answer closed half-way (the job started): exit 9;
# --resume finds the VM with listVirtualMachines and imports nothing:
# one VM.  The table goes to the log.
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
make_image qcow2 "$img/root.qcow2" 16M "0x22 1M 1M"
make_image raw "$img/data.raw" 8M "0x44 4M 512k"
mac1=52:54:00:12:34:01
base=ferry-test-$$-csf
cells="list-503 list-429 list-close poll-503 import-503 import-close"
{
    echo "<node>"
    for c in $cells; do
        domain_xml test "$base-$c" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw" \
            "$(cs_nic $mac1)"
    done
    echo "</node>"
} >"$tmpdir/host.xml"
test_host_uri=test://$tmpdir/host.xml
start_cloudstack "$pool" true "$mac1"
: >"$tmpdir/matrix"

start_proxy() {
    plabel=$1
    shift
    start_fault_proxy "$tmpdir/proxy-$plabel.log" "$cs_port" "$@"
    CLOUDSTACK_ENDPOINT=http://127.0.0.1:$proxy_port/client/api
}

stop_proxy() {
    stop_fault_proxy
    CLOUDSTACK_ENDPOINT=$cs_url
}

# export_cs NAME ARGS...: through the proxy; sets st.
export_cs() {
    vm=$1
    shift
    st=0
    CLOUDSTACK_ENDPOINT=$CLOUDSTACK_ENDPOINT $FERRY export "$vm" --connect "$test_host_uri" --for none \
        --to "cloudstack://127.0.0.1:8080/$cs_zone?storage=$cs_pool&ssh-port=$sshd_port&mount-parent=$mnt" \
        --known-hosts "$sshd_known_hosts" --identity "$tmpdir/id" \
        --service-offering "$cs_offering" --network "$cs_network" \
        --disk-offering "$cs_disk_offering" --api-key-file "$tmpdir/cs-api-key" \
        --secret-key-file "$tmpdir/cs-secret-key" --json "$@" \
        >"$tmpdir/events" 2>"$tmpdir/err" || st=$?
}

# vms NAME: the ids of the VMs named NAME the contract server imported.
vms() {
    curl -sf "http://127.0.0.1:$cs_port/test/vms" | python3 -c '
import json, sys
print(" ".join(v["id"] for v in json.load(sys.stdin) if v["name"] == sys.argv[1]))' "$1"
}

# imports NAME: importVm calls for NAME the contract server received.
imports() {
    python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("command") == "importVm"
          and json.loads(l).get("name") == sys.argv[2]))' "$tmpdir/cs.log" "$1"
}

# verify_done LABEL VM: completed: one VM, its id in --json, disks equal.
verify_done() {
    id=$(vms "$2")
    case $id in *-*-*-*-*) ;; *) fail "$1: VMs named $2: '$id'" ;; esac
    assert_contains "$(cat "$tmpdir/events")" "\"image-id\":\"$id\"" "$1: VM id in --json"
    qemu-img compare -q "$img/root.qcow2" "$pool/$2-vda.qcow2" || fail "$1: vda differs"
    qemu-img compare -q "$img/data.raw" "$pool/$2-vdb.qcow2" || fail "$1: vdb differs"
    assert_no_part "$pool"
}

row() {
    printf '| %-12s | %-52s | %-24s | %s\n' "$1" "$2" "$3" "$(head -c 90 "$tmpdir/err")" \
        >>"$tmpdir/matrix"
}

# cell LABEL FAULT...: must complete with the fault injected (counted).
cell() {
    label=$1
    shift
    start_proxy "$label" --on all "$@"
    export_cs "$base-$label"
    stop_proxy
    [ "$st" = 0 ] || fail "$label: exit $st: $(cat "$tmpdir/err")"
    verify_done "$label" "$base-$label"
    assert_eq "$(imports "$base-$label")" 1 "$label: importVm calls"
    injected=$(grep -c 'answered\|closed mid-response' "$tmpdir/proxy-$label.log" || true)
    row "$label" "$*" "ok, $injected injected"
}

cell list-503 http-match:command=listZones http-status:503:1x2
assert_eq "$injected" 2 "listZones 503s injected"
cell list-429 http-match:command=listStoragePools http-status:429:1x2
assert_eq "$injected" 2 "listStoragePools 429s injected"
cell list-close http-match:command=listHosts http-close-mid-response http-once
assert_eq "$injected" 1 "listHosts answers closed"
cell poll-503 http-match:command=queryAsyncJobResult http-status:503:1x2
assert_eq "$injected" 2 "queryAsyncJobResult 503s injected"

# importVm answered 503 by the proxy: it never reached CloudStack, but
# ferry cannot know that, so it is not sent again.
label=import-503
vm=$base-$label
start_proxy "$label" --on all http-match:command=importVm http-status:503
export_cs "$vm"
stop_proxy
assert_eq "$st" 10 "$label: exit status"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "$label: lines on stderr"
assert_contains "$(cat "$tmpdir/err")" "cloudstack importVm: " "$label: message"
assert_contains "$(cat "$tmpdir/err")" "503" "$label: message"
sleep 1.2     # a job, had one started, would be over
assert_eq "$(vms "$vm")" "" "$label: VMs imported"
assert_eq "$(imports "$vm")" 0 "$label: importVm calls that reached CloudStack"
row "$label" "importVm answered 503" "exit $st, no VM"
export_cs "$vm" --resume
[ "$st" = 0 ] || fail "$label: resume: exit $st: $(cat "$tmpdir/err")"
verify_done "$label" "$vm"
assert_eq "$(imports "$vm")" 1 "$label: importVm calls after the resume"
row "$label" "then --resume" "ok, one importVm"

# importVm's answer lost half-way: CloudStack started the job.
label=import-close
vm=$base-$label
start_proxy "$label" --on all http-match:command=importVm http-close-mid-response
export_cs "$vm"
stop_proxy
assert_eq "$st" 9 "$label: exit status"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "$label: lines on stderr"
assert_contains "$(cat "$tmpdir/err")" "cloudstack importVm: " "$label: message"
assert_eq "$(imports "$vm")" 1 "$label: importVm calls"
row "$label" "importVm's answer closed half-way" "exit $st, job ran"
sleep 1.2     # the job is over
export_cs "$vm" --resume
[ "$st" = 0 ] || fail "$label: resume: exit $st: $(cat "$tmpdir/err")"
verify_done "$label" "$vm"
assert_eq "$(imports "$vm")" 1 "$label: importVm calls after the resume"
row "$label" "then --resume" "ok, VM found, no import"

echo "fault matrix, cloudstack:// API:" >&2
printf '| %-12s | %-52s | %-24s | %s\n' cell faults outcome message >&2
cat "$tmpdir/matrix" >&2
assert_eq "$(wc -l <"$tmpdir/matrix")" 8 "cells run"
