#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Domains on the real libvirtd that cannot be exported are skipped with a
# reason naming the disk: an rbd network disk, a missing image, a raw
# declaration over a qcow2 file, a volume of a pool that is not running.
# A CD-ROM alone skips nothing.  (libvirt refuses to define a disk without
# a source; test-inventory-xml covers that case from a fixture.)
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires qemu-img python3
start_libvirtd
make_tmpdir

p=ferry-test-$$
V="virsh -q -c qemu:///system"
qemu-img create -q -f raw "$tmpdir/ok.img" 16M
qemu-img create -q -f qcow2 "$tmpdir/real.qcow2" 16M

# domain NAME DISK-XML: $p-NAME with a good raw vda and the disk DISK-XML.
domain() {
    define_stopped_domain "$p-$1" "vda:raw:$tmpdir/ok.img" "$2"
}

domain rbd "<disk type='network' device='disk'>
      <driver name='qemu' type='raw'/>
      <source protocol='rbd' name='pool/image'><host name='127.0.0.1' port='6789'/></source>
      <target dev='vdb' bus='virtio'/>
    </disk>"
domain missing "<disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$tmpdir/gone.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
domain mismatch "<disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$tmpdir/real.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"
domain cdrom "<disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>"

mkdir "$tmpdir/pool"
$V pool-define-as "$p-idle" dir --target "$tmpdir/pool" >/dev/null || fail "pool-define-as"
cleanup_fn "$V pool-undefine '$p-idle' >/dev/null 2>&1"
domain idlepool "<disk type='volume' device='disk'>
      <driver name='qemu' type='raw'/>
      <source pool='$p-idle' volume='v.img'/>
      <target dev='vdb' bus='virtio'/>
    </disk>"

"$FERRY" list --json >"$tmpdir/out.json" || fail "ferry list --json failed"
python3 - "$tmpdir" "$p" <<'X' || fail "JSON does not match (see above)"
import json, sys
d, p = sys.argv[1:]
r = json.load(open(d + "/out.json"))["listvmsforimportresponse"]
skipped = {s["name"][len(p) + 1:]: s["reason"]
           for s in r["skipped"] if s["name"].startswith(p + "-")}
listed = [v["name"] for v in r["unmanagedinstance"] if v["name"].startswith(p + "-")]
assert listed == [p + "-cdrom"], listed
cdrom = [v for v in r["unmanagedinstance"] if v["name"] == p + "-cdrom"][0]
assert [x["label"] for x in cdrom["disk"]] == ["vda"], cdrom["disk"]
want = {
    "rbd": "disk vdb is an rbd network disk: not readable on this host",
    "missing": "disk %s/gone.qcow2 is missing" % d,
    "mismatch": "disk %s/real.qcow2: not a supported image: declared format is "
                "raw but the file holds a qcow2 image" % d,
    "idlepool": "disk vdb: storage pool '%s-idle' is not active" % p,
}
for k in sorted(set(want) | set(skipped)):
    assert skipped.get(k) == want.get(k), (k, skipped.get(k), want.get(k))
X

"$FERRY" list >"$tmpdir/table" || fail "ferry list failed"
grep -q "^  $p-rbd  *disk vdb is an rbd network disk: not readable on this host$" "$tmpdir/table" ||
    fail "table skipped row: $(cat "$tmpdir/table")"
