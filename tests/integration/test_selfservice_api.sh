#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Self-service end to end (docs/API.md "Self-service"): the real deskpoold with its pool
# manager and tiny VMs, the real deskpool-gw, and deskpool-probe as the RDP client.
#   - /me, /me/desktops, /logout over HTTPS with a bearer session, and with the portal's
#     cookie + CSRF header (missing or wrong CSRF: 403, nothing done); lockout
#   - connect: a signed one-time routing token and a .rdp file; the gateway redeems it
#     exactly once; the probe logs in through the gateway with the user's OWN password
#     (NLA end to end with the VM: the broker set the user's NT hash there)
#   - reset and restart: only the desktop's own user (someone else: 403, nothing changes),
#     only where the pool allows it (403), a personal reset needs confirm (409), idempotent
#     while it runs, audited; the desktop comes back ready on a fresh disk
#   - no password, NT hash or token in the broker's or the gateway's log
# Args: BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$@"

DPD="$BUILD/broker/daemon/deskpoold"
GW="$BUILD/rdp-gw/deskpool-gw"
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
for b in "$DPD" "$GW" "$PROBE"; do
    [ -x "$b" ] || fail "$b is not built (cmake --build $BUILD --target deskpoold deskpool-gw deskpool-probe)"
done
# Short: unix socket paths are limited to 108 bytes.
T=$(mktemp -d /tmp/dpss-XXXXXX)
chmod 755 "$T"
DPID= GWPID=
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
GW_PORT=$(free_port)

