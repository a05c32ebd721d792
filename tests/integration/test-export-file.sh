#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry export to a file:// pool, from a libvirt test-driver host made
# here (no daemon needed): a qcow2-over-raw disk and a vmdk disk arrive
# identical with the manifest's hashes matching sha256sum and no .part
# left.  A running domain (test:///default's "test") is refused with exit
# 4, an unknown one with exit 3 naming it, a missing pool with exit 3, a
# bad --name with exit 2; none of them writes anything.  --resume over a
# qcow2 .part that is a good prefix resumes from it; over a .part of
# garbage, the target's hash check catches it and the disk is sent again
# from 0; both end identical and verified.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io python3 sha256sum
make_tmpdir

img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_image raw "$img/base.raw" 32M "0x11 0 2M"
make_image -b base.raw qcow2 "$img/root.qcow2" 32M "0x22 1M 2M"
make_image vmdk "$img/data.vmdk" 16M "0x44 4M 1M"
name=ferry-test-$$-file
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "sdb:vmdk:$img/data.vmdk"
uri=$test_host_uri

$FERRY export "$name" --connect "$uri" --to "file://$pool" 2>"$tmpdir/err" ||
    fail "export: $(cat "$tmpdir/err")"
qemu-img compare -q "$img/root.qcow2" "$pool/$name-vda.qcow2" || fail "vda differs"
qemu-img compare -q "$img/data.vmdk" "$pool/$name-sdb.qcow2" || fail "sdb differs"
assert_no_part "$pool"
assert_eq "$(ls "$pool" | sort | tr '\n' ' ')" \
    "$name-sdb.qcow2 $name-vda.qcow2 $name.ferry.json $name.xml " "pool contents"
python3 - "$pool/$name.ferry.json" >"$tmpdir/sums" <<'PY' || fail "manifest"
import json, sys
for d in json.load(open(sys.argv[1]))["disks"]:
    print(f"{d['sha256']}  {d['file']}")
PY
(cd "$pool" && sha256sum -c --quiet "$tmpdir/sums") || fail "manifest hashes do not match sha256sum"
assert_eq "$(wc -l <"$tmpdir/sums")" 2 "disks in the manifest"

# Into the same pool again: refused with 12 (already exists), not 4 (busy).
set +e
$FERRY export "$name" --connect "$uri" --to "file://$pool" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 12 "exit status of a second export into the same pool"
assert_eq "$(cat "$tmpdir/err")" \
    "ferry: file://$pool: '$name.ferry.json' already exists: domain '$name' was exported there already" \
    "second export message"

# -p with stderr not a terminal (a log): plain lines, each disk's first
# figure, one every 5 s and its 100%.
mkdir "$tmpdir/pool-p"
$FERRY export "$name" --connect "$uri" --to "file://$tmpdir/pool-p" -p \
    >"$tmpdir/out" 2>"$tmpdir/progress" || fail "export -p: $(cat "$tmpdir/progress")"
! grep -q "$(printf '\r')" "$tmpdir/progress" || fail "-p drew a bar into a log: $(cat -A "$tmpdir/progress")"
for dev in vda sdb; do
    grep "^    $dev -> $name-$dev.qcow2 (" "$tmpdir/progress" >"$tmpdir/lines.$dev" ||
        fail "-p: no progress line for $dev: $(cat "$tmpdir/progress")"
    assert_eq "$(tail -1 "$tmpdir/lines.$dev")" "    $dev -> $name-$dev.qcow2 (100.0/100%)" "last -p line of $dev"
    [ "$(wc -l <"$tmpdir/lines.$dev")" -ge 2 ] ||
        fail "-p: $dev has no first figure before its 100%: $(cat "$tmpdir/progress")"
done
! grep -qv "^    \(vda\|sdb\) -> $name-\(vda\|sdb\).qcow2 ([0-9]*\.[0-9]/100%)\$" "$tmpdir/progress" ||
    fail "-p: a line not of the form '    DEV -> FILE (N.N/100%)': $(cat "$tmpdir/progress")"
