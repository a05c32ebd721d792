#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# README command 1: install, build, then run ferry's main job on the
# embedded demo host (libvirt's test driver, data/demo-host.xml.in): list
# the domains that can be exported, and why the others are skipped; then
# export web1 to a file:// pool and check its manifest with sha256sum.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
cd "$srcdir"
./scripts/install-deps.sh
./scripts/build.sh build
demo=$srcdir/build/demo
uri=$(data/make-demo-host.sh "$demo")

echo "== ferry list --connect $uri"
build/ferry list --connect "$uri"
echo
echo "== ferry list --json (CloudStack listVmsForImport shape)"
build/ferry list --connect "$uri" --json
echo
out=$srcdir/build/demo/pool-out
rm -rf "$out"
mkdir -p "$out"
echo "== ferry export web1 --to file://$out"
build/ferry export web1 --connect "$uri" --to "file://$out" -p
echo
echo "== the manifest's disks (build/demo/pool-out/web1.ferry.json)"
python3 - "$out/web1.ferry.json" "$out/SHA256SUMS" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as sums:
    for d in m["disks"]:
        print(f"{d['dev']}: {d['file']} ({d['format']}, {d['virtual-size']} bytes "
              f"virtual, {d['bytes-sent']} sent) sha256 {d['sha256']}")
        sums.write(f"{d['sha256']}  {d['file']}\n")
PY
echo
echo "== sha256sum -c (the files on the target against the manifest)"
(cd "$out" && sha256sum -c SHA256SUMS)
