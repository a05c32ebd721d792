#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ferry_job
short_description: Query, follow, cancel or resume ferry-agent's jobs
version_added: "1.0.0"
description:
  - Reads ferry-agent's jobs on the managed host (C(ferry jobs --json)),
    and cancels (C(ferry cancel)) or queues again (C(ferry resume)) one of
    them; with I(wait) follows the job to its end (C(ferry watch --json)).
  - C(changed) is true only when a job was cancelled or resumed; cancelling
    a job that has ended, or resuming one that is queued, running or
    completed, changes nothing.
  - Check mode reports what would change and changes nothing.
author:
  - ferry developers
options:
  job:
    description:
      - The job's id, as C(ferry_export) with I(background) or
        C(ferry jobs) gives it. Left out with I(state=query), every job is
        returned.
    type: str
    aliases: [id]
  state:
    description:
      - C(query) reads the job; C(cancelled) stops it (its C(.part) files
        are removed); C(resumed) queues an interrupted, failed or
        cancelled job again, with its stored options.
    type: str
    choices: [query, cancelled, resumed]
    default: query
  wait:
    description:
      - Follow the job until it ends, and fail unless it completed.
    type: bool
    default: false
extends_documentation_fragment:
  - ferry.kvm.ferry
  - ferry.kvm.ferry.agent
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
seealso:
  - module: ferry.kvm.ferry_export
'''

EXAMPLES = r'''
- name: Every job of the host
  ferry.kvm.ferry_job:
  register: jobs

- name: Stop job 7
  ferry.kvm.ferry_job:
    job: "7"
    state: cancelled

- name: After a reboot of the host, continue job 7 and wait for it
  ferry.kvm.ferry_job:
    job: "7"
    state: resumed
    wait: true
'''

RETURN = r'''
job:
  description:
    - The job as C(ferry jobs --json) gives it (id, kind, vm, owner, state,
      progress, bytes, bytes_total, rate, error_name, target, disks, error,
      result with the manifest and each disk's SHA-256), after the action.
  returned: when I(job) is given
  type: dict
  sample:
    id: "7"
    vm: web1
    state: completed
    result:
      manifest: /pool/web1.ferry.json
      disks: [{dev: vda, file: web1-vda.qcow2, sha256: 9f86d0...}]
jobs:
  description: Every job, when I(job) is left out.
  returned: when I(job) is left out
  type: list
  elements: dict
state:
  description: The job's state (queued, running, completed, failed, cancelled, interrupted).
  returned: when I(job) is given
  type: str
  sample: completed
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ferry.kvm.plugins.module_utils.ferry import (
    AGENT_ARGS, FERRY_COMMON_ARGS, JOB_FINAL_STATES, Ferry, FerryError)

RESUMABLE = ('interrupted', 'failed', 'cancelled')


def main():
    argument_spec = dict(FERRY_COMMON_ARGS)
    argument_spec.update(AGENT_ARGS)
    argument_spec.update(
        job=dict(type='str', aliases=['id']),
        state=dict(type='str', default='query', choices=['query', 'cancelled', 'resumed']),
        wait=dict(type='bool', default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_if=[('state', 'cancelled', ('job',)),
                                        ('state', 'resumed', ('job',)),
                                        ('wait', True, ('job',))])
    p = module.params
    ferry = Ferry(module)
    try:
        if not p['job']:
            module.exit_json(changed=False, jobs=ferry.jobs())
        job = ferry.job(p['job'])
        if job is None:
            module.fail_json(msg='job %s not found' % p['job'], ferry_error='not-found',
                             ferry_exit_status=3, changed=False)
        changed = False
        if p['state'] == 'cancelled' and job.get('state') not in JOB_FINAL_STATES:
            changed = True
            if not module.check_mode:
                ferry.run_checked(['cancel', p['job']] + ferry.bus_args())
        elif p['state'] == 'resumed' and job.get('state') in RESUMABLE:
            changed = True
            if not module.check_mode:
                ferry.run_checked(['resume', p['job']] + ferry.bus_args())
        if p['wait'] and not module.check_mode:
            rc, out, err = ferry.run(['watch', '--json', p['job']] + ferry.bus_args())
            job = ferry.job(p['job']) or job
            if rc != 0:
                e = FerryError('watch', rc, err)
                module.fail_json(changed=changed, job=job, state=job.get('state'),
                                 **e.result())
        elif changed and not module.check_mode:
            job = ferry.job(p['job']) or job
    except FerryError as e:
        module.fail_json(changed=False, **e.result())
    module.exit_json(changed=changed, job=job, state=job.get('state'))


if __name__ == '__main__':
    main()
