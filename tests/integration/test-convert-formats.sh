#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every source format ferry reads (qcow2 plain and compressed, a qcow2
# chain, vmdk monolithicSparse and streamOptimized, vpc, vhdx) converts to
# raw and to qcow2 identical to the source by qemu-img compare, and the
# qcow2 output passes qemu-img check.  A format whose reader is missing is
# skipped row by row, saying so.
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io
make_tmpdir

base="$tmpdir/base.raw"
qemu-img create -q -f raw "$base" 32M
qemu-io -f raw -c 'write -P 0xab 0 1M' -c 'write -P 0xcd 5M 300k' \
    -c 'write -P 0x5a 20M 4M' -c 'write -P 0x11 32704k 64k' "$base" >/dev/null

make_src() {
    case $1 in
        qcow2) qemu-img convert -f raw -O qcow2 "$base" "$2" ;;
        qcow2-compressed) qemu-img convert -c -f raw -O qcow2 "$base" "$2" ;;
        qcow2-chain)
            qemu-img convert -f raw -O qcow2 "$base" "$tmpdir/chain-base.qcow2"
            qemu-img create -q -f qcow2 -b "$tmpdir/chain-base.qcow2" -F qcow2 "$2"
            qemu-io -f qcow2 -c 'write -P 0xee 4M 2M' -c 'write -z 20M 1M' "$2" >/dev/null ;;
        vmdk) qemu-img convert -f raw -O vmdk "$base" "$2" ;;
        vmdk-stream) qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$base" "$2" ;;
        vpc) qemu-img convert -f raw -O vpc "$base" "$2" ;;
        vhdx) qemu-img convert -f raw -O vhdx "$base" "$2" ;;
    esac
}

converted=0
for kind in qcow2 qcow2-compressed qcow2-chain vmdk vmdk-stream vpc vhdx; do
    src="$tmpdir/src-$kind.img"
    make_src "$kind" "$src"
    if ! "$FERRY" info "$src" >/dev/null 2>"$tmpdir/err"; then
        echo "$ferry_test_name: skipping $kind: $(cat "$tmpdir/err")" >&2
        continue
    fi
    for out in raw qcow2; do
        dst="$tmpdir/out-$kind.$out"
        "$FERRY" convert -O "$out" "$src" "$dst" || fail "$kind -> $out failed"
        qemu-img compare -q -F "$out" "$src" "$dst" || fail "$kind -> $out differs"
        if [ "$out" = qcow2 ]; then
            qemu-img check -q "$dst" || fail "$kind -> qcow2 fails qemu-img check"
        fi
        rm -f "$dst"
        converted=$((converted + 1))
    done
done
[ "$converted" -gt 0 ] || skip "ferry reads none of the source formats yet"
echo "$ferry_test_name: $converted conversions checked" >&2
