#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A vmdk conversion that cannot finish leaves nothing behind: a source that
# fails half-way (a qcow2 cut short) stops both subformats with one line
# naming the source, no DST and no temporary, an existing DST untouched;
# SIGTERM in the middle of a streamOptimized copy exits 130 and removes the
# temporary, to a file and to a pipe.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io
make_tmpdir

src="$tmpdir/src.qcow2"
qemu-img create -q -f qcow2 "$src" 64M
qemu-io -f qcow2 -c 'write -P 0xab 0 8M' -c 'write -P 0xcd 40M 8M' "$src" >/dev/null
size=$(stat -c %s "$src")
truncate -s $((size * 3 / 4)) "$src"

for sub in streamOptimized monolithicSparse; do
    echo keep >"$tmpdir/kept.vmdk"
    for dst in "$tmpdir/dst.vmdk" "$tmpdir/kept.vmdk" -; do
        set +e
        "$FERRY" convert -O vmdk -o subformat=$sub "$src" "$dst" >"$tmpdir/out" 2>"$tmpdir/err"
        status=$?
        set -e
        [ "$status" != 0 ] || fail "$sub from a truncated source to $dst exited 0"
        assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr ($sub to $dst)"
        assert_contains "$(cat "$tmpdir/err")" "ferry: $src" "message names the source ($sub to $dst)"
    done
    [ ! -e "$tmpdir/dst.vmdk" ] || fail "DST exists after a failed $sub"
    assert_eq "$(cat "$tmpdir/kept.vmdk")" keep "existing DST after a failed $sub"
done
assert_eq "$(ls -A "$tmpdir" | grep -c '\.part$' || true)" 0 "temporaries left"

# Random data with one compressing thread: a few seconds of work.
big="$tmpdir/random.raw"
head -c 256M /dev/urandom >"$big"
"$FERRY" convert -m 1 -O vmdk -o subformat=streamOptimized "$big" "$tmpdir/dst.vmdk" \
    2>"$tmpdir/err" &
pid=$!
await_part "$tmpdir"
kill -s TERM "$pid"
set +e
wait "$pid"
status=$?
set -e
assert_eq "$status" 130 "exit status after SIGTERM"
[ ! -e "$tmpdir/dst.vmdk" ] || fail "DST exists after SIGTERM"
assert_eq "$(ls -A "$tmpdir" | grep -c '\.part$' || true)" 0 "temporaries after SIGTERM"

# Into a pipe: the reader sees the stream stop, ferry exits 130.
fifo="$tmpdir/fifo"
mkfifo "$fifo"
cat "$fifo" >/dev/null &
reader=$!
"$FERRY" convert -m 1 -O vmdk -o subformat=streamOptimized "$big" - \
    >"$fifo" 2>"$tmpdir/err" &
pid=$!
sleep 0.5
kill -s TERM "$pid"
set +e
wait "$pid"
status=$?
set -e
wait "$reader" || true
assert_eq "$status" 130 "exit status after SIGTERM into a pipe"
assert_contains "$(cat "$tmpdir/err")" "ferry: " "message after SIGTERM into a pipe"
