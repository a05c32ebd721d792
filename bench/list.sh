#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/list.sh: how long `ferry list --json` takes on a host with many
# domains.  Defines N (default 200) shut-off domains on the real libvirtd
# (QEMU driver, never started), each with 2 disks made by qemu-img (FORMAT,
# default raw; qcow2 once its reader is merged), times ferry list --json
# RUNS times (wall, CPU, peak RSS from GNU time -v), and as the anchor the
# shell loop an admin would write today: virsh dumpxml for every domain and
# qemu-img info for every disk.  Prints a Markdown report on stdout; every
# domain it defined is undefined at exit.
#
#   sh bench/list.sh [BUILD_DIR] > bench/reports/list-$(date +%F).md
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
FERRY=${FERRY:-$(cd "${1:-$top_srcdir/build}" && pwd)/ferry}
N=${N:-200}
RUNS=${RUNS:-5}
FORMAT=${FORMAT:-raw}
export FERRY top_srcdir
. "$top_srcdir/tests/integration/functions.sh"
requires_root
requires qemu-img virsh
[ -x /usr/bin/time ] || skip "requires GNU time (/usr/bin/time)"
start_libvirtd
make_tmpdir

p=ferry-bench-$$
V="virsh -q -c qemu:///system"
undefine_all() {
    i=0
    while [ $i -lt "$N" ]; do
        $V undefine "$p-$i" >/dev/null 2>&1 || true
        i=$((i + 1))
    done
}
cleanup_fn undefine_all

setup_start=$(date +%s.%N)
i=0
while [ $i -lt "$N" ]; do
    qemu-img create -q -f "$FORMAT" "$tmpdir/$i-a.$FORMAT" 10G
    qemu-img create -q -f "$FORMAT" "$tmpdir/$i-b.$FORMAT" 2G
    cat >"$tmpdir/$i.xml" <<X
<domain type='kvm'>
  <name>$p-$i</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='$FORMAT'/>
      <source file='$tmpdir/$i-a.$FORMAT'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='$FORMAT'/>
      <source file='$tmpdir/$i-b.$FORMAT'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <source bridge='br0'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
X
    $V define "$tmpdir/$i.xml" >/dev/null || fail "virsh define $i failed"
    i=$((i + 1))
done
setup_secs=$(awk -v a="$setup_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

# measure LABEL CMD...: RUNS runs; prints "wall cpu rss" of the median run.
measure() {
    label=$1
    shift
    r=0
    : >"$tmpdir/$label.runs"
    while [ $r -lt "$RUNS" ]; do
        /usr/bin/time -v -o "$tmpdir/$label.time" "$@" >"$tmpdir/$label.out"
        awk -F': ' '
            /Elapsed \(wall clock\)/ { n = split($2, t, ":"); w = 0
                                       for (k = 1; k <= n; k++) w = w * 60 + t[k] }
            /User time/ { u = $2 } /System time/ { s = $2 }
            /Maximum resident/ { m = $2 }
            END { printf "%.3f %.3f %d\n", w, u + s, m }' \
            "$tmpdir/$label.time" >>"$tmpdir/$label.runs"
        r=$((r + 1))
    done
    sort -n "$tmpdir/$label.runs" | sed -n "$(( (RUNS + 1) / 2 ))p"
}

anchor() {
    for d in $(virsh -c qemu:///system list --all --name); do
        virsh -c qemu:///system dumpxml "$d" >"$tmpdir/anchor.xml"
        for f in $(sed -n "s/.*<source file='\([^']*\)'.*/\1/p" "$tmpdir/anchor.xml"); do
            [ -e "$f" ] && qemu-img info --output=json "$f" >/dev/null
        done
    done
}

set -- $(measure ferry "$FERRY" list --json)
f_wall=$1 f_cpu=$2 f_rss=$3
listed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listvmsforimportresponse"]["count"])' "$tmpdir/ferry.out")
a_start=$(date +%s.%N)
anchor
a_wall=$(awk -v a="$a_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
ratio=$(awk -v f="$f_wall" -v a="$a_wall" 'BEGIN { printf "%.3f", f / a }')

cat <<R
# ferry list benchmark, $(date +%F)

- machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(uname -sr)
- cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
- libvirt $(libvirtd --version | awk '{ print $NF }'), $(qemu-img --version | head -1)
- ferry $("$FERRY" --version | awk '{ print $2 }'), $(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)
- input: $N shut-off domains defined on qemu:///system, 2 $FORMAT disks each
  (10 GiB + 2 GiB, sparse), one bridge NIC; $listed domains listed in total
  (other domains on the host count too); setup took $setup_secs s
- cache state: warm (the images' headers are in the page cache after the first run)

| what | wall (s) | CPU (s) | peak RSS (KiB) |
|---|---|---|---|
| \`ferry list --json\` (median of $RUNS) | $f_wall | $f_cpu | $f_rss |
| anchor: \`virsh dumpxml\` + \`qemu-img info\` per domain/disk (1 run) | $a_wall | | |

ferry/anchor wall-time ratio: $ratio.  The goal is under 2 s for 200 domains on 2 cores.
R
