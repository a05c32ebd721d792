# SPDX-License-Identifier: LGPL-2.1-or-later
# functions.sh: what every integration script sources.
#
# Each script starts its own services on 127.0.0.1 in its own mktemp -d
# directory, registers how to undo everything with cleanup_fn, and exits 77
# (skipped) with a reason when something it needs is missing; with
# FERRY_TEST_STRICT=1 (CI) a skip is a failure instead.

set -eu

: "${FERRY:?FERRY must point at the ferry binary (make check sets it)}"
: "${top_srcdir:?top_srcdir must be set (make check sets it)}"

ferry_cleanup_fns=""
ferry_test_name=$(basename "$0" .sh)

# cleanup_fn CMD ARGS...: run at exit, last registered first.
cleanup_fn() {
    ferry_cleanup_fns="$(printf '%s\n' "$*")
$ferry_cleanup_fns"
}

# The loop reads a here-document on fd 9 rather than a pipe: a pipe would
# run it in a subshell, where `wait` cannot wait for this shell's children
# (an agent still writing its log while its directory is removed).
ferry_run_cleanup() {
    status=$?
    set +e
    while IFS= read -r fn <&9; do
        [ -n "$fn" ] && eval "$fn" 9<&-
    done 9<<EOF
$ferry_cleanup_fns
EOF
    exit "$status"
}
trap ferry_run_cleanup EXIT
trap 'exit 130' INT TERM

# skip REASON: exit 77, or fail under FERRY_TEST_STRICT=1.
skip() {
    echo "$ferry_test_name: SKIP: $*" >&2
    if [ "${FERRY_TEST_STRICT:-0}" = 1 ]; then
        echo "$ferry_test_name: FERRY_TEST_STRICT=1: a skip is a failure" >&2
        exit 1
    fi
    exit 77
}

# requires CMD...: skip unless each command runs.
requires() {
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null 2>&1 || skip "requires $cmd"
    done
}

requires_root() {
    [ "$(id -u)" = 0 ] || skip "requires root"
}

# The agent's log ends up in the test's log on a failure: CI keeps only
# that, and $tmpdir is removed.
fail() {
    echo "$ferry_test_name: FAIL: $*" >&2
    if [ -n "${tmpdir:-}" ] && [ -s "$tmpdir/agent.log" ]; then
        echo "---- the end of $tmpdir/agent.log" >&2
        tail -20 "$tmpdir/agent.log" >&2
    fi
    exit 1
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
    if [ "$1" != "$2" ]; then
        fail "$3: expected '$2', got '$1'"
    fi
}

# assert_contains HAYSTACK NEEDLE WHAT
assert_contains() {
    case "$1" in
        *"$2"*) ;;
        *) fail "$3: '$2' not found in: $1" ;;
    esac
}

# assert_no_part DIR: no *.part (a disk not finished) is left below DIR.
assert_no_part() {
    [ -z "$(find "$1" -name '*.part')" ] || fail ".part left in $1: $(ls -a "$1")"
}

# await_part DIR: waits (up to 5 s) until a temporary *.part appears in
# DIR, then 0.3 s more, so that a copy is under way when it returns.
await_part() {
    i=0
    until ls -A "$1" | grep -q '\.part$'; do
        i=$((i + 1))
        [ $i -lt 100 ] || fail "no temporary appeared in $1"
        sleep 0.05
    done
    sleep 0.3
}

# make_tmpdir: sets $tmpdir, removed at exit.
make_tmpdir() {
    tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-test-XXXXXX")
    cleanup_fn "rm -rf '$tmpdir'"
}

pick_unused_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# map_runs KIND: reads a `map --json` answer, ferry's or qemu-img's, and
# prints it as "START LENGTH VALUE" lines, adjacent runs of one VALUE
# merged, so that the two compare as text (ferry leaves out qemu's depth,
# present and offset keys, and may cut runs elsewhere).  VALUE by KIND:
#   flags  data and zero, e.g. "True False"
#   class  what the bytes read as: "zero" (zero, or no data) or "data";
#          qemu's flat VMDK extents say data and zero for holes
#   data   whether the run holds data: "True" or "False"
map_runs() {
    python3 -c '
import json, sys
kind = sys.argv[1]
def value(e):
    if kind == "flags":
        return "%s %s" % (bool(e["data"]), bool(e["zero"]))
    if kind == "class":
        return "zero" if e["zero"] or not e["data"] else "data"
    return str(bool(e["data"]))
runs = []
for e in json.load(sys.stdin):
    v = value(e)
    if runs and runs[-1][2] == v and runs[-1][0] + runs[-1][1] == e["start"]:
        runs[-1][1] += e["length"]
    else:
        runs.append([e["start"], e["length"], v])
for s, l, v in runs:
    print(s, l, v)
' "$1"
}

