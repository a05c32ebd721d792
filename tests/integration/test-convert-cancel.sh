#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# SIGTERM and SIGINT in the middle of a conversion: exit status 130, no
# DST, no temporary left beside it.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img
make_tmpdir

src="$tmpdir/src.raw"
# Random data with one compressing thread: a few seconds of work (libdeflate
# takes about 90 MB/s of it on the build VM, so 96 MiB was too little).
head -c 256M /dev/urandom >"$src"

for sig in TERM INT; do
    "$FERRY" convert -c -m 1 -O qcow2 "$src" "$tmpdir/dst.qcow2" 2>"$tmpdir/err" &
    pid=$!
    await_part "$tmpdir"
    kill -s "$sig" "$pid"
    set +e
    wait "$pid"
    status=$?
    set -e
    assert_eq "$status" 130 "exit status after SIG$sig"
    [ ! -e "$tmpdir/dst.qcow2" ] || fail "DST exists after SIG$sig"
    assert_eq "$(ls -A "$tmpdir" | grep -c '\.part$' || true)" 0 "temporaries after SIG$sig"
    # 130 is also what a shell reports for a process that SIGINT killed
    # without handling it: only ferry's own line shows that it cancelled
    # the copy and cleaned up.
    assert_eq "$(cat "$tmpdir/err")" "ferry: Operation was cancelled" \
        "stderr after SIG$sig"
done
