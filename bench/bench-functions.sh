# SPDX-License-Identifier: LGPL-2.1-or-later
# bench-functions.sh: what the bench scripts share; sourced after
# tests/integration/functions.sh (for $tmpdir and fail).

# bench_half_random_raw FILE MIB CHUNK_MIB: a sparse raw disk of MIB MiB
# whose every other CHUNK_MIB chunk is random bytes (incompressible data
# next to holes, as a used guest disk has).
bench_half_random_raw() {
    python3 - "$1" "$2" "$3" <<'PY'
import os, sys
chunk = int(sys.argv[3]) << 20
with open(sys.argv[1], "wb") as f:
    size = int(sys.argv[2]) << 20
    f.truncate(size)
    for off in range(0, size, 2 * chunk):
        f.seek(off)
        f.write(os.urandom(min(chunk, size - off)))
PY
}

# timed CMD...: wall seconds, CPU (user+sys) seconds and peak RSS (MiB) of
# CMD under GNU time, into $wall $cpu $rss; a failure ends the bench.
timed() {
    /usr/bin/time -f '%e %U %S %M' -o "$tmpdir/time" "$@" >/dev/null 2>"$tmpdir/run.err" ||
        fail "$* failed: $(cat "$tmpdir/run.err")"
    read -r w u s r <"$tmpdir/time"
    wall=$w
    cpu=$(echo "$u $s" | awk '{printf "%.2f", $1 + $2}')
    rss=$((r / 1024))
}

# The readiness rules of the source tree: a cloud export checks them
# first, and the build tree's ferry is not installed.
FERRY_RULES_DIR=${FERRY_RULES_DIR:-$top_srcdir/data/rules}
export FERRY_RULES_DIR
