#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry-agent on a private bus: the name is owned, the objects introspect
# with every member of data/org.ferry.Agent1.xml, the ObjectManager lists
# the Manager, its properties read back, and Export of the real kind
# (the default) looks at the domain before queuing anything: an unknown
# one is org.ferry.Error.NotFound, a running one org.ferry.Error.Busy, an
# unknown target scheme org.ferry.Error.Invalid.
. "$top_srcdir/tests/integration/functions.sh"
requires gdbus python3
make_tmpdir
start_private_bus
start_agent --concurrency 3

gdbus introspect -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    --xml >"$tmpdir/manager.xml" || fail "introspecting the Manager failed"
python3 - "$tmpdir/manager.xml" "$top_srcdir/data/org.ferry.Agent1.xml" <<'X' ||
import sys
import xml.etree.ElementTree as ET
got = ET.parse(sys.argv[1]).getroot()
want = ET.parse(sys.argv[2]).getroot()
def members(root, name):
    for i in root.iter("interface"):
        if i.get("name") == name:
            return sorted((m.tag, m.get("name")) for m in i)
    return None
w = members(want, "org.ferry.Agent1.Manager")
g = members(got, "org.ferry.Agent1.Manager")
assert w and g == w, (g, w)
X
    fail "the Manager's members differ from data/org.ferry.Agent1.xml"

out=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1 \
    -m org.freedesktop.DBus.ObjectManager.GetManagedObjects)
assert_contains "$out" "'/org/ferry/Agent1/Manager'" "GetManagedObjects"
assert_contains "$out" "'Concurrency': <uint32 3>" "Concurrency property"
out=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.freedesktop.DBus.Properties.Get org.ferry.Agent1.Manager Version)
assert_contains "$out" "$("$FERRY" --version | cut -d' ' -f2)" "Version property"

# A job object has the Job interface with every member.
path=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null \
    "{'kind': <'test-sleep'>, 'bytes': <uint64 1024>, 'delay-ms': <uint64 0>}" |
    sed -n "s/^(objectpath '\(.*\)',)$/\1/p")
assert_eq "$path" /org/ferry/Agent1/jobs/1 "first job's path"
gdbus introspect -a "$bus_address" -d org.ferry.Agent1 -o "$path" --xml >"$tmpdir/job.xml" ||
    fail "introspecting a job failed"
for m in Id Kind Vm Owner State Progress ProgressValid Bytes BytesTotal Rate \
         ErrorName CreateTime StartTime FinishTime Cancel Resume GetDetails Completed; do
    grep -q "name=\"$m\"" "$tmpdir/job.xml" || fail "job object lacks member $m"
done

refused() {   # WORDS VM TARGET: Export without a kind must fail with WORDS
    set +e
    err=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
        -m org.ferry.Agent1.Manager.Export "$2" "$3" "{'connect': <'test:///default'>}" 2>&1)
    status=$?
    set -e
    [ "$status" != 0 ] || fail "Export of $2 to $3 succeeded"
    assert_contains "$err" "$1" "Export of $2 to $3"
}
refused "org.ferry.Error.NotFound: domain 'vm1' not found on test:///default" vm1 ssh://h/p
refused "org.ferry.Error.Busy: domain 'test' is running" test ssh://h/p
refused "org.ferry.Error.Invalid: --to 's3://b/p': unknown scheme 's3'" test s3://b/p
assert_eq "$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.ListJobs "{}")" "([objectpath '/org/ferry/Agent1/jobs/1'],)" \
    "jobs after the refused Exports"

# Disks: an "as" option is the job's "disks" detail; another type is refused.
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null \
    "{'kind': <'test-sleep'>, 'bytes': <uint64 1>, 'disks': <['vda', 'vdb']>}" >/dev/null ||
    fail "Export with disks failed"
out=$(gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/jobs/2 \
    -m org.ferry.Agent1.Job.GetDetails "{}")
assert_contains "$out" "'disks': <['vda', 'vdb']>" "disks detail"
gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
    -m org.ferry.Agent1.Manager.Export vm1 file:///dev/null \
    "{'kind': <'test-sleep'>, 'disks': <'vda'>}" >/dev/null 2>"$tmpdir/err" &&
    fail "Export with a string for disks succeeded"
assert_contains "$(cat "$tmpdir/err")" "org.ferry.Error.Invalid: option 'disks': expected type 'as', got 's'" \
    "disks of the wrong type"
