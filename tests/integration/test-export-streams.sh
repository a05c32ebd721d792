#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export --streams N (issue #11): each disk's SFTP upload spread over
# N connections writing chunks at their offsets.  A domain of two disks
# (raw with random data and holes, qcow2 over nothing) on the real
# libvirtd, never started, exported through tests/tools/fault-proxy.py to
# the loopback sshd:
#   (1) --streams 4, raw and qcow2 output: each disk compares identical to
#       its source, the manifest's hashes are sha256sum's, no .part, and
#       the proxy saw a 4th connection carry data;
#   (2) --streams 1 gives the same bytes (cmp);
#   (3) connection 3 (a worker's) is cut after 2 MiB: retried, resumed
#       from the written prefix, verified;
#   (4) a slow link and SIGINT mid-disk: exit 130, nothing under a final
#       name, the .part kept; --resume finishes it, verified;
#   (5) --streams 0, 17 and "x" are refused with exit 2.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires qemu-img qemu-io python3 sha256sum cmp
start_libvirtd
make_tmpdir
start_sshd
ssh_client_key ed25519 id

name=ferry-test-$$-streams
img=$tmpdir/img
mkdir "$img"
# 40 MiB of random bytes at 4 MiB, a hole, 1 MiB more at 60 MiB.
make_random_raw "$img/data.raw" $((96 << 20)) $((4 << 20)) $((40 << 20))
qemu-io -f raw -c "write -P 0x5b 60M 1M" "$img/data.raw" >/dev/null
make_image qcow2 "$img/root.qcow2" 64M "0x5a 0 6M" "0x5c 30M 9M"
define_stopped_domain "$name" "vda:raw:$img/data.raw" "vdb:qcow2:$img/root.qcow2"
# The proxy listens on another port than known_hosts names: pin the key.
ssh_opts="--known-hosts /dev/null --host-key $sshd_host_key_fp --identity $tmpdir/id"

start_proxy() {   # LABEL FAULT...
    label=$1
    shift
    start_fault_proxy "$tmpdir/proxy-$label.log" "$sshd_port" "$@"
    port=$proxy_port
}

check_pool() {   # POOL FORMAT: disks identical, hashes right, no .part
    qemu-img compare -q -F "$2" "$img/data.raw" "$1/$name-vda.$2" || fail "vda differs in $1"
    qemu-img compare -q -F "$2" "$img/root.qcow2" "$1/$name-vdb.$2" || fail "vdb differs in $1"
    assert_no_part "$1"
    python3 - "$1" "$name" <<'PY' || fail "manifest hashes in $1"
import hashlib, json, sys
pool, name = sys.argv[1], sys.argv[2]
for d in json.load(open(f"{pool}/{name}.ferry.json"))["disks"]:
    h = hashlib.sha256(open(f"{pool}/{d['file']}", "rb").read()).hexdigest()
    assert d["sha256"] == h, (d["file"], d["sha256"], h)
PY
}

export_to() {   # POOL FORMAT ARGS...: one export through the proxy
    pool=$1 format=$2
    shift 2
    mkdir -p "$pool"
    # shellcheck disable=SC2086
    $FERRY export "$name" --connect qemu:///system --format "$format" --json \
        --to "ssh://root@127.0.0.1:$port$pool" $ssh_opts "$@" \
        >"$tmpdir/events" 2>"$tmpdir/err"
}

# (1) Four streams, raw then qcow2; the 4th connection stalls a moment
# once it carries 1 MiB, which the proxy logs: it was used.
for format in raw qcow2; do
    start_proxy "four-$format" --on 4 stall:0.2@1048576
    export_to "$tmpdir/pool4-$format" "$format" --streams 4 ||
        fail "--streams 4 ($format): $(cat "$tmpdir/err")"
    stop_fault_proxy
    check_pool "$tmpdir/pool4-$format" "$format"
    grep -q '^fault-proxy: connection 4: stalled' "$tmpdir/proxy-four-$format.log" ||
        fail "--streams 4 ($format): no 4th connection carried data"
done

# (2) One stream: the same bytes.
for format in raw qcow2; do
    start_proxy "one-$format"
    export_to "$tmpdir/pool1-$format" "$format" --streams 1 ||
        fail "--streams 1 ($format): $(cat "$tmpdir/err")"
    stop_fault_proxy
    check_pool "$tmpdir/pool1-$format" "$format"
    for dev in vda vdb; do
        cmp "$tmpdir/pool1-$format/$name-$dev.$format" "$tmpdir/pool4-$format/$name-$dev.$format" ||
            fail "$dev.$format: --streams 1 and 4 differ"
    done
done

# (3) A worker's connection cut: retried, resumed, verified.
start_proxy cut --on 3 cut:$((2 << 20))
export_to "$tmpdir/pool-cut" raw --streams 4 || fail "a cut stream: $(cat "$tmpdir/err")"
stop_fault_proxy
grep -q '^fault-proxy: connection 3: cut' "$tmpdir/proxy-cut.log" || fail "connection 3 was not cut"
grep -q '"event":"retry"' "$tmpdir/events" || fail "no retry event: $(cat "$tmpdir/events")"
check_pool "$tmpdir/pool-cut" raw
# Where it resumed depends on which chunks connection 3 had taken (the next
# free worker takes the next chunk): logged, not asserted; (4) asserts it.
grep '"event":"disk-done"' "$tmpdir/events" >&2

# (4) A slow link (3 MiB/s a connection) and SIGINT mid-disk, then --resume.
start_proxy slow --on all trickle:$((3 << 20))
pool=$tmpdir/pool-cancel
mkdir "$pool"
# shellcheck disable=SC2086
$FERRY export "$name" --connect qemu:///system --format raw --streams 4 \
    --to "ssh://root@127.0.0.1:$port$pool" $ssh_opts 2>"$tmpdir/err" &
pid=$!
i=0
until [ -s "$pool/$name-vda.raw.part" ] &&
      [ "$(stat -c %s "$pool/$name-vda.raw.part")" -gt $((16 << 20)) ]; do
    i=$((i + 1)); [ $i -lt 300 ] || fail "the export did not get going"; sleep 0.05
done
kill -INT $pid
set +e
wait $pid
status=$?
set -e
stop_fault_proxy
assert_eq "$status" 130 "exit status after SIGINT"
finals=$(ls "$pool" | grep -v '\.part$' || true)
[ -z "$finals" ] || fail "left under a final name after SIGINT: $finals"
[ -e "$pool/$name-vda.raw.part" ] || fail "the .part was not kept for --resume"
start_proxy resume
export_to "$pool" raw --streams 4 --resume || fail "--resume: $(cat "$tmpdir/err")"
stop_fault_proxy
grep -q '"event":"disk-start","dev":"vda".*"resume-offset":[1-9]' "$tmpdir/events" ||
    fail "--resume did not start from the .part: $(head -1 "$tmpdir/events")"
check_pool "$pool" raw

# (5) Bad values.
for bad in 0 17 x; do
    set +e
    $FERRY export "$name" --streams "$bad" --to "file://$tmpdir" >/dev/null 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" 2 "--streams $bad: exit status"
    grep -q -- "--streams" "$tmpdir/err" || fail "--streams $bad: the message does not name it: $(cat "$tmpdir/err")"
done
