#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The ferry.kvm collection and its runbook ansible/examples/evacuate-host.yml
# with Debian's ansible-core as the engine.  A fleet on loopback: three
# managed hosts h1, h2, h3, each its own sshd and its own ferry (a wrapper
# around $FERRY reading its own libvirt test-driver host of three stopped
# domains), and a pool host, a fourth sshd, that ferry reaches over ssh://.
#
#  0. The collection passes the checks that run offline: python3 -m
#     py_compile, ansible-doc renders every module and the filter, the
#     ansible-test sanity tests that need no download, and ansible-lint
#     (Debian's) on the collection and the runbook.
#  1. The play, two hosts exporting at a time (ferry_throttle=2): once
#     h1's first VM is in the pool, h3's sshd is stopped, before its turn.  h1's
#     and h2's VMs are exported: each disk compares identical to its source
#     (qemu-img compare), and the report (JSON and Markdown) lists each with
#     the SHA-256 that sha256sum gives; h3's VMs are reported failed, the
#     play fails at its end.
#  2. h3's sshd back, the same play again: h3's VMs are exported, every
#     other VM is reported unchanged (changed=false, its checksums verified
#     against the source); the play passes.
#  3. ferry_export ad hoc to a file:// target: check mode says what would
#     be exported and writes nothing; then changed, then unchanged.
. "$top_srcdir/tests/integration/functions.sh"
. "$top_srcdir/tests/integration/domain-functions.sh"
. "$top_srcdir/tests/integration/ansible-functions.sh"
requires_root
requires qemu-img qemu-io python3 sha256sum ssh-keygen sftp \
    ansible ansible-playbook ansible-doc ansible-test ansible-lint
[ -x /usr/sbin/sshd ] || skip "requires /usr/sbin/sshd (openssh-server)"
make_tmpdir

# ---- the collection, where Ansible looks for it ------------------------
# A copy: ansible-test and ansible-lint write into the collection, and
# the source tree is read-only under distcheck.
coll=$tmpdir/collections/ansible_collections/ferry/kvm
mkdir -p "$(dirname "$coll")"
cp -R "$top_srcdir/ansible/ferry/kvm" "$coll"
cp -R "$top_srcdir/ansible/examples" "$tmpdir/examples"
ANSIBLE_CONFIG=$tmpdir/ansible.cfg
ANSIBLE_COLLECTIONS_PATH=$tmpdir/collections
ANSIBLE_HOME=$tmpdir/ansible-home
PYTHONPYCACHEPREFIX=$tmpdir/pycache
export ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_HOME PYTHONPYCACHEPREFIX

# shellcheck disable=SC2046
python3 -m py_compile $(find "$coll/plugins" -name '*.py') || fail "py_compile"
ansible-doc ferry.kvm.ferry_vms ferry.kvm.ferry_export ferry.kvm.ferry_job >"$tmpdir/doc" 2>&1 ||
    fail "ansible-doc: $(cat "$tmpdir/doc")"
assert_eq "$(grep -c '^EXAMPLES:' "$tmpdir/doc")" 3 "modules with examples in ansible-doc"
assert_eq "$(grep -c '^RETURN VALUES:' "$tmpdir/doc")" 3 "modules with return values in ansible-doc"
# The ssh options come from the doc fragment.
grep -q 'known_hosts' "$tmpdir/doc" || fail "ferry_export: no ssh doc fragment"
ansible-doc -t filter ferry.kvm.ferry_report >"$tmpdir/doc" 2>&1 ||
    fail "ansible-doc ferry_report: $(cat "$tmpdir/doc")"
# ansible-test's other sanity tests install their requirements from the
# network into a venv first (pip, pylint, voluptuous, yamllint): not here.
(cd "$coll" && ansible-test sanity --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    --skip-test ansible-doc --skip-test import --skip-test pylint \
    --skip-test validate-modules --skip-test yamllint --skip-test runtime-metadata \
    --skip-test pep8 --skip-test pslint --skip-test shellcheck --skip-test changelog \
    --skip-test action-plugin-docs) >"$tmpdir/sanity.log" 2>&1 ||
    fail "ansible-test sanity: $(grep -v '^WARNING' "$tmpdir/sanity.log" | tail -20)"
