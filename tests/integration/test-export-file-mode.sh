#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Modes of what ferry writes into a file:// pool, with a permissive umask
# (022) so that only ferry's own choice shows: the disk's .part is 0600
# while it is being copied (seen with stat during a --bwlimit'ed export),
# and the finished disk, domain XML and manifest are 0600 too: guest disks
# hold the guests' secrets.  A .part an older run left world-readable is
# 0600 again once --resume continues it.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io stat
make_tmpdir
umask 022

img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_image raw "$img/root.raw" 8M "0x5a 0 8M"
name=ferry-test-$$-mode
write_test_host "$name" "vda:raw:$img/root.raw"
uri=$test_host_uri
disk=$name-vda.raw

# 8 MiB at 2 MiB/s: about 4 s of copying.
$FERRY export "$name" --connect "$uri" --to "file://$pool" --format raw \
    --bwlimit 2M 2>"$tmpdir/err" &
ferry_pid=$!
await_part "$pool"
[ -f "$pool/$disk.part" ] && [ ! -L "$pool/$disk.part" ] || fail "the .part is not a regular file"
assert_eq "$(stat -c '%a' "$pool/$disk.part")" 600 "mode of the .part while copying"
wait "$ferry_pid" || fail "export: $(cat "$tmpdir/err")"
qemu-img compare -q -f raw -F raw "$img/root.raw" "$pool/$disk" || fail "vda differs"
assert_no_part "$pool"
for f in "$disk" "$name.xml" "$name.ferry.json"; do
    assert_eq "$(stat -c '%a' "$pool/$f")" 600 "mode of $f"
done

# --resume over a 0644 .part (the first 2 MiB of the right output).
mkdir "$tmpdir/pool2"
head -c 2097152 "$pool/$disk" >"$tmpdir/pool2/$disk.part"
chmod 0644 "$tmpdir/pool2/$disk.part"
$FERRY export "$name" --connect "$uri" --to "file://$tmpdir/pool2" --format raw \
    --resume --bwlimit 2M 2>"$tmpdir/err" &
ferry_pid=$!
sleep 1
assert_eq "$(stat -c '%a' "$tmpdir/pool2/$disk.part")" 600 "mode of a resumed .part"
wait "$ferry_pid" || fail "export --resume: $(cat "$tmpdir/err")"
cmp "$pool/$disk" "$tmpdir/pool2/$disk" || fail "resumed vda differs"
assert_eq "$(stat -c '%a' "$tmpdir/pool2/$disk")" 600 "mode of the resumed disk"
