# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the cloudstack:// tests (sourced after functions.sh): the
# CloudStack API contract server (tests/tools/cloudstack-contract.py) and
# the ids it serves.

cs_zone=0b6a2b3e-7d3f-4c1e-9a52-6f0a1c2d3e01
cs_pool=6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a02
cs_cluster=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c03
cs_offering=1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e04
cs_network=2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f05
cs_disk_offering=3e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6a06

# start_cloudstack POOL_DIR CUSTOM MAC...: the contract server on a free
# port, as the management server of a zone whose NFS pool the KVM host
# (127.0.0.1, the test's sshd) mounts at POOL_DIR; CUSTOM is true for a
# custom service offering; the MACs are the domain's.  Sets cs_url,
# cs_api_key, $tmpdir/cs-api-key and $tmpdir/cs-secret-key, and exports
# CLOUDSTACK_ENDPOINT; calls are logged in $tmpdir/cs.log, and an importVm
# job fails while $tmpdir/cs-fail-import exists.
start_cloudstack() {
    cs_pool_dir=$1 cs_custom=$2
    shift 2
    cs_port=$(pick_unused_port)
    cs_url=http://127.0.0.1:$cs_port/client/api
    cs_api_key=ferryTestApiKey-$$-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    cs_secret_key=ferryTestSecret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$cs_api_key" >"$tmpdir/cs-api-key"
    printf '%s\n' "$cs_secret_key" >"$tmpdir/cs-secret-key"
    chmod 600 "$tmpdir/cs-api-key" "$tmpdir/cs-secret-key"
    : >"$tmpdir/cs.log"
    python3 - "$tmpdir/cs.json" "$cs_port" "$cs_api_key" "$cs_secret_key" \
        "$tmpdir" "$cs_pool_dir" "$cs_custom" "$@" <<PY || fail "contract config"
import json, sys
out, port, key, secret, tmp, pool_dir, custom = sys.argv[1:8]
json.dump({"port": int(port), "api_key": key, "secret_key": secret,
           "log": tmp + "/cs.log", "zone": "$cs_zone", "pool": "$cs_pool",
           "pool_type": "NetworkFilesystem", "pool_path": "/export/primary",
           "pool_dir": pool_dir, "cluster": "$cs_cluster",
           "host_ip": "127.0.0.1", "service_offering": "$cs_offering",
           "custom": custom == "true", "network": "$cs_network",
           "disk_offering": "$cs_disk_offering", "macs": sys.argv[8:],
           "fail_import_flag": tmp + "/cs-fail-import"}, open(out, "w"))
PY
    python3 "$top_srcdir/tests/tools/cloudstack-contract.py" "$tmpdir/cs.json" \
        >"$tmpdir/cs.out" 2>&1 &
    cs_pid=$!
    cleanup_fn "kill $cs_pid 2>/dev/null; wait $cs_pid 2>/dev/null"
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$cs_port/" && break
        sleep 0.1
    done
    export CLOUDSTACK_ENDPOINT=$cs_url
    unset CLOUDSTACK_API_KEY CLOUDSTACK_SECRET_KEY
}

# cs_calls COMMAND: how many COMMAND calls the contract server logged.
cs_calls() {
    python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("command") == sys.argv[2]))' \
        "$tmpdir/cs.log" "$1"
}

# cs_nic XML_MAC: an <interface> for domain_xml's DISK arguments.
cs_nic() {
    echo "<interface type='network'><mac address='$1'/><source network='default'/><model type='virtio'/></interface>"
}

# cs_set_pool TYPE PATH: the pool listStoragePools reports from now on.
cs_set_pool() {
    python3 - "$tmpdir/cs.json" "$1" "$2" <<'PY' || fail "contract config"
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["pool_type"], cfg["pool_path"] = sys.argv[2], sys.argv[3]
json.dump(cfg, open(sys.argv[1] + ".new", "w"))
PY
    mv "$tmpdir/cs.json.new" "$tmpdir/cs.json"
}
