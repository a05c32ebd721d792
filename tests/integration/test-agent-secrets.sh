#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A password never leaves the file it was read from: an export job of the
# agent logs in to the loopback sshd as a throwaway user with
# 'password-file', slowed so that it runs for a few seconds, with the
# agent logging everything (G_MESSAGES_DEBUG=all).  While it runs, no
# process's argv holds the password; afterwards it is in none of the
# agent's log, its state directory (job files), the job's D-Bus
# properties, `ferry jobs --json`, what the agent sent on the bus, the
# pool's files (manifest, domain XML) or sshd's log.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io gdbus useradd userdel chpasswd
make_tmpdir
user=fs$$
getent passwd "$user" >/dev/null && fail "user $user already exists"
useradd -M -d "$tmpdir" -s /bin/sh "$user" || skip "useradd failed"
cleanup_fn "userdel '$user' 2>/dev/null"
password="pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
echo "$user:$password" | chpasswd
printf '%s\n' "$password" >"$tmpdir/password"
chmod 600 "$tmpdir/password"

start_sshd "PasswordAuthentication yes" "AllowUsers root $user"
start_private_bus
G_MESSAGES_DEBUG=all
export G_MESSAGES_DEBUG
start_agent
unset G_MESSAGES_DEBUG
start_monitor

name=ferry-test-$$-secrets
img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
chown "$user" "$pool"
make_image raw "$img/data.raw" 32M "0x44 0 12M"
write_test_host "$name" "vda:raw:$img/data.raw"

gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export "$name" "ssh://$user@127.0.0.1:$sshd_port$pool" \
    "{'connect': <'$test_host_uri'>, 'password-file': <'$tmpdir/password'>,
      'known-hosts': <'$sshd_known_hosts'>, 'format': <'raw'>,
      'bwlimit': <uint64 4194304>}" >/dev/null || fail "Export failed"

# argv of every process, over and over while the job runs.
seen_running=0
i=0
while :; do
    state=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/1 \
        -m org.freedesktop.DBus.Properties.Get org.ferry.Agent1.Job State)
    case $state in
        *running*) seen_running=1 ;;
        *completed* | *failed* | *cancelled*) break ;;
    esac
    for f in /proc/[0-9]*/cmdline; do
        # A process may end between the glob and the read.
        if { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -q -- "$password"; then
            fail "the password is on the command line of ${f%/cmdline}: $(tr '\0' ' ' <"$f")"
        fi
    done
    i=$((i + 1))
    [ $i -lt 300 ] || fail "the job did not end within 60 s"
    sleep 0.2
done
assert_contains "$state" "completed" "the job's state"
assert_eq "$seen_running" 1 "the job was seen running (argv was looked at meanwhile)"
cmp -s "$img/data.raw" "$pool/$name-vda.raw" || fail "the exported disk differs"

gdbus introspect -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1 -r -p \
    >"$tmpdir/properties" || fail "introspect failed"
"$FERRY" jobs --json >"$tmpdir/jobs.json" || fail "ferry jobs failed"
sleep 0.5
kill "$monitor_pid"
stop_agent
assert_contains "$(cat "$tmpdir/agent.log")" "$name" "the agent's debug log (it logged the job)"
for f in "$tmpdir/agent.log" "$tmpdir/properties" "$tmpdir/jobs.json" "$tmpdir/monitor" \
         "$sshd_dir/sshd.log"; do
    if grep -q -- "$password" "$f"; then
        fail "the password is in $f"
    fi
done
if grep -r -q -- "$password" "$tmpdir/state" "$pool"; then
    fail "the password is in $(grep -r -l -- "$password" "$tmpdir/state" "$pool" | head -1)"
fi
[ -n "$(ls "$tmpdir/state")" ] || fail "the agent's state directory is empty"
