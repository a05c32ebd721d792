# SPDX-License-Identifier: LGPL-2.1-or-later
# jobs, D-Bus service, stdio service: unit tests and integration scripts
# against a private dbus-daemon.
UNIT_TESTS += tests/unit/test-jobs tests/unit/test-stdio tests/unit/test-authz
tests_unit_test_jobs_SOURCES = tests/unit/test-jobs.c agent/jobs-test.c
tests_unit_test_jobs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobs_LDADD = $(AGENT_LIBS)
tests_unit_test_stdio_SOURCES = tests/unit/test-stdio.c
tests_unit_test_stdio_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stdio_LDADD = $(AGENT_LIBS)
tests_unit_test_authz_SOURCES = tests/unit/test-authz.c
tests_unit_test_authz_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_authz_LDADD = $(AGENT_LIBS)

# ferry-agent with the test job kinds (agent/jobs-test.c: test-sleep), which
# the integration scripts run as $FERRY_AGENT_TEST: the installed
# ferry-agent is built without them (test-agent-stock-refuses-test-kinds.sh).
check_PROGRAMS += tests/tools/ferry-agent-test
tests_tools_ferry_agent_test_SOURCES = $(ferry_agent_SOURCES) agent/jobs-test.c
tests_tools_ferry_agent_test_CPPFLAGS = $(ferry_agent_CPPFLAGS) -DFERRY_AGENT_TEST_KINDS
tests_tools_ferry_agent_test_CFLAGS = $(AGENT_CFLAGS)
tests_tools_ferry_agent_test_LDADD = $(AGENT_LIBS)

INTEGRATION_TESTS += \
	tests/integration/test-dbus-introspect.sh \
	tests/integration/test-dbus-list-vms.sh \
	tests/integration/test-dbus-list-uri-refused.sh \
	tests/integration/test-dbus-job-progress.sh \
	tests/integration/test-dbus-queue-concurrency.sh \
	tests/integration/test-agent-kill-resume.sh \
	tests/integration/test-dbus-access.sh \
	tests/integration/test-dbus-cancel-others.sh \
	tests/integration/test-dbus-export-pools.sh \
	tests/integration/test-stdio-garbage.sh \
	tests/integration/test-stdio-export.sh \
	tests/integration/test-agent-cli.sh \
	tests/integration/test-agent-single.sh \
	tests/integration/test-agent-session.sh \
	tests/integration/test-agent-stock-refuses-test-kinds.sh
