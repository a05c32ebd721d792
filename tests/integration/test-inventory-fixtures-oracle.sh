#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The inventory fixtures' expected outputs (tests/fixtures/inventory/
# <case>.json, which FERRY_TEST_REGENERATE=1 rewrites from ferry's own
# output) agree with their domain XML as Python's own XML parser reads it
# (domain_oracle.py): a wrong expected file cannot be committed unnoticed.
# Every case that parses is checked; the count is asserted.
. "$top_srcdir/tests/integration/functions.sh"
requires python3
fixtures=$top_srcdir/tests/fixtures/inventory
n=0
for json in "$fixtures"/*.json; do
    case_name=$(basename "$json" .json)
    # Skipped cases hold a reason, not an instance.
    if python3 -c 'import json,sys; sys.exit("reason" in json.load(open(sys.argv[1])))' "$json"; then
        python3 "$top_srcdir/tests/integration/domain_oracle.py" fixture \
            "$fixtures/$case_name.xml" "$json" || fail "fixture $case_name (above)"
        n=$((n + 1))
    fi
done
assert_eq "$n" 3 "fixtures with an instance checked (full, minimal, vlan-trunk)"
