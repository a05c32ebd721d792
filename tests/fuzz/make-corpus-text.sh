#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seeds for the text parsers' fuzz targets, made here (nothing binary is
# committed): tests/fuzz/corpus/known-hosts/ (plain, hashed, [host]:port,
# @revoked and @cert-authority lines, keys of three types, made by
# ssh-keygen) and tests/fuzz/corpus/ferry-conf/ (the example ferry.conf and
# variants with every key set, bad values and groups repeated).
#   tests/fuzz/make-corpus-text.sh [CORPUS-DIR]   (default tests/fuzz/corpus)
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$srcdir/tests/fuzz/corpus}
command -v ssh-keygen >/dev/null || { echo "make-corpus-text.sh: needs ssh-keygen" >&2; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-corpus-XXXXXX")
trap 'rm -rf "$work"' EXIT
kh=$out/known-hosts conf=$out/ferry-conf
mkdir -p "$kh" "$conf"

for t in ed25519 ecdsa rsa; do
    ssh-keygen -q -t "$t" -N '' -C seed -f "$work/$t" $( [ "$t" = rsa ] && echo -b 1024 )
done
ed=$(cut -d' ' -f1,2 "$work/ed25519.pub")
ec=$(cut -d' ' -f1,2 "$work/ecdsa.pub")
rsa=$(cut -d' ' -f1,2 "$work/rsa.pub")
printf 'example.com %s\n' "$ed" >"$kh/plain"
printf '[127.0.0.1]:2222 %s\n[::1]:2222 %s\n' "$ec" "$ec" >"$kh/port"
printf 'example.com,10.0.0.1 %s\n# a comment\n\nother.example %s\n' "$rsa" "$ed" >"$kh/list"
cp "$kh/list" "$work/hashed"
ssh-keygen -q -H -f "$work/hashed" >/dev/null 2>&1
cp "$work/hashed" "$kh/hashed"
printf '@revoked example.com %s\n@cert-authority *.example.com %s\nexample.com %s\n' \
    "$ed" "$ec" "$ec" >"$kh/markers"
printf '!bad.example,*.example.com %s\nexample.com ssh-ed25519 AAAA====\n' "$ed" >"$kh/patterns"

cp "$srcdir/data/ferry.conf.example" "$conf/example"
cat >"$conf/every-key" <<'EOC'
[agent]
concurrency=4
group=ferry
state-dir=/var/lib/ferry
connect=qemu:///system
pools=/srv/pool;/var/lib/ferry/pool
allow-test-driver=false
[export]
format=qcow2
known-hosts=/etc/ferry/known_hosts
bandwidth-limit=1048576
identity=/etc/ferry/id_ed25519
password-file=/etc/ferry/password
file-mode=0640
file-group=ferry
EOC
printf '[agent]\nconcurrency=0\n[export]\nfile-mode=0999\n' >"$conf/bad-values"
printf '[agent]\ngroup=a\n[agent]\ngroup=b\npools=relative;/abs\n' >"$conf/repeated"
