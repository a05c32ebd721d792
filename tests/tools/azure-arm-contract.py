#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""azure-arm-contract.py: the parts of the Microsoft identity platform and
Azure Resource Manager that azure-disk:// uses, as their documentation
states them, for tests on loopback (no emulator serves ARM):

  POST /{tenant}/oauth2/v2.0/token   client credentials grant: the tenant,
                                     client id and secret must match, scope
                                     {arm}/.default; 401 invalid_client else
  every other call                   Authorization: Bearer <a token issued
                                     here>, else 401 in ARM's error shape
  PUT  .../disks/NAME                createOption Upload, uploadSizeBytes
                                     from 20 MiB + 512 to 32 TiB + 512 and
                                     N MiB + 512 (400 else), tags kept; 202
                                     with Azure-AsyncOperation and
                                     Retry-After; the disk is then
                                     ReadyToUpload and its page blob exists
                                     in Azurite
  PATCH .../disks/NAME               tags only (Disks - Update): replaces
                                     the disk's tags (names without
                                     <>%&\?/, at most 512, values 256)
  POST .../beginGetAccess            access Write, the disk ReadyToUpload
                                     or ActiveUpload (a new SAS may be asked
                                     for while one is out: "If the SAS
                                     expires, you can call the operation
                                     again"): a SAS URL (signed with
                                     Azurite's account key, naming
                                     --blob-endpoint) to that blob;
                                     ActiveUpload
  POST .../endGetAccess              reads the blob's last 512 bytes back:
                                     "conectix", disk type 2 (fixed), size
                                     (logged, the test checks); Unattached
  DELETE .../disks/NAME, GET disks and images, PUT .../images/NAME (every
                                     managedDisk.id must be an Unattached
                                     disk here; 400 else)
  GET  /_control                     {"disks": {name: diskState}, "images",
                                     "blobs": {name: [container, blob]}}
  POST /_control                     {"faults": [{"method", "path" (a
                                     substring), "status", "count",
                                     "retry_after"}]}: answers injected
                                     before the call is served

Every call is appended to the log (--log) as one JSON line: method, path,
status, and what the test checks (the request body for disks and images,
the footer and page bytes at endGetAccess).  Tokens and SAS signatures
are never logged.

    azure-arm-contract.py --port-file F --log L --azurite URL --key KEY
        --tenant T --client-id C --client-secret S [--blob-endpoint URL]

--blob-endpoint: the Blob endpoint SAS URLs name (default --azurite), as
real disks' SAS URLs name a storage host that is not ARM's; a test puts a
counting proxy there.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import azure_blob  # noqa: E402

API = "2023-04-02"
MIB = 1 << 20
MIN_UPLOAD = 20 * MIB + 512
MAX_UPLOAD = (32 << 40) + 512


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = set()
        self.disks = {}        # id (lower) -> dict
        self.images = {}
        self.ops = {}          # op id -> dict(polls, result)
        self.faults = []
        self.account = urllib.parse.urlparse(args.azurite).path.strip("/")

    def log(self, rec):
        with self.lock, open(self.args.log, "a") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")


def sas_for(state, container, blob):
    """A service SAS (version 2021-08-06, sr=b, sp=rw) for one blob."""
    expiry = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)
              ).strftime("%Y-%m-%dT%H:%M:%SZ")
    sv = "2021-08-06"
    canon = "/blob/%s/%s/%s" % (state.account, container, blob)
    sts = "\n".join(["rw", "", expiry, canon, "", "", "", sv, "b", "", "",
                     "", "", "", "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(state.args.key),
                                    sts.encode(), hashlib.sha256).digest()
                           ).decode()
    q = urllib.parse.urlencode({"sv": sv, "sr": "b", "sp": "rw",
                                "se": expiry, "sig": sig})
    return "%s/%s/%s?%s" % (state.args.blob_endpoint or state.args.azurite,
                            container, blob, q)


def blob_call(state, method, path, query=None, headers=None):
    return azure_blob.request(state.args.azurite, state.account,
                              state.args.key, method, path, query, headers)


def make_blob(state, container, blob, size):
    try:
        blob_call(state, "PUT", "/" + container,
                  {"restype": "container"}).close()
    except urllib.error.HTTPError as e:
        if e.code != 409:
            raise
    blob_call(state, "PUT", "/%s/%s" % (container, blob),
              headers={"x-ms-blob-type": "PageBlob",
                       "x-ms-blob-content-length": str(size)}).close()


