#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Load on ferry-agent (issue #17), run by hand, outside CI:
#
#   FERRY=build/ferry FERRY_AGENT=build/ferry-agent top_srcdir=$PWD \
#       FERRY_AGENT_TEST=build/tests/tools/ferry-agent-test \
#       sh tests/load/agent-load.sh [N_EXPORTS] [CONCURRENCY]
#
# N exports (default 50) of N stopped domains of a libvirt test-driver host,
# a third each to a file:// pool, an ssh:// pool on a loopback sshd and an
# S3 bucket of a loopback moto_server (aws:// --no-import, signed),
# queued at once on one agent at CONCURRENCY (default 4), each slowed so
# that the run lasts long enough to be interrupted.  The agent is SIGKILLed
# twice while jobs run and started again; after each restart every
# interrupted job is resumed (`ferry resume`).  At the end: every job
# completed, every disk equal to its source (cmp; S3 objects read back with
# boto3 and compared with qemu-img), every manifest's SHA-256 equal to
# sha256sum, no .part and no open multipart upload left, no disk exported
# twice (one manifest per VM, one job per VM); and the agent's peak RSS (VmHWM of
# each run) is printed.  Exits non-zero on any failure.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/aws-functions.sh"
requires qemu-img python3 sha256sum gdbus cmp curl
requires_moto
n=${1:-50}
conc=${2:-4}
make_tmpdir
printf '[agent]\nconcurrency=%s\n' "$conc" >"$tmpdir/ferry.conf"
# The agent signs S3 requests with the keys of its own environment.
start_moto
moto_make_user ferry "$AWS_ALLOW_ALL"
aws_env
boto3_py 's3.create_bucket(Bucket="load")'
start_agent_and_sshd
img=$tmpdir/img
mkdir "$img" "$tmpdir/pool-file" "$tmpdir/pool-ssh"
{
    echo "<node>"
    i=1
    while [ $i -le "$n" ]; do
        make_random_raw "$img/vm$i.raw" $((8 << 20)) $((i * 4096)) $((2 << 20))
        domain_xml test "load$i" "vda:raw:$img/vm$i.raw"
        i=$((i + 1))
    done
    echo "</node>"
} >"$tmpdir/host.xml"
uri=test://$tmpdir/host.xml

peaks=""
peak_rss() {
    awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status" 2>/dev/null || echo 0
}
i=1
start=$(date +%s)
while [ $i -le "$n" ]; do
    case $((i % 3)) in
    0) to="file://$tmpdir/pool-file" opts="'format': <'raw'>" ;;
    1) to="ssh://root@127.0.0.1:$sshd_port$tmpdir/pool-ssh" opts="'format': <'raw'>" ;;
    2) to="aws://us-east-1/load" opts="'no-import': <true>, 'for': <'none'>" ;;
    esac
    gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
        -m org.ferry.Agent1.Manager.Export "load$i" "$to" \
        "{'connect': <'$uri'>, $opts, 'identity': <'$tmpdir/id'>,
          'known-hosts': <'$sshd_known_hosts'>, 'bwlimit': <uint64 1048576>}" >/dev/null ||
        fail "Export of load$i failed"
    i=$((i + 1))
done

count_state() {
    "$FERRY" jobs --json | python3 -c '
import json, sys
print(sum(1 for j in json.load(sys.stdin) if j["state"] == sys.argv[1]))' "$1"
}
restart_and_resume() {
    peaks="$peaks $(peak_rss)"
    kill_agent
    start_agent
    "$FERRY" jobs --json | python3 -c '
import json, sys
for j in json.load(sys.stdin):
    if j["state"] == "interrupted":
        print(j["id"])' >"$tmpdir/interrupted"
    echo "restart: $(wc -l <"$tmpdir/interrupted") interrupted jobs resumed" >&2
    while read -r id; do
        "$FERRY" resume "$id" >/dev/null || fail "resume $id"
    done <"$tmpdir/interrupted"
}
for kill_at in 3 9; do
    until [ "$(count_state completed)" -ge "$kill_at" ]; do sleep 0.5; done
    restart_and_resume
done
until [ "$(count_state completed)" -ge "$n" ]; do
    [ "$(count_state failed)" = 0 ] || fail "a job failed: $("$FERRY" jobs --json | python3 -c '
import json, sys
for j in json.load(sys.stdin):
    if j["state"] == "failed":
        print(j.get("vm"), j.get("target"), j.get("error"))')"
    sleep 1
done
peaks="$peaks $(peak_rss)"
secs=$(( $(date +%s) - start ))

i=1
n_s3=0
while [ $i -le "$n" ]; do
    case $((i % 3)) in
    0) cmp "$img/vm$i.raw" "$tmpdir/pool-file/load$i-vda.raw" || fail "load$i differs" ;;
    1) cmp "$img/vm$i.raw" "$tmpdir/pool-ssh/load$i-vda.raw" || fail "load$i differs" ;;
    2) n_s3=$((n_s3 + 1)) ;;
    esac
    i=$((i + 1))
done
# S3: each object read back with boto3, equal to its source by qemu-img;
# its manifest's SHA-256 that of the object; one object and one manifest
# per VM; no multipart upload left open.
boto3_py '
import hashlib, json, subprocess
img, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="load").get("Contents", []))
want = sorted(k for i in range(1, n + 1) if i % 3 == 2
              for k in ("load%d-vda.vmdk" % i, "load%d.ferry.json" % i, "load%d.xml" % i))
assert keys == want, (keys, want)
for i in range(2, n + 1, 3):
    body = s3.get_object(Bucket="load", Key="load%d-vda.vmdk" % i)["Body"].read()
    open(tmp + "/s3.vmdk", "wb").write(body)
    subprocess.run(["qemu-img", "compare", "-q", "-f", "raw", "-F", "vmdk",
                    "%s/vm%d.raw" % (img, i), tmp + "/s3.vmdk"], check=True)
    man = json.loads(s3.get_object(Bucket="load", Key="load%d.ferry.json" % i)["Body"].read())
    assert man["disks"][0]["sha256"] == hashlib.sha256(body).hexdigest(), man
ups = s3.list_multipart_uploads(Bucket="load").get("Uploads", [])
assert not ups, ("open multipart uploads", [(u["Key"], u["UploadId"][:8]) for u in ups])
' "$img" "$tmpdir" "$n" || fail "S3 objects"
for pool in "$tmpdir/pool-file" "$tmpdir/pool-ssh"; do
    assert_no_part "$pool"
    python3 - "$pool" <<'PY' || fail "manifests in $pool"
import glob, hashlib, json, sys
for m in glob.glob(sys.argv[1] + "/*.ferry.json"):
    for d in json.load(open(m))["disks"]:
        h = hashlib.sha256(open(sys.argv[1] + "/" + d["file"], "rb").read()).hexdigest()
        assert d["sha256"] == h, (m, d)
PY
done
assert_eq "$(ls "$tmpdir"/pool-*/*.ferry.json | wc -l)" "$((n - n_s3))" "manifests in the pools"
assert_eq "$("$FERRY" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
    "$n" "jobs"
echo "agent-load: $n exports ($n_s3 to S3) at concurrency $conc, 2 SIGKILLs, all verified in $secs s; agent peak RSS per run (KiB):$peaks"
