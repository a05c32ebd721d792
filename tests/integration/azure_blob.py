#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""azure_blob.py: a small Blob service client for the azure:// tests,
signed with SharedKey as the Azure Storage REST reference ("Authorize with
Shared Key") describes it, written apart from ferry's C signer so that
Azurite's acceptance of both is a cross-check.

    azure_blob.py ENDPOINT ACCOUNT KEY get CONTAINER BLOB FILE
    azure_blob.py ENDPOINT ACCOUNT KEY props CONTAINER BLOB   -> JSON
    azure_blob.py ENDPOINT ACCOUNT KEY ranges CONTAINER BLOB  -> "start end" lines
    azure_blob.py ENDPOINT ACCOUNT KEY put-page-blob CONTAINER BLOB SIZE
    azure_blob.py ENDPOINT ACCOUNT KEY put-page CONTAINER BLOB OFFSET LEN BYTE
                  (Put Page of LEN bytes of value BYTE at OFFSET)
    azure_blob.py ENDPOINT ACCOUNT KEY list CONTAINER         -> names
"""
import base64
import email.utils
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

STANDARD = ["content-encoding", "content-language", "content-length",
            "content-md5", "content-type", "date", "if-modified-since",
            "if-match", "if-none-match", "if-unmodified-since", "range"]


def request(endpoint, account, key, method, path, query=None, headers=None,
            body=b""):
    query = query or {}
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    headers["x-ms-date"] = email.utils.formatdate(usegmt=True)
    headers["x-ms-version"] = "2021-08-06"
    if body:
        headers["content-length"] = str(len(body))
    url_path = urllib.parse.urlparse(endpoint).path + path
    lines = [method] + [headers.get(h, "") for h in STANDARD]
    canon = "".join("%s:%s\n" % (k, headers[k].strip())
                    for k in sorted(headers) if k.startswith("x-ms-"))
    res = "/%s%s" % (account, urllib.parse.quote(url_path))
    for k in sorted(query):
        res += "\n%s:%s" % (k.lower(), query[k])
    sts = "\n".join(lines) + "\n" + canon + res
    sig = base64.b64encode(hmac.new(base64.b64decode(key), sts.encode(),
                                    hashlib.sha256).digest()).decode()
    headers["authorization"] = "SharedKey %s:%s" % (account, sig)
    url = endpoint + urllib.parse.quote(path)
    if query:
        url += "?" + urllib.parse.urlencode(query)
    req = urllib.request.Request(url, data=body or None, method=method,
                                 headers=headers)
    return urllib.request.urlopen(req)


def main(argv):
    endpoint, account, key, cmd = argv[1:5]
    args = argv[5:]
    if cmd == "get":
        container, blob, out = args
        with request(endpoint, account, key, "GET",
                     "/%s/%s" % (container, blob)) as r, open(out, "wb") as f:
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)
    elif cmd == "props":
        container, blob = args
        with request(endpoint, account, key, "HEAD",
                     "/%s/%s" % (container, blob)) as r:
            h = {k.lower(): v for k, v in r.headers.items()}
        print(json.dumps({"size": int(h["content-length"]),
                          "type": h.get("x-ms-blob-type"),
                          "meta": {k[len("x-ms-meta-"):]: v for k, v in h.items()
                                   if k.startswith("x-ms-meta-")}}))
    elif cmd == "ranges":
        container, blob = args
        with request(endpoint, account, key, "GET",
                     "/%s/%s" % (container, blob), {"comp": "pagelist"}) as r:
            root = ET.fromstring(r.read())
        for pr in root.iter("PageRange"):
            print(int(pr.find("Start").text), int(pr.find("End").text) + 1)
    elif cmd == "put-page-blob":
        container, blob, size = args
        request(endpoint, account, key, "PUT", "/%s/%s" % (container, blob),
                headers={"x-ms-blob-type": "PageBlob",
                         "x-ms-blob-content-length": size}).close()
    elif cmd == "put-page":
        container, blob, offset, length, byte = args
        offset, length = int(offset), int(length)
        request(endpoint, account, key, "PUT", "/%s/%s" % (container, blob),
                {"comp": "page"},
                {"x-ms-page-write": "update",
                 "content-type": "application/octet-stream",
                 "x-ms-range": "bytes=%d-%d" % (offset, offset + length - 1)},
                bytes([int(byte, 0)]) * length).close()
    elif cmd == "list":
        (container,) = args
        with request(endpoint, account, key, "GET", "/%s" % container,
                     {"restype": "container", "comp": "list"}) as r:
            root = ET.fromstring(r.read())
        for b in root.iter("Blob"):
            print(b.find("Name").text)
    else:
        sys.exit("azure_blob.py: unknown command " + cmd)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except urllib.error.HTTPError as e:
        sys.exit("azure_blob.py: HTTP %d %s" % (e.code, e.headers.get("x-ms-error-code")))
