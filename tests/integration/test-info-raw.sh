#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry info --json` agrees with `qemu-img info --output=json` on a raw
# image's format and virtual size (a size that is no multiple of 512 too),
# and a missing file is one line on stderr with a non-zero status.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img python3
make_tmpdir

for size in 1M 1000000 3G; do
    img="$tmpdir/disk-$size.raw"
    qemu-img create -q -f raw "$img" "$size"
    ours=$("$FERRY" info --json "$img")
    theirs=$(qemu-img info --output=json "$img")
    for key in format virtual-size actual-size; do
        a=$(printf '%s' "$ours" | python3 -c "import json,sys; print(json.load(sys.stdin)['$key'])")
        b=$(printf '%s' "$theirs" | python3 -c "import json,sys; print(json.load(sys.stdin)['$key'])")
        assert_eq "$a" "$b" "$key of a $size raw image"
    done
done

out=$("$FERRY" info "$tmpdir/disk-1M.raw")
assert_contains "$out" "file format: raw" "text output"
assert_contains "$out" "(1048576 bytes)" "text output"

set +e
"$FERRY" info "$tmpdir/missing.raw" >"$tmpdir/out" 2>"$tmpdir/err"
status=$?
set -e
[ "$status" != 0 ] || fail "info on a missing file exited 0"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr for a missing file"
assert_contains "$(cat "$tmpdir/err")" "ferry: open: $tmpdir/missing.raw" "missing-file message"
