# SPDX-License-Identifier: LGPL-2.1-or-later
# ansible-functions.sh: a small fleet on loopback for the Ansible tests.
# Source it after functions.sh and domain-functions.sh.
#
# Each managed "host" NAME lives in $tmpdir/NAME: its own sshd (host keys,
# config, port), its own ferry (a wrapper around the built $FERRY that
# reads its own libvirt test-driver host: several stopped domains over
# disks made here), and its
# line in $fleet_known_hosts.  One client key, $tmpdir/id, logs in to
# every host and to the pool host (root, by key), as Ansible's
# ansible_ssh_private_key_file and as ferry's --identity.

# fleet_start_sshd NAME: starts NAME's sshd on a free port of 127.0.0.1
# (start_sshd's settings, IPv4 only) and records its host key in
# $fleet_known_hosts.  Sets fleet_port (and NAME_port).  Stopped at exit;
# fleet_stop_sshd NAME stops it earlier, fleet_restart_sshd NAME starts it
# again on the same port with the same keys.
fleet_start_sshd() {
    fleet_dir=$tmpdir/$1/sshd
    mkdir -p "$fleet_dir"
    chmod 700 "$fleet_dir"
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    [ -f "$tmpdir/id" ] || ssh-keygen -q -t ed25519 -N '' -C ferry-test-fleet -f "$tmpdir/id"
    ssh-keygen -q -t ed25519 -N '' -C "ferry-test-$1" -f "$fleet_dir/host_ed25519"
    cp "$tmpdir/id.pub" "$fleet_dir/authorized_keys"
    chmod 600 "$fleet_dir/authorized_keys"
    fleet_port=$(pick_unused_port)
    sftp_server=/usr/lib/openssh/sftp-server
    [ -x "$sftp_server" ] || sftp_server=internal-sftp
    {
        echo "Port $fleet_port"
        echo "ListenAddress 127.0.0.1"
        echo "HostKey $fleet_dir/host_ed25519"
        echo "PidFile $fleet_dir/sshd.pid"
        echo "AuthorizedKeysFile $fleet_dir/authorized_keys"
        echo "Subsystem sftp $sftp_server"
        echo "UsePAM no"
        echo "KbdInteractiveAuthentication no"
        echo "PrintMotd no"
        echo "LogLevel VERBOSE"
        echo "StrictModes no"
        # Ansible opens a connection per task and loop item.
        echo "MaxStartups 100"
        echo "PermitRootLogin prohibit-password"
        echo "PasswordAuthentication no"
    } >"$fleet_dir/sshd_config"
    /usr/sbin/sshd -t -f "$fleet_dir/sshd_config" 2>"$fleet_dir/sshd-t.log" ||
        fail "$1: sshd_config refused: $(cat "$fleet_dir/sshd-t.log")"
    echo "[127.0.0.1]:$fleet_port $(cut -d' ' -f1,2 "$fleet_dir/host_ed25519.pub")" \
        >>"$fleet_known_hosts"
    eval "${1}_port=$fleet_port"
    fleet_run_sshd "$1"
    cleanup_fn "fleet_stop_sshd $1"
}

fleet_run_sshd() {
    fleet_dir=$tmpdir/$1/sshd
    rm -f "$fleet_dir/sshd.pid"
    /usr/sbin/sshd -D -f "$fleet_dir/sshd_config" -E "$fleet_dir/sshd.log" &
    eval "${1}_sshd_pid=$!"
    await_daemon "$1 sshd" "$!" "$fleet_dir/sshd.log" "wrote no pid file" \
        test -s "$fleet_dir/sshd.pid"
}

# fleet_stop_sshd NAME: stops the listening sshd; with no ControlMaster
# (see the test's ansible.cfg) nothing of Ansible's outlives a task, so
# the host can no longer be reached.
fleet_stop_sshd() {
    eval "fleet_pid=\${${1}_sshd_pid:-}"
    [ -n "$fleet_pid" ] || return 0
    kill "$fleet_pid" 2>/dev/null
    wait "$fleet_pid" 2>/dev/null
    eval "${1}_sshd_pid="
    return 0
}

fleet_restart_sshd() {
    fleet_run_sshd "$1"
}

# fleet_make_host NAME VM...: NAME's ferry: $tmpdir/NAME/ferry runs $FERRY
# with LIBVIRT_DEFAULT_URI naming $tmpdir/NAME/host.xml, a test-driver
# host with one shut-off domain per VM (NAME-VM), each with a 16 MiB qcow2
# root disk and, for every other VM, an 8 MiB raw data disk; each disk
# holds a random run of its own, so no two hash alike.
fleet_make_host() {
    fleet_host=$1
    shift
    fleet_hdir=$tmpdir/$fleet_host
    mkdir -p "$fleet_hdir/img"
    fleet_i=0
    {
        echo "<node>"
        for fleet_vm in "$@"; do
            fleet_i=$((fleet_i + 1))
            fleet_name=$fleet_host-$fleet_vm
            fleet_root=$fleet_hdir/img/$fleet_vm-root.qcow2
            make_random_raw "$fleet_hdir/img/$fleet_vm.seed" 16777216 4194304 1048576
            qemu-img convert -q -f raw -O qcow2 "$fleet_hdir/img/$fleet_vm.seed" "$fleet_root"
            rm -f "$fleet_hdir/img/$fleet_vm.seed"
            qemu-io -f qcow2 -c "write -P 0x$((fleet_i + 30)) 8M 1M" "$fleet_root" >/dev/null ||
                fail "qemu-io could not write into $fleet_root"
            if [ $((fleet_i % 2)) = 1 ]; then
                fleet_data=$fleet_hdir/img/$fleet_vm-data.raw
                make_random_raw "$fleet_data" 8388608 1048576 524288
                domain_xml test "$fleet_name" "vda:qcow2:$fleet_root" "vdb:raw:$fleet_data"
            else
                domain_xml test "$fleet_name" "vda:qcow2:$fleet_root"
            fi
        done
        echo "</node>"
    } >"$fleet_hdir/host.xml"
    # Over SSH the test's environment is gone: the wrapper carries it.
    cat >"$fleet_hdir/ferry" <<EOS
#!/bin/sh
LIBVIRT_DEFAULT_URI='test://$fleet_hdir/host.xml'
export LIBVIRT_DEFAULT_URI
exec '$FERRY' "\$@"
EOS
    chmod 755 "$fleet_hdir/ferry"
}
