# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/: unit tests (GLib g_test, one binary per module) and integration
# scripts (one feature each, real services on loopback).
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)

UNIT_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(LIBVIRT_CFLAGS) \
	$(LIBXML_CFLAGS) -DFERRY_TEST_SRCDIR=\"$(abs_top_srcdir)/tests\"

# conv/
UNIT_TESTS += tests/unit/test-extents tests/unit/test-raw
tests_unit_test_extents_SOURCES = tests/unit/test-extents.c
tests_unit_test_extents_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_extents_LDADD = $(CONV_LIBS)
tests_unit_test_raw_SOURCES = tests/unit/test-raw.c
tests_unit_test_raw_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_raw_LDADD = $(CONV_LIBS)

# agent/
UNIT_TESTS += tests/unit/test-errors
tests_unit_test_errors_SOURCES = tests/unit/test-errors.c
tests_unit_test_errors_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_errors_LDADD = $(AGENT_LIBS)

# One fragment per area.
include tests/qcow2.mk
include tests/vmdk.mk
include tests/vmdk-write.mk
include tests/vpc.mk
include tests/vpc-write.mk
include tests/engine.mk
include tests/inventory.mk
include tests/inspect.mk
include tests/transport.mk
include tests/service.mk
include tests/export.mk
include tests/agent-export.mk
include tests/trust.mk
include tests/faults.mk
include tests/aws.mk
include tests/cloudstack.mk
include tests/azure.mk
include tests/ansible.mk
include tests/inspect-rules.mk

check_PROGRAMS += $(UNIT_TESTS)

# Integration: the CLI and daemon basics.
INTEGRATION_TESTS += tests/integration/test-cli-basics.sh

EXTRA_DIST += tests/integration/functions.sh tests/integration/domain-functions.sh tests/integration/fixture-functions.sh tests/lsan.supp tests/unit/test-requires.h tests/unit/test-files.h $(INTEGRATION_TESTS) \
	tests/fixtures tests/fuzz tests/load
