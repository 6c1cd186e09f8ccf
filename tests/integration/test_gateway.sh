#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# deskpool-gw end to end on this host, without the real broker: a fake deskpoold (Python,
# HTTPS, the gateway endpoints of docs/API.md) and deskpool-desktop as the "VM", whose SAM
# file knows only the one-time credential the fake broker hands out. What a user would see:
#   - deskpool-probe logs in through the gateway as alice and gets a desktop frame; the
#     desktop saw "dpuser" (the injected credential), never alice's password;
#   - a wrong password and an unknown user: exit 4, the desktop saw no connection at all,
#     the broker got login-result ok=false;
#   - a user with no entitlement: the connection ends after NLA, the log says why;
#   - xfreerdp /sec:rdp is refused in negotiation (HYBRID_REQUIRED_BY_SERVER);
#   - garbage on the port closes that connection and the next login still works;
#   - a client that connects and sends nothing is dropped at the handshake deadline;
#   - a routing token (Cookie: msts=) is spliced to the VM once, refused when replayed;
#   - xfreerdp under Xvfb through the gateway shows the desktop (background #1F4E79);
#   - /metrics counts logins; the gateway log never holds a password;
#   - --check-config accepts the config and names the key of a broken one.
#
# Usage: test_gateway.sh BUILD_DIR SOURCE_DIR
# Needs (Debian 12 packages): freerdp2-x11 (xfreerdp), winpr-utils (winpr-hash), xvfb,
# imagemagick (import, convert), python3, openssl, curl. Installs nothing; a missing tool
# fails the test naming the package.
set -euo pipefail

BUILD_DIR=$(cd "${1:?usage: $0 BUILD_DIR SOURCE_DIR}" && pwd)
SOURCE_DIR=$(cd "${2:?usage: $0 BUILD_DIR SOURCE_DIR}" && pwd)
GW=$BUILD_DIR/rdp-gw/deskpool-gw
PROBE=$BUILD_DIR/clients/deskpool-probe/deskpool-probe
DESKTOP=$BUILD_DIR/templates/guest/desktop/deskpool-desktop
BG=1F4E79 # SCENE_BG in templates/guest/desktop/scene.h

fail() {
    echo "FAIL: $*" >&2
    for f in gw.log broker.log desk.log; do
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
need curl curl
for b in "$GW" "$PROBE" "$DESKTOP"; do
    [[ -x $b ]] || fail "$b not built: cmake --build $BUILD_DIR --target $(basename "$b")"
done

WORK=$(mktemp -d /tmp/test_gateway.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n ${KEEP:-} ]] || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
GW_PORT=$(free_port)
BROKER_PORT=$(free_port)
DESK_PORT=$(free_port)
METRICS_PORT=$(free_port)
DEADLINE=3

# --- credentials: the VM knows only the injected one (and alice, for the end-to-end TLS
# routing-token path, where the client logs into the VM itself)
ONE_TIME='0neTime!pw'
{ winpr-hash -u dpuser -p "$ONE_TIME" -f sam; winpr-hash -u alice -p secret -f sam; } >desk.sam
openssl req -x509 -newkey rsa:2048 -nodes -keyout broker.key -out broker.crt -days 2 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl rand -hex 32 >gw.key

# --- the fake broker
cat >fake_broker.py <<'EOF'
import hashlib, hmac, json, ssl, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, cert, key, keyfile, events_path, desk_port, one_time = sys.argv[1:8]
gw_key = open(keyfile).read().strip()
USERS = {"alice": "secret", "bob": "hunter2"}
ENTITLED = {"alice"}
tokens = {"good-token-1": True}
lock = threading.Lock()

def ntowfv2(user, domain, password):
    # NTOWFv2 = HMAC-MD5(NT hash, UTF-16LE(UPPER(user) + domain)); winpr-hash gives the NT hash
    nt = subprocess.run(["winpr-hash", "-u", user, "-p", password], capture_output=True,
                        text=True, check=True).stdout.strip()
    return hmac.new(bytes.fromhex(nt), (user.upper() + domain).encode("utf-16-le"),
                    hashlib.md5).hexdigest()

