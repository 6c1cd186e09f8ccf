#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Broker + gateway + pool together, nothing faked: a real deskpoold (HTTPS with its
# self-signed certificate and gateway key), a real deskpool-gw pointed at it, and a pooled
# tiny-template pool whose VMs really run. Through the gateway:
#   - (pool: max 3, spare 2, so the refreshed VM is not the surplus spare the pool trims)
#   - alice logs in with deskpool-probe and gets a frame from a VM of the pool;
#   - bob gets a different VM (deskpool session list / vm list);
#   - a wrong password (carol, entitled) exits 4: no VM assigned to her, the failure counted;
#   - alice types a line and disconnects: the guest keeps her session, disconnected
#     (guest-get-users), and the broker, having asked the guest, keeps her VM; she reconnects
#     within the disconnect timeout to the same VM and the same guest session (same
#     deskpool-session-id and login-time, active again);
#   - alice logs off inside the desktop (deskpool-probe --logoff): the broker learns it from
#     the guest and refreshes her pooled VM (a new overlay: its inode changes) at once, with
#     no admin command and no wait for the disconnect timeout;
#   - an admin's logoff (deskpool session logoff) refreshes her next VM too; with
#     refresh-on-logoff off it keeps the disk and ends her guest session (deskpool-logoff-user);
#   - xfreerdp under Xvfb shows the desktop (background #1F4E79); the screenshot is kept in
#     BUILD/test-artifacts/gateway_e2e_xfreerdp.png.
# Usage: test_gateway_e2e.sh BUILD_DIR SOURCE_DIR
# Needs: what test_broker_pool.sh and test_gateway.sh need (QEMU, xfreerdp, Xvfb, imagemagick).
source "$(dirname "$0")/lib.sh" "$@"

DAEMON="$BUILD/broker/daemon/deskpoold"
CLI="$BUILD/clients/deskpool/deskpool"
GW="$BUILD/rdp-gw/deskpool-gw"
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
HV="$BUILD/clients/deskpool-hv/deskpool-hv"
BG=1F4E79 # SCENE_BG in templates/guest/desktop/scene.h
for b in "$DAEMON" "$CLI" "$GW" "$PROBE" "$HV"; do
    [ -x "$b" ] || fail "$b not built: cmake --build $BUILD"
done
for t in xfreerdp:freerdp2-x11 Xvfb:xvfb import:imagemagick convert:imagemagick python3:python3; do
    command -v "${t%%:*}" >/dev/null || fail "${t%%:*} is missing: apt-get install ${t#*:}"
done

# Short: the admin socket lives here and unix socket paths are limited to 108 bytes.
B=$(mktemp -d /tmp/dpe-XXXXXX)
SOCK="$B/d.sock"
DPID=""
GWPID=""
XPIDS=()

