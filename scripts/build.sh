#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# build.sh BUILDDIR [CONFIGURE-ARGS...]: an out-of-tree build in BUILDDIR.
# Configures only when BUILDDIR has no Makefile yet (or the arguments
# changed, and then from clean), so running it again is an incremental make.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:?usage: build.sh BUILDDIR [CONFIGURE-ARGS...]}
shift
[ -x "$srcdir/configure" ] || (cd "$srcdir" && ./autogen.sh >/dev/null 2>&1) ||
    { echo "build.sh: autogen.sh failed; run it by hand to see why" >&2; exit 1; }
mkdir -p "$builddir"
cd "$builddir"
want="$*"
if [ ! -f Makefile ] || [ "$(cat .ferry-configure-args 2>/dev/null)" != "$want" ]; then
    # make does not rebuild an object whose flags changed: objects built
    # with other arguments (say without -Werror) would be kept.
    [ ! -f Makefile ] || make -s clean >/dev/null 2>&1 || true
    "$srcdir/configure" -q "$@"
    printf '%s' "$want" >.ferry-configure-args
fi
make -s -j"$(nproc)"
