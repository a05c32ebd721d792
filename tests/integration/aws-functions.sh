# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the aws:// tests (sourced after functions.sh): moto_server on
# loopback with signature checks on, an IAM user of its own, and the VM
# Import contract server (aws_contract_server.py).

# requires_moto: moto_server and boto3 from this machine's Python 3.
requires_moto() {
    python3 -c 'import moto, boto3, botocore' 2>/dev/null ||
        skip "requires python3 with moto, boto3 and botocore"
    if command -v moto_server >/dev/null 2>&1; then
        moto_cmd=moto_server
    else
        moto_cmd="python3 -m moto.server"
    fi
}

# start_moto: moto_server on a free port, $moto_url.  The first three
# calls (CreateUser, PutUserPolicy, CreateAccessKey in moto_make_user) go
# unsigned; every later one must be signed right.
start_moto() {
    moto_port=$(pick_unused_port)
    moto_url=http://127.0.0.1:$moto_port
    INITIAL_NO_AUTH_ACTION_COUNT=3 $moto_cmd -H 127.0.0.1 -p "$moto_port" \
        >"$tmpdir/moto.log" 2>&1 &
    moto_pid=$!
    cleanup_fn "kill $moto_pid 2>/dev/null; wait $moto_pid 2>/dev/null"
    for _ in $(seq 100); do
        curl -s -o /dev/null "$moto_url/moto-api/" && return 0
        sleep 0.1
    done
    fail "moto_server did not start: $(tail -5 "$tmpdir/moto.log")"
}

# moto_make_user NAME POLICY_JSON: an IAM user with that inline policy;
# exports AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for it.
moto_make_user() {
    python3 - "$moto_url" "$1" "$2" >"$tmpdir/keys" <<'PY' || fail "moto user"
import boto3, sys
url, name, policy = sys.argv[1:4]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="x")
iam.create_user(UserName=name)
iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
k = iam.create_access_key(UserName=name)["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"])
PY
    read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY <"$tmpdir/keys"
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
}

AWS_ALLOW_ALL='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'

# start_contract [deleted]: the VM Import contract server, $contract_url;
# its calls are logged in $tmpdir/contract.log.
start_contract() {
    contract_port=$(pick_unused_port)
    contract_url=http://127.0.0.1:$contract_port
    python3 "$top_srcdir/tests/integration/aws_contract_server.py" \
        "$contract_port" "$moto_url" "$AWS_ACCESS_KEY_ID" \
        "$AWS_SECRET_ACCESS_KEY" "$tmpdir/contract.log" "$@" \
        >"$tmpdir/contract.out" 2>&1 &
    contract_pid=$!
    cleanup_fn "kill $contract_pid 2>/dev/null; wait $contract_pid 2>/dev/null"
    for _ in $(seq 100); do
        curl -s -o /dev/null "$contract_url/" && break
        sleep 0.1
    done
}

# aws_env: ferry's environment for moto and the contract server.
aws_env() {
    export AWS_ENDPOINT_URL=$moto_url
    export AWS_ENDPOINT_URL_EC2=${contract_url:-$moto_url}
    unset AWS_PROFILE AWS_SESSION_TOKEN
    export AWS_SHARED_CREDENTIALS_FILE=$tmpdir/no-credentials
    export AWS_CONFIG_FILE=$tmpdir/no-config
}

# boto3_py SCRIPT ARGS...: runs Python with `s3`, `iam` clients on moto.
boto3_py() {
    script=$1
    shift
    python3 -c "
import boto3, sys, os
kw = dict(endpoint_url=os.environ['AWS_ENDPOINT_URL'], region_name='us-east-1')
s3 = boto3.client('s3', **kw)
iam = boto3.client('iam', **kw)
$script" "$@"
}
