#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seeds for the text parsers' fuzz targets, made here (nothing binary is
# committed): tests/fuzz/corpus/known-hosts/ (plain, hashed, [host]:port,
# @revoked and @cert-authority lines, keys of three types, made by
# ssh-keygen) and tests/fuzz/corpus/ferry-conf/ (the example ferry.conf and
# variants with every key set, bad values and groups repeated), and
# tests/fuzz/corpus/job-state/ (job files of the three final shapes).
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

# Job files as agent/state.c writes them (its header gives the shape).
job=$out/job-state
mkdir -p "$job"
cat >"$job/running" <<'EOJ'
{"version": 1, "id": "3", "kind": "export", "vm": "web1", "target": "ssh://pool@10.0.0.5/pool", "disks": ["vda", "vdb"], "options": "{'format': <'qcow2'>, 'bwlimit': <uint64 4194304>, 'identity': <['/etc/ferry/id']>}", "owner": 1000, "state": "running", "resume": false, "bytes": 123, "bytes_total": 456, "create_time": 1700000000000000, "start_time": 1700000001000000, "finish_time": 0}
EOJ
cat >"$job/failed" <<'EOJ'
{"version": 1, "id": "7", "kind": "export", "vm": "db1", "target": "file:///srv/pool", "disks": [], "options": "@a{sv} {}", "state": "failed", "resume": true, "bytes": 0, "bytes_total": 0, "error": {"code": "io", "message": "write: /srv/pool/db1-vda.qcow2.part: No space left on device"}, "create_time": 1, "start_time": 2, "finish_time": 3}
EOJ
cat >"$job/completed" <<'EOJ'
{"version": 1, "id": "12", "kind": "export", "vm": "web2", "target": "file:///srv/pool", "disks": ["vda"], "options": "{'format': <'raw'>}", "owner": 0, "state": "completed", "resume": false, "bytes": 1048576, "bytes_total": 1048576, "result": "{'manifest': <'/srv/pool/web2.ferry.json'>, 'disks': <[{'dev': <'vda'>, 'file': <'web2-vda.raw'>, 'sha256': <'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'>, 'bytes-sent': <uint64 1048576>, 'resumed-at': <uint64 0>}]>}", "create_time": 1, "start_time": 2, "finish_time": 3}
EOJ
