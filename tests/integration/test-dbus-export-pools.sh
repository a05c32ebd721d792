#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Where a caller other than root may export.  nobody, in the [agent]
# group, exports a libvirt test-driver domain into a directory of
# [agent] pools (and below it), but a file:// target outside them, one
# that leaves a pool by "..", by a symlink or names no directory, one with
# a control character, and a scheme other than file and ssh are refused
# with org.ferry.Error.AccessDenied (Invalid for the control character); root
# exports anywhere.  An option the Export table lacks is
# org.ferry.Error.Invalid naming it; "connect" other than [agent] connect
# is root's only.  nobody's accept-new records host keys in the agent's
# own <state dir>/known_hosts.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires_root
requires gdbus setpriv qemu-img qemu-io
getent passwd nobody >/dev/null || skip "requires the user nobody"
nobody_group=$(id -gn nobody)
make_tmpdir
mkdir -p "$tmpdir/pool/sub" "$tmpdir/pool/c" "$tmpdir/outside" "$tmpdir/pool-other"
chmod 755 "$tmpdir" "$tmpdir/pool" "$tmpdir/pool/sub" "$tmpdir/pool/c" "$tmpdir/outside"
ln -s "$tmpdir/outside" "$tmpdir/pool/link"
make_image raw "$tmpdir/disk.raw" 1M "0x77 0 64k"
write_test_host web1 "vda:raw:$tmpdir/disk.raw"
start_private_bus
printf '[agent]\ngroup=%s\npools=%s\nconnect=%s\n' "$nobody_group" "$tmpdir/pool" \
    "$test_host_uri" >"$tmpdir/ferry.conf"
start_agent

as_root() {
    gdbus call -a "$bus_address" -d org.ferry.Agent1 "$@"
}
as_nobody() {
    setpriv --reuid=nobody --regid="$nobody_group" --clear-groups \
        env HOME=/nonexistent gdbus call -a "$bus_address" -d org.ferry.Agent1 "$@"
}
export_as() {
    who=$1
    shift
    "as_$who" -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.Export "$@"
}
# refused NAME WHAT CMD...: CMD fails with exactly the D-Bus error NAME.
refused() {
    want=$1 what=$2
    shift 2
    "$@" >/dev/null 2>"$tmpdir/err" && fail "$what succeeded"
    name=$(sed -n 's/.*GDBus\.Error:\([A-Za-z.]*\): .*/\1/p' "$tmpdir/err")
    assert_eq "$name" "$want" "$what: error name ($(cat "$tmpdir/err"))"
}
# await_state JOB STATE
await_state() {
    i=0
    until [ "$(as_root -o "/org/ferry/Agent1/jobs/$1" -m org.freedesktop.DBus.Properties.Get \
              org.ferry.Agent1.Job State)" = "(<'$2'>,)" ]; do
        i=$((i + 1))
        [ $i -lt 200 ] || fail "job $1 is not $2: $(as_root -o "/org/ferry/Agent1/jobs/$1" \
            -m org.ferry.Agent1.Job.GetDetails "{}")"
        sleep 0.1
    done
}

# Inside: the pool itself and a directory below it.
export_as nobody web1 "file://$tmpdir/pool" "{}" >/dev/null || fail "nobody's Export into the pool failed"
await_state 1 completed
[ -s "$tmpdir/pool/web1-vda.qcow2" ] || fail "nobody's export wrote no disk"
export_as nobody web1 "file://$tmpdir/pool/sub/" "{'format': <'raw'>}" >/dev/null ||
    fail "nobody's Export below the pool failed"
await_state 2 completed
[ -s "$tmpdir/pool/sub/web1-vda.raw" ] || fail "nobody's export below the pool wrote no disk"

# Outside.
refused org.ferry.Error.AccessDenied "nobody's Export outside the pools" \
    export_as nobody web1 "file://$tmpdir/outside" "{}"
assert_contains "$(cat "$tmpdir/err")" \
    "Export: target 'file://$tmpdir/outside': '$tmpdir/outside' is not in a pool of [agent] pools" \
    "outside message"
refused org.ferry.Error.AccessDenied "nobody's Export out of the pool by .." \
    export_as nobody web1 "file://$tmpdir/pool/../outside" "{}"
refused org.ferry.Error.AccessDenied "nobody's Export to a pool's prefix" \
    export_as nobody web1 "file://$tmpdir/pool-other" "{}"
refused org.ferry.Error.AccessDenied "nobody's Export through a symlink" \
    export_as nobody web1 "file://$tmpdir/pool/link" "{}"
