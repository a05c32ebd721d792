#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Manager.ListImportableVms over the bus (busctl as the client) returns
# fields that agree with the domain XML (domain_oracle.py), and the
# same JSON as `ferry list --json` for libvirt's test driver (its default
# host, and a host file with a shut-off domain), with and without the "all"
# option; a URI libvirt cannot reach comes back naming the URI, and one
# that is not a URI at all as exactly org.ferry.Error.Invalid.
. "$top_srcdir/tests/integration/functions.sh"
requires busctl python3
make_tmpdir
start_private_bus
start_agent

call() {
    busctl --address="$bus_address" --json=short call org.ferry.Agent1 \
        /org/ferry/Agent1/Manager org.ferry.Agent1.Manager ListImportableVms "$@"
}
truncate -s 10M "$tmpdir/off.img"
cat >"$tmpdir/node.xml" <<X
<node>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>off1</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>
      <source file='$tmpdir/off.img'/><target dev='vda' bus='virtio'/></disk></devices>
    <test:runstate>5</test:runstate>
  </domain>
</node>
X
call 'a{sv}' 1 uri s test:///default >"$tmpdir/bus.json" ||
    fail "ListImportableVms failed"
call 'a{sv}' 2 uri s test:///default all b true >"$tmpdir/bus-all.json" ||
    fail "ListImportableVms with all failed"
call 'a{sv}' 1 uri s "test://$tmpdir/node.xml" >"$tmpdir/bus-node.json" ||
    fail "ListImportableVms of a host file failed"
"$FERRY" list --json --connect test:///default >"$tmpdir/cli.json"
"$FERRY" list --json --all --connect test:///default >"$tmpdir/cli-all.json"
"$FERRY" list --json --connect "test://$tmpdir/node.xml" >"$tmpdir/cli-node.json"
# The host file's domain against its XML, as Python's parser reads it.
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"][0])' \
    "$tmpdir/bus-node.json" >"$tmpdir/bus-node-reply.json"
python3 "$top_srcdir/tests/integration/domain_oracle.py" list "$tmpdir/node.xml" \
    "$tmpdir/bus-node-reply.json" || fail "ListImportableVms against the host XML (above)"
python3 - "$tmpdir" <<'X' || fail "ListImportableVms differs from ferry list --json"
import json, sys
d = sys.argv[1]
for bus, cli in (("bus.json", "cli.json"), ("bus-all.json", "cli-all.json"),
                 ("bus-node.json", "cli-node.json")):
    reply = json.load(open(d + "/" + bus))
    assert reply["type"] == "s", reply
    got = json.loads(reply["data"][0])
    want = json.load(open(d + "/" + cli))
    assert got == want, (bus, got, want)
# The default host's one domain runs: skipped.
r = json.loads(json.load(open(d + "/bus.json"))["data"][0])["listvmsforimportresponse"]
assert r["count"] == 0 and r["skipped"][0]["name"] == "test", r
n = json.loads(json.load(open(d + "/bus-node.json"))["data"][0])["listvmsforimportresponse"]
assert n["count"] == 1, n
vm = n["unmanagedinstance"][0]
assert vm["name"] == "off1" and vm["disk"][0]["capacity"] == 10485760, vm
X

set +e
err=$(call 'a{sv}' 1 uri s 'frob://nowhere/' 2>&1)
status=$?
set -e
[ "$status" != 0 ] || fail "ListImportableVms of a bad URI succeeded"
assert_contains "$err" "frob://nowhere/" "bad URI error"
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.ListImportableVms "{'uri': <'qemu://[bad/'>}" \
    >/dev/null 2>"$tmpdir/err" && fail "gdbus: bad URI succeeded"
name=$(sed -n 's/.*GDBus\.Error:\([A-Za-z.]*\): .*/\1/p' "$tmpdir/err")
assert_eq "$name" "org.ferry.Error.Invalid" "bad URI error name ($(cat "$tmpdir/err"))"
assert_contains "$(cat "$tmpdir/err")" "'qemu://[bad/' is not a libvirt URI" "bad URI message"
