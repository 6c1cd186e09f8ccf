#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The desktop inside a VM: a clone of the tiny template becomes ready only when its RDP port
# answers X.224; a password set over the guest agent lets deskpool-probe and xfreerdp (under
# Xvfb) log in with NLA and see the desktop; a wrong password is refused; guest-get-users
# lists the user's session as disconnected after the probe left, active (same session id)
# while xfreerdp is connected, disconnected again when xfreerdp closes, and not at all after
# a logoff (deskpool-probe --logoff) or the guest agent's deskpool-logoff-user.
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

# "USER SESSION_ID STATE" per entry of guest-get-users.
sessions() {
    hv qga desk guest-get-users | python3 -c '
import json, sys
for u in json.load(sys.stdin):
    print(u["user"], u.get("deskpool-session-id", "-"), u.get("deskpool-state", "-"))'
}
users=$(sessions)
set -- $users
[ "${1:-}" = alice ] && [ "${3:-}" = disconnected ] && [ $# = 3 ] ||
    fail "after the probe left (a disconnect), guest-get-users says '$users', want alice disconnected"
sid=$2
pass "guest-get-users lists alice's session $sid as disconnected after the probe left"

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
    if [ "$(sessions 2>/dev/null)" = "alice $sid active" ]; then listed=1; break; fi
    sleep 0.5
done
[ -n "$listed" ] || fail "guest-get-users says '$(sessions)' while xfreerdp is connected, want 'alice $sid active' ($(tail -3 "$work/xf.log"))"
pass "xfreerdp resumed session $sid: guest-get-users lists it active"
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
back=
for _ in $(seq 40); do
    if [ "$(sessions)" = "alice $sid disconnected" ]; then back=1; break; fi
    sleep 0.5
done
[ -n "$back" ] || fail "after xfreerdp closed guest-get-users says '$(sessions)', want 'alice $sid disconnected'"
pass "closing xfreerdp disconnects session $sid (still listed)"

# Logoff from the desktop: gone as soon as the probe has seen the server end the session.
out=$("$PROBE" --user alice --password-env PW --timeout 30 --logoff "127.0.0.1:$port" 2>&1) ||
    fail "probe --logoff: $out"
users=$(sessions)
[ -z "$users" ] || fail "guest-get-users still says '$users' right after the logoff"
pass "logoff in the desktop ends the session: guest-get-users is empty ($out)"

# The broker's forced logoff: a new (disconnected) session, ended through the guest agent.
"$PROBE" --user alice --password-env PW --timeout 30 "127.0.0.1:$port" >/dev/null || fail "probe login"
set -- $(sessions)
[ "${1:-}" = alice ] && [ "${2:-}" != "$sid" ] || fail "a login after the logoff got '$*', want a new session"
r=$(hv qga desk deskpool-logoff-user '{"user":"alice"}' | tr -d ' \n')
[ "$r" = '{"ended":1}' ] || fail "deskpool-logoff-user answered $r"
[ -z "$(sessions)" ] || fail "guest-get-users says '$(sessions)' after deskpool-logoff-user"
r=$(hv qga desk deskpool-logoff-user '{"user":"alice"}' | tr -d ' \n')
[ "$r" = '{"ended":0}' ] || fail "deskpool-logoff-user without a session answered $r"
pass "deskpool-logoff-user ends a disconnected session ({\"ended\": 1}, then 0)"
