# SPDX-License-Identifier: LGPL-2.1-or-later
# The fault matrix of an ssh:// transport (sourced by
# test-fault-matrix-ssh.sh for SFTP and test-fault-matrix-receive.sh for
# ferry receive): tests/tools/fault-proxy.py between ferry export and the
# loopback sshd injects one fault per cell.  Each cell may end in one of
# two ways only: the export completes and verifies (every disk compares
# equal with qemu-img, the manifest's SHA-256 match sha256sum), or it fails
# with the exit status the fault calls for, one line on stderr, and
# nothing under a final name in the pool.  The matrix is printed as a
# table in the test's log.
#
# Set matrix_transport (sftp or ferry-receive) and matrix_args (export
# options that pick it), then call matrix_setup and the cells.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"

matrix_setup() {
    requires_root
    requires qemu-img qemu-io python3 sha256sum mount umount dd
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
    : >"$tmpdir/matrix"
}

# matrix_proxy LABEL FAULT...: starts the proxy before sshd; sets port.
matrix_proxy() {
    label=$1
    shift
    start_fault_proxy "$tmpdir/proxy-$label.log" "$sshd_port" "$@"
    port=$proxy_port
}

# matrix_check LABEL EXPECTED STATUS POOL RESUMED SECS FAULTS...: the
# outcome of one cell against what it must be ("ok", an exit status, or
# "ok|N"); RESUMED=1 asks that vda resumed from a non-zero offset (a cut
# mid-disk).  Adds the cell's row to the matrix.
matrix_check() {
    label=$1 expected=$2 status=$3 pool=$4 want_resume=$5 secs=$6
    shift 6
    resumed=-
    if [ "$status" = 0 ]; then
        outcome=ok
        case "|$expected|" in *"|ok|"*) ;; *) fail "$label: completed, expected exit $expected" ;; esac
        qemu-img compare -q -F qcow2 "$img/data.raw" "$pool/$name-vda.qcow2" ||
            fail "$label: vda differs"
        qemu-img compare -q -F qcow2 "$img/root.qcow2" "$pool/$name-vdb.qcow2" ||
            fail "$label: vdb differs"
        resumed=$(python3 -c '
import hashlib, json, sys
pool, name = sys.argv[1], sys.argv[2]
disks = json.load(open(f"{pool}/{name}.ferry.json"))["disks"]
for d in disks:
    h = hashlib.sha256(open(pool + "/" + d["file"], "rb").read()).hexdigest()
    assert d["sha256"] == h, (d["file"], d["sha256"], h)
print(disks[0].get("resumed-at", 0))' "$pool" "$name") || fail "$label: manifest hashes"
        if [ "$want_resume" = 1 ]; then
            [ "$resumed" -gt 0 ] && [ $((resumed % 1048576)) = 0 ] ||
                fail "$label: vda resumed at $resumed, expected a whole non-zero MiB"
        fi
        assert_no_part "$pool"
    else
        outcome="exit $status"
        case "|$expected|" in *"|$status|"*) ;; *) fail "$label: exit $status, expected $expected: $(cat "$tmpdir/err-$label")" ;; esac
        assert_eq "$(wc -l <"$tmpdir/err-$label")" 1 "$label: lines on stderr ($(head -c 3000 "$tmpdir/err-$label"))"
        finals=$(ls "$pool" | grep -v '\.part$' | grep -v '^filler$' || true)
        [ -z "$finals" ] || fail "$label: left under a final name: $finals"
    fi
    faults=$(grep -c '^fault-proxy: connection' "$tmpdir/proxy-$label.log" 2>/dev/null || true)
    printf '| %-14s | %-28s | %-8s | %8s | %3s s | %2s | %s\n' "$label" "$*" "$outcome" \
        "$resumed" "$secs" "${faults:-0}" "$(head -c 90 "$tmpdir/err-$label")" >>"$tmpdir/matrix"
}

# cell LABEL EXPECTED [resume] FAULT...: one export through a proxy with
# the fault FAULT...; "resume" asks that vda resumed mid-disk.
cell() {
    label=$1 expected=$2
    shift 2
    want_resume=0
    [ "${1:-}" = resume ] && { want_resume=1; shift; }
    pool=$tmpdir/pool-$label
    mkdir "$pool"
    matrix_proxy "$label" "$@"
    start=$(date +%s)
    set +e
    # shellcheck disable=SC2086
    "$FERRY" export "$name" --connect "$test_host_uri" \
        --to "ssh://root@127.0.0.1:$port$pool" $ssh_opts $matrix_args \
        >"$tmpdir/out-$label" 2>"$tmpdir/err-$label"
    status=$?
    set -e
    stop_fault_proxy
    matrix_check "$label" "$expected" "$status" "$pool" "$want_resume" \
        $(( $(date +%s) - start )) "$@"
}

# pool_full_cell: the pool is a 24 MiB tmpfs; once vda's .part grows (at
# 4 MiB/s), a filler takes what is left.  Exit 7, one line naming the
# .part and the full device, nothing under a final name.
pool_full_cell() {
    label=pool-full
    pool=$tmpdir/pool-$label
    mkdir "$pool"
    mount -t tmpfs -o size=24m ferry-test "$pool" || skip "cannot mount a tmpfs"
    cleanup_fn "umount '$pool'"
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$FERRY" export "$name" --connect "$test_host_uri" \
        --to "ssh://root@127.0.0.1:$sshd_port$pool" $ssh_opts $matrix_args --bwlimit 4M \
        >"$tmpdir/out-$label" 2>"$tmpdir/err-$label" &
    ferry_pid=$!
    i=0
    until [ -s "$pool/$name-vda.qcow2.part" ] &&
          [ "$(stat -c %s "$pool/$name-vda.qcow2.part")" -gt $((2 << 20)) ]; do
        i=$((i + 1))
        [ $i -lt 200 ] || fail "$label: no .part grew: $(cat "$tmpdir/err-$label")"
        sleep 0.05
    done
    dd if=/dev/zero of="$pool/filler" bs=64k status=none 2>/dev/null || true
    set +e
    wait "$ferry_pid"
    status=$?
    set -e
    assert_contains "$(cat "$tmpdir/err-$label")" "No space left on device" "$label: message"
    matrix_check "$label" 7 "$status" "$pool" 0 $(( $(date +%s) - start )) "tmpfs filled mid-disk"
}

# matrix_print TITLE CELLS: the table, into the log; CELLS rows expected.
matrix_print() {
    echo "fault matrix, $1:" >&2
    printf '| %-14s | %-28s | %-8s | %8s | %5s | %2s | %s\n' cell faults outcome resumed time \
        n message >&2
    cat "$tmpdir/matrix" >&2
    assert_eq "$(wc -l <"$tmpdir/matrix")" "$2" "cells run"
}
