#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""cloudstack-contract.py CONFIG.json: a contract server of the CloudStack
API for ferry's cloudstack:// tests (no management server runs here).

It answers GET /client/api?command=...&response=json in CloudStack's JSON
response shapes ("<command lower-cased>response", list answers with
"count" and a list named for the object, field names as CloudStack's API
reference gives them) for listZones, listStoragePools, listHosts,
listServiceOfferings, listDiskOfferings, listNetworks,
listVirtualMachines, importVm and queryAsyncJobResult.

Every request's signature is checked with this file's own implementation
of the algorithm CloudStack's developer guide publishes ("Signing API
Requests"): each value URL-encoded as java.net.URLEncoder does it (spaces
"%20", "~" as "%7E"), the pairs sorted by name, the whole string
lower-cased, HMAC-SHA1 with the secret key, base64.  A bad one is answered
as CloudStack does: HTTP 401, errorcode 401, "unable to verify user
credentials and/or request signature".

importVm's parameters are checked against what was exported: diskpath and
each datadiskofferinglist[i].disk exist as files in the pool directory,
the NICs' MACs are the domain's, every id is known.  A fault is answered
with errorcode 431 and CloudStack's wording.  An id that is not a UUID is
refused with 431 by every list command, as CloudStack's parameter
validation does.  While the file CONFIG["fail_import_flag"] exists, an
importVm job ends with jobstatus 2.  A job runs whether it is polled or
not: after one second (or two polls) it is over, and its VM is listed
unless it failed.  GET /test/vms (unsigned) lists the VMs imported, for
the tests to check that nothing was imported twice or half-way.

Each call is appended as one JSON line (command and parameters, the
signature and apikey left out) to CONFIG["log"].

CONFIG keys: port, api_key, secret_key, log, zone, pool, pool_type,
pool_path, pool_dir, cluster, host_ip, service_offering, custom (bool),
network, disk_offering, macs (list), fail_import_flag.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CFG = json.load(open(sys.argv[1]))
# A test may rewrite CONFIG between two runs (another pool type): it is
# read again at every request.
LOCK = threading.Lock()
VMS = []        # imported VMs: {"id", "name", ...}
JOBS = {}       # jobid -> {"polls", "fail", "vm", "started"}
JOB_SECONDS = 1.0
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")


def java_urlencode(value):
    # java.net.URLEncoder keeps a-z A-Z 0-9 . - * _ and turns space into
    # "+", which CloudStack then replaces with "%20".
    out = []
    for b in value.encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in ".-*_"):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def expected_signature(params, secret):
    pairs = sorted(((k, v) for k, v in params.items() if k != "signature"),
                   key=lambda kv: kv[0].lower())
    text = "&".join("%s=%s" % (k, java_urlencode(v)) for k, v in pairs)
    mac = hmac.new(secret.encode(), text.lower().encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class ApiError(Exception):
    def __init__(self, code, text):
        super().__init__(text)
        self.code = code
        self.text = text


def param_error(name, value):
    return ApiError(431, "Unable to execute API command due to invalid value. "
                    "Invalid parameter %s value=%s due to incorrect long value "
                    "format, or entity does not exist or due to incorrect "
                    "parameter annotation for the field in api cmd class."
                    % (name, value))


def check_ids(params):
    for k, v in params.items():
        if k.endswith("id") and k not in ("jobid",) and not UUID_RE.match(v):
            raise param_error(k, v)


def listing(name, objects):
    if not objects:
        return {}
    return {"count": len(objects), name: objects}


def cmd_listZones(p):
    z = {"id": CFG["zone"], "name": "zone1", "networktype": "Advanced",
         "allocationstate": "Enabled"}
    return listing("zone", [z] if p.get("id") in (None, CFG["zone"]) else [])


def cmd_listStoragePools(p):
    sp = {"id": CFG["pool"], "name": "primary1", "zoneid": CFG["zone"],
          "clusterid": CFG["cluster"], "type": CFG["pool_type"],
          "path": CFG["pool_path"], "ipaddress": "10.0.0.9", "state": "Up",
          "scope": "CLUSTER", "hypervisor": "KVM"}
    return listing("storagepool",
                   [sp] if p.get("id") in (None, CFG["pool"]) else [])


def cmd_listHosts(p):
    hosts = [
        {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, "down")), "name": "kvm-down",
         "type": "Routing", "hypervisor": "KVM", "clusterid": CFG["cluster"],
         "ipaddress": "192.0.2.1", "state": "Disconnected",
         "resourcestate": "Enabled"},
        {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, "up")), "name": "kvm1",
         "type": "Routing", "hypervisor": "KVM", "clusterid": CFG["cluster"],
         "ipaddress": CFG["host_ip"], "state": "Up",
         "resourcestate": "Enabled"},
    ]
    if p.get("clusterid") not in (None, CFG["cluster"]):
        hosts = []
    return listing("host", hosts)


