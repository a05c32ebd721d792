#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# raw -> qcow2 for every cluster size from 512 B to 2 MiB, compat 0.10 and
# 1.1: qemu-img compare finds the image identical to the source, qemu-img
# check finds no errors and no leaks, and qemu-img info reads back the
# cluster size and compat asked for.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir

src="$tmpdir/src.raw"
# Odd size, data at the start, across a 2 MiB boundary, and in the last
# partial cluster.
qemu-img create -q -f raw "$src" 40000000
qemu-io -f raw -c 'write -P 0xab 0 300k' -c 'write -P 0xcd 2047k 10k' \
    -c 'write -P 0x5a 17M 3M' -c 'write -P 0x11 39999488 512' "$src" >/dev/null

info_field() {
    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

for compat in 0.10 1.1; do
    for cs in 512 1024 2048 4096 8192 16384 32768 65536 131072 262144 524288 1048576 2097152; do
        dst="$tmpdir/out-$compat-$cs.qcow2"
        "$FERRY" convert -O qcow2 -o "compat=$compat,cluster_size=$cs" "$src" "$dst" ||
            fail "convert compat=$compat cluster_size=$cs failed"
        qemu-img check -q "$dst" ||
            fail "qemu-img check: compat=$compat cluster_size=$cs: $(qemu-img check "$dst" 2>&1 | head -3)"
        qemu-img compare -q -f raw -F qcow2 "$src" "$dst" ||
            fail "qemu-img compare: compat=$compat cluster_size=$cs differs"
        info=$(qemu-img info --output=json "$dst")
        assert_eq "$(printf '%s' "$info" | info_field "d['cluster-size']")" "$cs" \
            "cluster size of compat=$compat cluster_size=$cs"
        assert_eq "$(printf '%s' "$info" | info_field "d['format-specific']['data']['compat']")" \
            "$compat" "compat of compat=$compat cluster_size=$cs"
        rm -f "$dst"
    done
done

# The default is compat=1.1 with 64 KiB clusters, as qemu-img's; and the
# same bytes go to a pipe, since uncompressed output never seeks back.
"$FERRY" convert -O qcow2 "$src" "$tmpdir/default.qcow2"
info=$(qemu-img info --output=json "$tmpdir/default.qcow2")
assert_eq "$(printf '%s' "$info" | info_field "d['cluster-size']")" 65536 "default cluster size"
assert_eq "$(printf '%s' "$info" | info_field "d['format-specific']['data']['compat']")" 1.1 "default compat"
"$FERRY" convert -O qcow2 "$src" - | cat >"$tmpdir/piped.qcow2"
cmp "$tmpdir/default.qcow2" "$tmpdir/piped.qcow2" ||
    fail "qcow2 written to a pipe differs from the file"
qemu-img check -q "$tmpdir/piped.qcow2" || fail "piped qcow2 fails qemu-img check"
