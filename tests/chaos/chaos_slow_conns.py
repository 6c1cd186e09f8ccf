#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Slow and half-open clients for deskpool-gw (test_chaos_slow_conns.sh, test_gateway_limits.sh).

Opens COUNT TCP connections to the gateway, spread over source addresses (the whole 127/8 is
local, so 127.0.0.2.. are separate "hosts" for the per-source limit), each behaving as MODE:
  silent     connects and sends nothing
  byte       sends a valid X.224 Connection Request one byte per second
  half_tpkt  sends the first half of the Connection Request's TPKT, then nothing
  mid_tls    sends the whole request, reads the Connection Confirm, sends half a TLS
             ClientHello, then nothing
  mix        the four above in turn
It keeps them open (never closing one itself) and watches when the gateway closes each.
Prints one line "opened N" once every connect was tried (so a test can act while they are
open), then at the end one JSON object:
  {"tried", "opened", "connect_failed", "closed_fast" (closed by the gateway within 1 s:
   refused by a limit), "closed" (closed by the gateway later), "still_open",
   "closed_after_s": {"min", "p50", "max"}}
It exits when every connection was closed by the gateway or after --hold seconds.
"""
import argparse
import errno
import ipaddress
import json
import resource
import selectors
import socket
import sys
import time

COOKIE = b"Cookie: mstshash=slowclient\r\n"
NEG_REQ = bytes([0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00])  # SSL | HYBRID


def connection_request():
    x224 = bytes([0xE0, 0, 0, 0, 0, 0]) + COOKIE + NEG_REQ
    body = bytes([len(x224)]) + x224
    n = 4 + len(body)
    return bytes([3, 0, n >> 8, n & 0xFF]) + body


CR = connection_request()
# A TLS record header announcing a 512-byte handshake, and the start of a ClientHello.
HALF_HELLO = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]) + bytes(20)


def sources(spec):
    """'127.0.0.2-127.0.0.41' or '127.0.0.1' -> list of addresses."""
    if "-" in spec:
        a, b = spec.split("-")
        lo, hi = int(ipaddress.IPv4Address(a)), int(ipaddress.IPv4Address(b))
        return [str(ipaddress.IPv4Address(i)) for i in range(lo, hi + 1)]
    return [spec]


class Conn:
    def __init__(self, sock, mode, t0):
        self.sock, self.mode, self.t0 = sock, mode, t0
        self.sent = 0  # bytes of CR sent (byte mode)
        self.cc = b""  # Connection Confirm read so far (mid_tls)
        self.closed_at = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--mode", default="mix", choices=["silent", "byte", "half_tpkt", "mid_tls", "mix"])
    ap.add_argument("--sources", default="127.0.0.2-127.0.0.41")
    ap.add_argument("--hold", type=float, default=60.0, help="seconds to wait for the gateway to close them")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.count + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))

    modes = ["silent", "byte", "half_tpkt", "mid_tls"] if a.mode == "mix" else [a.mode]
    addrs = sources(a.sources)
    sel = selectors.DefaultSelector()
    conns, failed = [], 0
    for i in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((addrs[i % len(addrs)], 0))
            s.connect((a.host, a.port))
        except OSError:
            failed += 1
            s.close()
            continue
        s.setblocking(False)
        c = Conn(s, modes[i % len(modes)], time.monotonic())
        try:
            if c.mode in ("half_tpkt",):
                s.send(CR[: len(CR) // 2])
            elif c.mode == "mid_tls":
                s.send(CR)
            elif c.mode == "byte":
                s.send(CR[:1])
                c.sent = 1
        except OSError:
            c.closed_at = time.monotonic()
        conns.append(c)
        sel.register(s, selectors.EVENT_READ, c)
    print("opened %d" % len(conns), flush=True)

    deadline = time.monotonic() + a.hold
    next_byte = time.monotonic() + 1.0
    while time.monotonic() < deadline and any(c.closed_at is None for c in conns):
        for key, _ in sel.select(timeout=0.2):
            c = key.data
            try:
                data = c.sock.recv(4096)
            except OSError as e:
                data = b"" if e.errno != errno.EAGAIN else None
            if data is None:
                continue
            if not data:
                c.closed_at = time.monotonic()
                sel.unregister(c.sock)
                continue
            if c.mode == "mid_tls" and len(c.cc) < 19:
                c.cc += data
                if len(c.cc) >= 19:  # the Connection Confirm: start TLS, and stall half-way
                    try:
                        c.sock.send(HALF_HELLO)
                    except OSError:
                        pass
        now = time.monotonic()
        if now >= next_byte:
            next_byte = now + 1.0
            for c in conns:
                if c.mode == "byte" and c.closed_at is None and c.sent < len(CR) - 1:
                    try:
                        c.sock.send(CR[c.sent : c.sent + 1])  # never the last byte
                        c.sent += 1
                    except OSError:
                        pass

    after = sorted(c.closed_at - c.t0 for c in conns if c.closed_at is not None)
    fast = sum(1 for t in after if t < 1.0)
    out = {
        "tried": a.count,
        "opened": len(conns),
        "connect_failed": failed,
        "closed_fast": fast,
        "closed": len(after) - fast,
        "still_open": sum(1 for c in conns if c.closed_at is None),
        "closed_after_s": {
            "min": round(after[0], 2) if after else None,
            "p50": round(after[len(after) // 2], 2) if after else None,
            "max": round(after[-1], 2) if after else None,
        },
    }
    print(json.dumps(out), flush=True)
    for c in conns:
        c.sock.close()


if __name__ == "__main__":
    sys.exit(main())
