# SPDX-License-Identifier: LGPL-2.1-or-later
# inspect/: guest inspection (`ferry inspect`).

# Integration: real disks built with sfdisk, mkfs.*, debugfs and mtools.
INTEGRATION_TESTS += \
	tests/integration/test-inspect-gpt-uefi.sh \
	tests/integration/test-inspect-mbr-bios.sh \
	tests/integration/test-inspect-containers.sh \
	tests/integration/test-inspect-1tib.sh \
	tests/integration/test-inspect-bad-input.sh \
	tests/integration/test-inspect-domain.sh
EXTRA_DIST += tests/integration/inspect-functions.sh \
	tests/integration/inspect_oracle.py
