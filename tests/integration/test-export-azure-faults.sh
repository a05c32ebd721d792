#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# azure:// upload faults, with tests/tools/fault-proxy.py between ferry and
# Azurite (which never answers 503 itself): two Put Page calls answered
# 503 ServerBusy with Retry-After are sent again and the export completes,
# the blob equal to `ferry convert -O vpc -o azure=on` of the disk; so
# are two 429s and an answer closed half-way; a Put Page refused for good
# (403) fails the export with one line and leaves no blob behind; with
# each Put Page held 0.5 s, exactly 4 are in flight at most, and the blob
# is still the converted disk.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/azure-functions.sh"
requires qemu-img qemu-io curl
requires_azurite
make_tmpdir

img=$tmpdir/img
mkdir "$img"
make_image raw "$img/root.raw" 24M "0x22 1M 2M" "0x33 13M 5M"
name=ferry-test-$$-azfault
write_test_host "$name" "vda:raw:$img/root.raw"
uri=$test_host_uri
$FERRY convert -O vpc -o azure=on "$img/root.raw" "$tmpdir/vda.vhd" || fail "convert"

start_azurite
container=faults

# start_proxy LABEL FAULT...: the proxy in front of Azurite, on every
# connection, for Put Page only.
start_proxy() {
    label=$1
    shift
    start_fault_proxy "$tmpdir/proxy-$label.log" "$azurite_port" \
        --on all http-method:PUT http-query:comp=page "$@"
    azure_env "http://127.0.0.1:$proxy_port/$AZURITE_ACCOUNT"
}

# 503 ServerBusy with Retry-After: 1, twice: retried, completed.
start_proxy busy http-status:503:1x2
$FERRY export "$name" --connect "$uri" --to "azure://$AZURITE_ACCOUNT/$container/busy" \
    >"$tmpdir/out" 2>"$tmpdir/err" || fail "export through 503s: $(cat "$tmpdir/err")"
stop_fault_proxy
assert_eq "$(grep -c 'answered 503' "$tmpdir/proxy-busy.log")" 2 "503s injected"
azure_blob get "$container" "busy/$name-vda.vhd" "$tmpdir/got" || fail "get"
cmp -s "$tmpdir/got" "$tmpdir/vda.vhd" || fail "the blob differs from ferry convert's VHD"

# 429 with Retry-After twice, and one Put Page whose answer is closed
# half-way (the page was written: sending it again writes the same
# bytes): retried, completed, the same blob.
for cell in "throttled http-status:429:1x2" "closed http-close-mid-response http-once"; do
    # shellcheck disable=SC2086
    set -- $cell
    label=$1
    shift
    start_proxy "$label" "$@"
    $FERRY export "$name" --connect "$uri" --to "azure://$AZURITE_ACCOUNT/$container/$label" \
        >"$tmpdir/out" 2>"$tmpdir/err" || fail "$label: export: $(cat "$tmpdir/err")"
    stop_fault_proxy
    [ "$(grep -c 'answered 429\|closed mid-response' "$tmpdir/proxy-$label.log")" -ge 1 ] ||
        fail "$label: no fault injected"
    azure_blob get "$container" "$label/$name-vda.vhd" "$tmpdir/got" || fail "$label: get"
    cmp -s "$tmpdir/got" "$tmpdir/vda.vhd" || fail "$label: the blob differs from ferry convert's VHD"
done
assert_eq "$(grep -c 'answered 429' "$tmpdir/proxy-throttled.log")" 2 "429s injected"
assert_eq "$(grep -c 'closed mid-response' "$tmpdir/proxy-closed.log")" 1 "answers closed"

# 403 on every Put Page: one line, exit 8, the partial blob deleted.
start_proxy refused http-status:403x99
st=0
$FERRY export "$name" --connect "$uri" --to "azure://$AZURITE_ACCOUNT/$container/refused" \
    --for none >"$tmpdir/out" 2>"$tmpdir/err" || st=$?
stop_fault_proxy
assert_eq "$st" 8 "exit status for a refused Put Page"
assert_eq "$(wc -l <"$tmpdir/err")" 1 "lines on stderr for a refused Put Page"
assert_contains "$(cat "$tmpdir/err")" "PutPage" "refused Put Page message"
azure_blob list "$container" >"$tmpdir/list" || fail "list"
if grep -q '^refused/' "$tmpdir/list"; then
    fail "a blob is left after the failure: $(cat "$tmpdir/list")"
fi

# Ten 4 MiB windows of data, each Put Page held 0.5 s by the proxy: four
# in flight at once, never more.
wide=$name-wide
make_image raw "$img/wide.raw" 40M "0x66 0 40M"
write_test_host "$wide" "vda:raw:$img/wide.raw"
$FERRY convert -O vpc -o azure=on "$img/wide.raw" "$tmpdir/wide.vhd" || fail "convert wide"
start_proxy wide http-delay:0.5
$FERRY export "$wide" --connect "$test_host_uri" --to "azure://$AZURITE_ACCOUNT/$container/wide" \
    >"$tmpdir/out" 2>"$tmpdir/err" || fail "export with delayed Put Page: $(cat "$tmpdir/err")"
stop_fault_proxy
assert_eq "$(grep -c 'delayed' "$tmpdir/proxy-wide.log")" 11 "Put Page calls (10 windows, the footer)"
most=$(sed -n 's/.*delayed, \([0-9]*\) in flight/\1/p' "$tmpdir/proxy-wide.log" | sort -n | tail -1)
assert_eq "$most" 4 "Put Page calls in flight at most"
azure_blob get "$container" "wide/$wide-vda.vhd" "$tmpdir/got" || fail "get wide"
cmp -s "$tmpdir/got" "$tmpdir/wide.vhd" || fail "the wide blob differs from ferry convert's VHD"
exit 0
