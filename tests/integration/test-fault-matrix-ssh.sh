#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The fault matrix for the ssh:// transport (SFTP): tests/tools/fault-proxy.py
# between ferry export and the loopback sshd injects one fault per cell.
# Each cell may end in one of two ways only: the export completes and
# verifies (every disk compares equal with qemu-img, the manifest's
# SHA-256 match sha256sum), or it fails with the exit status the fault
# calls for and leaves nothing under a final name in the pool.  The matrix
# is printed as a table in this test's log.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io python3 sha256sum
make_tmpdir
start_sshd
ssh_client_key ed25519 id

name=ferry-test-$$-faults
img=$tmpdir/img
mkdir "$img"
# 12 MiB of random bytes (they do not compress, so every byte crosses).
make_random_raw "$img/data.raw" $((32 << 20)) $((4 << 20)) $((12 << 20))
make_image qcow2 "$img/root.qcow2" 16M "0x5a 0 2M"
write_test_host "$name" "vda:raw:$img/data.raw" "vdb:qcow2:$img/root.qcow2"
ssh_opts="--known-hosts /dev/null --host-key $sshd_host_key_fp --identity $tmpdir/id"

# cell LABEL EXPECTED ARGS...: one export through a proxy with the fault
# ARGS; EXPECTED is "ok" (must complete and verify) or an exit status it
# must fail with (and leave nothing under a final name); "ok|N" allows
# either.
cell() {
    label=$1 expected=$2
    shift 2
    pool=$tmpdir/pool-$label
    mkdir "$pool"
    rm -f "$tmpdir/proxy.port"
    python3 "$top_srcdir/tests/tools/fault-proxy.py" "$tmpdir/proxy.port" "$sshd_port" "$@" \
        2>"$tmpdir/proxy-$label.log" &
    proxy_pid=$!
    await_daemon fault-proxy "$proxy_pid" "$tmpdir/proxy-$label.log" "wrote no port" \
        test -s "$tmpdir/proxy.port"
    port=$(cat "$tmpdir/proxy.port")
    start=$(date +%s)
    set +e
    # shellcheck disable=SC2086
    "$FERRY" export "$name" --connect "$test_host_uri" \
        --to "ssh://root@127.0.0.1:$port$pool" $ssh_opts >"$tmpdir/out-$label" \
        2>"$tmpdir/err-$label"
    status=$?
    set -e
    kill "$proxy_pid" 2>/dev/null
    wait "$proxy_pid" 2>/dev/null || true
    secs=$(( $(date +%s) - start ))
    if [ "$status" = 0 ]; then
        outcome=ok
        case "|$expected|" in *"|ok|"*) ;; *) fail "$label: completed, expected exit $expected" ;; esac
        qemu-img compare -q -F qcow2 "$img/data.raw" "$pool/$name-vda.qcow2" ||
            fail "$label: vda differs"
        qemu-img compare -q -F qcow2 "$img/root.qcow2" "$pool/$name-vdb.qcow2" ||
            fail "$label: vdb differs"
        python3 - "$pool" "$name" <<'PY' || fail "$label: manifest hashes"
import hashlib, json, sys
pool, name = sys.argv[1], sys.argv[2]
for d in json.load(open(f"{pool}/{name}.ferry.json"))["disks"]:
    h = hashlib.sha256(open(f"{pool}/{d['file']}", "rb").read()).hexdigest()
    assert d["sha256"] == h, (d["file"], d["sha256"], h)
PY
        assert_no_part "$pool"
    else
        outcome="exit $status"
        case "|$expected|" in *"|$status|"*) ;; *) fail "$label: exit $status, expected $expected: $(cat "$tmpdir/err-$label")" ;; esac
        assert_eq "$(wc -l <"$tmpdir/err-$label")" 1 "$label: lines on stderr"
        finals=$(ls "$pool" | grep -v '\.part$' || true)
        [ -z "$finals" ] || fail "$label: left under a final name: $finals"
    fi
    faults=$(grep -c '^fault-proxy: connection' "$tmpdir/proxy-$label.log" || true)
    printf '| %-14s | %-28s | %-8s | %3s s | %s faults | %s\n' "$label" "$*" "$outcome" \
        "$secs" "$faults" "$(head -c 90 "$tmpdir/err-$label")" >>"$tmpdir/matrix"
}

: >"$tmpdir/matrix"
cell none ok
cell cut ok cut:4194304
cell reset ok reset:4194304
cell stall ok stall:3@4194304
cell trickle ok --on all trickle:16777216
cell cut-each 'ok|9' --on all cut:6291456
cell refused 9 --on all refuse

echo "fault matrix, ssh:// (SFTP):" >&2
echo "| cell           | faults                       | outcome  |  time | injected | message" >&2
cat "$tmpdir/matrix" >&2
assert_eq "$(wc -l <"$tmpdir/matrix")" 7 "cells run"
