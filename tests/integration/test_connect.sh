#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# deskpool-connect end to end: a fake deskpoold (Python, HTTPS, the self-service calls of
# docs/API.md and the gateway's calls), the real deskpool-gw, and deskpool-desktop as the VM
# (its SAM file knows the users' own passwords: on the routing-token path NLA goes end to end).
# What a user would see:
#   - an unknown broker certificate is refused without a terminal (exit 8, fingerprint shown,
#     no password sent); --fingerprint pins it, the config file (0600) remembers broker, pin
#     and user, and a later run needs neither --broker nor --fingerprint; another certificate
#     is refused for the pin and for --ca (exit 8); no password is ever in the config file;
#   - wrong password exit 4, unreachable broker exit 3, not entitled exit 5, pool full exit 6,
#     no RDP client exit 7, bad command line exit 2; --list as a table and as JSON;
#   - --reset of a pooled desktop; a personal one needs --yes (exit 2 without a terminal) and
#     then sends confirm: true; a pool that forbids self-service: exit 5;
#   - --rdp-file waits for a starting desktop (202) and writes a 0600 .rdp file whose token
#     opens the desktop through the gateway;
#   - the RDP client gets the password on stdin, never in argv;
#   - xfreerdp under Xvfb, exec'd by deskpool-connect, shows the desktop through the gateway
#     (background #1F4E79; screenshot in BUILD/test-artifacts/connect_xfreerdp.png);
#   - deskpool-probe's load mode logs 3 users in through the gateway, at most 2 at once; the
#     gateway (max_vm_logins = 1) logs them in to the desktop one after the other.
#
# Usage: test_connect.sh BUILD_DIR SOURCE_DIR
# Needs (Debian 12): freerdp2-x11, winpr-utils, xvfb, imagemagick, python3, openssl, util-linux.
set -euo pipefail

BUILD_DIR=$(cd "${1:?usage: $0 BUILD_DIR SOURCE_DIR}" && pwd)
SOURCE_DIR=$(cd "${2:?usage: $0 BUILD_DIR SOURCE_DIR}" && pwd)
DC=$BUILD_DIR/clients/deskpool-connect/deskpool-connect
GW=$BUILD_DIR/rdp-gw/deskpool-gw
PROBE=$BUILD_DIR/clients/deskpool-probe/deskpool-probe
DESKTOP=$BUILD_DIR/templates/guest/desktop/deskpool-desktop
BG=1F4E79 # SCENE_BG in templates/guest/desktop/scene.h

