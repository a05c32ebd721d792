# SPDX-License-Identifier: LGPL-2.1-or-later
# inventory (libvirt) and `ferry list`
UNIT_TESTS += tests/unit/test-inventory-xml
tests_unit_test_inventory_xml_SOURCES = tests/unit/test-inventory-xml.c
tests_unit_test_inventory_xml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_inventory_xml_LDADD = $(AGENT_LIBS)
UNIT_TESTS += tests/unit/test-inventory-disk
tests_unit_test_inventory_disk_SOURCES = tests/unit/test-inventory-disk.c
tests_unit_test_inventory_disk_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_inventory_disk_LDADD = $(AGENT_LIBS)

# Integration: `ferry list` against libvirt's test driver and real libvirtd.
INTEGRATION_TESTS += \
	tests/integration/test-list-test-driver.sh \
	tests/integration/test-list-connect-errors.sh \
	tests/integration/test-list-qemu-fields.sh \
	tests/integration/test-list-qemu-skipped.sh \
	tests/integration/test-list-qemu-images.sh \
	tests/integration/test-inventory-fixtures-oracle.sh
# The oracle those scripts check ferry's fields with (python3, xml.etree).
EXTRA_DIST += tests/integration/domain_oracle.py