def record(obj):
    with lock, open(events_path, "a") as f:
        f.write(json.dumps(obj) + "\n")

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
            record({"path": self.path, "unauthorized": True})
            return self.reply(401, {"error": {"code": "unauthenticated", "message": "bad key"}})
        p = self.path
        record({"path": p, "body": req})
        if p == "/api/v1/gateway/ntlm-hash":
            u = req.get("user")
            if u not in USERS:
                return self.reply(404, {"error": {"code": "not_found", "message": "no user " + u}})
            return self.reply(200, {"ntowfv2": ntowfv2(u, req.get("domain", ""), USERS[u])})
        if p == "/api/v1/gateway/login-result" or p.startswith("/api/v1/gateway/sessions/"):
            return self.reply(204)
        if p == "/api/v1/desktops/request":
            if req.get("user") not in ENTITLED:
                return self.reply(403, {"error": {"code": "forbidden",
                                                  "message": "user %s is not entitled to any pool" % req.get("user")}})
            return self.reply(200, {"status": "ready", "session_id": 7, "vm": "vm-test",
                                    "host": "127.0.0.1", "port": int(desk_port),
                                    "username": "dpuser", "password": one_time})
        if p == "/api/v1/gateway/tokens/redeem":
            if tokens.pop(req.get("token"), None):
                return self.reply(200, {"user": "alice", "vm": "vm-test", "host": "127.0.0.1",
                                        "port": int(desk_port), "session_id": 8})
            return self.reply(403, {"error": {"code": "forbidden",
                                              "message": "token expired, replayed or forged"}})
        return self.reply(404, {"error": {"code": "not_found", "message": p}})

