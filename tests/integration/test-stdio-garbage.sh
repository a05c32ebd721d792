#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry serve --stdio` fed 1000 malformed requests (bad JSON, wrong
# types, unknown methods, lines over the 1 MiB cap, binary noise), then a
# good one: every bad line gets exactly one error response, the service
# stays up, and the good request is answered with its result.
. "$top_srcdir/tests/integration/functions.sh"
requires python3
make_tmpdir
start_private_bus
start_agent

python3 - "$tmpdir/in" <<'X'
import json, random, sys
rnd = random.Random(7)
out = open(sys.argv[1], "wb")
bad = []
for i in range(1000):
    k = i % 10
    if k == 0:   # binary noise, no newline, not all blank
        b = bytes(rnd.choice([c for c in range(256) if c != 10]) for _ in range(rnd.randint(1, 300)))
        bad.append(b + b"\x00x")
    elif k == 1:  # truncated JSON
        bad.append(b'{"jsonrpc":"2.0","method":"jobs","id":%d' % i)
    elif k == 2:  # wrong types
        bad.append(json.dumps({"jsonrpc": "2.0", "method": "cancel", "params": {"job": i}, "id": i}).encode())
    elif k == 3:
        bad.append(json.dumps({"jsonrpc": 2, "method": "jobs", "id": i}).encode())
    elif k == 4:
        bad.append(json.dumps({"jsonrpc": "2.0", "method": ["jobs"], "id": i}).encode())
    elif k == 5:  # unknown method, params as an array, batch
        bad.append(json.dumps({"jsonrpc": "2.0", "method": "frob", "id": i}).encode())
    elif k == 6:
        bad.append(json.dumps({"jsonrpc": "2.0", "method": "cancel", "params": ["1"], "id": i}).encode())
    elif k == 7:
        bad.append(json.dumps([{"jsonrpc": "2.0", "method": "jobs", "id": i}]).encode())
    elif k == 8:  # over the cap: 1 MiB and a bit, every 50th line
        if i % 50 == 8:
            bad.append(b'{"jsonrpc":"2.0","method":"jobs","params":{"x":"' + b"A" * (1 << 20) + b'"},"id":1}')
        else:
            bad.append(b"[" * 5000)
    else:         # invalid UTF-8, deep nesting in params
        bad.append(b'{"jsonrpc":"2.0","method":"\xc3\x28","id":%d}' % i)
for b in bad:
    assert b"\n" not in b
    out.write(b + b"\n")
out.write(b'{"jsonrpc":"2.0","method":"jobs","id":"last"}\n')
X

"$FERRY" serve --stdio <"$tmpdir/in" >"$tmpdir/out" 2>"$tmpdir/err" ||
    fail "ferry serve --stdio exited with $?: $(tail -n 3 "$tmpdir/err")"
python3 - "$tmpdir/out" <<'X' || fail "responses (see above)"
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
assert lines[-1] == b"", "output does not end with a newline"
resp = [json.loads(l) for l in lines[:-1]]
assert len(resp) == 1001, "%d responses to 1001 requests" % len(resp)
for r in resp[:-1]:
    assert r["jsonrpc"] == "2.0" and "error" in r and "result" not in r, r
    assert r["error"]["code"] in (-32700, -32600, -32601, -32602, -32001), r
codes = {r["error"]["code"] for r in resp[:-1]}
assert {-32700, -32600, -32601, -32602} <= codes, codes
too_long = [r for r in resp if "longer than the limit" in r.get("error", {}).get("message", "")]
assert len(too_long) == 20, len(too_long)
last = resp[-1]
assert last["id"] == "last" and last["result"] == [], last
X
