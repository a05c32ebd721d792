# SPDX-License-Identifier: LGPL-2.1-or-later
# The VMDK writer: header, marker and descriptor layout, option checks,
# the qemu-img oracle on every subformat ferry writes, and qemu-img reading
# the deflate streams the engine makes.
INTEGRATION_TESTS += \
	tests/integration/test-convert-vmdk-out.sh \
	tests/integration/test-convert-vmdk-bad-options.sh \
	tests/integration/test-convert-qcow2-long-distance.sh \
	tests/integration/test-convert-incompressible.sh \
	tests/integration/test-convert-vmdk-abort.sh

UNIT_TESTS += tests/unit/test-vmdk-write
tests_unit_test_vmdk_write_SOURCES = tests/unit/test-vmdk-write.c
tests_unit_test_vmdk_write_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmdk_write_LDADD = $(CONV_LIBS)