refused org.ferry.Error.AccessDenied "nobody's Export to a missing directory" \
    export_as nobody web1 "file://$tmpdir/pool/missing" "{}"
refused org.ferry.Error.Invalid "nobody's Export to a path with a newline" \
    export_as nobody web1 "file://$tmpdir/pool/a%0ab" "{}"
assert_contains "$(cat "$tmpdir/err")" "target path: control character 0x0a" "newline message"
refused org.ferry.Error.AccessDenied "nobody's Export to an aws target" \
    export_as nobody web1 "aws://us-east-1/bucket" "{}"
[ -z "$(ls -A "$tmpdir/outside")" ] || fail "something was written outside: $(ls -A "$tmpdir/outside")"

# Options: unknown ones, connect.
refused org.ferry.Error.Invalid "nobody's Export with an unknown option" \
    export_as nobody web1 "file://$tmpdir/pool" "{'frobnicate': <true>}"
assert_contains "$(cat "$tmpdir/err")" "Export: option 'frobnicate' is unknown" "unknown option message"
refused org.ferry.Error.Invalid "root's Export with an unknown option" \
    export_as root web1 "file://$tmpdir/pool" "{'frobnicate': <true>}"
refused org.ferry.Error.AccessDenied "nobody's Export with another connect" \
    export_as nobody web1 "file://$tmpdir/pool" "{'connect': <'test:///default'>}"
assert_contains "$(cat "$tmpdir/err")" \
    "Export: option 'connect': only root may name a libvirt URI other than [agent] connect" \
    "connect message"
refused org.ferry.Error.AccessDenied "root's Export with an ext connect" \
    export_as root web1 "file://$tmpdir/pool" "{'connect': <'qemu+ext:///system?command=/bin/true'>}"
export_as nobody web1 "file://$tmpdir/pool/c" "{'connect': <'$test_host_uri'>}" \
    >/dev/null || fail "nobody's Export naming the configured connect failed"
await_state 3 completed

# Root exports anywhere.
export_as root web1 "file://$tmpdir/outside" "{}" >/dev/null || fail "root's Export outside failed"
await_state 4 completed
[ -s "$tmpdir/outside/web1-vda.qcow2" ] || fail "root's export outside wrote no disk"

# nobody's accept-new goes to the agent's known_hosts (the job is queued;
# its target is reached only when it runs, and nothing listens there).
export_as nobody web1 "ssh://u@127.0.0.1:1/pool" "{'accept-new': <true>}" >/dev/null ||
    fail "nobody's Export with accept-new failed"
out=$(as_nobody -o /org/ferry/Agent1/jobs/5 -m org.ferry.Agent1.Job.GetDetails "{}") ||
    fail "nobody's GetDetails of job 5 failed"
assert_contains "$out" "'known-hosts': <'$tmpdir/state/known_hosts'>" "known-hosts of nobody's accept-new"

# A directory of a pool swapped for a symlink between Export and the run:
# the job does not follow it.  Two long test jobs of root's hold both
# places of the queue (concurrency 2) while nobody's job waits.
as_root -o /org/ferry/Agent1/jobs/5 -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null 2>&1 || true
mkdir "$tmpdir/pool/swap"
chmod 755 "$tmpdir/pool/swap"
for j in 6 7; do
    export_as root "sleep$j" "file://$tmpdir/pool" \
        "{'kind': <'test-sleep'>, 'bytes': <uint64 1000>, 'step': <uint64 1>, 'delay-ms': <uint64 100>}" \
        >/dev/null || fail "test job $j"
    await_state $j running
done
export_as nobody web1 "file://$tmpdir/pool/swap" "{'format': <'raw'>}" >/dev/null ||
    fail "nobody's Export into pool/swap failed"
await_state 8 queued
rmdir "$tmpdir/pool/swap"
ln -s "$tmpdir/outside" "$tmpdir/pool/swap"
rm -f "$tmpdir/outside"/*
for j in 6 7; do
    as_root -o "/org/ferry/Agent1/jobs/$j" -m org.ferry.Agent1.Job.Cancel "{}" >/dev/null ||
        fail "cancel of test job $j"
done
await_state 8 failed
out=$(as_nobody -o /org/ferry/Agent1/jobs/8 -m org.ferry.Agent1.Job.GetDetails "{}") ||
    fail "nobody's GetDetails of job 8"
assert_contains "$out" \
    "file://$tmpdir/pool/swap: pool '$tmpdir/pool/swap': 'swap' is not a plain directory (a symbolic link is not followed here)" \
    "the swapped pool's error"
[ -z "$(ls -A "$tmpdir/outside")" ] || fail "nobody's job wrote through the link: $(ls -A "$tmpdir/outside")"
