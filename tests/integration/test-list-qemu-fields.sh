#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every JSON field of one domain defined on the real libvirtd (QEMU driver,
# never started), checked by value: a raw file disk, a loop block device, a
# storage pool volume, a CD-ROM that is not listed; a virtio NIC on a
# network whose portgroup carries VLAN 7, an e1000e NIC on a bridge with its
# own VLAN tag 42; a 2-socket, 2-core, 1-thread topology.
. "$top_srcdir/tests/integration/functions.sh"
requires_root
requires qemu-img losetup python3
start_libvirtd
make_tmpdir

name=ferry-test-$$-fields
pool=ferry-test-$$-pool
net=ferry-test-$$-net
V="virsh -q -c qemu:///system"

qemu-img create -q -f raw "$tmpdir/root.img" 1G
truncate -s 64M "$tmpdir/block.img"
loop=$(losetup -f --show "$tmpdir/block.img") || skip "losetup cannot attach a loop device"
cleanup_fn "losetup -d '$loop'"

mkdir "$tmpdir/pool"
$V pool-define-as "$pool" dir --target "$tmpdir/pool" >/dev/null || fail "pool-define-as"
cleanup_fn "$V pool-undefine '$pool' >/dev/null 2>&1"
$V pool-start "$pool" >/dev/null || fail "pool-start"
cleanup_fn "$V pool-destroy '$pool' >/dev/null 2>&1"
$V vol-create-as "$pool" data.img 256M --format raw >/dev/null || fail "vol-create-as"

# A bridge-mode network over Open vSwitch is what carries portgroup VLANs;
# it only needs to be defined (ferry reads its XML, never starts it).
cat >"$tmpdir/net.xml" <<X
<network>
  <name>$net</name>
  <forward mode='bridge'/>
  <bridge name='ovs-ferry0'/>
  <virtualport type='openvswitch'/>
  <portgroup name='web' default='yes'/>
  <portgroup name='db'>
    <vlan><tag id='7'/></vlan>
  </portgroup>
</network>
X
$V net-define "$tmpdir/net.xml" >/dev/null || fail "net-define"
cleanup_fn "$V net-undefine '$net' >/dev/null 2>&1"

cat >"$tmpdir/dom.xml" <<X
<domain type='kvm'>
  <name>$name</name>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='MiB'>1536</memory>
  <vcpu>4</vcpu>
  <cpu><topology sockets='2' cores='2' threads='1'/></cpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$tmpdir/root.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='$loop'/>
      <target dev='sdb' bus='scsi'/>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='raw'/>
      <source pool='$pool' volume='data.img'/>
      <target dev='sdc' bus='sata'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='$tmpdir/no-such.iso'/>
      <target dev='sdd' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:fe:00:01'/>
      <source network='$net' portgroup='db'/>
      <model type='virtio'/>
    </interface>
    <interface type='bridge'>
      <mac address='52:54:00:fe:00:02'/>
      <source bridge='br-ferry0'/>
      <vlan><tag id='42'/></vlan>
      <model type='e1000e'/>
    </interface>
  </devices>
</domain>
X
define_domain "$name" "$tmpdir/dom.xml"
$V dumpxml --inactive "$name" >"$tmpdir/defined.xml"
$V nodeinfo >"$tmpdir/nodeinfo"
$V hostname >"$tmpdir/hostname"

"$FERRY" list --json >"$tmpdir/out.json" || fail "ferry list --json failed"
# libvirt's own dumpxml of the defined domain, read by Python's parser.
python3 "$top_srcdir/tests/integration/domain_oracle.py" list "$tmpdir/defined.xml" \
    "$tmpdir/out.json" || fail "ferry list --json against virsh dumpxml (above)"
