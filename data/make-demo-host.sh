#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make-demo-host.sh DIR: creates the demo host's disk images in DIR and
# writes DIR/demo-host.xml from data/demo-host.xml.in.  Images are small and
# sparse, with a few MiB of data so that an export has something to carry.
# They are made with qemu-img and qemu-io, which are test and demo tools
# here; ferry itself never calls them.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: make-demo-host.sh DIR}
mkdir -p "$dir/pool"
dir=$(cd "$dir" && pwd)

mkimg() { qemu-img create -q "$@"; }
fill() { qemu-io -f "$1" -c "$2" "$3" >/dev/null; }

rm -f "$dir"/*.qcow2 "$dir"/*.img "$dir"/*.vmdk "$dir"/*.vhd "$dir"/pool/*
# web1: a qcow2 overlay over a raw base (the usual template + instance).
mkimg -f raw "$dir/web1-base.img" 1G
fill raw "write -P 0x11 0 4M" "$dir/web1-base.img"
mkimg -f qcow2 -b web1-base.img -F raw "$dir/web1-root.qcow2" 1G
fill qcow2 "write -P 0x22 1M 2M" "$dir/web1-root.qcow2"
mkimg -f raw "$dir/web1-data.img" 256M
fill raw "write -P 0x33 64M 1M" "$dir/web1-data.img"
# erp-legacy: VMware's sparse format.
mkimg -f vmdk -o subformat=monolithicSparse "$dir/erp-legacy.vmdk" 512M
fill vmdk "write -P 0x44 0 3M" "$dir/erp-legacy.vmdk"
# app1: a dynamic VHD and a qcow2 volume in the "images" pool.
mkimg -f vpc -o subformat=dynamic "$dir/app1-root.vhd" 300M
fill vpc "write -P 0x55 0 2M" "$dir/app1-root.vhd"
mkimg -f qcow2 "$dir/pool/app1-data.qcow2" 128M
fill qcow2 "write -P 0x66 8M 1M" "$dir/pool/app1-data.qcow2"

sed "s|@DEMO_DIR@|$dir|g" "$srcdir/data/demo-host.xml.in" >"$dir/demo-host.xml"
echo "test://$dir/demo-host.xml"
