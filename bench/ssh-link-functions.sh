# SPDX-License-Identifier: LGPL-2.1-or-later
# ssh-link-functions.sh: what bench/receive.sh and bench/streams.sh share.
# Sourced after tests/integration/functions.sh and domain-functions.sh,
# with $mib, $relay_mib, $rtt and $runs set.  Starts a private sshd on
# loopback whose PATH has this build as `ferry`, makes two test-driver
# hosts of random raw disks ("big": $mib MiB, "small": $relay_mib MiB) and
# gives the timing helpers; each script defines its own `group`, which
# runs its ways $runs times through `best` and prints them with `row`.
make_tmpdir
mkdir "$tmpdir/bin" "$tmpdir/pool"
ln -s "$FERRY" "$tmpdir/bin/ferry"
start_sshd "SetEnv PATH=$tmpdir/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ssh_client_key ed25519 id

# make_host NAME MIB: NAME.raw of MIB MiB random bytes and a test-driver
# host NAME.xml with domain NAME on it.
make_host() {
    head -c $(($2 << 20)) /dev/urandom >"$tmpdir/$1.raw"
    {
        echo "<node>"
        domain_xml test "$1" "vda:raw:$tmpdir/$1.raw"
        echo "</node>"
    } >"$tmpdir/$1.xml"
}
echo "making $mib MiB and $relay_mib MiB of random bytes..." >&2
make_host big "$mib"
make_host small "$relay_mib"

rows=""
# pool_timed CMD...: timed (bench-functions.sh) into an empty pool, after
# a sync so that no earlier run's writeback is charged to this one.
pool_timed() {
    rm -rf "$tmpdir/pool" && mkdir "$tmpdir/pool"
    sync
    timed "$@"
}
# best KEY CMD...: keeps the run of least wall time in best_KEY, and every
# run's wall time in all_KEY (for the median).
best() {
    key=$1
    shift
    pool_timed "$@"
    eval "all_$key=\"\${all_$key:-} $wall\""
    eval "prev=\${best_$key:-}"
    if [ -z "$prev" ] || awk -v a="$wall" -v b="${prev%% *}" 'BEGIN { exit !(a < b) }'; then
        eval "best_$key=\"$wall $cpu $rss\""
    fi
}
# median KEY: the median of all_KEY.
median() {
    eval "printf '%s\n' \$all_$1" | sort -n | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
row() {   # NAME KEY BASEKEY MIB
    med=$(median "$2")
    med_ratio=$(echo "$med $(median "$3")" | awk '{printf "%.2f", $1 / $2}')
    eval "set -- \"\$1\" \$best_$2 \$best_$3 $4"
    ratio=$(echo "$2 $5" | awk '{printf "%.2f", $1 / $2}')
    rate=$(echo "$8 $2" | awk '{printf "%.0f", $1 / $2}')
    r="| $1 | $2 | $med | $rate | $3 | $4 | $ratio | $med_ratio |"
    echo "$r" >&2
    rows="$rows$r
"
}

scp_opts="-q -i $tmpdir/id -o UserKnownHostsFile=$sshd_known_hosts -o HostKeyAlias=[127.0.0.1]:$sshd_port
    -o StrictHostKeyChecking=yes -o BatchMode=yes -c aes128-ctr -o MACs=hmac-sha2-256"
pin="--known-hosts /dev/null --host-key $sshd_host_key_fp --identity $tmpdir/id"

# run_groups: `group` on loopback, then through bench/relay.py at $rtt ms.
run_groups() {
    echo "| way | best wall s | median wall s | MiB/s (best) | client CPU s | peak RSS MiB | ratio to scp (best) | ratio to scp (median) |" >&2
    group loopback loopback big "$mib" "$sshd_port" "$pin" "$scp_opts"
    rm -f "$tmpdir/relay.port"
    python3 "$top_srcdir/bench/relay.py" --to "$sshd_port" --port-file "$tmpdir/relay.port" \
        --delay-ms "$(echo "$rtt" | awk '{print $1 / 2}')" &
    relay_pid=$!
    cleanup_fn "kill $relay_pid 2>/dev/null"
    await_daemon relay "$relay_pid" /dev/null "wrote no port" test -s "$tmpdir/relay.port"
    group relay "relay, $rtt ms RTT" small "$relay_mib" "$(cat "$tmpdir/relay.port")" "$pin" "$scp_opts"
}
