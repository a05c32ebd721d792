# SPDX-License-Identifier: LGPL-2.1-or-later
# qcow2 reader: header rules (crafted in memory), cluster mapping.
UNIT_TESTS += tests/unit/test-qcow2-header
tests_unit_test_qcow2_header_SOURCES = tests/unit/test-qcow2-header.c
tests_unit_test_qcow2_header_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qcow2_header_LDADD = $(CONV_LIBS)
UNIT_TESTS += tests/unit/test-qcow2-read
tests_unit_test_qcow2_read_SOURCES = tests/unit/test-qcow2-read.c
tests_unit_test_qcow2_read_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qcow2_read_LDADD = $(CONV_LIBS) $(JSON_LIBS)
UNIT_TESTS += tests/unit/test-qcow2-cluster
tests_unit_test_qcow2_cluster_SOURCES = tests/unit/test-qcow2-cluster.c
tests_unit_test_qcow2_cluster_CFLAGS = $(UNIT_CFLAGS) $(ZLIB_CFLAGS) $(ZSTD_CFLAGS)
tests_unit_test_qcow2_cluster_LDADD = $(CONV_LIBS)

# Integration: the reader through the CLI, qemu as the judge.
INTEGRATION_TESTS += \
	tests/integration/test-read-qcow2-matrix.sh \
	tests/integration/test-read-qcow2-refused.sh