cleanup() {
    # Best effort, every step: a process already gone must not stop the rest (set -e).
    set +e
    [ -n "$GWPID" ] && kill "$GWPID" 2>/dev/null
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
log_level = debug
gateway_address = gw.example.test:3389
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
KEY=$(cat "$T/st/gateway.key")

# api METHOD PATH [BODY]: the admin socket. https METHOD PATH [BODY] [TOKEN] [curl args...]
api() {
    local args=(-s -o "$T/out" -w '%{http_code}' -X "$1" --unix-socket "$T/d.sock")
    [ $# -ge 3 ] && args+=(--data-binary "$3")
    CODE=$(curl "${args[@]}" "http://deskpool/api/v1$2")
    OUT=$(cat "$T/out")
}
https() {
    local args=(-sk -D "$T/hdr" -o "$T/out" -w '%{http_code}' -X "$1")
    [ -n "${3:-}" ] && args+=(--data-binary "$3")
    [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
    CODE=$(curl "${args[@]}" "${@:5}" "https://127.0.0.1:$PORT/api/v1$2")
    OUT=$(cat "$T/out")
}
expect() {
    local want="$1"
    shift
    [ "$CODE" = "$want" ] || fail "expected $want, got $CODE: $OUT"
    for t in "$@"; do
        case "$OUT" in *"$t"*) ;; *) fail "answer $CODE lacks \"$t\": $OUT" ;; esac
    done
}
j() { jq -r "$1" <<<"$OUT"; }
vm_json() { api GET "/vms/$1"; echo "$OUT"; }
vm_state() { vm_json "$1" | jq -r .state; }
wait_vm_state() { # NAME STATE SECONDS
    local deadline=$((SECONDS + $3))
    until [ "$(vm_state "$1")" = "$2" ]; do
        [ $SECONDS -lt $deadline ] || fail "VM $1 not $2 within $3 s (it is $(vm_state "$1"))"
        sleep 0.3
    done
}
disk_inode() { stat -c %i "$T/st/vms/$1/disk.qcow2"; }

# --- setup: template, a personal pool that allows resets, a pooled one that does not -----
api POST /templates/tiny/build
expect 201
api POST /pools '{"name":"lab","template":"tiny","type":"personal","max":2,"spare":1,"allow_user_reset":true}'
expect 201
api POST /pools '{"name":"locked","template":"tiny","type":"pooled","max":1,"spare":1,"allow_user_reset":false}'
expect 201
api POST /users '{"name":"alice","password":"Alice-pw-1"}'
expect 201
api POST /users '{"name":"bob","password":"Bob-pw-1"}'
expect 201
api POST /users '{"name":"carol","password":"Carol-pw-1"}'
expect 201
for e in '{"pool":"lab","user":"alice"}' '{"pool":"locked","user":"alice"}' '{"pool":"lab","user":"bob"}'; do
    api POST /entitlements "$e"
    expect 201
done
pass "setup: pools lab (personal, user reset) and locked (pooled, no user reset); alice, bob, carol"

# --- sessions: bearer login, who am I, unauthenticated and wrong callers -------------------
https GET /me
expect 401 '"unauthenticated"' 'log in'
https GET /me "" "$KEY"
expect 403 '"forbidden"'
https POST /login '{"user":"alice","password":"Alice-pw-1"}'
expect 200
A=$(j .token)
https POST /login '{"user":"bob","password":"Bob-pw-1"}'
expect 200
B=$(j .token)
https GET /me "" "$A"
expect 200 '"user":"alice"' '"default_pool":null'
[ "$(j '.pools | sort | join(",")')" = "lab,locked" ] || fail "alice's pools: $OUT"
https GET /me/desktops "" "$A"
expect 200
[ "$(j '.items | length')" = 2 ] || fail "two entitled pools, two items: $OUT"
[ "$(j '.items[] | select(.pool=="lab") | "\(.id) \(.state) \(.pool_type) \(.allow_reset)"')" = "null none personal true" ] ||
    fail "lab before connecting: $OUT"
[ "$(j '.items[] | select(.pool=="locked") | .allow_reset')" = false ] || fail "locked allow_reset: $OUT"
api GET /me
expect 404
pass "GET /me, /me/desktops; 401 without a login, 403 for the gateway key, HTTPS only"

# --- connect: routing token + .rdp -------------------------------------------------------
https POST /desktops/connect '{}' "$A"
expect 400 'lab' 'locked'
https POST /desktops/connect '{"pool":"nope"}' "$A"
expect 404
https POST /desktops/connect '{"pool":"locked"}' "$B"
expect 403 '"forbidden"'
connect() { # TOKEN POOL: until 200 (VMs boot), at most 120 s
    local deadline=$((SECONDS + 120))
    while :; do
        https POST /desktops/connect "{\"pool\":\"$2\"}" "$1"
        [ "$CODE" = 200 ] && return 0
        [ "$CODE" = 202 ] || fail "connect $2: $CODE $OUT"
        [ $SECONDS -lt $deadline ] || fail "connect $2: still starting after 120 s"
        sleep 1
    done
}
connect "$A" lab
TOK=$(j .token)
VM_A=$(j .vm)
[[ $TOK =~ ^[A-Za-z0-9_-]{43}\.[0-9]+\.[0-9]+\.[0-9]+\.[A-Za-z0-9_-]{43}$ ]] || fail "token shape: $TOK"
[ "$(j .gateway)" = gw.example.test:3389 ] || fail "gateway: $OUT"
exp=$(j .expires)
((exp > $(date +%s) && exp <= $(date +%s) + 61)) || fail "expires $exp is not within 60 s"
grep -q '^Cache-Control: no-store' "$T/hdr" || fail "connect answer may be cached"
RDP=$(j .rdp_file)
grep -q "^full address:s:gw.example.test:3389"$'\r'"$" <<<"$RDP" || fail "rdp full address: $RDP"
grep -q "^loadbalanceinfo:s:Cookie: msts=$TOK"$'\r'"$" <<<"$RDP" || fail "rdp loadbalanceinfo: $RDP"
grep -q "^username:s:alice"$'\r'"$" <<<"$RDP" || fail "rdp username: $RDP"
pass "connect: alice gets $VM_A, token RAW.USER.VM.EXPIRES.MAC valid 60 s, .rdp with gateway, token, user"

# The gateway's redeem: once, then never again; a changed token never.
[ "${TOK: -1}" = A ] && other=B || other=A
https POST /gateway/tokens/redeem "{\"token\":\"${TOK%?}$other\"}" "$KEY"
expect 403
https POST /gateway/tokens/redeem "{\"token\":\"$TOK\"}" "$KEY"
expect 200 '"user":"alice"' "\"vm\":\"$VM_A\"" '"host":"127.0.0.1"'
https POST /gateway/tokens/redeem "{\"token\":\"$TOK\"}" "$KEY"
expect 403
https POST /gateway/tokens/redeem "{\"token\":\"$TOK\"}" "$A"
expect 403
pass "redeem: a tampered token 403, the token once (200), a replay 403; users may not redeem"

# .rdp download (bearer), and end to end through the real gateway with alice's own password.
https GET "/desktops/connect.rdp?pool=lab" "" "$A"
expect 200 'loadbalanceinfo:s:Cookie: msts=' 'username:s:alice'
grep -qi '^Content-Type: application/x-rdp' "$T/hdr" || fail ".rdp content type: $(cat "$T/hdr")"
grep -qi '^Content-Disposition: attachment; filename="lab.rdp"' "$T/hdr" || fail ".rdp disposition"
TOK2=$(sed -n 's/^loadbalanceinfo:s:Cookie: msts=\([^\r]*\)\r$/\1/p' "$T/out")
[ -n "$TOK2" ] || fail "no token in the .rdp file"
cat >"$T/gw.ini" <<EOF
[gateway]
listen = 127.0.0.1:$GW_PORT
state_dir = $T/gw-state
[broker]
url = https://127.0.0.1:$PORT
ca = $T/st/tls/cert.pem
key_file = $T/st/gateway.key
timeout = 20
[metrics]
listen =
EOF
"$GW" --config "$T/gw.ini" --foreground >"$T/gw.out" 2>"$T/gw.log" &
GWPID=$!
for _ in $(seq 50); do grep -q "listening on" "$T/gw.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$T/gw.log" || { cat "$T/gw.log" >&2; fail "deskpool-gw did not start"; }
PW='Alice-pw-1' timeout 60 "$PROBE" --user alice --password-env PW --json --timeout 40 \
    --load-balance-info "Cookie: msts=$TOK2" "127.0.0.1:$GW_PORT" >"$T/probe.json" 2>"$T/probe.err" ||
    { cat "$T/probe.err" "$T/gw.log" >&2; fail "probe through the gateway with the .rdp token: $(cat "$T/probe.json")"; }
grep -q "routing token of \"alice\" -> vm $VM_A" "$T/gw.log" || fail "gateway did not splice alice to $VM_A: $(tail -5 "$T/gw.log")"
PW='Alice-pw-1' timeout 60 "$PROBE" --user alice --password-env PW --json --timeout 20 \
    --load-balance-info "Cookie: msts=$TOK2" "127.0.0.1:$GW_PORT" >"$T/probe2.json" 2>&1 &&
    fail "the same .rdp token worked twice"
pass "the .rdp token logs alice in through deskpool-gw with her own password (NLA end to end); a second use is refused"

# xfreerdp 2.11 opens the .rdp file itself (its loadbalanceinfo goes out verbatim + CRLF);
# /v: points it at this test's gateway instead of gw.example.test.
https GET "/desktops/connect.rdp?pool=lab" "" "$A"
expect 200
cp "$T/out" "$T/lab.rdp"
splices=$(grep -c "routing token of \"alice\"" "$T/gw.log" || true)
PW_ARG="/p:Alice-pw-1"
timeout 60 xvfb-run -a xfreerdp "$T/lab.rdp" "/v:127.0.0.1:$GW_PORT" "$PW_ARG" /cert:ignore \
    +auth-only >"$T/xf.log" 2>&1 || { tail -20 "$T/xf.log" >&2; fail "xfreerdp with the .rdp file did not log in"; }
[ "$(grep -c "routing token of \"alice\"" "$T/gw.log")" -gt "$splices" ] ||
    fail "xfreerdp's connection did not use the routing token: $(tail -3 "$T/gw.log")"
pass "xfreerdp opens the .rdp file: token redeemed at the gateway, NLA with alice's password accepted (+auth-only)"


# --- forbidden: someone else's desktop, a pool without user reset -------------------------
https GET /me/desktops "" "$A"
ID_A=$(j '.items[] | select(.pool=="lab") | .id')
[ "$(j '.items[] | select(.pool=="lab") | .vm')" = "$VM_A" ] || fail "lab desktop of alice: $OUT"
[[ $ID_A =~ ^[0-9]+$ ]] || fail "desktop id: $OUT"
[ "$(j '.items[] | select(.pool=="lab") | .session.state')" != null ] || fail "no session shown: $OUT"
state0=$(vm_state "$VM_A")
inode0=$(disk_inode "$VM_A")
pid0=$(cat "$T/st/vms/$VM_A/qemu.pid")
api GET "/events?limit=1"
evb=$(jq '.items[-1].id' <<<"$OUT")
# Nothing happened to VM_A since event evb: no state change, no reset or restart request.
untouched() {
    api GET "/events?since=$evb&limit=1000"
    jq -e '[.items[] | select(.object=="vm:'"$VM_A"'")] | length == 0' <<<"$OUT" >/dev/null &&
        [ "$(vm_state "$VM_A")" = "$state0" ] && [ "$(disk_inode "$VM_A")" = "$inode0" ] &&
        [ "$(cat "$T/st/vms/$VM_A/qemu.pid")" = "$pid0" ]
}
https POST "/desktops/$ID_A/reset" '{"confirm":true}' "$B"
expect 403 '"forbidden"' 'not yours'
https POST "/desktops/$VM_A/reset" '{"confirm":true}' "$B"
expect 403
https POST "/desktops/$ID_A/restart" '{}' "$B"
expect 403
https POST "/desktops/999999/reset" '{"confirm":true}' "$B"
expect 403
sleep 1
untouched || fail "bob's refused calls changed $VM_A"
https POST "/desktops/$ID_A/reset" '{}' "$A"
expect 409 '"code":"conflict"' 'confirm'
https POST "/desktops/$ID_A/reset" '{"confirm":"yes"}' "$A"
expect 400 'confirm'
untouched || fail "a reset without confirm changed $VM_A"
pass "bob on alice's desktop: 403 (by id, by name, restart, unknown id) and nothing changed; personal reset without confirm: 409"

connect "$A" locked
VM_L=$(j .vm)
https GET /me/desktops "" "$A"
ID_L=$(j '.items[] | select(.pool=="locked") | .id')
[[ $ID_L =~ ^[0-9]+$ ]] || fail "locked desktop id: $OUT"
sl=$(vm_state "$VM_L")
https POST "/desktops/$ID_L/reset" '{"confirm":true}' "$A"
expect 403 'does not let users reset'
https POST "/desktops/$ID_L/restart" '{}' "$A"
expect 403 'does not let users reset'
[ "$(vm_state "$VM_L")" = "$sl" ] || fail "a refused reset changed $VM_L"
pass "pool locked forbids user resets and restarts: 403, $VM_L untouched"

# --- reset: idempotent while it runs, audited, back ready on a fresh disk ------------------
api GET "/events?limit=1"
ev0=$(jq '.items[-1].id' <<<"$OUT")
pid0=$(cat "$T/st/vms/$VM_A/qemu.pid")
https POST "/desktops/$ID_A/reset" '{"confirm":true}' "$A"
expect 202 '"state":"refreshing"' "\"vm\":\"$VM_A\""
https POST "/desktops/$ID_A/reset" '{"confirm":true}' "$A"
expect 202 '"state":"refreshing"'
# The VM's own trail: to refreshing (reset), a fresh disk, then starting -> ready. (A file's
# inode is no proof: a new overlay may get the old one's number.)
vm_trail() {
    api GET "/events?since=$ev0&limit=1000"
    jq -r '.items[] | select(.object=="vm:'"$VM_A"'") | "\(.action) \(.detail.from // "") \(.detail.to // "") \(.detail.reason // "")"' <<<"$OUT"
}
deadline=$((SECONDS + 120))
while :; do
    https GET /me/desktops "" "$A"
    st=$(j '.items[] | select(.pool=="lab") | .state')
    trail=$(vm_trail)
    [ "$st" = ready ] && grep -q '^vm.state starting ready' <<<"$trail" && break
    [ $SECONDS -lt $deadline ] || fail "alice's desktop did not come back ready after reset (state $st): $trail"
    sleep 0.5
done
grep -q '^vm.state [a-z_]* refreshing reset$' <<<"$trail" || fail "no refresh by reset in: $trail"
grep -q '^desktop.reset_requested' <<<"$trail" || fail "reset not audited: $trail"
api GET "/events?since=$ev0&limit=1000"
jq -e '[.items[] | select(.action=="desktop.reset_requested" and .actor=="user:alice")] | length == 1' <<<"$OUT" >/dev/null ||
    fail "one reset, audited once as user:alice: $(jq -c '[.items[] | select(.action|startswith("desktop."))]' <<<"$OUT")"
[ "$(cat "$T/st/vms/$VM_A/qemu.pid")" != "$pid0" ] || fail "the reset did not start a new QEMU process"
https GET /me/desktops "" "$A"
[ "$(j '.items[] | select(.pool=="lab") | .vm')" = "$VM_A" ] || fail "a personal reset must keep the desktop: $OUT"
[ "$(j '.items[] | select(.pool=="lab") | .session')" = null ] || fail "the reset did not log alice off: $OUT"
pass "reset: 202 twice (one reset, idempotent), audited as user:alice, $VM_A refreshed and ready again on a new QEMU, session ended"

# --- restart: off and on again, disk kept ---------------------------------------------------
api GET "/events?limit=1"
ev1=$(jq '.items[-1].id' <<<"$OUT")
pid1=$(cat "$T/st/vms/$VM_A/qemu.pid")
https POST "/desktops/$ID_A/restart" '{}' "$A"
expect 202 '"state":"restarting"'
deadline=$((SECONDS + 120))
until [ "$(vm_state "$VM_A")" = ready ] && [ -f "$T/st/vms/$VM_A/qemu.pid" ] &&
    [ "$(cat "$T/st/vms/$VM_A/qemu.pid")" != "$pid1" ]; do
    [ $SECONDS -lt $deadline ] || fail "restart: $VM_A not ready on a new QEMU process within 120 s ($(vm_state "$VM_A"))"
    sleep 0.5
done
api GET "/events?limit=300"
jq -e '[.items[] | select(.object=="vm:'"$VM_A"'" and .action=="vm.state" and .detail.to=="refreshing" and .id > '"$ev1"')] | length == 0' <<<"$OUT" >/dev/null ||
    fail "restart refreshed the disk"
api GET "/events?limit=300"
jq -e '[.items[] | select(.action=="desktop.restart_requested" and .actor=="user:alice")] | length >= 1' <<<"$OUT" >/dev/null ||
    fail "restart not audited"
pass "restart: $VM_A powered off and on (new QEMU process), same disk, audited"

# --- admin on the socket may act on any desktop ---------------------------------------------
api POST "/desktops/$VM_A/restart" '{}'
expect 202
api POST "/desktops/nope/reset" '{"confirm":true}'
expect 404
pass "admin (socket) restarts any desktop; unknown desktop 404"

# --- the portal's cookie session: CSRF, logout, lockout --------------------------------------
https POST /portal/login '{"user":"alice","password":"Alice-pw-1"}' "" -H 'Content-Type: text/plain'
expect 400 'application/json'
https POST /portal/login '{"user":"alice","password":"Alice-pw-1"}' "" -H 'Content-Type: application/json' -c "$T/jar"
expect 200 '"csrf_token":"' '"user":"alice"'
CSRF=$(j .csrf_token)
grep -i '^Set-Cookie: deskpool_session=' "$T/hdr" | grep -q 'Secure; HttpOnly; SameSite=Strict' ||
    fail "session cookie flags: $(grep -i set-cookie "$T/hdr")"
grep -qi '^Set-Cookie:.*Max-Age=28800' "$T/hdr" || fail "cookie expiry"
case "$OUT" in *"$(grep -o 'deskpool_session=[^;]*' "$T/hdr" | cut -d= -f2)"*) fail "the session token is in the body" ;; esac
https GET /me/desktops "" "" -b "$T/jar"
expect 200 "\"vm\":\"$VM_A\""
https POST /desktops/connect '{"pool":"lab"}' "" -b "$T/jar"
expect 403 'X-CSRF-Token'
https POST /desktops/connect '{"pool":"lab"}' "" -b "$T/jar" -H "X-CSRF-Token: ${CSRF%?}x"
expect 403 'X-CSRF-Token'
https GET "/desktops/connect.rdp?pool=lab" "" "" -b "$T/jar"
expect 403 'X-CSRF-Token'
https POST "/desktops/$ID_A/reset" '{"confirm":true}' "" -b "$T/jar"
expect 403 'X-CSRF-Token'
https POST /logout '' "" -b "$T/jar"
expect 403
https GET /me "" "" -b "$T/jar"
expect 200
https POST /logout '' "" -b "$T/jar" -H "X-CSRF-Token: $CSRF"
expect 204
grep -qi '^Set-Cookie: deskpool_session=; .*Max-Age=0' "$T/hdr" || fail "logout did not clear the cookie"
https GET /me "" "" -b "$T/jar"
expect 401
https POST /logout '' "$A"
expect 204
https GET /me "" "$A"
expect 401
pass "portal: cookie Secure/HttpOnly/SameSite=Strict with expiry, CSRF required (missing/wrong: 403), logout revokes (cookie and bearer)"

