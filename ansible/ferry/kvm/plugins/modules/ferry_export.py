#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ferry_export
short_description: Export a stopped VM's disks to a target with ferry
version_added: "1.0.0"
description:
  - Runs C(ferry export VM --to TARGET --json) on the managed host; each
    disk of the shut-off libvirt domain is converted on the fly, sent to
    the target, hashed there (SHA-256) and renamed into place, followed by
    the domain XML and the manifest C(<vm>.ferry.json).
  - The target URI is passed to ferry as it is, so every scheme the host's
    ferry has works. Today ferry has C(file:///DIR) (a directory on the
    host) and C(ssh://[USER@]HOST[:PORT]/DIR) (a storage pool reached over
    SSH); C(cloudstack://MGMT/ZONE?storage=POOL), C(aws://REGION[/BUCKET]),
    C(azure://ACCOUNT/CONTAINER) and
    C(azure-disk://SUBSCRIPTION/RESOURCE_GROUP?location=L) come with the
    ferry versions that have them, and a ferry without one refuses the
    export (C(ferry_error=invalid)).
  - Idempotent. Before exporting, the module reads the VM's manifest at
    the target (file:// from the directory, ssh:// with OpenSSH's C(sftp)
    and the same key and known_hosts, no command run there). When it is
    there and, with I(verify), each disk's SHA-256 in it is what ferry's
    converter makes of the source disk now, the VM is reported unchanged
    (C(changed=false)) with the manifest's checksums. A manifest with
    other values fails (the source changed since it was exported; ferry
    never overwrites an export). Where the manifest cannot be read back,
    ferry's own refusal (exit 12, "was exported there already") is
    reported unchanged, with C(verified=false) and a warning.
  - In check mode nothing is sent; the result says whether the VM would be
    exported (C(would_export) lists its disks) or is there already.
  - With I(background), the export becomes a job of ferry-agent on the
    host (C(ferry export --background)); the module returns its id, and
    with I(wait) follows it to its end (C(ferry watch)).
author:
  - ferry developers
options:
  vm:
    description: Name of the libvirt domain to export. It must be shut off.
    type: str
    required: true
    aliases: [name]
  target:
    description:
      - Where to export to, a URI passed to C(ferry export --to). See the
        description for the schemes.
    type: str
    required: true
    aliases: [to]
  format:
    description:
      - Output format of each disk (C(--format)); ferry's default is qcow2.
    type: str
    choices: [qcow2, raw, vmdk, vpc]
  options:
    description:
      - Writer options, C(k=v,...) as C(ferry convert -o) takes them.
    type: str
  file_name:
    description:
      - Template of each disk file's name (C(--name)) with C({vm}),
        C({dev}), C({index}) and C({ext}); ferry's default is
        C({vm}-{dev}.{ext}).
    type: str
  bwlimit:
    description:
      - Cap on the bytes per second the export sends (C(--bwlimit)),
        with suffixes K, M, G.
    type: str
  streams:
    description:
      - SFTP connections each disk of an C(ssh://) export is spread over
        (C(--streams), 1-16); ferry's default is min(4, cores), or
        C([export] streams) of the agent's ferry.conf. A target with
        ferry installed takes one stream (C(ferry receive)).
    type: int
  resume:
    description:
      - Keep what an earlier, interrupted run left at the target (disks
        under their final name, C(.part) files) and continue from there
        (C(--resume)). A foreground export only.
    type: bool
    default: true
  verify:
    description:
      - For a VM whose manifest is at the target already, convert each
        source disk again (C(ferry convert --checksum) to standard output, discarded)
        and compare the SHA-256 with the manifest's before calling it
        unchanged. This reads every disk once more, locally; without it a
        manifest that names the same disks is enough.
    type: bool
    default: true
  background:
    description:
      - Queue the export as a job of ferry-agent instead of running it in
        the module (C(--background)); the agent must run on the host.
    type: bool
    default: false
  wait:
    description:
      - With I(background), follow the job to its end and return its
        result; without, return as soon as it is queued.
    type: bool
    default: true
extends_documentation_fragment:
  - ferry.kvm.ferry
  - ferry.kvm.ferry.ssh
  - ferry.kvm.ferry.agent
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
seealso:
  - module: ferry.kvm.ferry_vms
  - module: ferry.kvm.ferry_job
'''

EXAMPLES = r'''
- name: Move web1 into the pool of zone B
  ferry.kvm.ferry_export:
    vm: web1
    target: ssh://pool@storage-b.example.net/var/lib/libvirt/images
    known_hosts: /etc/ferry/known_hosts
    identity: [/etc/ferry/id_ed25519]
    bwlimit: 200M
  register: web1

- name: Into a local directory, raw
  ferry.kvm.ferry_export:
    vm: web1
    target: file:///srv/export
    format: raw

- name: As a job of ferry-agent, without waiting
  ferry.kvm.ferry_export:
    vm: web1
    target: ssh://pool@storage-b.example.net/pool
    background: true
    wait: false
  register: queued

- name: Password from the vault
  ferry.kvm.ferry_export:
    vm: web1
    target: ssh://pool@storage-b.example.net/pool
    password: "{{ vault_pool_password }}"
'''

RETURN = r'''
vm:
  description: The domain.
  returned: always
  type: str
  sample: web1
target:
  description: The target URI.
  returned: always
  type: str
  sample: ssh://pool@storage-b.example.net/pool
exported:
  description: Whether this run sent the VM's disks.
  returned: success
  type: bool
already_exported:
  description: Whether a complete export (its manifest) was at the target already.
  returned: success
  type: bool
verified:
  description:
    - For an export that was there already, whether its SHA-256 values
      were checked against the source disks.
  returned: when already_exported
  type: bool
manifest:
  description: The manifest's name at the target (a path for a background job).
  returned: success, unless queued without wait
  type: str
  sample: web1.ferry.json
disks:
  description: Each disk at the target, from ferry's events, the job's result or the manifest.
  returned: success, unless queued without wait
  type: list
  elements: dict
  contains:
    dev: {description: The guest's device name., type: str, sample: vda}
    file: {description: File name at the target., type: str, sample: web1-vda.qcow2}
    format: {description: Its format., type: str, sample: qcow2}
    sha256: {description: SHA-256 of the file as the target computed it., type: str}
    bytes_sent: {description: Bytes sent by the run that made it., type: int}
    virtual_size: {description: Virtual size in bytes., type: int}
would_export:
  description: In check mode, the disks that would be exported.
  returned: check mode, when the VM is not at the target
  type: list
  elements: dict
  sample: [{dev: vda, source: /var/lib/libvirt/images/web1.qcow2, format: qcow2, capacity: 21474836480}]
job:
  description: ferry-agent's job id (I(background)).
  returned: with background
  type: str
  sample: "7"
state:
  description: The job's state (I(background)).
  returned: with background
  type: str
  sample: completed
ferry_exit_status:
  description: ferry's exit status when it failed.
  returned: failure
  type: int
  sample: 9
ferry_error:
  description: The name of that status (network, auth, exists, busy, ...).
  returned: failure
  type: str
  sample: network
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ferry.kvm.plugins.module_utils.ferry import (
    AGENT_ARGS, EXIT_EXISTS, EXPORTED_ALREADY, FERRY_COMMON_ARGS, Ferry,
    FerryError, Manifest, manifest_disks, parse_json, read_manifest)


def ssh_params(p):
    return dict((k, p.get(k)) for k in ('known_hosts', 'accept_new', 'host_key',
                                        'identity', 'password_file', 'password'))


def export_args(p, password_file):
    args = ['export', p['vm'], '--to', p['target'], '--json']
    for opt, key in (('--connect', 'connect'), ('--format', 'format'),
                     ('-o', 'options'), ('--name', 'file_name'),
                     ('--bwlimit', 'bwlimit'), ('--known-hosts', 'known_hosts'),
                     ('--host-key', 'host_key')):
        if p.get(key):
            args += [opt, p[key]]
    if p.get('streams'):
        args += ['--streams', str(p['streams'])]
    for key in p.get('identity') or []:
        args += ['--identity', key]
    if password_file:
        args += ['--password-file', password_file]
    if p['accept_new']:
        args.append('--accept-new')
    return args


def verify_manifest(module, ferry, inst, doc):
    """Fails the module unless the manifest's disks are the domain's, with
    the SHA-256 values its disks convert to now (with verify)."""
    p = module.params
    vm = p['vm']
    sources = dict((d.get('label'), d) for d in inst.get('disk', []))
    disks = doc.get('disks', [])
    devs = sorted(d.get('dev') for d in disks)
    if devs != sorted(sources):
        module.fail_json(msg="domain '%s': the manifest at the target names disks %s, "
                         "the domain has %s" % (vm, ', '.join(devs), ', '.join(sorted(sources))),
                         changed=False, ferry_error='exists')
    if not p['verify']:
        return False
    for d in disks:
        src = sources[d['dev']]
        try:
            now = ferry.converted_sha256(src.get('imagepath'), src.get('format'),
                                         d.get('format') or 'qcow2', p['options'])
        except FerryError as e:
            module.fail_json(changed=False, vm=vm,
                             **dict(e.result(), msg="domain '%s': disk %s: %s"
                                    % (vm, d['dev'], e.message)))
        if now != d.get('sha256'):
            module.fail_json(
                msg="domain '%s': disk %s: the target's %s has SHA-256 %s, the "
                "source converts to %s now: the source changed since it was "
                "exported (remove the export at the target to send it again)"
                % (vm, d['dev'], d.get('file'), d.get('sha256'), now),
                changed=False, ferry_error='exists', vm=vm)
    return True


def unchanged(module, doc, verified, **extra):
    module.exit_json(changed=False, vm=module.params['vm'],
                     target=module.params['target'], exported=False,
                     already_exported=True, verified=verified,
                     manifest=module.params['vm'] + '.ferry.json',
                     disks=manifest_disks(doc) if doc else [], **extra)


def run_foreground(module, ferry, password_file):
    p = module.params
    args = export_args(p, password_file)
    if p['resume']:
        args.append('--resume')
    rc, out, err = ferry.run(args)
    if rc == EXIT_EXISTS and EXPORTED_ALREADY in err:
        module.warn("domain '%s': ferry says it was exported to %s already; "
                    "its manifest could not be read to compare checksums"
                    % (p['vm'], p['target']))
        unchanged(module, None, False)
    if rc != 0:
        e = FerryError('export', rc, err)
        module.fail_json(changed=False, vm=p['vm'], target=p['target'],
                         **e.result())
    events = parse_json(module, 'export', out, lines=True)
    disks, manifest = [], None
    for ev in events:
        if ev.get('event') == 'disk-done':
            disks.append(dict(dev=ev.get('dev'), file=ev.get('file'),
                              format=p['format'] or 'qcow2', sha256=ev.get('sha256'),
                              bytes_sent=ev.get('bytes-sent'),
                              resumed_at=ev.get('resumed-at')))
        elif ev.get('event') == 'done':
            manifest = ev.get('manifest')
    module.exit_json(changed=True, vm=p['vm'], target=p['target'], exported=True,
                     already_exported=False, manifest=manifest, disks=disks)


def run_background(module, ferry):
    p = module.params
    args = export_args(p, None) + ['--background'] + ferry.bus_args()
    try:
        queued = ferry.run_json(args)
    except FerryError as e:
        module.fail_json(changed=False, vm=p['vm'], target=p['target'], **e.result())
    job_id = str(queued.get('job'))
    if not p['wait']:
        module.exit_json(changed=True, vm=p['vm'], target=p['target'], job=job_id,
                         state='queued', exported=False, already_exported=False)
    rc, out, err = ferry.run(['watch', '--json', job_id] + ferry.bus_args())
    job = ferry.job(job_id) or {}
    if rc == EXIT_EXISTS and EXPORTED_ALREADY in (job.get('error') or err):
        unchanged(module, None, False, job=job_id, state=job.get('state'))
    if rc != 0:
        e = FerryError('watch', rc, err)
        module.fail_json(changed=True, vm=p['vm'], target=p['target'], job=job_id,
                         state=job.get('state'), **e.result())
    result = job.get('result') or {}
    disks = [dict(dev=d.get('dev'), file=d.get('file'), format=p['format'] or 'qcow2',
                  sha256=d.get('sha256'), bytes_sent=d.get('bytes-sent'),
                  virtual_size=d.get('virtual-size'), resumed_at=d.get('resumed-at'))
             for d in result.get('disks', [])]
    module.exit_json(changed=True, vm=p['vm'], target=p['target'], job=job_id,
                     state=job.get('state'), exported=True, already_exported=False,
                     manifest=result.get('manifest'), disks=disks)


def main():
    argument_spec = dict(FERRY_COMMON_ARGS)
    argument_spec.update(AGENT_ARGS)
    argument_spec.update(
        vm=dict(type='str', required=True, aliases=['name']),
        target=dict(type='str', required=True, aliases=['to']),
        format=dict(type='str', choices=['qcow2', 'raw', 'vmdk', 'vpc']),
        options=dict(type='str'),
        file_name=dict(type='str'),
        bwlimit=dict(type='str'),
        streams=dict(type='int'),
        resume=dict(type='bool', default=True),
        verify=dict(type='bool', default=True),
        background=dict(type='bool', default=False),
        wait=dict(type='bool', default=True),
        known_hosts=dict(type='path'),
        accept_new=dict(type='bool', default=False),
        host_key=dict(type='str'),
        identity=dict(type='list', elements='path'),
        password_file=dict(type='path', no_log=False),
        password=dict(type='str', no_log=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[('password', 'password_file'),
                                               ('password', 'background')])
    p = module.params
    if '://' not in p['target']:
        module.fail_json(msg="target '%s' is not a URI (file:///DIR, ssh://HOST/DIR, ...)"
                         % p['target'], ferry_error='invalid')

    ferry = Ferry(module)
    try:
        inst = ferry.find_vm(p['vm'])
    except FerryError as e:
        module.fail_json(changed=False, vm=p['vm'], **e.result())

    manifest = read_manifest(module, p['target'], p['vm'], ssh_params(p))
    if manifest.state == Manifest.PRESENT:
        unchanged(module, manifest.doc, verify_manifest(module, ferry, inst, manifest.doc))
    if module.check_mode:
        would = [dict(dev=d.get('label'), source=d.get('imagepath'),
                      format=d.get('format'), capacity=d.get('capacity'))
                 for d in inst.get('disk', [])]
        if manifest.state == Manifest.UNKNOWN:
            module.warn("domain '%s': whether it is at %s already is not known: %s"
                        % (p['vm'], p['target'], manifest.reason))
        module.exit_json(changed=True, vm=p['vm'], target=p['target'],
                         exported=False, already_exported=False, would_export=would,
                         msg="would export domain '%s' (%d disks) to %s"
                         % (p['vm'], len(would), p['target']))
    if p['background']:
        run_background(module, ferry)

    password_file = p['password_file']
    tmp = None
    try:
        if p['password'] is not None:
            fd, tmp = tempfile.mkstemp(prefix='ferry-password-')
            with os.fdopen(fd, 'w') as f:
                f.write(p['password'])
            password_file = tmp
        run_foreground(module, ferry, password_file)
    finally:
        if tmp:
            os.unlink(tmp)


if __name__ == '__main__':
    main()
