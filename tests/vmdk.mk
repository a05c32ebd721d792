# SPDX-License-Identifier: LGPL-2.1-or-later
# The VMDK reader: descriptor parsing, sparse header checks, and the
# qemu-img oracle (skipped without qemu-img).
UNIT_TESTS += tests/unit/test-vmdk-descriptor
tests_unit_test_vmdk_descriptor_SOURCES = tests/unit/test-vmdk-descriptor.c
tests_unit_test_vmdk_descriptor_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmdk_descriptor_LDADD = $(CONV_LIBS)
UNIT_TESTS += tests/unit/test-vmdk-oracle
tests_unit_test_vmdk_oracle_SOURCES = tests/unit/test-vmdk-oracle.c
tests_unit_test_vmdk_oracle_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmdk_oracle_LDADD = $(CONV_LIBS) $(JSON_LIBS)
UNIT_TESTS += tests/unit/test-vmdk-header
tests_unit_test_vmdk_header_SOURCES = tests/unit/test-vmdk-header.c
tests_unit_test_vmdk_header_CFLAGS = $(UNIT_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_test_vmdk_header_LDADD = $(CONV_LIBS)

# Integration: the CLI (ferry map / convert / info) on VMDK images.
INTEGRATION_TESTS += tests/integration/test-read-vmdk-subformats.sh \
	tests/integration/test-read-vmdk-delta.sh
