#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A .part that changes on the target while ferry copies into it (a bad
# disk, a rogue writer): the test overwrites bytes ferry already wrote
# into the file:// pool's .part in the middle of a --bwlimit'ed export.
# The target's re-read hash no longer matches the stream's: exit 11, a
# message giving both hashes, nothing under the final name, no .part left,
# and no XML or manifest.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io sha256sum stat
make_tmpdir

img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_image raw "$img/root.raw" 8M "0x5a 0 8M"
name=ferry-test-$$-sum
write_test_host "$name" "vda:raw:$img/root.raw"
uri=$test_host_uri
disk=$name-vda.raw

# 8 MiB at 2 MiB/s: about 4 s of copying.
$FERRY export "$name" --connect "$uri" --to "file://$pool" --format raw \
    --bwlimit 2M 2>"$tmpdir/err" &
ferry_pid=$!
await_part "$pool"
# Once the first MiB is in, flip it: ferry never writes there again.
i=0
until [ "$(stat -c %s "$pool/$disk.part" 2>/dev/null || echo 0)" -ge 1048576 ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "the .part did not reach 1 MiB in 5 s"
    sleep 0.05
done
printf 'ferry-test corruption' |
    dd of="$pool/$disk.part" bs=1 seek=4096 conv=notrunc status=none
set +e
wait "$ferry_pid"
status=$?
set -e
assert_eq "$status" 11 "exit status for a .part changed under ferry"
assert_contains "$(cat "$tmpdir/err")" "'$disk.part': sha256 on the target is" "checksum message"
# The stream's hash in the message is the source's (the oracle: sha256sum).
assert_contains "$(cat "$tmpdir/err")" "the stream's is $(sha256sum "$img/root.raw" | cut -d' ' -f1)" \
    "stream's hash in the message"
[ ! -e "$pool/$disk" ] || fail "a file appeared under the final name"
assert_eq "$(ls -A "$pool")" "" "pool after a checksum mismatch"
