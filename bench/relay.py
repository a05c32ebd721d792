#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""relay.py: a TCP relay on loopback that makes a long link out of a short
one, for bench/receive.sh and tests/integration/test-export-receive.sh.

    relay.py --to PORT --port-file FILE [--delay-ms MS] [--rate BYTES_PER_S]
             [--cut-after BYTES] [--buffer BYTES]

Listens on a free port of 127.0.0.1 (written to FILE once listening) and
forwards each connection to 127.0.0.1:PORT.  Every chunk is held --delay-ms
in each direction before it is passed on (so the round trip is twice
that), each direction is paced to --rate bytes per second (0: no cap), and
the first connection is closed once --cut-after bytes went client to
server (0: never), as a dropped link.  What one direction holds is bounded
by --buffer bytes (default 32 MiB, more than a 20 ms link's bandwidth-delay
product at 1 GB/s): the reader stops and TCP pushes back, as a real link's
queue would.  Flow control above TCP (SSH channel windows, SFTP's write
statuses) therefore pays the round trip, which is the point.
"""
import argparse
import collections
import os
import socket
import threading
import time


class Pipe:
    """One direction of one connection: a reader thread fills a queue of
    (due time, bytes), a writer thread sends each chunk at its due time."""

    def __init__(self, src, dst, delay, rate, cut, buffer, on_cut):
        self.src, self.dst = src, dst
        self.delay, self.rate, self.cut = delay, rate, cut
        self.buffer, self.on_cut = buffer, on_cut
        self.q = collections.deque()
        self.held = 0
        self.cv = threading.Condition()
        self.eof = False

    def reader(self):
        passed = 0
        try:
            while True:
                data = self.src.recv(256 * 1024)
                if not data:
                    break
                if self.cut and passed + len(data) > self.cut:
                    self.on_cut()
                    break
                passed += len(data)
                with self.cv:
                    while self.held >= self.buffer:
                        self.cv.wait()
                    self.q.append((time.monotonic() + self.delay, data))
                    self.held += len(data)
                    self.cv.notify_all()
        except OSError:
            pass
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def writer(self):
        sent = 0
        t0 = None
        try:
            while True:
                with self.cv:
                    while not self.q and not self.eof:
                        self.cv.wait()
                    if not self.q:
                        break
                    due, data = self.q.popleft()
                    self.held -= len(data)
                    self.cv.notify_all()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self.dst.sendall(data)
                if self.rate:
                    t0 = t0 or time.monotonic()
                    sent += len(data)
                    ahead = sent / self.rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            pass
        for s in (self.src, self.dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--to", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--cut-after", type=int, default=0)
    ap.add_argument("--buffer", type=int, default=32 << 20)
    a = ap.parse_args()

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(tmp, a.port_file)
    state = {"cut_pending": a.cut_after > 0}
    lock = threading.Lock()
    while True:
        c, _ = ls.accept()
        s = socket.create_connection(("127.0.0.1", a.to))
        for sock in (c, s):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with lock:
            cut = a.cut_after if state["cut_pending"] else 0
            state["cut_pending"] = False

        def on_cut(c=c, s=s):
            for sock in (c, s):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        up = Pipe(c, s, a.delay_ms / 1000, a.rate, cut, a.buffer, on_cut)
        down = Pipe(s, c, a.delay_ms / 1000, a.rate, 0, a.buffer, on_cut)
        for p in (up, down):
            threading.Thread(target=p.reader, daemon=True).start()
            threading.Thread(target=p.writer, daemon=True).start()


if __name__ == "__main__":
    main()
