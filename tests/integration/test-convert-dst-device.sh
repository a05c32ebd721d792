#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# DST that is a device node or a directory is refused (exit 2, one line
# naming it), not replaced: ferry writes a temporary and renames it into
# place, which over a device node would put a regular file where the
# device was (it once turned this machine's /dev/null into a file).  A
# null device node of the test's own (mknod, as root) stays a character
# device; `-` (standard output) is the way to discard an output.
. "$top_srcdir/tests/integration/functions.sh"
requires_root
requires qemu-img mknod stat
make_tmpdir
qemu-img create -q -f raw "$tmpdir/src.raw" 4M
mknod -m 666 "$tmpdir/null" c 1 3
mkdir "$tmpdir/dir"

refused() {   # DST WORDS
    set +e
    "$FERRY" convert -O raw "$tmpdir/src.raw" "$1" >"$tmpdir/out" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" 2 "exit status for DST $1"
    assert_eq "$(cat "$tmpdir/err")" "ferry: $1: not a regular file ($2): ferry writes a new file and renames it into place; name a file, or '-' for standard output" \
        "message for DST $1"
}
refused "$tmpdir/null" "a character device"
assert_eq "$(stat -c %F "$tmpdir/null")" "character special file" "the device node after convert"
refused "$tmpdir/dir" "a directory"
assert_eq "$(ls -A "$tmpdir" | sort | tr '\n' ' ')" "dir err null out src.raw " "no temporary left"
"$FERRY" convert -O raw "$tmpdir/src.raw" - >"$tmpdir/null" || fail "convert to - failed"
assert_eq "$(stat -c %F "$tmpdir/null")" "character special file" "the device node after a redirect"
