#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A source disk is opened read-only and left as it was: `ferry export` of
# a domain with a qcow2 disk over a raw backing file, a vmdk and a raw
# disk, to a file:// pool and to the loopback sshd, under strace.  No
# open of a source file asks for write access, and each source file's
# SHA-256, size and modification time are the same afterwards.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img qemu-io strace sha256sum
make_tmpdir
start_sshd
ssh_client_key ed25519 id

name=ferry-test-$$-ro
img=$tmpdir/img
mkdir "$img" "$tmpdir/pool-file" "$tmpdir/pool-ssh"
make_image raw "$img/base.raw" 16M "0x11 0 2M"
make_image -b base.raw qcow2 "$img/root.qcow2" 16M "0x22 1M 2M"
make_image vmdk "$img/data.vmdk" 8M "0x33 0 1M"
make_image raw "$img/swap.raw" 8M "0x44 4M 1M"
write_test_host "$name" "vda:qcow2:$img/root.qcow2" "vdb:vmdk:$img/data.vmdk" \
    "vdc:raw:$img/swap.raw"
sources="$img/base.raw $img/root.qcow2 $img/data.vmdk $img/swap.raw"

# fingerprint: SHA-256, size and mtime (ns) of each source file.
fingerprint() {
    for f in $sources; do
        echo "$(sha256sum <"$f" | cut -d' ' -f1) $(stat -c '%s %.9Y' "$f") $f"
    done
}
fingerprint >"$tmpdir/before"

for to in "file://$tmpdir/pool-file" "ssh://root@127.0.0.1:$sshd_port$tmpdir/pool-ssh"; do
    rm -f "$tmpdir/strace".*
    # LeakSanitizer cannot run under ptrace (an ASan build of the suite).
    ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 \
    strace -f -qq -e trace=open,openat,openat2,truncate,ftruncate -o "$tmpdir/strace" -ff \
        "$FERRY" export "$name" --connect "$test_host_uri" --to "$to" \
        -i "$tmpdir/id" --known-hosts "$sshd_known_hosts" >/dev/null 2>"$tmpdir/err" ||
        fail "export to $to failed: $(cat "$tmpdir/err")"
    cat "$tmpdir/strace".* >"$tmpdir/calls"
    for f in $sources; do
        grep -F "\"$f\"" "$tmpdir/calls" >"$tmpdir/opens" || true
        [ -s "$tmpdir/opens" ] || fail "$to: strace saw no open of $f"
        if grep -E 'O_(WRONLY|RDWR|CREAT|TRUNC)' "$tmpdir/opens"; then
            fail "$to: $f was opened for writing (above)"
        fi
        if grep -E '^[0-9]+ +truncate\(' "$tmpdir/opens"; then
            fail "$to: $f was truncated (above)"
        fi
    done
done
fingerprint >"$tmpdir/after"
diff "$tmpdir/before" "$tmpdir/after" || fail "a source file changed (diff above)"
qemu-img compare -q "$img/root.qcow2" "$tmpdir/pool-file/$name-vda.qcow2" ||
    fail "vda differs in the file pool"
qemu-img compare -q "$img/data.vmdk" "$tmpdir/pool-ssh/$name-vdb.qcow2" ||
    fail "vdb differs in the ssh pool"
