# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
# report.py: the ferry_report filter, which turns what the evacuation
# runbook registered on each host (ferry_vms' list, ferry_export's loop)
# into one report: a row per VM with its status, files and SHA-256 values.
# A VM the play never got to (its host unreachable, the play stopped) is a
# failed row too, so the report always accounts for every VM listed.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: ferry_report
short_description: One report of an evacuation from each host's registered results
version_added: "1.0.0"
description:
  - Reads, for each host, the registered result of C(ferry.kvm.ferry_vms)
    and of the C(ferry.kvm.ferry_export) loop over its instances, and
    returns C({"summary", "hosts", "vms"}), a row per VM with host, vm,
    status (C(exported), C(unchanged), C(would-export), C(failed)), target,
    manifest, disks (dev, file, format, sha256) and error.
options:
  _input:
    description: hostvars.
    type: dict
    required: true
  hosts:
    description: The hosts to report on.
    type: list
    elements: str
    required: true
  inventory_var:
    description: Name of the variable ferry_vms was registered in.
    type: str
    default: ferry_inventory
  exports_var:
    description: Name of the variable the ferry_export loop was registered in.
    type: str
    default: ferry_exports
'''

EXAMPLES = r'''
report: "{{ hostvars | ferry.kvm.ferry_report(groups['kvm_hosts']) }}"
'''

RETURN = r'''
_value:
  description: The report.
  type: dict
'''


def _disks(res):
    return [dict(dev=d.get('dev'), file=d.get('file'), format=d.get('format'),
                 sha256=d.get('sha256'))
            for d in res.get('disks') or []]


def _row(host, res):
    item = res.get('item') or {}
    row = dict(host=host, vm=res.get('vm') or item.get('name'),
               target=res.get('target'), manifest=res.get('manifest'),
               changed=bool(res.get('changed')), disks=_disks(res), error=None)
    if res.get('unreachable'):
        row.update(status='failed', error='host unreachable: %s' % res.get('msg', ''))
    elif res.get('failed'):
        row.update(status='failed', error=res.get('msg'),
                   ferry_error=res.get('ferry_error'))
    elif res.get('skipped'):
        row.update(status='skipped', error=res.get('skip_reason'))
    elif res.get('already_exported'):
        row.update(status='unchanged', verified=res.get('verified'))
    elif res.get('would_export') is not None:
        row.update(status='would-export', disks=[
            dict(dev=d.get('dev'), file=None, format=d.get('format'), sha256=None)
            for d in res['would_export']])
    else:
        row.update(status='exported')
    return row


def ferry_report(hostvars, hosts, inventory_var='ferry_inventory',
                 exports_var='ferry_exports'):
    vms, host_rows = [], []
    for host in hosts:
        hv = hostvars.get(host, {})
        inv = hv.get(inventory_var) or {}
        exports = hv.get(exports_var) or {}
        results = exports.get('results') or []
        done = set()
        for res in results:
            row = _row(host, res)
            done.add(row['vm'])
            vms.append(row)
        if inv.get('unreachable') or inv.get('failed') or not inv:
            error = inv.get('msg') or 'the play did not reach the host'
            host_rows.append(dict(host=host, status='failed', error=error))
            continue
        for inst in inv.get('instances') or []:
            if inst.get('name') not in done:
                vms.append(dict(host=host, vm=inst.get('name'), status='failed',
                                changed=False, disks=[], target=None, manifest=None,
                                error=exports.get('msg') or 'not attempted: the play '
                                'stopped before this VM'))
        host_rows.append(dict(host=host, status='ok', vms=len(inv.get('instances') or []),
                              skipped=inv.get('skipped') or []))
    summary = dict((s, 0) for s in ('exported', 'unchanged', 'would-export',
                                    'failed', 'skipped'))
    for row in vms:
        summary[row['status']] = summary.get(row['status'], 0) + 1
    summary['failed_hosts'] = sum(1 for h in host_rows if h['status'] != 'ok')
    summary['vms'] = len(vms)
    return dict(summary=summary, hosts=host_rows, vms=vms)


class FilterModule(object):
    def filters(self):
        return dict(ferry_report=ferry_report)
