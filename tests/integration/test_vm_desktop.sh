#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The desktop inside a VM: a clone of the tiny template becomes ready only when its RDP port
# answers X.224; a password set over the guest agent lets deskpool-probe and xfreerdp (under
# Xvfb) log in with NLA and see the desktop; a wrong password is refused; guest-get-users
# shows the user while connected and not after logoff.
# Needs: qemu-system-x86 qemu-utils freerdp2-x11 xvfb imagemagick and the template's packages.
source "$(dirname "$0")/lib.sh" "$@"
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
BG="1F4E79" # the desktop's background (templates/guest/desktop/scene.h SCENE_BG)
grep -qi "SCENE_BG 0x$BG" "$SRC/templates/guest/desktop/scene.h" || fail "update BG to scene.h"
for t in xfreerdp Xvfb convert; do command -v $t >/dev/null || fail "$t missing (scripts/deps)"; done

ensure_tiny
hv --json template list | grep -q '"has_rdp": true' || fail "tiny template built without the desktop"
work=$(mktemp -d /tmp/dp-vmdesk-XXXXXX)
XVFB=
XF=
finish() {
    [ -n "$XF" ] && kill "$XF" 2>/dev/null
    [ -n "$XVFB" ] && kill "$XVFB" 2>/dev/null
    rm -rf "$work"
    cleanup_vms
}
trap finish EXIT

new_vm desk
out=$(hv vm start desk --wait 120) || fail "desktop VM not ready: $out"
echo "$out"
port=$(vm_port desk)
python3 - "$port" <<'PY' || fail "RDP port does not answer X.224 after ready"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(bytes.fromhex("030000130ee000000000000100080003000000"))
r = s.recv(64)
sys.exit(0 if len(r) >= 11 and r[0] == 3 and (r[5] & 0xF0) == 0xD0 else 1)
PY
pass "ready means the guest's RDP server answers a Connection Confirm (port $port)"

export PW='Desk-Pass-42'
printf '%s\n' "$PW" | hv qga desk set-password alice >/dev/null || fail "set password"

json=$("$PROBE" --user alice --password-env PW --timeout 30 --json --png "$work/frame.png" \
    --type-text "hello vm" "127.0.0.1:$port") || fail "probe login failed: $json"
echo "$json"
colours=$(echo "$json" | sed -n 's/.*"distinct_colours": *\([0-9]*\).*/\1/p')
[ "${colours:-0}" -ge 5 ] || fail "first frame has $colours colours; not a desktop"
convert "$work/frame.png" -format %c histogram:info:- | grep -qi "#$BG" ||
    fail "the frame does not show the desktop background #$BG"
echo "$json" | grep -q '"typed_frame_ms"' || fail "the desktop did not redraw after typing"
pass "deskpool-probe logs in with the QGA-set password and sees the desktop ($colours colours)"

set +e
PW=wrong "$PROBE" --user alice --password-env PW --timeout 30 "127.0.0.1:$port" >/dev/null 2>&1
rc=$?
set -e
[ $rc = 4 ] || fail "wrong password: probe exit $rc, want 4 (authentication failed)"
pass "wrong password refused"

users=$(hv qga desk guest-get-users)
echo "$users" | grep -q alice && fail "alice still listed after the probe logged off: $users"

# xfreerdp in a virtual X server: stay connected, check guest-get-users, screenshot, log off.
exec 5>"$work/display"
Xvfb -displayfd 5 -screen 0 1280x1024x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
XVFB=$!
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=":$(head -1 "$work/display")"
xfreerdp "/v:127.0.0.1:$port" /u:alice "/p:$PW" /cert:ignore /size:1024x768 >"$work/xf.log" 2>&1 &
XF=$!
listed=
for _ in $(seq 60); do
    if hv qga desk guest-get-users 2>/dev/null | grep -q '"alice"'; then listed=1; break; fi
    sleep 0.5
done
[ -n "$listed" ] || fail "guest-get-users does not list alice while connected ($(tail -3 "$work/xf.log"))"
pass "guest-get-users lists alice while xfreerdp is connected"
sleep 2
import -window root "$work/xfreerdp.png"
shot_colours=$(convert "$work/xfreerdp.png" -format %k info:)
convert "$work/xfreerdp.png" -format %c histogram:info:- | grep -qi "#$BG" ||
    fail "xfreerdp screenshot does not show the desktop"
[ "$shot_colours" -ge 5 ] || fail "xfreerdp screenshot has $shot_colours colours"
mkdir -p "$BUILD/test-artifacts" && cp "$work/xfreerdp.png" "$BUILD/test-artifacts/vm_desktop_xfreerdp.png"
pass "xfreerdp screenshot shows the desktop ($shot_colours colours)"
kill "$XF"
wait "$XF" 2>/dev/null || true
XF=
gone=
for _ in $(seq 40); do
    if ! hv qga desk guest-get-users | grep -q '"alice"'; then gone=1; break; fi
    sleep 0.5
done
[ -n "$gone" ] || fail "alice still listed after xfreerdp disconnected"
pass "guest-get-users is empty after logoff"
