#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent's [export] file-mode and file-group (ferry.conf) give the
# finished files of a file:// pool their mode and group; a caller cannot
# choose them (no row in the authorization table: an unknown option), and
# a bad value in ferry.conf stops the agent with a message naming the key.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io gdbus stat getent
make_tmpdir
umask 022
group=daemon
getent group "$group" >/dev/null || skip "requires the group $group"

img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
make_image raw "$img/root.raw" 4M "0x5a 0 1M"
name=ferry-test-$$-fmode
write_test_host "$name" "vda:raw:$img/root.raw"

# A bad mode: the agent does not start, and says why.
printf '[export]\nfile-mode=0999\n' >"$tmpdir/ferry.conf"
start_private_bus
set +e
"$FERRY_AGENT" --bus-address "$bus_address" --state-dir "$tmpdir/state0" \
    --config "$tmpdir/ferry.conf" >/dev/null 2>"$tmpdir/err"
status=$?
set -e
[ "$status" != 0 ] || fail "the agent started with file-mode=0999"
assert_contains "$(cat "$tmpdir/err")" \
    "$tmpdir/ferry.conf: [export] file-mode: '0999' is not an octal number within 01..0777" \
    "the agent's message for a bad file-mode"

printf '[export]\nfile-mode=0640\nfile-group=%s\n' "$group" >"$tmpdir/ferry.conf"
start_agent
set +e
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export "$name" "file://$pool" \
    "{'connect': <'$test_host_uri'>, 'file-mode': <uint64 511>}" >/dev/null 2>"$tmpdir/err"
status=$?
set -e
[ "$status" != 0 ] || fail "a caller set file-mode"
assert_eq "$(cat "$tmpdir/err")" \
    "Error: GDBus.Error:org.ferry.Error.Invalid: Export: option 'file-mode' is unknown" \
    "Export with a caller's file-mode"

gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export "$name" "file://$pool" \
    "{'connect': <'$test_host_uri'>, 'format': <'raw'>}" >/dev/null || fail "Export failed"
"$FERRY" watch 1 >/dev/null 2>"$tmpdir/err" || fail "the job failed: $(cat "$tmpdir/err")"
cmp "$img/root.raw" "$pool/$name-vda.raw" || fail "the disk differs"
for f in "$name-vda.raw" "$name.xml" "$name.ferry.json"; do
    assert_eq "$(stat -c '%a %G' "$pool/$f")" "640 $group" "mode and group of $f"
done
assert_no_part "$pool"
