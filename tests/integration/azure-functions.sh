# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the azure:// tests (sourced after functions.sh): Azurite,
# Azure Storage's own emulator, from tests/azurite (npm ci by
# scripts/install-deps.sh), on a free loopback port with its data in
# memory, and a Blob client in Python (azure_blob.py) that signs with
# SharedKey as the REST reference describes, written apart from ferry's.

# Azurite's published development account (not a secret).
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# requires_azurite: tests/azurite/node_modules holds Azurite.
requires_azurite() {
    azurite_bin=$top_srcdir/tests/azurite/node_modules/.bin/azurite-blob
    [ -x "$azurite_bin" ] ||
        skip "requires Azurite (scripts/install-deps.sh runs npm ci in tests/azurite)"
    requires node python3
}

# start_azurite: Azurite's Blob service on a free port, $azurite_port,
# $azurite_url (http://127.0.0.1:PORT/devstoreaccount1); stopped at exit.
start_azurite() {
    azurite_port=$(pick_unused_port)
    azurite_url=http://127.0.0.1:$azurite_port/$AZURITE_ACCOUNT
    # In memory, which excludes --location; started in its own folder
    # so that nothing else lands in the caller's.
    mkdir -p "$tmpdir/azurite"
    (cd "$tmpdir/azurite" && exec "$azurite_bin" --disableTelemetry --silent \
        --skipApiVersionCheck --inMemoryPersistence \
        --blobHost 127.0.0.1 --blobPort "$azurite_port") \
        >"$tmpdir/azurite.log" 2>&1 &
    azurite_pid=$!
    cleanup_fn "kill $azurite_pid 2>/dev/null; wait $azurite_pid 2>/dev/null"
    await_daemon azurite "$azurite_pid" "$tmpdir/azurite.log" \
        "did not answer" curl -s -o /dev/null "$azurite_url/?comp=list"
}

# azure_env [ENDPOINT [KEY]]: ferry's credentials for Azurite (or ENDPOINT,
# e.g. a fault proxy's) as a connection string.
azure_env() {
    unset AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY AZURE_STORAGE_SAS_TOKEN
    AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=$AZURITE_ACCOUNT;AccountKey=${2:-$AZURITE_KEY};BlobEndpoint=${1:-$azurite_url};"
    export AZURE_STORAGE_CONNECTION_STRING
}

# azure_blob CMD ARGS...: the Python client on $azurite_url (see
# azure_blob.py): get CONTAINER BLOB FILE, props CONTAINER BLOB, ranges
# CONTAINER BLOB, put-page-blob CONTAINER BLOB SIZE, list CONTAINER.
azure_blob() {
    python3 "$top_srcdir/tests/integration/azure_blob.py" "$azurite_url" \
        "$AZURITE_ACCOUNT" "$AZURITE_KEY" "$@"
}

# start_arm_contract [BLOB_ENDPOINT]: tests/tools/azure-arm-contract.py
# (the token endpoint and ARM for azure-disk://) on a free port, its
# disks' blobs in the running Azurite, their SAS URLs naming BLOB_ENDPOINT
# (default Azurite's: a proxy in front of it); $arm_url, $arm_log (one
# JSON line per call), and the environment ferry reads (a service
# principal of the test's own).
start_arm_contract() {
    arm_log=$tmpdir/arm.log
    : >"$arm_log"
    ARM_SECRET=test-secret-$$-do-not-print
    python3 "$top_srcdir/tests/tools/azure-arm-contract.py" \
        --port-file "$tmpdir/arm.port" --log "$arm_log" \
        --azurite "$azurite_url" --key "$AZURITE_KEY" \
        --blob-endpoint "${1:-$azurite_url}" \
        --tenant test-tenant --client-id test-client \
        --client-secret "$ARM_SECRET" >"$tmpdir/arm.out" 2>&1 &
    arm_pid=$!
    cleanup_fn "kill $arm_pid 2>/dev/null; wait $arm_pid 2>/dev/null"
    await_daemon arm-contract "$arm_pid" "$tmpdir/arm.out" \
        "wrote no port" test -s "$tmpdir/arm.port"
    arm_url=http://127.0.0.1:$(cat "$tmpdir/arm.port")
    AZURE_TENANT_ID=test-tenant AZURE_CLIENT_ID=test-client
    AZURE_CLIENT_SECRET=$ARM_SECRET
    AZURE_AUTHORITY_HOST=$arm_url AZURE_RESOURCE_MANAGER_ENDPOINT=$arm_url
    export AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET \
        AZURE_AUTHORITY_HOST AZURE_RESOURCE_MANAGER_ENDPOINT
}

# arm_faults JSON: answers the contract server injects before serving
# ([{"method", "path", "status", "count", "retry_after"}]).
arm_faults() {
    curl -sf -X POST --data "{\"faults\": $1}" "$arm_url/_control" ||
        fail "could not inject faults"
}

# arm_calls FILTER: the log's records a Python expression on `r` selects,
# one JSON line each.
arm_calls() {
    python3 - "$arm_log" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if eval(sys.argv[2]):
        print(json.dumps(r, sort_keys=True))
PY
}

# arm_state: the contract server's disks and their diskState, and its
# images, as JSON ({"disks": {NAME: STATE}, "images": [NAME...]}).
arm_state() {
    curl -sf "$arm_url/_control" || fail "no state from the contract server"
}
