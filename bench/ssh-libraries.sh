#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/ssh-libraries.sh: what one SSH channel costs with each client
# library ferry could use.  Sends FERRY_BENCH_MIB MiB (default 1024) of
# random bytes over one exec channel running `cat >/dev/null` on a private
# sshd on loopback (tests/integration/functions.sh start_sshd), with
#   - libssh2 (the installed 1.10, ferry's library) held to aes128-ctr +
#     hmac-sha2-256 (libssh2 1.10 has no AEAD cipher: the script asks it
#     for aes128-gcm@openssh.com and records the refusal);
#   - libssh (Debian 12's 0.10; libssh-dev is installed here if missing,
#     for this bench only) held to the same, then to aes128-gcm@openssh.com
#     and chacha20-poly1305@openssh.com;
#   - OpenSSH's ssh, `ssh -c CIPHER host 'cat >/dev/null' <FILE`, with the
#     same three.
# Both libraries go through bench/ssh-send.c (and bench/evp-count.c, an
# LD_PRELOAD call counter), built here with gcc and pkg-config into the
# temporary directory: nothing of this is in ferry's build.  Every client
# verifies the server's ed25519 host key against a known_hosts file and
# logs in with an ed25519 key.  FERRY_BENCH_RUNS rounds (default 5), every
# way once per round in turn; best and median wall time, median client CPU
# (user+sys, GNU time) and CPU seconds per GiB.  Then `perf record -g` of
# libssh2 and libssh on aes128-ctr (top symbols by self time, and
# libcrypto's share), and the EVP call counts of each.  Writes
# bench/reports/ssh-libraries-<date>.md (FERRY_BENCH_REPORT overrides).
# Needs root (sshd), gcc, perf for the profile (skipped without it).
#     flock /tmp/ferry-bench.lock sh bench/ssh-libraries.sh
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
# functions.sh wants a ferry binary's path; this bench runs none.
FERRY=${FERRY:-$top_srcdir/build/ferry}
export top_srcdir FERRY
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/bench/bench-functions.sh"
requires ssh gcc pkg-config /usr/bin/time
mib=${FERRY_BENCH_MIB:-1024}
runs=${FERRY_BENCH_RUNS:-5}

if ! pkg-config --exists libssh; then
    echo "installing libssh-dev (for this bench only)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libssh-dev >&2 ||
        fail "cannot install libssh-dev"
fi
pkg-config --exists libssh2 || fail "libssh2's headers are missing (libssh2-1-dev)"

load0=$(cut -d' ' -f1 /proc/loadavg)
make_tmpdir
send=$tmpdir/ssh-send
# shellcheck disable=SC2046
gcc -O2 -Wall -Wextra -Werror -o "$send" "$top_srcdir/bench/ssh-send.c" \
    $(pkg-config --cflags --libs libssh2 libssh) || fail "cannot build bench/ssh-send.c"
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$tmpdir/evp-count.so" \
    "$top_srcdir/bench/evp-count.c" -ldl || fail "cannot build bench/evp-count.c"
start_sshd
ssh_client_key ed25519 id
echo "making $mib MiB of random bytes..." >&2
head -c $((mib << 20)) /dev/urandom >"$tmpdir/data"
cat "$tmpdir/data" >/dev/null

lib_opts="--port $sshd_port --identity $tmpdir/id --known-hosts $sshd_known_hosts"
ssh_opts="-F none -p $sshd_port -i $tmpdir/id -o IdentitiesOnly=yes
    -o UserKnownHostsFile=$sshd_known_hosts -o GlobalKnownHostsFile=/dev/null
    -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519 -o BatchMode=yes"
# shellcheck disable=SC2086
ssh_opts=$(echo $ssh_opts) # one line: it goes into sh -c
ctr="aes128-ctr"
mac="hmac-sha2-256"
gcm="aes128-gcm@openssh.com"
chacha="chacha20-poly1305@openssh.com"