def cmd_listServiceOfferings(p):
    so = {"id": CFG["service_offering"], "name": "custom" if CFG["custom"]
          else "small", "iscustomized": bool(CFG["custom"])}
    if not CFG["custom"]:
        so.update({"cpunumber": 1, "memory": 512})
    return listing("serviceoffering",
                   [so] if p.get("id") == CFG["service_offering"] else [])


def cmd_listDiskOfferings(p):
    do = {"id": CFG["disk_offering"], "name": "data", "iscustomized": True}
    return listing("diskoffering",
                   [do] if p.get("id") == CFG["disk_offering"] else [])


def cmd_listNetworks(p):
    n = {"id": CFG["network"], "name": "guest1", "zoneid": CFG["zone"]}
    return listing("network", [n] if p.get("id") == CFG["network"] else [])


def settle_jobs():
    """A job runs whether or not anyone polls it, as CloudStack's do: one
    started JOB_SECONDS ago is over, its VM listed unless it failed (a
    failed import leaves no VM).  Called with LOCK held."""
    for job in JOBS.values():
        if (not job["fail"] and time.time() - job["started"] >= JOB_SECONDS
                and job["vm"] not in VMS):
            VMS.append(job["vm"])


def cmd_listVirtualMachines(p):
    with LOCK:
        settle_jobs()
        vms = [v for v in VMS if p.get("name", "") in v["name"]]
    return listing("virtualmachine", vms)


def indexed(p, prefix):
    """nicnetworklist[0].nic=..., as {0: {"nic": ...}}."""
    out = {}
    for k, v in p.items():
        m = re.match(re.escape(prefix) + r"\[(\d+)\]\.(\w+)$", k)
        if m:
            out.setdefault(int(m.group(1)), {})[m.group(2)] = v
    return [out[i] for i in sorted(out)]


def cmd_importVm(p):
    def need(name, want=None):
        if name not in p:
            raise ApiError(431, "Unable to execute API command importvm due "
                           "to missing parameter %s" % name)
        if want is not None and p[name] != want:
            raise param_error(name, p[name])
        return p[name]

    need("zoneid", CFG["zone"])
    need("importsource", "shared")
    need("hypervisor", "kvm")
    need("storageid", CFG["pool"])
    need("serviceofferingid", CFG["service_offering"])
    name = need("name")
    files = [need("diskpath")]
    for d in indexed(p, "datadiskofferinglist"):
        if d.get("diskOffering") != CFG["disk_offering"]:
            raise param_error("datadiskofferinglist", str(d))
        files.append(d.get("disk", ""))
    for f in files:
        if "/" in f or not os.path.isfile(os.path.join(CFG["pool_dir"], f)):
            raise ApiError(431, "Disk %s not found on storage pool %s"
                           % (f, CFG["pool"]))
    nics = indexed(p, "nicnetworklist")
    if [n.get("nic") for n in nics] != [str(i) for i in range(len(CFG["macs"]))]:
        raise ApiError(431, "NIC ids %s are not the instance's"
                       % [n.get("nic") for n in nics])
    if [n.get("macaddress") for n in nics] != CFG["macs"]:
        raise ApiError(431, "MAC addresses %s are not the instance's %s"
                       % ([n.get("macaddress") for n in nics], CFG["macs"]))
    if any(n.get("network") != CFG["network"] for n in nics):
        raise param_error("nicnetworklist", str(nics))
    if CFG["custom"]:
        if not p.get("details[0].cpuNumber") or not p.get("details[0].memory"):
            raise ApiError(431, "Service offering is customized: cpuNumber "
                           "and memory are required in details")
    with LOCK:
        settle_jobs()
        if any(v["name"] == name for v in VMS) or any(
                j["vm"]["name"] == name and not j["fail"] for j in JOBS.values()):
            raise ApiError(431, "A VM with name %s already exists" % name)
        jobid = str(uuid.uuid4())
        vm = {"id": str(uuid.uuid4()), "name": name, "displayname": name,
              "zoneid": CFG["zone"], "state": "Stopped",
              "serviceofferingid": CFG["service_offering"],
              "cpunumber": int(p.get("details[0].cpuNumber", 1)),
              "memory": int(p.get("details[0].memory", 512)),
              "nic": [{"macaddress": n["macaddress"],
                       "networkid": n["network"]} for n in nics]}
        JOBS[jobid] = {"polls": 0, "vm": vm, "started": time.time(),
                       "fail": os.path.exists(CFG["fail_import_flag"])}
    return {"jobid": jobid}