rm -rf "$coll/tests/output"
mkdir "$coll/examples"
cp -R "$top_srcdir/ansible/examples/." "$coll/examples/"
(cd "$coll" && ansible-lint --offline -p --nocolor) >"$tmpdir/lint.log" 2>&1 ||
    fail "ansible-lint: $(tail -20 "$tmpdir/lint.log")"
rm -rf "$coll/examples" "$coll/.cache"

# ---- the fleet ----------------------------------------------------------
fleet_known_hosts=$tmpdir/known_hosts
: >"$fleet_known_hosts"
for h in h1 h2 h3; do
    fleet_make_host $h a b c
    fleet_start_sshd $h
done
fleet_start_sshd pool
pool=$tmpdir/pool/images
mkdir -p "$pool"

{
    echo "[defaults]"
    echo "inventory = $tmpdir/inventory"
    echo "forks = 5"
    echo "host_key_checking = True"
    echo "retry_files_enabled = False"
    echo "local_tmp = $tmpdir/ansible-local"
    echo "remote_tmp = $tmpdir/ansible-remote"
    echo "timeout = 5"
    echo "nocolor = True"
    echo "[ssh_connection]"
    # One connection per task and item (no ControlMaster), so that a host
    # whose sshd stopped cannot be reached by the next one.
    echo "ssh_args = -o ControlMaster=no -o UserKnownHostsFile=$fleet_known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes"
    echo "pipelining = True"
} >"$ANSIBLE_CONFIG"
{
    echo "[kvm_hosts]"
    for h in h1 h2 h3; do
        eval "port=\$${h}_port"
        echo "$h ansible_host=127.0.0.1 ansible_port=$port ferry_path=$tmpdir/$h/ferry"
    done
    echo "[kvm_hosts:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$tmpdir/id"
    echo "ansible_python_interpreter=/usr/bin/python3"
} >"$tmpdir/inventory"
target="ssh://root@127.0.0.1:$pool_port$pool"
cat >"$tmpdir/vars.json" <<EOJ
{"ferry_target": "$target", "ferry_known_hosts": "$fleet_known_hosts",
 "ferry_identity": ["$tmpdir/id"], "ferry_throttle": 2, "ferry_bwlimit": "64M",
 "ferry_streams": 3}
EOJ

# run_play N [ARG...]: the runbook, its log in $tmpdir/play-N.log and its
# report in $tmpdir/report-N/; sets play_status.
run_play() {
    play_n=$1
    shift
    set +e
    ansible-playbook "$tmpdir/examples/evacuate-host.yml" -e "@$tmpdir/vars.json" \
        -e "ferry_report_dir=$tmpdir/report-$play_n" "$@" >"$tmpdir/play-$play_n.log" 2>&1
    play_status=$?
    set -e
}

# check_report N EXPECT: every VM of the report's JSON is there with the
# status EXPECT gives its host ("h1=exported h2=unchanged ..."); an
# exported or unchanged VM's disks are in the pool, compare identical to
# their sources, and their SHA-256 is sha256sum's; a failed VM is not in
# the pool.  The Markdown table has a row per disk with its SHA-256.
check_report() {
    python3 - "$tmpdir/report-$1" "$pool" "$2" <<'PY' || fail "report $1: see above; $(tail -30 "$tmpdir/play-$1.log")"
import json, os, subprocess, sys
rdir, pool, expect = sys.argv[1], sys.argv[2], dict(e.split('=') for e in sys.argv[3].split())
r = json.load(open(os.path.join(rdir, 'evacuate-report.json')))
md = open(os.path.join(rdir, 'evacuate-report.md')).read()
rows = dict(((v['host'], v['vm']), v) for v in r['vms'])
want = set((h, '%s-%s' % (h, vm)) for h in expect for vm in 'abc')
assert set(rows) == want, ('VMs in the report', sorted(rows))
for (host, vm), v in sorted(rows.items()):
    status = expect[host]
    assert v['status'] == status, (vm, v)
    manifest = os.path.join(pool, vm + '.ferry.json')
    if status == 'failed':
        assert 'unreachable' in v['error'], (vm, v['error'])
        assert not os.path.exists(manifest), manifest
        assert '| %s | %s | failed |' % (host, vm) in md, (vm, md)
        continue
    if status == 'would-export':
        assert v['changed'] and not os.path.exists(manifest), (vm, v)
        continue
    assert v['changed'] == (status == 'exported'), (vm, v)
    if status == 'unchanged':
        assert v['verified'] is True, (vm, v)
    m = json.load(open(manifest))
    assert [d['dev'] for d in v['disks']] == [d['dev'] for d in m['disks']], (vm, v, m)
    assert len(v['disks']) == (2 if vm.endswith(('-a', '-c')) else 1), (vm, v)
    for d, md_ in zip(v['disks'], m['disks']):
        path = os.path.join(pool, d['file'])
        out = subprocess.run(['sha256sum', path], check=True, capture_output=True, text=True)
        assert d['sha256'] == out.stdout.split()[0] == md_['sha256'], (vm, d, out.stdout)
        subprocess.run(['qemu-img', 'compare', '-q', '-f', md_['source-format'], '-F', 'qcow2',
                        md_['source'], path], check=True)
        row = '| %s | %s | %s | %s | %s | %s |' % (host, vm, status, d['dev'], d['file'], d['sha256'])
        assert row in md, (row, md)
PY
}