# way KEY: the command line of each way (paths in $tmpdir have no
# spaces), run as `sh -c "exec $(way KEY)"` so that GNU time and perf see
# the client itself.
way() {
    case $1 in
    ssh_ctr) echo "ssh $ssh_opts -c $ctr -o MACs=$mac root@127.0.0.1 'cat >/dev/null' <$tmpdir/data" ;;
    ssh_gcm) echo "ssh $ssh_opts -c $gcm root@127.0.0.1 'cat >/dev/null' <$tmpdir/data" ;;
    ssh_chacha) echo "ssh $ssh_opts -c $chacha root@127.0.0.1 'cat >/dev/null' <$tmpdir/data" ;;
    libssh2_ctr) echo "$send --lib libssh2 $lib_opts --cipher $ctr --mac $mac $tmpdir/data" ;;
    libssh_ctr) echo "$send --lib libssh $lib_opts --cipher $ctr --mac $mac $tmpdir/data" ;;
    libssh_gcm) echo "$send --lib libssh $lib_opts --cipher $gcm $tmpdir/data" ;;
    libssh_chacha) echo "$send --lib libssh $lib_opts --cipher $chacha $tmpdir/data" ;;
    *) fail "no way $1" ;;
    esac
}
run_way() { sh -c "exec $(way "$1")"; }
ways="ssh_ctr libssh2_ctr libssh_ctr ssh_gcm libssh_gcm ssh_chacha libssh_chacha"

# What each library negotiated, once, before timing (the report shows
# it), with the bytes kept on the server and compared: the timed runs send
# to cat >/dev/null.
for w in libssh2_ctr libssh_ctr libssh_gcm libssh_chacha; do
    rm -f "$tmpdir/check"
    sh -c "exec $(way "$w") --command 'cat >$tmpdir/check'" 2>>"$tmpdir/negotiated" ||
        fail "$w: $(tail -1 "$tmpdir/negotiated")"
    cmp "$tmpdir/data" "$tmpdir/check" || fail "$w: the bytes on the server differ"
done
rm -f "$tmpdir/check"
# shellcheck disable=SC2086
if "$send" --lib libssh2 $lib_opts --cipher "$gcm" "$tmpdir/data" 2>"$tmpdir/l2gcm"; then
    libssh2_gcm="libssh2 $(pkg-config --modversion libssh2) took $gcm"
else
    libssh2_gcm="libssh2 $(pkg-config --modversion libssh2) refuses $gcm: $(tail -1 "$tmpdir/l2gcm")"
fi

# timed_way KEY: one timed run of a way, appended to $tmpdir/runs/KEY as
# "wall cpu rss".
mkdir "$tmpdir/runs"
timed_way() {
    timed sh -c "exec $(way "$1")"
    echo "$wall $cpu $rss" >>"$tmpdir/runs/$1"
}
i=0
while [ $i -lt "$runs" ]; do
    i=$((i + 1))
    echo "round $i of $runs..." >&2
    for w in $ways; do
        timed_way "$w"
    done
done