def bad_tags(tags):
    """ARM's tag rules: at most 50, names up to 512 characters without
    < > % & \\ ? /, string values up to 256."""
    if not isinstance(tags, dict) or len(tags) > 50:
        return True
    for k, v in tags.items():
        if not k or len(k) > 512 or any(c in k for c in "<>%&\\?/") or \
                not isinstance(v, str) or len(v) > 256:
            return True
    return False


def check_footer(state, disk):
    """What endGetAccess checks of the uploaded VHD."""
    path = "/%s/%s" % (disk["container"], disk["blob"])
    size = disk["size"]
    with blob_call(state, "HEAD", path) as r:
        blob_size = int(r.headers["content-length"])
    with blob_call(state, "GET", path, headers={
            "x-ms-range": "bytes=%d-%d" % (size - 512, size - 1)}) as r:
        footer = r.read()
    with blob_call(state, "GET", path, {"comp": "pagelist"}) as r:
        import xml.etree.ElementTree as ET
        root = ET.fromstring(r.read())
    page_bytes = sum(int(p.find("End").text) + 1 - int(p.find("Start").text)
                     for p in root.iter("PageRange"))
    cookie = footer[0:8] == b"conectix"
    disk_type = int.from_bytes(footer[60:64], "big")
    current = int.from_bytes(footer[48:56], "big")
    return {"blob_size": blob_size, "cookie": cookie, "disk_type": disk_type,
            "current_size": current,
            "footer_ok": cookie and disk_type == 2 and blob_size == size and
            current == size - 512,
            "page_bytes": page_bytes}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "azure-arm-contract"

    def log_message(self, fmt, *args):
        pass

    @property
    def st(self):
        return self.server.state

    def reply(self, status, body=None, headers=None, log=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        rec = {"method": self.command, "path": self.path.split("?")[0],
               "status": status}
        rec.update(log or {})
        self.st.log(rec)

    def reply_quiet(self, status, body):
        """An answer to the test, not logged."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message, headers=None):
        self.reply(status, {"error": {"code": code, "message": message}},
                   headers)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def base(self):
        return "http://%s:%d" % self.server.server_address[:2]

    def new_op(self, result=None, on_done=None):
        op = secrets.token_hex(8)
        with self.st.lock:
            self.st.ops[op] = {"polls": 0, "result": result,
                               "on_done": on_done}
        return {"Azure-AsyncOperation": "%s/operations/%s?api-version=%s" %
                (self.base(), op, API), "Retry-After": "1"}

    def injected(self):
        with self.st.lock:
            for f in self.st.faults:
                if f["count"] > 0 and f["method"] == self.command and \
                        f["path"] in self.path:
                    f["count"] -= 1
                    return f
        return None

    # -- dispatch --------------------------------------------------------------
    def handle_any(self):
        body = self.body()
        path = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(path.query)
        if path.path == "/_control" and self.command == "GET":
            with self.st.lock:
                return self.reply_quiet(200, {
                    "disks": {d["name"]: d["state"]
                              for d in self.st.disks.values()},
                    "images": sorted(i["name"]
                                     for i in self.st.images.values()),
                    "blobs": {d["name"]: [d["container"], d["blob"]]
                              for d in self.st.disks.values()}})
        if path.path == "/_control" and self.command == "POST":
            with self.st.lock:
                self.st.faults.extend(json.loads(body).get("faults", []))
            return self.reply(204)
        if path.path.endswith("/oauth2/v2.0/token") and self.command == "POST":
            return self.token(path.path, body)
        f = self.injected()
        if f:
            hdr = {}
            if "retry_after" in f:
                hdr["Retry-After"] = str(f["retry_after"])
            return self.error(f["status"], "Injected%d" % f["status"],
                              "injected by the test", hdr)
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.st.tokens:
            return self.error(401, "AuthenticationFailed",
                              "Authentication failed. The 'Authorization' "
                              "header is missing or invalid.")
        if path.path.startswith("/operations/"):
            return self.operation(path.path.split("/")[2])
        if q.get("api-version") != [API]:
            return self.error(400, "InvalidApiVersionParameter",
                              "api-version %s is not served here" %
                              q.get("api-version"))
        parts = path.path.strip("/").split("/")
        # subscriptions/S/resourceGroups/G/providers/Microsoft.Compute/T/N[/A]
        if len(parts) < 8 or parts[0] != "subscriptions" or \
                parts[2] != "resourceGroups" or \
                parts[5] != "Microsoft.Compute":
            return self.error(404, "InvalidResourceType", "no such path")
        rid = "/" + "/".join(parts[:8])
        kind, name = parts[6], parts[7]
        action = parts[8] if len(parts) > 8 else None
        try:
            req = json.loads(body) if body else None
        except ValueError:
            return self.error(400, "InvalidRequestContent", "not JSON")
        if kind == "disks":
            return self.disk(rid, name, action, req)
        if kind == "images" and action is None:
            return self.image(rid, name, req)
        return self.error(404, "InvalidResourceType", "no such type")

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = handle_any

    def token(self, path, body):
        a = self.st.args
        form = urllib.parse.parse_qs(body.decode())
        ok = (path == "/%s/oauth2/v2.0/token" % a.tenant and
              form.get("grant_type") == ["client_credentials"] and
              form.get("client_id") == [a.client_id] and
              form.get("client_secret") == [a.client_secret] and
              form.get("scope") == [a.arm + "/.default"])
        if not ok:
            self.send_response(401)
            data = json.dumps({"error": "invalid_client",
                               "error_description":
                               "AADSTS7000215: Invalid client secret "
                               "provided.\r\nTrace ID: 0"}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.st.log({"method": "POST", "path": path, "status": 401})
            return None
        tok = secrets.token_urlsafe(32)
        with self.st.lock:
            self.st.tokens.add(tok)
        return self.reply(200, {"token_type": "Bearer", "expires_in": 3599,
                                "access_token": tok})

    def operation(self, op):
        with self.st.lock:
            o = self.st.ops.get(op)
            if o:
                o["polls"] += 1
        if not o:
            return self.error(404, "NotFound", "no such operation")
        if o["polls"] == 1:
            return self.reply(200, {"status": "InProgress"},
                              {"Retry-After": "0"})
        if o["on_done"]:
            o["on_done"]()
            o["on_done"] = None
        out = {"status": "Succeeded"}
        if o["result"] is not None:
            out["properties"] = {"output": o["result"]}
        return self.reply(200, out)

    def disk_json(self, d):
        p = {"diskState": d["state"], "diskSizeBytes": d["size"] - 512,
             "hyperVGeneration": d["gen"],
             "creationData": {"createOption": "Upload",
                              "uploadSizeBytes": d["size"]}}
        if d.get("os"):
            p["osType"] = d["os"]
        return {"id": d["id"], "name": d["name"], "location": d["location"],
                "type": "Microsoft.Compute/disks", "tags": d["tags"],
                "properties": p}

    def disk(self, rid, name, action, req):
        key = rid.lower()
        with self.st.lock:
            d = self.st.disks.get(key)
        if action is None and self.command == "GET":
            if not d:
                return self.error(404, "ResourceNotFound",
                                  "The Resource '%s' was not found." % name)
            return self.reply(200, self.disk_json(d))
        if action is None and self.command == "DELETE":
            if not d:
                return self.reply(204)
            with self.st.lock:
                del self.st.disks[key]
            return self.reply(202, None, self.new_op(),
                              {"disk": name, "state": d["state"]})
        if action is None and self.command == "PUT":
            return self.put_disk(rid, name, req, d)
        if action is None and self.command == "PATCH":
            if not d:
                return self.error(404, "ResourceNotFound", "no disk " + name)
            tags = (req or {}).get("tags")
            if set(req or {}) != {"tags"} or bad_tags(tags):
                return self.error(400, "InvalidParameter",
                                  "only valid tags are updated here")
            d["tags"] = tags
            return self.reply(202, None, self.new_op(),
                              {"disk": name, "tags": tags})
        if self.command == "POST" and action in ("beginGetAccess",
                                                  "endGetAccess"):
            if not d:
                return self.error(404, "ResourceNotFound", "no disk " + name)
            if action == "beginGetAccess":
                if d["state"] not in ("ReadyToUpload", "ActiveUpload") or \
                        (req or {}).get("access") != "Write":
                    return self.error(409, "OperationNotAllowed",
                                      "disk is %s" % d["state"])
                d["state"] = "ActiveUpload"
                sas = sas_for(self.st, d["container"], d["blob"])
                return self.reply(202, None, self.new_op({"accessSAS": sas}),
                                  {"disk": name, "access": req["access"]})
            if d["state"] != "ActiveUpload":
                return self.error(409, "OperationNotAllowed",
                                  "disk is %s" % d["state"])
            check = check_footer(self.st, d)
            d["state"] = "Unattached"
            check["disk"] = name
            check["container"] = d["container"]
            check["blob"] = d["blob"]
            return self.reply(202, None, self.new_op(), check)
        return self.error(405, "MethodNotAllowed", "not served")

    def put_disk(self, rid, name, req, d):
        props = (req or {}).get("properties") or {}
        cd = props.get("creationData") or {}
        size = cd.get("uploadSizeBytes")
        log = {"disk": name, "body": req}
        if d:
            return self.error(409, "OperationNotAllowed",
                              "disk %s exists" % name)
        if cd.get("createOption") != "Upload" or not isinstance(size, int) \
                or not req.get("location"):
            return self.error(400, "InvalidParameter",
                              "createOption Upload, uploadSizeBytes and "
                              "location are required")
        if size < MIN_UPLOAD or size > MAX_UPLOAD or (size - 512) % MIB:
            return self.error(400, "InvalidParameter",
                              "uploadSizeBytes %d: must be N MiB + 512 from "
                              "20 MiB + 512 to 32 TiB + 512" % size)
        if props.get("hyperVGeneration") not in ("V1", "V2"):
            return self.error(400, "InvalidParameter", "hyperVGeneration")
        if bad_tags(req.get("tags", {})):
            return self.error(400, "InvalidParameter", "tags")
        d = {"id": rid, "name": name, "size": size, "state": "Creating",
             "gen": props["hyperVGeneration"], "os": props.get("osType"),
             "location": req["location"], "tags": req.get("tags", {}),
             "container": "md-" + hashlib.sha256(rid.lower().encode()
                                                 ).hexdigest()[:16],
             "blob": "abcd"}
        make_blob(self.st, d["container"], d["blob"], size)
        with self.st.lock:
            self.st.disks[rid.lower()] = d

        def ready():
            d["state"] = "ReadyToUpload"
        return self.reply(202, None, self.new_op(None, ready), log)

    def image(self, rid, name, req):
        key = rid.lower()
        if self.command == "GET":
            with self.st.lock:
                i = self.st.images.get(key)
            if not i:
                return self.error(404, "ResourceNotFound",
                                  "The Resource '%s' was not found." % name)
            return self.reply(200, i)
        if self.command == "DELETE":
            with self.st.lock:
                gone = self.st.images.pop(key, None)
            if not gone:
                return self.reply(204)
            return self.reply(202, None, self.new_op(), {"image": name})
        if self.command != "PUT":
            return self.error(405, "MethodNotAllowed", "not served")
        sp = ((req or {}).get("properties") or {}).get("storageProfile") or {}
        disks = [sp.get("osDisk") or {}] + list(sp.get("dataDisks") or [])
        for dd in disks:
            did = ((dd.get("managedDisk") or {}).get("id") or "").lower()
            with self.st.lock:
                d = self.st.disks.get(did)
            if not d or d["state"] != "Unattached":
                return self.error(400, "InvalidParameter",
                                  "managedDisk %s is not an Unattached "
                                  "disk" % did)
        img = {"id": rid, "name": name, "location": req.get("location"),
               "properties": req.get("properties")}
        with self.st.lock:
            self.st.images[key] = img
        return self.reply(201, img, self.new_op(), {"image": name,
                                                    "body": req})


def main():
    ap = argparse.ArgumentParser()
    for a in ("port-file", "log", "azurite", "key", "tenant", "client-id",
              "client-secret"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--arm", help="the audience (default: this server)")
    ap.add_argument("--blob-endpoint",
                    help="the endpoint SAS URLs name (default: --azurite)")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if not args.arm:
        args.arm = "http://127.0.0.1:%d" % srv.server_address[1]
    srv.state = State(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
