#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes seeds for tests/fuzz/fuzz-cloudstack-json.c: CloudStack API
# answers in the shapes the contract server (tests/tools/cloudstack-
# contract.py) and CloudStack's API reference give them: a list, an empty
# list, importVm's job id, queryAsyncJobResult pending, done and failed,
# and a 401 error:
#   tests/fuzz/make-corpus-cloudstack.sh [OUTDIR]
#   (default tests/fuzz/corpus/cloudstack-json)
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$srcdir/tests/fuzz/corpus/cloudstack-json}
mkdir -p "$out"

seed() { cat >"$out/$1.json"; }

seed list-hosts <<'EOJ'
{"listhostsresponse": {"count": 2, "host": [{"id": "a1", "name": "kvm-down", "type": "Routing", "hypervisor": "KVM", "clusterid": "c1", "ipaddress": "192.0.2.1", "state": "Disconnected", "resourcestate": "Enabled"}, {"id": "a2", "name": "kvm1", "type": "Routing", "hypervisor": "KVM", "clusterid": "c1", "ipaddress": "10.0.0.2", "state": "Up", "resourcestate": "Enabled"}]}}
EOJ
seed list-empty <<'EOJ'
{"listvirtualmachinesresponse": {}}
EOJ
seed import-vm <<'EOJ'
{"importvmresponse": {"jobid": "3f1c5e8a-2b7d-4c9e-8a6f-1d2e3f4a5b6c"}}
EOJ
seed job-pending <<'EOJ'
{"queryasyncjobresultresponse": {"jobid": "j1", "jobstatus": 0, "jobprocstatus": 0, "jobresultcode": 0}}
EOJ
seed job-done <<'EOJ'
{"queryasyncjobresultresponse": {"jobid": "j1", "jobstatus": 1, "jobresultcode": 0, "jobresulttype": "object", "jobresult": {"virtualmachine": {"id": "v1", "name": "web1", "nic": [{"macaddress": "52:54:00:12:34:01", "networkid": "n1"}]}}}}
EOJ
seed job-failed <<'EOJ'
{"queryasyncjobresultresponse": {"jobid": "j1", "jobstatus": 2, "jobresultcode": 530, "jobresulttype": "object", "jobresult": {"errorcode": 530, "errortext": "Failed to import VM"}}}
EOJ
seed error-401 <<'EOJ'
{"queryasyncjobresultresponse": {"uuidList": [], "errorcode": 401, "cserrorcode": 9999, "errortext": "unable to verify user credentials and/or request signature"}}
EOJ
