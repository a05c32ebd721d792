#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/aws.sh [BUILDDIR]: `ferry export --to aws:// --no-import` (convert
# to VMDK streamOptimized and upload as an S3 multipart upload, in one
# pass from the source image) against `aws s3 cp` of the already
# converted VMDK (the CLI's own multipart upload: 8 MiB parts, 10 at a
# time), both to the same moto_server on loopback, in the same run.  One
# disk, a raw image of FERRY_BENCH_MIB MiB (default 256) whose every
# other 16 MiB is random data; best of FERRY_BENCH_RUNS (default 3) for
# each.  Prints wall time, CPU (user+sys, GNU time) and peak RSS of the
# client, and the ratio to `aws s3 cp`; writes the table to
# bench/reports/aws-<date>.md.  moto runs without signature checks here
# (its checks cost it CPU the two clients would share unevenly).
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-$top_srcdir/build}" && pwd)
FERRY=$top_builddir/ferry
export top_srcdir top_builddir FERRY
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/bench/bench-functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires aws /usr/bin/time qemu-img python3 curl
requires_moto
mib=${FERRY_BENCH_MIB:-256}
runs=${FERRY_BENCH_RUNS:-3}

make_tmpdir
echo "making a $mib MiB half-random raw disk..." >&2
bench_half_random_raw "$tmpdir/src.raw" "$mib" 16
write_test_host bench "vda:raw:$tmpdir/src.raw"
"$FERRY" convert -O vmdk -o subformat=streamOptimized "$tmpdir/src.raw" "$tmpdir/src.vmdk"
size=$(stat -c %s "$tmpdir/src.vmdk")
cat "$tmpdir/src.raw" "$tmpdir/src.vmdk" >/dev/null

moto_port=$(pick_unused_port)
moto_url=http://127.0.0.1:$moto_port
$moto_cmd -H 127.0.0.1 -p "$moto_port" >"$tmpdir/moto.log" 2>&1 &
moto_pid=$!
cleanup_fn "kill $moto_pid 2>/dev/null; wait $moto_pid 2>/dev/null"
i=0
until curl -s -o /dev/null "$moto_url/moto-api/"; do
    i=$((i + 1)); [ $i -lt 100 ] || fail "moto_server did not start"; sleep 0.1
done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret
export AWS_ENDPOINT_URL=$moto_url AWS_DEFAULT_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=$tmpdir/none AWS_CONFIG_FILE=$tmpdir/none
unset AWS_PROFILE AWS_SESSION_TOKEN
boto3_py 's3.create_bucket(Bucket="bench")'

empty_bucket() {
    boto3_py '
for o in s3.list_objects_v2(Bucket="bench").get("Contents", []):
    s3.delete_object(Bucket="bench", Key=o["Key"])'
}
# best NAME CMD...: the run with the least wall time of $runs.
best() {
    name=$1
    shift
    bw="" bc="" br=""
    n=0
    while [ $n -lt "$runs" ]; do
        empty_bucket
        timed "$@"
        echo "  $name run $((n + 1)): $wall s" >&2
        if [ -z "$bw" ] || awk "BEGIN{exit !($wall < $bw)}"; then
            bw=$wall bc=$cpu br=$rss
        fi
        n=$((n + 1))
    done
}

# Alternated, so that a busy neighbour on the shared cores hits both.
best "aws s3 cp" aws s3 cp --only-show-errors "$tmpdir/src.vmdk" s3://bench/cli.vmdk
cli_wall=$bw cli_cpu=$bc cli_rss=$br
best "ferry export" "$FERRY" export bench --connect "test://$tmpdir/host.xml" \
    --to aws://us-east-1/bench --no-import
ferry_wall=$bw ferry_cpu=$bc ferry_rss=$br
boto3_py '
import hashlib
body = s3.get_object(Bucket="bench", Key="bench-vda.vmdk")["Body"].read()
assert hashlib.sha256(body).hexdigest() == hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
' "$tmpdir/src.vmdk" || fail "ferry's object differs from the converted VMDK"
ratio=$(echo "$ferry_wall $cli_wall" | awk '{printf "%.2f", $1 / $2}')

date=$(date +%Y-%m-%d)
report=$top_srcdir/bench/reports/aws-$date.md
{
    echo "# ferry export --to aws:// against aws s3 cp, $date"
    echo
    echo "One raw disk of $mib MiB, every other 16 MiB random; $size bytes as"
    echo "VMDK streamOptimized.  ferry converts from the raw image and uploads"
    echo "in one pass (8 MiB parts, each with x-amz-checksum-sha256, four at a"
    echo "time); \`aws s3 cp\` uploads the VMDK already converted (8 MiB parts,"
    echo "10 threads).  Both to one moto_server on loopback (no signature"
    echo "checks), page cache warm; best wall time of $runs runs each, its CPU"
    echo "and peak RSS (GNU time, client only); ratio is wall over aws s3 cp's."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r)"
    echo "- $(aws --version 2>&1); moto $(python3 -c 'import moto; print(moto.__version__)')"
    echo "- command: bench/aws.sh (FERRY_BENCH_MIB=$mib FERRY_BENCH_RUNS=$runs)"
    echo
    echo "| way | wall s | CPU s | peak RSS MiB | ratio |"
    echo "|---|---|---|---|---|"
    echo "| aws s3 cp of the converted VMDK | $cli_wall | $cli_cpu | $cli_rss | 1.00 |"
    echo "| ferry export --to aws:// --no-import (convert + upload) | $ferry_wall | $ferry_cpu | $ferry_rss | $ratio |"
} >"$report"
cat "$report"
echo "report: $report" >&2
