# SPDX-License-Identifier: LGPL-2.1-or-later
# What ferry promises whatever the target: sources are left as they were,
# secrets stay in their files.
INTEGRATION_TESTS += \
	tests/integration/test-export-source-unchanged.sh \
	tests/integration/test-agent-secrets.sh \
	tests/integration/test-dbus-export-file-mode.sh
