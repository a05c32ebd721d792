#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A domain started while ferry exports it: the guest now writes to the
# disk being read, so the export must stop and say so, not finish with a
# copy that is neither the old disk nor the new one.  A real libvirtd
# starts a real QEMU (TCG, no boot device: it sits in the firmware) in the
# middle of a --bwlimit'ed export; ferry notices within a few seconds
# (it looks at the domain every 2 s while copying), exits 4 naming the
# domain, and leaves nothing under the disk's final name and no manifest.
. "$top_srcdir/tests/integration/functions.sh"
requires_root
requires qemu-img qemu-io qemu-system-x86_64 virsh
start_libvirtd
make_tmpdir
# Starting a QEMU domain needs libvirt's log daemon too.
if [ ! -S /run/libvirt/virtlogd-sock ]; then
    requires virtlogd
    virtlogd -d --pid-file "$tmpdir/virtlogd.pid" ||
        fail "virtlogd does not start"
    cleanup_fn "kill \$(cat '$tmpdir/virtlogd.pid') 2>/dev/null || true"
    i=0
    until [ -S /run/libvirt/virtlogd-sock ]; do
        i=$((i + 1)); [ $i -lt 50 ] || fail "virtlogd made no socket in 5 s"
        sleep 0.1
    done
fi

name=ferry-test-$$-started
V="virsh -q -c qemu:///system"
disk=$tmpdir/disk.raw
qemu-img create -q -f raw "$disk" 64M
qemu-io -f raw -c 'write -P 0x5a 0 64M' "$disk" >/dev/null
chmod 0755 "$tmpdir"
cat >"$tmpdir/dom.xml" <<X
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <graphics type='vnc' port='-1' listen='127.0.0.1'/>
  </devices>
</domain>
X
define_domain "$name" "$tmpdir/dom.xml"
cleanup_fn "$V destroy '$name' >/dev/null 2>&1 || true"
mkdir "$tmpdir/pool"

# 64 MiB at 4 MiB/s: ~16 s of copying, started after the first second.
"$FERRY" export "$name" --connect qemu:///system --format raw \
    --bwlimit 4M --to "file://$tmpdir/pool" >"$tmpdir/out" 2>"$tmpdir/err" &
ferry_pid=$!
sleep 1
kill -0 "$ferry_pid" 2>/dev/null || fail "export ended before the domain was started: $(cat "$tmpdir/err")"
$V start "$name" >"$tmpdir/start.log" 2>&1 ||
    fail "virsh start failed (cannot test this here): $(cat "$tmpdir/start.log")"
started=$(date +%s%N)
set +e
wait "$ferry_pid"
status=$?
set -e
took_ms=$((($(date +%s%N) - started) / 1000000))
assert_eq "$status" 4 "exit status of an export whose domain was started"
assert_contains "$(cat "$tmpdir/err")" "domain '$name' was started during the export" "message"
# README: the export stops within about 2 s of the guest starting (the
# state is read every 2 s).  Measured from virsh start's return to the
# exit; 4 s allows the last 2 s period plus the copy's cancel, the .part's
# removal and the process exit on a loaded 2-core machine.
[ "$took_ms" -le 4000 ] || fail "export took $took_ms ms after the start to stop"
[ ! -e "$tmpdir/pool/$name-vda.raw" ] || fail "a final file was left: $(ls "$tmpdir/pool")"
[ ! -e "$tmpdir/pool/$name.ferry.json" ] || fail "a manifest was written"
[ -z "$(ls -A "$tmpdir/pool")" ] || fail "files left in the pool: $(ls -A "$tmpdir/pool")"
