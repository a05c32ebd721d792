#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# raw -> compressed qcow2 (-c) with zlib and zstd: identical to the source
# by qemu-img compare, clean by qemu-img check, the compression type in the
# header as asked, compressible data actually smaller, incompressible
# clusters stored whole; and -c to a pipe is refused with nothing written.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir

src="$tmpdir/src.raw"
qemu-img create -q -f raw "$src" 24M
qemu-io -f raw -c 'write -P 0xab 1M 4M' -c 'write -P 0x5a 12M 64k' "$src" >/dev/null
# 1 MiB of random bytes does not compress: those clusters are stored whole.
head -c 1048576 /dev/urandom | dd of="$src" bs=64k seek=128 conv=notrunc status=none
# The last cluster is partial for 64 KiB clusters.
truncate -s 25000000 "$src"
qemu-io -f raw -c 'write -P 0x77 24999000 1000' "$src" >/dev/null

for ctype in zlib zstd; do
    for cs in 512 4096 65536 2097152; do
        dst="$tmpdir/out-$ctype-$cs.qcow2"
        "$FERRY" convert -c -O qcow2 -o "compression_type=$ctype,cluster_size=$cs" \
            "$src" "$dst" || fail "convert -c $ctype cluster_size=$cs failed"
        qemu-img check -q "$dst" ||
            fail "qemu-img check: -c $ctype cluster_size=$cs: $(qemu-img check "$dst" 2>&1 | head -3)"
        qemu-img compare -q -f raw -F qcow2 "$src" "$dst" ||
            fail "qemu-img compare: -c $ctype cluster_size=$cs differs"
        got=$(qemu-img info --output=json "$dst" |
              python3 -c "import json,sys; print(json.load(sys.stdin)['format-specific']['data']['compression-type'])")
        assert_eq "$got" "$ctype" "compression type of -c $ctype cluster_size=$cs"
    done
done

# 5 MiB of patterned data and 1 MiB of random: well under 6 MiB on disk.
used=$(stat -c %s "$tmpdir/out-zlib-65536.qcow2")
[ "$used" -lt 3000000 ] || fail "compressed output is $used bytes"
"$FERRY" convert -c -O qcow2 -o compat=0.10 "$src" "$tmpdir/v2.qcow2"
qemu-img check -q "$tmpdir/v2.qcow2" || fail "compressed compat=0.10 fails check"
qemu-img compare -q -f raw -F qcow2 "$src" "$tmpdir/v2.qcow2" || fail "compressed compat=0.10 differs"

set +e
"$FERRY" convert -c -O qcow2 "$src" - >"$tmpdir/pipe.out" 2>"$tmpdir/err"
status=$?
set -e
[ "$status" != 0 ] || fail "-c to a pipe exited 0"
assert_eq "$(stat -c %s "$tmpdir/pipe.out")" 0 "bytes written to the pipe by a refused -c"
assert_contains "$(cat "$tmpdir/err")" "ferry: -c:" "-c to a pipe message"
