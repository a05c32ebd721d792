#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A contract server for EC2 ImportImage and DescribeImportImageTasks,
which moto does not implement, and RegisterImage, which moto 5 takes but
whose block device mappings, BootMode and EnaSupport it drops.  It follows the EC2 API reference:
query-protocol POSTs, XML answers in the 2016-11-15 namespace.

Every request's SigV4 Authorization is recomputed with botocore's signer
(never ferry's code) from the secret of the access key it names, given on
the command line; a mismatch is answered 403 SignatureDoesNotMatch.
ImportImage checks, through boto3 against moto, that each DiskContainer's
object exists in S3 and that the role exists in IAM, and records the
call in LOG (one JSON line per call).  A task goes active (progress 20,
60) then completed with an AMI id, a step per DescribeImportImageTasks
of it (one without ImportTaskId.N lists every task as it stands); with
END_DELETED set it ends "deleted" with a ClientError status message
instead.

RegisterImage checks, through boto3 against moto, that each
BlockDeviceMapping.N.Ebs.SnapshotId is a completed snapshot, registers an
image in moto (so that describe_images lists it) and answers with its
id; the call, with every mapping, is in LOG.  Every other EC2 action
(DescribeSnapshots, DeleteSnapshot) is forwarded to moto as it came:
moto checks its signature against the Host header sent, this server's.

usage: aws_contract_server.py PORT MOTO_URL ACCESS_KEY SECRET LOG [deleted]
"""
import http.client
import json
import sys
import uuid
from urllib.parse import urlsplit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

PORT, MOTO, AKID, SECRET, LOG = sys.argv[1:6]
END_DELETED = len(sys.argv) > 6 and sys.argv[6] == "deleted"
NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
DELETED_MESSAGE = ("ClientError: Unsupported kernel version "
                   "5.99.0-ferry-test")
tasks = {}
tokens = {}


def aws(service):
    return boto3.client(service, endpoint_url=MOTO, region_name="us-east-1",
                        aws_access_key_id=AKID, aws_secret_access_key=SECRET)


def signature_ok(handler, body):
    auth = handler.headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return False
    fields = dict(p.strip().split("=", 1)
                  for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    akid, date, region, service, _ = fields["Credential"].split("/")
    if akid != AKID:
        return False
    signed = fields["SignedHeaders"].split(";")
    url = f"http://{handler.headers['Host']}{handler.path}"
    headers = {h: handler.headers[h] for h in signed}
    req = AWSRequest(method=handler.command, url=url, data=body,
                     headers=headers)
    signer = SigV4Auth(Credentials(AKID, SECRET), service, region)
    # Sign at the request's own time, with exactly its signed headers.
    req.context["timestamp"] = handler.headers["X-Amz-Date"]
    signer._modify_request_before_signing = lambda r: None
    want = signer.signature(signer.string_to_sign(
        req, signer.canonical_request(req)), req)
    return want == fields["Signature"]


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, xml):
        data = xml.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.reply(status, f"<Response><Errors><Error><Code>{code}</Code>"
                   f"<Message>{message}</Message></Error></Errors>"
                   f"<RequestID>{uuid.uuid4()}</RequestID></Response>")

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not signature_ok(self, body):
            return self.error(403, "SignatureDoesNotMatch",
                              "signature checked by botocore does not match")
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        action = params.get("Action")
        with open(LOG, "a") as log:
            log.write(json.dumps(params) + "\n")
        if action == "ImportImage":
            return self.import_image(params)
        if action == "DescribeImportImageTasks":
            return self.describe(params)
        if action == "RegisterImage":
            return self.register_image(params)
        return self.forward(body)

    def forward(self, body):
        u = urlsplit(MOTO)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        conn.putrequest(self.command, self.path, skip_host=True,
                        skip_accept_encoding=True)
        for k, v in self.headers.items():
            conn.putheader(k, v)
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding",
                                 "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def register_image(self, p):
        ec2 = aws("ec2")
        n = 1
        while f"BlockDeviceMapping.{n}.DeviceName" in p:
            snap = p.get(f"BlockDeviceMapping.{n}.Ebs.SnapshotId")
            try:
                s = ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]
            except Exception:
                return self.error(400, "InvalidSnapshot.NotFound",
                                  f"mapping {n}: no snapshot {snap}")
            if s["State"] != "completed":
                return self.error(400, "IncorrectState",
                                  f"snapshot {snap} is {s['State']}")
            n += 1
        if n == 1:
            return self.error(400, "InvalidParameterCombination",
                              "no block device mapping")
        ami = ec2.register_image(Name=p["Name"],
                                 Description=p.get("Description", ""))
        self.reply(200, f'<RegisterImageResponse xmlns="{NS}"><requestId>'
                   f'{uuid.uuid4()}</requestId><imageId>{ami["ImageId"]}'
                   f'</imageId></RegisterImageResponse>')

    def import_image(self, p):
        token = p.get("ClientToken")
        if token in tokens:
            tid = tokens[token]
        else:
            try:
                aws("iam").get_role(RoleName=p["RoleName"])
            except Exception:
                return self.error(400, "InvalidParameter",
                                  f"role {p.get('RoleName')} does not exist")
            n = 1
            while f"DiskContainer.{n}.Format" in p:
                try:
                    aws("s3").head_object(
                        Bucket=p[f"DiskContainer.{n}.UserBucket.S3Bucket"],
                        Key=p[f"DiskContainer.{n}.UserBucket.S3Key"])
                except Exception:
                    return self.error(400, "InvalidParameter",
                                      f"disk container {n}: no such object")
                n += 1
            tid = "import-ami-" + uuid.uuid4().hex[:17]
            tokens[token] = tid
            tasks[tid] = 0
        self.reply(200, f'<ImportImageResponse xmlns="{NS}"><requestId>'
                   f'{uuid.uuid4()}</requestId><importTaskId>{tid}'
                   f'</importTaskId><status>active</status>'
                   f'</ImportImageResponse>')

    def describe(self, p):
        tid = p.get("ImportTaskId.1")
        if tid is None:
            # Every task, as the API lists them without ImportTaskId.N;
            # looking does not move a task on.
            items = "".join(task_item(t, tasks[t]) for t in tasks)
        elif tid not in tasks:
            return self.error(400, "InvalidConversionTaskId.Malformed",
                              f"no task {tid}")
        else:
            tasks[tid] += 1
            items = task_item(tid, tasks[tid])
        self.reply(200, f'<DescribeImportImageTasksResponse xmlns="{NS}">'
                   f'<requestId>{uuid.uuid4()}</requestId>'
                   f'<importImageTaskSet>{items}</importImageTaskSet>'
                   f'</DescribeImportImageTasksResponse>')


def task_item(tid, step):
    """The <item> of task TID after STEP looks at it by id."""
    extra = ""
    if step <= 1:
        status, msg, progress = "active", "pending", "20"
    elif step == 2:
        status, msg, progress = "active", "converting", "60"
    elif END_DELETED:
        status, msg, progress = "deleted", DELETED_MESSAGE, ""
    else:
        status, msg, progress = "completed", "", ""
        extra = f"<imageId>ami-{tid[-17:]}</imageId>"
    prog = f"<progress>{progress}</progress>" if progress else ""
    return (f'<item><importTaskId>{tid}</importTaskId><status>{status}'
            f'</status><statusMessage>{msg}</statusMessage>{prog}{extra}'
            f'</item>')


ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
