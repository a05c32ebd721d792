#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A file:// pool where someone planted symbolic links under the names
# ferry creates, each pointing at a victim file outside the pool: as the
# "<disk>.part" (fresh and with --resume), as the final disk name (to the
# victim, and dangling), and as the domain XML's name.  Each export is
# refused with exit 7 and a message naming the link; the victim's sha256
# is unchanged, nothing is created where a dangling link points, and the
# link is still there.  A pool reached through a symlinked parent works.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io sha256sum
make_tmpdir

img=$tmpdir/img
mkdir "$img" "$tmpdir/real"
make_image qcow2 "$img/root.qcow2" 8M "0x22 0 2M"
name=ferry-test-$$-link
write_test_host "$name" "vda:qcow2:$img/root.qcow2"
uri=$test_host_uri
disk=$name-vda.qcow2
printf 'precious bytes\n' >"$tmpdir/victim"
victim_sum=$(sha256sum "$tmpdir/victim" | cut -d' ' -f1)

# refused CASE LINK TARGET [ARGS...]: a fresh pool with LINK -> TARGET;
# the export fails with 7 naming LINK, and nothing outside the pool moved.
refused() {
    case_name=$1 link=$2 link_to=$3
    shift 3
    pool=$tmpdir/pool-$case_name
    mkdir "$pool"
    ln -s "$link_to" "$pool/$link"
    set +e
    $FERRY export "$name" --connect "$uri" --to "file://$pool" "$@" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" 7 "exit status with a symlink as $case_name"
    assert_contains "$(cat "$tmpdir/err")" "'$link'" "message with a symlink as $case_name"
    assert_contains "$(cat "$tmpdir/err")" "symbolic link" "message with a symlink as $case_name"
    assert_eq "$(sha256sum "$tmpdir/victim" | cut -d' ' -f1)" "$victim_sum" \
        "victim's sha256 after a symlink as $case_name"
    assert_eq "$(readlink "$pool/$link")" "$link_to" "the link after $case_name"
    assert_eq "$(ls "$tmpdir/real")" "" "files created outside the pool by $case_name"
}

refused part "$disk.part" "$tmpdir/victim"
refused part-resume "$disk.part" "$tmpdir/victim" --resume
refused final "$disk" "$tmpdir/victim"
refused final-resume "$disk" "$tmpdir/victim" --resume
refused final-dangling "$disk" "$tmpdir/real/new"
refused xml "$name.xml" "$tmpdir/victim"
refused xml-part "$name.xml.part" "$tmpdir/victim"
refused manifest "$name.ferry.json" "$tmpdir/real/new"

# The pool itself may be reached through a symlink.
mkdir "$tmpdir/pool-real"
ln -s pool-real "$tmpdir/pool-link"
$FERRY export "$name" --connect "$uri" --to "file://$tmpdir/pool-link" 2>"$tmpdir/err" ||
    fail "export through a symlinked pool: $(cat "$tmpdir/err")"
qemu-img compare -q "$img/root.qcow2" "$tmpdir/pool-real/$disk" || fail "vda differs"
assert_no_part "$tmpdir/pool-real"

# A pool path with a control character is refused before anything is made.
set +e
$FERRY export "$name" --connect "$uri" --to "file://$tmpdir/pool%0Aevil" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status for a pool path with a newline"
assert_contains "$(cat "$tmpdir/err")" "control character 0x0a" "pool path with a newline"
