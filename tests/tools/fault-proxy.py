#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""fault-proxy.py: a TCP relay on 127.0.0.1 that injects faults, for the
fault matrix tests (issue #17).  It forwards a free port to DEST_PORT and
applies a script of faults to chosen connections:

    fault-proxy.py PORTFILE DEST_PORT [--on N|all] FAULT...

  --on N      apply the faults to the Nth connection (1-based; default 1),
  --on all    to every connection
  cut:BYTES       close both ends once BYTES went client -> server
  reset:BYTES     the same with a TCP RST (SO_LINGER 0) instead of a FIN
  stall:SECS@BYTES  stop forwarding for SECS once BYTES went up
  trickle:RATE    at most RATE bytes/s client -> server
  refuse          close each such connection at once, forwarding nothing
  http-status:CODE[:RETRY_AFTER][xCOUNT]
                  answer the first COUNT (default 1) HTTP requests with CODE
                  (and Retry-After) instead of forwarding them
  http-truncate:BYTES   forward the response but cut its body after BYTES
  http-close-mid-response  close after half of the response's headers
  http-method:METHOD    the http- faults hit only requests with METHOD
                  (PUT: S3's UploadPart); others are forwarded
  http-match:TEXT       ... and only requests whose request line holds
                  TEXT ("partNumber=2&": one S3 part; "comp=page":
                  Azure's Put Page); http-query:TEXT is the same
  http-once       http-truncate and http-close-mid-response hit only the
                  first request they may, over every connection
  http-delay:SECS forward each request SECS late, logging its body's size
                  and how many such requests were waiting at once ("B
                  body bytes delayed, N in flight"): how many a client
                  keeps in flight, and what it sent

The port it listens on is written to PORTFILE (atomically) once it
accepts.  Each connection's fate is logged on stderr, one line each, so
that a test log shows what happened.  Only loopback is ever reached.
"""
import os
import socket
import struct
import sys
import threading
import time


def parse(argv):
    portfile, dest = argv[0], int(argv[1])
    on, faults, i = "1", [], 2
    while i < len(argv):
        if argv[i] == "--on":
            on = argv[i + 1]
            i += 2
            continue
        faults.append(argv[i])
        i += 1
    return portfile, dest, on, faults


class Plan:
    def __init__(self, faults):
        self.cut = self.reset = self.stall_at = None
        self.stall = 0.0
        self.rate = 0
        self.refuse = False
        self.http_status = None
        self.http_retry_after = None
        self.http_count = 0
        self.http_truncate = None
        self.http_close_mid = False
        self.http_method = None
        self.http_match = None
        self.http_once = False
        self.http_delay = None
        for f in faults:
            kind, _, arg = f.partition(":")
            if kind == "cut":
                self.cut = int(arg)
            elif kind == "reset":
                self.reset = int(arg)
            elif kind == "stall":
                secs, _, at = arg.partition("@")
                self.stall, self.stall_at = float(secs), int(at or 0)
            elif kind == "trickle":
                self.rate = int(arg)
            elif kind == "refuse":
                self.refuse = True
            elif kind == "http-status":
                spec, _, count = arg.partition("x")
                code, _, retry = spec.partition(":")
                self.http_status = int(code)
                self.http_retry_after = retry or None
                self.http_count = int(count or 1)
            elif kind == "http-truncate":
                self.http_truncate = int(arg)
            elif kind == "http-close-mid-response":
                self.http_close_mid = True
            elif kind == "http-once":
                self.http_once = True
            elif kind == "http-delay":
                self.http_delay = float(arg)
            elif kind == "http-method":
                self.http_method = arg.encode()
            elif kind in ("http-match", "http-query"):
                self.http_match = arg.encode()
            else:
                sys.exit(f"fault-proxy: unknown fault '{f}'")

    @property
    def http(self):
        return (self.http_status is not None or self.http_truncate is not None
                or self.http_close_mid or self.http_delay is not None)


def close(*socks, rst=False):
    for s in socks:
        try:
            if rst:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # Wakes the other pump's recv() on this socket without
                # sending anything: Linux defers a close() while another
                # thread is blocked in the socket, so without it the RST
                # waited for the peer's next bytes (and never went out if
                # the peer had nothing to say: an sshd waiting for the
                # client kept its session, and ferry receive its .part).
                s.shutdown(socket.SHUT_RD)
            else:
                s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass


def pump_up(c, s, plan, n, log):
    """client -> server with the byte-count faults."""
    sent, t0, stalled = 0, time.time(), False
    try:
        while True:
            data = c.recv(65536)
            if not data:
                break
            limit = plan.cut if plan.cut is not None else plan.reset
            if limit is not None and sent + len(data) > limit:
                s.sendall(data[: max(0, limit - sent)])
                log(f"connection {n}: {'reset' if plan.reset is not None else 'cut'} "
                    f"after {limit} bytes")
                close(c, s, rst=plan.reset is not None)
                return
            if plan.stall_at is not None and not stalled and sent + len(data) > plan.stall_at:
                stalled = True
                log(f"connection {n}: stalled {plan.stall} s at {sent} bytes")
                time.sleep(plan.stall)
            s.sendall(data)
            sent += len(data)
            if plan.rate:
                ahead = sent / plan.rate - (time.time() - t0)
                if ahead > 0:
                    time.sleep(ahead)
    except OSError:
        pass
    close(c, s)


def pump_down(s, c):
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            c.sendall(data)
    except OSError:
        pass
    close(c, s)


def read_http_message(sock, buf):
    """One HTTP/1.1 message with Content-Length, chunked (no trailers) or
    none; returns
    (head, body, rest) or None at EOF."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            return None
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
        if k.strip().lower() == b"transfer-encoding" and b"chunked" in v.lower():
            chunked = True
    if chunked:
        # Azurite's XML answers: chunks until the empty one.
        pos = 0
        while True:
            while b"\r\n" not in rest[pos:]:
                data = sock.recv(65536)
                if not data:
                    return head + b"\r\n\r\n", rest, b""
                rest += data
            size_line, _, _ = rest[pos:].partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            end = pos + len(size_line) + 2 + size + 2
            while len(rest) < end:
                data = sock.recv(65536)
                if not data:
                    return head + b"\r\n\r\n", rest, b""
                rest += data
            pos = end
            if size == 0:
                return head + b"\r\n\r\n", rest[:pos], rest[pos:]
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            break
        rest += data
    return head + b"\r\n\r\n", rest[:length], rest[length:]


REASONS = {429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable", 403: "Forbidden"}


def serve_http(c, dest, plan, n, log, counter):
    """Request by request: inject the planned answers, forward the rest."""
    s = socket.create_connection(("127.0.0.1", dest))
    cbuf, sbuf = b"", b""
    try:
        while True:
            req = read_http_message(c, cbuf)
            if req is None:
                break
            head, body, cbuf = req
            hit = plan.http_method is None or head.split(b" ", 1)[0] == plan.http_method
            if plan.http_match is not None:
                hit = hit and plan.http_match in head.split(b"\r\n", 1)[0]
            with counter["lock"]:
                if hit and plan.http_once and (plan.http_close_mid or
                                               plan.http_truncate is not None):
                    hit = not counter["cut"]
                    counter["cut"] = True
                inject = (hit and plan.http_status is not None
                          and counter["injected"] < plan.http_count)
                if inject:
                    counter["injected"] += 1
            if inject:
                extra = f"Retry-After: {plan.http_retry_after}\r\n" if plan.http_retry_after else ""
                text = f"injected {plan.http_status}\n".encode()
                c.sendall(f"HTTP/1.1 {plan.http_status} {REASONS.get(plan.http_status, 'Error')}\r\n"
                          f"Content-Length: {len(text)}\r\n{extra}\r\n".encode() + text)
                log(f"connection {n}: answered {plan.http_status} to {head.split(b' ')[:2]}")
                continue
            if hit and plan.http_delay is not None:
                with counter["lock"]:
                    counter["delayed"] += 1
                    now = counter["delayed"]
                log(f"connection {n}: {len(body)} body bytes delayed, {now} in flight")
                time.sleep(plan.http_delay)
                with counter["lock"]:
                    counter["delayed"] -= 1
            s.sendall(head + body)
            resp = read_http_message(s, sbuf)
            if resp is None:
                break
            rhead, rbody, sbuf = resp
            if hit and plan.http_close_mid:
                c.sendall(rhead[: len(rhead) // 2])
                log(f"connection {n}: closed mid-response")
                break
            if hit and plan.http_truncate is not None and len(rbody) > plan.http_truncate:
                c.sendall(rhead + rbody[: plan.http_truncate])
                log(f"connection {n}: body cut at {plan.http_truncate} of {len(rbody)} bytes")
                break
            c.sendall(rhead + rbody)
    except OSError:
        pass
    close(c, s)


def main():
    portfile, dest, on, faults = parse(sys.argv[1:])
    plan, clean = Plan(faults), Plan([])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    lock = threading.Lock()

    def log(msg):
        with lock:
            print(f"fault-proxy: {msg}", file=sys.stderr, flush=True)

    counter = {"lock": threading.Lock(), "injected": 0, "cut": False,
               "delayed": 0}
    n = 0
    while True:
        c, _ = ls.accept()
        n += 1
        p = plan if on == "all" or str(n) == on else clean
        if p.refuse:
            log(f"connection {n}: refused")
            close(c, rst=True)
            continue
        if p.http:
            threading.Thread(target=serve_http, args=(c, dest, p, n, log, counter),
                             daemon=True).start()
            continue
        s = socket.create_connection(("127.0.0.1", dest))
        threading.Thread(target=pump_up, args=(c, s, p, n, log), daemon=True).start()
        threading.Thread(target=pump_down, args=(s, c), daemon=True).start()


main()
