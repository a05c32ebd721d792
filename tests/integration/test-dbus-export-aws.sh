#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An aws:// export as an agent job: `ferry export --background` over a
# private bus hands ferry-agent (which has the AWS environment, never the
# caller's keys) the aws options; the job imports through moto and the
# VM Import contract server and ends completed with the AMI id and the
# import phase in GetDetails' result and in the manifest.  boto3 reads
# back: the import task of that AMI is completed (contract server), the
# ImportImage call carried the options, the kept object equals `ferry
# convert` of the disk, and the secret is in neither the agent's log nor
# its job files.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img qemu-io python3 curl gdbus
requires_moto
make_tmpdir

img=$tmpdir/img
mkdir "$img"
make_image qcow2 "$img/root.qcow2" 32M "0x5a 1M 2M"
name=ferry-test-$$-dbusaws
write_test_host "$name" "vda:qcow2:$img/root.qcow2"
$FERRY convert -O vmdk -o subformat=streamOptimized "$img/root.qcow2" "$tmpdir/vda.vmdk" ||
    fail "convert vda"

start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
start_contract
aws_env
bucket=ferry-import-123456789012-eu-west-1
# The agent inherits this environment: its own AWS identity.
start_private_bus
start_agent

$FERRY export "$name" --connect "$test_host_uri" --to aws://eu-west-1 \
    --background --bus-address "$bus_address" --json --keep-objects \
    --role ferry-import --license-type BYOL --platform Linux \
    --poll-interval 1 >"$tmpdir/job.json" 2>"$tmpdir/err" ||
    fail "ferry export --background: $(cat "$tmpdir/err")"
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$tmpdir/job.json")

await_job_completed "$job" 60
details=$job_details
ami=$(printf '%s\n' "$details" | sed -n "s/.*'image-id': <'\(ami-[0-9a-f]*\)'>.*/\1/p")
[ -n "$ami" ] || fail "no image-id in GetDetails: $details"
assert_contains "$details" "'phase': <'import'>, 'phase-status': <'completed'>" "phase in the result"

boto3_py '
import hashlib, json
ami, contract, log, vmdk, name, bucket = sys.argv[1:7]
ec2 = boto3.client("ec2", endpoint_url=contract, region_name="eu-west-1")
tasks = ec2.describe_import_image_tasks()["ImportImageTasks"]
done = [t for t in tasks if t.get("ImageId") == ami]
assert len(done) == 1 and done[0]["Status"] == "completed", tasks
calls = [json.loads(l) for l in open(log)]
imp = [c for c in calls if c["Action"] == "ImportImage"]
assert len(imp) == 1, imp
imp = imp[0]
assert imp["RoleName"] == "ferry-import", imp
assert imp["LicenseType"] == "BYOL" and imp["Platform"] == "Linux", imp
key = imp["DiskContainer.1.UserBucket.S3Key"]
body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
assert hashlib.sha256(body).hexdigest() == hashlib.sha256(open(vmdk, "rb").read()).hexdigest()
man = json.loads(s3.get_object(Bucket=bucket, Key=name + ".ferry.json")["Body"].read())
assert man["image-id"] == ami, man
iam.get_role(RoleName="ferry-import")
' "$ami" "$contract_url" "$tmpdir/contract.log" "$tmpdir/vda.vmdk" "$name" "$bucket" ||
    fail "read back with boto3"

# The agent signed with its own keys; they never reach its log or jobs.
if grep -rqF "$AWS_SECRET_ACCESS_KEY" "$tmpdir/agent.log" "$tmpdir/state"; then
    fail "the secret key is in the agent's log or state"
fi
