#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry inspect --json` on a BIOS guest disk: MBR with boot code, /boot on
# its own ext3 primary partition, the ext4 root and swap as logical
# partitions in an extended one, and an fstab naming devices by /dev/vda5
# and /dev/vda1 (which AWS and Azure rename), /lib a symlink to usr/lib
# (merged /usr, whose modules are still found): checked against sfdisk
# --json, blkid -p and the values written, as raw and as a qcow2 overlay.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/inspect-functions.sh"
make_tmpdir

make_root "$tmpdir/root" rocky 9.3 "Rocky Linux 9.3 (Blue Onyx)" 5.14.0-362.el9.x86_64
# Merged /usr, as RHEL 9 has it: /lib is a symlink to usr/lib.
mv "$tmpdir/root/lib/modules" "$tmpdir/root/usr/lib/modules"
rmdir "$tmpdir/root/lib"
ln -s usr/lib "$tmpdir/root/lib"
# /boot moves to its own filesystem, kernels named as on RHEL.
mkdir -p "$tmpdir/boot"
mv "$tmpdir/root/boot/grub" "$tmpdir/boot/grub2"
mv "$tmpdir/root/boot/vmlinuz-5.14.0-362.el9.x86_64" "$tmpdir/boot/"
rm "$tmpdir/root/boot/initrd.img-5.14.0-362.el9.x86_64"
echo initramfs >"$tmpdir/boot/initramfs-5.14.0-362.el9.x86_64.img"
echo kernel >"$tmpdir/boot/vmlinuz-0-rescue-0123456789abcdef"
mkfs.ext3 -q -F -L boot -d "$tmpdir/boot" "$tmpdir/boot.img" 32M
mkfs.ext4 -q -F -L root -d "$tmpdir/root" "$tmpdir/root.img" 64M
ext_write "$tmpdir/root.img" /etc/fstab "# /etc/fstab
/dev/vda5   /       ext4   defaults   1 1
/dev/vda1   /boot   ext3   defaults   1 2
/dev/vda6   swap    swap   defaults   0 0
tmpfs       /tmp    tmpfs  defaults   0 0
"
truncate -s 16M "$tmpdir/swap.img"
mkswap -q "$tmpdir/swap.img" 2>/dev/null

disk=$tmpdir/disk.raw
truncate -s 200M "$disk"
sfdisk -q "$disk" <<EOF
label: dos
start=2048, size=65536, type=83, bootable
start=67584, type=5
start=69632, size=131072, type=83
start=202752, size=32768, type=82
EOF
place "$disk" "$tmpdir/boot.img" 2048
place "$disk" "$tmpdir/root.img" 69632
place "$disk" "$tmpdir/swap.img" 202752
# GRUB's boot.img starts with a jump; any non-zero code counts.
printf '\353\143\220' | dd of="$disk" conv=notrunc status=none
qemu-img create -q -f qcow2 -b "$disk" -F raw "$tmpdir/overlay.qcow2"

"$FERRY" inspect --json "$disk" >"$tmpdir/raw.json" || fail "inspect failed"
"$FERRY" inspect --json "$tmpdir/overlay.qcow2" >"$tmpdir/qcow2.json" ||
    fail "inspect of the overlay failed"
r=$tmpdir/raw.json
oracle "$disk" "$r"

check_report "$r" "[(p['number'], p['type'], p['type-id'], p['logical']) for p in r['disks'][0]['partitions']]" \
    '[[1, "linux", "0x83", false], [2, "extended", "0x05", false], [5, "linux", "0x83", true], [6, "swap", "0x82", true]]'
check_report "$r" "r['disks'][0]['partitions'][1]['filesystem']" null
check_report "$r" "r['disks'][0]['gpt']" null
check_report "$r" "r['disks'][0]['mbr-boot-code']" true
check_report "$r" "r['os']['root']" '"disk 0 partition 5"'
check_report "$r" "[e['by'] for e in r['os']['fstab']]" '["device", "device", "device", "other"]'
check_report "$r" "r['os']['kernels']" '["0-rescue-0123456789abcdef", "5.14.0-362.el9.x86_64"]'
check_report "$r" "r['os']['initramfs']" '["initramfs-5.14.0-362.el9.x86_64.img"]'
check_report "$r" "r['os']['grub']" '"/boot/grub2/grub.cfg"'

g="r['guest']"
check_report "$r" "$g['firmware']" '"bios"'
check_report "$r" "$g['partition-tables']" '["mbr"]'
check_report "$r" "$g['filesystem-types']" '["ext3", "ext4", "swap"]'
check_report "$r" "$g['root-fs-type']" '"ext4"'
check_report "$r" "$g['boot-separate']" true
check_report "$r" "$g['mount-points']" '["/", "/boot", "/tmp"]'
check_report "$r" "$g['fstab-by-device']" true
check_report "$r" "[$g['esp'], $g['fallback-loader']]" '[false, false]'
check_report "$r" "$g['mbr-boot-code']" true
check_report "$r" "$g['bios-boot']" true
check_report "$r" "[$g['os-id'], $g['os-version-id'], $g['os-pretty-name']]" \
    '["rocky", "9.3", "Rocky Linux 9.3 (Blue Onyx)"]'
check_report "$r" "$g['kernel-count']" 2
check_report "$r" "$g['drivers']" '["nvme", "virtio_blk", "virtio_net"]'
check_report "$r" "$g['cloud-init']" false
check_report "$r" "$g['lvm']" false

# The overlay reads the same guest.
a=$(report "$r" "[r['os'], {k: v for k, v in r['guest'].items() if k != 'disk-formats'}]")
b=$(report "$tmpdir/qcow2.json" "[r['os'], {k: v for k, v in r['guest'].items() if k != 'disk-formats'}]")
assert_eq "$b" "$a" "the qcow2 overlay's report"

out=$("$FERRY" inspect "$disk")
assert_contains "$out" "fstab names devices by kernel name: yes" "summary"
assert_contains "$out" "firmware: bios" "summary"
