#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A controller's session over `ferry serve --stdio`: list (the test
# driver, through the agent), export of a test-sleep job, watch streaming
# job.changed notifications up to job.completed, jobs, then errors that
# carry the ferry error code and D-Bus name (cancel of a finished job, an
# unknown job, an export to an unknown target scheme).  Without an agent,
# list still works in-process and export says the agent is not running.
. "$top_srcdir/tests/integration/functions.sh"
requires python3
make_tmpdir
start_private_bus
start_agent

python3 - "$FERRY" <<'X' || fail "stdio session (see above)"
import json, subprocess, sys
p = subprocess.Popen([sys.argv[1], "serve", "--stdio"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True, bufsize=1)
def send(method, params=None, id=None):
    req = {"jsonrpc": "2.0", "method": method, "id": id if id is not None else method}
    if params is not None:
        req["params"] = params
    p.stdin.write(json.dumps(req) + "\n")
    p.stdin.flush()
notes = []
def answer(id):
    while True:
        m = json.loads(p.stdout.readline())
        if "id" in m and m["id"] == id:
            return m
        notes.append(m)

send("list", {"uri": "test:///default", "all": True})
r = answer("list")
assert "result" in r, r
assert r["result"]["listvmsforimportresponse"]["skipped"][0]["name"] == "test", r
send("export", {"vm": "vm1", "target": "file:///dev/null",
                "options": {"kind": "test-sleep", "bytes": 200000, "step": 10000, "delay-ms": 40}})
r = answer("export")
assert "result" in r, r
assert r["result"] == {"job": "1", "path": "/org/ferry/Agent1/jobs/1"}, r
send("watch", {"job": "1"})
w = answer("watch")
assert w.get("result") == {"watching": "1"}, w
while not any(n["method"] == "job.completed" for n in notes):
    notes.append(json.loads(p.stdout.readline()))
changed = [n["params"] for n in notes if n["method"] == "job.changed"]
assert len(changed) >= 2, changed
assert all(c["id"] == "1" for c in changed), changed
byte_counts = [c["bytes"] for c in changed]
assert byte_counts == sorted(byte_counts) and byte_counts[-1] == 200000, byte_counts
assert changed[-1]["state"] == "completed", changed[-1]
done = [n["params"] for n in notes if n["method"] == "job.completed"]
assert done == [{"job": "1", "success": True, "message": ""}], done

send("jobs")
r = answer("jobs")
assert [j["state"] for j in r["result"]] == ["completed"], r
send("cancel", {"job": "1"})
e = answer("cancel")["error"]
assert e["code"] == -32001 and e["data"]["name"] == "org.ferry.Error.Invalid", e
assert "job 1 has already finished" in e["message"], e
send("resume", {"job": "77"}, id=5)
e = answer(5)["error"]
assert e["code"] == -32002 and e["data"] == {"name": "org.ferry.Error.NotFound", "exit_status": 3}, e
send("export", {"vm": "vm1"}, id=6)
e = answer(6)["error"]
assert e["code"] == -32602 and "'target'" in e["message"], e
send("export", {"vm": "vm1", "target": "s3://bucket/p"}, id=7)
e = answer(7)["error"]
assert e["data"]["name"] == "org.ferry.Error.Invalid", e
assert "unknown scheme 's3'" in e["message"], e
p.stdin.close()
assert p.wait(timeout=10) == 0
X

# No agent: list works in-process, export is refused with the reason.
stop_agent
printf '%s\n' '{"jsonrpc":"2.0","method":"list","params":{"uri":"test:///default"},"id":1}' \
    '{"jsonrpc":"2.0","method":"export","params":{"vm":"a","target":"b"},"id":2}' |
    "$FERRY" serve --stdio >"$tmpdir/out" || fail "serve without an agent exited non-zero"
python3 - "$tmpdir/out" <<'X' || fail "stdio without an agent (see above)"
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1])]
assert a["id"] == 1 and "listvmsforimportresponse" in a["result"], a
assert b["id"] == 2 and "ferry-agent is not running" in b["error"]["message"], b
X
