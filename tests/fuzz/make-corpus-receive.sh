#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes the seeds for fuzz-receive-protocol in
# tests/fuzz/corpus/receive-protocol (generated, never committed): a first
# byte (0 fresh, 1 resume) then sender frames as docs/receive-protocol.md
# lays them out: data, a hole and END; a deflated DATA frame; a bare END
# on a resume; a stream cut before END.
#   tests/fuzz/make-corpus-receive.sh
#   OUTDIR/fuzz-receive-protocol -max_total_time=300 tests/fuzz/corpus/receive-protocol
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=$srcdir/tests/fuzz/corpus/receive-protocol
mkdir -p "$out"
python3 - "$out" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
def frame(t, off, length, payload=b"", flags=0):
    return struct.pack(">BBHIQQ", t, flags, 0, len(payload), off, length) + payload
data = b"ferry" * 1000
co = zlib.compressobj(6, zlib.DEFLATED, -15)
deflated = co.compress(b"z" * 70000) + co.flush()
seeds = {
    "fresh-data-hole-end": b"\0" + frame(3, 0, len(data), data)
        + frame(4, len(data), 65536) + frame(5, len(data) + 65536, 0),
    "fresh-deflate": b"\0" + frame(3, 0, 70000, deflated, 1) + frame(5, 70000, 0),
    "resume-end": b"\1" + frame(5, 0, 0),
    "cut-before-end": b"\0" + frame(3, 0, len(data), data),
}
for name, blob in seeds.items():
    with open(f"{out}/{name}", "wb") as f:
        f.write(blob)
PY
echo "seeds in $out"
