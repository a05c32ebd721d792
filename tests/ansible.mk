# SPDX-License-Identifier: LGPL-2.1-or-later
# ansible/: the ferry.kvm collection and the evacuation runbook, driven by
# Debian's ansible-core against a fleet of sshd on loopback.

INTEGRATION_TESTS += tests/integration/test-ansible-evacuate.sh

EXTRA_DIST += tests/integration/ansible-functions.sh
