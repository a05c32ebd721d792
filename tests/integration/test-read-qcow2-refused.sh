#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# qcow2 images ferry must not read fail with one clear line naming the
# file and the reason, and a non-zero exit: a LUKS-encrypted image, an
# image whose L1 table runs past the end of the file, and a backing file
# that is missing.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img
make_tmpdir
cd "$tmpdir"

# expect_refused WHAT NEEDLE CMD...: CMD fails and its stderr names NEEDLE.
expect_refused() {
    what=$1 needle=$2; shift 2
    if "$@" >out 2>err; then
        fail "$what: succeeded"
    fi
    assert_contains "$(cat err)" "$needle" "$what"
    assert_eq "$(wc -l <err)" 1 "$what: lines on stderr"
}

# qemu-img times its PBKDF to pick an iteration count and gives up with
# "Unable to get accurate CPU usage" when a loaded machine starves that
# measurement (seen once at the start of test-all): try again.
for try in 1 2 3; do
    qemu-img create -q --object secret,id=sec0,data=123456 -f qcow2 \
        -o encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=100 \
        luks.qcow2 1M && break
    [ "$try" -lt 3 ] || fail "qemu-img could not make the luks image"
    sleep 1
done
expect_refused "luks image" "luks.qcow2: qcow2 header: crypt_method 2 (luks): encrypted qcow2 images are not supported" \
    "$FERRY" info luks.qcow2

qemu-img create -q -f qcow2 short.qcow2 1G
truncate -s 196608 short.qcow2     # header, refcount table, refcount block
expect_refused "truncated image" "short.qcow2: qcow2 header: l1_table_offset 0x30000" \
    "$FERRY" map --json short.qcow2

qemu-img create -q -f qcow2 -u -b missing.raw -F raw orphan.qcow2 1M
expect_refused "missing backing file" "missing.raw" "$FERRY" info orphan.qcow2
