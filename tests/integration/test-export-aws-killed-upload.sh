#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regression (found by tests/load/agent-load.sh): an aws:// export killed
# with SIGKILL mid-upload leaves its S3 multipart upload open, as nothing
# can abort it then; the export run again must abort it when it opens its
# own upload of the same key.  Before the fix the rerun completed and the
# killed run's upload stayed open (billed by S3) for ever.  Read back with
# boto3: after the rerun no upload is open and the object equals
# `ferry convert -O vmdk -o subformat=streamOptimized` of the disk.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img python3 curl dd
requires_moto
make_tmpdir

img=$tmpdir/img
mkdir "$img"
dd if=/dev/urandom of="$img/disk.raw" bs=1M count=20 status=none
name=ferry-test-$$-killed
write_test_host "$name" "vda:raw:$img/disk.raw"
$FERRY convert -O vmdk -o subformat=streamOptimized "$img/disk.raw" "$tmpdir/vda.vmdk" ||
    fail "convert"
bucket=ferry-killed
key=$name-vda.vmdk

start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
aws_env
boto3_py 's3.create_bucket(Bucket=sys.argv[1])' "$bucket" || fail "bucket"
open_uploads() {
    boto3_py '
print(len(s3.list_multipart_uploads(Bucket=sys.argv[1]).get("Uploads", [])))' "$bucket"
}

$FERRY export "$name" --connect "$test_host_uri" --to "aws://us-east-1/$bucket" \
    --no-import --bwlimit 2M --for none >"$tmpdir/out" 2>"$tmpdir/err-killed" &
ferry_pid=$!
i=0
until [ "$(open_uploads)" = 1 ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "no upload opened: $(cat "$tmpdir/err-killed")"
    sleep 0.2
done
sleep 1
kill -KILL $ferry_pid
wait $ferry_pid 2>/dev/null || true
assert_eq "$(open_uploads)" 1 "uploads open after SIGKILL"

$FERRY export "$name" --connect "$test_host_uri" --to "aws://us-east-1/$bucket" \
    --no-import --for none --resume >"$tmpdir/out" 2>"$tmpdir/err-rerun" ||
    fail "the export run again failed: $(cat "$tmpdir/err-rerun")"
boto3_py '
import hashlib
bucket, key, vmdk = sys.argv[1:4]
ups = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
assert ups == [], ("uploads left open", ups)
body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
assert hashlib.sha256(body).hexdigest() == hashlib.sha256(open(vmdk, "rb").read()).hexdigest()
' "$bucket" "$key" "$tmpdir/vda.vmdk" || fail "bucket after the rerun (see above)"
echo "test-export-aws-killed-upload: ok"
