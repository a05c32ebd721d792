#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export to aws://REGION with --method import-image against
# moto_server (signatures checked) and the VM Import contract server
# (signatures checked by botocore): a two-disk domain's disks arrive in
# S3 as VMDK streamOptimized equal (SHA-256) to `ferry convert -O vmdk -o
# subformat=streamOptimized` of each disk, one ImportImage names both, the
# AMI id is in the --json output, the objects are gone afterwards, and the
# bucket ferry-import-<account>-<region> and the vmimport role are created
# on the fresh account and reused on a second run.  A wrong secret exits
# 8 with one line.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img qemu-io python3 curl
requires_moto
make_tmpdir

img=$tmpdir/img
mkdir "$img"
make_image qcow2 "$img/root.qcow2" 64M "0x22 1M 3M"
make_image raw "$img/data.raw" 32M "0x44 4M 1M"
name=ferry-test-$$-aws
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:raw:$img/data.raw"
uri=$test_host_uri

start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
start_contract
aws_env
region=eu-west-1
export AWS_DEFAULT_REGION=us-east-1

# Wrong secret: exit 8, one line.
st=0
AWS_SECRET_ACCESS_KEY=wrong $FERRY export "$name" --connect "$uri" \
    --to "aws://$region" --for none >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 8 "exit status with a wrong secret"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr with a wrong secret"
assert_contains "$(cat "$tmpdir/err")" "SignatureDoesNotMatch" "wrong-secret message"

$FERRY convert -O vmdk -o subformat=streamOptimized "$img/root.qcow2" "$tmpdir/vda.vmdk" ||
    fail "convert vda"
$FERRY convert -O vmdk -o subformat=streamOptimized "$img/data.raw" "$tmpdir/vdb.vmdk" ||
    fail "convert vdb"

for run in 1 2; do
    : >"$tmpdir/contract.log"
    $FERRY export "$name" --connect "$uri" --to "aws://$region" --json --poll-interval 1 \
        --keep-objects >"$tmpdir/events" 2>"$tmpdir/err" ||
        fail "export run $run: $(cat "$tmpdir/err")"
    ami=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "image": print(e["image-id"])' "$tmpdir/events")
    case $ami in ami-*) ;; *) fail "run $run: no AMI id in --json: $(cat "$tmpdir/events")" ;; esac
    assert_eq "$(grep -c '"Action": "ImportImage"' "$tmpdir/contract.log")" 1 "ImportImage calls, run $run"
    boto3_py '
import json, hashlib
calls = [json.loads(l) for l in open(sys.argv[1])]
imp = [c for c in calls if c["Action"] == "ImportImage"][0]
assert imp["RoleName"] == "vmimport", imp
assert imp["BootMode"] == "legacy-bios", imp
keys = [imp["DiskContainer.%d.UserBucket.S3Key" % i] for i in (1, 2)]
assert "DiskContainer.3.Format" not in imp
bucket = imp["DiskContainer.1.UserBucket.S3Bucket"]
assert bucket == "ferry-import-123456789012-eu-west-1", bucket
for key, local in zip(keys, sys.argv[2:4]):
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    want = hashlib.sha256(open(local, "rb").read()).hexdigest()
    got = hashlib.sha256(body).hexdigest()
    assert got == want, (key, got, want)
    s3.delete_object(Bucket=bucket, Key=key)
iam.get_role(RoleName="vmimport")
pol = iam.get_role_policy(RoleName="vmimport", PolicyName="vmimport")
assert bucket in json.dumps(pol["PolicyDocument"])
' "$tmpdir/contract.log" "$tmpdir/vda.vmdk" "$tmpdir/vdb.vmdk" "$run" ||
        fail "run $run: objects, role or ImportImage wrong"
    # The second run finds the manifest of the first unless it is removed.
    boto3_py 's3.delete_object(Bucket="ferry-import-123456789012-eu-west-1", Key=sys.argv[1])' "$name.ferry.json"
    boto3_py 's3.delete_object(Bucket="ferry-import-123456789012-eu-west-1", Key=sys.argv[1])' "$name.xml"
done
# Without --keep-objects the disks are deleted after the import.
$FERRY export "$name" --connect "$uri" --to "aws://$region" --json --poll-interval 1 \
    >"$tmpdir/events" 2>"$tmpdir/err" || fail "export 3: $(cat "$tmpdir/err")"
boto3_py '
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="ferry-import-123456789012-eu-west-1").get("Contents", [])]
assert sorted(keys) == sorted([sys.argv[1] + ".ferry.json", sys.argv[1] + ".xml"]), keys
assert len(s3.list_buckets()["Buckets"]) == 1
' "$name" || fail "disk objects left after the import"
