# SPDX-License-Identifier: LGPL-2.1-or-later
# inspect-functions.sh: building real guest disks for `ferry inspect` tests,
# without mounting anything: filesystems are made as separate files (mkfs
# -d fills an ext tree, debugfs -w writes os-release and fstab, mtools
# writes the ESP) and dd'd into a disk at the offsets sfdisk laid out.
# Sourced after functions.sh.

requires sfdisk blkid mkfs.ext4 mkfs.ext3 mkfs.vfat mkswap debugfs mmd mcopy \
    qemu-img python3

# make_root DIR ID VERSION_ID PRETTY KVER: an OS tree as Debian lays it out,
# os-release a relative symlink into /usr/lib, one kernel with initramfs,
# GRUB's config, virtio_blk (.ko) and virtio_net (.ko.xz) modules, and nvme
# built in (modules.builtin).
make_root() {
    d=$1
    mkdir -p "$d/etc" "$d/usr/lib" "$d/boot/grub" \
        "$d/lib/modules/$5/kernel/drivers/block" \
        "$d/lib/modules/$5/kernel/drivers/net"
    printf 'PRETTY_NAME="%s"\nNAME="test"\nVERSION_ID="%s"\nID=%s\n' \
        "$4" "$3" "$2" >"$d/usr/lib/os-release"
    ln -s ../usr/lib/os-release "$d/etc/os-release"
    echo kernel >"$d/boot/vmlinuz-$5"
    echo initrd >"$d/boot/initrd.img-$5"
    echo 'set default=0' >"$d/boot/grub/grub.cfg"
    echo module >"$d/lib/modules/$5/kernel/drivers/block/virtio_blk.ko"
    echo module >"$d/lib/modules/$5/kernel/drivers/net/virtio_net.ko.xz"
    printf 'kernel/drivers/nvme/host/nvme.ko\n' \
        >"$d/lib/modules/$5/modules.builtin"
}

# ext_write IMG PATH TEXT: writes TEXT into PATH (its directory exists) of
# the ext image, with debugfs -w (no mount).
ext_write() {
    printf '%s' "$3" >"$tmpdir/ext_write.tmp"
    debugfs -w -R "write $tmpdir/ext_write.tmp $2" "$1" >/dev/null 2>&1
    debugfs -R "cat $2" "$1" 2>/dev/null | cmp -s - "$tmpdir/ext_write.tmp" ||
        fail "debugfs did not write $2 into $1"
}

# make_esp IMG SIZE_KIB VOLID [LOADER]: a FAT ESP with EFI/BOOT/LOADER.
make_esp() {
    mkfs.vfat -C -i "$3" -n ESP "$1" "$2" >/dev/null
    mmd -i "$1" ::/EFI ::/EFI/BOOT ::/EFI/debian
    echo grub >"$tmpdir/grubx64.efi"
    mcopy -i "$1" "$tmpdir/grubx64.efi" ::/EFI/debian/grubx64.efi
    if [ -n "${4:-}" ]; then
        mcopy -i "$1" "$tmpdir/grubx64.efi" "::/EFI/BOOT/$4"
    fi
}

# place DISK IMG START_SECTOR: copies a filesystem image into the disk.
place() {
    dd if="$2" of="$1" bs=512 seek="$3" conv=notrunc status=none
}

# report FILE EXPR: the JSON value of a Python expression over the report
# r (json.dumps: true, null, "text", [..]).
report() {
    python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps(eval(sys.argv[2]), sort_keys=True))' "$1" "$2"
}

# check_report REPORT EXPR EXPECTED
check_report() {
    assert_eq "$(report "$1" "$2")" "$3" "$2"
}

# oracle RAW REPORT [DISK]: partitions checked against sfdisk --json and
# every filesystem against blkid -p at its offset (inspect_oracle.py).
oracle() {
    python3 "$top_srcdir/tests/integration/inspect_oracle.py" "$@" ||
        fail "report $2 disagrees with sfdisk/blkid on $1"
}
