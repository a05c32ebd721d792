#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export to aws://REGION/BUCKET --method snapshot against moto_server
# (signatures checked; EBS direct APIs and DescribeSnapshots) and the
# contract server (RegisterImage, whose mappings moto drops; signatures
# checked by botocore).  Two disks: a qcow2 root with data across block
# boundaries and an allocated 1 MiB of zeros, a sparse raw data disk.
# Read back with boto3, never with ferry:
#   - each disk's snapshot lists exactly the 512 KiB blocks of the disk
#     that hold a non-zero byte (zero blocks, allocated or not, were not
#     sent), and get_snapshot_block of each equals the disk's bytes;
#   - one RegisterImage: hvm, EnaSupport, BootMode legacy-bios, root
#     /dev/xvda on the root disk's snapshot, /dev/xvdb on the data disk's;
#     its AMI is in --json and describe_images lists it;
#   - the bucket holds only the manifest and the domain XML, no upload open;
#   - before that, with tests/tools/fault-proxy.py in front of the EBS
#     endpoint refusing block 20 for good (403): exit 8, one line naming
#     the block, no RegisterImage, and no snapshot of ferry's left.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img qemu-io python3 curl
requires_moto
python3 -c 'import moto.ebs' 2>/dev/null || skip "moto without the EBS direct APIs"
make_tmpdir

img=$tmpdir/img
mkdir "$img"
# 0x22 over blocks 2-7 and into block 8 (1M + 3M + 100K), zeros written
# (allocated) at 8M, 0x33 in the last 4 KiB of block 20.
make_image qcow2 "$img/root.qcow2" 64M "0x22 1M 3172K" "0 8M 1M" "0x33 10748K 4K"
make_image raw "$img/data.raw" 32M "0x44 4M 1M"
name=ferry-test-$$-snap
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw"
qemu-img convert -O raw "$img/root.qcow2" "$tmpdir/vda.raw" || fail "convert vda"
cp "$img/data.raw" "$tmpdir/vdb.raw"

start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
start_contract
aws_env
bucket=ferry-snap
boto3_py 's3.create_bucket(Bucket=sys.argv[1])' "$bucket" || fail "bucket"

# ferry_snapshots: the Description of every snapshot ferry started.
ferry_snapshots() {
    boto3_py '
ec2 = boto3.client("ec2", **kw)
for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]:
    if s.get("Description", "").startswith("ferry export: "):
        print(s["Description"])'
}

# One block refused for good while others are in flight.
start_fault_proxy "$tmpdir/proxy.log" "$moto_port" \
    --on all http-method:PUT http-match:/blocks/20 http-status:403x99
st=0
AWS_ENDPOINT_URL_EBS=http://127.0.0.1:$proxy_port \
    $FERRY export "$name" --connect "$test_host_uri" --to "aws://us-east-1/$bucket" \
    --method snapshot --poll-interval 1 --for none >"$tmpdir/out" \
    2>"$tmpdir/err-block" || st=$?
stop_fault_proxy
assert_eq "$st" 8 "exit status after a block's 403"
assert_eq "$(wc -l <"$tmpdir/err-block")" 1 "lines on stderr after a block's 403"
grep -q "block 20: ebs PutSnapshotBlock: .*HTTP 403" "$tmpdir/err-block" ||
    fail "block 20: message: $(cat "$tmpdir/err-block")"
assert_eq "$(grep -c 'answered 403' "$tmpdir/proxy.log")" 1 "403s injected"
assert_eq "$(grep -c '"Action": "RegisterImage"' "$tmpdir/contract.log" || true)" 0 \
    "RegisterImage calls after a failed block"
assert_eq "$(ferry_snapshots)" "" "ferry's snapshots left after a failed block"

$FERRY export "$name" --connect "$test_host_uri" --to "aws://us-east-1/$bucket" \
    --method snapshot --json --poll-interval 1 >"$tmpdir/events" 2>"$tmpdir/err" ||
    fail "export: $(cat "$tmpdir/err")"
ami=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "image": print(e["image-id"])' "$tmpdir/events")
case $ami in ami-*) ;; *) fail "no AMI id in --json: $(cat "$tmpdir/events")" ;; esac
assert_eq "$(grep -c '"Action": "RegisterImage"' "$tmpdir/contract.log")" 1 "RegisterImage calls"
assert_eq "$(ferry_snapshots | wc -l)" 2 "ferry's snapshots after the export"

# moto 5.2.1 refuses boto3's own signature on the EBS GETs
# (ListSnapshotBlocks, GetSnapshotBlock: SignatureDoesNotMatch, while
# the PUTs and POSTs pass): ferry's calls were all checked by now, so the
# reading back goes unchecked.
curl -sf -X POST -H 'Content-Type: text/plain' -d 1000 \
    "$moto_url/moto-api/reset-auth" >/dev/null || fail "moto reset-auth"

boto3_py '
import json
ebs = boto3.client("ebs", **kw)
ec2 = boto3.client("ec2", **kw)
log, ami, bucket, name = sys.argv[1:5]
reg = [c for c in map(json.loads, open(log)) if c["Action"] == "RegisterImage"][0]
for k, v in (("VirtualizationType", "hvm"), ("EnaSupport", "true"),
             ("BootMode", "legacy-bios"), ("RootDeviceName", "/dev/xvda"),
             ("Architecture", "x86_64"),
             ("BlockDeviceMapping.1.DeviceName", "/dev/xvda"),
             ("BlockDeviceMapping.2.DeviceName", "/dev/xvdb")):
    assert reg.get(k) == v, (k, reg.get(k))
assert "BlockDeviceMapping.3.DeviceName" not in reg, reg
assert [i["ImageId"] for i in ec2.describe_images(ImageIds=[ami])["Images"]] == [ami]
B = 512 * 1024
for n, raw in ((1, sys.argv[5]), (2, sys.argv[6])):
    snap = reg["BlockDeviceMapping.%d.Ebs.SnapshotId" % n]
    disk = open(raw, "rb").read()
    want = {i for i in range(len(disk) // B) if disk[i * B:(i + 1) * B].count(0) != B}
    listed = ebs.list_snapshot_blocks(SnapshotId=snap)
    got = {int(b["BlockIndex"]): b["BlockToken"] for b in listed["Blocks"]}
    assert set(got) == want, (n, sorted(got), sorted(want))
    for i, token in got.items():
        data = ebs.get_snapshot_block(SnapshotId=snap, BlockIndex=i,
                                      BlockToken=token)["BlockData"].read()
        assert data == disk[i * B:(i + 1) * B], (n, i)
    s = ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]
    assert s["State"] == "completed" and s["VolumeSize"] == 1, s
    print("disk %d: %d blocks of %d sent" % (n, len(got), len(disk) // B))
keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
assert keys == sorted([name + ".ferry.json", name + ".xml"]), keys
assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
' "$tmpdir/contract.log" "$ami" "$bucket" "$name" "$tmpdir/vda.raw" "$tmpdir/vdb.raw" ||
    fail "snapshots, blocks or image wrong (see above)"
