#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The SFTP writer: a 256 MiB sparse file arrives with the same SHA-256 (as
# sha256sum on the "remote" side says), its holes stay holes, no .part is
# left; a second put replaces the file; a resumed put continues a .part;
# a rate limit holds; a missing directory is FERRY_ERROR_NOT_FOUND.
. "$top_srcdir/tests/integration/functions.sh"
requires python3 sha256sum
make_tmpdir
start_sshd
ssh_client_key ed25519 id
t="$top_builddir/tests/tools/ssh-tool -p $sshd_port --known-hosts $sshd_known_hosts -i $tmpdir/id"
mkdir "$tmpdir/remote"

# 256 MiB: random data at a few places, holes between, a hole at the end.
python3 - "$tmpdir/disk.img" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    f.truncate(256 << 20)
    for mib in (0, 3, 64, 65, 130, 200):
        f.seek(mib << 20)
        f.write(os.urandom((1 << 20) + 4097))
PY
local_sum=$(sha256sum <"$tmpdir/disk.img" | cut -d' ' -f1)

out=$($t put root@127.0.0.1 "$tmpdir/disk.img" "$tmpdir/remote/disk.img")
assert_contains "$out" "268435456 bytes, " "put summary"
sent=$(echo "$out" | sed -n 's/.*bytes, \([0-9]*\) sent.*/\1/p')
# Only the data extents travel (filesystem blocks round them up a little).
[ "$sent" -ge 6315590 ] && [ "$sent" -lt $((8 << 20)) ] ||
    fail "bytes sent for 6 MiB of data: $sent"
remote_sum=$($t exec root@127.0.0.1 sha256sum -- "$tmpdir/remote/disk.img" | cut -d' ' -f1)
assert_eq "$remote_sum" "$local_sum" "sha256 of the remote copy"
[ ! -e "$tmpdir/remote/disk.img.part" ] || fail "the .part file was left behind"
used_kib=$(du -k "$tmpdir/remote/disk.img" | cut -f1)
[ "$used_kib" -lt 16384 ] || fail "remote copy is not sparse: $used_kib KiB allocated"
assert_eq "$($t stat root@127.0.0.1 "$tmpdir/remote/disk.img")" 268435456 "remote size by sftp stat"
free=$($t statvfs root@127.0.0.1 "$tmpdir/remote")
[ "$free" -gt 0 ] || fail "statvfs reported no free space"

# Again, over the existing file (OpenSSH's rename refuses to replace).
printf 'changed' | dd of="$tmpdir/disk.img" bs=1 seek=100 conv=notrunc status=none
local_sum=$(sha256sum <"$tmpdir/disk.img" | cut -d' ' -f1)
$t put root@127.0.0.1 "$tmpdir/disk.img" "$tmpdir/remote/disk.img" >/dev/null
remote_sum=$($t exec root@127.0.0.1 sha256sum -- "$tmpdir/remote/disk.img" | cut -d' ' -f1)
assert_eq "$remote_sum" "$local_sum" "sha256 after replacing the remote file"

# Resume: a .part whose first 64 MiB + 1 byte (mid-extent) are good, as
# a job would have recorded, with garbage past that point that the
# resumed put must overwrite or cut off.
head -c $(((64 << 20) + 1)) "$tmpdir/disk.img" >"$tmpdir/remote/r.img.part"
head -c 1000 /dev/urandom >>"$tmpdir/remote/r.img.part"
# Garbage where the source has a hole, too: the writer cuts the .part at
# the resume point, so a skipped hole cannot keep it.
dd if=/dev/urandom of="$tmpdir/remote/r.img.part" bs=1M seek=100 count=1 status=none
truncate -s 300M "$tmpdir/remote/r.img.part"
out=$($t --resume-at $(((64 << 20) + 1)) put root@127.0.0.1 "$tmpdir/disk.img" "$tmpdir/remote/r.img")
assert_contains "$out" "resumed at 67108865" "resume offset"
remote_sum=$($t exec root@127.0.0.1 sha256sum -- "$tmpdir/remote/r.img" | cut -d' ' -f1)
assert_eq "$remote_sum" "$local_sum" "sha256 of a resumed copy"

# Rate limit: 2 MiB at 4 MiB/s cannot take less than half a second.
head -c $((2 << 20)) /dev/urandom >"$tmpdir/small.img"
out=$($t --bwlimit 4194304 --buffer-size 262144 put root@127.0.0.1 "$tmpdir/small.img" "$tmpdir/remote/small.img")
secs=$(echo "$out" | sed -n 's/.* \([0-9.]*\) s$/\1/p')
python3 -c "import sys; sys.exit(0 if float('$secs') >= 0.45 else 1)" ||
    fail "2 MiB at 4 MiB/s took only $secs s"
cmp "$tmpdir/small.img" "$tmpdir/remote/small.img" || fail "rate-limited copy differs"

# A directory that does not exist: NOT_FOUND (exit 3), nothing left.
set +e
$t put root@127.0.0.1 "$tmpdir/small.img" "$tmpdir/nodir/x.img" >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 3 "exit status for a missing remote directory"
assert_contains "$(cat "$tmpdir/err")" "sftp open '$tmpdir/nodir/x.img.part': no such file" \
    "missing directory message"