# median KEY COLUMN
median() {
    cut -d' ' -f"$2" "$tmpdir/runs/$1" | sort -n | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
best() { cut -d' ' -f1 "$tmpdir/runs/$1" | sort -n | head -1; }
rows=""
row() {   # NAME KEY BASEKEY
    bw=$(best "$2")
    mw=$(median "$2" 1)
    mc=$(median "$2" 2)
    r=$(echo "$bw $mw $mc $mib $(median "$3" 1) $(median "$3" 2)" | awk '{
        printf "%s | %s | %.0f | %s | %.2f | %.2f | %.2f", $1, $2, $4 / $1, $3, $3 * 1024 / $4, $2 / $5, $3 / $6 }')
    r="| $1 | $r |"
    echo "$r" >&2
    rows="$rows$r
"
}
row "OpenSSH ssh, $ctr + $mac" ssh_ctr ssh_ctr
row "libssh2 $(pkg-config --modversion libssh2), $ctr + $mac" libssh2_ctr ssh_ctr
row "libssh $(pkg-config --modversion libssh), $ctr + $mac" libssh_ctr ssh_ctr
row "OpenSSH ssh, $gcm" ssh_gcm ssh_ctr
row "libssh $(pkg-config --modversion libssh), $gcm" libssh_gcm ssh_ctr
row "OpenSSH ssh, $chacha" ssh_chacha ssh_ctr
row "libssh $(pkg-config --modversion libssh), $chacha" libssh_chacha ssh_ctr

# The profile and the call counts, aes128-ctr + hmac-sha2-256, one run
# each (not timed).
profile=""
if command -v perf >/dev/null 2>&1; then
    for lib in libssh2 libssh; do
        echo "perf record of $lib..." >&2
        perf record -q -g -o "$tmpdir/perf-$lib.data" -- sh -c "exec $(way "${lib}_ctr")" \
            >/dev/null 2>"$tmpdir/perf.err" || fail "perf record of $lib failed: $(tail -3 "$tmpdir/perf.err")"
        top=$(perf report -i "$tmpdir/perf-$lib.data" --no-children --comm ssh-send \
            -g none --sort dso,symbol --stdio 2>/dev/null | grep -v '^#' | grep '%' | sed 's/ *- *- *$//' | head -15)
        dsos=$(perf report -i "$tmpdir/perf-$lib.data" --no-children --comm ssh-send \
            -g none --sort dso --stdio 2>/dev/null | grep -v '^#' | grep '%' | sed 's/ *$//' | head -6)
        profile="$profile
### $lib, $ctr + $mac: top symbols (self, % of the client's samples)

\`\`\`
$top
\`\`\`

by library:

\`\`\`
$dsos
\`\`\`
"
    done
else
    profile="
(perf is not installed: no profile.)
"
fi
counts=""
for lib in libssh2 libssh; do
    EVP_COUNT_OUT=$tmpdir/count-$lib LD_PRELOAD=$tmpdir/evp-count.so run_way "${lib}_ctr" 2>/dev/null ||
        fail "the counted run of $lib failed"
    while read -r fn calls bytes; do
        counts="$counts| $lib | $fn | $calls | $(echo "$calls $mib" | awk '{printf "%.0f", $1 * 1024 / $2}') | $(echo "$bytes $calls" | awk '{printf "%.0f", $1 / $2}') |
"
    done <"$tmpdir/count-$lib"
done

date=$(date +%Y-%m-%d)
report=${FERRY_BENCH_REPORT:-$top_srcdir/bench/reports/ssh-libraries-$date.md}
{
    echo "# One SSH channel: libssh2 against libssh against OpenSSH, $date"
    echo
    echo "$mib MiB of random bytes sent over one exec channel running"
    echo "\`cat >/dev/null\` on a private sshd on loopback; page cache warm."
    echo "$runs rounds, every way once per round in turn; best and median wall"
    echo "time, median client CPU (user+sys, GNU time); ratios are medians over"
    echo "OpenSSH's with aes128-ctr + hmac-sha2-256.  Host key verified"
    echo "(known_hosts, ed25519) and key login in every client; libssh2 and"
    echo "libssh through bench/ssh-send.c (blocking, 256 KiB writes)."
    echo
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores (shared), $(uname -r)"
    echo "- $(ssh -V 2>&1); libssh2 $(pkg-config --modversion libssh2); libssh $(pkg-config --modversion libssh)"
    echo "- command: \`flock /tmp/ferry-bench.lock sh bench/ssh-libraries.sh\` (FERRY_BENCH_MIB=$mib FERRY_BENCH_RUNS=$runs)"
    echo "- load average (1 min) at the start: $load0, at the end: $(cut -d' ' -f1 /proc/loadavg)"
    echo "- negotiated (as each library reported it):"
    sed 's/^ssh-send: /  - /' "$tmpdir/negotiated"
    echo "  - $libssh2_gcm"
    echo
    echo "| way | best wall s | median wall s | MiB/s (best) | client CPU s | client CPU s/GiB | wall ratio | CPU ratio |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s' "$rows"
    echo
    echo "## Profile"
    echo
    echo "\`perf record -g\` of one run of each library (aes128-ctr +"
    echo "hmac-sha2-256), \`perf report --no-children --sort dso,symbol\`."
    printf '%s' "$profile"
    echo
    echo "## Calls into libcrypto"
    echo
    echo "bench/evp-count.c (LD_PRELOAD) counts one run of each library: its"
    echo "calls into libcrypto, and libcrypto's calls to its own exported"
    echo "functions that go through the dynamic linker (so one call may be"
    echo "counted under two names, e.g. EVP_EncryptUpdate and EVP_CipherUpdate)."
    echo
    echo "| library | function | calls | calls per GiB | bytes per call |"
    echo "|---|---|---|---|---|"
    printf '%s' "$counts"
} >"$report"
cat "$report"
echo "report: $report" >&2
