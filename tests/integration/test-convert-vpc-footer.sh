#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The VHD structures ferry writes, read by a reader of this test's own
# (python3, from the "Virtual Hard Disk Image Format Specification"), for
# what qemu-img does not check: the footer's cookie, checksum (one's
# complement of the byte sum), geometry (the spec's CHS algorithm), disk
# type, sizes and reserved bytes; for dynamic disks also the footer copy,
# the dynamic header and its checksum, every BAT entry, the blocks being
# exactly those that hold data in the source, and each sector bitmap
# (bits set on every sector with data, clear sectors stored as zeros).
. "$top_srcdir/tests/integration/functions.sh"
requires qemu-img qemu-io python3
make_tmpdir

cat >"$tmpdir/check.py" <<'PY'
import json, os, struct, sys

path, want, src_size, map_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
BLOCK = 2 << 20
SECTOR = 512
MAX_GEO = 65535 * 16 * 255
errors = []

def check(cond, what):
    if not cond:
        errors.append(what)

def be16(b, o): return struct.unpack_from(">H", b, o)[0]
def be32(b, o): return struct.unpack_from(">I", b, o)[0]
def be64(b, o): return struct.unpack_from(">Q", b, o)[0]

def checksum(buf, at):
    return ~sum(x for i, x in enumerate(buf) if not at <= i < at + 4) & 0xFFFFFFFF

