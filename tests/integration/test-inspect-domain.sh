#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry inspect DOMAIN` through libvirt's test driver: the disks come from
# the domain in its XML order (a qcow2 overlay on a GPT+ESP disk and a raw
# disk on virtio, a raw disk on sata, a CD-ROM left out), and "domain" and
# the guest's firmware, arch and disk-buses from its XML: firmware='efi'
# and a pflash loader are UEFI, neither is BIOS (whatever the disk says).
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/inspect-functions.sh"
make_tmpdir

make_root "$tmpdir/root" debian 12 "Debian GNU/Linux 12 (bookworm)" 6.1.0-13-amd64
mkfs.ext4 -q -F -d "$tmpdir/root" "$tmpdir/root.img" 32M
make_esp "$tmpdir/esp.img" 16384 CAFE0001 BOOTX64.EFI
disk=$tmpdir/os.raw
truncate -s 64M "$disk"
sfdisk -q "$disk" <<EOF
label: gpt
start=2048, size=32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
start=34816, size=65536, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
EOF
place "$disk" "$tmpdir/esp.img" 2048
place "$disk" "$tmpdir/root.img" 34816
qemu-img create -q -f qcow2 -b "$disk" -F raw "$tmpdir/os.qcow2"
truncate -s 10M "$tmpdir/data.raw" "$tmpdir/data2.raw"

dom() {  # NAME OS-ELEMENT
    cat <<X
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>$1</name>
    <memory unit='MiB'>512</memory>
    <vcpu>1</vcpu>
    $2
    <devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$tmpdir/os.qcow2'/><target dev='vda' bus='virtio'/></disk>
      <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$tmpdir/data.raw'/><target dev='sda' bus='sata'/></disk>
      <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$tmpdir/data2.raw'/><target dev='vdb' bus='virtio'/></disk>
      <disk type='file' device='cdrom'><source file='$tmpdir/none.iso'/><target dev='sdb' bus='sata'/></disk>
    </devices>
    <test:runstate>5</test:runstate>
  </domain>
X
}
{
    echo "<node>"
    dom efi1 "<os firmware='efi'><type arch='x86_64' machine='pc-q35-8.2'>hvm</type></os>"
    dom loader1 "<os><type arch='x86_64' machine='pc-q35-8.2'>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>"
    dom bios1 "<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>"
    echo "</node>"
} >"$tmpdir/node.xml"
uri="test://$tmpdir/node.xml"

for d in efi1 loader1 bios1; do
    "$FERRY" inspect --json --connect "$uri" "$d" >"$tmpdir/$d.json" ||
        fail "inspect $d failed"
done
# What libvirt reports for the domain is the oracle for "domain".
python3 - "$uri" "$tmpdir" <<'EOPY' || fail "domain fields disagree with virsh dumpxml"
import json, subprocess, sys
import xml.etree.ElementTree as ET
uri, tmp = sys.argv[1], sys.argv[2]
bad = 0
for name in ("efi1", "loader1", "bios1"):
    x = ET.fromstring(subprocess.run(["virsh", "-c", uri, "dumpxml", name],
                                     capture_output=True, text=True, check=True).stdout)
    os_el = x.find("os")
    t = os_el.find("type")
    loader = os_el.find("loader")
    if os_el.get("firmware"):
        fw = "uefi" if os_el.get("firmware") == "efi" else "bios"
    elif loader is not None and (loader.get("type") == "pflash" or "OVMF" in (loader.text or "")):
        fw = "uefi"
    else:
        fw = "uefi" if t.get("arch") == "aarch64" else "bios"
    buses = []
    for d in x.findall("devices/disk"):
        bus = d.find("target").get("bus")
        if d.get("device") == "disk" and bus not in buses:
            buses.append(bus)
    want = {"firmware": fw, "machine": t.get("machine"), "arch": t.get("arch"),
            "disk-buses": buses}
    r = json.load(open(f"{tmp}/{name}.json"))
    paths = [d.find("source").get("file") for d in x.findall("devices/disk")
             if d.get("device") == "disk"]
    if [d["path"] for d in r["disks"]] != paths:
        print(f"{name}: disk paths: ferry {[d['path'] for d in r['disks']]}, libvirt {paths}")
        bad = 1
    for k, v in want.items():
        if r["domain"][k] != v:
            print(f"{name}: domain.{k}: ferry {r['domain'][k]!r}, libvirt {v!r}")
            bad = 1
    for k in ("firmware", "arch", "disk-buses"):
        if r["guest"][k] != want[k]:
            print(f"{name}: guest.{k}: ferry {r['guest'][k]!r}, libvirt {want[k]!r}")
            bad = 1
sys.exit(bad)
EOPY

r=$tmpdir/efi1.json
check_report "$r" "r['source']" '"efi1"'
check_report "$r" "r['guest']['disk-formats']" '["qcow2", "raw", "raw"]'
check_report "$r" "r['guest']['firmware']" '"uefi"'
check_report "$r" "r['guest']['disk-buses']" '["virtio", "sata"]'
check_report "$r" "r['guest']['disk-count']" 3
check_report "$r" "r['guest']['largest-disk-size']" $((64 << 20))
check_report "$r" "r['guest']['fallback-loader']" true
check_report "$r" "r['guest']['os-id']" '"debian"'
# The domain's firmware wins over the disk's guess.
check_report "$tmpdir/bios1.json" "r['guest']['firmware']" '"bios"'
check_report "$tmpdir/loader1.json" "r['guest']['firmware']" '"uefi"'