dp() { "$CLI" --socket "$SOCK" "$@"; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
json_field() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -1; }
vm_field() { dp --json vm show "$1" | json_field "$2"; }
# The VM of USER's live session, from deskpool session list (columns: ID USER POOL VM STATE ...).
session_vm() { dp session list | awk -v u="$1" '$2 == u {print $4; exit}'; }
session_state() { dp session list | awk -v u="$1" '$2 == u {print $5; exit}'; }
# USER's guest session on VM as the guest agent reports it (guest-get-users):
# "SESSION_ID LOGIN_TIME STATE", or nothing when USER is not logged on in the guest.
guest_session() {
    "$HV" --state "$B/st" qga "$1" guest-get-users 2>"$B/hv.err" | python3 -c '
import json, sys
users = [u for u in json.load(sys.stdin) if u.get("user") == sys.argv[1]]
for u in users[:1]:
    print(u.get("deskpool-session-id"), repr(float(u.get("login-time"))), u.get("deskpool-state"))
' "$2" || die "guest-get-users on $1: $(cat "$B/hv.err")"
}
# Waits until VM is ready on a disk other than inode OLD (a refresh), within SEC seconds.
wait_refreshed() {
    local vm=$1 old=$2 sec=$3 deadline=$((SECONDS + $3))
    until [ "$(vm_field "$vm" state)" = ready ] && [ "$(stat -c %i "$B/st/vms/$vm/disk.qcow2" 2>/dev/null)" != "$old" ]; do
        [ $SECONDS -lt $deadline ] || die "$vm is $(vm_field "$vm" state) $sec s on, its overlay not replaced"
        sleep 0.5
    done
}
show_logs() {
    for f in deskpoold.log gw.log; do
        [ -f "$B/$f" ] || continue
        echo "--- $f (last 30 lines) ---" >&2
        tail -n 30 "$B/$f" >&2
    done
}
die() {
    show_logs
    fail "$@"
}
cleanup() {
    for p in "${XPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "$GWPID" ]; then kill "$GWPID" 2>/dev/null || true; fi
    if [ -n "$DPID" ] && alive "$DPID"; then
        # KEEP_FAILED keeps the VM folders (serial logs) for a look; the QEMUs are killed below.
        [ -n "${KEEP_FAILED:-}" ] || dp pool delete e2e --force --wait >/dev/null 2>&1 || true
        kill "$DPID" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    for pidfile in "$B"/st/vms/*/qemu.pid; do
        [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    done
    if [ -n "${KEEP_FAILED:-}" ]; then echo "kept $B" >&2; else rm -rf "$B"; fi
}
trap cleanup EXIT

ensure_tiny
mkdir -p "$B/st/cache"
cp -a "$STATE/cache/tiny" "$B/st/cache/"
HTTPS_PORT=$(free_port)
GW_PORT=$(free_port)
METRICS_PORT=$(free_port)
cat >"$B/deskpool.conf" <<CONF
[broker]
state_dir = $B/st
socket = $SOCK
pidfile = $B/deskpoold.pid
log_level = info
[https]
listen = 127.0.0.1:$HTTPS_PORT
CONF

"$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
DPID=$!
deadline=$((SECONDS + 20))
until dp status >/dev/null 2>&1 && [ -s "$B/st/tls/cert.pem" ] && [ -s "$B/st/gateway.key" ]; do
    alive "$DPID" || die "deskpoold exited at start"
    [ $SECONDS -lt $deadline ] || die "deskpoold did not answer within 20 s"
    sleep 0.2
done

# The gateway trusts exactly the broker's self-signed certificate and shares its key file.
cat >"$B/gw.ini" <<INI
[gateway]
listen = 127.0.0.1:$GW_PORT
state_dir = $B/gw
[broker]
url = https://127.0.0.1:$HTTPS_PORT
ca = $B/st/tls/cert.pem
key_file = $B/st/gateway.key
[limits]
desktop_wait = 120
[metrics]
listen = 127.0.0.1:$METRICS_PORT
INI
"$GW" --config "$B/gw.ini" --check-config >"$B/check.out" 2>&1 || die "gateway --check-config: $(cat "$B/check.out")"
"$GW" --config "$B/gw.ini" --foreground >"$B/gw.out" 2>"$B/gw.log" &
GWPID=$!
deadline=$((SECONDS + 20))
until grep -q "listening on" "$B/gw.log" 2>/dev/null; do
    alive "$GWPID" || die "deskpool-gw exited at start"
    [ $SECONDS -lt $deadline ] || die "deskpool-gw did not listen within 20 s"
    sleep 0.1
done
pass "deskpoold (HTTPS 127.0.0.1:$HTTPS_PORT) and deskpool-gw (127.0.0.1:$GW_PORT) up"

out=$(dp template build tiny) || die "template build: $out"
out=$(dp pool create e2e --template tiny --type pooled --max 3 --spare 2 \
    --disconnect-timeout 10m --wait --wait-timeout 180) || { dp pool show e2e >&2; die "pool create: $out"; }
for u in alice:Alice-pw-1 bob:Bob-pw-1 carol:Carol-pw-1; do
    printf '%s\n' "${u#*:}" | dp user add "${u%%:*}" >/dev/null || die "user add ${u%%:*}"
    dp entitle e2e --user "${u%%:*}" >/dev/null || die "entitle ${u%%:*}"
done
pass "pool e2e ready (2 spares), alice, bob and carol entitled"

probe() { # probe USER PASSWORD [options]: exit code of deskpool-probe through the gateway
    local user=$1 pw=$2
    shift 2
    PW=$pw timeout 120 "$PROBE" --user "$user" --password-env PW --json --timeout 100 "$@" \
        "127.0.0.1:$GW_PORT" >"$B/probe.out" 2>&1
}

# --- alice: a frame from a VM of the pool
rc=0
probe alice Alice-pw-1 --png "$B/alice.png" --type-text "notes of alice" || rc=$?
[ $rc = 0 ] || die "alice through the gateway: exit $rc: $(cat "$B/probe.out")"
vm_a=$(session_vm alice)
[ -n "$vm_a" ] || { dp session list >&2; die "alice has no session after her login"; }
[ "$(vm_field "$vm_a" user)" = alice ] || die "vm show $vm_a: not alice's"
pass "alice logs in through the gateway and gets a frame from $vm_a ($(cat "$B/probe.out"))"

# --- bob: another VM (the pool starts one when the spare is taken)
rc=0
probe bob Bob-pw-1 || rc=$?
[ $rc = 0 ] || die "bob through the gateway: exit $rc: $(cat "$B/probe.out")"
vm_b=$(session_vm bob)
[ -n "$vm_b" ] || { dp session list >&2; die "bob has no session"; }
[ "$vm_b" != "$vm_a" ] || die "alice and bob both on $vm_a"
[ "$(vm_field "$vm_b" user)" = bob ] || die "vm show $vm_b: not bob's"
pass "bob gets a different VM: $vm_b"

# --- wrong password: exit 4, nothing assigned to carol, the failure counted
rc=0
probe carol not-her-password || rc=$?
[ $rc = 4 ] || die "wrong password: exit $rc, want 4: $(cat "$B/probe.out")"
dp --json vm list | grep -q '"user": "carol"' && die "carol was assigned a VM after a wrong password"
[ -z "$(session_vm carol)" ] || die "carol has a session after a wrong password"
failed=$(dp --json user show carol | json_field failed_logins)
[ "$failed" = 1 ] || die "carol's failed_logins is '$failed', want 1"
grep -q 'login of "carol" refused: wrong password' "$B/gw.log" || die "gateway did not log the refusal"
pass "wrong password: exit 4, no VM for carol, failed_logins = 1"

# --- disconnect: the guest keeps alice's session, and so does the broker
deadline=$((SECONDS + 30))
until [ "$(session_state alice)" = disconnected ]; do
    [ $SECONDS -lt $deadline ] || { dp session list >&2; die "alice's session is not disconnected after the probe left"; }
    sleep 0.5
done
read -r gsid glogin gstate <<<"$(guest_session "$vm_a" alice)"
[ -n "$gsid" ] || die "the guest of $vm_a shows no session of alice after she disconnected"
[ "$gstate" = disconnected ] || die "alice's guest session on $vm_a is '$gstate', want disconnected"
deadline=$((SECONDS + 30))
until dp events --limit 200 | grep -q 'session.guest_check.*outcome=logged on, disconnected'; do
    [ $SECONDS -lt $deadline ] || die "the broker did not ask the guest about alice's disconnect: $(dp events --limit 20)"
    sleep 0.5
done
[ "$(session_state alice)" = disconnected ] || die "alice's session is '$(session_state alice)' after the guest check, want disconnected"
[ "$(vm_field "$vm_a" state)" = disconnected ] || die "$vm_a is $(vm_field "$vm_a" state), want disconnected"
pass "alice disconnected: guest session $gsid (login $glogin) kept as disconnected; the broker asked the guest and keeps $vm_a"

# --- reconnect within the disconnect timeout: the same VM and the same guest session
PW=Alice-pw-1 "$PROBE" --user alice --password-env PW --timeout 100 --hold 120 \
    "127.0.0.1:$GW_PORT" >"$B/hold.out" 2>&1 &
HOLD_PID=$!
XPIDS+=($HOLD_PID)
deadline=$((SECONDS + 120))
until [ "$(session_state alice)" = connected ] && [ "$(guest_session "$vm_a" alice | awk '{print $3}')" = active ]; do
    alive "$HOLD_PID" || die "alice's reconnect ended: $(cat "$B/hold.out")"
    [ $SECONDS -lt $deadline ] || die "alice's reconnect: session $(session_state alice), guest $(guest_session "$vm_a" alice)"
    sleep 0.5
done
again=$(session_vm alice)
[ "$again" = "$vm_a" ] || die "alice reconnected to '$again', not her VM $vm_a"
read -r sid2 login2 state2 <<<"$(guest_session "$vm_a" alice)"
[ "$sid2 $login2" = "$gsid $glogin" ] || die "alice's guest session after the reconnect is $sid2 (login $login2), not $gsid (login $glogin)"
kill -TERM "$HOLD_PID"
rc=0
wait "$HOLD_PID" || rc=$?
[ $rc = 0 ] || die "alice's held reconnect exited $rc: $(cat "$B/hold.out")"
pass "alice reconnected to the same VM $vm_a and the same guest session $gsid (login $glogin), $state2"

# --- logoff inside the desktop: the broker learns it from the guest and refreshes the VM
deadline=$((SECONDS + 30))
until [ "$(session_state alice)" = disconnected ]; do
    [ $SECONDS -lt $deadline ] || die "alice's session is not disconnected after the held probe ended"
    sleep 0.5
done
disk_a="$B/st/vms/$vm_a/disk.qcow2"
inode_a=$(stat -c %i "$disk_a")
# A second link keeps the old disk's inode allocated, so a new disk cannot reuse its number.
ln "$disk_a" "$B/old-disk-a"
inode_b=$(stat -c %i "$B/st/vms/$vm_b/disk.qcow2")
logoff_at=$SECONDS
rc=0
probe alice Alice-pw-1 --logoff || rc=$?
[ $rc = 0 ] || die "alice's logoff inside the desktop: exit $rc: $(cat "$B/probe.out")"
[ "$(session_vm alice)" = "" ] || [ "$(session_vm alice)" = "$vm_a" ] || die "alice's logoff landed on $(session_vm alice), not $vm_a"
wait_refreshed "$vm_a" "$inode_a" 120
[ -z "$(session_vm alice)" ] || die "alice still has a session on $(session_vm alice) after logging off"
[ -z "$(vm_field "$vm_a" user)" ] || [ "$(vm_field "$vm_a" user)" = null ] || die "$vm_a still has a user"
dp events --limit 200 | grep -q 'the guest reports the user gone' || die "no audit event says the guest reported alice gone"
[ "$(stat -c %i "$B/st/vms/$vm_b/disk.qcow2")" = "$inode_b" ] || die "bob's $vm_b was refreshed too"
pass "alice logged off inside the desktop: $vm_a refreshed (new overlay) $((SECONDS - logoff_at)) s later, no admin command (timeout 10 min); bob's $vm_b untouched"

# --- an admin's logoff refreshes the VM too
rc=0
probe alice Alice-pw-1 || rc=$?
[ $rc = 0 ] || die "alice's login after her logoff: exit $rc: $(cat "$B/probe.out")"
vm_c=$(session_vm alice)
[ -n "$vm_c" ] || die "alice has no session after logging in again"
inode_c=$(stat -c %i "$B/st/vms/$vm_c/disk.qcow2")
ln "$B/st/vms/$vm_c/disk.qcow2" "$B/old-disk-c"
dp session logoff alice >/dev/null || die "session logoff alice"
wait_refreshed "$vm_c" "$inode_c" 120
[ -z "$(session_vm alice)" ] || die "alice still has a session after the admin's logoff"
[ "$(stat -c %i "$B/st/vms/$vm_b/disk.qcow2")" = "$inode_b" ] || die "bob's $vm_b was refreshed too"
pass "an admin's logoff refreshed alice's $vm_c (new overlay); bob's $vm_b untouched"

# --- refresh-on-logoff off: the disk stays, so an admin's logoff ends the guest session too
dp pool set e2e --refresh-on-logoff no >/dev/null || die "pool set e2e --refresh-on-logoff no"
rc=0
probe alice Alice-pw-1 || rc=$?
[ $rc = 0 ] || die "alice's login to a pool that keeps disks: exit $rc: $(cat "$B/probe.out")"
vm_k=$(session_vm alice)
[ -n "$vm_k" ] || die "alice has no session after logging in again"
deadline=$((SECONDS + 30))
until [ "$(guest_session "$vm_k" alice | awk '{print $3}')" = disconnected ]; do
    [ $SECONDS -lt $deadline ] || die "alice's guest session on $vm_k: '$(guest_session "$vm_k" alice)', want disconnected"
    sleep 0.5
done
inode_k=$(stat -c %i "$B/st/vms/$vm_k/disk.qcow2")
dp session logoff alice >/dev/null || die "session logoff alice"
deadline=$((SECONDS + 30))
until [ -z "$(guest_session "$vm_k" alice)" ] && [ "$(vm_field "$vm_k" state)" = ready ]; do
    [ $SECONDS -lt $deadline ] || die "after the admin's logoff $vm_k is $(vm_field "$vm_k" state) and its guest shows alice: '$(guest_session "$vm_k" alice)'"
    sleep 0.5
done
dp events --limit 200 | grep 'session.guest_logoff' | grep -qF '1 guest session(s) ended' ||
    die "no audit event says alice's guest session was ended: $(dp events --limit 20)"
[ "$(stat -c %i "$B/st/vms/$vm_k/disk.qcow2")" = "$inode_k" ] || die "$vm_k got a new disk although the pool keeps disks"
dp pool set e2e --refresh-on-logoff yes >/dev/null || die "pool set e2e --refresh-on-logoff yes"
pass "refresh-on-logoff off: the admin's logoff ended alice's guest session on $vm_k (deskpool-logoff-user), disk kept"

# --- xfreerdp under Xvfb through the gateway shows the desktop
exec 5>"$B/display"
Xvfb -displayfd 5 -screen 0 1280x1024x24 -nolisten tcp >"$B/xvfb.log" 2>&1 &
XPIDS+=($!)
exec 5>&-
for _ in $(seq 100); do [ -s "$B/display" ] && break; sleep 0.1; done
[ -s "$B/display" ] || die "Xvfb did not start: $(cat "$B/xvfb.log")"
export DISPLAY=:$(head -n1 "$B/display")
relays=$(grep -c 'user "alice" relayed to vm' "$B/gw.log")
xfreerdp "/v:127.0.0.1:$GW_PORT" /u:alice /p:Alice-pw-1 /cert:ignore /size:1024x768 >"$B/xf.log" 2>&1 &
XF_PID=$!
XPIDS+=($XF_PID)
deadline=$((SECONDS + 120))
until [ "$(grep -c 'user "alice" relayed to vm' "$B/gw.log")" -gt "$relays" ]; do
    alive "$XF_PID" || die "xfreerdp exited: $(tail -n 5 "$B/xf.log")"
    [ $SECONDS -lt $deadline ] || die "xfreerdp got no session within 120 s: $(tail -n 5 "$B/xf.log")"
    sleep 0.5
done
mkdir -p "$BUILD/test-artifacts"
shot="$BUILD/test-artifacts/gateway_e2e_xfreerdp.png"
bg=0
for _ in $(seq 20); do # the first frame may take a moment after the session starts
    sleep 1
    import -window root "$B/shot.png" || die "screenshot failed"
    convert "$B/shot.png" -crop 1024x768+0+0 +repage "$B/win.png"
    bg=$(convert "$B/win.png" -fill black +opaque "#$BG" -fill white -opaque "#$BG" \
        -format "%[fx:int(mean*w*h+0.5)]" info:)
    ((bg >= 1024 * 768 / 20)) && break
done
cp "$B/shot.png" "$shot"
colours=$(convert "$B/win.png" -format %k info:)
((bg >= 1024 * 768 / 20)) || die "only $bg pixels of #$BG in the xfreerdp window ($colours colours; $shot)"
((colours >= 5)) || die "only $colours colours in the xfreerdp window ($shot)"
vm_x=$(session_vm alice)
[ -n "$vm_x" ] && [ "$vm_x" != "$vm_b" ] || die "xfreerdp's alice is on '$vm_x' (bob has $vm_b)"
kill "$XF_PID" 2>/dev/null || true
pass "xfreerdp through the gateway shows alice's desktop on $vm_x ($bg background pixels, $colours colours; $shot)"

m=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$METRICS_PORT/metrics').read().decode())") ||
    die "no /metrics"
grep -Eq '^deskpool_gw_logins_ok ([4-9]|[1-9][0-9])$' <<<"$m" || die "metrics: $(grep logins_ok <<<"$m")"
grep -q '^deskpool_gw_logins_failed [1-9]' <<<"$m" || die "metrics: $(grep logins_failed <<<"$m")"
for s in Alice-pw-1 Bob-pw-1 not-her-password "$(cat "$B/st/gateway.key")"; do
    ! grep -qF -- "$s" "$B/gw.log" "$B/deskpoold.log" || die "a log holds a secret"
done
pass "metrics count the logins; no password or key in the gateway's or broker's log"
echo PASS
