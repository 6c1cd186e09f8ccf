#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The web portal in a real browser: deskpoold serves it over HTTPS with a personal pool of
# tiny VMs; headless Chromium (Debian's chromium, driven by playwright-core from npm,
# installed under the build dir) logs in with the keyboard, sees the desktop list, connects
# (.rdp download), resets the desktop through the confirm dialog and sees it come back
# ready, checks the small-screen layout and logs out (tests/integration/portal/).
# Screenshots: BUILD/test-artifacts/portal.png (and portal-*.png).
# Needs: chromium, nodejs with npm, and the npm registry the first time.
# Args: BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$@"

DPD="$BUILD/broker/daemon/deskpoold"
[ -x "$DPD" ] || fail "$DPD is not built (cmake --build $BUILD --target deskpoold)"
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium: apt-get install chromium"
command -v node >/dev/null && command -v npm >/dev/null || fail "no node/npm: apt-get install nodejs npm"
ART="$BUILD/test-artifacts"
mkdir -p "$ART"
rm -f "$ART"/portal*.png

# playwright-core only (it drives the system's chromium; no browser download), pinned.
NODE_DIR="$BUILD/portal-node"
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
    mkdir -p "$NODE_DIR"
    (cd "$NODE_DIR" && npm install --no-audit --no-fund --no-save playwright-core@1.49.1 >npm.log 2>&1) ||
        fail "npm install playwright-core failed (registry reachable?): $(tail -5 "$NODE_DIR/npm.log")"
fi
cp "$SRC/tests/integration/portal/portal_test.mjs" "$NODE_DIR/"

T=$(mktemp -d /tmp/dppb-XXXXXX)
chmod 755 "$T"
DPID=
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
    # Best effort, every step: a process already gone must not stop the rest (set -e).
    set +e
    if [ -n "$DPID" ]; then
        kill "$DPID" 2>/dev/null
        wait "$DPID" 2>/dev/null
    fi
    for pidfile in "$T"/st/vms/*/qemu.pid; do
        [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
    done
    if [ -n "${KEEP_FAILED:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

ensure_tiny
mkdir -p "$T/st/cache"
cp -a "$STATE/cache/tiny" "$T/st/cache/"
cat >"$T/deskpool.conf" <<CONF
[broker]
state_dir = $T/st
socket = $T/d.sock
pidfile = $T/d.pid
[https]
listen = 127.0.0.1:$PORT
[pool]
tick_ms = 200
CONF
"$DPD" --config "$T/deskpool.conf" --foreground >>"$T/log" 2>&1 &
DPID=$!
for _ in $(seq 100); do
    curl -s --unix-socket "$T/d.sock" http://x/api/v1/status >/dev/null 2>&1 && break
    alive "$DPID" || { cat "$T/log" >&2; fail "deskpoold exited at start"; }
    sleep 0.1
done
api() {
    local code
    code=$(curl -s -o "$T/out" -w '%{http_code}' -X "$1" --unix-socket "$T/d.sock" \
        ${3:+--data-binary "$3"} "http://deskpool/api/v1$2")
    [ "$code" = "$4" ] || fail "$1 $2: expected $4, got $code: $(cat "$T/out")"
}
api POST /templates/tiny/build "" 201
api POST /pools '{"name":"lab","template":"tiny","type":"personal","max":1,"spare":1,"allow_user_reset":true}' 201
api POST /users '{"name":"alice","password":"Alice-pw-1","display_name":"Alice"}' 201
api POST /entitlements '{"pool":"lab","user":"alice"}' 201
pass "deskpoold on https://127.0.0.1:$PORT/portal/ with personal pool lab for alice"

timeout 400 node "$NODE_DIR/portal_test.mjs" "https://127.0.0.1:$PORT/" alice Alice-pw-1 "$ART" ||
    { tail -20 "$T/log" >&2; fail "the portal test failed (screenshot: $ART/portal-failure.png)"; }
[ -s "$ART/portal.png" ] || fail "no screenshot $ART/portal.png"
curl -s --unix-socket "$T/d.sock" "http://x/api/v1/events?limit=1000" >"$T/events"
jq -e '[.items[] | select(.action=="desktop.reset_requested" and .actor=="user:alice")] | length == 1' "$T/events" >/dev/null ||
    fail "the portal's reset was not audited once as user:alice"
jq -e '[.items[] | select(.action=="vm.state" and .detail.to=="refreshing" and .detail.reason=="reset")] | length == 1' "$T/events" >/dev/null ||
    fail "the portal's reset did not refresh the desktop"
grep -q "Alice-pw-1" "$T/log" && fail "the password is in the broker's log"
pass "portal: login, list, connect (.rdp), reset with confirm back to ready, small screen, logout; screenshots in $ART/portal*.png"
