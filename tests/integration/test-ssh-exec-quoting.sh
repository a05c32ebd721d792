#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Remote commands: a file name with spaces, quotes and $(...) reaches the
# remote command as one argument, unexpanded; the exit status comes back;
# a failing command is FERRY_ERROR_REMOTE naming it with its stderr.
. "$top_srcdir/tests/integration/functions.sh"
make_tmpdir
start_sshd
ssh_client_key ed25519 id
t="$top_builddir/tests/tools/ssh-tool -p $sshd_port --known-hosts $sshd_known_hosts -i $tmpdir/id"

# Were $(...) or `...` run remotely, the file would get another name.
name="$tmpdir/it's a \"disk\" \$(echo pwned) \`echo id\`;\$HOME.img"
$t exec root@127.0.0.1 touch -- "$name"
[ -f "$name" ] || fail "the remote touch did not create the oddly named file"
assert_eq "$(ls "$tmpdir" | grep -c disk)" 1 "files made by the remote touch"

out=$($t exec root@127.0.0.1 ls -- "$name")
assert_eq "$out" "$name" "ls of the oddly named file"
out=$($t exec root@127.0.0.1 printf '%s|' 'a b' "c'd" '' '$HOME')
assert_eq "$out" "a b|c'd||\$HOME|" "arguments passed through unchanged"

# Exit status and stderr.
set +e
$t exec root@127.0.0.1 sh -c 'echo to-stderr >&2; exit 3' >"$tmpdir/out" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 3 "remote exit status"
assert_eq "$(cat "$tmpdir/err")" "to-stderr" "remote stderr"

# exec-check: a failure is FERRY_ERROR_REMOTE (exit 10) naming the
# command and its stderr's first line.
set +e
$t exec-check root@127.0.0.1 sh -c 'echo first line >&2; echo second >&2; exit 2' \
    >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 10 "exit status of exec-check for a failing command"
assert_contains "$(cat "$tmpdir/err")" "remote command 'sh' exited with status 2: first line" \
    "exec-check message"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines of the exec-check message"

# Output up to the 1 MiB cap is read whole; more (past libssh2's 2 MiB
# channel window, so the reading goes on to the end) is refused, exit 10.
out=$($t exec root@127.0.0.1 head -c 1000000 /dev/zero | wc -c)
assert_eq "$out" 1000000 "bytes of a large stdout"
set +e
$t exec root@127.0.0.1 head -c 5000000 /dev/zero >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 10 "exit status for stdout over the cap"
assert_contains "$(cat "$tmpdir/err")" "head: output is longer than 1048576 bytes" \
    "stdout over the cap message"