fail() {
    echo "FAIL: $*" >&2
    for f in gw.log broker.log desk.log err.txt; do
        if [[ -n ${WORK:-} && -f $WORK/$f ]]; then
            echo "--- $f (last 25 lines) ---" >&2
            tail -n 25 "$WORK/$f" >&2
        fi
    done
    exit 1
}
pass() { echo "ok: $*"; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is missing: apt-get install $2"; }
need xfreerdp freerdp2-x11
need winpr-hash winpr-utils
need Xvfb xvfb
need import imagemagick
need convert imagemagick
need python3 python3
need openssl openssl
need setsid util-linux
for b in "$DC" "$GW" "$PROBE" "$DESKTOP"; do
    [[ -x $b ]] || fail "$b not built: cmake --build $BUILD_DIR --target $(basename "$b")"
done

WORK=$(mktemp -d /tmp/test_connect.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n ${KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
# The config file goes to $HOME/.config/deskpool: this test's own.
export HOME=$WORK/home
unset XDG_CONFIG_HOME
mkdir -p "$HOME"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
GW_PORT=$(free_port)
BROKER_PORT=$(free_port)
OTHER_PORT=$(free_port)
DESK_PORT=$(free_port)
BROKER=https://127.0.0.1:$BROKER_PORT

{
    winpr-hash -u alice -p secret -f sam
    winpr-hash -u bob -p hunter2 -f sam
    winpr-hash -u carol -p 'c4rol!' -f sam
} >desk.sam
for n in broker other; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout $n.key -out $n.crt -days 2 \
        -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
done
openssl rand -hex 32 >gw.key
FP=$(openssl x509 -in broker.crt -noout -fingerprint -sha256 | sed 's/.*=//')
FP_HEX=$(echo "$FP" | tr -d : | tr A-F a-f)

cat >fake_broker.py <<'PYEOF'
# Fake deskpoold for test_connect.sh: the self-service calls deskpool-connect makes (docs/API.md
# "Self-service") plus the gateway calls deskpool-gw makes, over HTTPS.
import hashlib, hmac, json, secrets, ssl, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, cert, key, keyfile, events_path, desk_port, gw_addr = sys.argv[1:8]
gw_key = open(keyfile).read().strip()
USERS = {"alice": "secret", "bob": "hunter2", "carol": "c4rol!"}
# pool -> (type, allow_reset, entitled users)
POOLS = {"lab": ("pooled", True, {"alice", "bob", "carol"}),
         "home": ("personal", True, {"alice"}),
         "kiosk": ("pooled", False, {"alice"}),
         "full": ("pooled", True, {"bob"})}
DESKTOPS = {"lab": {"alice": 11, "bob": 12, "carol": 13}, "home": {"alice": 21},
            "kiosk": {"alice": 31}, "full": {}}
sessions, tokens, starting = {}, {}, set()
lock = threading.Lock()

def ntowfv2(user, domain, password):
    nt = subprocess.run(["winpr-hash", "-u", user, "-p", password], capture_output=True,
                        text=True, check=True).stdout.strip()
    return hmac.new(bytes.fromhex(nt), (user.upper() + domain).encode("utf-16-le"),
                    hashlib.md5).hexdigest()

def record(obj):
    with lock, open(events_path, "a") as f:
        f.write(json.dumps(obj) + "\n")

def err(code, name, msg):
    return code, {"error": {"code": name, "message": msg}}

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, code, obj=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(code)
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(n) or b"{}") if n else {}
    def user(self):
        a = self.headers.get("Authorization", "")
        return sessions.get(a[7:]) if a.startswith("Bearer ") else None
    def do_GET(self):
        u = self.user()
        record({"method": "GET", "path": self.path, "user": u})
        if self.path == "/api/v1/me/desktops":
            if not u:
                return self.reply(*err(401, "unauthenticated", "log in first"))
            items = []
            for p, (t, ar, ent) in POOLS.items():
                if u in ent:
                    vid = DESKTOPS[p].get(u)
                    items.append({"id": vid, "pool": p, "pool_type": t,
                                  "vm": ("%s-%d" % (p, vid)) if vid else None,
                                  "state": "ready" if vid else None, "session": None,
                                  "allow_reset": ar})
            return self.reply(200, {"items": items})
        return self.reply(*err(404, "not_found", "no " + self.path))
    def do_POST(self):
        p = self.path
        req = self.body()
        if p.startswith("/api/v1/gateway/") or p == "/api/v1/desktops/request":
            return self.gateway(p, req)
        u = self.user()
        safe = {k: v for k, v in req.items() if k != "password"}
        record({"method": "POST", "path": p, "user": u, "body": safe,
                "auth": self.headers.get("Authorization", "")[:7]})
        if p == "/api/v1/login":
            if USERS.get(req.get("user")) != req.get("password"):
                return self.reply(*err(401, "unauthenticated", "wrong user name or password"))
            tok = secrets.token_hex(16)
            sessions[tok] = req["user"]
            return self.reply(200, {"token": tok, "user": req["user"], "expires": int(time.time()) + 3600})
        if not u:
            return self.reply(*err(401, "unauthenticated", "log in first"))
        if p == "/api/v1/logout":
            a = self.headers.get("Authorization", "")[7:]
            sessions.pop(a, None)
            return self.reply(204)
        if p == "/api/v1/desktops/connect":
            pool = req.get("pool", "lab")
            if pool not in POOLS:
                return self.reply(*err(404, "not_found", "no pool %s" % pool))
            if u not in POOLS[pool][2]:
                return self.reply(*err(403, "forbidden", "user %s is not entitled to pool %s" % (u, pool)))
            if pool == "full":
                return self.reply(*err(503, "no_capacity", "pool full is at its maximum of 0 desktops, all busy"))
            if (u, pool) not in starting:
                starting.add((u, pool))
                return self.reply(202, {"status": "starting", "retry_after_s": 1, "vm": "%s-%d" % (pool, DESKTOPS[pool][u])})
            tok = secrets.token_urlsafe(24)
            tokens[tok] = u
            return self.reply(200, {"token": tok, "expires": int(time.time()) + 60, "gateway": gw_addr,
                                    "vm": "%s-%d" % (pool, DESKTOPS[pool][u]), "rdp_file": "/api/v1/desktops/connect.rdp?pool=" + pool})
        parts = p.split("/")
        if len(parts) == 6 and parts[3] == "desktops" and parts[5] in ("reset", "restart"):
            vid = int(parts[4]) if parts[4].isdigit() else -1
            for pool, owners in DESKTOPS.items():
                if owners.get(u) == vid:
                    t, ar, _ = POOLS[pool]
                    if not ar:
                        return self.reply(*err(403, "forbidden", "pool %s does not allow users to reset or restart their desktops" % pool))
                    if parts[5] == "reset" and t == "personal" and req.get("confirm") is not True:
                        return self.reply(*err(400, "bad_request", "resetting a personal desktop deletes its files: send confirm: true"))
                    return self.reply(202, {"state": "refreshing" if parts[5] == "reset" else "starting"})
            return self.reply(*err(403, "forbidden", "desktop %s is not yours" % parts[4]))
        return self.reply(*err(404, "not_found", "no " + p))
    def gateway(self, p, req):
        if self.headers.get("Authorization") != "Bearer " + gw_key:
            return self.reply(*err(401, "unauthenticated", "bad key"))
        record({"path": p, "body": req})
        if p == "/api/v1/gateway/ntlm-hash":
            u = req.get("user")
            if u not in USERS:
                return self.reply(*err(404, "not_found", "no user " + u))
            return self.reply(200, {"ntowfv2": ntowfv2(u, req.get("domain", ""), USERS[u])})
        if p == "/api/v1/gateway/login-result" or p.startswith("/api/v1/gateway/sessions/"):
            return self.reply(204)
        if p == "/api/v1/desktops/request":
            u = req.get("user")
            return self.reply(200, {"status": "ready", "session_id": 7, "vm": "lab-%d" % DESKTOPS["lab"][u],
                                    "host": "127.0.0.1", "port": int(desk_port),
                                    "username": u, "password": USERS[u]})
        if p == "/api/v1/gateway/tokens/redeem":
            u = tokens.pop(req.get("token"), None)
            if u:
                return self.reply(200, {"user": u, "vm": "lab-11", "host": "127.0.0.1",
                                        "port": int(desk_port), "session_id": 8})
            return self.reply(*err(403, "forbidden", "token expired, replayed or forged"))
        return self.reply(*err(404, "not_found", p))

srv = ThreadingHTTPServer(("127.0.0.1", int(port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("fake broker listening", flush=True)
srv.serve_forever()
PYEOF
python3 fake_broker.py "$BROKER_PORT" broker.crt broker.key gw.key events.jsonl "$DESK_PORT" \
    "127.0.0.1:$GW_PORT" >broker.log 2>&1 &
PIDS+=($!)
# The same broker behind another certificate: what an impostor would show.
python3 fake_broker.py "$OTHER_PORT" other.crt other.key gw.key other-events.jsonl "$DESK_PORT" \
    "127.0.0.1:$GW_PORT" >other.log 2>&1 &
PIDS+=($!)
"$DESKTOP" --port "$DESK_PORT" --sam desk.sam --users desk.users --state desk-state \
    --handshake-timeout 10 >desk.out 2>desk.log &
PIDS+=($!)
cat >gw.ini <<EOF
[gateway]
listen = 127.0.0.1:$GW_PORT
state_dir = $WORK/gw-state
[broker]
url = $BROKER
ca = $WORK/broker.crt
key_file = $WORK/gw.key
timeout = 10
[limits]
max_vm_logins = 1
[metrics]
listen =
EOF
"$GW" --config gw.ini --foreground >gw.out 2>gw.log &
PIDS+=($!)
for _ in $(seq 50); do
    grep -q "listening on" gw.log 2>/dev/null && grep -q "listening on" desk.log 2>/dev/null &&
        grep -q "fake broker listening" broker.log 2>/dev/null &&
        grep -q "fake broker listening" other.log 2>/dev/null && break
    sleep 0.1
done
grep -q "listening on" gw.log || fail "gateway did not start"
grep -q "listening on" desk.log || fail "deskpool-desktop did not start"
grep -q "fake broker listening" broker.log || fail "fake broker did not start"

# dc ARGS...: deskpool-connect (alice's password unless PW is set) without a terminal
# (setsid: no /dev/tty to ask on); output in out.txt/err.txt, exit status in $rc.
dc() {
    rc=0
    PW=${PW:-secret} timeout 60 setsid -w "$DC" --password-env PW "$@" </dev/null >out.txt 2>err.txt || rc=$?
}
CONF=$HOME/.config/deskpool/connect.conf

# --- the broker's certificate
dc --broker "$BROKER" --user alice --list
[[ $rc -eq 8 ]] || fail "unknown certificate without a terminal: exit $rc, want 8"
grep -q "does not trust" err.txt && grep -q "${FP:0:20}" err.txt ||
    fail "the refusal should show the fingerprint: $(cat err.txt)"
[[ ! -e $CONF ]] || fail "a refused broker was remembered"
! grep -q '/api/v1/login' events.jsonl 2>/dev/null || fail "the password went to an untrusted broker"
pass "unknown certificate refused without a terminal (exit 8, fingerprint shown, nothing sent)"

dc --broker "$BROKER" --user alice --fingerprint "$FP" --list
[[ $rc -eq 0 ]] || fail "--fingerprint: exit $rc"
grep -q '^lab  *pooled  *lab-11  *ready' out.txt || fail "--list table: $(cat out.txt)"
[[ $(stat -c %a "$CONF") == 600 ]] || fail "config mode $(stat -c %a "$CONF"), want 600"
grep -qx "broker = $BROKER" "$CONF" && grep -qx "user = alice" "$CONF" &&
    grep -qx "fingerprint = $FP_HEX" "$CONF" || fail "config: $(cat "$CONF")"
! grep -q secret "$CONF" || fail "the password is in the config file"
pass "--fingerprint pins the broker; the config remembers broker, pin and user (0600, no password)"

dc --list --json
[[ $rc -eq 0 ]] || fail "remembered broker: exit $rc"
python3 -c 'import json; d=json.load(open("out.txt")); assert [i["pool"] for i in d["items"]]==["lab","home","kiosk"], d' ||
    fail "--list --json: $(cat out.txt)"
pass "a later run needs no --broker or --fingerprint; --list --json gives the broker's items"

dc --broker "https://127.0.0.1:$OTHER_PORT" --fingerprint "$FP" --list --no-save
[[ $rc -eq 8 ]] || fail "other certificate with the pin: exit $rc, want 8"
grep -q "different certificate" err.txt || fail "pin mismatch message: $(cat err.txt)"
dc --broker "https://127.0.0.1:$OTHER_PORT" --ca broker.crt --list --no-save
[[ $rc -eq 8 ]] || fail "other certificate with --ca: exit $rc, want 8"
! grep -q '/api/v1/login' other-events.jsonl 2>/dev/null || fail "the password went to the impostor"
dc --ca broker.crt --list --no-save
[[ $rc -eq 0 ]] || fail "--ca: exit $rc"
pass "a different certificate is refused (pin and --ca: exit 8, nothing sent); --ca accepts the right one"

# --- failures tell themselves apart
PW=wrong dc --list
[[ $rc -eq 4 ]] || fail "wrong password: exit $rc, want 4"
grep -q "wrong user name or password" err.txt || fail "wrong password message: $(cat err.txt)"
dc --broker https://127.0.0.1:1 --list --no-save
[[ $rc -eq 3 ]] || fail "unreachable broker: exit $rc, want 3"
dc full --rdp-file x.rdp
[[ $rc -eq 5 ]] || fail "not entitled: exit $rc, want 5"
PW=hunter2 dc --user bob full --rdp-file x.rdp --no-save
[[ $rc -eq 6 ]] || fail "pool full: exit $rc, want 6"
dc lab --client "$WORK/no-such-client"
[[ $rc -eq 7 ]] || fail "no client: exit $rc, want 7"
dc --list lab
[[ $rc -eq 2 ]] || fail "usage: exit $rc, want 2"
dc --list --json --broker https://127.0.0.1:1 --no-save
python3 -c 'import json; d=json.load(open("out.txt")); assert d["exit_code"]==3 and d["result"]=="broker_unreachable", d' ||
    fail "--json failure object: $(cat out.txt)"
pass "exit 4 wrong password, 3 unreachable, 5 not entitled, 6 no capacity, 7 no client, 2 usage; --json failures are objects"

# --- self-service
dc --reset lab
[[ $rc -eq 0 ]] || fail "reset lab: exit $rc"
grep -q '"path": "/api/v1/desktops/11/reset", "user": "alice", "body": {}' events.jsonl || fail "no reset call for desktop 11"
dc --reset home
[[ $rc -eq 2 ]] || fail "personal reset without --yes or terminal: exit $rc, want 2"
grep -q -- "--yes" err.txt || fail "should say --yes: $(cat err.txt)"
! grep -q '/desktops/21/reset' events.jsonl || fail "personal desktop reset without confirmation"
dc --reset home --yes --json
[[ $rc -eq 0 ]] || fail "reset home --yes: exit $rc"
grep -q '"path": "/api/v1/desktops/21/reset", "user": "alice", "body": {"confirm": true}' events.jsonl ||
    fail "personal reset did not confirm"
dc --restart kiosk
[[ $rc -eq 5 ]] || fail "restart in a pool without self-service: exit $rc, want 5"
dc --restart lab
[[ $rc -eq 0 ]] || fail "restart lab: exit $rc"
pass "reset (pooled), personal reset only with --yes (confirm: true), restart; refused pool exit 5"

# --- .rdp file, after waiting for a starting desktop
dc lab --rdp-file "$WORK/lab.rdp"
[[ $rc -eq 0 ]] || fail "--rdp-file: exit $rc"
grep -q "is starting" err.txt || fail "no progress line while the desktop started: $(cat err.txt)"
[[ $(stat -c %a lab.rdp) == 600 ]] || fail ".rdp mode $(stat -c %a lab.rdp)"
grep -q $'^full address:s:127.0.0.1:'"$GW_PORT"$'\r$' lab.rdp && grep -q $'^username:s:alice\r$' lab.rdp &&
    grep -q $'^loadbalanceinfo:s:Cookie: msts=[A-Za-z0-9_-]*\r$' lab.rdp || fail ".rdp file: $(cat -A lab.rdp)"
! grep -q secret lab.rdp || fail "the password is in the .rdp file"
tok=$(sed -n 's/^loadbalanceinfo:s:\(.*\)\r$/\1/p' lab.rdp)
rc=0
out=$(PW=secret timeout 60 "$PROBE" --user alice --password-env PW --json --timeout 30 \
    --load-balance-info "$tok" "127.0.0.1:$GW_PORT") || rc=$?
[[ $rc -eq 0 ]] || fail "the .rdp file's token did not open the desktop: $out"
pass ".rdp file (0600, CRLF, token, user, no password) after a 202; its token logs in through the gateway"

# --- the client gets the password on stdin, not argv
cat >fakeclient.sh <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >client.argv
cat >client.stdin
EOF
chmod +x fakeclient.sh
dc lab --client "$WORK/fakeclient.sh" -- /size:800x600
[[ $rc -eq 0 ]] || fail "fake client: exit $rc"
grep -qx "/v:127.0.0.1:$GW_PORT" client.argv && grep -q '^/load-balance-info:Cookie: msts=' client.argv &&
    grep -qx /u:alice client.argv && grep -qx /from-stdin client.argv && grep -qx /size:800x600 client.argv ||
    fail "client argv: $(cat client.argv)"
! grep -q secret client.argv || fail "the password is in the client's argv"
[[ $(cat client.stdin) == secret ]] || fail "the client's stdin is not the password"
pass "the RDP client gets the token and user in argv, the password only on stdin"

# --- xfreerdp under Xvfb, exec'd by deskpool-connect, through the gateway
exec 5>display
Xvfb -displayfd 5 -screen 0 1280x1024x24 -nolisten tcp >xvfb.log 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s display ]] && break; sleep 0.1; done
[[ -s display ]] || fail "Xvfb did not start: $(cat xvfb.log)"
export DISPLAY=:$(head -n1 display)
ups=$(grep -c 'desktop of "alice" is up' desk.log || true)
PW=secret "$DC" --password-env PW lab -- /size:1024x768 </dev/null >xf.out 2>xf.log &
XF_PID=$!
PIDS+=($XF_PID)
for _ in $(seq 300); do
    [[ $(grep -c 'desktop of "alice" is up' desk.log || true) -gt $ups ]] && break
    kill -0 "$XF_PID" 2>/dev/null || break
    sleep 0.1
done
[[ $(grep -c 'desktop of "alice" is up' desk.log || true) -gt $ups ]] || fail "xfreerdp did not get a desktop: $(tail -n 5 xf.log)"
[[ $(grep -c 'routing token, end-to-end TLS' gw.log) -ge 2 ]] || fail "the gateway did not splice xfreerdp's routing token"
tr '\0' ' ' </proc/$XF_PID/cmdline | grep -q xfreerdp || fail "deskpool-connect did not become xfreerdp"
! tr '\0' '\n' </proc/$XF_PID/cmdline | grep -q secret || fail "the password is in xfreerdp's argv"
sleep 2
import -window root shot.png || fail "screenshot failed"
mkdir -p "$BUILD_DIR/test-artifacts"
cp shot.png "$BUILD_DIR/test-artifacts/connect_xfreerdp.png"
convert shot.png -crop 1024x768+0+0 +repage win.png
bg=$(convert win.png -fill black +opaque "#$BG" -fill white -opaque "#$BG" -format "%[fx:int(mean*w*h+0.5)]" info:)
colours=$(convert win.png -format %k info:)
((bg >= 1024 * 768 / 20)) || fail "only $bg pixels of #$BG in the xfreerdp window ($colours colours)"
((colours >= 5)) || fail "only $colours colours in the xfreerdp window"
kill "$XF_PID" 2>/dev/null || true
pass "deskpool-connect ran xfreerdp through the gateway and the desktop shows ($bg background pixels, $colours colours; $BUILD_DIR/test-artifacts/connect_xfreerdp.png)"

# --- the load mode: 3 users through the gateway, at most 2 at once
printf '# load users\nalice:secret\nbob:hunter2\ncarol:c4rol!\n' >users.txt
chmod 600 users.txt
rc=0
timeout 120 "$PROBE" --users-file users.txt --concurrency 2 --json --timeout 30 "127.0.0.1:$GW_PORT" >load.json || rc=$?
[[ $rc -eq 0 ]] || fail "load mode: exit $rc: $(cat load.json)"
python3 - load.json <<'EOF' || fail "load mode report: $(cat load.json)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] == 3 and d["failed"] == 0, d
assert d["concurrency"] == 2 and d["peak_concurrency"] == 2, d
ff = d["first_frame_ms"]
assert ff["n"] == 3 and 0 < ff["min"] <= ff["p50"] <= ff["p95"] <= ff["p99"] <= ff["max"], ff
assert sorted(l["user"] for l in d["logins"]) == ["alice", "bob", "carol"], d
# At most 2 at once: the third login starts only after one of the first two has ended.
first_two = sorted(d["logins"], key=lambda l: l["start_ms"])[:2]
third = sorted(d["logins"], key=lambda l: l["start_ms"])[2]
assert third["start_ms"] >= min(l["start_ms"] + l["first_frame_ms"] for l in first_two), d
EOF
rc=0
PW=wrong timeout 120 "$PROBE" --users alice,bob,carol --password-env PW --concurrency 2 --timeout 30 "127.0.0.1:$GW_PORT" >load.txt || rc=$?
[[ $rc -eq 4 ]] || fail "load mode with wrong passwords: exit $rc, want 4: $(cat load.txt)"
grep -q "auth_failed (4) 3" load.txt || fail "failures by class: $(cat load.txt)"
grep -q 'waits for a VM login slot' gw.log ||
    fail "load mode: 2 logins at once with max_vm_logins = 1, yet none waited for a VM login slot"
pass "load mode: 3 users through the gateway, at most 2 at once (the gateway logs them in to the VM one at a time: max_vm_logins = 1), percentiles in order; wrong passwords counted by class (exit 4)"

for s in secret hunter2 'c4rol!'; do
    ! grep -qF -- "$s" gw.log || fail "the gateway log holds a password"
done
pass "no password in the gateway's log"
echo PASS
