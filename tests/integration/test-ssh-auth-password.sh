#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Password login for a throwaway local user (created here, deleted at
# exit; root keeps key-only login): the password from a file and from the
# environment logs in, a wrong one is refused (exit 8) and appears in no
# message.
. "$top_srcdir/tests/integration/functions.sh"
requires useradd userdel chpasswd
make_tmpdir
user=fy$$
start_sshd "PasswordAuthentication yes" "AllowUsers root $user"
t="$top_builddir/tests/tools/ssh-tool -p $sshd_port --known-hosts $sshd_known_hosts"

if getent passwd "$user" >/dev/null; then
    fail "user $user already exists"
fi
useradd -M -d "$tmpdir" -s /bin/sh "$user" || skip "useradd failed"
cleanup_fn "userdel '$user' 2>/dev/null"
password="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
echo "$user:$password" | chpasswd

printf '%s\n' "$password" >"$tmpdir/password"
chmod 600 "$tmpdir/password"
# A missing identity file is the user's mistake, reported as such (exit
# 2, a bad argument) before the password is tried.
set +e
$t -i "$tmpdir/none" --password-file "$tmpdir/password" login "$user@127.0.0.1" \
    >"$tmpdir/out" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status for a missing identity file"
assert_contains "$(cat "$tmpdir/err")" "identity file $tmpdir/none: No such file or directory" \
    "missing identity file"
assert_eq "$(cat "$tmpdir/out")" "" "output for a missing identity file"
if grep -q "password for $user" "$sshd_dir/sshd.log"; then
    fail "the password was tried after a missing identity file"
fi

# No identity files at all: -i is not given, and HOME has none.
out=$(HOME=$tmpdir $t --password-file "$tmpdir/password" login "$user@127.0.0.1")
assert_eq "$out" "logged in to ssh://$user@127.0.0.1:$sshd_port" "password from a file"
out=$(HOME=$tmpdir FERRY_TEST_PASSWORD=$password \
      $t --password-env FERRY_TEST_PASSWORD login "$user@127.0.0.1")
assert_eq "$out" "logged in to ssh://$user@127.0.0.1:$sshd_port" "password from the environment"

echo "not-$password" >"$tmpdir/bad_password"
set +e
HOME=$tmpdir $t --password-file "$tmpdir/bad_password" login "$user@127.0.0.1" \
    >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status for a wrong password"
assert_contains "$(cat "$tmpdir/err")" "login refused (tried: password" "wrong password message"
if grep -q -- "$password" "$tmpdir/err"; then
    fail "the password reached a message"
fi
if grep -q -- "$password" "$sshd_dir/sshd.log"; then
    fail "the password reached sshd's log"
fi
