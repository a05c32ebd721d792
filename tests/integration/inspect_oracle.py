#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""inspect_oracle.py RAW REPORT [DISK]: checks a `ferry inspect --json`
report's disk DISK (default 0) against independent tools run on the raw
disk RAW: the partition table against `sfdisk --json` (label, disk GUID,
each partition's start, size, type and GUID) and each filesystem against
`blkid -p -O OFFSET -o export` (type, UUID, label).  Prints each
disagreement and exits 1 if there is one."""
import json
import subprocess
import sys

# blkid's TYPE for what ferry names otherwise.
BLKID_TYPE = {"LVM2_member": "lvm2-pv", "crypto_LUKS": "luks"}

raw, report_path = sys.argv[1], sys.argv[2]
index = int(sys.argv[3]) if len(sys.argv) > 3 else 0
disk = json.load(open(report_path))["disks"][index]
errors = []


def check(what, ours, theirs):
    if ours != theirs:
        errors.append(f"{what}: ferry says {ours!r}, oracle {theirs!r}")


def blkid(offset):
    p = subprocess.run(["blkid", "-p", "-O", str(offset), "-o", "export", raw],
                       capture_output=True, text=True)
    return dict(line.split("=", 1) for line in p.stdout.splitlines()
                if "=" in line)


def check_fs(what, fs, offset):
    tags = blkid(offset)
    want = BLKID_TYPE.get(tags.get("TYPE"), tags.get("TYPE", "unknown"))
    check(what + " type", fs["type"] if fs else None, want)
    if "TYPE" in tags:
        check(what + " uuid", fs["uuid"], tags.get("UUID"))
        if fs["type"] != "vfat":      # blkid prefers the root dir's label
            check(what + " label", fs["label"], tags.get("LABEL"))


p = subprocess.run(["sfdisk", "--json", raw], capture_output=True, text=True)
if p.returncode != 0:
    check("partition-table", disk["partition-table"], "none")
    check_fs("whole disk", disk["filesystem"], 0)
else:
    table = json.loads(p.stdout)["partitiontable"]
    label = {"dos": "mbr", "gpt": "gpt"}[table["label"]]
    check("partition-table", disk["partition-table"], label)
    if label == "gpt":
        check("disk-guid", disk["gpt"]["disk-guid"], table["id"].lower())
    theirs = table.get("partitions", [])
    check("partition count", len(disk["partitions"]), len(theirs))
    for ours, t in zip(disk["partitions"], theirs):
        n = ours["number"]
        check(f"partition {n} number", f"{raw}{n}", t["node"])
        check(f"partition {n} start", ours["start"], t["start"] * 512)
        check(f"partition {n} size", ours["size"], t["size"] * 512)
        if label == "gpt":
            check(f"partition {n} type-id", ours["type-id"], t["type"].lower())
            check(f"partition {n} uuid", ours["uuid"], t["uuid"].lower())
            check(f"partition {n} name", ours["name"], t.get("name"))
        else:
            check(f"partition {n} type-id", ours["type-id"],
                  "0x%02x" % int(t["type"], 16))
        if ours["type"] != "extended":
            check_fs(f"partition {n} filesystem", ours["filesystem"],
                     ours["start"])

for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
