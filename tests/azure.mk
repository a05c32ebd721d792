# SPDX-License-Identifier: LGPL-2.1-or-later
# The azure:// and azure-disk:// targets: SharedKey, credentials, URIs,
# ARM errors (unit); Azurite, from tests/azurite's lock file, on loopback,
# and for azure-disk:// the token endpoint and ARM of
# tests/tools/azure-arm-contract.py in front of it (integration).

UNIT_TESTS += tests/unit/test-azure-sharedkey
tests_unit_test_azure_sharedkey_SOURCES = tests/unit/test-azure-sharedkey.c
tests_unit_test_azure_sharedkey_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_azure_sharedkey_LDADD = $(PROVIDERS_LIBS)

UNIT_TESTS += tests/unit/test-azure-disk
tests_unit_test_azure_disk_SOURCES = tests/unit/test-azure-disk.c
tests_unit_test_azure_disk_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS)
tests_unit_test_azure_disk_LDADD = $(PROVIDERS_LIBS)

INTEGRATION_TESTS += \
	tests/integration/test-export-azure-blob.sh \
	tests/integration/test-export-azure-faults.sh \
	tests/integration/test-export-azure-disk.sh \
	tests/integration/test-export-azure-resume.sh \
	tests/integration/test-dbus-export-azure-disk.sh
EXTRA_DIST += tests/integration/azure-functions.sh \
	tests/integration/azure_blob.py \
	tests/tools/azure-arm-contract.py \
	tests/azurite/package.json \
	tests/azurite/package-lock.json
