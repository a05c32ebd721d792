# SPDX-License-Identifier: LGPL-2.1-or-later
# The VMDK writer: header, marker and descriptor layout, option checks,
# and the qemu-img oracle on every subformat ferry writes.
INTEGRATION_TESTS += \
	tests/integration/test-convert-vmdk-out.sh \
	tests/integration/test-convert-vmdk-bad-options.sh
