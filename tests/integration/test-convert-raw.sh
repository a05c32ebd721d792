#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry convert -O raw` copies a raw image with data and holes exactly
# (qemu-img compare), keeps the holes, writes to stdout with "-", and
# leaves no temporary behind.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io
make_tmpdir

src="$tmpdir/src.raw"
qemu-img create -q -f raw "$src" 256M
qemu-io -f raw -c 'write -P 0xab 1M 3M' -c 'write -P 0xcd 100M 64k' \
    -c 'write -P 0x11 255M 1M' "$src" >/dev/null
# Odd sizes: not a multiple of the chunk or of 512.
qemu-img create -q -f raw "$tmpdir/odd.raw" 3000001
qemu-io -f raw -c 'write -P 0x5a 2999000 1001' "$tmpdir/odd.raw" >/dev/null

"$FERRY" convert -O raw "$src" "$tmpdir/dst.raw"
qemu-img compare -q -f raw -F raw "$src" "$tmpdir/dst.raw" ||
    fail "raw->raw output differs from the source"
size=$(stat -c %s "$tmpdir/dst.raw")
assert_eq "$size" 268435456 "size of the raw output"
used=$(($(stat -c %b "$tmpdir/dst.raw") * 512))
[ "$used" -lt 16777216 ] || fail "raw output is not sparse: $used bytes allocated"

"$FERRY" convert -f raw -O raw "$tmpdir/odd.raw" "$tmpdir/odd-out.raw"
cmp "$tmpdir/odd.raw" "$tmpdir/odd-out.raw" || fail "odd-sized copy differs"

"$FERRY" convert -O raw "$src" - >"$tmpdir/stdout.raw"
cmp "$src" "$tmpdir/stdout.raw" || fail "raw to stdout differs"

"$FERRY" convert --sha256 --json -O raw "$src" "$tmpdir/hashed.raw" >"$tmpdir/result.json"
want=$(sha256sum "$tmpdir/hashed.raw" | cut -d' ' -f1)
assert_contains "$(cat "$tmpdir/result.json")" "\"sha256\" : \"$want\"" "--sha256 digest"
# Without --json, --checksum prints sha256sum's line (checkable by it); to
# stdout, the image goes to stdout and the line to stderr.
(cd "$tmpdir" && "$FERRY" convert --checksum -O raw "$src" hashed2.raw >sum.txt &&
    sha256sum -c sum.txt >/dev/null) || fail "--checksum line does not check: $(cat "$tmpdir/sum.txt")"
"$FERRY" convert --checksum -O raw "$src" - >"$tmpdir/stdout2.raw" 2>"$tmpdir/sum2.txt"
cmp "$src" "$tmpdir/stdout2.raw" || fail "raw to stdout with --checksum differs"
assert_eq "$(cat "$tmpdir/sum2.txt")" "$want  -" "--checksum line for stdout"

# -t unsafe skips the fsyncs, not the rename: same bytes, same name.
"$FERRY" convert -t unsafe -O raw "$src" "$tmpdir/unsafe.raw"
cmp "$src" "$tmpdir/unsafe.raw" || fail "-t unsafe copy differs"

leftovers=$(find "$tmpdir" -name '*.part' | wc -l)
assert_eq "$leftovers" 0 "temporaries left behind"
