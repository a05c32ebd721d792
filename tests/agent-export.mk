# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent's "export" job kind (agent/export-job.c): its options and runs
# on the queue (unit), and exports through ferry-agent on a private bus to
# real pools: the loopback sshd and file:// (integration).
UNIT_TESTS += tests/unit/test-export-job
tests_unit_test_export_job_SOURCES = tests/unit/test-export-job.c
tests_unit_test_export_job_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_export_job_LDADD = $(AGENT_LIBS)

INTEGRATION_TESTS += \
	tests/integration/test-dbus-export-ssh.sh \
	tests/integration/test-dbus-export-cancel.sh \
	tests/integration/test-agent-kill-resume-export.sh \
	tests/integration/test-agent-kill-cancel-interrupted.sh \
	tests/integration/test-dbus-export-queue.sh \
	tests/integration/test-agent-export-background.sh \
	tests/integration/test-stdio-export-file.sh