for i in 1 2 3 4 5; do
    https POST /portal/login '{"user":"carol","password":"wrong"}' "" -H 'Content-Type: application/json'
    expect 401
done
https POST /portal/login '{"user":"carol","password":"Carol-pw-1"}' "" -H 'Content-Type: application/json'
expect 401 'locked'
pass "lockout: 5 failures lock carol; the right password is then refused"

# --- secrets stay out of the logs ----------------------------------------------------------
NT=$(winpr-hash -u alice -p Alice-pw-1 2>/dev/null || true)
for s in Alice-pw-1 Bob-pw-1 Carol-pw-1 "$TOK" "$TOK2" "$A" "$CSRF" ${NT:+"$NT"}; do
    grep -qF -- "$s" "$T/log" "$T/gw.log" && fail "a secret (${s:0:6}...) is in a log"
done
pass "no password, NT hash, session, CSRF or routing token in the broker's or the gateway's log"

# deskpool-connect end to end: logs in to the broker, lists, then gets a routing token and
# runs xfreerdp through the gateway, the password going to xfreerdp on stdin only. The
# broker's gateway_address is a placeholder here, so a wrapper points /v: at this gateway.
CONNECT="$BUILD/clients/deskpool-connect/deskpool-connect"
cat >"$T/xf-wrap" <<WRAP
#!/bin/bash
args=()
for a in "\$@"; do case "\$a" in /v:*) args+=("/v:127.0.0.1:$GW_PORT") ;; *) args+=("\$a") ;; esac; done
# A session still up after 12 s logged in (a refused login ends xfreerdp at once).
timeout 12 xvfb-run -a xfreerdp "\${args[@]}"
rc=\$?
[ \$rc = 124 ] && exit 0 || exit \$rc
WRAP
chmod +x "$T/xf-wrap"
DC=("$CONNECT" --broker "https://127.0.0.1:$PORT" --insecure --no-save --user alice
    --password-env ALICE_PW)
