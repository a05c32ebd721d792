# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry export` and providers/: URI parsing and names (unit), real
# libvirtd and sshd on loopback (integration).

UNIT_TESTS += tests/unit/test-target
tests_unit_test_target_SOURCES = tests/unit/test-target.c
tests_unit_test_target_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_target_LDADD = $(PROVIDERS_LIBS)

INTEGRATION_TESTS += \
	tests/integration/test-export-ssh.sh \
	tests/integration/test-export-resume.sh \
	tests/integration/test-export-receive.sh \
	tests/integration/test-export-streams.sh \
	tests/integration/test-export-file.sh \
	tests/integration/test-export-file-symlink.sh \
	tests/integration/test-export-file-mode.sh \
	tests/integration/test-export-file-checksum.sh \
	tests/integration/test-export-full.sh \
	tests/integration/test-export-domain-started.sh
