#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry list --json --inspect` reads each listed guest: a raw disk with an
# MBR and one ext4 partition holding /etc/os-release (written with debugfs,
# nothing mounted) gives "inspect": {"os-pretty-name" as written,
# "firmware": "bios" (the domain's), "readiness" for exactly the targets of
# ferry.conf's [inspect] targets}; sce's verdict is fail (an ext4 root,
# sce wants ext3, data/rules/sce.conf).  Without --inspect there is no
# "inspect" member; --inspect without --json is a usage error.
# Needs the guest reader of inspect/ (ferry_inspect()).
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img sfdisk mkfs.ext4 debugfs python3
make_tmpdir
export FERRY_RULES_DIR="$top_srcdir/data/rules"

img=$tmpdir/img
mkdir "$img"
pretty='Debian GNU/Linux 12 (bookworm)'
printf 'PRETTY_NAME="%s"\nID=debian\nVERSION_ID="12"\n' "$pretty" >"$tmpdir/os-release"
printf 'UUID=0 / ext4 defaults 0 1\n' >"$tmpdir/fstab"
truncate -s 30M "$tmpdir/fs.img"
mkfs.ext4 -q -F "$tmpdir/fs.img"
debugfs -w -R "mkdir etc" "$tmpdir/fs.img" >/dev/null 2>&1
debugfs -w -R "write $tmpdir/os-release etc/os-release" "$tmpdir/fs.img" >/dev/null 2>&1
debugfs -w -R "write $tmpdir/fstab etc/fstab" "$tmpdir/fs.img" >/dev/null 2>&1
debugfs -R "cat etc/os-release" "$tmpdir/fs.img" 2>/dev/null | grep -q "$pretty" ||
    fail "debugfs did not write os-release"
qemu-img create -q -f raw "$img/root.raw" 64M
printf 'label: dos\nstart=2048, size=61440, type=83\n' | sfdisk -q "$img/root.raw" >/dev/null
dd if="$tmpdir/fs.img" of="$img/root.raw" bs=1M seek=1 conv=notrunc status=none
name=ferry-test-$$-insp
write_test_host "$name" "vda:raw:$img/root.raw"
uri=$test_host_uri
printf '[inspect]\ntargets=aws;sce\n' >"$tmpdir/ferry.conf"

$FERRY list --connect "$uri" --json --inspect --config "$tmpdir/ferry.conf" \
    >"$tmpdir/list" 2>"$tmpdir/err" || fail "list --inspect: $(cat "$tmpdir/err")"
python3 - "$tmpdir/list" "$pretty" <<'PY' || fail "list --inspect: $(cat "$tmpdir/list")"
import json, sys
vm, = json.load(open(sys.argv[1]))["listvmsforimportresponse"]["unmanagedinstance"]
i = vm["inspect"]
assert i["os-pretty-name"] == sys.argv[2], i
assert i["firmware"] == "bios", i
assert sorted(i["readiness"]) == ["aws", "sce"], i
assert i["readiness"]["sce"] == "fail", i
assert i["readiness"]["aws"] in ("pass", "warn", "fail"), i
PY

$FERRY list --connect "$uri" --json >"$tmpdir/list" || fail "list --json"
python3 -c 'import json,sys; vm, = json.load(open(sys.argv[1]))["listvmsforimportresponse"]["unmanagedinstance"]; assert "inspect" not in vm' \
    "$tmpdir/list" || fail "an inspect member without --inspect"

set +e
$FERRY list --connect "$uri" --inspect 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status of --inspect without --json"
assert_contains "$(cat "$tmpdir/err")" "--inspect goes with --json" "usage message"
