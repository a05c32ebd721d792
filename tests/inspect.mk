# SPDX-License-Identifier: LGPL-2.1-or-later
# inspect/: guest inspection (`ferry inspect`).

INSPECT_UNIT_CFLAGS = $(UNIT_CFLAGS) $(EXT2FS_CFLAGS)
UNIT_TESTS += tests/unit/test-inspect-partitions \
	tests/unit/test-inspect-superblocks \
	tests/unit/test-inspect-os-files \
	tests/unit/test-inspect-fat
tests_unit_test_inspect_fat_SOURCES = tests/unit/test-inspect-fat.c \
	tests/unit/test-inspect-mem.h
tests_unit_test_inspect_fat_CFLAGS = $(INSPECT_UNIT_CFLAGS)
tests_unit_test_inspect_fat_LDADD = $(INSPECT_LIBS)
tests_unit_test_inspect_partitions_SOURCES = tests/unit/test-inspect-partitions.c \
	tests/unit/test-inspect-mem.h
tests_unit_test_inspect_partitions_CFLAGS = $(INSPECT_UNIT_CFLAGS)
tests_unit_test_inspect_partitions_LDADD = $(INSPECT_LIBS)
tests_unit_test_inspect_superblocks_SOURCES = tests/unit/test-inspect-superblocks.c \
	tests/unit/test-inspect-mem.h
tests_unit_test_inspect_superblocks_CFLAGS = $(INSPECT_UNIT_CFLAGS)
tests_unit_test_inspect_superblocks_LDADD = $(INSPECT_LIBS)
tests_unit_test_inspect_os_files_SOURCES = tests/unit/test-inspect-os-files.c
tests_unit_test_inspect_os_files_CFLAGS = $(INSPECT_UNIT_CFLAGS)
tests_unit_test_inspect_os_files_LDADD = $(INSPECT_LIBS)

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

# inspect/ and the rules together: export refuses an unready guest, and
# `ferry list --inspect` summarises each VM.
INTEGRATION_TESTS += \
	tests/integration/test-export-readiness.sh \
	tests/integration/test-list-inspect.sh
