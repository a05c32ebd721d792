#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ferry export --for sce` reads the guest before anything is sent: a raw
# disk with a GPT whose only partition is an LVM physical volume fails
# sce's no-lvm rule, so the export is refused with exit 5 and the rule's
# why and fix (the oracle: data/rules/sce.conf read by Python's
# configparser), leaving the pool empty.  --force exports anyway and the
# manifest's "readiness" records the failed rule; without --for a file://
# pool gets no rules at all; an unknown --for is a usage error.  The same
# through ferry-agent (--background): the job fails with the refusal,
# and with --force its Result carries the readiness.
# Needs the guest reader of inspect/ (ferry_inspect()).
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
requires qemu-img sfdisk python3 gdbus
make_tmpdir
export FERRY_RULES_DIR="$top_srcdir/data/rules"

img=$tmpdir/img
pool=$tmpdir/pool
mkdir "$img" "$pool"
qemu-img create -q -f raw "$img/root.raw" 64M
# GPT, one partition of the Linux LVM type (sfdisk's "lvm" alias).
printf 'label: gpt\nstart=2048, size=100000, type=lvm\n' |
    sfdisk -q "$img/root.raw" >/dev/null || fail "sfdisk could not partition"
name=ferry-test-$$-ready
write_test_host "$name" "vda:raw:$img/root.raw"
uri=$test_host_uri

rule() {
    python3 - "$FERRY_RULES_DIR/sce.conf" "$1" "$2" <<'PY'
import configparser, sys
c = configparser.ConfigParser(interpolation=None)
c.read(sys.argv[1])
print(c["rule " + sys.argv[2]][sys.argv[3]])
PY
}
why=$(rule no-lvm why)
fix=$(rule no-lvm fix)

# Refused: exit 5, one line naming the rule, nothing in the pool.
set +e
$FERRY export "$name" --connect "$uri" --to "file://$pool" --format raw \
    --for sce >"$tmpdir/out" 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 5 "exit status of a refused export"
assert_eq "$(cat "$tmpdir/err")" \
    "ferry: $name: not ready for sce: no-lvm: $why ($fix; --force to export anyway)" \
    "refusal"
assert_eq "$(ls -A "$pool")" "" "pool after a refused export"

# --force: exported, and the manifest keeps what failed.
$FERRY export "$name" --connect "$uri" --to "file://$pool" --format raw \
    --for sce --force >"$tmpdir/out" 2>"$tmpdir/err" ||
    fail "--force export failed: $(cat "$tmpdir/err")"
assert_contains "$(cat "$tmpdir/err")" \
    "ferry: $name: forced past a failed rule for sce: no-lvm: $why ($fix)" \
    "warning of a forced export"
cmp "$img/root.raw" "$pool/$name-vda.raw" || fail "the exported disk differs"
python3 - "$pool/$name.ferry.json" <<'PY' || fail "manifest readiness"
import json, sys
m = json.load(open(sys.argv[1]))
r = m["readiness"]
assert r["target"] == "sce", r
assert r["verdict"] == "fail", r
assert r["forced"] is True, r
ids = {x["id"]: x["result"] for x in r["rules"]}
assert ids.get("no-lvm") == "fail", ids
assert all(x["result"] != "pass" for x in r["rules"]), r
PY
rm -f "$pool"/*

# A file:// pool without --for: no rules, no readiness in the manifest.
$FERRY export "$name" --connect "$uri" --to "file://$pool" --format raw \
    >"$tmpdir/out" 2>"$tmpdir/err" || fail "plain export failed: $(cat "$tmpdir/err")"
python3 -c 'import json,sys; assert "readiness" not in json.load(open(sys.argv[1]))' \
    "$pool/$name.ferry.json" || fail "readiness in a manifest without --for"
rm -f "$pool"/*

# An unknown --for: a usage error before anything is read.
set +e
$FERRY export "$name" --connect "$uri" --to "file://$pool" --for gcp \
    2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 2 "exit status of an unknown --for"
assert_contains "$(cat "$tmpdir/err")" \
    "--for: 'gcp' has no readiness rules (there are: aws, azure, cloudstack, sce; or none)" \
    "unknown --for"
assert_eq "$(ls -A "$pool")" "" "pool after an unknown --for"

# The agent: the job fails with the same line (exit 5 from watch), and a
# forced job's Result keeps the failed rule.
start_private_bus
start_agent
id=$("$FERRY" export "$name" --connect "$uri" --to "file://$pool" --format raw \
    --for sce --background) || fail "export --background --for sce was refused at Export"
set +e
"$FERRY" watch "$id" >/dev/null 2>"$tmpdir/err"
status=$?
set -e
assert_eq "$status" 5 "exit status of watching a refused job"
assert_eq "$(cat "$tmpdir/err")" \
    "ferry: $name: not ready for sce: no-lvm: $why ($fix; --force to export anyway)" \
    "the refused job's error"
assert_eq "$(ls -A "$pool")" "" "pool after a refused job"
id=$("$FERRY" export "$name" --connect "$uri" --to "file://$pool" --format raw \
    --for sce --force --background) || fail "export --background --force was refused"
"$FERRY" watch --json "$id" >"$tmpdir/watch" 2>"$tmpdir/err" ||
    fail "watch of a forced job: $(cat "$tmpdir/err")"
python3 - "$tmpdir/watch" <<'PY' || fail "the forced job's result: $(tail -1 "$tmpdir/watch")"
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
assert last["state"] == "completed", last
r = last["result"]["readiness"]
assert r["target"] == "sce" and r["verdict"] == "fail" and r["forced"] is True, r
ids = {x["id"]: x["result"] for x in r["rules"]}
assert ids.get("no-lvm") == "fail", ids
PY
cmp "$img/root.raw" "$pool/$name-vda.raw" || fail "the job's disk differs"
