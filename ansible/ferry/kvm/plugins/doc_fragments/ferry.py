# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
# Options every ferry.kvm module shares, documented once.

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # The ferry to run and the libvirt connection it reads.
    DOCUMENTATION = r'''
options:
  ferry_path:
    description:
      - The C(ferry) program on the managed host, a name looked up on
        C(PATH) or an absolute path.
    type: path
    default: ferry
  connect:
    description:
      - libvirt URI whose domains ferry reads (C(ferry --connect)).
      - Left out, ferry uses C($LIBVIRT_DEFAULT_URI), else C(qemu:///system).
    type: str
requirements:
  - ferry on the managed host (C(ferry list --json) must run there)
notes:
  - The modules call ferry's C(--json) interfaces only and never parse
    its human output. A failure returns ferry's one-line message in C(msg),
    its exit status in C(ferry_exit_status) and the status's name in
    C(ferry_error) (C(not-found), C(busy), C(auth), C(network),
    C(exists), ...).
'''

    # ferry-agent on the managed host, for jobs.
    AGENT = r'''
options:
  bus_address:
    description:
      - D-Bus address of the bus where ferry-agent runs
        (C(ferry --bus-address)); the system bus when left out.
    type: str
  session:
    description:
      - Reach ferry-agent on the session bus instead of the system bus.
    type: bool
    default: false
'''

    # How ferry reaches an ssh:// pool.
    SSH = r'''
options:
  known_hosts:
    description:
      - known_hosts file that the target's host key is checked against
        (C(ferry --known-hosts)).
    type: path
  accept_new:
    description:
      - Record an unknown host key instead of refusing it (C(--accept-new)).
        A changed key is refused all the same.
    type: bool
    default: false
  host_key:
    description:
      - The target's host key fingerprint, C(SHA256:...), pinned instead
        of known_hosts (C(--host-key)).
    type: str
  identity:
    description:
      - Private key files to log in with (C(--identity), repeatable).
    type: list
    elements: path
  password_file:
    description:
      - File holding the SSH password (C(--password-file)); the password
        never goes on a command line.
    type: path
  password:
    description:
      - The SSH password itself, for example from Ansible Vault. It is
        written to a file readable by the module's user only, passed as
        C(--password-file) and removed afterwards; it never appears in
        the result or a log.
      - Mutually exclusive with I(password_file).
    type: str
'''
