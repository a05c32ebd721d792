#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A connection that fails is one line on stderr naming the URI, and an exit
# status that tells why: 2 for a URI that is not one, 9 for a daemon that
# does not answer (saying what to start, from ferry list as from ferry
# export), 8 for a socket the user may not open.
. "$top_srcdir/tests/integration/functions.sh"
requires python3 setpriv
make_tmpdir

# expect_fail STATUS MESSAGE-START ARGS...
expect_fail() {
    want_status=$1 want_msg=$2
    shift 2
    set +e
    "$@" >"$tmpdir/out" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" "$want_status" "exit status of $*"
    assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr of $*"
    assert_contains "$(cat "$tmpdir/err")" "$want_msg" "message of $*"
    assert_eq "$(wc -c <"$tmpdir/out")" 0 "bytes on stdout of $*"
}

expect_fail 2 "ferry: ::bad: cannot connect: not a valid URI" \
    "$FERRY" list --connect '::bad'
sock=$tmpdir/no-such-socket
# No daemon: say what to start, not only which socket is missing.
expect_fail 9 "ferry: qemu+unix:///system?socket=$sock: cannot connect: libvirt is not running here (start it: systemctl start libvirtd): Failed to connect socket to '$sock': No such file or directory" \
    "$FERRY" list --connect "qemu+unix:///system?socket=$sock"
expect_fail 9 "ferry: qemu+unix:///system?socket=$sock: cannot connect: " \
    env LIBVIRT_DEFAULT_URI="qemu+unix:///system?socket=$sock" "$FERRY" list --json
# ferry export connects the same way, and says the same.
expect_fail 9 "ferry: qemu+unix:///system?socket=$sock: cannot connect: libvirt is not running here (start it: systemctl start libvirtd): Failed to connect socket to '$sock': No such file or directory" \
    "$FERRY" export web1 --connect "qemu+unix:///system?socket=$sock" --to "file://$tmpdir"
expect_fail 2 "ferry: list: Unknown option --frobnicate (see 'ferry list --help')" \
    "$FERRY" list --frobnicate
expect_fail 2 "ferry: list: takes no arguments (see 'ferry list --help')" "$FERRY" list extra

# Permission denied: a listening socket only root may reach, tried as
# nobody.  Last, so that a skip here drops only this case, and says so.
[ "$(id -u)" = 0 ] || skip "the permission case requires root"
id nobody >/dev/null 2>&1 || skip "the permission case requires the user nobody"
mkdir "$tmpdir/priv"
chmod 0755 "$tmpdir"
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)
' "$tmpdir/priv/sock" &
listener=$!
cleanup_fn "kill $listener 2>/dev/null"
await_daemon "socket listener" "$listener" /dev/null "made no socket" \
    test -S "$tmpdir/priv/sock"
chmod 0700 "$tmpdir/priv"
expect_fail 8 "cannot connect: " \
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$FERRY" list --connect "qemu+unix:///system?socket=$tmpdir/priv/sock"
assert_contains "$(cat "$tmpdir/err")" "Permission denied" "permission message"
