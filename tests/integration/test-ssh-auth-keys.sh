#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Identity files against a real sshd: ed25519 and ecdsa keys log in, an
# encrypted key with its passphrase from a file or the environment logs
# in, a wrong passphrase and an unauthorized key are refused (exit 8).
# RSA: Debian 12's libssh2 1.10.0 signs only with ssh-rsa (SHA-1), which
# OpenSSH 9 refuses by default; the script checks both sides of that.
. "$top_srcdir/tests/integration/functions.sh"
make_tmpdir
start_sshd
t="$top_builddir/tests/tools/ssh-tool -p $sshd_port --known-hosts $sshd_known_hosts"

ssh_client_key ed25519 id_ed25519
ssh_client_key ecdsa id_ecdsa
ssh_client_key rsa id_rsa
ssh_client_key ed25519 id_locked 'correct horse'
ssh-keygen -q -t ed25519 -N '' -f "$tmpdir/id_stranger"   # not authorized

for k in id_ed25519 id_ecdsa; do
    out=$($t -i "$tmpdir/$k" login root@127.0.0.1)
    assert_eq "$out" "logged in to ssh://root@127.0.0.1:$sshd_port" "login with $k"
done

# Passphrase from a file (with the newline echo adds) and from the env.
echo 'correct horse' >"$tmpdir/passphrase"
chmod 600 "$tmpdir/passphrase"
$t -i "$tmpdir/id_locked" --passphrase-file "$tmpdir/passphrase" login root@127.0.0.1 >/dev/null ||
    fail "passphrase from a file"
FERRY_TEST_PASSPHRASE='correct horse' \
    $t -i "$tmpdir/id_locked" --passphrase-env FERRY_TEST_PASSPHRASE login root@127.0.0.1 >/dev/null ||
    fail "passphrase from the environment"

# Wrong passphrase: refused, and the passphrase is in no message.
echo 'wrong horse' >"$tmpdir/bad_passphrase"
set +e
$t -i "$tmpdir/id_locked" --passphrase-file "$tmpdir/bad_passphrase" login root@127.0.0.1 \
    >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status for a wrong passphrase"
assert_contains "$(cat "$tmpdir/err")" "$tmpdir/id_locked" "wrong passphrase message"
if grep -q horse "$tmpdir/err"; then
    fail "the passphrase reached a message"
fi

# A key the server does not know.
set +e
$t -i "$tmpdir/id_stranger" login root@127.0.0.1 >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status for an unauthorized key"
assert_contains "$(cat "$tmpdir/err")" "login refused (tried: $tmpdir/id_stranger" \
    "unauthorized key message"
grep -q "Failed publickey for root" "$sshd_dir/sshd.log" ||
    fail "sshd did not log the refused key"

# RSA: refused by a default OpenSSH 9 unless libssh2 can sign rsa-sha2-*.
if $t -i "$tmpdir/id_rsa" login root@127.0.0.1 >/dev/null 2>"$tmpdir/err"; then
    echo "rsa key accepted (libssh2 signs with rsa-sha2-*)"
else
    assert_contains "$(cat "$tmpdir/err")" "login refused" "rsa key refusal"
    echo "rsa key refused by default sshd: libssh2 signs with ssh-rsa (SHA-1) only"
fi
