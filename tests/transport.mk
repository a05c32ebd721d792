# SPDX-License-Identifier: LGPL-2.1-or-later
# transport/: known_hosts parsing and quoting (unit), a real sshd on
# loopback (integration), driven by tests/tools/ssh-tool.

UNIT_TESTS += tests/unit/test-knownhosts tests/unit/test-ssh-quote
tests_unit_test_knownhosts_SOURCES = tests/unit/test-knownhosts.c
tests_unit_test_knownhosts_CFLAGS = $(UNIT_CFLAGS) $(LIBSSH2_CFLAGS)
tests_unit_test_knownhosts_LDADD = $(TRANSPORT_LIBS)
tests_unit_test_ssh_quote_SOURCES = tests/unit/test-ssh-quote.c
tests_unit_test_ssh_quote_CFLAGS = $(UNIT_CFLAGS) $(LIBSSH2_CFLAGS)
tests_unit_test_ssh_quote_LDADD = $(TRANSPORT_LIBS)

# Not installed: the transport API for shell scripts, until `ferry export`.
check_PROGRAMS += tests/tools/ssh-tool
tests_tools_ssh_tool_SOURCES = tests/tools/ssh-tool.c
tests_tools_ssh_tool_CFLAGS = $(UNIT_CFLAGS) $(LIBSSH2_CFLAGS)
tests_tools_ssh_tool_LDADD = $(TRANSPORT_LIBS) $(AGENT_LIBS)

INTEGRATION_TESTS += \
	tests/integration/test-ssh-hostkey.sh
INTEGRATION_TESTS += \
	tests/integration/test-ssh-auth-keys.sh \
	tests/integration/test-ssh-auth-rsa.sh \
	tests/integration/test-ssh-auth-agent.sh \
	tests/integration/test-ssh-auth-password.sh \
	tests/integration/test-ssh-exec-quoting.sh \
	tests/integration/test-ssh-ipv6.sh \
	tests/integration/test-ssh-connect-timeout.sh \
	tests/integration/test-ssh-sftp-put.sh