assert_eq "$(grep -c ' verified on the target (' "$tmpdir/out")" 2 "lines on stdout with -p"

# --resume: vda's .part is the first 3 MB of the right output (resumed at
# 2 MiB), sdb's is garbage (caught by the hash check, sent again).
mkdir "$tmpdir/pool2"
cp "$pool/$name-vda.qcow2" "$tmpdir/full.qcow2"
head -c 3000000 "$tmpdir/full.qcow2" >"$tmpdir/pool2/$name-vda.qcow2.part"
head -c 1500000 /dev/urandom >"$tmpdir/pool2/$name-sdb.qcow2.part"
# A run stopped between the domain XML and the manifest: its XML is there.
echo "<domain>stale</domain>" >"$tmpdir/pool2/$name.xml"
$FERRY export "$name" --connect "$uri" --to "file://$tmpdir/pool2" --resume --json \
    >"$tmpdir/events" 2>"$tmpdir/err" || fail "--resume: $(cat "$tmpdir/err")"
grep -q '"event":"disk-start","dev":"vda".*"resume-offset":2097152' "$tmpdir/events" ||
    fail "vda not resumed at 2 MiB: $(grep disk-start "$tmpdir/events")"
grep -q '"event":"disk-done","dev":"vda".*"resumed-at":2097152' "$tmpdir/events" ||
    fail "vda's resume not kept"
grep -q '"event":"disk-done","dev":"sdb".*"resumed-at":0' "$tmpdir/events" ||
    fail "sdb's garbage .part was not replaced"
cmp "$tmpdir/full.qcow2" "$tmpdir/pool2/$name-vda.qcow2" || fail "resumed vda differs from a straight export"
qemu-img compare -q "$img/data.vmdk" "$tmpdir/pool2/$name-sdb.qcow2" || fail "sdb differs after a restart"
assert_contains "$(cat "$tmpdir/pool2/$name.xml")" "<name>$name</name>" "the domain XML a resume wrote over the stale one"
assert_no_part "$tmpdir/pool2"

# Any output format: a fixed VHD for each disk, named .vhd.
mkdir "$tmpdir/pool3"
$FERRY export "$name" --connect "$uri" --to "file://$tmpdir/pool3" --format vpc \
    -o subformat=fixed 2>"$tmpdir/err" || fail "export --format vpc: $(cat "$tmpdir/err")"
# (A fixed VHD has its footer only at the end: qemu-img must be told -F vpc.)
qemu-img compare -q -F vpc "$img/root.qcow2" "$tmpdir/pool3/$name-vda.vhd" || fail "vda.vhd differs"
qemu-img compare -q -F vpc "$img/data.vmdk" "$tmpdir/pool3/$name-sdb.vhd" || fail "sdb.vhd differs"
assert_contains "$(tail -c 512 "$tmpdir/pool3/$name-vda.vhd" | head -c 8)" "conectix" "vda.vhd footer"

# Refusals: nothing written.
mkdir "$tmpdir/empty"
try() {   # EXPECTED_STATUS WORDS ARGS...
    expected=$1 words=$2
    shift 2
    set +e
    $FERRY export "$@" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" "$expected" "exit status of: export $*"
    assert_contains "$(cat "$tmpdir/err")" "$words" "message of: export $*"
    assert_eq "$(ls -A "$tmpdir/empty")" "" "pool after: export $*"
}
try 4 "domain 'test' is running" test --connect test:///default --to "file://$tmpdir/empty"
try 3 "domain 'nosuch-$$' not found" "nosuch-$$" --connect "$uri" --to "file://$tmpdir/empty"
try 3 "$tmpdir/missing" "$name" --connect "$uri" --to "file://$tmpdir/missing"
try 2 "unknown field '{disk}'" "$name" --connect "$uri" --to "file://$tmpdir/empty" --name '{disk}'
try 2 "password in the URI is refused" "$name" --connect "$uri" --to "ssh://u:pw@127.0.0.1/x"
try 2 "--format: expected one of" "$name" --connect "$uri" --to "file://$tmpdir/empty" --format vdi
