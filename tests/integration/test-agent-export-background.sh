#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry export --background` hands the export to ferry-agent and prints
# the job id (JSON with --json); `ferry watch` follows it to the end.
# (1) To the loopback sshd, with --identity and --known-hosts given as
# paths relative to the caller's directory (the agent runs elsewhere):
# with --streams 3: watch exits 0, the disk compares identical, sshd
# accepted the 3 connections.  (2) --json to a file://
# pool as raw: {"job", "path"}, and watch --json's last line carries the
# result, whose SHA-256 is sha256sum's.  (3) A job that fails, which only
# the job finds out: watch exits 3 with why, once for a pool that does
# not exist and once for one removed before the job runs.  (4) Refusals
# before any job: --resume, an unknown scheme, an unknown or running
# domain (the agent looks before queuing), and no agent running.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io python3 sha256sum gdbus

# export_with_fresh_agent: a new $tmpdir, sshd, bus and agent, a test-driver
# host with one qcow2 disk, then (1) and (2) as that agent's jobs 1 and 2.
# Each (3) runs on an agent of its own this way, and (4) counts the jobs of
# the second one: (1), (2) and its (3).
export_with_fresh_agent() {
    make_tmpdir
    start_agent_and_sshd

    name=ferry-test-$$-bg
    img=$tmpdir/img
    mkdir "$img" "$tmpdir/pool" "$tmpdir/pool2"
    make_image qcow2 "$img/root.qcow2" 32M "0x61 0 3M" "0x62 20M 1M"
    write_test_host "$name" "vda:qcow2:$img/root.qcow2"
    uri=$test_host_uri
    cp "$sshd_known_hosts" "$tmpdir/kh"

    # (1) ssh, relative paths, --streams 3 (the job's "streams" option).
    id=$(cd "$tmpdir" && "$FERRY" export "$name" --connect "$uri" --background \
        --to "ssh://root@127.0.0.1:$sshd_port$tmpdir/pool" --identity id --known-hosts kh \
        --streams 3) ||
        fail "export --background failed"
    assert_eq "$id" 1 "job id printed"
    "$FERRY" watch "$id" >"$tmpdir/watch" 2>"$tmpdir/err" ||
        fail "watch: $(cat "$tmpdir/err") $(cat "$tmpdir/watch")"
    assert_eq "$(tail -n 1 "$tmpdir/watch")" "job 1: completed" "last line of watch"
    qemu-img compare -q "$img/root.qcow2" "$tmpdir/pool/$name-vda.qcow2" || fail "vda differs (ssh)"
    logins=$(grep -c "Accepted publickey" "$sshd_dir/sshd.log")
    [ "$logins" -ge 3 ] || fail "--streams 3: sshd accepted $logins connections"
    assert_no_part "$tmpdir/pool"

    # (2) --json, file://, raw.
    "$FERRY" export "$name" --connect "$uri" --to "file://$tmpdir/pool2" --format raw \
        --background --json >"$tmpdir/out" || fail "export --background --json failed"
    assert_eq "$(cat "$tmpdir/out")" '{"job":"2","path":"/org/ferry/Agent1/jobs/2"}' "--json answer"
    "$FERRY" watch --json 2 >"$tmpdir/watch" || fail "watch --json 2 failed"
    sum=$(sha256sum "$tmpdir/pool2/$name-vda.raw" | cut -d' ' -f1)
    python3 - "$tmpdir/watch" "$sum" "$tmpdir/pool2/$name.ferry.json" <<'PY' || fail "watch --json (see above)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
last = lines[-1]
assert last["state"] == "completed" and last["id"] == "2", last
d, = last["result"]["disks"]
assert d["file"].endswith("-vda.raw") and d["sha256"] == sys.argv[2], d
assert last["result"]["manifest"] == sys.argv[3], last["result"]
PY
    qemu-img compare -q -F raw "$img/root.qcow2" "$tmpdir/pool2/$name-vda.raw" || fail "vda differs (file)"
}

export_with_fresh_agent

# (3) A job that fails: the target is only reached when the job runs.
id=$("$FERRY" export "$name" --connect "$uri" --to "file://$tmpdir/missing" --background) ||
    fail "export --background to a missing pool was refused at once"
set +e
"$FERRY" watch "$id" >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 3 "exit status of watching a job whose pool is missing"
assert_contains "$(cat "$tmpdir/err")" "ferry: open: $tmpdir/missing: No such file or directory" \
    "watch's message"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines of watch's message"

export_with_fresh_agent

# (3) A job that fails: its pool does not exist.  Export takes it (the
# target is reached only when the job runs), the job fails.  The pool is
# never made, so no race with the job decides which way the test goes.
id=$("$FERRY" export "$name" --connect "$uri" --to "file://$tmpdir/pool3" --background) ||
    fail "export --background to a missing pool3 was refused at Export"
set +e
"$FERRY" watch "$id" >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 3 "exit status of watching a job whose pool is missing"
assert_eq "$(cat "$tmpdir/err")" "ferry: open: $tmpdir/pool3: No such file or directory" \
    "watch's message"
[ ! -e "$tmpdir/pool3" ] || fail "the failed job made the pool: $(ls -la "$tmpdir/pool3")"

# (4) Refusals: one line, exit status, no job made.
try() {   # EXPECTED_STATUS WORDS ARGS...
    expected=$1 words=$2
    shift 2
    set +e
    "$FERRY" export "$@" >"$tmpdir/out" 2>"$tmpdir/err"
    status=$?
    set -e
    assert_eq "$status" "$expected" "exit status of: export $*"
    assert_contains "$(cat "$tmpdir/err")" "$words" "message of: export $*"
    assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines of the message of: export $*"
}
try 2 "--resume: with --background" "$name" --to "file://$tmpdir/pool2" --background --resume
try 2 "unknown scheme 's3'" "$name" --to "s3://bucket/x" --background
try 3 "domain 'nosuch-$$' not found on $uri" "nosuch-$$" --connect "$uri" --to "file://$tmpdir/pool2" --background
try 4 "domain 'test' is running" test --connect test:///default --to "file://$tmpdir/pool2" --background
try 2 "--session and --bus-address go with --background" "$name" --to "file://$tmpdir/pool2" --session
assert_eq "$("$FERRY" jobs --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" 3 \
    "jobs after the refusals"
stop_agent
try 3 "ferry-agent is not running" "$name" --to "file://$tmpdir/pool2" --background
