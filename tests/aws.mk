# SPDX-License-Identifier: LGPL-2.1-or-later
# The aws:// target: SigV4 against AWS's test suite, credentials and
# endpoints, XML answers (unit); moto_server and a contract server for
# VM Import on loopback (integration).

UNIT_TESTS += tests/unit/test-sigv4
tests_unit_test_sigv4_SOURCES = tests/unit/test-sigv4.c
tests_unit_test_sigv4_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_sigv4_LDADD = $(PROVIDERS_LIBS)

UNIT_TESTS += tests/unit/test-aws-xml
tests_unit_test_aws_xml_SOURCES = tests/unit/test-aws-xml.c
tests_unit_test_aws_xml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_aws_xml_LDADD = $(PROVIDERS_LIBS)

UNIT_TESTS += tests/unit/test-aws-pool
tests_unit_test_aws_pool_SOURCES = tests/unit/test-aws-pool.c
tests_unit_test_aws_pool_CFLAGS = $(UNIT_CFLAGS) $(LIBCURL_CFLAGS)
tests_unit_test_aws_pool_LDADD = $(PROVIDERS_LIBS)

UNIT_TESTS += tests/unit/test-http
tests_unit_test_http_SOURCES = tests/unit/test-http.c
tests_unit_test_http_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_http_LDADD = $(TRANSPORT_LIBS)

INTEGRATION_TESTS += \
	tests/integration/test-export-aws-import.sh \
	tests/integration/test-export-aws-faults.sh \
	tests/integration/test-dbus-export-aws.sh \
	tests/integration/test-export-aws-s3-faults.sh \
	tests/integration/test-export-aws-killed-upload.sh \
	tests/integration/test-export-aws-snapshot.sh \
	tests/integration/test-export-aws-snapshot-faults.sh \
	tests/integration/test-dbus-export-aws-snapshot.sh
EXTRA_DIST += tests/integration/aws-functions.sh \
	tests/integration/aws_contract_server.py
