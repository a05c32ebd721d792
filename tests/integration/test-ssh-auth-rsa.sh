#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# An RSA identity file logs in.  Debian 12's libssh2 1.10.0 signs RSA
# only as ssh-rsa (SHA-1), which OpenSSH 9 accepts only when told to:
# this sshd is, so the key path itself is proven; with a libssh2 that
# has rsa-sha2-256/512 the extra line is not needed
# (test-ssh-auth-keys.sh reports which case it saw).
. "$top_srcdir/tests/integration/functions.sh"
make_tmpdir
start_sshd "PubkeyAcceptedAlgorithms +ssh-rsa"
t="$top_builddir/tests/tools/ssh-tool -p $sshd_port --known-hosts $sshd_known_hosts"

ssh_client_key rsa id_rsa
out=$($t -i "$tmpdir/id_rsa" login root@127.0.0.1)
assert_eq "$out" "logged in to ssh://root@127.0.0.1:$sshd_port" "login with an rsa key"
grep -q "Accepted publickey for root .* RSA " "$sshd_dir/sshd.log" ||
    fail "sshd did not log an accepted RSA key"
