#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# IPv6: the same sshd reached on [::1], known as [::1]:port, and the name
# "localhost" resolved to whichever address answers.
. "$top_srcdir/tests/integration/functions.sh"
make_tmpdir
start_sshd
[ "$sshd_ipv6" = 1 ] || skip "::1 is not configured on the loopback"
ssh_client_key ed25519 id
t="$top_builddir/tests/tools/ssh-tool -p $sshd_port --known-hosts $sshd_known_hosts -i $tmpdir/id"

out=$($t hostkey-check '[::1]')
assert_eq "$out" "$sshd_host_key_fp" "host key over IPv6"
out=$($t login 'root@[::1]')
assert_eq "$out" "logged in to ssh://root@[::1]:$sshd_port" "login over IPv6"
out=$($t exec 'root@[::1]' sh -c 'echo $SSH_CONNECTION' | cut -d' ' -f1)
assert_eq "$out" "::1" "client address seen by the server"
grep -q "Connection from ::1 " "$sshd_dir/sshd.log" || fail "sshd saw no IPv6 connection"

# A name: known_hosts must name it, as ssh would require.
echo "[localhost]:$sshd_port $(cut -d' ' -f1,2 "$sshd_dir/host_ed25519.pub")" >>"$sshd_known_hosts"
out=$($t login root@localhost)
assert_eq "$out" "logged in to ssh://root@localhost:$sshd_port" "login by name"
