#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# deskpoold's HTTP API end to end: the real daemon, the real pool manager, sqlite, TLS, and
# QEMU for the one desktop request that needs a VM. Every endpoint's happy path, the bad
# input the broker must refuse (changing nothing), HTTPS with and without the gateway key,
# and a store that survives kill -9.
# Args: BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$@"

DPD="$BUILD/broker/daemon/deskpoold"
[ -x "$DPD" ] || fail "$DPD is not built (cmake --build $BUILD --target deskpoold)"
T=$(mktemp -d /tmp/dp-api-XXXXXX)
chmod 755 "$T"
DPID=
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
    # VMs the pool manager made live in this test's state dir: destroy them all.
    if [ -d "$T/state/vms" ]; then
        for vm in "$T"/state/vms/*/; do
            [ -d "$vm" ] && "$HV_BIN" --state "$T/state" vm destroy "$(basename "$vm")" >/dev/null 2>&1
        done
    fi
    cleanup_vms
    if [ -n "${KEEP_FAILED:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

cat >"$T/deskpool.conf" <<CONF
# test config
[broker]
state_dir = $T/state
socket = $T/run/deskpoold.sock
pidfile = $T/run/deskpoold.pid
log_level = debug
[https]
listen = 127.0.0.1:$PORT
[pool]
tick_ms = 200
CONF

start() {
    "$DPD" --config "$T/deskpool.conf" --foreground >>"$T/log" 2>&1 &
    DPID=$!
    for _ in $(seq 100); do
        [ -S "$T/run/deskpoold.sock" ] && curl -s --unix-socket "$T/run/deskpoold.sock" \
            http://x/api/v1/status >/dev/null 2>&1 && return 0
        kill -0 "$DPID" 2>/dev/null || { cat "$T/log" >&2; fail "deskpoold exited at start"; }
        sleep 0.1
    done
    cat "$T/log" >&2
    fail "deskpoold did not answer on its socket within 10 s"
}

# api METHOD PATH [BODY]: calls the admin socket; the status goes to $CODE, the body to $OUT.
api() {
    local args=(-s -o "$T/out" -w '%{http_code}' -X "$1" --unix-socket "$T/run/deskpoold.sock")
    [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    CODE=$(curl "${args[@]}" "http://deskpool/api/v1$2")
    OUT=$(cat "$T/out")
}
# https METHOD PATH [BODY] [TOKEN]
https() {
    local args=(-sk -o "$T/out" -w '%{http_code}' -X "$1")
    [ -n "${3:-}" ] && args+=(--data-binary "$3")
    [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
    CODE=$(curl "${args[@]}" "https://127.0.0.1:$PORT/api/v1$2")
    OUT=$(cat "$T/out")
}
# expect STATUS [TEXT...]: the last call answered STATUS and its body holds every TEXT.
expect() {
    local want="$1"
    shift
    [ "$CODE" = "$want" ] || fail "expected $want, got $CODE: $OUT"
    for t in "$@"; do
        case "$OUT" in *"$t"*) ;; *) fail "answer $CODE lacks \"$t\": $OUT" ;; esac
    done
}
# An error body is {"error": {"code", "message"}} with a message.
expect_error() {
    expect "$1" "\"code\":\"$2\"" '"message":"'
    shift 2
    for t in "$@"; do
        case "$OUT" in *"$t"*) ;; *) fail "error lacks \"$t\": $OUT" ;; esac
    done
}
j() { jq -r "$1" <<<"$OUT"; }

# --- config errors are caught before anything starts --------------------------------------
printf '[broker]\nstate_dir = /x\n[pool]\ntick = 5\n' >"$T/bad.conf"
if "$DPD" --config "$T/bad.conf" --check-config 2>"$T/err"; then fail "bad config accepted"; fi
grep -q "bad.conf:4: .*\"tick\"" "$T/err" || fail "config error lacks file:line and key: $(cat "$T/err")"
"$DPD" --config "$T/deskpool.conf" --check-config >/dev/null || fail "good config refused"
pass "config: unknown key named with file:line; --check-config"

start
pass "deskpoold started (https on 127.0.0.1:$PORT)"
[ "$(stat -c %a "$T/state/gateway.key")" = 600 ] || fail "gateway key not 0600"
[ "$(stat -c %a "$T/state/tls/key.pem")" = 600 ] || fail "TLS key not 0600"
[ "$(stat -c %a "$T/run/deskpoold.sock")" = 660 ] || fail "socket not 0660"
openssl x509 -in "$T/state/tls/cert.pem" -noout -text | grep -q "RSA Public-Key: (2048 bit)\|Public-Key: (2048 bit)" ||
    fail "certificate is not RSA-2048"
pass "first start made gateway key, TLS key (0600) and a 2048-bit self-signed certificate"

api GET /status
expect 200 '"version":"' '"mem_total_mb":' '"sessions_live":0'
KEY=$(cat "$T/state/gateway.key")

# --- templates -----------------------------------------------------------------------------
qemu-img create -q -f qcow2 "$T/img.qcow2" 64M
api POST /templates "{\"name\":\"t1\",\"image\":\"$T/img.qcow2\",\"memory_mb\":256}"
expect 201 '"name":"t1"' '"version":1' '"memory_mb":256'
api GET /templates
expect 200 '"items":[' '"name":"t1"'
api GET /templates/t1
expect 200 '"sha256":"'
api GET /templates/nope
expect_error 404 not_found '\"nope\"'
api POST /templates "{\"name\":\"t2\",\"image\":\"$T/missing.qcow2\"}"
expect_error 400 bad_request 'missing.qcow2'
api GET /templates/t2
expect_error 404 not_found
api POST /templates "{\"name\":\"Bad Name\",\"image\":\"$T/img.qcow2\"}"
expect_error 400 bad_request 'name'
api POST /templates "{\"name\":\"Caps\",\"image\":\"$T/img.qcow2\"}"
expect_error 400 bad_request 'a-z'
api GET /templates/Caps
expect_error 404 not_found
api POST /templates "{\"name\":\"scratch\",\"image\":\"$T/img.qcow2\"}"
expect 201 '"name":"scratch"'
[ -d "$T/state/templates/scratch" ] || fail "no template folder for scratch"
api DELETE /templates/scratch
expect 204
[ -e "$T/state/templates/scratch" ] && fail "template folder left after delete"
api GET /templates/scratch
expect_error 404 not_found
ensure_tiny
mkdir -p "$T/state/cache"
cp -al "$STATE/cache/tiny" "$T/state/cache/tiny" # the shared build cache: seconds, not minutes
api POST /templates/tiny/build
expect 201 '"name":"tiny"' '"has_rdp":true'
pass "templates: import, list, show, delete (with its files), tiny build; unknown 404, missing image 400 (no template left)"

# --- pools ---------------------------------------------------------------------------------
api POST /pools '{"name":"lab","template":"t1","type":"pooled","max":2,"spare":0}'
expect 201 '"name":"lab"' '"max":2' '"spare":0' '"counts":{'
api POST /pools '{"name":"lab","template":"t1","type":"pooled","max":1}'
expect_error 409 conflict '"lab\"'
api POST /pools '{"name":"huge","template":"t1","type":"pooled","max":1000,"memory_mb":8192}'
expect_error 400 bad_request 'max 1000 x 8192 MiB = 8192000 MiB' 'MiB total' 'reserve' 'lower max to'
api GET /pools/huge
expect_error 404 not_found
api POST /pools '{"name":"ghost","template":"nope","type":"pooled","max":1}'
expect_error 404 not_found '\"nope\"'
api POST /pools '{"name":"lab2","template":"t1","type":"shared","max":1}'
expect_error 400 bad_request '"type'
api GET /pools
expect 200 '"name":"lab"'
api GET /pools/lab
expect 200 '"vms":[]' '"paused":false'
api PATCH /pools/lab '{"max":3,"disconnect_timeout_s":60}'
expect 200 '"max":3' '"disconnect_timeout_s":60'
api PATCH /pools/lab '{"name":"other"}'
expect_error 400 bad_request 'unknown field \"name\"'
api PATCH /pools/nope '{"max":1}'
expect_error 404 not_found
api POST /pools/lab/recompose '{}'
expect 202 '"status":"recomposing"'
api POST /pools/lab/resume
expect 200 '"paused":false'
api DELETE /templates/t1
expect_error 409 conflict '"lab\"'
api GET /templates/t1
expect 200 '"name":"t1"'
pass "pools: create, list, show, patch, recompose, resume; duplicate 409, too big for memory 400 with numbers, unknown 404; template in use 409"

# --- users, groups, entitlements -----------------------------------------------------------
api POST /users '{"name":"alice","password":"Secret-1","display_name":"Alice"}'
expect 201 '"name":"alice"' '"has_password":true'
grep -q "Secret-1" "$T/log" && fail "a password reached the log"
api POST /users '{"name":"alice","password":"x"}'
expect_error 409 conflict
api POST /users '{"name":"bob","password":"Secret-2"}'
expect 201
api POST /users '{"name":"carol","password":"x","default_pool":"nope"}'
expect_error 404 not_found
api GET /users/carol
expect_error 404 not_found
api GET /users
expect 200 '"name":"alice"' '"name":"bob"'
api PATCH /users/alice '{"enabled":false,"display_name":"Alice A."}'
expect 200 '"enabled":false' '"display_name":"Alice A."'
api PATCH /users/alice '{"enabled":true,"unlock":true,"default_pool":"lab"}'
expect 200 '"enabled":true' '"default_pool":"lab"'
api PUT /users/alice/password '{"password":"Secret-3"}'
expect 204
api PUT /users/nope/password '{"password":"x"}'
expect_error 404 not_found
api POST /groups '{"name":"staff"}'
expect 201 '"name":"staff"'
api POST /groups '{"name":"staff"}'
expect_error 409 conflict
api POST /groups/staff/members '{"user":"alice"}'
expect 204
api GET /groups/staff
expect 200 '"members":["alice"]'
api GET /groups
expect 200 '"name":"staff"'
api POST /groups/staff/members '{"user":"nobody-here"}'
expect_error 404 not_found
api DELETE /groups/staff/members/alice
expect 204
api POST /entitlements '{"pool":"lab","group":"staff"}'
expect 201 '"group":"staff"'
GID=$(j .id)
api POST /entitlements '{"pool":"lab","group":"staff"}'
expect_error 409 conflict
api POST /entitlements '{"pool":"lab","user":"alice","group":"staff"}'
expect_error 400 bad_request
api POST /entitlements '{"pool":"nope","user":"alice"}'
expect_error 404 not_found
api GET /entitlements
expect 200 "\"id\":$GID"
api DELETE "/entitlements/$GID"
expect 204
api DELETE "/entitlements/$GID"
expect_error 404 not_found
api DELETE /groups/staff
expect 204
pass "users, groups, entitlements: create, show, change, delete; duplicates 409, unknown names 404"

# --- a user with no entitlement gets nothing ----------------------------------------------
api POST /desktops/request '{"user":"bob","pool":"lab"}'
expect_error 403 forbidden '"bob\"' 'entitle'
api POST /desktops/request '{"user":"bob"}'
expect_error 403 forbidden
api POST /desktops/request '{"user":"mallory"}'
expect_error 403 forbidden '"mallory\"'
api GET /vms?pool=lab
expect 200 '"items":[]'
api GET /sessions
expect 200 '"items":[]'
pass "desktop request without entitlement: 403, no VM, no session"

# --- the desktop itself: a pool of the tiny template, one request, logoff ------------------
api POST /pools '{"name":"desk","template":"tiny","type":"pooled","max":1,"spare":1,"clone_mode":"boot"}'
expect 201
api POST /entitlements '{"pool":"desk","user":"alice"}'
expect 201
deadline=$((SECONDS + 240))
while :; do
    api POST /desktops/request '{"user":"alice","pool":"desk","client_addr":"192.0.2.7"}'
    [ "$CODE" = 200 ] && break
    [ "$CODE" = 202 ] || fail "desktop request: $CODE $OUT"
    [ $SECONDS -lt $deadline ] || fail "no desktop ready within 240 s: $OUT"
    sleep 1
done
expect 200 '"status":"ready"' '"vm":"desk-001"' '"host":"127.0.0.1"' '"password":"'
SID=$(j .session_id)
PW=$(j .password)
grep -qF "$PW" "$T/log" && fail "the one-time password reached the log"
api GET /vms/desk-001
expect 200 '"user":"alice"'
https POST "/gateway/sessions/$SID/event" '{"event":"connected","bytes_in":10,"bytes_out":20}' "$KEY"
expect 204
api GET /vms/desk-001
expect 200 '"state":"in_use"'
https POST "/gateway/sessions/$SID/event" '{"event":"paused"}' "$KEY"
expect_error 400 bad_request '"event'
https POST /gateway/sessions/999999/event '{"event":"logoff"}' "$KEY"
expect_error 404 not_found
api GET /vms
expect 200 '"name":"desk-001"'
api GET "/sessions?live=1"
expect 200 "\"id\":$SID" '"client_addr":"192.0.2.7"'
api GET /pools/desk
expect 200 '"vms":[{' '"name":"desk-001"'
api DELETE /pools/desk
expect_error 409 conflict 'live session'
api POST "/sessions/$SID/disconnect"
expect 202
api POST "/sessions/$SID/logoff"
expect 202
api POST "/sessions/$SID/logoff"
expect_error 409 conflict
api POST /sessions/999999/logoff
expect_error 404 not_found
api POST /vms/nope/start
expect_error 404 not_found
# The VM actions are queued to the pool manager: 202, or 409 naming the state it is in.
for action in stop start reset; do
    api POST "/vms/desk-001/$action"
    [ "$CODE" = 202 ] || [ "$CODE" = 409 ] || fail "vm $action: $CODE $OUT"
done
api DELETE "/pools/desk?force=1"
expect 204
for _ in $(seq 300); do
    api GET /pools/desk
    [ "$CODE" = 404 ] && break
    sleep 0.2
done
expect_error 404 not_found
[ -z "$(ls "$T/state/vms" 2>/dev/null)" ] || fail "VM folders left after the pool went: $(ls "$T/state/vms")"
pgrep -f "$T/state/vms" >/dev/null && fail "a QEMU of the deleted pool still runs"
pass "desktop: 202 starting then 200 ready with a one-time credential; session listed; logoff; pool deleted with its VM"

# --- events --------------------------------------------------------------------------------
api GET "/events?limit=500"
expect 200 '"action":"pool.create"' '"actor":"admin:root"' '"action":"user.create"'
FIRST=$(j '.items[0].id')
api GET "/events?since=$FIRST&limit=2"
expect 200
[ "$(j '.items | length')" = 2 ] || fail "events since/limit: $OUT"
api GET "/events?limit=zero"
expect_error 400 bad_request
pass "events: audit tail with actor, since and limit"

# --- bad input -----------------------------------------------------------------------------
api POST /users '{"name":"dave","password":'
expect_error 400 bad_request 'not valid JSON'
api POST /users '["dave"]'
expect_error 400 bad_request 'JSON object'
api POST /users '{"name":"dave","pasword":"x"}'
expect_error 400 bad_request '\"pasword\"'
api POST /pools '{"name":"x","template":"t1","type":"pooled","max":"two"}'
expect_error 400 bad_request '\"max\"'
head -c 100000 /dev/zero | tr '\0' ' ' >"$T/big.json"
api POST /groups "@$T/big.json" # curl reads the body from the file
expect_error 413 too_large '65536'
api GET /users/dave
expect_error 404 not_found
api GET /nothing
expect_error 404 not_found
api PUT /pools
expect_error 405 method_not_allowed
chmod 666 "$T/run/deskpoold.sock"
CODE=$(setpriv --reuid=nobody --regid=nogroup --clear-groups curl -s -w '\n%{http_code}' \
    --unix-socket "$T/run/deskpoold.sock" -X POST --data-binary '{"name":"evil"}' \
    http://deskpool/api/v1/groups | tail -1)
OUT=$(setpriv --reuid=nobody --regid=nogroup --clear-groups curl -s \
    --unix-socket "$T/run/deskpoold.sock" http://deskpool/api/v1/status)
[ "$CODE" = 403 ] || fail "non-admin uid got $CODE"
case "$OUT" in *'"forbidden"'*'uid 65534'*'admin_group'*) ;; *) fail "non-admin 403 message: $OUT" ;; esac
api GET /groups/evil
expect_error 404 not_found
pass "bad input: malformed 400, unknown field 400, oversize 413, unknown path 404, wrong method 405, non-admin uid 403 (nothing changed)"

# --- HTTPS: users log in, gateways present the key ----------------------------------------
https GET /status
expect_error 401 unauthenticated
https GET /status "" "not-the-key"
expect_error 401 unauthenticated
https GET /status "" "$KEY"
expect 200 '"version":"'
https POST /desktops/request '{"user":"bob"}' "$KEY"
expect_error 403 forbidden
https GET /pools "" "$KEY"
expect_error 403 forbidden 'unix socket'
https POST /login '{"user":"alice","password":"wrong"}'
expect_error 401 unauthenticated
https POST /login '{"user":"alice","password":"Secret-3"}'
expect 200 '"token":"' '"user":"alice"'
TOKEN=$(j .token)
grep -qF "$TOKEN" "$T/log" && fail "a session token reached the log"
https GET /status "" "$TOKEN"
expect_error 403 forbidden
api GET /users/alice
expect 200 '"failed_logins":0'
# The gateway's own calls.
https POST /gateway/ntlm-hash '{"user":"alice","domain":"CORP"}' "$KEY"
expect 200 "\"ntowfv2\":\"$(winpr-hash -u alice -p Secret-3 -d CORP -v 2)\""
https POST /gateway/ntlm-hash '{"user":"alice","domain":"CORP"}'
expect_error 401 unauthenticated
https POST /gateway/ntlm-hash '{"user":"mallory","domain":"CORP"}' "$KEY"
expect_error 404 not_found
api PATCH /users/bob '{"enabled":false}'
https POST /gateway/ntlm-hash '{"user":"bob","domain":"CORP"}' "$KEY"
expect_error 403 forbidden 'disabled'
api PATCH /users/bob '{"enabled":true}'
https POST /gateway/login-result '{"user":"bob","ok":false,"client_addr":"192.0.2.9"}' "$KEY"
expect 204
api GET /users/bob
expect 200 '"failed_logins":1'
https POST /gateway/login-result '{"user":"bob","ok":true}' "$KEY"
expect 204
api GET /users/bob
expect 200 '"failed_logins":0'
https POST /gateway/login-result '{"user":"mallory","ok":false}' "$KEY"
expect 204
https POST /gateway/tokens/redeem '{"token":"forged-token-forged-token-forged-token-1234"}' "$KEY"
expect_error 403 forbidden
pass "HTTPS: 401 without or with a wrong key, gateway key 200, login gives a token, admin calls 403 over HTTPS; gateway NTLM hash (= winpr-hash), login results counted, forged token 403"

# --- the store survives kill -9 -------------------------------------------------------------
kill -9 "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=
start
api GET /users/alice
expect 200 '"display_name":"Alice A."' '"default_pool":"lab"'
api GET /pools/lab
expect 200 '"max":3'
api GET /templates/tiny
expect 200
https POST /login '{"user":"alice","password":"Secret-3"}'
expect 200
pass "kill -9 and start again: users, pools, templates and passwords are all there"

# --- SIGTERM: clean stop; daemon mode -------------------------------------------------------
kill -TERM "$DPID"
wait "$DPID" || fail "deskpoold exited non-zero on SIGTERM"
DPID=
[ -e "$T/run/deskpoold.sock" ] && fail "socket left behind after SIGTERM"
[ -e "$T/run/deskpoold.pid" ] && fail "pidfile left behind after SIGTERM"
"$DPD" --config "$T/deskpool.conf" || fail "daemon mode did not start"
DPID=$(cat "$T/run/deskpoold.pid")
api GET /status
expect 200
if "$DPD" --config "$T/deskpool.conf" --foreground 2>"$T/err"; then fail "second deskpoold started"; fi
grep -q "another deskpoold runs (pid $DPID" "$T/err" || fail "second start: $(cat "$T/err")"
# SIGHUP after logrotate moved the log: a new file is opened.
mv "$T/state/deskpoold.log" "$T/state/deskpoold.log.1"
kill -HUP "$DPID"
for _ in $(seq 50); do [ -s "$T/state/deskpoold.log" ] && break; sleep 0.1; done
grep -q "logs reopened" "$T/state/deskpoold.log" || fail "SIGHUP did not reopen the log"
kill -TERM "$DPID"
for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DPID" 2>/dev/null && fail "daemon did not stop on SIGTERM"
DPID=
pass "SIGTERM stops cleanly; daemon mode writes the pidfile, SIGHUP reopens its log; a second deskpoold is refused"
