#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Connecting where no sshd is: a closed port fails at once, a port that
# accepts but never speaks SSH fails at the connect timeout, both with
# FERRY_ERROR_NETWORK (exit 9) and one line naming the target.
. "$top_srcdir/tests/integration/functions.sh"
requires python3
make_tmpdir
tool=$top_builddir/tests/tools/ssh-tool

# probe PORT TIMEOUT_MS: ssh-tool's host key check of 127.0.0.1:PORT; sets
# status and elapsed (whole seconds), its message in $tmpdir/err.
probe() {
    start=$(date +%s)
    set +e
    "$tool" -p "$1" --connect-timeout "$2" --fingerprint SHA256:x hostkey-check 127.0.0.1 \
        >/dev/null 2>"$tmpdir/err"
    status=$?
    set -e
    elapsed=$(($(date +%s) - start))
}

port=$(pick_unused_port)
probe "$port" 5000
assert_eq "$status" 9 "exit status for a closed port"
assert_contains "$(cat "$tmpdir/err")" "connect to 127.0.0.1 port $port: Connection refused" \
    "closed port message"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines of the closed port message"
[ "$elapsed" -le 2 ] || fail "a closed port took $elapsed s"

# A listener that accepts and stays silent.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$tmpdir/port" &
silent_pid=$!
cleanup_fn "kill $silent_pid 2>/dev/null"
await_daemon "silent listener" "$silent_pid" /dev/null "wrote no port" test -s "$tmpdir/port"
port=$(cat "$tmpdir/port")
probe "$port" 1500
assert_eq "$status" 9 "exit status for a silent server"
assert_contains "$(cat "$tmpdir/err")" "key exchange: no answer from the server within" \
    "silent server message"
[ "$elapsed" -ge 1 ] && [ "$elapsed" -le 4 ] || fail "a silent server took $elapsed s (timeout 1.5 s)"
