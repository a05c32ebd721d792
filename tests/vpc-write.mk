# SPDX-License-Identifier: LGPL-2.1-or-later
# The VHD (vpc) writer: size, geometry and header encoding in a unit test;
# qemu-img as the oracle on ferry's output, and a footer reader of the
# tests' own (python3) for what qemu-img does not check.
UNIT_TESTS += tests/unit/test-vpc-write
tests_unit_test_vpc_write_SOURCES = tests/unit/test-vpc-write.c
tests_unit_test_vpc_write_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vpc_write_LDADD = $(CONV_LIBS)

INTEGRATION_TESTS += \
	tests/integration/test-convert-vpc-out.sh \
	tests/integration/test-convert-vpc-footer.sh \
	tests/integration/test-convert-vpc-azure.sh \
	tests/integration/test-convert-vpc-bad-options.sh
