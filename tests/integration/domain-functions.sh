# SPDX-License-Identifier: LGPL-2.1-or-later
# domain-functions.sh: disk images and stopped libvirt domains for the
# scripts that export or list them.  Source it after functions.sh.
#
# A domain is either one of a libvirt test-driver host (an XML file that
# test:///path serves with no daemon) or one defined on the real libvirtd
# (qemu:///system, see start_libvirtd); in both it is shut off, with 256
# MiB and one vCPU.  Its disks are given as DISK arguments, each either
#   DEV:FORMAT:FILE  a file disk of that format the guest sees as DEV, on
#                    bus scsi for sd* and virtio for any other DEV
#                    (e.g. "vda:qcow2:$img/root.qcow2"), or
#   <disk ...>       a whole <disk> element, copied as it is (network,
#                    volume and CD-ROM disks).

# make_image [-b BACKING] FORMAT FILE SIZE [WRITE...]: creates FILE with
# qemu-img (over the raw file BACKING, named as qemu-img takes it: relative
# to FILE's directory) and writes each WRITE into it with qemu-io, given as
# its "write" command takes it: "PATTERN OFFSET LENGTH" (e.g. "0x22 1M 2M").
make_image() {
    image_backing=
    if [ "$1" = -b ]; then
        image_backing=$2
        shift 2
    fi
    image_format=$1 image_file=$2
    if [ -n "$image_backing" ]; then
        qemu-img create -q -f "$image_format" -b "$image_backing" -F raw "$image_file" "$3"
    else
        qemu-img create -q -f "$image_format" "$image_file" "$3"
    fi
    shift 3
    for image_write in "$@"; do
        qemu-io -f "$image_format" -c "write -P $image_write" "$image_file" >/dev/null ||
            fail "qemu-io could not write '$image_write' into $image_file"
    done
}

# make_random_raw FILE SIZE OFFSET LENGTH: a sparse raw image of SIZE bytes
# holding LENGTH random bytes at OFFSET (qemu-io writes only patterns).
make_random_raw() {
    python3 -c '
import os, sys
size, offset, length = (int(a) for a in sys.argv[2:5])
with open(sys.argv[1], "wb") as f:
    f.truncate(size); f.seek(offset); f.write(os.urandom(length))
' "$@"
}

# domain_xml TYPE NAME DISK...: prints a <domain> NAME of TYPE: "test" for
# a test-driver host (shut off: runstate 5), "kvm" for libvirtd.
domain_xml() {
    if [ "$1" = test ]; then
        echo "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
    else
        echo "  <domain type='$1'>"
    fi
    echo "    <name>$2</name>"
    echo "    <memory unit='MiB'>256</memory>"
    echo "    <vcpu>1</vcpu>"
    echo "    <os><type arch='x86_64'>hvm</type></os>"
    [ "$1" != test ] || echo "    <test:runstate>5</test:runstate>"
    echo "    <devices>"
    shift 2
    for domain_disk in "$@"; do
        case $domain_disk in
            "<"*) echo "      $domain_disk"; continue ;;
        esac
        domain_dev=${domain_disk%%:*} domain_disk=${domain_disk#*:}
        case $domain_dev in
            sd*) domain_bus=scsi ;;
            *) domain_bus=virtio ;;
        esac
        echo "      <disk type='file' device='disk'>"
        echo "        <driver name='qemu' type='${domain_disk%%:*}'/>"
        echo "        <source file='${domain_disk#*:}'/>"
        echo "        <target dev='$domain_dev' bus='$domain_bus'/>"
        echo "      </disk>"
    done
    echo "    </devices>"
    echo "  </domain>"
}

# write_test_host NAME DISK...: writes $tmpdir/host.xml, a test-driver host
# with the one domain NAME, and sets test_host_uri to the URI that serves it.
write_test_host() {
    {
        echo "<node>"
        domain_xml test "$@"
        echo "</node>"
    } >"$tmpdir/host.xml"
    test_host_uri=test://$tmpdir/host.xml
}

# define_stopped_domain NAME DISK...: defines NAME on qemu:///system from
# $tmpdir/NAME.xml (see define_domain: never started, undefined at exit).
define_stopped_domain() {
    domain_xml kvm "$@" >"$tmpdir/$1.xml"
    define_domain "$1" "$tmpdir/$1.xml"
}
