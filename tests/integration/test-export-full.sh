#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export to a pool that is too small (a 4 MiB tmpfs mounted here):
# refused before any byte is sent, with a message giving both sizes, exit
# 7, and nothing in the pool, over file:// and over ssh://.  The same
# domain then fits a 64 MiB tmpfs.  A pool that fills up in the middle of
# the copy (the test fills a 16 MiB tmpfs once the .part is growing) ends
# with exit 7 naming the .part, nothing under the final name, no .part
# and no manifest.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires qemu-img qemu-io mount umount
make_tmpdir
start_sshd
ssh_client_key ed25519 id

img=$tmpdir/img
mkdir "$img" "$tmpdir/small" "$tmpdir/big"
mount -t tmpfs -o size=4m ferry-test "$tmpdir/small" || skip "cannot mount a tmpfs"
cleanup_fn "umount '$tmpdir/small'"
mount -t tmpfs -o size=64m ferry-test "$tmpdir/big" || skip "cannot mount a tmpfs"
cleanup_fn "umount '$tmpdir/big'"
make_image qcow2 "$img/root.qcow2" 64M "0x22 0 8M"
name=ferry-test-$$-full
write_test_host "$name" "vda:qcow2:$img/root.qcow2"
uri=$test_host_uri

for to in "file://$tmpdir/small" "ssh://root@127.0.0.1:$sshd_port$tmpdir/small"; do
    set +e
    $FERRY export "$name" --connect "$uri" --to "$to" \
        --known-hosts "$sshd_known_hosts" --identity "$tmpdir/id" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" 7 "exit status for a full pool ($to)"
    assert_contains "$(cat "$tmpdir/err")" "not enough free space" "full pool message ($to)"
    assert_contains "$(cat "$tmpdir/err")" "available" "full pool message ($to)"
    assert_eq "$(ls -A "$tmpdir/small")" "" "full pool contents ($to)"
done

$FERRY export "$name" --connect "$uri" --to "file://$tmpdir/big" 2>"$tmpdir/err" ||
    fail "export into a pool with room: $(cat "$tmpdir/err")"
qemu-img compare -q "$img/root.qcow2" "$tmpdir/big/$name-vda.qcow2" || fail "vda differs"

# Full in the middle of the copy: 8 MiB of data at 2 MiB/s passes the
# free space check of a 16 MiB tmpfs, then a filler takes what is left.
mkdir "$tmpdir/mid"
mount -t tmpfs -o size=16m ferry-test "$tmpdir/mid" || skip "cannot mount a tmpfs"
cleanup_fn "umount '$tmpdir/mid'"
make_image raw "$img/data.raw" 8M "0x5a 0 8M"
name2=ferry-test-$$-midfull
write_test_host "$name2" "vda:raw:$img/data.raw"
$FERRY export "$name2" --connect "$test_host_uri" --to "file://$tmpdir/mid" \
    --format raw --bwlimit 2M 2>"$tmpdir/err" &
ferry_pid=$!
await_part "$tmpdir/mid"
dd if=/dev/zero of="$tmpdir/mid/filler" bs=64k status=none 2>/dev/null || true
set +e
wait "$ferry_pid"
status=$?
set -e
assert_eq "$status" 7 "exit status for a pool that fills up mid-copy"
assert_contains "$(cat "$tmpdir/err")" "$tmpdir/mid/$name2-vda.raw.part: No space left on device" \
    "message for a pool that fills up mid-copy"
assert_eq "$(ls -A "$tmpdir/mid")" "filler" "pool contents after it filled up mid-copy"
