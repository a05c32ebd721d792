#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Power states, through libvirt's test driver (no KVM here to run a
# domain): a shut-off domain is listed, running, paused and transient ones
# are skipped with their reason, and --all lists them marked not
# exportable.  LIBVIRT_DEFAULT_URI is the default connection.  The table
# fits the terminal's width ($COLUMNS here).
. "$top_srcdir/tests/integration/functions.sh"
requires python3
make_tmpdir

truncate -s 10M "$tmpdir/off.img"
dom() {
    # dom NAME TEST-ELEMENTS DEVICES
    cat <<X
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>$1</name>
    <memory unit='MiB'>512</memory>
    <vcpu>2</vcpu>
    <os><type>hvm</type></os>
    <devices>$3</devices>
    $2
  </domain>
X
}
{
    echo "<node>"
    echo "  <cpu><mhz>2800</mhz><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>"
    echo "  <memory>8388608</memory>"
    dom off1 "<test:runstate>5</test:runstate>" \
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$tmpdir/off.img'/><target dev='vda' bus='virtio'/></disk>"
    dom pause1 "<test:runstate>3</test:runstate>" ""
    dom run1 "" ""
    dom trans1 "<test:transient/>" ""
    dom runmissing "" \
        "<disk type='file' device='disk'><source file='$tmpdir/nothere.img'/><target dev='vda' bus='virtio'/></disk>"
    echo "</node>"
} >"$tmpdir/node.xml"
uri="test://$tmpdir/node.xml"

LIBVIRT_DEFAULT_URI=$uri "$FERRY" list --json >"$tmpdir/default.json" ||
    fail "ferry list --json failed"
LIBVIRT_DEFAULT_URI=$uri "$FERRY" list --all --json >"$tmpdir/all.json" ||
    fail "ferry list --all --json failed"
python3 "$top_srcdir/tests/integration/domain_oracle.py" list "$tmpdir/node.xml" \
    "$tmpdir/default.json" || fail "ferry list --json against the host XML (above)"
python3 - "$tmpdir" <<'X' || fail "JSON does not match (see above)"
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/default.json"))["listvmsforimportresponse"]
assert r["count"] == 1, r
vm = r["unmanagedinstance"][0]
assert vm == {
    "name": "off1", "powerstate": "PowerOff", "memory": 512, "cpunumber": 2,
    "cpuspeed": 2800, "hostname": vm["hostname"],
    "disk": [{"id": "0", "label": "vda", "capacity": 10485760,
              "controller": "virtio", "position": 0,
              "imagepath": d + "/off.img", "datastorepath": d,
              "datastoretype": "file", "format": "raw"}],
    "nic": []}, vm
assert vm["hostname"], vm
skipped = {s["name"]: (s["reason"], s["powerstate"]) for s in r["skipped"]}
assert skipped == {
    "pause1": ("paused", "PowerOn"),
    "run1": ("running", "PowerOn"),
    "runmissing": ("running", "PowerOn"),
    "trans1": ("transient: not defined on this host", "PowerOn"),
}, skipped

a = json.load(open(d + "/all.json"))["listvmsforimportresponse"]
assert a["count"] == 4, a
listed = {v["name"]: (v["exportable"], v.get("reason"), v["powerstate"])
          for v in a["unmanagedinstance"]}
assert listed == {
    "off1": (True, None, "PowerOff"),
    "pause1": (False, "paused", "PowerOn"),
    "run1": (False, "running", "PowerOn"),
    "trans1": (False, "transient: not defined on this host", "PowerOn"),
}, listed
# --all lists what only its state stops; an unreadable disk still skips.
assert a["skipped"] == [{"name": "runmissing", "powerstate": "PowerOn",
                         "reason": "disk %s/nothere.img is missing" % d}], a["skipped"]
X

# The table: one row per listed domain, then the skipped ones.
# Piped, without $COLUMNS: whole cells.
env -u COLUMNS "$FERRY" list --connect "$uri" >"$tmpdir/table" || fail "ferry list failed"
head -1 "$tmpdir/table" | grep -q '^NAME  *STATE  *VCPUS  *MEMORY  *DISKS  *NICS$' ||
    fail "table header: $(head -1 "$tmpdir/table")"
grep -q "^off1  *shut off  *2  *512 MiB  *vda 10.0 MiB raw $tmpdir/off.img  *-$" "$tmpdir/table" ||
    fail "table row for off1: $(cat "$tmpdir/table")"
grep -q '^  trans1  *transient: not defined on this host$' "$tmpdir/table" ||
    fail "table skipped row for trans1: $(cat "$tmpdir/table")"
# A terminal 64 columns wide ($COLUMNS stands in for one): the disk path
# gives up its middle so that every table line fits.
COLUMNS=64 "$FERRY" list --connect "$uri" >"$tmpdir/table-64" || fail "ferry list (64 columns) failed"
python3 - "$tmpdir/table-64" <<'PY' || fail "table wider than 64 columns: $(cat "$tmpdir/table-64")"
import sys
table = open(sys.argv[1], encoding="utf-8").read().split("\n\n")[0].splitlines()
assert len(table) == 2 and all(len(line) <= 64 for line in table), table
PY
grep -q "^off1  *shut off  *2  *512 MiB  *vda 10.0 MiB raw …[^ ]*  *-$" "$tmpdir/table-64" ||
    fail "row for off1 in 64 columns: $(cat "$tmpdir/table-64")"
"$FERRY" list --connect "$uri" --all >"$tmpdir/table-all" || fail "ferry list --all failed"
grep -q '^run1  *running (not exportable)  ' "$tmpdir/table-all" ||
    fail "--all table row for run1: $(cat "$tmpdir/table-all")"
