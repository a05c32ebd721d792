# SPDX-License-Identifier: LGPL-2.1-or-later
# The cloudstack:// target: request signing against independently computed
# vectors, URI parsing, JSON answers (unit); a contract server of the CloudStack API and a loopback
# sshd "KVM host" (integration).

UNIT_TESTS += tests/unit/test-cloudstack-sign
tests_unit_test_cloudstack_sign_SOURCES = tests/unit/test-cloudstack-sign.c
tests_unit_test_cloudstack_sign_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_cloudstack_sign_LDADD = $(PROVIDERS_LIBS)

UNIT_TESTS += tests/unit/test-cloudstack-uri
tests_unit_test_cloudstack_uri_SOURCES = tests/unit/test-cloudstack-uri.c
tests_unit_test_cloudstack_uri_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cloudstack_uri_LDADD = $(PROVIDERS_LIBS)

UNIT_TESTS += tests/unit/test-cloudstack-json
tests_unit_test_cloudstack_json_SOURCES = tests/unit/test-cloudstack-json.c
tests_unit_test_cloudstack_json_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cloudstack_json_LDADD = $(PROVIDERS_LIBS)

INTEGRATION_TESTS += \
	tests/integration/test-export-cloudstack.sh \
	tests/integration/test-export-cloudstack-faults.sh \
	tests/integration/test-dbus-export-cloudstack.sh
EXTRA_DIST += tests/integration/cloudstack-functions.sh \
	tests/tools/cloudstack-contract.py
