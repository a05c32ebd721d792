#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# aws:// S3 upload faults, with tests/tools/fault-proxy.py between ferry
# and moto's S3 (STS goes straight to moto; --no-import): a 20 MiB random
# disk, three parts of 8 MiB.
#   - part-500: the first two PUTs (part 1) answered 500: retried, the
#     upload completes, the object equals `ferry convert` (SHA-256);
#   - part-close: the connection closed in the middle of part 1's answer:
#     retried on a new connection, completes, same object;
#   - create-truncated: CreateMultipartUpload's answer cut after 40 bytes
#     of body: retried, completes, and the upload the cut answer created
#     (whose id ferry never read) is aborted too: no upload stays open;
#   - part-403: part 2 (of three, sent at once) answered 403 every time:
#     exit 8, one line naming part 2, no upload left open, no object;
#   - cancel: SIGINT once an upload is open (at 2 MiB/s): exit 130, one
#     line, no multipart upload left open, no object under the final name.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img python3 curl dd
requires_moto
make_tmpdir

img=$tmpdir/img
mkdir "$img"
dd if=/dev/urandom of="$img/disk.raw" bs=1M count=20 status=none
truncate -s 24M "$img/disk.raw"
name=ferry-test-$$-s3f
write_test_host "$name" "vda:raw:$img/disk.raw"
$FERRY convert -O vmdk -o subformat=streamOptimized "$img/disk.raw" "$tmpdir/vda.vmdk" ||
    fail "convert"
bucket=ferry-faults
key=$name-vda.vmdk

start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
aws_env
boto3_py 's3.create_bucket(Bucket=sys.argv[1])' "$bucket" || fail "bucket"

# start_proxy LABEL FAULT...: the proxy in front of moto, for S3 only.
start_proxy() {
    label=$1
    shift
    start_fault_proxy "$tmpdir/proxy-$label.log" "$moto_port" "$@"
    AWS_ENDPOINT_URL_S3=http://127.0.0.1:$proxy_port
    export AWS_ENDPOINT_URL_S3
}

stop_proxy() {
    stop_fault_proxy
    unset AWS_ENDPOINT_URL_S3
}

# check_bucket LABEL WITH_DISK: no multipart upload open; the disk object
# equals the converted VMDK (WITH_DISK=1) or is absent (0); then empties
# the bucket for the next cell.
check_bucket() {
    boto3_py '
import hashlib
bucket, key, vmdk, with_disk = sys.argv[1:5]
ups = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
assert ups == [], ("uploads left open", ups)
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
if with_disk == "1":
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    want = hashlib.sha256(open(vmdk, "rb").read()).hexdigest()
    assert hashlib.sha256(body).hexdigest() == want, "object differs"
else:
    assert key not in keys, keys
for k in keys:
    s3.delete_object(Bucket=bucket, Key=k)
' "$bucket" "$key" "$tmpdir/vda.vmdk" "$2" || fail "$1: bucket contents (see above)"
}

# cell LABEL FAULT...: an export through the proxy that must succeed.
cell() {
    label=$1
    shift
    start_proxy "$label" "$@"
    $FERRY export "$name" --connect "$test_host_uri" --to "aws://us-east-1/$bucket" \
        --no-import >"$tmpdir/out" 2>"$tmpdir/err-$label" ||
        fail "$label: export failed: $(cat "$tmpdir/err-$label")"
    stop_proxy
    check_bucket "$label" 1
}

cell part-500 --on all http-method:PUT http-status:500x2
assert_eq "$(grep -c 'answered 500' "$tmpdir/proxy-part-500.log")" 2 "500s injected"

cell part-close --on all http-method:PUT http-close-mid-response http-once
assert_eq "$(grep -c "closed mid-response" "$tmpdir/proxy-part-close.log")" 1 "responses cut"

cell create-truncated --on all http-method:POST http-truncate:40 http-once
assert_eq "$(grep -c 'body cut at 40' "$tmpdir/proxy-create-truncated.log")" 1 "bodies cut"

# A part in the middle fails for good while the others are in flight.
start_proxy part-403 --on all http-method:PUT http-match:partNumber=2\& http-status:403x99
st=0
$FERRY export "$name" --connect "$test_host_uri" --to "aws://us-east-1/$bucket" \
    --no-import --for none >"$tmpdir/out" 2>"$tmpdir/err-part-403" || st=$?
stop_proxy
assert_eq "$st" 8 "exit status after a part's 403"
assert_eq "$(wc -l <"$tmpdir/err-part-403")" 1 "lines on stderr after a part's 403"
grep -q "part 2: s3 UploadPart: .*HTTP 403" "$tmpdir/err-part-403" ||
    fail "part-403: message: $(cat "$tmpdir/err-part-403")"
assert_eq "$(grep -c 'answered 403' "$tmpdir/proxy-part-403.log")" 1 "403s injected"
check_bucket part-403 0

# Cancel: SIGINT once moto holds an open upload.
start_proxy cancel
$FERRY export "$name" --connect "$test_host_uri" --to "aws://us-east-1/$bucket" \
    --no-import --bwlimit 2M --for none >"$tmpdir/out" 2>"$tmpdir/err-cancel" &
ferry_pid=$!
i=0
until boto3_py '
sys.exit(0 if s3.list_multipart_uploads(Bucket=sys.argv[1]).get("Uploads") else 1)' "$bucket"; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "cancel: no upload opened"
    sleep 0.2
done
sleep 1
kill -INT $ferry_pid
st=0
wait $ferry_pid || st=$?
stop_proxy
assert_eq "$st" 130 "exit status after SIGINT"
assert_eq "$(wc -l <"$tmpdir/err-cancel")" 1 "lines on stderr after SIGINT"
check_bucket cancel 0