def cmd_queryAsyncJobResult(p):
    with LOCK:
        job = JOBS.get(p.get("jobid", ""))
        if not job:
            raise ApiError(431, "Unable to find job by id %s" % p.get("jobid"))
        job["polls"] += 1
        if job["polls"] < 2:
            return {"jobid": p["jobid"], "jobstatus": 0, "jobprocstatus": 0,
                    "jobresultcode": 0}
        if job["fail"]:
            return {"jobid": p["jobid"], "jobstatus": 2, "jobresultcode": 530,
                    "jobresulttype": "object",
                    "jobresult": {"errorcode": 530, "errortext":
                                  "Failed to import VM: disk check failed on "
                                  "host kvm1"}}
        if job["vm"] not in VMS:
            VMS.append(job["vm"])
        return {"jobid": p["jobid"], "jobstatus": 1, "jobresultcode": 0,
                "jobresulttype": "object",
                "jobresult": {"virtualmachine": job["vm"]}}


COMMANDS = {n[4:]: f for n, f in globals().items() if n.startswith("cmd_")}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, command, body):
        data = json.dumps({command.lower() + "response": body}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        CFG.update(json.load(open(sys.argv[1])))
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/test/vms":
            # The tests' view of what was imported (no signature: the
            # tests are the only client of this path).
            with LOCK:
                settle_jobs()
                data = json.dumps([{"id": v["id"], "name": v["name"]}
                                   for v in VMS]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if url.path != "/client/api":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        p = dict(pairs)
        command = p.get("command", "")
        logged = {k: v for k, v in p.items() if k not in ("signature", "apikey")}
        with LOCK, open(CFG["log"], "a") as log:
            log.write(json.dumps(logged) + "\n")
        if len(p) != len(pairs):
            return self.answer(431, command, {"errorcode": 431, "errortext":
                                              "repeated parameter"})
        if (p.get("apikey") != CFG["api_key"] or
                not hmac.compare_digest(
                    p.get("signature", ""),
                    expected_signature(p, CFG["secret_key"]))):
            return self.answer(401, command, {
                "uuidList": [], "errorcode": 401, "cserrorcode": 9999,
                "errortext": "unable to verify user credentials and/or "
                             "request signature"})
        if p.get("response") != "json":
            return self.answer(431, command, {"errorcode": 431,
                                              "errortext": "response=json"})
        fn = COMMANDS.get(command)
        if not fn:
            return self.answer(432, command, {
                "errorcode": 432, "cserrorcode": 9999,
                "errortext": "The given command does not exist or it is not "
                             "available for user"})
        try:
            if command != "importVm":
                check_ids({k: v for k, v in p.items()
                           if k in ("id", "zoneid", "clusterid")})
            body = fn(p)
        except ApiError as e:
            return self.answer(e.code, command, {
                "uuidList": [], "errorcode": e.code, "cserrorcode": 4350,
                "errortext": e.text})
        self.answer(200, command, body)


ThreadingHTTPServer(("127.0.0.1", CFG["port"]), Handler).serve_forever()
