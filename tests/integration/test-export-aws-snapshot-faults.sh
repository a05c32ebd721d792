#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The fault matrix of aws:// --method snapshot (EBS direct APIs), with
# tests/tools/fault-proxy.py between ferry and moto's EBS endpoint (EC2
# goes to the contract server, which takes RegisterImage and forwards the
# rest to moto).  Two disks: vda with 4 blocks of data, vdb with 4 blocks
# at 5 MiB.  Each cell ends in one of two ways only:
#   - completes: the AMI is registered once, and each disk's snapshot,
#     read back with boto3 (list_snapshot_blocks, get_snapshot_block),
#     equals the disk block by block;
#   - fails with its exit status, one line on stderr, no RegisterImage,
#     and no snapshot of ferry's left pending.
# Cells: PutSnapshotBlock answered 500, 503 (Retry-After 1) and 429
# (Retry-After 1) twice each; a PutSnapshotBlock answer closed half-way;
# SIGINT mid-upload (exit 130: the started snapshot is deleted, none is
# registered); vdb's block 10 refused for good (exit 8); again without
# --resume: exit 12 (vda's snapshot is there), nothing started; --resume:
# vda's completed snapshot is adopted (no StartSnapshot for it, the AMI
# maps the first run's snapshot, not an older decoy with the same tag),
# vdb is sent.  The table goes to the log.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img qemu-io python3 curl
requires_moto
python3 -c 'import moto.ebs' 2>/dev/null || skip "moto without the EBS direct APIs"
make_tmpdir

img=$tmpdir/img
mkdir "$img"
make_image qcow2 "$img/root.qcow2" 8M "0x22 0 2M"
make_image raw "$img/data.raw" 8M "0x44 5M 2M"
qemu-img convert -O raw "$img/root.qcow2" "$tmpdir/vda.raw" || fail "convert vda"

start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
start_contract
aws_env
: >"$tmpdir/matrix"

# boto3_ec2 SCRIPT ARGS...: boto3_py with `ec2` (through the contract
# server, which forwards to moto) and `ebs` clients too.
boto3_ec2() {
    script=$1
    shift
    boto3_py "
ec2 = boto3.client('ec2', **kw)
ebs = boto3.client('ebs', **kw)
$script" "$@"
}

# pending_snapshots: ferry's snapshots not tagged as completed by ferry
# (moto's EC2 shows every snapshot "completed" from its start, so the
# tag ferry puts on after CompleteSnapshot is what tells them apart).
pending_snapshots() {
    boto3_ec2 '
for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]:
    if not s.get("Description", "").startswith("ferry export: "):
        continue
    tags = {t["Key"]: t["Value"] for t in s.get("Tags", [])}
    if "ferry:sha256" not in tags:
        print(s["SnapshotId"])'
}

registers() {
    grep -c '"Action": "RegisterImage"' "$tmpdir/contract.log" 2>/dev/null || true
}

# start_proxy LABEL FAULT...: the proxy in front of moto for EBS only.
start_proxy() {
    plabel=$1
    shift
    start_fault_proxy "$tmpdir/proxy-$plabel.log" "$moto_port" "$@"
    AWS_ENDPOINT_URL_EBS=http://127.0.0.1:$proxy_port
    export AWS_ENDPOINT_URL_EBS
}

stop_proxy() {
    stop_fault_proxy
    unset AWS_ENDPOINT_URL_EBS
}

# verify LABEL EVENTS: one more RegisterImage than before, the AMI in
# --json, each mapped snapshot equal to its disk block by block.  Prints
# the two snapshot ids.
verify() {
    ami=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "image": print(e["image-id"])' "$2")
    case $ami in ami-*) ;; *) fail "$1: no AMI id in --json: $(cat "$2")" ;; esac
    # moto 5.2.1 refuses boto3's own signature on the EBS GETs (see
    # test-export-aws-snapshot.sh): ferry's calls are all made by now.
    curl -sf -X POST -H 'Content-Type: text/plain' -d 1000 \
        "$moto_url/moto-api/reset-auth" >/dev/null || fail "moto reset-auth"
    boto3_ec2 '