srv = ThreadingHTTPServer(("127.0.0.1", int(port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("fake broker listening", flush=True)
srv.serve_forever()
EOF
python3 fake_broker.py "$BROKER_PORT" broker.crt broker.key gw.key events.jsonl "$DESK_PORT" \
    "$ONE_TIME" >broker.log 2>&1 &
PIDS+=($!)

"$DESKTOP" --port "$DESK_PORT" --sam desk.sam --users desk.users --state desk-state \
    --handshake-timeout 10 >desk.out 2>desk.log &
PIDS+=($!)

cat >gw.ini <<EOF
[gateway]
listen = 127.0.0.1:$GW_PORT
state_dir = $WORK/gw-state
[broker]
url = https://127.0.0.1:$BROKER_PORT
ca = $WORK/broker.crt
key_file = $WORK/gw.key
timeout = 10
[limits]
handshake_timeout = $DEADLINE
max_per_source = 20
[metrics]
listen = 127.0.0.1:$METRICS_PORT
EOF

# --- --check-config
"$GW" --config gw.ini --check-config >check.out 2>&1 || fail "--check-config refused a good config: $(cat check.out)"
printf '[gateway]\nlisten = 127.0.0.1:%s\nbogus = 1\n' "$GW_PORT" >bad.ini
if "$GW" --config bad.ini --check-config >bad.out 2>&1; then fail "--check-config accepted an unknown key"; fi
grep -q 'unknown key "bogus"' bad.out || fail "--check-config did not name the bad key: $(cat bad.out)"
pass "--check-config"

"$GW" --config gw.ini --foreground >gw.out 2>gw.log &
PIDS+=($!)
GW_PID=$!
for _ in $(seq 50); do
    grep -q "listening on" gw.log 2>/dev/null && grep -q "listening on" desk.log 2>/dev/null &&
        grep -q "fake broker listening" broker.log 2>/dev/null && break
    sleep 0.1
done
grep -q "listening on" gw.log || fail "gateway did not start"
grep -q "listening on" desk.log || fail "deskpool-desktop did not start"
[[ -f gw-state/tls.crt && $(stat -c %a gw-state/tls.key) == 600 ]] || fail "no self-signed certificate with a 0600 key in the state folder"

probe() { # probe USER PASSWORD [options...]; prints the JSON, returns the exit code
    local user=$1 pw=$2
    shift 2
    PW=$pw timeout 60 "$PROBE" --user "$user" --password-env PW --json --timeout 30 "$@" "127.0.0.1:$GW_PORT"
}

# --- the right password: a frame from the desktop, logged in there as the injected user
rc=0
out=$(probe alice secret) || rc=$?
[[ $rc -eq 0 ]] || fail "alice through the gateway: exit $rc: $out"
grep -q 'desktop of "dpuser" is up' desk.log || fail "the desktop did not see the injected user"
grep -q '"path": "/api/v1/gateway/ntlm-hash", "body": {"user": "alice", "domain": ""}' events.jsonl ||
    fail "the gateway did not ask the broker for alice's hash"
grep -q '"user": "alice", "ok": true' events.jsonl || fail "no login-result ok=true for alice"
grep -q '"event": "connected"' events.jsonl || fail "no session connected event"
for _ in $(seq 30); do grep -q '"event": "disconnected"' events.jsonl && break; sleep 0.1; done
grep -q '"event": "disconnected", "bytes_in": [1-9]' events.jsonl || fail "no disconnected event with byte counts"
pass "alice logs in through the gateway and gets a frame ($out)"

# --- wrong password / unknown user: refused, the desktop sees nothing
desk_lines=$(wc -l <desk.log)
rc=0
out=$(probe alice wrong) || rc=$?
[[ $rc -eq 4 ]] || fail "wrong password: exit $rc, want 4: $out"
rc=0
out=$(probe mallory secret) || rc=$?
[[ $rc -eq 4 ]] || fail "unknown user: exit $rc, want 4: $out"
[[ $(wc -l <desk.log) -eq $desk_lines ]] || fail "the desktop saw a connection for a refused login: $(tail -n 3 desk.log)"
grep -q '"user": "alice", "ok": false' events.jsonl || fail "no login-result ok=false for the wrong password"
grep -q 'login of "alice" refused: wrong password' gw.log || fail "gateway did not log the wrong password"
pass "wrong password and unknown user refused (exit 4); no VM touched"

# --- no entitlement: ends after NLA, logged
rc=0
out=$(probe bob hunter2) || rc=$?
[[ $rc -ne 0 ]] || fail "bob (not entitled) got a desktop"
grep -q 'user "bob".*no desktop: user not entitled' gw.log || fail "gateway did not log why bob got no desktop"
[[ $(wc -l <desk.log) -eq $desk_lines ]] || fail "the desktop saw a connection for a user without entitlement"
pass "user without entitlement: connection ended (exit $rc), reason logged"

# --- garbage, then a silent client, then a login still works
head -c 4096 /dev/urandom >"/dev/tcp/127.0.0.1/$GW_PORT" 2>/dev/null || true
start=$(date +%s.%N)
exec 7<>"/dev/tcp/127.0.0.1/$GW_PORT"
rc=0
timeout $((DEADLINE + 5)) cat <&7 >/dev/null || rc=$?
exec 7>&-
took=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
[[ $rc -eq 0 ]] || fail "a silent client was not dropped within $((DEADLINE + 5)) s"
python3 -c "import sys; sys.exit(0 if $took >= $DEADLINE - 0.5 else 1)" || fail "silent client dropped after $took s, before the $DEADLINE s deadline"
grep -q "handshake deadline passed" gw.log || fail "gateway did not log the handshake deadline"
grep -q "not an RDP client" gw.log || fail "gateway did not log the garbage"
kill -0 "$GW_PID" || fail "gateway died"
rc=0
out=$(probe alice secret) || rc=$?
[[ $rc -eq 0 ]] || fail "login after garbage and a silent client: exit $rc: $out"
pass "garbage closed, silent client dropped after ${took}s, next login works"

# --- routing token: spliced once (end-to-end TLS: alice logs into the VM herself), then refused
rc=0
out=$(probe alice secret --load-balance-info "Cookie: msts=good-token-1") || rc=$?
[[ $rc -eq 0 ]] || fail "routing token path: exit $rc: $out"
grep -q 'routing token, end-to-end TLS' gw.log || fail "the token connection was not spliced"
rc=0
out=$(probe alice secret --load-balance-info "Cookie: msts=good-token-1") || rc=$?
[[ $rc -ne 0 ]] || fail "a replayed routing token got through"
grep -q 'routing token refused (token expired, replayed or forged)' gw.log || fail "replayed token not logged"
pass "routing token spliced once, replay refused"

# --- xfreerdp: /sec:rdp refused; under Xvfb the desktop shows through the gateway
exec 5>display
Xvfb -displayfd 5 -screen 0 1280x1024x24 -nolisten tcp >xvfb.log 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s display ]] && break; sleep 0.1; done
[[ -s display ]] || fail "Xvfb did not start: $(cat xvfb.log)"
export DISPLAY=:$(head -n1 display)
XF=(xfreerdp "/v:127.0.0.1:$GW_PORT" /cert:ignore /size:1024x768)
rc=0
timeout 60 "${XF[@]}" /u:alice /p:secret /sec:rdp >xf-rdp.log 2>&1 || rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "/sec:rdp: xfreerdp exit $rc, want a refusal"
grep -q "HYBRID_REQUIRED_BY_SERVER" xf-rdp.log || fail "/sec:rdp not refused in negotiation: $(tail -n 3 xf-rdp.log)"
pass "/sec:rdp refused with HYBRID_REQUIRED_BY_SERVER"

"${XF[@]}" /u:alice /p:secret >xf-ok.log 2>&1 &
XF_PID=$!
PIDS+=($XF_PID)
ups=$(grep -c 'desktop of "dpuser" is up' desk.log || true)
for _ in $(seq 300); do
    [[ $(grep -c 'desktop of "dpuser" is up' desk.log || true) -gt $ups ]] && break
    kill -0 "$XF_PID" 2>/dev/null || break
    sleep 0.1
done
[[ $(grep -c 'desktop of "dpuser" is up' desk.log || true) -gt $ups ]] || fail "xfreerdp did not get a desktop: $(tail -n 5 xf-ok.log)"
sleep 2
import -window root shot.png || fail "screenshot failed"
mkdir -p "$BUILD_DIR/test-artifacts"
cp shot.png "$BUILD_DIR/test-artifacts/gateway_xfreerdp.png"
convert shot.png -crop 1024x768+0+0 +repage win.png
bg=$(convert win.png -fill black +opaque "#$BG" -fill white -opaque "#$BG" -format "%[fx:int(mean*w*h+0.5)]" info:)
colours=$(convert win.png -format %k info:)
((bg >= 1024 * 768 / 20)) || fail "only $bg pixels of #$BG in the xfreerdp window ($colours colours)"
((colours >= 5)) || fail "only $colours colours in the xfreerdp window"
kill "$XF_PID" 2>/dev/null || true
pass "xfreerdp through the gateway shows the desktop ($bg background pixels, $colours colours; $BUILD_DIR/test-artifacts/gateway_xfreerdp.png)"

# --- metrics and secrets
m=$(curl -sf "http://127.0.0.1:$METRICS_PORT/metrics") || fail "no /metrics"
grep -q '^deskpool_gw_logins_ok [3-9]' <<<"$m" || fail "metrics: logins_ok below 3: $(grep logins_ok <<<"$m")"
grep -q '^deskpool_gw_logins_failed [2-9]' <<<"$m" || fail "metrics: logins_failed below 2"
grep -q '^deskpool_gw_negotiation_refused [1-9]' <<<"$m" || fail "metrics: /sec:rdp not counted"
grep -q '^deskpool_gw_handshake_timeouts [1-9]' <<<"$m" || fail "metrics: handshake timeout not counted"
grep -q '^deskpool_gw_handshake_seconds_count [1-9]' <<<"$m" || fail "metrics: no handshake latency"
pass "metrics count logins, refusals, timeouts and latency"

kill -TERM "$GW_PID"
rc=0
wait "$GW_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "gateway exited $rc on SIGTERM"
for s in secret "$ONE_TIME" hunter2 "$(cat gw.key)"; do
    ! grep -qF -- "$s" gw.log || fail "the gateway log holds a secret"
done
pass "gateway stopped cleanly; its log holds no password, one-time credential or key"
echo PASS
