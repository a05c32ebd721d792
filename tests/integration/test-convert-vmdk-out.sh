#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry writes vmdk: every source format ferry reads (the fixtures of
# test-convert-formats.sh) converts to streamOptimized and to
# monolithicSparse identical to the source by qemu-img compare, clean by
# qemu-img check, with the createType qemu-img info reports and
# ddb.toolsVersion in the embedded descriptor.  Writing to stdout ("-")
# gives the same bytes as writing to a file, and --checksum reports the same
# hash for both, which is the file's.  A streamOptimized output is walked
# marker by marker from the first grain to the end-of-stream marker, as a
# reader of a stream (AWS VM Import) takes it.  Also: a disk larger than
# 4 GiB, sizes that end inside a grain, and the descriptor options.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/fixture-functions.sh"
requires qemu-img qemu-io python3 sha256sum
make_tmpdir

base="$tmpdir/base.raw"
make_fixture_base "$base"
# Some bytes that do not compress, so grains of every size are framed.
head -c 262144 /dev/urandom | dd of="$base" bs=64k seek=200 conv=notrunc status=none

# Walks a streamOptimized file as a stream: header (gdOffset at end,
# compressed, markers), descriptor, then from overHead only grain markers
# (lba rising, zlib data that inflates to a grain), GT markers each
# followed by a table pointing back at the grains just read, one GD marker
# whose table points at those GTs, the footer marker and footer (the real
# gdOffset), and the end-of-stream marker as the file's last sector.
# Prints the ddb.toolsVersion line of the descriptor.
walk_stream() {
    python3 - "$1" <<'PY'
import struct, sys, zlib
f = open(sys.argv[1], "rb").read()
S = 512
def die(msg):
    sys.exit("%s: %s" % (sys.argv[1], msg))
def header(off):
    (magic, version, flags, capacity, grain, doff, dsize, ngte, rgd, gd,
     overhead) = struct.unpack_from("<4sIIQQQQIQQQ", f, off)
    if magic != b"KDMV": die("no KDMV magic at %d" % off)
    if f[off + 73:off + 77] != b"\n \r\n": die("newline test bytes")
    comp = struct.unpack_from("<H", f, off + 77)[0]
    return version, flags, capacity, grain, doff, dsize, ngte, rgd, gd, overhead, comp
h = header(0)
version, flags, capacity, grain, doff, dsize, ngte, rgd, gd, overhead, comp = h
if version != 3: die("version %d" % version)
if flags != 0x30001: die("flags %#x" % flags)
if gd != 0xffffffffffffffff: die("header gdOffset %#x is not 'at end'" % gd)
if comp != 1 or grain != 128 or ngte != 512: die("compress/grain/ngte")
desc = f[doff * S:(doff + dsize) * S].split(b"\0")[0].decode()
if 'createType="streamOptimized"' not in desc: die("createType")
if len(f) % S: die("size not a multiple of 512")
pos = overhead * S
last_lba = -1
grains = {}            # sector -> lba of the grain marker there
gts = []               # sectors of the GTs
gd_at = None
while True:
    val, size, typ = struct.unpack_from("<QII", f, pos)
    if size:                                   # a grain marker
        if gd_at is not None: die("grain after the GD at %d" % pos)
        if val <= last_lba or val % grain: die("grain lba %d after %d" % (val, last_lba))
        data = zlib.decompress(f[pos + 12:pos + 12 + size])
        if len(data) != grain * S: die("grain at lba %d inflates to %d" % (val, len(data)))
        if data == bytes(len(data)): die("all-zero grain written at lba %d" % val)
        grains[pos // S] = val
        last_lba = val
        pos += (12 + size + S - 1) // S * S
        continue
    if f[pos + 16:pos + S] != bytes(S - 16): die("marker sector not zero-padded at %d" % pos)
    if typ == 1:
        if val != 4: die("GT marker val %d" % val)
        table = struct.unpack_from("<512I", f, pos + S)
        for e in table:
            if e and e not in grains: die("GT entry %d is not a grain marker" % e)
        gts.append(pos // S + 1)
        pos += S + 4 * S
    elif typ == 2:
        gd_at = pos // S + 1
        gd_entries = struct.unpack_from("<%dI" % ((capacity + grain * 512 - 1) // (grain * 512)), f, pos + S)
        if sorted(e for e in gd_entries if e) != gts: die("GD does not list the GTs")
        pos += S + val * S
    elif typ == 3:
        if val != 1: die("footer marker val %d" % val)
        fh = header(pos + S)
        if fh[8] != gd_at: die("footer gdOffset %d, GD at %d" % (fh[8], gd_at))
        if fh[:8] != h[:8]: die("footer differs from the header")
        pos += 2 * S
    elif typ == 0 and val == 0:
        if f[pos:pos + S] != bytes(S): die("end-of-stream marker not zeros")
        if pos + S != len(f): die("end-of-stream marker at %d of %d" % (pos, len(f)))
        break
    else:
        die("unknown marker type %d at %d" % (typ, pos))
if gd_at is None: die("no grain directory")
for line in desc.splitlines():
    if line.startswith("ddb.toolsVersion"):
        print(line)
PY
}

descriptor() {   # the embedded descriptor text (sectors 1-20)
    dd if="$1" bs=512 skip=1 count=20 status=none | tr -d '\000'
}

sum_flag=--checksum

# The SHA-256 of the JSON result in files.
json_sha256() {
    python3 - "$@" <<'PY'
import re, sys
text = b"".join(open(p, "rb").read() for p in sys.argv[1:])
found = re.findall(rb'"(?:sha256|checksum)"\s*:\s*"(?:sha256:)?([0-9a-f]{64})"', text)
print(found[-1].decode() if found else "none")
PY
}

# check_vmdk SRC SUBFORMAT [EXTRA -o OPTIONS]: converts to $tmpdir/out.vmdk,
# then checks.  Sets src, sub, extra, opts, dst, got, file_sha.
check_vmdk() {
    src=$1 sub=$2 extra=${3:-}
    opts="subformat=$sub${extra:+,$extra}"
    dst="$tmpdir/out.vmdk"
    rm -f "$dst" "$tmpdir/pipe.vmdk"
    "$FERRY" convert -O vmdk -o "$opts" "$sum_flag" --json "$src" "$dst" \
        >"$tmpdir/file.json" || fail "$src -> vmdk $opts failed"
    qemu-img compare -q -F vmdk "$src" "$dst" || fail "$src -> vmdk $opts differs"
    qemu-img check -q "$dst" ||
        fail "$src -> vmdk $opts: qemu-img check: $(qemu-img check "$dst" 2>&1 | head -3)"
    got=$(qemu-img info --output=json "$dst" | python3 -c \
        "import json,sys; print(json.load(sys.stdin)['format-specific']['data']['create-type'])")
    assert_eq "$got" "$sub" "createType of $src -> vmdk $opts"
    descriptor "$dst" | grep -q '^ddb.toolsVersion = "[0-9]*"$' ||
        fail "$src -> vmdk $opts: no ddb.toolsVersion in the descriptor"
    if [ "$sub" = streamOptimized ]; then
        walk_stream "$dst" >/dev/null || fail "$src -> vmdk $opts is not a clean stream"
    fi
    file_sha=$(json_sha256 "$tmpdir/file.json")
    assert_eq "$file_sha" "$(sha256sum "$dst" | cut -d' ' -f1)" \
        "--checksum of $src -> vmdk $opts against sha256sum"
    # The same conversion into a pipe: the same bytes, the same hash (the
    # JSON result goes to stderr then, not after the image).
    "$FERRY" convert -O vmdk -o "$opts" "$sum_flag" --json "$src" - \
        2>"$tmpdir/pipe.err" | cat >"$tmpdir/pipe.out" ||
        fail "$src -> vmdk $opts to stdout failed: $(cat "$tmpdir/pipe.err")"
    cmp -s "$tmpdir/pipe.out" "$dst" ||
        fail "$src -> vmdk $opts: stdout differs from the file"
    assert_eq "$(json_sha256 "$tmpdir/pipe.err")" "$file_sha" \
        "--checksum of $src -> vmdk $opts to stdout"
}

converted=0
for kind in $fixture_kinds; do
    src="$tmpdir/src-$kind.img"
    make_fixture "$kind" "$base" "$src"
    "$FERRY" info "$src" >/dev/null 2>"$tmpdir/err" ||
        fail "ferry info of the $kind fixture: $(cat "$tmpdir/err")"
    for sub in streamOptimized monolithicSparse; do
        check_vmdk "$src" "$sub"
        converted=$((converted + 1))
    done
done
assert_eq "$converted" "$(( $(echo $fixture_kinds | wc -w) * 2 ))" "conversions checked"
echo "$ferry_test_name: $converted conversions checked" >&2

# Larger than 4 GiB: data past the 4 GiB mark (grain and table numbers
# past 32 bits of bytes), and across a grain table boundary.
big="$tmpdir/big.raw"
qemu-img create -q -f raw "$big" 5G
qemu-io -f raw -c 'write -P 0x21 0 64k' -c 'write -P 0x42 4095M 2M' \
    -c 'write -P 0x63 4G 100k' -c 'write -P 0x84 5119M 1M' "$big" >/dev/null
for sub in streamOptimized monolithicSparse; do
    check_vmdk "$big" "$sub"
    got=$(qemu-img info --output=json "$tmpdir/out.vmdk" | python3 -c \
        "import json,sys; print(json.load(sys.stdin)['virtual-size'])")
    assert_eq "$got" 5368709120 "virtual size of the 5 GiB disk as $sub"
done
rm -f "$big"

# Sizes that end inside a grain: a whole number of sectors, and not even
# that (qemu rounds a vmdk up to a sector; the rest reads as zeros).
for size in 10487296 33566777; do
    odd="$tmpdir/odd-$size.raw"
    truncate -s "$size" "$odd"
    qemu-io -f raw -c "write -P 0x77 $((size - 7000)) 7000" -c 'write -P 0x99 1M 1k' \
        "$odd" >/dev/null
    for sub in streamOptimized monolithicSparse; do
        check_vmdk "$odd" "$sub"
        got=$(qemu-img info --output=json "$tmpdir/out.vmdk" | python3 -c \
            "import json,sys; print(json.load(sys.stdin)['virtual-size'])")
        assert_eq "$got" "$(( (size + 511) / 512 * 512 ))" "virtual size of $size bytes as $sub"
    done
done

# An empty disk: a stream of no grains (header, GD, footer, end marker).
empty="$tmpdir/empty.raw"
truncate -s 100M "$empty"
check_vmdk "$empty" streamOptimized
check_vmdk "$empty" monolithicSparse

# The descriptor options, as qemu-img names them.
src="$tmpdir/src-qcow2.img"
check_vmdk "$src" streamOptimized "adapter_type=lsilogic,hwversion=11,toolsversion=12325"
desc=$(descriptor "$tmpdir/out.vmdk")
assert_contains "$desc" 'ddb.adapterType = "lsilogic"' "adapter_type in the descriptor"
assert_contains "$desc" 'ddb.virtualHWVersion = "11"' "hwversion in the descriptor"
assert_contains "$desc" 'ddb.toolsVersion = "12325"' "toolsversion in the descriptor"
assert_contains "$desc" 'ddb.geometry.heads = "255"' "SCSI geometry in the descriptor"
assert_eq "$(walk_stream "$tmpdir/out.vmdk")" 'ddb.toolsVersion = "12325"' "toolsVersion read from the stream"
check_vmdk "$src" monolithicSparse
desc=$(descriptor "$tmpdir/out.vmdk")
assert_contains "$desc" 'ddb.toolsVersion = "2147483647"' "default toolsversion"
assert_contains "$desc" 'ddb.adapterType = "ide"' "default adapter_type"
assert_contains "$desc" 'ddb.virtualHWVersion = "4"' "default hwversion"
# -c is what a stream is anyway.
"$FERRY" convert -c -O vmdk -o subformat=streamOptimized "$src" "$tmpdir/c.vmdk"
qemu-img compare -q -F vmdk "$src" "$tmpdir/c.vmdk" || fail "-c streamOptimized differs"