import json
log, ami, vda, vdb = sys.argv[1:5]
reg = [c for c in map(json.loads, open(log)) if c["Action"] == "RegisterImage"][-1]
assert [i["ImageId"] for i in ec2.describe_images(ImageIds=[ami])["Images"]] == [ami]
B = 512 * 1024
for n, raw in ((1, vda), (2, vdb)):
    snap = reg["BlockDeviceMapping.%d.Ebs.SnapshotId" % n]
    disk = open(raw, "rb").read()
    want = {i for i in range(len(disk) // B) if disk[i * B:(i + 1) * B].count(0) != B}
    got = {int(b["BlockIndex"]): b["BlockToken"]
           for b in ebs.list_snapshot_blocks(SnapshotId=snap)["Blocks"]}
    assert set(got) == want, (n, sorted(got), sorted(want))
    for i, token in got.items():
        data = ebs.get_snapshot_block(SnapshotId=snap, BlockIndex=i,
                                      BlockToken=token)["BlockData"].read()
        assert data == disk[i * B:(i + 1) * B], (n, i)
    print(snap)' "$tmpdir/contract.log" "$ami" "$tmpdir/vda.raw" "$img/data.raw" \
        >"$tmpdir/snaps-$1" || fail "$1: snapshots differ from the disks (see above)"
}

# row LABEL FAULTS OUTCOME: a line of the table.
row() {
    printf '| %-12s | %-44s | %-22s | %s\n' "$1" "$2" "$3" \
        "$(head -c 80 "$tmpdir/err-$1")" >>"$tmpdir/matrix"
}

# cell LABEL BUCKET FAULT...: an export through the proxy that must
# complete and verify; sets injected (faults the proxy injected).
cell() {
    label=$1 bucket=$2
    shift 2
    boto3_py 's3.create_bucket(Bucket=sys.argv[1])' "$bucket" || fail "bucket"
    start_proxy "$label" "$@"
    before=$(registers)
    $FERRY export "$name" --connect "$test_host_uri" --for none --to "aws://us-east-1/$bucket" \
        --method snapshot --json --poll-interval 1 >"$tmpdir/events-$label" \
        2>"$tmpdir/err-$label" || fail "$label: export failed: $(cat "$tmpdir/err-$label")"
    stop_proxy
    assert_eq "$(registers)" $((before + 1)) "$label: RegisterImage calls"
    verify "$label" "$tmpdir/events-$label"
    injected=$(grep -c 'answered\|closed mid-response' "$tmpdir/proxy-$label.log" || true)
    row "$label" "$*" "ok, $injected injected"
}

name=ferry-test-$$-snapf
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw"

cell put-500 b-500 --on all http-method:PUT http-status:500x2
assert_eq "$injected" 2 "500s injected"
cell put-503 b-503 --on all http-method:PUT http-status:503:1x2
assert_eq "$injected" 2 "503s injected"
cell put-429 b-429 --on all http-method:PUT http-status:429:1x2
assert_eq "$injected" 2 "429s injected"
cell put-close b-close --on all http-method:PUT http-close-mid-response http-once
assert_eq "$injected" 1 "answers closed"
assert_eq "$(pending_snapshots)" "" "snapshots left pending after the retry cells"

# SIGINT once a snapshot is started (blocks at 1 MiB/s): exit 130, one
# line, the pending snapshot deleted, nothing registered.
label=sigint
boto3_py 's3.create_bucket(Bucket=sys.argv[1])' b-int || fail "bucket"
start_proxy "$label"
before=$(registers)
$FERRY export "$name" --connect "$test_host_uri" --for none --to "aws://us-east-1/b-int" \
    --method snapshot --poll-interval 1 --bwlimit 1M >"$tmpdir/out" 2>"$tmpdir/err-$label" &
ferry_pid=$!
i=0
until [ -n "$(pending_snapshots)" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "$label: no snapshot started: $(cat "$tmpdir/err-$label")"
    sleep 0.2
done
kill -INT $ferry_pid
st=0
wait $ferry_pid || st=$?
stop_proxy
assert_eq "$st" 130 "$label: exit status"
assert_eq "$(wc -l <"$tmpdir/err-$label")" 1 "$label: lines on stderr"
assert_eq "$(pending_snapshots)" "" "$label: snapshots left pending"
assert_eq "$(registers)" "$before" "$label: RegisterImage calls"
row "$label" "SIGINT once a snapshot is pending" "exit 130, none pending"

# vdb's block 10 refused for good: exit 8; vda's snapshot is completed
# (tagged) and stays for a resume.  Then --resume: vda adopted, vdb sent.
label=block-403
boto3_py 's3.create_bucket(Bucket=sys.argv[1])' b-res || fail "bucket"
# A decoy, older than anything the run below starts; it gets vda's tag
# and another hash afterwards: the resume must take the newest.
decoy=$(boto3_ec2 '
v = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")
print(ec2.create_snapshot(VolumeId=v["VolumeId"], Description="decoy")["SnapshotId"])') ||
    fail "decoy snapshot"
sleep 1.1     # EC2's startTime has whole seconds
start_proxy "$label" --on all http-method:PUT http-match:/blocks/10 http-status:403x99
before=$(registers)
st=0
$FERRY export "$name" --connect "$test_host_uri" --for none --to "aws://us-east-1/b-res" \
    --method snapshot --poll-interval 1 >"$tmpdir/out" 2>"$tmpdir/err-$label" || st=$?
stop_proxy
assert_eq "$st" 8 "$label: exit status"
assert_eq "$(wc -l <"$tmpdir/err-$label")" 1 "$label: lines on stderr"
grep -q "block 10: ebs PutSnapshotBlock: .*HTTP 403" "$tmpdir/err-$label" ||
    fail "$label: message: $(cat "$tmpdir/err-$label")"
assert_eq "$(pending_snapshots)" "" "$label: snapshots left pending"
assert_eq "$(registers)" "$before" "$label: RegisterImage calls"
kept=$(boto3_ec2 '
for s in ec2.describe_snapshots(OwnerIds=["self"], Filters=[
        {"Name": "tag:ferry:disk", "Values": ["b-res/" + sys.argv[1] + "-vda.raw"]}])["Snapshots"]:
    if s["Description"].startswith("ferry export: "):
        print(s["SnapshotId"])' "$name")
case $kept in snap-*) ;; *) fail "$label: vda's completed snapshot: '$kept'" ;; esac
row "$label" "vdb block 10 answered 403 for good" "exit 8, vda kept"
boto3_ec2 '
ec2.create_tags(Resources=[sys.argv[1]], Tags=[
    {"Key": "ferry:disk", "Value": "b-res/" + sys.argv[2] + "-vda.raw"},
    {"Key": "ferry:sha256", "Value": "0" * 64}])' "$decoy" "$name" || fail "decoy tags"

# Without --resume, a disk's completed snapshot is a file already there:
# exit 12, nothing started.
starts=$(grep -c 'POST /snapshots ' "$tmpdir/moto.log" || true)
st=0
$FERRY export "$name" --connect "$test_host_uri" --for none --to "aws://us-east-1/b-res" \
    --method snapshot --poll-interval 1 >"$tmpdir/out" 2>"$tmpdir/err-exists" || st=$?
assert_eq "$st" 12 "exists: exit status"
assert_eq "$(wc -l <"$tmpdir/err-exists")" 1 "exists: lines on stderr"
assert_contains "$(cat "$tmpdir/err-exists")" "$name-vda.raw' already exists (use --resume" \
    "exists: message"
assert_eq "$(grep -c 'POST /snapshots ' "$tmpdir/moto.log" || true)" "$starts" \
    "exists: StartSnapshot calls"
row exists "then again without --resume" "exit 12, none started"

label=resume
start_proxy "$label"
starts=$(grep -c 'POST /snapshots ' "$tmpdir/moto.log" || true)
$FERRY export "$name" --connect "$test_host_uri" --for none --to "aws://us-east-1/b-res" \
    --method snapshot --json --poll-interval 1 --resume >"$tmpdir/events-$label" \
    2>"$tmpdir/err-$label" || fail "$label: export failed: $(cat "$tmpdir/err-$label")"
stop_proxy
assert_eq "$(registers)" $((before + 1)) "$label: RegisterImage calls"
assert_eq $(( $(grep -c 'POST /snapshots ' "$tmpdir/moto.log") - starts )) 1 \
    "$label: StartSnapshot calls (vdb only)"
verify "$label" "$tmpdir/events-$label"
assert_eq "$(head -1 "$tmpdir/snaps-$label")" "$kept" "$label: vda's snapshot is the first run's"
[ "$kept" != "$decoy" ] || fail "$label: the decoy was adopted"
grep -q '"event":"disk-done","dev":"vda".*"resumed-at":8388608' "$tmpdir/events-$label" ||
    fail "$label: vda not adopted whole: $(grep disk-done "$tmpdir/events-$label")"
row "$label" "--resume after block-403" "ok, vda adopted"

echo "fault matrix, aws:// --method snapshot (EBS direct APIs):" >&2
printf '| %-12s | %-44s | %-22s | %s\n' cell faults outcome message >&2
cat "$tmpdir/matrix" >&2
assert_eq "$(wc -l <"$tmpdir/matrix")" 8 "cells run"
