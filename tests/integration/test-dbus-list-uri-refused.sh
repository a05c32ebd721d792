#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# ListImportableVms's "uri" reaches virConnectOpenReadOnly in the agent,
# which runs as root: libvirt's ext transport runs the program ?command=
# names, and its test driver parses any file.  An unprivileged caller
# (nobody) may use the configured URI ([agent] connect) only: an ext URI,
# test:///etc/passwd and a plain other URI are refused with
# org.ferry.Error.AccessDenied, over D-Bus and through `ferry serve --stdio`, and
# the program never runs.  Root may name another URI, but not an ext one
# nor one with a socket= parameter, nor the test driver unless
# [agent] allow-test-driver says so.
. "$top_srcdir/tests/integration/functions.sh"
requires_root
requires gdbus setpriv python3
getent passwd nobody >/dev/null || skip "requires the user nobody"
nobody_group=$(id -gn nobody)
make_tmpdir
chmod 755 "$tmpdir"
start_private_bus
printf '[agent]\nconnect=test:///default\n' >"$tmpdir/ferry.conf"
start_agent

# The program an ext URI would run (as root): it leaves a marker.
marker=$tmpdir/ran
printf '#!/bin/sh\ntouch %s\n' "$marker" >"$tmpdir/prog"
chmod 755 "$tmpdir/prog"
ext="qemu+ext:///system?command=$tmpdir/prog"

list_as() {
    who=$1
    shift
    if [ "$who" = root ]; then
        gdbus call -a "$bus_address" -d org.ferry.Agent1 -o /org/ferry/Agent1/Manager \
            -m org.ferry.Agent1.Manager.ListImportableVms "$@"
    else
        setpriv --reuid=nobody --regid="$nobody_group" --clear-groups \
            env HOME=/nonexistent gdbus call -a "$bus_address" -d org.ferry.Agent1 \
            -o /org/ferry/Agent1/Manager -m org.ferry.Agent1.Manager.ListImportableVms "$@"
    fi
}

# refused WHO URI WHAT: the call fails with exactly org.ferry.Error.AccessDenied.
refused() {
    list_as "$1" "{'uri': <'$2'>}" >/dev/null 2>"$tmpdir/err" &&
        fail "$3: ListImportableVms of '$2' succeeded"
    name=$(sed -n 's/.*GDBus\.Error:\([A-Za-z.]*\): .*/\1/p' "$tmpdir/err")
    assert_eq "$name" "org.ferry.Error.AccessDenied" "$3: error name ($(cat "$tmpdir/err"))"
}

refused nobody "$ext" "nobody's ext URI"
assert_contains "$(cat "$tmpdir/err")" \
    "ListImportableVms: option 'uri': only root may name a libvirt URI other than [agent] connect" \
    "nobody's ext URI message"
refused nobody "test:///etc/passwd" "nobody's test:///etc/passwd"
refused nobody "qemu:///system" "nobody's other plain URI"
refused root "$ext" "root's ext URI"
assert_contains "$(cat "$tmpdir/err")" "the ext transport runs a program and is refused" \
    "root's ext URI message"
refused root "qemu+unix:///system?socket=$tmpdir/sock" "root's socket= URI"
refused root "qemu+ssh://h/system?Command=x&mode=legacy" "root's Command= parameter"
[ ! -e "$marker" ] || fail "the program of an ext URI ran"

# The configured URI works for nobody, named or not.
out=$(list_as nobody "{}") || fail "nobody's ListImportableVms with no uri failed"
assert_contains "$out" "listvmsforimportresponse" "nobody's default listing"
out=$(list_as nobody "{'uri': <'test:///default'>}") ||
    fail "nobody's ListImportableVms of the configured URI failed"
assert_contains "$out" "listvmsforimportresponse" "nobody's listing of the configured URI"
# Root may name another URI: here the test driver, which this agent allows.
out=$(list_as root "{'uri': <'test:///default'>, 'all': <true>}") ||
    fail "root's ListImportableVms failed"
assert_contains "$out" '"name" : "test"' "root's listing"

# The stdio service asks the agent, which refuses the same way (-32007,
# exit status 8).
printf '%s\n' "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\",\"params\":{\"uri\":\"$ext\"}}" |
    setpriv --reuid=nobody --regid="$nobody_group" --clear-groups \
        env HOME=/nonexistent "$FERRY" serve --stdio >"$tmpdir/rpc" ||
    fail "ferry serve --stdio failed"
python3 - "$tmpdir/rpc" <<'X' || fail "stdio list of an ext URI: $(cat "$tmpdir/rpc")"
import json, sys
r = json.loads(open(sys.argv[1]).read())
e = r["error"]
assert e["code"] == -32007, e
assert e["data"] == {"name": "org.ferry.Error.AccessDenied", "exit_status": 8}, e
X
[ ! -e "$marker" ] || fail "the program of an ext URI ran (stdio)"
stop_agent

# Without allow-test-driver, even root may not make the agent parse a file
# with the test driver; the configured URI still works.
printf '[agent]\nconnect=test:///default\nallow-test-driver=false\n' >"$tmpdir/ferry.conf"
start_agent
refused root "test:///etc/passwd" "root's test:///etc/passwd"
assert_contains "$(cat "$tmpdir/err")" "the test driver reads any file and is refused" \
    "root's test driver message"
list_as nobody "{}" >/dev/null || fail "the configured test URI failed without allow-test-driver"
