#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what building and testing ferry needs on Debian 12, as root.
# Safe to run again: apt-get skips what is already there.
set -eu
export DEBIAN_FRONTEND=noninteractive

pkgs="build-essential autoconf automake libtool pkg-config
 libvirt-dev libxml2-dev libglib2.0-dev libglib2.0-bin libjson-glib-dev
 libssh2-1-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libzstd-dev libdeflate-dev
 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
 qemu-utils qemu-system-x86 dnsmasq-base
 clang libclang-rt-14-dev time python3 util-linux strace
 openssh-server openssh-client openssl
 dbus-daemon dbus-bin systemd
 ansible-core ansible-lint
 libext2fs-dev e2fsprogs xfsprogs dosfstools fdisk lvm2 cryptsetup-bin mtools"

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi

# Azurite for the azure:// tests, from tests/azurite's lock file (3.35.0 is
# the last release that runs on Node 20; Node comes with the machine, not
# from apt).  --ignore-scripts: nothing from the registry runs here.
if command -v npm >/dev/null 2>&1 && [ ! -d "$(dirname "$0")/../tests/azurite/node_modules" ]; then
    (cd "$(dirname "$0")/../tests/azurite" && npm ci --ignore-scripts --no-audit --no-fund)
fi
