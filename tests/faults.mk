# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults injected between ferry and its peers (tests/tools/fault-proxy.py):
# each cell completes and verifies, or fails cleanly with its exit status.
INTEGRATION_TESTS += tests/integration/test-fault-matrix-ssh.sh \
	tests/integration/test-fault-matrix-receive.sh \
	tests/integration/test-limits-2tib.sh
EXTRA_DIST += tests/tools/fault-proxy.py \
	tests/integration/fault-matrix-functions.sh
