#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ferry_vms
short_description: List the VMs ferry can export from a KVM host
version_added: "1.0.0"
description:
  - Runs C(ferry list --json) on the managed host and returns its
    importable VMs in Apache CloudStack's C(listVmsForImport) shape
    (one C(unmanagedinstance) per stopped domain, with disks and NICs), and
    the domains ferry skips, each with its reason (running, an rbd disk, a
    missing disk file, ...).
  - The same lists are set as the facts C(ferry_vms) and C(ferry_skipped_vms).
  - Read-only; runs in check mode too.
author:
  - ferry developers
options:
  all:
    description:
      - Also list the domains that are not shut off (C(ferry list --all)).
    type: bool
    default: false
extends_documentation_fragment:
  - ferry.kvm.ferry
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Importable VMs of this host
  ferry.kvm.ferry_vms:
  register: inventory

- name: Names of the VMs to move
  ansible.builtin.debug:
    msg: "{{ inventory.instances | map(attribute='name') | list }}"

- name: A host whose domains are on another libvirt URI
  ferry.kvm.ferry_vms:
    connect: qemu+ssh://kvm7/system
'''

RETURN = r'''
instances:
  description:
    - The importable VMs, as C(unmanagedinstance) entries of
      C(listvmsforimportresponse) (name, powerstate, memory, cpunumber,
      disk with label, capacity, imagepath and format, nic, ...).
  returned: success
  type: list
  elements: dict
  sample:
    - name: web1
      powerstate: PowerOff
      memory: 2048
      cpunumber: 2
      disk:
        - label: vda
          capacity: 21474836480
          imagepath: /var/lib/libvirt/images/web1.qcow2
          format: qcow2
      nic: []
skipped:
  description: The domains ferry cannot export, each with its reason.
  returned: success
  type: list
  elements: dict
  sample:
    - name: db1
      reason: "domain is running"
count:
  description: The number of importable VMs.
  returned: success
  type: int
  sample: 3
names:
  description: The importable VMs' names, in ferry's order.
  returned: success
  type: list
  elements: str
  sample: [web1, web2, app1]
ansible_facts:
  description: C(ferry_vms) (the instances) and C(ferry_skipped_vms).
  returned: success
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ferry.kvm.plugins.module_utils.ferry import (
    FERRY_COMMON_ARGS, Ferry, FerryError)


def main():
    argument_spec = dict(FERRY_COMMON_ARGS)
    argument_spec.update(all=dict(type='bool', default=False))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    ferry = Ferry(module)
    try:
        resp = ferry.list_vms(include_all=module.params['all'])
    except FerryError as e:
        module.fail_json(changed=False, **e.result())
    instances = resp.get('unmanagedinstance', [])
    skipped = resp.get('skipped', [])
    module.exit_json(changed=False, instances=instances, skipped=skipped,
                     count=len(instances),
                     names=[i.get('name') for i in instances],
                     ansible_facts=dict(ferry_vms=instances,
                                        ferry_skipped_vms=skipped))


if __name__ == '__main__':
    main()