python3 - "$tmpdir" "$name" "$loop" "$pool" "$net" <<'X' || fail "JSON does not match (see above)"
import json, re, sys
import xml.etree.ElementTree as ET
d, name, loop, pool, net = sys.argv[1:]
r = json.load(open(d + "/out.json"))["listvmsforimportresponse"]
vms = [v for v in r["unmanagedinstance"] if v["name"] == name]
assert len(vms) == 1, (name, r)
vm = vms[0]
assert r["count"] == len(r["unmanagedinstance"]), r["count"]
assert name not in [s["name"] for s in r["skipped"]]

# What libvirt decided at define time: drive addresses, PCI slots.
dom = ET.parse(d + "/defined.xml").getroot()
def drive(dev):
    for disk in dom.iter("disk"):
        if disk.find("target").get("dev") == dev:
            a = disk.find("address")
            return int(a.get("controller")), int(a.get("unit"))
def slot(mac):
    for i in dom.iter("interface"):
        if i.find("mac").get("address") == mac:
            return int(i.find("address").get("slot"), 16)
mhz = int(re.search(r"CPU frequency:\s+(\d+)", open(d + "/nodeinfo").read()).group(1))
hostname = open(d + "/hostname").read().strip()
sdb_ctl, sdb_unit = drive("sdb")
sdc_ctl, sdc_unit = drive("sdc")

expected = {
    "name": name, "powerstate": "PowerOff", "memory": 1536, "cpunumber": 4,
    "cpucorepersocket": 2, "cpuspeed": mhz,
    "osdisplayname": "http://debian.org/debian/12", "hostname": hostname,
    "disk": [
        {"id": "0", "label": "vda", "capacity": 1 << 30, "controller": "virtio",
         "position": 0, "imagepath": d + "/root.img", "datastorepath": d,
         "datastoretype": "file", "format": "raw"},
        {"id": "1", "label": "sdb", "capacity": 64 << 20, "controller": "scsi",
         "controllerunit": sdb_ctl, "position": sdb_unit, "imagepath": loop,
         "datastorepath": "/dev", "datastoretype": "block", "format": "raw"},
        {"id": "2", "label": "sdc", "capacity": 256 << 20, "controller": "sata",
         "controllerunit": sdc_ctl, "position": sdc_unit,
         "imagepath": d + "/pool/data.img", "datastorepath": d + "/pool",
         "datastorename": pool, "datastoretype": "dir", "format": "raw"},
    ],
    "nic": [
        {"id": "0", "macaddress": "52:54:00:fe:00:01", "adaptertype": "virtio",
         "networkname": net, "vlanid": 7, "pcislot": slot("52:54:00:fe:00:01")},
        {"id": "1", "macaddress": "52:54:00:fe:00:02", "adaptertype": "e1000e",
         "networkname": "br-ferry0", "vlanid": 42,
         "pcislot": slot("52:54:00:fe:00:02")},
    ],
}
for k in sorted(set(expected) | set(vm)):
    if k in ("disk", "nic"):
        continue
    assert vm.get(k) == expected.get(k), (k, vm.get(k), expected.get(k))
for k in ("disk", "nic"):
    assert len(vm[k]) == len(expected[k]), (k, vm[k])
    for got, want in zip(vm[k], expected[k]):
        assert got == want, (k, got, want)
# sdb and sdc sit on units 1 and 2 of their controllers (libvirt assigns
# the unit from the target name), so the position cannot be a constant.
assert (sdb_unit, sdc_unit) == (1, 2), (sdb_unit, sdc_unit)
X

"$FERRY" list >"$tmpdir/table" || fail "ferry list failed"
grep -q "^$name  *shut off  *4 (2s x 2c x 1t)  *1536 MiB  *vda 1.0 GiB raw $tmpdir/root.img  *52:54:00:fe:00:01 virtio $net vlan 7$" "$tmpdir/table" ||
    fail "table row: $(grep -A3 "$name" "$tmpdir/table")"
grep -q "^  *sdb 64.0 MiB raw $loop  *52:54:00:fe:00:02 e1000e br-ferry0 vlan 42$" "$tmpdir/table" ||
    fail "table second row: $(grep -A3 "$name" "$tmpdir/table")"