# await_daemon NAME PID LOG WHAT CMD...: waits for a daemon just started
# (NAME, process PID, logging to LOG, or /dev/null) to be ready, as CMD
# tells, checked every 0.1 s; fails if the daemon exits first, quoting the
# end of LOG, or with "NAME WHAT within 10 s".
await_daemon() {
    await_name=$1 await_pid=$2 await_log=$3 await_what=$4
    shift 4
    await_i=0
    until "$@"; do
        await_i=$((await_i + 1))
        kill -0 "$await_pid" 2>/dev/null ||
            fail "$await_name exited: $(tail -3 "$await_log")"
        [ $await_i -lt 100 ] || fail "$await_name $await_what within 10 s"
        sleep 0.1
    done
}

# start_fault_proxy LOG PORT FAULT...: tests/tools/fault-proxy.py in front
# of 127.0.0.1:PORT with FAULT... (its options), logging to LOG; sets
# proxy_pid and proxy_port once it listens.  Killed at exit, or earlier by
# stop_fault_proxy.
start_fault_proxy() {
    fp_log=$1 fp_dest=$2
    shift 2
    rm -f "$tmpdir/proxy.port"
    python3 "$top_srcdir/tests/tools/fault-proxy.py" "$tmpdir/proxy.port" "$fp_dest" "$@" \
        2>"$fp_log" &
    proxy_pid=$!
    cleanup_fn "kill $proxy_pid 2>/dev/null"
    await_daemon fault-proxy "$proxy_pid" "$fp_log" "wrote no port" \
        test -s "$tmpdir/proxy.port"
    proxy_port=$(cat "$tmpdir/proxy.port")
}

stop_fault_proxy() {
    kill "$proxy_pid" 2>/dev/null || true
    wait "$proxy_pid" 2>/dev/null || true
}

# ---- libvirtd ------------------------------------------------------------
# Tests share the host's system libvirtd.  If none runs, the first test to
# need one starts it and the last one to finish stops it; a lock and a file
# per user test keep that right when make check runs scripts in parallel.
ferry_libvirt_state=/run/ferry-test-libvirtd

libvirtd_answers() {
    virsh -c qemu:///system version >/dev/null 2>&1
}

ferry_prepare_libvirt_host() {
    # What Debian's packaging would have set up (see issue 3 "Real parts").
    getent group kvm >/dev/null || groupadd -r kvm
    getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
    getent passwd libvirt-qemu >/dev/null ||
        useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
    getent group libvirt >/dev/null || groupadd -r libvirt
    mkdir -p /var/log/libvirt /var/lib/libvirt /var/cache/libvirt /run/libvirt
    # Debian's udev rule gives /dev/kvm to group kvm, mode 0660.  Left
    # root-only, libvirt finds KVM "no longer available" and probes QEMU
    # again (~4 s) on every define, pool and capabilities call.
    if [ -c /dev/kvm ] && [ "$(stat -c %G /dev/kvm)" != kvm ]; then
        chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
    fi
}

start_libvirtd() {
    requires_root
    requires libvirtd virsh
    mkdir -p "$ferry_libvirt_state/users"
    exec 8>"$ferry_libvirt_state/lock"
    flock 8
    for u in "$ferry_libvirt_state"/users/*; do
        [ -e "$u" ] || continue
        kill -0 "${u##*/}" 2>/dev/null || rm -f "$u"
    done
    if ! libvirtd_answers; then
        ferry_prepare_libvirt_host
        libvirtd -d --pid-file "$ferry_libvirt_state/libvirtd.pid" \
            >"$ferry_libvirt_state/libvirtd.log" 2>&1 ||
            { flock -u 8; skip "libvirtd does not start: $(tail -1 "$ferry_libvirt_state/libvirtd.log")"; }
        touch "$ferry_libvirt_state/owned"
        i=0
        until libvirtd_answers; do
            i=$((i + 1))
            [ $i -lt 150 ] || { flock -u 8; fail "libvirtd did not answer within 30 s"; }
            sleep 0.2
        done
    fi
    touch "$ferry_libvirt_state/users/$$"
    flock -u 8
    cleanup_fn stop_libvirtd
}

