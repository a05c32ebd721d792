#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# aws:// faults: an import task the contract server ends "deleted" fails
# the export with AWS's own status message (exit 6, REMOTE); a user whose
# policy denies IAM gets one error line and the trust and role policy
# JSON to apply on stderr, and no role is created.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img qemu-io python3 curl
requires_moto
make_tmpdir

img=$tmpdir/img
mkdir "$img"
make_image qcow2 "$img/root.qcow2" 16M "0x22 1M 1M"
name=ferry-test-$$-awsf
write_test_host "$name" "vda:qcow2:$img/root.qcow2"
uri=$test_host_uri

start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
start_contract deleted
aws_env

st=0
$FERRY export "$name" --connect "$uri" --to aws://us-east-1 --poll-interval 1 \
    --for none >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
[ "$st" -ne 0 ] || fail "a deleted import task did not fail the export"
assert_contains "$(cat "$tmpdir/err")" "Unsupported kernel version 5.99.0-ferry-test" \
    "AWS's status message"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr for a deleted task"

# A user denied IAM (moto evaluates its policy): the policy to apply.
AWS_DENY_IAM='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}'
python3 - "$moto_url" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_DENY_IAM" >"$tmpdir/keys2" <<'PY' || fail "second user"
import boto3, sys
url, akid, secret, policy = sys.argv[1:5]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id=akid, aws_secret_access_key=secret)
iam.create_user(UserName="noiam")
iam.put_user_policy(UserName="noiam", PolicyName="p", PolicyDocument=policy)
k = iam.create_access_key(UserName="noiam")["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"])
PY
read -r id2 secret2 <"$tmpdir/keys2"
st=0
AWS_ACCESS_KEY_ID=$id2 AWS_SECRET_ACCESS_KEY=$secret2 \
    $FERRY export "$name" --connect "$uri" --to aws://eu-west-1 --role ferry-denied \
    --for none >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
assert_eq "$st" 8 "exit status when IAM is denied"
assert_contains "$(cat "$tmpdir/err")" '"Service":"vmie.amazonaws.com"' "trust policy printed"
assert_contains "$(cat "$tmpdir/err")" '"s3:GetObject"' "role policy printed"
assert_eq "$(grep -c '^ferry: ' "$tmpdir/err")" 1 "error lines when IAM is denied"
boto3_py '
try:
    iam.get_role(RoleName="ferry-denied")
    raise SystemExit("role created although IAM was denied")
except iam.exceptions.NoSuchEntityException:
    pass
' || fail "a role was created"
