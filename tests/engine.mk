# SPDX-License-Identifier: LGPL-2.1-or-later
# the copy engine, sinks, writers, and `ferry info` / `map` / `convert`
UNIT_TESTS += tests/unit/test-sink tests/unit/test-engine tests/unit/test-qcow2-write
tests_unit_test_sink_SOURCES = tests/unit/test-sink.c
tests_unit_test_sink_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sink_LDADD = $(CONV_LIBS)
tests_unit_test_engine_SOURCES = tests/unit/test-engine.c
tests_unit_test_engine_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_engine_LDADD = $(CONV_LIBS)
tests_unit_test_qcow2_write_SOURCES = tests/unit/test-qcow2-write.c
tests_unit_test_qcow2_write_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qcow2_write_LDADD = $(CONV_LIBS)

# Integration.
INTEGRATION_TESTS += \
	tests/integration/test-info-raw.sh \
	tests/integration/test-map-raw.sh \
	tests/integration/test-convert-raw.sh \
	tests/integration/test-convert-qcow2-clusters.sh \
	tests/integration/test-convert-qcow2-compressed.sh \
	tests/integration/test-convert-bad-options.sh \
	tests/integration/test-convert-dst-device.sh \
	tests/integration/test-convert-cancel.sh \
	tests/integration/test-convert-formats.sh \
	tests/integration/test-convert-failing-source.sh \
	tests/integration/test-convert-corrupt-compressed.sh \
	tests/integration/test-convert-backing-planted.sh \
	tests/integration/test-info-chain.sh
