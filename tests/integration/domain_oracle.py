# SPDX-License-Identifier: LGPL-2.1-or-later
"""domain_oracle.py: what CloudStack's listVmsForImport entry of a libvirt
domain must hold, read from the domain XML with Python's own parser
(xml.etree), so that ferry's inventory is checked against a reading it
did not make.  Only fields a domain XML states are derived; each is
compared exactly.

    python3 domain_oracle.py fixture DOMAIN.xml ENTRY.json
        ENTRY.json is one unmanagedinstance object (a fixture's expected
        output, or any JSON holding just that object)
    python3 domain_oracle.py list HOST.xml LIST.json
        LIST.json is `ferry list --json`; every listed instance is checked
        against the domain of its name in HOST.xml (a test-driver <node>
        or one <domain>), and every domain of HOST.xml is either listed or
        skipped with a reason

Exits non-zero naming the domain, the field, and both values.
"""
import json
import sys
import xml.etree.ElementTree as ET

# libvirt's memory units (docs/formatdomain: "Memory Allocation").
UNITS = {
    "b": 1, "bytes": 1,
    "KB": 1000, "k": 1024, "KiB": 1024,
    "MB": 1000 ** 2, "M": 1024 ** 2, "MiB": 1024 ** 2,
    "GB": 1000 ** 3, "G": 1024 ** 3, "GiB": 1024 ** 3,
    "TB": 1000 ** 4, "T": 1024 ** 4, "TiB": 1024 ** 4,
}
LIBOSINFO = "{http://libosinfo.org/xmlns/libvirt/domain/1.0}"


def expected_entry(dom):
    """The fields of dom's unmanagedinstance that its XML states."""
    want = {"name": dom.findtext("name")}
    mem = dom.find("memory")
    if mem is not None:
        want["memory"] = int(mem.text) * UNITS[mem.get("unit", "KiB")] // (1024 ** 2)
    vcpu = dom.find("vcpu")
    if vcpu is not None:
        want["cpunumber"] = int(vcpu.get("current", vcpu.text))
    topo = dom.find("cpu/topology")
    if topo is not None and topo.get("cores"):
        want["cpucorepersocket"] = int(topo.get("cores"))
    os_ = dom.find("metadata/" + LIBOSINFO + "libosinfo/" + LIBOSINFO + "os")
    if os_ is not None:
        want["osdisplayname"] = os_.get("id")
    disks = []
    for disk in dom.findall("devices/disk"):
        if disk.get("device", "disk") != "disk":
            continue
        d = {"label": disk.find("target").get("dev"),
             "controller": disk.find("target").get("bus")}
        src = disk.find("source")
        if src is not None and (src.get("file") or src.get("dev")):
            d["imagepath"] = src.get("file") or src.get("dev")
        drv = disk.find("driver")
        if drv is not None and drv.get("type"):
            d["format"] = drv.get("type")
        addr = disk.find("address")
        if addr is not None and addr.get("type") == "drive":
            d["controllerunit"] = int(addr.get("controller", "0"))
        disks.append(d)
    want["disk"] = disks
    nics = []
    for nic in dom.findall("devices/interface"):
        n = {"macaddress": nic.find("mac").get("address")}
        model = nic.find("model")
        if model is not None:
            n["adaptertype"] = model.get("type")
        src = nic.find("source")
        if src is not None:
            name = src.get("network") or src.get("bridge") or src.get("dev")
            if name:
                n["networkname"] = name
        tags = nic.findall("vlan/tag")
        if len(tags) == 1 and nic.find("vlan").get("trunk") != "yes":
            n["vlanid"] = int(tags[0].get("id"))
        addr = nic.find("address")
        if addr is not None and addr.get("type") == "pci":
            n["pcislot"] = int(addr.get("slot"), 16)
        nics.append(n)
    want["nic"] = nics
    return want


def check(dom, got):
    want = expected_entry(dom)
    name = want["name"]
    for key in ("name", "memory", "cpunumber", "cpucorepersocket", "osdisplayname"):
        if key in want and got.get(key) != want[key]:
            sys.exit(f"{name}: {key}: ferry says {got.get(key)!r}, the XML {want[key]!r}")
    for kind in ("disk", "nic"):
        have = got.get(kind, [])
        if len(have) != len(want[kind]):
            sys.exit(f"{name}: {len(have)} {kind}s listed, the XML has {len(want[kind])}")
        for i, (w, h) in enumerate(zip(want[kind], have)):
            for key, value in w.items():
                if h.get(key) != value:
                    sys.exit(f"{name}: {kind} {i}: {key}: ferry says {h.get(key)!r}, "
                             f"the XML {value!r}")


def main():
    mode, xml_path, json_path = sys.argv[1:4]
    root = ET.parse(xml_path).getroot()
    doc = json.load(open(json_path))
    if mode == "fixture":
        check(root, doc)
        return
    domains = [root] if root.tag == "domain" else root.findall("domain")
    resp = doc["listvmsforimportresponse"]
    listed = {vm["name"]: vm for vm in resp.get("unmanagedinstance", [])}
    skipped = {s["name"]: s for s in resp.get("skipped", [])}
    for dom in domains:
        name = dom.findtext("name")
        if name in listed:
            check(dom, listed[name])
        elif name not in skipped or not skipped[name].get("reason"):
            sys.exit(f"{name}: neither listed nor skipped with a reason")
    if resp["count"] != len(listed):
        sys.exit(f"count {resp['count']} for {len(listed)} listed")


main()
