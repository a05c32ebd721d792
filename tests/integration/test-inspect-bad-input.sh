#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry inspect` on what is no guest disk: text is a raw disk with
# nothing recognised; a GPT disk cut short loses its backup header (noted,
# the primary still read); a GPT whose primary entries CRC is wrong falls
# back to the backup; an ext4 whose superblock is damaged is typed by its
# magic but noted as unreadable, with no OS; os-release symlinks that loop
# are given up after libext2fs's 8 hops; a missing file or domain and
# a corrupt qcow2 are one "ferry:" line on stderr and the exit status of
# agent_exit_status().  Nothing crashes.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/inspect-functions.sh"
make_tmpdir

# expect_fail STATUS NEEDLE ARGS...: exits with STATUS, one stderr line.
expect_fail() {
    want=$1 needle=$2
    shift 2
    set +e
    "$FERRY" inspect "$@" >"$tmpdir/out" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" "$want" "exit status of inspect $*"
    assert_eq "$(wc -l <"$tmpdir/err")" 1 "stderr lines of inspect $*"
    assert_contains "$(cat "$tmpdir/err")" "ferry: " "stderr of inspect $*"
    assert_contains "$(cat "$tmpdir/err")" "$needle" "stderr of inspect $*"
}

# Text: a raw "disk" with no table and nothing recognised.
seq 1 20000 >"$tmpdir/text"
"$FERRY" inspect --json "$tmpdir/text" >"$tmpdir/text.json"
check_report "$tmpdir/text.json" "r['disks'][0]['partition-table']" '"none"'
check_report "$tmpdir/text.json" "r['disks'][0]['filesystem']['type']" '"unknown"'
check_report "$tmpdir/text.json" "[r['os'], r['guest']['firmware']]" '[null, null]'

# A GPT disk cut short: the backup header is gone.
truncate -s 64M "$tmpdir/gpt.raw"
sfdisk -q "$tmpdir/gpt.raw" <<EOF
label: gpt
start=2048, size=16384, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
start=18432, size=16384, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
EOF
cp "$tmpdir/gpt.raw" "$tmpdir/cut.raw"
truncate -s 40M "$tmpdir/cut.raw"
"$FERRY" inspect --json "$tmpdir/cut.raw" >"$tmpdir/cut.json"
check_report "$tmpdir/cut.json" "r['disks'][0]['gpt']['primary-header-ok']" true
check_report "$tmpdir/cut.json" "r['disks'][0]['gpt']['backup-header-ok']" false
check_report "$tmpdir/cut.json" "len(r['disks'][0]['partitions'])" 2
check_report "$tmpdir/cut.json" "'backup GPT header' in r['disks'][0]['notes'][0]" true

# Primary entries damaged: the backup's table is used.
cp "$tmpdir/gpt.raw" "$tmpdir/crc.raw"
printf 'XX' | dd of="$tmpdir/crc.raw" bs=1 seek=$((2 * 512 + 200)) conv=notrunc status=none
"$FERRY" inspect --json "$tmpdir/crc.raw" >"$tmpdir/crc.json"
check_report "$tmpdir/crc.json" "[r['disks'][0]['gpt'][k] for k in ('primary-header-ok', 'backup-header-ok')]" '[false, true]'
check_report "$tmpdir/crc.json" "[p['start'] for p in r['disks'][0]['partitions']]" "[$((2048 * 512)), $((18432 * 512))]"
check_report "$tmpdir/crc.json" "r['disks'][0]['notes']" '["primary GPT: PartitionEntryArrayCRC32 0x'"$(python3 -c "
import struct; d = open('$tmpdir/gpt.raw', 'rb').read(1024); print('%08x' % struct.unpack_from('<I', d, 512 + 88)[0])")"' does not match the entries"]'

# An ext4 whose superblock says 0 blocks per group: with metadata_csum
# its checksum no longer matches, without it libext2fs finds it corrupt.
make_root "$tmpdir/root" debian 12 "Debian 12" 6.1.0-13-amd64
for csum in metadata_csum ^metadata_csum; do
    mkfs.ext4 -q -F -O "$csum" -d "$tmpdir/root" "$tmpdir/ext.img" 16M
    python3 - "$tmpdir/ext.img" <<'EOPY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(1024 + 32)                       # s_blocks_per_group
    f.write(struct.pack("<I", 0))
EOPY
    cp "$tmpdir/gpt.raw" "$tmpdir/badext.raw"
    place "$tmpdir/badext.raw" "$tmpdir/ext.img" 2048
    "$FERRY" inspect --json "$tmpdir/badext.raw" >"$tmpdir/badext.json"
    check_report "$tmpdir/badext.json" "r['disks'][0]['partitions'][0]['filesystem']['type']" '"ext4"'
    check_report "$tmpdir/badext.json" "r['os']" null
    case $csum in
        ^*) why="The ext2 superblock is corrupt" ;;
        *) why="Superblock checksum does not match superblock" ;;
    esac
    check_report "$tmpdir/badext.json" "r['disks'][0]['notes']" \
        "[\"disk 0 partition 1: ext filesystem: $why\"]"
done

# Failures: one line, the status of the error's code.
expect_fail 3 "missing.qcow2" "$tmpdir/missing.qcow2" "$tmpdir/text"
qemu-img create -q -f qcow2 "$tmpdir/bad.qcow2" 1G
printf '\377\377\377\377' | dd of="$tmpdir/bad.qcow2" bs=1 seek=36 conv=notrunc status=none
expect_fail 6 "bad.qcow2" "$tmpdir/bad.qcow2"
expect_fail 3 "'no-such-domain' is neither a file nor a domain" \
    --connect test:///default no-such-domain
expect_fail 2 "a domain or an image is required"

# os-release symlinks that loop stop at libext2fs's 8 hops (no os-release
# is read); with no fstab entry for /boot, the kernel is found on the other
# ext filesystem that holds one, a whole-disk ext2 on a second disk.
mkdir -p "$tmpdir/loop/etc" "$tmpdir/loop/boot" "$tmpdir/bootfs"
ln -s os-release2 "$tmpdir/loop/etc/os-release"
ln -s os-release "$tmpdir/loop/etc/os-release2"
printf '/dev/vda1 / ext4 defaults 0 1\n' >"$tmpdir/loop/etc/fstab"
echo kernel >"$tmpdir/bootfs/vmlinuz-6.6.0"
mkfs.ext4 -q -F -d "$tmpdir/loop" "$tmpdir/loop.img" 8M
mkfs.ext2 -q -F -d "$tmpdir/bootfs" "$tmpdir/bootfs.img" 4M
cp "$tmpdir/gpt.raw" "$tmpdir/loop.raw"
place "$tmpdir/loop.raw" "$tmpdir/loop.img" 2048
"$FERRY" inspect --json "$tmpdir/loop.raw" "$tmpdir/bootfs.img" >"$tmpdir/loop.json"
check_report "$tmpdir/loop.json" "r['os']['root']" '"disk 0 partition 1"'
check_report "$tmpdir/loop.json" "[r['os']['id'], r['os']['pretty-name']]" '[null, null]'
check_report "$tmpdir/loop.json" "r['os']['kernels']" '["6.6.0"]'
check_report "$tmpdir/loop.json" "r['guest']['boot-separate']" false
check_report "$tmpdir/loop.json" "r['guest']['partition-tables']" '["gpt", "none"]'
check_report "$tmpdir/loop.json" "r['disks'][1]['filesystem']['type']" '"ext2"'
