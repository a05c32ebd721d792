#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export over the loopback sshd: a domain defined (never started) on
# the real libvirtd with a qcow2 disk over a raw backing file and a vmdk
# disk.  Each exported disk compares identical to its source (qemu-img
# compare), the manifest's SHA-256 values are those sha256sum computes, the
# domain XML is there, no .part is left; the JSON events name each disk.
# Then: raw output with a --name template; a second export into the same
# pool is refused; a wrong host key is refused (exit 8) with nothing
# written.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires qemu-img qemu-io python3 sha256sum
start_libvirtd
make_tmpdir
start_sshd
ssh_client_key ed25519 id

name=ferry-test-$$-export
img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_image raw "$img/base.raw" 64M "0x11 0 3M"
make_image -b base.raw qcow2 "$img/root.qcow2" 64M "0x22 1M 2M" "0x23 40M 1M"
make_image vmdk "$img/data.vmdk" 32M "0x44 0 1M" "0x45 20M 512k"
define_stopped_domain "$name" "vda:qcow2:$img/root.qcow2" "vdb:vmdk:$img/data.vmdk"

to="ssh://root@127.0.0.1:$sshd_port$pool"
ssh_opts="--known-hosts $sshd_known_hosts --identity $tmpdir/id"
$FERRY export "$name" --connect qemu:///system --to "$to" $ssh_opts --json \
    >"$tmpdir/events" 2>"$tmpdir/err" || fail "export failed: $(cat "$tmpdir/err")"

[ -f "$pool/$name-vda.qcow2" ] || fail "no $name-vda.qcow2 in the pool: $(ls "$pool")"
[ -f "$pool/$name-vdb.qcow2" ] || fail "no $name-vdb.qcow2 in the pool"
qemu-img compare -q "$img/root.qcow2" "$pool/$name-vda.qcow2" || fail "vda differs from its source"
qemu-img compare -q "$img/data.vmdk" "$pool/$name-vdb.qcow2" || fail "vdb differs from its source"
qemu-img check -q "$pool/$name-vda.qcow2" || fail "qemu-img check vda"
# The copy stands alone: no backing file.
python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit('backing-filename' in d)" \
    <<EOJ || fail "exported vda still has a backing file"
$(qemu-img info --output=json "$pool/$name-vda.qcow2")
EOJ
assert_no_part "$pool"
[ -f "$pool/$name.xml" ] || fail "no domain XML"
grep -q "<name>$name</name>" "$pool/$name.xml" || fail "domain XML does not name the domain"

# The manifest: each disk's hash is the file's, and its entry is ferry list's.
python3 - "$pool" "$name" <<'PY' || fail "manifest check"
import hashlib, json, sys
pool, name = sys.argv[1], sys.argv[2]
m = json.load(open(f"{pool}/{name}.ferry.json"))
assert m["name"] == name, m["name"]
assert m["instance"]["name"] == name
assert [d["label"] for d in m["instance"]["disk"]] == ["vda", "vdb"]
assert [d["dev"] for d in m["disks"]] == ["vda", "vdb"], m["disks"]
for d in m["disks"]:
    h = hashlib.sha256(open(f"{pool}/{d['file']}", "rb").read()).hexdigest()
    assert d["sha256"] == h, (d["file"], d["sha256"], h)
    assert d["format"] == "qcow2"
    assert d["bytes-sent"] > 0
assert m["disks"][0]["virtual-size"] == 64 << 20
assert m["disks"][1]["virtual-size"] == 32 << 20
PY
sum=$(sha256sum "$pool/$name-vdb.qcow2" | cut -d' ' -f1)
grep -q "\"event\":\"disk-done\",\"dev\":\"vdb\",\"file\":\"$name-vdb.qcow2\",\"sha256\":\"$sum\"" "$tmpdir/events" ||
    fail "no disk-done event with vdb's sha256: $(cat "$tmpdir/events")"
assert_eq "$(tail -1 "$tmpdir/events")" '{"event":"done","manifest":"'"$name"'.ferry.json"}' "last event"

# Again into the same pool: refused, nothing touched.
before=$(ls -l --time-style=+%s.%N "$pool" | md5sum)
set +e
$FERRY export "$name" --connect qemu:///system --to "$to" $ssh_opts 2>"$tmpdir/err"
status=$?
set -e
# 12 (already exists), not 4, which says the domain is running.
assert_eq "$status" 12 "exit status of a second export into the same pool"
assert_eq "$(cat "$tmpdir/err")" \
    "ferry: $to: '$name.ferry.json' already exists: domain '$name' was exported there already" \
    "second export message"
assert_eq "$(ls -l --time-style=+%s.%N "$pool" | md5sum)" "$before" "pool after a refused export"

# Raw output, named by template, into another pool.
mkdir "$tmpdir/pool2"
$FERRY export "$name" --connect qemu:///system --format raw --name '{index}-{dev}.{ext}' \
    --to "ssh://root@127.0.0.1:$sshd_port$tmpdir/pool2/" $ssh_opts 2>"$tmpdir/err" ||
    fail "raw export failed: $(cat "$tmpdir/err")"
qemu-img compare -q -F raw "$img/root.qcow2" "$tmpdir/pool2/0-vda.raw" || fail "raw vda differs"
qemu-img compare -q -F raw "$img/data.vmdk" "$tmpdir/pool2/1-vdb.raw" || fail "raw vdb differs"
[ "$(du -k "$tmpdir/pool2/0-vda.raw" | cut -f1)" -lt 16384 ] || fail "raw output is not sparse"

# A wrong host key: refused before anything is written.
mkdir "$tmpdir/pool3"
ssh-keygen -q -t ed25519 -N '' -f "$tmpdir/other"
echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$tmpdir/other.pub")" >"$tmpdir/bad_known_hosts"
set +e
$FERRY export "$name" --connect qemu:///system --to "ssh://root@127.0.0.1:$sshd_port$tmpdir/pool3" \
    --known-hosts "$tmpdir/bad_known_hosts" --identity "$tmpdir/id" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status for a wrong host key"
assert_contains "$(cat "$tmpdir/err")" "host key" "wrong host key message"
assert_eq "$(ls -A "$tmpdir/pool3")" "" "pool after a refused host key"
# A pinned fingerprint that is the right one works without known_hosts.
$FERRY export "$name" --connect qemu:///system --to "ssh://root@127.0.0.1:$sshd_port$tmpdir/pool3" \
    --known-hosts /dev/null --host-key "$sshd_host_key_fp" --identity "$tmpdir/id" 2>"$tmpdir/err" ||
    fail "export with a pinned host key: $(cat "$tmpdir/err")"
[ -f "$tmpdir/pool3/$name.ferry.json" ] || fail "no manifest with a pinned host key"
