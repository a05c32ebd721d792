#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real export over `ferry serve --stdio`: the "export" method with no
# kind runs an export job (a libvirt test-driver domain into a file://
# pool, options as JSON: connect, format, bwlimit as a JSON number); watch
# streams job.changed with growing bytes, then job.completed; the last
# job.changed carries the result, whose SHA-256 is the file's.  A bad
# option type is an error response naming the option.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires python3 qemu-img qemu-io
make_tmpdir
start_private_bus
start_agent

mkdir "$tmpdir/pool"
make_image raw "$tmpdir/disk.raw" 32M "0x5c 1M 6M"
write_test_host web1 "vda:raw:$tmpdir/disk.raw"

python3 - "$FERRY" "$tmpdir" <<'X' || fail "stdio export (see above)"
import hashlib, json, subprocess, sys
ferry, tmp = sys.argv[1], sys.argv[2]
p = subprocess.Popen([ferry, "serve", "--stdio"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True, bufsize=1)
def send(method, params, id):
    p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": method, "id": id,
                              "params": params}) + "\n")
    p.stdin.flush()
notes = []
def answer(id):
    while True:
        m = json.loads(p.stdout.readline())
        if m.get("id") == id:
            return m
        notes.append(m)

send("export", {"vm": "web1", "target": f"file://{tmp}/pool",
                "options": {"bwlimit": "fast"}}, 1)
e = answer(1)["error"]
assert e["data"]["name"] == "org.ferry.Error.Invalid" and "'bwlimit'" in e["message"], e
send("watch", {}, 2)
assert answer(2)["result"] == {"watching": "*"}
send("export", {"vm": "web1", "target": f"file://{tmp}/pool", "disks": ["vda"],
                "options": {"connect": f"test://{tmp}/host.xml", "format": "raw",
                            "bwlimit": 4 << 20}}, 3)
r = answer(3)
assert r.get("result") == {"job": "1", "path": "/org/ferry/Agent1/jobs/1"}, r
while not any(n["method"] == "job.completed" for n in notes):
    notes.append(json.loads(p.stdout.readline()))
changed = [n["params"] for n in notes if n["method"] == "job.changed"]
assert all(c["kind"] == "export" and c["disks"] == ["vda"] for c in changed), changed
byts = [c["bytes"] for c in changed]
assert byts == sorted(byts) and byts[-1] == 32 << 20, byts
assert len([b for b in byts if 0 < b < 32 << 20]) >= 2, byts
done = [n["params"] for n in notes if n["method"] == "job.completed"]
assert done == [{"job": "1", "success": True, "message": ""}], done
last = changed[-1]
assert last["state"] == "completed", last
d, = last["result"]["disks"]
data = open(f"{tmp}/pool/{d['file']}", "rb").read()
assert d["sha256"] == hashlib.sha256(data).hexdigest(), d
assert data == open(f"{tmp}/disk.raw", "rb").read()
assert last["result"]["manifest"] == f"{tmp}/pool/web1.ferry.json", last["result"]
p.stdin.close()
assert p.wait(timeout=10) == 0
X