def spec_chs(total):
    # "Appendix: CHS Calculation", as printed in the specification.
    if total > MAX_GEO:
        total = MAX_GEO
    if total >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cth = total // spt
    else:
        spt = 17
        cth = total // spt
        heads = (cth + 1023) // 1024
        if heads < 4:
            heads = 4
        if cth >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cth = total // spt
        if cth >= heads * 1024:
            spt, heads = 63, 16
            cth = total // spt
    return (cth // heads, heads, spt)

fsize = os.path.getsize(path)
f = open(path, "rb")
f.seek(fsize - 512)
footer = f.read(512)

check(footer[:8] == b"conectix", "footer cookie")
check(be32(footer, 8) == 2, "features (reserved bit 1 set)")
check(be32(footer, 12) == 0x00010000, "file_format_version")
check(be32(footer, 64) == checksum(footer, 64), "footer checksum")
creator = footer[28:32]
orig, cur = be64(footer, 40), be64(footer, 48)
geo = (be16(footer, 56), footer[58], footer[59])
dtype = be32(footer, 60)
check(orig == cur, "original_size == current_size")
check(cur % SECTOR == 0, "current_size is whole sectors")
check(cur >= src_size, "current_size %d covers the source (%d)" % (cur, src_size))
check(geo == spec_chs(cur // SECTOR),
      "geometry %r is the spec's for %d sectors: %r" % (geo, cur // SECTOR, spec_chs(cur // SECTOR)))
check(footer[84] == 0, "saved_state")
check(footer[85:] == bytes(427), "reserved bytes are zero")
if want == "azure":
    check(creator == b"qem2", "creator qem2 for Azure (size from current_size)")
    check(cur == (src_size + (1 << 20) - 1) >> 20 << 20, "Azure size is rounded up to a MiB")
elif "force" in want:
    check(creator == b"qem2", "creator qem2 with force_size")
    check(cur == (src_size + 511) // 512 * 512, "forced size is exact")
else:
    check(creator == b"qemu", "creator qemu without force_size")
    prod = geo[0] * geo[1] * geo[2]
    check(prod * SECTOR == cur or prod == MAX_GEO, "geometry describes current_size exactly")

data_sectors = set()        # sectors holding data in the source
data_blocks = set()
for e in json.load(open(map_path)):
    if e["data"]:
        first = e["start"] // SECTOR
        last = (e["start"] + e["length"] - 1) // SECTOR
        data_blocks.update(range(e["start"] // BLOCK, (e["start"] + e["length"] - 1) // BLOCK + 1))
        if last - first < (64 << 20) // SECTOR:
            data_sectors.update(range(first, last + 1))

if want.startswith("fixed") or want == "azure":
    check(dtype == 2, "disk_type fixed (2)")
    check(be64(footer, 16) == 0xFFFFFFFFFFFFFFFF, "fixed data_offset")
    check(fsize == cur + 512, "fixed file is current_size + 512")
else:
    check(dtype == 3, "disk_type dynamic (3)")
    check(be64(footer, 16) == 512, "dynamic data_offset 512")
    f.seek(0)
    check(f.read(512) == footer, "footer copy at 0 is the footer")
    hdr = f.read(1024)
    check(hdr[:8] == b"cxsparse", "dynamic header cookie")
    check(be32(hdr, 36) == checksum(hdr, 36), "dynamic header checksum")
    check(be64(hdr, 8) == 0xFFFFFFFFFFFFFFFF, "header data_offset")
    table = be64(hdr, 16)
    check(table == 1536, "table_offset")
    check(be32(hdr, 24) == 0x00010000, "header_version")
    entries = be32(hdr, 28)
    check(be32(hdr, 32) == BLOCK, "block_size 2 MiB")
    check(entries == (cur + BLOCK - 1) // BLOCK, "max_table_entries covers the disk")
    check(hdr[40:] == bytes(1024 - 40), "no parent: the rest of the header is zero")
    f.seek(table)
    bat_bytes = (entries * 4 + 511) // 512 * 512
    raw_bat = f.read(bat_bytes)
    bat = struct.unpack_from(">%dI" % entries, raw_bat)
    check(raw_bat[entries * 4:] == b"\xff" * (bat_bytes - entries * 4), "BAT padding is 0xFF")
    allocated = [i for i, s in enumerate(bat) if s != 0xFFFFFFFF]
    check(set(allocated) == data_blocks,
          "allocated blocks %r are those with data %r" % (allocated[:8], sorted(data_blocks)[:8]))
    nxt = (table + bat_bytes) // SECTOR
    for i in allocated:
        check(bat[i] == nxt, "BAT[%d] = %d, expected %d (blocks in order, packed)" % (i, bat[i], nxt))
        nxt = bat[i] + (512 + BLOCK) // SECTOR
        f.seek(bat[i] * SECTOR)
        bitmap = f.read(512)
        block = f.read(BLOCK)
        for s in range(BLOCK // SECTOR):
            g = i * (BLOCK // SECTOR) + s
            bit = (bitmap[s // 8] >> (7 - s % 8)) & 1
            if g in data_sectors:
                check(bit == 1, "bitmap bit of data sector %d" % g)
            if not bit:
                check(block[s * SECTOR:(s + 1) * SECTOR] == bytes(SECTOR),
                      "clear sector %d is stored as zeros" % g)
            if g * SECTOR >= cur:
                check(bit == 0, "sector %d past the disk is clear" % g)
        if len(errors) > 20:
            break
    check(nxt * SECTOR + 512 == fsize, "the footer follows the last block")

if errors:
    print("%s (%s): %s" % (path, want, "; ".join(errors[:10])))
    sys.exit(1)
PY

# check_vhd SRC SRCFMT OPTS KIND: convert and read the result.
check_vhd() {
    src=$1 sfmt=$2 opts=$3 kind=$4
    dst="$tmpdir/out.vhd"
    rm -f "$dst"
    "$FERRY" convert -f "$sfmt" -O vpc -o "$opts" "$src" "$dst" ||
        fail "$kind: convert failed"
    qemu-img map -f "$sfmt" --output=json "$src" >"$tmpdir/map.json"
    size=$(qemu-img info -f "$sfmt" --output=json "$src" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["virtual-size"])')
    python3 "$tmpdir/check.py" "$dst" "$kind" "$size" "$tmpdir/map.json" >"$tmpdir/why" ||
        fail "$(cat "$tmpdir/why")"
    checked=$((checked + 1))
}

checked=0
base="$tmpdir/base.raw"
qemu-img create -q -f raw "$base" 32M
# Data at block starts, mid-block, across a block boundary, at the end, and
# a lone sector of data.
qemu-io -f raw -c 'write -P 0xab 0 1M' -c 'write -P 0xcd 5M 300k' \
    -c 'write -P 0x5a 3M 2M' -c 'write -P 0x11 32704k 64k' \
    -c 'write -P 0x33 10752k 512' "$base" >/dev/null
qcow="$tmpdir/base.qcow2"
qemu-img convert -f raw -O qcow2 "$base" "$qcow"
odd="$tmpdir/odd.raw"
qemu-img create -q -f raw "$odd" 3000001
qemu-io -f raw -c 'write -P 0x5a 2999000 1001' "$odd" >/dev/null
big="$tmpdir/big.qcow2"
qemu-img create -q -f qcow2 "$big" 4100M
qemu-io -f qcow2 -c 'write -P 0x21 1M 1M' -c 'write -P 0x42 4095M 2M' \
    -c 'write -P 0x63 4099M 1M' "$big" >/dev/null

for src in "$base:raw" "$qcow:qcow2" "$odd:raw"; do
    file=${src%:*} fmt=${src##*:}
    check_vhd "$file" "$fmt" subformat=fixed fixed
    check_vhd "$file" "$fmt" subformat=fixed,force_size=on fixed-force
    check_vhd "$file" "$fmt" subformat=dynamic dynamic
    check_vhd "$file" "$fmt" subformat=dynamic,force_size=on dynamic-force
done
check_vhd "$big" qcow2 subformat=dynamic dynamic
check_vhd "$odd" raw azure=on azure

# The checker itself must catch a broken footer: flip one byte.
"$FERRY" convert -f raw -O vpc -o subformat=fixed "$base" "$tmpdir/bad.vhd"
qemu-img map -f raw --output=json "$base" >"$tmpdir/map.json"
size=$(stat -c %s "$tmpdir/bad.vhd")
printf '\001' | dd of="$tmpdir/bad.vhd" bs=1 seek=$((size - 512 + 100)) conv=notrunc 2>/dev/null
if python3 "$tmpdir/check.py" "$tmpdir/bad.vhd" fixed 33554432 "$tmpdir/map.json" >"$tmpdir/why"; then
    fail "the footer checker accepted a corrupted footer"
fi
assert_contains "$(cat "$tmpdir/why")" "footer checksum" "checker on a corrupted footer"
echo "$ferry_test_name: $checked images read" >&2