ALICE_PW='Alice-pw-1' "${DC[@]}" --list --json >"$T/dc-list.json" 2>"$T/dc.err" ||
    fail "deskpool-connect --list: $(cat "$T/dc.err")"
grep -q '"lab"' "$T/dc-list.json" || fail "deskpool-connect --list lacks pool lab: $(cat "$T/dc-list.json")"
splices=$(grep -c "routing token of \"alice\"" "$T/gw.log" || true)
ALICE_PW='Alice-pw-1' "${DC[@]}" --client "$T/xf-wrap" --wait 120 lab \
    >"$T/dc-run.log" 2>&1 || { tail -20 "$T/dc-run.log" >&2; fail "deskpool-connect did not log alice in"; }
[ "$(grep -c "routing token of \"alice\"" "$T/gw.log")" -gt "$splices" ] ||
    fail "deskpool-connect's xfreerdp did not use a routing token: $(tail -3 "$T/gw.log")"
grep -q "Alice-pw-1" "$T/dc-run.log" && fail "the password showed up in deskpool-connect's output"
set +e
ALICE_PW='wrong' "${DC[@]}" --list >/dev/null 2>&1
rc=$?
set -e
[ $rc = 4 ] || fail "deskpool-connect with a wrong password: exit $rc, want 4"
pass "deskpool-connect: --list, connect through the gateway with a routing token (xfreerdp stays logged in, NLA with alice's password), wrong password exit 4"
