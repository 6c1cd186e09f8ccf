#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The fake deskpoold of tests/integration/test_gateway.sh, for bench/gw_bench.sh: HTTPS, the
gateway endpoints of docs/API.md, no store. What it hands out:
  - user "alice" (password "secret") gets the deskpool-desktop "VM" at DESK_PORT, user
    "bench" (password "secret") gets the TLS + CredSSP sink at TLS_SINK_PORT; both with
    the one-time credential dpuser / ONE_TIME;
  - every routing token that starts with "bench-" is good (once each): "bench-tls-…" points
    at the TLS + CredSSP sink (TLS end to end through the splice), any other at the plain
    sink at PLAIN_SINK_PORT.
No session_id is given out, so the gateway reports no session events: the benchmark
measures the relay, not broker round trips per connection.
Usage: gw_fake_broker.py PORT CERT KEY GW_KEY_FILE DESK_PORT TLS_SINK_PORT PLAIN_SINK_PORT ONE_TIME
"""
import hashlib
import hmac
import json
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, cert, key, keyfile, desk_port, tls_sink_port, plain_sink_port, one_time = sys.argv[1:9]
gw_key = open(keyfile).read().strip()
USERS = {"alice": "secret", "bench": "secret"}
TARGET = {"alice": int(desk_port), "bench": int(tls_sink_port)}
used_tokens = set()
lock = threading.Lock()
hash_cache = {}


def ntowfv2(user, domain, password):
    # NTOWFv2 = HMAC-MD5(NT hash, UTF-16LE(UPPER(user) + domain)); winpr-hash gives the NT hash
    k = (user, domain, password)
    with lock:
        if k in hash_cache:
            return hash_cache[k]
    nt = subprocess.run(["winpr-hash", "-u", user, "-p", password], capture_output=True,
                        text=True, check=True).stdout.strip()
    h = hmac.new(bytes.fromhex(nt), (user.upper() + domain).encode("utf-16-le"),
                 hashlib.md5).hexdigest()
    with lock:
        hash_cache[k] = h
    return h


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.headers.get("Authorization") != "Bearer " + gw_key:
            return self.reply(401, {"error": {"code": "unauthenticated", "message": "bad key"}})
        p = self.path
        if p == "/api/v1/gateway/ntlm-hash":
            u = req.get("user")
            if u not in USERS:
                return self.reply(404, {"error": {"code": "not_found", "message": "no user"}})
            return self.reply(200, {"ntowfv2": ntowfv2(u, req.get("domain", ""), USERS[u])})
        if p == "/api/v1/gateway/login-result" or p.startswith("/api/v1/gateway/sessions/"):
            return self.reply(204)
        if p == "/api/v1/desktops/request":
            u = req.get("user")
            if u not in TARGET:
                return self.reply(403, {"error": {"code": "forbidden", "message": "not entitled"}})
            return self.reply(200, {"status": "ready", "vm": "vm-" + u, "host": "127.0.0.1",
                                    "port": TARGET[u], "username": "dpuser",
                                    "password": one_time})
        if p == "/api/v1/gateway/tokens/redeem":
            t = req.get("token", "")
            with lock:
                fresh = t.startswith("bench-") and t not in used_tokens
                used_tokens.add(t)
            if fresh:
                target = tls_sink_port if t.startswith("bench-tls-") else plain_sink_port
                return self.reply(200, {"user": "bench", "vm": "vm-sink", "host": "127.0.0.1",
                                        "port": int(target)})
            return self.reply(403, {"error": {"code": "forbidden",
                                              "message": "token expired, replayed or forged"}})
        return self.reply(404, {"error": {"code": "not_found", "message": p}})


ThreadingHTTPServer.request_queue_size = 1024
ThreadingHTTPServer.daemon_threads = True
srv = ThreadingHTTPServer(("127.0.0.1", int(port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("fake broker listening", flush=True)
srv.serve_forever()
