# SPDX-License-Identifier: LGPL-2.1-or-later
# inspect/rules: the readiness rules of data/rules/*.conf against guest
# facts (tests/fixtures/rules/), and broken rules files.
UNIT_TESTS += tests/unit/test-rules
tests_unit_test_rules_SOURCES = tests/unit/test-rules.c
tests_unit_test_rules_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rules_LDADD = $(INSPECT_LIBS)

# agent/readiness.c: a verdict becomes a refusal or warnings; the "for"
# and "force" export options' authorization rows.
UNIT_TESTS += tests/unit/test-readiness
tests_unit_test_readiness_SOURCES = tests/unit/test-readiness.c
tests_unit_test_readiness_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_readiness_LDADD = $(AGENT_LIBS)
