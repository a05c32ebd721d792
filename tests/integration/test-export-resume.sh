#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export through a TCP relay in front of the loopback sshd.  (1) The
# relay cuts the first connection after 6 MiB: ferry reconnects, resumes
# the disk from its .part (resumed-at > 0 in the manifest, fewer bytes
# sent than a full copy twice) and the result is verified.  (2) The relay
# is slow, and SIGINT arrives mid-disk: exit 130, no file under a final
# name, no manifest, the .part kept; `--resume` then finishes the export
# from it, verified.  Domains on the real libvirtd, never started.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires qemu-img qemu-io python3 sha256sum
start_libvirtd
make_tmpdir
start_sshd
ssh_client_key ed25519 id

# relay PORTFILE CUT_AFTER BYTES_PER_S: forwards a free port of 127.0.0.1
# to the sshd; closes the first connection once CUT_AFTER bytes went
# client to server (0: never); limits that direction's rate (0: none).
cat >"$tmpdir/relay.py" <<'PY'
import socket, sys, threading, time
portfile, cut_after, rate, dest = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(8)
open(portfile + ".tmp", "w").write(str(ls.getsockname()[1])); import os; os.rename(portfile + ".tmp", portfile)
state = {"cut": cut_after == 0}
def pump(a, b, up, conn_id):
    sent = 0; t0 = time.time()
    try:
        while True:
            data = a.recv(65536)
            if not data: break
            if up and not state["cut"] and sent + len(data) > cut_after:
                state["cut"] = True; break
            b.sendall(data); sent += len(data)
            if up and rate:
                ahead = sent / rate - (time.time() - t0)
                if ahead > 0: time.sleep(ahead)
    except OSError: pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
n = 0
while True:
    c, _ = ls.accept(); s = socket.create_connection(("127.0.0.1", dest)); n += 1
    threading.Thread(target=pump, args=(c, s, True, n), daemon=True).start()
    threading.Thread(target=pump, args=(s, c, False, n), daemon=True).start()
PY
start_relay() {
    rm -f "$tmpdir/relay.port"
    python3 "$tmpdir/relay.py" "$tmpdir/relay.port" "$1" "$2" "$sshd_port" &
    relay_pid=$!
    cleanup_fn "kill $relay_pid 2>/dev/null"
    await_daemon relay "$relay_pid" /dev/null "wrote no port" test -s "$tmpdir/relay.port"
    relay_port=$(cat "$tmpdir/relay.port")
}

name=ferry-test-$$-resume
img=$tmpdir/img
mkdir "$img" "$tmpdir/pool" "$tmpdir/pool2"
make_image qcow2 "$img/root.qcow2" 256M "0x5a 0 1M"
# 16 MiB of random data at 8 MiB into the disk.
make_random_raw "$img/raw.img" $((128 << 20)) $((8 << 20)) $((16 << 20))
define_stopped_domain "$name" "vda:raw:$img/raw.img" "vdb:qcow2:$img/root.qcow2"
# The relay listens on another port than known_hosts names: pin the key.
ssh_opts="--known-hosts /dev/null --host-key $sshd_host_key_fp --identity $tmpdir/id"

check_pool() {   # POOL FORMAT: disks identical, hashes right, no .part
    qemu-img compare -q -F "$2" "$img/raw.img" "$1/$name-vda.$2" || fail "vda differs in $1"
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

# (1) Cut after 6 MiB: retried, resumed, verified.
start_relay $((6 << 20)) 0
$FERRY export "$name" --connect qemu:///system --format raw --json \
    --to "ssh://root@127.0.0.1:$relay_port$tmpdir/pool" $ssh_opts \
    >"$tmpdir/events" 2>"$tmpdir/err" || fail "export through a cut link: $(cat "$tmpdir/err")"
grep -q '"event":"retry","dev":"vda"' "$tmpdir/events" || fail "no retry event: $(cat "$tmpdir/events")"
# Each retry says why: the failure of the cut connection, naming the target.
python3 - "$tmpdir/events" "ssh://root@127.0.0.1:$relay_port" <<'PY' || fail "retry without its cause: $(cat "$tmpdir/events")"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
retries = [e for e in events if e.get("event") == "retry"]
assert retries and all(e["why"].startswith(sys.argv[2]) for e in retries), retries
PY
check_pool "$tmpdir/pool" raw
resumed=$(python3 -c "import json; print(json.load(open('$tmpdir/pool/$name.ferry.json'))['disks'][0]['resumed-at'])")
[ "$resumed" -gt 0 ] || fail "vda was not resumed (resumed-at $resumed)"
kill $relay_pid; wait $relay_pid 2>/dev/null || true

# (2) A slow link (4 MiB/s) and SIGINT mid-disk, then --resume.
start_relay 0 $((4 << 20))
to="ssh://root@127.0.0.1:$relay_port$tmpdir/pool2"
$FERRY export "$name" --connect qemu:///system --format raw --to "$to" $ssh_opts \
    2>"$tmpdir/err" &
pid=$!
i=0
until [ -s "$tmpdir/pool2/$name-vda.raw.part" ] &&
      [ "$(stat -c %s "$tmpdir/pool2/$name-vda.raw.part")" -gt $((10 << 20)) ]; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "the export did not get going"; sleep 0.05
done
kill -INT $pid
set +e
wait $pid
status=$?
set -e
assert_eq "$status" 130 "exit status after SIGINT"
[ ! -e "$tmpdir/pool2/$name-vda.raw" ] || fail "a final file after SIGINT"
[ ! -e "$tmpdir/pool2/$name.ferry.json" ] || fail "a manifest after SIGINT"
[ -e "$tmpdir/pool2/$name-vda.raw.part" ] || fail "the .part was not kept for --resume"
kill $relay_pid; wait $relay_pid 2>/dev/null || true

start_relay 0 0
$FERRY export "$name" --connect qemu:///system --format raw --resume --json \
    --to "ssh://root@127.0.0.1:$relay_port$tmpdir/pool2" $ssh_opts \
    >"$tmpdir/events" 2>"$tmpdir/err" || fail "--resume: $(cat "$tmpdir/err")"
grep -q '"event":"disk-start","dev":"vda".*"resume-offset":[1-9]' "$tmpdir/events" ||
    fail "--resume did not start from the .part: $(head -1 "$tmpdir/events")"
check_pool "$tmpdir/pool2" raw
