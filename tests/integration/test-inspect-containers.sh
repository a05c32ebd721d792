#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry inspect --json` on disks with no readable root: a GPT holding an
# ESP without the fallback loader, an LVM2 PV (label written here, as
# pvcreate needs a block device), a LUKS2 header (cryptsetup luksFormat
# on a file), an xfs and a RAID member partition; and a second disk that
# is LUKS1 as a whole, without a partition table.  Types, UUIDs and labels
# checked against blkid -p, the table against sfdisk --json.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/inspect-functions.sh"
requires cryptsetup mkfs.xfs
make_tmpdir

make_esp "$tmpdir/esp.img" 16384 12345678
printf 'secret' >"$tmpdir/key"
truncate -s 32M "$tmpdir/luks2.img" "$tmpdir/disk1.raw"
cryptsetup luksFormat -q --batch-mode --type luks2 --pbkdf pbkdf2 \
    --pbkdf-force-iterations 1000 --label cryptroot --key-file "$tmpdir/key" \
    "$tmpdir/luks2.img"
cryptsetup luksFormat -q --batch-mode --type luks1 \
    --pbkdf-force-iterations 1000 --key-file "$tmpdir/key" "$tmpdir/disk1.raw"
truncate -s 300M "$tmpdir/xfs.img"
mkfs.xfs -q -f -L data "$tmpdir/xfs.img"
# An LVM2 PV label in sector 1 (lib/label/label.c): "LABELONE", its sector,
# the CRC of the rest (LVM's crc32: initial 0xf597a6cf, no final xor), the
# PV header's offset (32), "LVM2 001", then the PV UUID and device size.
truncate -s 16M "$tmpdir/pv.img"
python3 - "$tmpdir/pv.img" <<'EOPY'
import struct, sys, zlib
uuid = b"AbCdEf0123456789GhIjKlMnOpQrStUv"
body = struct.pack("<I", 32) + b"LVM2 001" + uuid + struct.pack("<Q", 16 << 20)
body += bytes(16 * 4)                      # empty data and metadata lists
body = body.ljust(512 - 20, b"\0")
crc = zlib.crc32(body, 0xf597a6cf ^ 0xffffffff) ^ 0xffffffff
label = b"LABELONE" + struct.pack("<QI", 1, crc) + body
with open(sys.argv[1], "r+b") as f:
    f.seek(512)
    f.write(label)
EOPY

disk=$tmpdir/disk0.raw
truncate -s 600M "$disk"
sfdisk -q "$disk" <<EOF
label: gpt
start=2048, size=32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
start=34816, size=32768, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, name=pv
start=67584, size=65536, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
start=133120, size=614400, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
start=747520, size=8192, type=A19D880F-05FC-4D3B-A006-743F0F84911E
EOF
place "$disk" "$tmpdir/esp.img" 2048
place "$disk" "$tmpdir/pv.img" 34816
place "$disk" "$tmpdir/luks2.img" 67584
place "$disk" "$tmpdir/xfs.img" 133120
blkid -p -O $((34816 * 512)) "$disk" | grep -q LVM2_member ||
    fail "blkid does not see the hand-written LVM2 label"

"$FERRY" inspect --json "$disk" "$tmpdir/disk1.raw" >"$tmpdir/r.json" ||
    fail "inspect failed"
r=$tmpdir/r.json
oracle "$disk" "$r" 0
oracle "$tmpdir/disk1.raw" "$r" 1

check_report "$r" "[p['type'] for p in r['disks'][0]['partitions']]" \
    '["esp", "lvm", "linux", "linux", "raid"]'
check_report "$r" "[(p['filesystem'] or {}).get('type') for p in r['disks'][0]['partitions']]" \
    '["vfat", "lvm2-pv", "luks", "xfs", "unknown"]'
check_report "$r" "r['disks'][0]['partitions'][1]['filesystem']['uuid']" '"AbCdEf-0123-4567-89Gh-IjKl-MnOp-QrStUv"'
check_report "$r" "r['disks'][0]['partitions'][2]['filesystem']['version']" '"2"'
check_report "$r" "r['disks'][0]['partitions'][0]['fallback-loader']" null
check_report "$r" "r['disks'][1]['partition-table']" '"none"'
check_report "$r" "r['disks'][1]['filesystem']['version']" '"1"'
check_report "$r" "r['os']" null
# Why no OS was read, where one may be.
check_report "$r" "r['disks'][0]['notes']" '["partition 2: lvm2-pv: its logical volumes are not read", "partition 3: luks: encrypted: nothing inside is read", "partition 4: xfs: identified only: files are read from ext2/3/4 alone"]'
check_report "$r" "r['disks'][1]['notes']" '["whole disk: luks: encrypted: nothing inside is read"]'

g="r['guest']"
check_report "$r" "$g['disk-count']" 2
check_report "$r" "$g['partition-tables']" '["gpt", "none"]'
check_report "$r" "$g['os-disk-size']" $((600 << 20))
check_report "$r" "$g['largest-disk-size']" $((600 << 20))
check_report "$r" "[$g['lvm'], $g['luks'], $g['raid']]" '[true, true, true]'
check_report "$r" "$g['filesystem-types']" '["luks", "lvm2-pv", "vfat", "xfs"]'
check_report "$r" "[$g['esp'], $g['fallback-loader']]" '[true, false]'
check_report "$r" "$g['firmware']" '"uefi"'
for key in root-fs-type boot-separate mount-points fstab-by-device os-id \
    os-version-id os-pretty-name kernel-count drivers cloud-init; do
    check_report "$r" "$g['$key']" null
done
check_report "$r" "$g['disk-formats']" '["raw", "raw"]'

out=$("$FERRY" inspect "$disk")
assert_contains "$out" "os: not found" "summary"
assert_contains "$out" "ESP: yes, fallback loader: no" "summary"
