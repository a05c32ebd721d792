# SPDX-License-Identifier: LGPL-2.1-or-later
# The cloudstack:// target: request signing against independently computed
# vectors (unit).

UNIT_TESTS += tests/unit/test-cloudstack-sign
tests_unit_test_cloudstack_sign_SOURCES = tests/unit/test-cloudstack-sign.c
tests_unit_test_cloudstack_sign_CFLAGS = $(UNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_cloudstack_sign_LDADD = $(PROVIDERS_LIBS)
