#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ssh-agent: a key held only by a private agent logs in (the key file is
# gone by then), and without the agent option the same setup is refused.
. "$top_srcdir/tests/integration/functions.sh"
requires ssh-agent ssh-add
make_tmpdir
start_sshd
t="$top_builddir/tests/tools/ssh-tool -p $sshd_port --known-hosts $sshd_known_hosts"

ssh_client_key ed25519 id_agent
eval "$(ssh-agent -s -a "$tmpdir/agent.sock")" >/dev/null
cleanup_fn "kill $SSH_AGENT_PID 2>/dev/null"
ssh-add -q "$tmpdir/id_agent" 2>/dev/null
rm -f "$tmpdir/id_agent" "$tmpdir/id_agent.pub"

# -i names a key that is not authorized, so only the agent can succeed.
ssh-keygen -q -t ed25519 -N '' -f "$tmpdir/id_stranger"
out=$($t --agent -i "$tmpdir/id_stranger" login root@127.0.0.1)
assert_eq "$out" "logged in to ssh://root@127.0.0.1:$sshd_port" "login through the agent"

set +e
$t -i "$tmpdir/id_stranger" login root@127.0.0.1 >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status without the agent"

# An agent that is gone is skipped, not an error of its own.
SSH_AUTH_SOCK=$tmpdir/no-such.sock
set +e
$t --agent -i "$tmpdir/id_stranger" login root@127.0.0.1 >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status with a dead agent socket"
assert_contains "$(cat "$tmpdir/err")" "login refused" "dead agent message"
