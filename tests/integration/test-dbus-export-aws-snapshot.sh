#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An aws:// --method snapshot export as an agent job: `ferry export
# --background` over a private bus; ferry-agent (with its own AWS
# environment) snapshots the disk into moto's EBS and registers the image
# through the contract server; the job ends completed with the AMI id and
# the register phase in GetDetails' result and in the manifest.  boto3
# reads back: RegisterImage named the snapshot, whose blocks equal the
# disk's non-zero blocks; the secret is in neither the agent's log nor
# its job files.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img qemu-io python3 curl gdbus
requires_moto
python3 -c 'import moto.ebs' 2>/dev/null || skip "moto without the EBS direct APIs"
make_tmpdir

img=$tmpdir/img
mkdir "$img"
make_image qcow2 "$img/root.qcow2" 32M "0x5a 1M 2M"
name=ferry-test-$$-dbussnap
write_test_host "$name" "vda:qcow2:$img/root.qcow2"
qemu-img convert -O raw "$img/root.qcow2" "$tmpdir/vda.raw" || fail "convert vda"

start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
start_contract
aws_env
bucket=ferry-snap-job
boto3_py 's3.create_bucket(Bucket=sys.argv[1])' "$bucket" || fail "bucket"
start_private_bus
start_agent

$FERRY export "$name" --connect "$test_host_uri" --to "aws://us-east-1/$bucket" \
    --method snapshot --background --bus-address "$bus_address" --json \
    --poll-interval 1 >"$tmpdir/job.json" 2>"$tmpdir/err" ||
    fail "ferry export --background: $(cat "$tmpdir/err")"
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$tmpdir/job.json")

await_job_completed "$job" 60
details=$job_details
ami=$(printf '%s\n' "$details" | sed -n "s/.*'image-id': <'\(ami-[0-9a-f]*\)'>.*/\1/p")
[ -n "$ami" ] || fail "no image-id in GetDetails: $details"
assert_contains "$details" "'phase': <'register'>, 'phase-status': <'completed'>" "phase in the result"

# moto refuses boto3's own signature on the EBS GETs (see
# test-export-aws-snapshot.sh): the agent's calls were all checked.
curl -sf -X POST -H 'Content-Type: text/plain' -d 1000 \
    "$moto_url/moto-api/reset-auth" >/dev/null || fail "moto reset-auth"
boto3_py '
import json
ebs = boto3.client("ebs", **kw)
ami, log, raw, name, bucket = sys.argv[1:6]
reg = [c for c in map(json.loads, open(log)) if c["Action"] == "RegisterImage"]
assert len(reg) == 1, reg
snap = reg[0]["BlockDeviceMapping.1.Ebs.SnapshotId"]
B = 512 * 1024
disk = open(raw, "rb").read()
want = {i for i in range(len(disk) // B) if disk[i * B:(i + 1) * B].count(0) != B}
blocks = ebs.list_snapshot_blocks(SnapshotId=snap)["Blocks"]
assert {int(b["BlockIndex"]) for b in blocks} == want, blocks
for b in blocks:
    i = int(b["BlockIndex"])
    data = ebs.get_snapshot_block(SnapshotId=snap, BlockIndex=i,
                                  BlockToken=b["BlockToken"])["BlockData"].read()
    assert data == disk[i * B:(i + 1) * B], i
man = json.loads(s3.get_object(Bucket=bucket, Key=name + ".ferry.json")["Body"].read())
assert man["image-id"] == ami, man
' "$ami" "$tmpdir/contract.log" "$tmpdir/vda.raw" "$name" "$bucket" ||
    fail "read back with boto3"

if grep -rqF "$AWS_SECRET_ACCESS_KEY" "$tmpdir/agent.log" "$tmpdir/state"; then
    fail "the secret key is in the agent's log or state"
fi
