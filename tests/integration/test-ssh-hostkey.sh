#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Host keys against a real sshd: a known host passes, an unknown one is
# refused with its SHA256 fingerprint (exit 8), a changed key is refused
# naming the known_hosts line, accept-new records the key once, hashed
# entries work, and a pinned fingerprint replaces known_hosts.  Each
# refusal comes before authentication: sshd (at LogLevel DEBUG, which logs
# every userauth request, as a login made here shows) logged the refused
# connection but no authentication request and no key in it.
. "$top_srcdir/tests/integration/functions.sh"
make_tmpdir
sshd_log_level=DEBUG
start_sshd
tool=$top_builddir/tests/tools/ssh-tool
t="$tool -p $sshd_port"

# log_lines: how many lines sshd's log has once it has been still for
# 0.2 s (what earlier connections log as they close comes before).
log_lines() {
    prev=-1
    now=$(wc -l <"$sshd_dir/sshd.log")
    while [ "$now" != "$prev" ]; do
        sleep 0.2
        prev=$now
        now=$(wc -l <"$sshd_dir/sshd.log")
    done
    echo "$now"
}

# assert_no_auth SINCE WHAT: the connection sshd logged after line SINCE
# of its log ended with no authentication request and no key offered.
assert_no_auth() {
    i=0
    until tail -n +"$(($1 + 1))" "$sshd_dir/sshd.log" |
            grep -q -E "Connection (closed|reset) by|Disconnected from"; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "$2: sshd logged no end of the connection in 5 s"
        sleep 0.05
    done
    tail -n +"$(($1 + 1))" "$sshd_dir/sshd.log" >"$tmpdir/conn.log"
    grep -q "Connection from 127.0.0.1 port" "$tmpdir/conn.log" ||
        fail "$2: sshd did not log the connection"
    if grep -E "$auth_lines" "$tmpdir/conn.log"; then
        fail "$2: sshd saw authentication before the host key was refused"
    fi
}
auth_lines="userauth|Accepted key|Postponed publickey|publickey for|password for"

# The oracle can see authentication: a login logs userauth requests.
ssh_client_key ed25519 id
since=$(log_lines)
$t --known-hosts "$sshd_known_hosts" -i "$tmpdir/id" login root@127.0.0.1 >/dev/null
grep -q -E "$auth_lines" "$sshd_dir/sshd.log" ||
    fail "sshd's log shows no authentication even for a login"
grep -q "userauth-request for user root" "$sshd_dir/sshd.log" ||
    fail "sshd's log has no userauth-request for a login"

# Known host: the fingerprint printed is ssh-keygen's.
out=$($t --known-hosts "$sshd_known_hosts" hostkey-check 127.0.0.1)
assert_eq "$out" "$sshd_host_key_fp" "fingerprint of a known host"

# Unknown host: refused, fingerprint shown, nothing written.
: >"$tmpdir/empty_known_hosts"
since=$(log_lines)
set +e
$t --known-hosts "$tmpdir/empty_known_hosts" hostkey-check 127.0.0.1 \
    >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status for an unknown host"
assert_no_auth "$since" "unknown host"
assert_contains "$(cat "$tmpdir/err")" "not in known_hosts" "unknown host message"
# With nothing known, the server may show either of its two keys.
case "$(cat "$tmpdir/err")" in
    *"ssh-ed25519 $sshd_host_key_fp"*|*"ecdsa-sha2-nistp256 $sshd_host_key_fp_ecdsa"*) ;;
    *) fail "unknown host message names neither host key: $(cat "$tmpdir/err")" ;;
esac
assert_eq "$(wc -c <"$tmpdir/empty_known_hosts")" 0 "strict policy wrote to known_hosts"

# Changed key: line 3 holds another ed25519 key for the server.
ssh-keygen -q -t ed25519 -N '' -f "$tmpdir/other_host"
{
    echo "# ferry test"
    echo "[127.0.0.2]:$sshd_port $(cut -d' ' -f1,2 "$sshd_dir/host_ed25519.pub")"
    echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$tmpdir/other_host.pub")"
} >"$tmpdir/changed_known_hosts"
since=$(log_lines)
set +e
$t --known-hosts "$tmpdir/changed_known_hosts" --accept-new hostkey-check \
    127.0.0.1 >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status for a changed host key"
assert_no_auth "$since" "changed host key"
assert_contains "$(cat "$tmpdir/err")" \
    "host key does not match $tmpdir/changed_known_hosts line 3" "changed key message"
assert_contains "$(cat "$tmpdir/err")" "$sshd_host_key_fp" "changed key fingerprint"

# accept-new: first connect records, second connect passes strictly.
$t --known-hosts "$tmpdir/new_known_hosts" --accept-new hostkey-check 127.0.0.1 >/dev/null
assert_eq "$(wc -l <"$tmpdir/new_known_hosts")" 1 "lines recorded by accept-new"
assert_contains "$(cat "$tmpdir/new_known_hosts")" "[127.0.0.1]:$sshd_port " \
    "recorded entry"
first=$($t --known-hosts "$tmpdir/new_known_hosts" hostkey-check 127.0.0.1)
case "$first" in
    "$sshd_host_key_fp"|"$sshd_host_key_fp_ecdsa") ;;
    *) fail "second connect after accept-new: unexpected key $first" ;;
esac
assert_eq "$(wc -l <"$tmpdir/new_known_hosts")" 1 "lines after the second connect"
# OpenSSH's client agrees with the line written.
ssh-keygen -F "[127.0.0.1]:$sshd_port" -f "$tmpdir/new_known_hosts" >/dev/null ||
    fail "ssh-keygen -F does not find the recorded entry"

# Hashed by ssh-keygen -H.
cp "$sshd_known_hosts" "$tmpdir/hashed_known_hosts"
ssh-keygen -q -H -f "$tmpdir/hashed_known_hosts" >/dev/null 2>&1
grep -q '^|1|' "$tmpdir/hashed_known_hosts" || fail "ssh-keygen -H did not hash"
out=$($t --known-hosts "$tmpdir/hashed_known_hosts" hostkey-check 127.0.0.1)
assert_eq "$out" "$sshd_host_key_fp" "hashed known_hosts entry"

# Pinned fingerprint: known_hosts is not needed; a wrong pin is refused.
out=$($t --known-hosts /nonexistent --fingerprint "$sshd_host_key_fp" hostkey-check 127.0.0.1)
assert_eq "$out" "$sshd_host_key_fp" "pinned fingerprint"
other_fp=$(ssh-keygen -l -E sha256 -f "$tmpdir/other_host.pub" | cut -d' ' -f2)
since=$(log_lines)
set +e
$t --fingerprint "$other_fp" hostkey-check 127.0.0.1 >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 8 "exit status for a wrong pinned fingerprint"
assert_no_auth "$since" "wrong pinned fingerprint"
assert_contains "$(cat "$tmpdir/err")" "does not match the pinned fingerprint $other_fp" \
    "wrong pin message"
