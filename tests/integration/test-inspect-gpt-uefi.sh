#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry inspect --json` on a UEFI guest disk: GPT with an ESP holding the
# fallback loader, an ext4 root (os-release through a symlink, fstab by
# UUID, kernel, initramfs, GRUB, virtio and nvme drivers, cloud-init) and
# swap, read as raw, as a qcow2 overlay on it (backing file) and as a
# vmdk: every field checked against sfdisk --json, blkid -p and the values
# written, and the three reports equal apart from path and format.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/inspect-functions.sh"
make_tmpdir

root_uuid=3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f
swap_uuid=0e3cd63b-bdb4-4cfc-8c4e-3a2b1c0d9e8f
make_root "$tmpdir/root" debian 12 "Debian GNU/Linux 12 (bookworm)" 6.1.0-13-amd64
mkdir -p "$tmpdir/root/etc/cloud"
echo 'datasource_list: [ NoCloud ]' >"$tmpdir/root/etc/cloud/cloud.cfg"
mkfs.ext4 -q -F -U "$root_uuid" -L rootfs -d "$tmpdir/root" "$tmpdir/root.img" 64M
ext_write "$tmpdir/root.img" /etc/fstab "UUID=$root_uuid / ext4 errors=remount-ro 0 1
UUID=ABCD-1234 /boot/efi vfat umask=0077 0 1
UUID=$swap_uuid none swap sw 0 0
"
make_esp "$tmpdir/esp.img" 32768 ABCD1234 BOOTX64.EFI
truncate -s 16M "$tmpdir/swap.img"
mkswap -q -U "$swap_uuid" -L swap0 "$tmpdir/swap.img" 2>/dev/null

disk=$tmpdir/disk.raw
truncate -s 200M "$disk"
sfdisk -q "$disk" <<EOF
label: gpt
start=2048, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=EFI
start=67584, size=131072, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
start=198656, size=32768, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F
EOF
place "$disk" "$tmpdir/esp.img" 2048
place "$disk" "$tmpdir/root.img" 67584
place "$disk" "$tmpdir/swap.img" 198656

qemu-img create -q -f qcow2 -b "$disk" -F raw "$tmpdir/overlay.qcow2"
qemu-img convert -O vmdk "$disk" "$tmpdir/disk.vmdk"

for img in "$disk" "$tmpdir/overlay.qcow2" "$tmpdir/disk.vmdk"; do
    "$FERRY" inspect --json "$img" >"$img.json" || fail "inspect $img failed"
done
r=$disk.json
oracle "$disk" "$r"

check_report "$r" "r['source']" "\"$disk\""
check_report "$r" "r['disks'][0]['virtual-size']" 209715200
check_report "$r" "r['disks'][0]['gpt']['primary-header-ok']" true
check_report "$r" "r['disks'][0]['gpt']['backup-header-ok']" true
check_report "$r" "[p['type'] for p in r['disks'][0]['partitions']]" '["esp", "linux", "swap"]'
check_report "$r" "r['disks'][0]['partitions'][0]['fallback-loader']" '"EFI/BOOT/BOOTX64.EFI"'
check_report "$r" "r['disks'][0]['partitions'][1]['filesystem']['block-size']" \
    "$(dumpe2fs -h "$tmpdir/root.img" 2>/dev/null | sed -n 's/^Block size: *//p')"
# dumpe2fs prints the features; the order may differ.
check_report "$r" "sorted(r['disks'][0]['partitions'][1]['filesystem']['features'])" \
    "$(dumpe2fs -h "$tmpdir/root.img" 2>/dev/null | sed -n 's/^Filesystem features: *//p' |
       python3 -c 'import json,sys; print(json.dumps(sorted(sys.stdin.read().split())))')"
check_report "$r" "r['disks'][0]['notes']" '[]'

check_report "$r" "r['os']['root']" '"disk 0 partition 2"'
check_report "$r" "r['os']['fstab']" "[{\"by\": \"uuid\", \"file\": \"/\", \"spec\": \"UUID=$root_uuid\", \"vfstype\": \"ext4\"}, {\"by\": \"uuid\", \"file\": \"/boot/efi\", \"spec\": \"UUID=ABCD-1234\", \"vfstype\": \"vfat\"}, {\"by\": \"uuid\", \"file\": \"none\", \"spec\": \"UUID=$swap_uuid\", \"vfstype\": \"swap\"}]"
check_report "$r" "r['os']['kernels']" '["6.1.0-13-amd64"]'
check_report "$r" "r['os']['initramfs']" '["initrd.img-6.1.0-13-amd64"]'
check_report "$r" "r['os']['grub']" '"/boot/grub/grub.cfg"'