stop_libvirtd() {
    exec 8>"$ferry_libvirt_state/lock"
    flock 8
    rm -f "$ferry_libvirt_state/users/$$"
    if [ -e "$ferry_libvirt_state/owned" ] &&
       [ -z "$(ls -A "$ferry_libvirt_state/users")" ]; then
        pid=$(cat "$ferry_libvirt_state/libvirtd.pid" 2>/dev/null || true)
        if [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null || true
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
                sleep 0.1; i=$((i + 1))
            done
        fi
        rm -f "$ferry_libvirt_state/owned"
    fi
    flock -u 8
}

# define_domain NAME XMLFILE: defines a domain on qemu:///system and removes
# it (never started) at exit.  Names are ferry-test-$$-* by convention.
define_domain() {
    virsh -q -c qemu:///system define "$2" >/dev/null ||
        fail "virsh define $2 failed"
    cleanup_fn "virsh -q -c qemu:///system undefine --nvram '$1' >/dev/null 2>&1 || virsh -q -c qemu:///system undefine '$1' >/dev/null 2>&1"
}

# ---- sshd ----------------------------------------------------------------
# start_sshd [CONFIG_LINE...]: starts OpenSSH's own sshd in the foreground
# (-D) on a free port of 127.0.0.1, and of ::1 when the loopback has it,
# with host keys made here, root login by key only (unless a CONFIG_LINE
# says otherwise) and keys read from $sshd_authorized_keys.  Stopped at
# exit.  Sets sshd_dir, sshd_port, sshd_ipv6 (1 or 0), sshd_authorized_keys,
# sshd_known_hosts (a known_hosts file naming [127.0.0.1]:port and, with
# IPv6, [::1]:port with the ed25519 host key), sshd_host_key_fp (that
# key's SHA256 fingerprint) and sshd_host_key_fp_ecdsa (the other key's).
start_sshd() {
    requires_root
    [ -x /usr/sbin/sshd ] || skip "requires /usr/sbin/sshd (openssh-server)"
    requires ssh-keygen
    [ -n "${tmpdir:-}" ] || make_tmpdir
    sshd_dir=$tmpdir/sshd
    mkdir -p "$sshd_dir"
    chmod 700 "$sshd_dir"
    # sshd's privilege separation directory (Debian's unit makes it).
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    ssh-keygen -q -t ed25519 -N '' -C ferry-test-host -f "$sshd_dir/host_ed25519"
    ssh-keygen -q -t ecdsa -N '' -C ferry-test-host -f "$sshd_dir/host_ecdsa"
    sshd_authorized_keys=$sshd_dir/authorized_keys
    : >"$sshd_authorized_keys"
    chmod 600 "$sshd_authorized_keys"
    sshd_port=$(pick_unused_port)
    sshd_ipv6=0
    if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
        sshd_ipv6=1
    fi
    sftp_server=/usr/lib/openssh/sftp-server
    [ -x "$sftp_server" ] || sftp_server=internal-sftp
    {
        echo "Port $sshd_port"
        echo "ListenAddress 127.0.0.1"
        [ "$sshd_ipv6" = 0 ] || echo "ListenAddress ::1"
        echo "HostKey $sshd_dir/host_ed25519"
        echo "HostKey $sshd_dir/host_ecdsa"
        echo "PidFile $sshd_dir/sshd.pid"
        echo "AuthorizedKeysFile $sshd_authorized_keys"
        echo "Subsystem sftp $sftp_server"
        echo "UsePAM no"
        echo "KbdInteractiveAuthentication no"
        echo "PrintMotd no"
        echo "LogLevel ${sshd_log_level:-VERBOSE}"
        # The key files live under /tmp, which StrictModes would refuse.
        echo "StrictModes no"
        for line in "$@"; do echo "$line"; done
        # First value wins in sshd_config: these come after the caller's.
        echo "PermitRootLogin prohibit-password"
        echo "PasswordAuthentication no"
    } >"$sshd_dir/sshd_config"
    /usr/sbin/sshd -t -f "$sshd_dir/sshd_config" 2>"$sshd_dir/sshd-t.log" ||
        fail "sshd_config refused: $(cat "$sshd_dir/sshd-t.log")"
    /usr/sbin/sshd -D -f "$sshd_dir/sshd_config" -E "$sshd_dir/sshd.log" &
    sshd_pid=$!
    cleanup_fn "kill $sshd_pid 2>/dev/null; wait $sshd_pid 2>/dev/null"
    await_daemon sshd "$sshd_pid" "$sshd_dir/sshd.log" "wrote no pid file" \
        test -s "$sshd_dir/sshd.pid"
    hostkey=$(cut -d' ' -f1,2 "$sshd_dir/host_ed25519.pub")
    sshd_known_hosts=$sshd_dir/known_hosts
    echo "[127.0.0.1]:$sshd_port $hostkey" >"$sshd_known_hosts"
    [ "$sshd_ipv6" = 0 ] || echo "[::1]:$sshd_port $hostkey" >>"$sshd_known_hosts"
    sshd_host_key_fp=$(ssh-keygen -l -E sha256 -f "$sshd_dir/host_ed25519.pub" | cut -d' ' -f2)
    sshd_host_key_fp_ecdsa=$(ssh-keygen -l -E sha256 -f "$sshd_dir/host_ecdsa.pub" | cut -d' ' -f2)
}

# ssh_client_key TYPE NAME [PASSPHRASE]: makes a client key $tmpdir/NAME
# and authorizes it on the sshd.
ssh_client_key() {
    ssh-keygen -q -t "$1" -N "${3:-}" -C "ferry-test-$2" -f "$tmpdir/$2"
    cat "$tmpdir/$2.pub" >>"$sshd_authorized_keys"
}

# ---- dbus-daemon ---------------------------------------------------------
# start_private_bus [system]: starts a dbus-daemon of the test's own on a
# socket in $tmpdir that any local user may connect to (clients run as
# nobody to test access control).  Without an argument the bus lets every
# connection call anything, so only ferry-agent's own checks decide; with
# "system" it denies method calls by default as Debian's system bus does
# and includes data/org.ferry.Agent1.conf, so the packaged policy is what
# is tested.  Stopped at exit.  Sets bus_address, bus_pid and exports
# FERRY_BUS_ADDRESS.
start_private_bus() {
    requires dbus-daemon
    [ -n "${tmpdir:-}" ] || make_tmpdir
    bus_dir=$tmpdir/bus
    mkdir -p "$bus_dir"
    chmod 755 "$tmpdir" "$bus_dir"
    {
        echo '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"'
        echo ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
        echo '<busconfig>'
        echo "  <listen>unix:path=$bus_dir/socket</listen>"
        echo '  <auth>EXTERNAL</auth>'
        echo '  <policy context="default">'
        echo '    <allow user="*"/>'
        if [ "${1:-}" = system ]; then
            echo '    <deny own="*"/>'
            echo '    <deny send_type="method_call"/>'
            echo '    <allow send_type="signal"/>'
            echo '    <allow send_requested_reply="true" send_type="method_return"/>'
            echo '    <allow send_requested_reply="true" send_type="error"/>'
            echo '    <allow receive_type="method_call"/>'
            echo '    <allow receive_type="method_return"/>'
            echo '    <allow receive_type="error"/>'
            echo '    <allow receive_type="signal"/>'
            echo '    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>'
            echo '    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>'
        else
            # As session.conf has it (without the eavesdrop rules the
            # dbus-daemon 1.14 here answered no call at all).
            echo '    <allow own="*"/>'
            echo '    <allow send_destination="*" eavesdrop="true"/>'
            echo '    <allow eavesdrop="true"/>'
        fi
        echo '  </policy>'
        [ "${1:-}" != system ] || echo "  <include>$top_srcdir/data/org.ferry.Agent1.conf</include>"
        echo '</busconfig>'
    } >"$bus_dir/bus.conf"
    dbus-daemon --config-file="$bus_dir/bus.conf" --fork --print-address=1 \
        --print-pid=1 >"$bus_dir/out" 2>"$bus_dir/err" ||
        fail "dbus-daemon did not start: $(cat "$bus_dir/err")"
    bus_address=$(sed -n 1p "$bus_dir/out")
    bus_pid=$(sed -n 2p "$bus_dir/out")
    [ -n "$bus_address" ] && [ -n "$bus_pid" ] || fail "dbus-daemon printed no address/pid"
    cleanup_fn "kill $bus_pid 2>/dev/null"
    FERRY_BUS_ADDRESS=$bus_address
    export FERRY_BUS_ADDRESS
}

# start_agent [ARG...]: starts $FERRY_AGENT_TEST (ferry-agent with the test
# job kinds; $agent_program instead when set, e.g. the stock $FERRY_AGENT)
# on the private bus (start it first) with its state in $tmpdir/state, its
# settings in $tmpdir/ferry.conf (what the test wrote, plus [agent]
# allow-test-driver=true unless the test set that key: the suite's domains
# live on libvirt's test driver), the test kinds' log in
# $tmpdir/agent-test.log, and waits until it owns org.ferry.Agent1.  Sets
# agent_pid; stopped at exit.  stop_agent sends SIGTERM and waits.
start_agent() {
    : "${FERRY_AGENT_TEST:?FERRY_AGENT_TEST must point at ferry-agent-test (make check sets it)}"
    requires gdbus
    [ -e "$tmpdir/ferry.conf" ] || : >"$tmpdir/ferry.conf"
    # A repeated [agent] group adds to the first one (GKeyFile).
    grep -q '^allow-test-driver' "$tmpdir/ferry.conf" ||
        printf '\n[agent]\nallow-test-driver=true\n' >>"$tmpdir/ferry.conf"
    FERRY_AGENT_TEST_LOG=$tmpdir/agent-test.log \
        "${agent_program:-$FERRY_AGENT_TEST}" --bus-address "$bus_address" --state-dir "$tmpdir/state" \
        --config "$tmpdir/ferry.conf" "$@" >>"$tmpdir/agent.log" 2>&1 &
    agent_pid=$!
    cleanup_fn "kill $agent_pid 2>/dev/null; wait $agent_pid 2>/dev/null"
    await_daemon ferry-agent "$agent_pid" "$tmpdir/agent.log" "did not own org.ferry.Agent1" \
        agent_owns_name
}

# await_job_completed JOB_PATH SECONDS: waits until the agent's job at
# JOB_PATH is completed (a failed or cancelled job, or one still going
# after SECONDS, fails the test); sets job_details to its GetDetails answer.
await_job_completed() {
    await_i=0
    while :; do
        await_state=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o "$1" \
            -m org.freedesktop.DBus.Properties.Get org.ferry.Agent1.Job State)
        case $await_state in
        "(<'completed'>,)") break ;;
        "(<'failed'>,)" | "(<'cancelled'>,)")
            fail "job ended $await_state: $(tail -5 "$tmpdir/agent.log")" ;;
        esac
        await_i=$((await_i + 1))
        [ $await_i -lt $(($2 * 10)) ] || fail "job not completed within $2 s: $await_state"
        sleep 0.1
    done
    job_details=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o "$1" \
        -m org.ferry.Agent1.Job.GetDetails "{}")
}

