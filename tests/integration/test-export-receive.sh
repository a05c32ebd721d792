#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export to the loopback sshd through `ferry receive` on the target
# (the freshly built ferry, found on the remote PATH that sshd's SetEnv
# gives), against the SFTP fallback.  A domain with a qcow2 disk over a
# raw backing file and a vmdk disk, exported as qcow2 and as raw
# (compressed frames): the files of both transports are byte-identical
# (cmp), identical to their sources (qemu-img compare), and the manifest's
# hashes are sha256sum's; --json names the transport; --streams 3 with
# ferry receive says it takes one stream.  An inotify watch on
# the pool sees every read of a disk file by any process: none with ferry
# receive, some with SFTP (its `openssl dgst`), so the watch does see a
# read-back.  Then: a receiver of another protocol version is refused
# (exit 5) with nothing written; a missing receiver falls back to SFTP
# under --transport auto; through bench/relay.py, SIGINT mid-disk leaves no
# final name, and a connection cut mid-disk resumes at the offset the
# receiver verified.  Domains on the real libvirtd, never started.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires qemu-img qemu-io python3 sha256sum cmp
start_libvirtd
make_tmpdir
# The target's ferry is this build, as `ferry` on the SSH user's PATH.
mkdir "$tmpdir/bin"
ln -s "$FERRY" "$tmpdir/bin/ferry"
start_sshd "SetEnv PATH=$tmpdir/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ssh_client_key ed25519 id

name=ferry-test-$$-receive
img=$tmpdir/img
mkdir "$img"
make_image raw "$img/base.raw" 64M "0x11 0 3M"
make_image -b base.raw qcow2 "$img/root.qcow2" 64M "0x22 1M 2M" "0x23 40M 1M"
make_image vmdk "$img/data.vmdk" 32M "0x44 0 1M" "0x45 20M 512k"
define_stopped_domain "$name" "vda:qcow2:$img/root.qcow2" "vdb:vmdk:$img/data.vmdk"
ssh_opts="--known-hosts $sshd_known_hosts --identity $tmpdir/id"
url="ssh://root@127.0.0.1:$sshd_port"

# watch DIR LOG: logs "ACCESS name" for every read of a file in DIR by
# any process (inotify IN_ACCESS) until killed.  Sets watch_pid.
cat >"$tmpdir/watch.py" <<'PY'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
IN_ACCESS = 0x1
fd = libc.inotify_init1(0)
if fd < 0 or libc.inotify_add_watch(fd, sys.argv[1].encode(), IN_ACCESS) < 0:
    sys.exit("inotify: errno %d" % ctypes.get_errno())
log = open(sys.argv[2], "a", buffering=1)
open(sys.argv[2] + ".ready", "w").close()
while True:
    buf = os.read(fd, 65536)
    i = 0
    while i < len(buf):
        wd, mask, cookie, n = struct.unpack_from("iIII", buf, i)
        fname = buf[i + 16:i + 16 + n].rstrip(b"\0").decode()
        log.write("ACCESS %s\n" % fname)
        i += 16 + n
PY
watch() {
    : >"$2"
    python3 "$tmpdir/watch.py" "$1" "$2" &
    watch_pid=$!
    cleanup_fn "kill $watch_pid 2>/dev/null"
    await_daemon watch "$watch_pid" /dev/null "not ready" test -e "$2.ready"
}
# disk_reads LOG: reads of disk files (.part or final) the watch saw.
disk_reads() {
    grep -c "ACCESS $name-vd" "$1" || true
}

# export_to POOL FORMAT ARGS...: exports into a new POOL, watched; the
# JSON events go to POOL.events, the disk reads seen to POOL.reads.
export_to() {
    pool=$1 fmt=$2
    shift 2
    mkdir "$pool"
    watch "$pool" "$pool.watch"
    $FERRY export "$name" --connect qemu:///system --format "$fmt" \
        --to "$url$pool" $ssh_opts --json "$@" >"$pool.events" 2>"$pool.err" ||
        fail "export to $pool ($*): $(cat "$pool.err")"
    sleep 0.2
    kill $watch_pid
    wait $watch_pid 2>/dev/null || true
    disk_reads "$pool.watch" >"$pool.reads"
}

