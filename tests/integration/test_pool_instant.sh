#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A pool with clone-mode instant: deskpoold builds the template version's parent once, fills
# the pool with clones restored from it (not cold boots), a user's desktop request gets one
# that deskpool-probe logs in to, and a logoff makes the VM again from the parent.
# Needs: what test_broker_pool.sh needs.
source "$(dirname "$0")/lib.sh" "$@"
DAEMON="$BUILD/broker/daemon/deskpoold"
CLI="$BUILD/clients/deskpool/deskpool"
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
B=$(mktemp -d /tmp/dpi-XXXXXX)
SOCK="$B/d.sock"
DPID=""
dp() { "$CLI" --socket "$SOCK" "$@"; }
cleanup() {
    if [ -n "$DPID" ] && alive "$DPID"; then
        dp pool delete ilab --force --wait >/dev/null 2>&1 || true
        kill "$DPID" 2>/dev/null || true
        wait "$DPID" 2>/dev/null || true
    fi
    for pf in "$B"/st/vms/*/qemu.pid "$B"/st/parents/*/qemu.pid; do
        [ -f "$pf" ] && kill -9 "$(cat "$pf")" 2>/dev/null || true
    done
    [ -n "${KEEP_FAILED:-}" ] && echo "kept $B" >&2 || rm -rf "$B"
}
trap cleanup EXIT

ensure_tiny
mkdir -p "$B/st/cache" && cp -a "$STATE/cache/tiny" "$B/st/cache/"
cat >"$B/deskpool.conf" <<CONF
[broker]
state_dir = $B/st
socket = $SOCK
pidfile = $B/deskpoold.pid
log_level = info
[https]
listen = off
CONF
"$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do dp status >/dev/null 2>&1 && break; sleep 0.2; done
dp template build tiny >/dev/null || fail "template build"

out=$(dp pool create ilab --template tiny --type pooled --max 3 --spare 2 --clone-mode instant \
    --wait --wait-timeout 300) || { tail -30 "$B/deskpoold.log" >&2; fail "pool create: $out"; }
restored=$(grep -c "restored from its parent" "$B/deskpoold.log" || true)
[ "$restored" -ge 2 ] || { tail -30 "$B/deskpoold.log" >&2; fail "spares were not restored from a parent ($restored)"; }
ls -d "$B"/st/parents/tiny-1-* >/dev/null 2>&1 || fail "no parent folder for tiny:1"
pass "instant pool filled with $restored restored clones"

printf 'Alice-pass-1\nAlice-pass-1\n' | dp user add alice >/dev/null || fail "user add"
dp entitle ilab --user alice >/dev/null || fail "entitle"
json=$(dp --json desktop request alice --show-credentials) || fail "desktop request: $json"
host=$(echo "$json" | sed -n 's/.*"host": "\([^"]*\)".*/\1/p')
port=$(echo "$json" | sed -n 's/.*"port": \([0-9]*\).*/\1/p')
user=$(echo "$json" | sed -n 's/.*"username": "\([^"]*\)".*/\1/p')
export PW=$(echo "$json" | sed -n 's/.*"password": "\([^"]*\)".*/\1/p')
[ -n "$port" ] && [ -n "$PW" ] || fail "no credentials in: $json"
"$PROBE" --user "$user" --password-env PW --timeout 30 "$host:$port" >/dev/null ||
    fail "probe could not log in to the instant clone"
pass "alice's instant clone serves a desktop with the one-time credential"

dp session logoff alice >/dev/null || fail "logoff"
deadline=$((SECONDS + 120))
until [ "$(grep -c "restored from its parent" "$B/deskpoold.log")" -gt "$restored" ]; do
    [ $SECONDS -lt $deadline ] || { tail -20 "$B/deskpoold.log" >&2; fail "no clone restored after the logoff"; }
    sleep 1
done
pass "after logoff the VM is cloned again from the parent"
