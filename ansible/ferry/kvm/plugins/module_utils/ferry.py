# -*- coding: utf-8 -*-
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferry.py: what ferry.kvm's modules share.  They run on the KVM host and
# drive the ferry there through its --json interfaces only (`ferry list
# --json`, `ferry export --json`, `ferry jobs --json`, `ferry watch --json`,
# `ferry convert --checksum --json`); ferry's human output is never parsed.
# A failure is ferry's one stderr line and its exit status, named by the
# table in README's "Exit status" (agent/errors.c).

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import shutil
import tempfile

from ansible.module_utils.six.moves.urllib.parse import urlsplit

# ferry's exit statuses (README "Exit status", agent/errors.c).
EXIT_NAMES = {
    0: 'ok',
    1: 'failed',
    2: 'invalid',
    3: 'not-found',
    4: 'busy',
    5: 'unsupported',
    6: 'corrupt',
    7: 'io',
    8: 'auth',
    9: 'network',
    10: 'remote',
    11: 'checksum',
    12: 'exists',
    130: 'cancelled',
}
EXIT_EXISTS = 12

# The message agent/export.c gives when the manifest is at the target: a
# complete export of the domain is there.  Any other exit 12 is a disk file
# left by an earlier run without its manifest (--resume keeps it).
EXPORTED_ALREADY = 'was exported there already'

# Schemes ferry has, and those the collection passes through for the
# providers being built (issues 12 and 13 and the CloudStack one).
TARGET_SCHEMES = ('file', 'ssh', 'cloudstack', 'aws', 'azure', 'azure-disk')

FERRY_COMMON_ARGS = dict(
    ferry_path=dict(type='path', default='ferry'),
    connect=dict(type='str'),
)

AGENT_ARGS = dict(
    bus_address=dict(type='str'),
    session=dict(type='bool', default=False),
)

JOB_FINAL_STATES = ('completed', 'failed', 'cancelled')


class FerryError(Exception):
    """ferry exited non-zero: its stderr line and exit status."""

    def __init__(self, cmd, rc, stderr):
        self.cmd = cmd
        self.rc = rc
        self.stderr = stderr.strip()
        line = self.stderr.splitlines()[-1] if self.stderr else ''
        if line.startswith('ferry: '):
            line = line[len('ferry: '):]
        self.message = line or 'ferry %s exited with status %d' % (cmd, rc)
        super(FerryError, self).__init__(self.message)

    def result(self):
        return dict(msg=self.message, ferry_exit_status=self.rc,
                    ferry_error=EXIT_NAMES.get(self.rc, 'failed'))


class Ferry(object):
    """Runs one host's ferry for a module."""

    def __init__(self, module):
        self.module = module
        path = module.params['ferry_path']
        if os.path.sep in path:
            if not os.access(path, os.X_OK):
                module.fail_json(msg='ferry_path: %s is not an executable' % path)
            self.path = path
        else:
            self.path = module.get_bin_path(path, required=True)
        self.connect = module.params.get('connect')

    def run(self, args, data=None):
        """Runs ferry ARGS; returns (rc, stdout, stderr)."""
        return self.module.run_command([self.path] + list(args), data=data,
                                       binary_data=data is not None,
                                       environ_update=dict(LC_ALL='C'))

    def run_checked(self, args):
        """Runs ferry ARGS; raises FerryError on a non-zero exit."""
        rc, out, err = self.run(args)
        if rc != 0:
            raise FerryError(args[0], rc, err)
        return out

    def run_json(self, args, lines=False):
        """Runs ferry ARGS (which ask for --json) and returns what it printed:
        one document, or with LINES a list of one document per line.  Raises
        FerryError on a non-zero exit."""
        rc, out, err = self.run(args)
        if rc != 0:
            raise FerryError(args[0], rc, err)
        return parse_json(self.module, args[0], out, lines)

    def bus_args(self):
        p = self.module.params
        args = []
        if p.get('bus_address'):
            args += ['--bus-address', p['bus_address']]
        elif p.get('session'):
            args.append('--session')
        return args

    def connect_args(self):
        return ['--connect', self.connect] if self.connect else []

    def list_vms(self, include_all=False):
        """`ferry list --json`: the listvmsforimportresponse object."""
        args = ['list', '--json'] + self.connect_args()
        if include_all:
            args.append('--all')
        doc = self.run_json(args)
        return doc.get('listvmsforimportresponse', {})

    def find_vm(self, vm):
        """The VM's unmanagedinstance; fails the module with the reason ferry
        gives when the domain is skipped (running, an rbd disk, ...)."""
        resp = self.list_vms()
        for inst in resp.get('unmanagedinstance', []):
            if inst.get('name') == vm:
                return inst
        for skipped in resp.get('skipped', []):
            if skipped.get('name') == vm:
                self.module.fail_json(
                    msg="domain '%s' cannot be exported: %s"
                    % (vm, skipped.get('reason', 'skipped')),
                    skipped=skipped, ferry_error='busy', changed=False)
        self.module.fail_json(msg="domain '%s' not found" % vm,
                              ferry_error='not-found', changed=False)

    def converted_sha256(self, source, source_format, fmt, options):
        """SHA-256 of what ferry's writer makes of SOURCE in FMT: the stream
        `ferry export` sends and the target hashes, which is the same for
        the same source (README "Export": the writers lay out the output
        from the allocation map alone).  Nothing is written: the image goes
        to standard output, which is discarded here (ferry refuses to write
        over a device node such as /dev/null, and run_command would keep
        the whole image in memory), and --json goes to stderr."""
        args = [self.path, 'convert', '-O', fmt, '--checksum', '--json']
        if source_format:
            args += ['-f', source_format]
        if options:
            args += ['-o', options]
        env = dict(os.environ, LC_ALL='C')
        proc = subprocess.Popen(args + [source, '-'], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=env)
        err = proc.communicate()[1].decode('utf-8', 'replace')
        if proc.returncode != 0:
            raise FerryError('convert', proc.returncode, err)
        return parse_json(self.module, 'convert', err)['sha256']

    def jobs(self):
        return self.run_json(['jobs', '--json'] + self.bus_args())

    def job(self, job_id):
        for job in self.jobs():
            if str(job.get('id')) == str(job_id):
                return job
        return None