# check_pool POOL FORMAT TRANSPORT: disks identical to their sources,
# manifest hashes right, no .part, each disk-done names TRANSPORT.
check_pool() {
    qemu-img compare -q -F "$2" "$img/root.qcow2" "$1/$name-vda.$2" || fail "vda differs in $1"
    qemu-img compare -q -F "$2" "$img/data.vmdk" "$1/$name-vdb.$2" || fail "vdb differs in $1"
    assert_no_part "$1"
    for dev in vda vdb; do
        sum=$(sha256sum "$1/$name-$dev.$2" | cut -d' ' -f1)
        python3 -c "import json,sys; m=json.load(open(sys.argv[1])); \
sys.exit(0 if [d['sha256'] for d in m['disks'] if d['dev']==sys.argv[2]]==[sys.argv[3]] else 1)" \
            "$1/$name.ferry.json" "$dev" "$sum" || fail "manifest sha256 of $dev in $1 is not $sum"
        grep -q "\"event\":\"disk-done\",\"dev\":\"$dev\".*\"transport\":\"$3\"" "$1.events" ||
            fail "no disk-done of $dev with transport $3: $(cat "$1.events")"
    done
}

# (1) qcow2 and raw, each through ferry receive and through SFTP.
export_to "$tmpdir/rq" qcow2
export_to "$tmpdir/sq" qcow2 --transport sftp
export_to "$tmpdir/rr" raw --compress 6 --streams 3
# --streams named with ferry receive on the target: said, and one stream.
assert_contains "$(cat "$tmpdir/rr.err")" "one stream (--streams 3 is for SFTP: --transport sftp)" \
    "notice of --streams with ferry receive"
export_to "$tmpdir/sr" raw --transport sftp
check_pool "$tmpdir/rq" qcow2 ferry-receive
check_pool "$tmpdir/sq" qcow2 sftp
check_pool "$tmpdir/rr" raw ferry-receive
check_pool "$tmpdir/sr" raw sftp
for f in "$name-vda.qcow2" "$name-vdb.qcow2" "$name.xml"; do
    cmp "$tmpdir/rq/$f" "$tmpdir/sq/$f" || fail "$f: ferry receive and SFTP differ"
done
for f in "$name-vda.raw" "$name-vdb.raw"; do
    cmp "$tmpdir/rr/$f" "$tmpdir/sr/$f" || fail "$f: ferry receive and SFTP differ"
done
[ "$(du -k "$tmpdir/rr/$name-vda.raw" | cut -f1)" -lt 16384 ] || fail "raw output through ferry receive is not sparse"
# The target read the disk files back zero times with ferry receive; the
# same watch sees SFTP's verification read them.
assert_eq "$(cat "$tmpdir/rq.reads")" 0 "disk file reads on the target, ferry receive, qcow2"
assert_eq "$(cat "$tmpdir/rr.reads")" 0 "disk file reads on the target, ferry receive, raw"
[ "$(cat "$tmpdir/sq.reads")" -gt 0 ] || fail "the watch saw no read of SFTP's verification: it proves nothing"

# (2) A receiver that speaks protocol 2: refused, nothing written.
cat >"$tmpdir/ferry2" <<'PY'
#!/usr/bin/env python3
import struct, sys
magic = b"ferry-receive"
sys.stdout.buffer.write(struct.pack(">BBHIQQ", 1, 0, 0, len(magic), 2, 0) + magic)
PY
chmod +x "$tmpdir/ferry2"
mkdir "$tmpdir/v2"
set +e
$FERRY export "$name" --connect qemu:///system --to "$url$tmpdir/v2" $ssh_opts \
    --remote-ferry "$tmpdir/ferry2" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 5 "exit status for a receiver of protocol 2"
assert_eq "$(cat "$tmpdir/err")" \
    "ferry: $url: '$tmpdir/ferry2 receive' on the target speaks receive protocol 2, this ferry speaks 1: install the same ferry release on both hosts, or export with --transport sftp" \
    "message for a receiver of protocol 2"
assert_eq "$(ls -A "$tmpdir/v2")" "" "pool after a refused receiver"

# (3) No receiver there: --transport auto takes SFTP and says so; asking
# for ferry receive fails instead (exit 3).
mkdir "$tmpdir/fb"
$FERRY export "$name" --connect qemu:///system --to "$url$tmpdir/fb" $ssh_opts --json \
    --transport auto --remote-ferry "$tmpdir/no-such-ferry" >"$tmpdir/fb.events" 2>"$tmpdir/err" ||
    fail "fallback export: $(cat "$tmpdir/err")"
