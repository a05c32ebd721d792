# SPDX-License-Identifier: LGPL-2.1-or-later
# VHD (vpc) and VHDX readers: header checks on images built by the tests,
# and qemu-img as the oracle on images made by qemu-img / qemu-io.
VPC_ORACLE_SOURCES = tests/unit/test-vpc-oracle.c tests/unit/test-vpc-oracle.h

UNIT_TESTS += tests/unit/test-vpc-qemu tests/unit/test-vhdx-qemu
tests_unit_test_vpc_qemu_SOURCES = tests/unit/test-vpc-qemu.c $(VPC_ORACLE_SOURCES)
tests_unit_test_vpc_qemu_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vpc_qemu_LDADD = $(CONV_LIBS) $(JSON_LIBS)
tests_unit_test_vhdx_qemu_SOURCES = tests/unit/test-vhdx-qemu.c $(VPC_ORACLE_SOURCES)
tests_unit_test_vhdx_qemu_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vhdx_qemu_LDADD = $(CONV_LIBS) $(JSON_LIBS)

UNIT_TESTS += tests/unit/test-vpc
tests_unit_test_vpc_SOURCES = tests/unit/test-vpc.c
tests_unit_test_vpc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vpc_LDADD = $(CONV_LIBS)

UNIT_TESTS += tests/unit/test-vhdx
tests_unit_test_vhdx_SOURCES = tests/unit/test-vhdx.c tests/unit/test-vhdx-build.c \
	tests/unit/test-vhdx-build.h
tests_unit_test_vhdx_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vhdx_LDADD = $(CONV_LIBS)
