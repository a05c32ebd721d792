#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes seeds for tests/fuzz/fuzz-azure-json.c: answers in the shapes
# tests/tools/azure-arm-contract.py and the ARM and identity platform
# references give them:
#   tests/fuzz/make-corpus-azure.sh [OUTDIR]
#   (default tests/fuzz/corpus/azure-json)
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$srcdir/tests/fuzz/corpus/azure-json}
mkdir -p "$out"

seed() { cat >"$out/$1.json"; }

seed disk <<'EOJ'
{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/web1-vda", "name": "web1-vda", "location": "westeurope", "properties": {"diskState": "ReadyToUpload", "diskSizeBytes": 35651584, "hyperVGeneration": "V2", "creationData": {"createOption": "Upload", "uploadSizeBytes": 35652096}}}
EOJ
seed op-running <<'EOJ'
{"status": "InProgress"}
EOJ
seed op-output <<'EOJ'
{"status": "Succeeded", "properties": {"output": {"accessSAS": "https://md-x.blob.storage.azure.net/c/abcd?sv=2021-08-06&sr=b&sp=rw&sig=x"}}}
EOJ
seed op-failed <<'EOJ'
{"status": "Failed", "error": {"code": "InternalError", "message": "An internal error occurred.\nTry again."}}
EOJ
seed arm-error <<'EOJ'
{"error": {"code": "InvalidParameter", "message": "uploadSizeBytes 1: must be N MiB + 512"}}
EOJ
seed token <<'EOJ'
{"token_type": "Bearer", "expires_in": "3599", "access_token": "eyJ0eXAi.eyJhdWQi.sig"}
EOJ
seed token-error <<'EOJ'
{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0"}
EOJ