grep -q '"event":"disk-done","dev":"vda".*"transport":"sftp"' "$tmpdir/fb.events" ||
    fail "fallback did not say sftp: $(cat "$tmpdir/fb.events")"
mkdir "$tmpdir/nf"
set +e
$FERRY export "$name" --connect qemu:///system --to "$url$tmpdir/nf" $ssh_opts \
    --remote-ferry "$tmpdir/no-such-ferry" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 3 "exit status without the named receiver"
assert_contains "$(cat "$tmpdir/err")" "'$tmpdir/no-such-ferry receive' is not available on the target (exit status 127" \
    "message without the named receiver"

# (4) Through the relay: a disk of 24 MiB of random data.
name2=ferry-test-$$-receive-cut
make_random_raw "$img/rnd.img" $((64 << 20)) $((4 << 20)) $((24 << 20))
define_stopped_domain "$name2" "vda:raw:$img/rnd.img"
# The relay listens on another port than known_hosts names: pin the key.
pin_opts="--known-hosts /dev/null --host-key $sshd_host_key_fp --identity $tmpdir/id"
start_relay() {   # ARGS... for relay.py
    rm -f "$tmpdir/relay.port"
    python3 "$top_srcdir/bench/relay.py" --to "$sshd_port" --port-file "$tmpdir/relay.port" "$@" &
    relay_pid=$!
    cleanup_fn "kill $relay_pid 2>/dev/null"
    await_daemon relay "$relay_pid" /dev/null "wrote no port" test -s "$tmpdir/relay.port"
    relay_port=$(cat "$tmpdir/relay.port")
}

# SIGINT mid-disk on a slow link: exit 130, no final name, .part kept.
start_relay --rate $((4 << 20))
mkdir "$tmpdir/int"
$FERRY export "$name2" --connect qemu:///system --format raw \
    --to "ssh://root@127.0.0.1:$relay_port$tmpdir/int" $pin_opts --transport ferry-receive \
    2>"$tmpdir/err" &
pid=$!
i=0
until [ -s "$tmpdir/int/$name2-vda.raw.part" ] &&
      [ "$(stat -c %s "$tmpdir/int/$name2-vda.raw.part")" -gt $((8 << 20)) ]; do
    i=$((i + 1)); [ $i -lt 300 ] || fail "the export did not get going: $(cat "$tmpdir/err")"; sleep 0.05
done
kill -INT $pid
set +e
wait $pid
status=$?
set -e
assert_eq "$status" 130 "exit status after SIGINT"
assert_eq "$(ls -A "$tmpdir/int")" "$name2-vda.raw.part" "pool after SIGINT"
kill $relay_pid; wait $relay_pid 2>/dev/null || true

# A cut after 12 MiB: retried, resumed at the receiver's verified offset
# (a whole MiB, no more than was there), verified.
start_relay --cut-after $((12 << 20))
mkdir "$tmpdir/cut"
$FERRY export "$name2" --connect qemu:///system --format raw --json \
    --to "ssh://root@127.0.0.1:$relay_port$tmpdir/cut" $pin_opts --transport ferry-receive \
    >"$tmpdir/cut.events" 2>"$tmpdir/err" || fail "export through a cut link: $(cat "$tmpdir/err")"
grep -q '"event":"retry","dev":"vda"' "$tmpdir/cut.events" || fail "no retry event: $(cat "$tmpdir/cut.events")"
qemu-img compare -q -F raw "$img/rnd.img" "$tmpdir/cut/$name2-vda.raw" || fail "vda differs after the cut"
assert_no_part "$tmpdir/cut"
python3 - "$tmpdir/cut" "$name2" <<'PY' || fail "resume after the cut"
import hashlib, json, sys
pool, name = sys.argv[1], sys.argv[2]
d = json.load(open(f"{pool}/{name}.ferry.json"))["disks"][0]
h = hashlib.sha256(open(f"{pool}/{d['file']}", "rb").read()).hexdigest()
assert d["sha256"] == h, (d["sha256"], h)
r = d["resumed-at"]
# The relay passed at most 12 MiB (SSH overhead included) before the cut,
# and the receiver keeps whole MiB only.
assert 0 < r <= 12 << 20 and r % (1 << 20) == 0, r
PY
