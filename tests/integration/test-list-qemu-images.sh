#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Disk capacities come from each image's header, as qemu-img reports the
# virtual size: qcow2 over a raw backing file (bigger than its backing),
# vmdk, vhd (vpc).  A backing chain that loops, or whose backing file is
# gone, skips the domain with conv/'s reason.
#
# The qcow2, vmdk and vpc readers are all in the tree: one that answers
# "cannot be read yet" (or anything else unexpected) is a failure, never
# a skip.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires qemu-img python3
start_libvirtd
make_tmpdir

p=ferry-test-$$
cd "$tmpdir"
qemu-img create -q -f raw base.raw 1G
qemu-img create -q -f qcow2 -b base.raw -F raw top.qcow2 2G
qemu-img create -q -f vmdk disk.vmdk 3G
qemu-img create -q -f vpc disk.vhd 4G
qemu-img create -q -f qcow2 b.qcow2 1G
qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 a.qcow2 1G
qemu-img rebase -q -u -f qcow2 -b a.qcow2 -F qcow2 b.qcow2
qemu-img create -q -f qcow2 -b base.raw -F raw orphan.qcow2 1G
qemu-img rebase -q -u -f qcow2 -b gone.raw -F raw orphan.qcow2
for f in top.qcow2 disk.vmdk disk.vhd; do
    qemu-img info --output=json "$f" >"$f.info"
done
cd - >/dev/null

# domain NAME FORMAT FILE: $p-NAME with the one disk $tmpdir/FILE.
domain() {
    define_stopped_domain "$p-$1" "vda:$2:$tmpdir/$3"
}
domain qcow2 qcow2 top.qcow2
domain vmdk vmdk disk.vmdk
domain vhd vpc disk.vhd
domain loop qcow2 a.qcow2
domain orphan qcow2 orphan.qcow2

"$FERRY" list --json >"$tmpdir/out.json" || fail "ferry list --json failed"
set +e
python3 - "$tmpdir" "$p" <<'X'
import json, sys
d, p = sys.argv[1:]
r = json.load(open(d + "/out.json"))["listvmsforimportresponse"]
listed = {v["name"][len(p) + 1:]: v for v in r["unmanagedinstance"]
          if v["name"].startswith(p + "-")}
skipped = {s["name"][len(p) + 1:]: s["reason"] for s in r["skipped"]
           if s["name"].startswith(p + "-")}
failed = []

def check(case, ok, what):
    if not ok:
        failed.append("%s: %s; listed=%s skipped=%s" % (case, what,
                      listed.get(case), skipped.get(case)))

for case, fmt, f in (("qcow2", "qcow2", "top.qcow2"), ("vmdk", "vmdk", "disk.vmdk"),
                     ("vhd", "vpc", "disk.vhd")):
    size = json.load(open("%s/%s.info" % (d, f)))["virtual-size"]
    disk = listed.get(case, {}).get("disk", [{}])[0]
    check(case, disk.get("capacity") == size and disk.get("format") == fmt
          and disk.get("imagepath") == "%s/%s" % (d, f),
          "want capacity %d format %s" % (size, fmt))
check("loop", skipped.get("loop", "").startswith(
          "disk %s/a.qcow2: not a supported image: " % d)
      and "loops" in skipped.get("loop", ""), "want a backing loop reason")
check("orphan", skipped.get("orphan", "").startswith(
          "disk %s/orphan.qcow2: cannot be read: " % d)
      and "gone.raw" in skipped.get("orphan", ""), "want a missing backing file reason")
# The qcow2 disk is 2 GiB over a 1 GiB backing file: the top's size counts.
if "qcow2" in listed:
    assert listed["qcow2"]["disk"][0]["capacity"] == 2 << 30
for f in failed:
    print("FAIL:", f, file=sys.stderr)
sys.exit(1 if failed else 0)
X
status=$?
set -e
[ "$status" = 0 ] || fail "JSON does not match (see above)"