# agent_owns_name: whether org.ferry.Agent1 has an owner on the private bus.
agent_owns_name() {
    gdbus call -a "$bus_address" -d org.freedesktop.DBus -o /org/freedesktop/DBus \
        -m org.freedesktop.DBus.NameHasOwner org.ferry.Agent1 2>/dev/null | grep -q true
}

stop_agent() {
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
}

# kill_agent: SIGKILL, as a crash would: the agent cleans nothing up.
kill_agent() {
    kill -KILL "$agent_pid"
    wait "$agent_pid" 2>/dev/null || true
}

# start_agent_and_sshd [ARG...]: for exports by the agent to the loopback
# sshd: start_sshd, a client key $tmpdir/id (ed25519) it takes, the
# private bus and start_agent ARG... (see each).
start_agent_and_sshd() {
    start_sshd
    ssh_client_key ed25519 id
    start_private_bus
    start_agent "$@"
}

# start_monitor [OBJECT_PATH]: gdbus monitor of what org.ferry.Agent1 (only
# OBJECT_PATH of it, if given) sends on the private bus, into
# $tmpdir/monitor.  Sets monitor_pid; stopped at exit.
start_monitor() {
    gdbus monitor -a "$bus_address" -d org.ferry.Agent1 ${1:+-o "$1"} >"$tmpdir/monitor" 2>&1 &
    monitor_pid=$!
    cleanup_fn "kill $monitor_pid 2>/dev/null"
    # It subscribes only once it runs: what comes before that is not seen.
    sleep 0.5
}