g="r['guest']"
check_report "$r" "$g['firmware']" '"uefi"'
check_report "$r" "$g['arch']" null
check_report "$r" "$g['disk-count']" 1
check_report "$r" "$g['os-disk-size']" 209715200
check_report "$r" "$g['largest-disk-size']" 209715200
check_report "$r" "$g['partition-tables']" '["gpt"]'
check_report "$r" "$g['os-disk-partition-table']" '"gpt"'
check_report "$r" "[$g['lvm'], $g['luks'], $g['raid']]" '[false, false, false]'
check_report "$r" "$g['filesystem-types']" '["ext4", "swap", "vfat"]'
check_report "$r" "$g['root-fs-type']" '"ext4"'
check_report "$r" "$g['boot-separate']" false
check_report "$r" "$g['mount-points']" '["/", "/boot/efi"]'
check_report "$r" "$g['fstab-by-device']" false
check_report "$r" "$g['esp']" true
check_report "$r" "$g['fallback-loader']" true
check_report "$r" "$g['mbr-boot-code']" false
check_report "$r" "$g['bios-boot']" false
check_report "$r" "$g['os-id']" '"debian"'
check_report "$r" "$g['os-version-id']" '"12"'
check_report "$r" "$g['os-pretty-name']" '"Debian GNU/Linux 12 (bookworm)"'
check_report "$r" "$g['kernel-count']" 1
check_report "$r" "$g['drivers']" '["nvme", "virtio_blk", "virtio_net"]'
check_report "$r" "$g['cloud-init']" true
check_report "$r" "$g['disk-formats']" '["raw"]'
check_report "$r" "$g['disk-buses']" '[]'
# Every key of docs/inspect.md's table, and no other.
check_report "$r" "sorted($g)" "$(awk '/^\| key \| type \| meaning \|/ { t = 1; next } t && /^$/ { t = 0 } t' \
    "$top_srcdir/docs/inspect.md" | sed -n 's/^| \([a-z-]*\) | .*/\1/p' | grep -v '^-' |
    python3 -c 'import json,sys; print(json.dumps(sorted(sys.stdin.read().split())))')"
bytes=$(report "$r" "r['bytes-read']")
[ "$bytes" -gt 0 ] && [ "$bytes" -lt 4194304 ] || fail "bytes-read $bytes"

# The overlay and the vmdk read the same guest.
for other in "$tmpdir/overlay.qcow2" "$tmpdir/disk.vmdk"; do
    fmt=$(qemu-img info --output=json "$other" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')
    check_report "$other.json" "r['guest']['disk-formats']" "[\"$fmt\"]"
    a=$(report "$r" "{k: v for k, v in r.items() if k not in ('source', 'disks', 'guest')}")
    b=$(report "$other.json" "{k: v for k, v in r.items() if k not in ('source', 'disks', 'guest')}")
    assert_eq "$b" "$a" "os of $other"
    a=$(report "$r" "[{k: v for k, v in p.items()} for p in r['disks'][0]['partitions']]")
    b=$(report "$other.json" "[{k: v for k, v in p.items()} for p in r['disks'][0]['partitions']]")
    assert_eq "$b" "$a" "partitions of $other"
    a=$(report "$r" "{k: v for k, v in r['guest'].items() if k != 'disk-formats'}")
    b=$(report "$other.json" "{k: v for k, v in r['guest'].items() if k != 'disk-formats'}")
    assert_eq "$b" "$a" "guest facts of $other"
done

# The human summary says the same in a few lines.
out=$("$FERRY" inspect "$tmpdir/overlay.qcow2")
assert_contains "$out" "os: Debian GNU/Linux 12 (bookworm) (disk 0 partition 2)" "summary"
assert_contains "$out" "fallback loader: EFI/BOOT/BOOTX64.EFI" "summary"
assert_contains "$out" "drivers: nvme, virtio_blk, virtio_net" "summary"
