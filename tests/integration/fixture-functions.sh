# SPDX-License-Identifier: LGPL-2.1-or-later
# fixture-functions.sh: one source image per reader, for the scripts that
# convert every format ferry reads into each output format.  Source it
# after functions.sh.
#
#   make_fixture_base FILE    a 32 MiB raw image with data at the start, in
#                             the middle, across 1 MiB boundaries and in the
#                             last 64 KiB; the rest reads as zeros
#   make_fixture KIND BASE DST
#                             DST made from BASE by qemu-img as KIND, one
#                             of $fixture_kinds; qcow2-chain also writes its
#                             backing file (chain-base.qcow2) beside DST and
#                             rewrites parts of BASE's data in the overlay
fixture_kinds="qcow2 qcow2-compressed qcow2-chain vmdk vmdk-stream vpc vhdx"

make_fixture_base() {
    qemu-img create -q -f raw "$1" 32M
    qemu-io -f raw -c 'write -P 0xab 0 1M' -c 'write -P 0xcd 5M 300k' \
        -c 'write -P 0x5a 20M 4M' -c 'write -P 0x11 32704k 64k' "$1" >/dev/null
}

make_fixture() {
    case $1 in
        qcow2) qemu-img convert -f raw -O qcow2 "$2" "$3" ;;
        qcow2-compressed) qemu-img convert -c -f raw -O qcow2 "$2" "$3" ;;
        qcow2-chain)
            qemu-img convert -f raw -O qcow2 "$2" "${3%/*}/chain-base.qcow2"
            qemu-img create -q -f qcow2 -b "${3%/*}/chain-base.qcow2" -F qcow2 "$3"
            qemu-io -f qcow2 -c 'write -P 0xee 4M 2M' -c 'write -z 20M 1M' "$3" >/dev/null ;;
        vmdk) qemu-img convert -f raw -O vmdk "$2" "$3" ;;
        vmdk-stream) qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$2" "$3" ;;
        vpc) qemu-img convert -f raw -O vpc "$2" "$3" ;;
        vhdx) qemu-img convert -f raw -O vhdx "$2" "$3" ;;
        *) fail "make_fixture: unknown kind '$1'" ;;
    esac
}