def parse_json(module, what, text, lines=False):
    try:
        if lines:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        return json.loads(text)
    except ValueError as e:
        module.fail_json(msg='ferry %s printed something that is not JSON: %s'
                         % (what, e))


def target_scheme(uri):
    if '://' not in uri:
        return None
    return uri.split('://', 1)[0].lower()


def ssh_destination(uri):
    """(user, host, port, path) of ssh://[user@]host[:port]/path."""
    parts = urlsplit(uri)
    return parts.username, parts.hostname, parts.port, parts.path


class Manifest(object):
    """What reading `<vm>.ferry.json` at a target found."""
    ABSENT = 'absent'
    PRESENT = 'present'
    UNKNOWN = 'unknown'

    def __init__(self, state, doc=None, reason=None):
        self.state = state
        self.doc = doc
        self.reason = reason


def read_manifest(module, uri, vm, ssh):
    """Reads VM's manifest at the target URI: for file:// from the
    directory, for ssh:// with OpenSSH's sftp (a plain `get`, no command
    run on the pool host, as ferry itself; the same key and known_hosts as
    the export, host keys checked).  Other schemes, or an ssh:// target
    reached with a password only, give UNKNOWN with the reason."""
    name = vm + '.ferry.json'
    scheme = target_scheme(uri)
    if scheme == 'file':
        path = os.path.join(urlsplit(uri).path, name)
        try:
            with open(path, 'rb') as f:
                return Manifest(Manifest.PRESENT, json.loads(f.read().decode('utf-8')))
        except (IOError, OSError) as e:
            if not os.path.exists(path):
                return Manifest(Manifest.ABSENT)
            return Manifest(Manifest.UNKNOWN, reason='%s: %s' % (path, e))
        except ValueError as e:
            return Manifest(Manifest.UNKNOWN, reason='%s: not JSON: %s' % (path, e))
    if scheme == 'ssh':
        return read_manifest_sftp(module, uri, name, ssh)
    return Manifest(Manifest.UNKNOWN,
                    reason='%s:// targets: the manifest is not read back' % scheme)


def read_manifest_sftp(module, uri, name, ssh):
    sftp = module.get_bin_path('sftp')
    if not sftp:
        return Manifest(Manifest.UNKNOWN, reason='no sftp client on the host')
    if not ssh.get('identity') and (ssh.get('password_file') or ssh.get('password')):
        return Manifest(Manifest.UNKNOWN,
                        reason='sftp takes no password file: give an identity')
    if ssh.get('host_key') and not ssh.get('known_hosts'):
        return Manifest(Manifest.UNKNOWN,
                        reason='a pinned host_key without known_hosts: sftp cannot check it')
    user, host, port, path = ssh_destination(uri)
    if not host:
        return Manifest(Manifest.UNKNOWN, reason='%s: no host' % uri)
    remote = os.path.join(path or '.', name)
    tmpdir = tempfile.mkdtemp(prefix='ferry-manifest-')
    try:
        local = os.path.join(tmpdir, name)
        args = [sftp, '-q', '-b', '-', '-o', 'BatchMode=yes',
                '-o', 'StrictHostKeyChecking=%s'
                % ('accept-new' if ssh.get('accept_new') else 'yes')]
        if ssh.get('known_hosts'):
            args += ['-o', 'UserKnownHostsFile=%s' % ssh['known_hosts']]
        for key in ssh.get('identity') or []:
            args += ['-o', 'IdentitiesOnly=yes', '-i', key]
        if port:
            args += ['-P', str(port)]
        if ':' in host:
            host = '[%s]' % host
        args.append('%s@%s' % (user, host) if user else host)
        batch = 'get "%s" "%s"\n' % (remote.replace('"', '\\"'), local)
        rc, out, err = module.run_command(args, data=batch, binary_data=True)
        if rc == 0:
            with open(local, 'rb') as f:
                try:
                    return Manifest(Manifest.PRESENT, json.loads(f.read().decode('utf-8')))
                except ValueError as e:
                    return Manifest(Manifest.UNKNOWN, reason='%s: not JSON: %s' % (remote, e))
        if 'not found' in err or 'No such file' in err:
            return Manifest(Manifest.ABSENT)
        return Manifest(Manifest.UNKNOWN, reason='sftp: %s'
                        % (err.strip().splitlines() or ['exit %d' % rc])[-1])
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def manifest_disks(doc):
    """The manifest's disks as the modules return them."""
    return [dict(dev=d.get('dev'), file=d.get('file'), format=d.get('format'),
                 sha256=d.get('sha256'), virtual_size=d.get('virtual-size'),
                 bytes_sent=d.get('bytes-sent'))
            for d in doc.get('disks', [])]