# 1. h3's sshd stops once the play is under way, before h3's turn.
(run_play 1; exit "$play_status") &
play_pid=$!
i=0
until [ -e "$pool/h1-a.ferry.json" ]; do
    i=$((i + 1))
    kill -0 "$play_pid" 2>/dev/null || fail "the play ended before exporting h1-a: $(tail -30 "$tmpdir/play-1.log")"
    [ $i -lt 600 ] || fail "h1-a was not exported within 60 s: $(tail -30 "$tmpdir/play-1.log")"
    sleep 0.1
done
fleet_stop_sshd h3
[ ! -e "$pool/h1-c.ferry.json" ] || fail "h1 was done before h3's sshd stopped: not mid-way"
set +e
wait "$play_pid"
play_status=$?
set -e
[ "$play_status" != 0 ] || fail "the play passed with h3 unreachable"
check_report 1 "h1=exported h2=exported h3=failed"
grep -q '3 VMs and 0 hosts failed' "$tmpdir/play-1.log" ||
    fail "the play's last task does not say what failed: $(tail -20 "$tmpdir/play-1.log")"
assert_no_part "$pool"

# 2. h3 back: the same play finishes it and leaves the rest alone.
fleet_restart_sshd h3
run_play 2
[ "$play_status" = 0 ] || fail "the second play exited $play_status: $(tail -30 "$tmpdir/play-2.log")"
check_report 2 "h1=unchanged h2=unchanged h3=exported"
grep -q 'h1 *: ok=[0-9]* *changed=0 ' "$tmpdir/play-2.log" ||
    fail "h1 changed in the second play: $(grep -A5 'PLAY RECAP' "$tmpdir/play-2.log")"
grep -q 'h3 *: ok=[0-9]* *changed=1 ' "$tmpdir/play-2.log" ||
    fail "h3 did not change in the second play: $(grep -A5 'PLAY RECAP' "$tmpdir/play-2.log")"

# 3. file://, ad hoc: check mode, exported, then unchanged.
mkdir "$tmpdir/filepool"
adhoc() {
    ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=json \
        ansible h1 "$@" -m ferry.kvm.ferry_export \
        -a "ferry_path=$tmpdir/h1/ferry vm=h1-b target=file://$tmpdir/filepool" >"$tmpdir/adhoc.json" 2>"$tmpdir/adhoc.err" ||
        fail "ansible h1 -m ferry_export: $(cat "$tmpdir/adhoc.json" "$tmpdir/adhoc.err" | tail -20)"
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["plays"][0]["tasks"][0]["hosts"]["h1"]
if "would_export" in r:
    print(r["changed"], ",".join(d["dev"] for d in r["would_export"]))
else:
    print(r["changed"], r["disks"][0]["sha256"], r["already_exported"])
' "$tmpdir/adhoc.json"
}
set -- $(adhoc --check)
assert_eq "$*" "True vda" "check mode: what would be exported"
assert_eq "$(ls -A "$tmpdir/filepool")" "" "file:// pool after check mode"
set -- $(adhoc)
assert_eq "$1" True "changed, first export to file://"
assert_eq "$2" "$(sha256sum "$tmpdir/filepool/h1-b-vda.qcow2" | cut -d' ' -f1)" "sha256 of the file:// export"
set -- $(adhoc)
assert_eq "$1 $3" "False True" "changed, already_exported: second export to file://"
set -- $(adhoc --check)
assert_eq "$1" False "check mode once exported"
