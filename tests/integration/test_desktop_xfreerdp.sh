#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# deskpool-desktop against a real RDP client: runs the server on the host (no VM) with a
# temporary SAM file and users file, logs in with xfreerdp under Xvfb, and checks what a
# user and the guest agent would notice:
#   - a wrong password, standard RDP security (/sec:rdp) and TLS without NLA (/sec:tls) are
#     refused (xfreerdp exits non-zero) and garbage on the port does no harm;
#   - the right password then shows the desktop: a screenshot has the desktop's background
#     colour, several colours, and changes a second later (the clock ticks);
#   - the users file lists alice while she is connected and is empty after xfreerdp exits.
# Bitmap updates are capped at 16,256 bytes (the limit of a client that sends none), so the
# update splitting is exercised too.
#
# Usage: test_desktop_xfreerdp.sh BUILD_DIR SOURCE_DIR
# Needs (Debian 12 packages): freerdp2-x11 (xfreerdp), winpr-utils (winpr-hash), xvfb (Xvfb),
# imagemagick (import, convert, compare), coreutils. It installs nothing; a missing
# tool is a failure that names the package, never a silent skip.
set -euo pipefail

BUILD_DIR=${1:?usage: $0 BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: $0 BUILD_DIR SOURCE_DIR}
SERVER=$BUILD_DIR/templates/guest/desktop/deskpool-desktop
BG=1F4E79 # SCENE_BG in templates/guest/desktop/scene.h

fail() {
    echo "FAIL: $*" >&2
    if [[ -n ${WORK:-} && -f $WORK/server.log ]]; then
        echo "--- server log (last 40 lines) ---" >&2
        tail -n 40 "$WORK/server.log" >&2
    fi
    exit 1
}

need() { # need TOOL PACKAGE
    command -v "$1" >/dev/null 2>&1 || fail "$1 is missing: apt-get install $2"
}
need xfreerdp freerdp2-x11
need winpr-hash winpr-utils
need Xvfb xvfb
need import imagemagick
need convert imagemagick
need compare imagemagick
need timeout coreutils
[[ -x $SERVER ]] || fail "$SERVER not built: cmake --build $BUILD_DIR --target deskpool-desktop"
[[ -f $SOURCE_DIR/templates/guest/desktop/scene.h ]] || fail "SOURCE_DIR $SOURCE_DIR is not the deskpool tree"
grep -q "SCENE_BG 0x${BG,,}u" "$SOURCE_DIR/templates/guest/desktop/scene.h" ||
    fail "scene.h's SCENE_BG is no longer #$BG; update BG in this test"

WORK=$(mktemp -d /tmp/test_desktop_xfreerdp.XXXXXX)
SERVER_PID= XVFB_PID= CLIENT_PID=
cleanup() {
    for pid in $CLIENT_PID $SERVER_PID $XVFB_PID; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- the credential the guest agent would have written
winpr-hash -u alice -p secret -f sam >"$WORK/sam"
grep -q '^alice:::[0-9a-f]\{32\}:::$' "$WORK/sam" || fail "winpr-hash wrote an unexpected line: $(cat "$WORK/sam")"
USERS=$WORK/run/users

# --- the server, on a free port (retry if another process takes ours first)
PORT=
for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 30000))
    "$SERVER" --port "$port" --sam "$WORK/sam" --users "$USERS" --state "$WORK/state" \
        --handshake-timeout 10 --max-update-bytes 16256 >"$WORK/server.out" 2>"$WORK/server.log" &
    SERVER_PID=$!
    for _ in $(seq 50); do
        grep -q "listening on" "$WORK/server.log" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if grep -q "listening on" "$WORK/server.log"; then
        PORT=$port
        break
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
done
[[ -n $PORT ]] || fail "deskpool-desktop did not start listening"
echo "server on port $PORT"

[[ $(stat -c %a "$WORK/state/tls.key") == 600 ]] || fail "tls.key is not mode 0600"
[[ -f $WORK/state/tls.crt ]] || fail "no self-signed tls.crt generated"
[[ -f $USERS && ! -s $USERS ]] || fail "users file missing or not empty at start"
grep -q "lists 1 user" "$WORK/server.log" || fail "server did not read the SAM file"

# --- an X display for the client
exec 5>"$WORK/display"
Xvfb -displayfd 5 -screen 0 1280x1024x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 100); do
    [[ -s $WORK/display ]] && break
    sleep 0.1
done
[[ -s $WORK/display ]] || fail "Xvfb did not start: $(cat "$WORK/xvfb.log")"
export DISPLAY=:$(head -n1 "$WORK/display")
echo "Xvfb on $DISPLAY"

XF=(xfreerdp "/v:127.0.0.1:$PORT" /cert:ignore /size:1024x768)

# --- refusals
set +e
timeout 60 "${XF[@]}" /u:alice /p:wrong >"$WORK/xf-wrong.log" 2>&1
rc_wrong=$?
timeout 60 "${XF[@]}" /u:alice /p:secret /sec:rdp >"$WORK/xf-rdp.log" 2>&1
rc_rdp=$?
timeout 60 "${XF[@]}" /u:alice /p:secret /sec:tls >"$WORK/xf-tls.log" 2>&1
rc_tls=$?
timeout 60 "${XF[@]}" /u:mallory /p:secret >"$WORK/xf-unknown.log" 2>&1
rc_unknown=$?
set -e
[[ $rc_wrong -ne 0 && $rc_wrong -ne 124 ]] || fail "wrong password: xfreerdp exit $rc_wrong, want a refusal"
[[ $rc_rdp -ne 0 && $rc_rdp -ne 124 ]] || fail "/sec:rdp: xfreerdp exit $rc_rdp, want a refusal"
[[ $rc_tls -ne 0 && $rc_tls -ne 124 ]] || fail "/sec:tls: xfreerdp exit $rc_tls, want a refusal"
[[ $rc_unknown -ne 0 && $rc_unknown -ne 124 ]] || fail "unknown user: xfreerdp exit $rc_unknown, want a refusal"
grep -q "SSL_REQUIRED_BY_SERVER" "$WORK/xf-rdp.log" || fail "/sec:rdp was not refused in negotiation"
grep -q "did not use NLA" "$WORK/server.log" || fail "/sec:tls was not refused for lack of NLA"
grep -q "closed before login" "$WORK/server.log" || fail "server did not log the failed login"
[[ ! -s $USERS ]] || fail "users file lists someone after failed logins: $(cat "$USERS")"
echo "refused: wrong password ($rc_wrong), /sec:rdp ($rc_rdp), /sec:tls ($rc_tls), unknown user ($rc_unknown)"

# Garbage and a client that disconnects at once: the server must keep serving.
head -c 4096 /dev/urandom >"/dev/tcp/127.0.0.1/$PORT" 2>/dev/null || true
exec 6<>"/dev/tcp/127.0.0.1/$PORT"
exec 6>&-
sleep 0.5
kill -0 "$SERVER_PID" 2>/dev/null || fail "server died after garbage on its port"

# --- the real login
before=$(date +%s)
"${XF[@]}" /u:alice /p:secret >"$WORK/xf-ok.log" 2>&1 &
CLIENT_PID=$!
for _ in $(seq 300); do
    [[ -s $USERS ]] && break
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.1
done
[[ -s $USERS ]] || fail "users file stayed empty after login (xfreerdp: $(tail -n 5 "$WORK/xf-ok.log"))"
# cut, not read: read would merge the two tabs around an empty domain.
u=$(cut -f1 "$USERS")
d=$(cut -f2 "$USERS")
t=$(cut -f3 "$USERS")
[[ $t =~ ^[0-9]+$ ]] || fail "login time '$t' in the users file is not epoch seconds"
[[ $u == alice && -z $d ]] || fail "users file has user '$u' domain '$d', want alice and empty"
[[ $(wc -l <"$USERS") -eq 1 ]] || fail "users file has more than one line: $(cat "$USERS")"
now=$(date +%s)
((t >= before - 1 && t <= now + 1)) || fail "login time $t is not between $before and $now"
echo "users file while connected: $(tr '\t' '|' <"$USERS")"

sleep 2 # first frame plus a clock tick or two
import -window root "$WORK/shot1.png" || fail "screenshot failed"
sleep 1.5
import -window root "$WORK/shot2.png" || fail "second screenshot failed"
mkdir -p "$BUILD_DIR/test-artifacts"
cp "$WORK/shot1.png" "$BUILD_DIR/test-artifacts/desktop_xfreerdp.png"
echo "screenshot: $BUILD_DIR/test-artifacts/desktop_xfreerdp.png"

# The session window sits at the top-left of the bare X screen.
convert "$WORK/shot1.png" -crop 1024x768+0+0 +repage "$WORK/win.png"
colours=$(convert "$WORK/win.png" -format %k info:)
bg=$(convert "$WORK/win.png" -fill black +opaque "#$BG" -fill white -opaque "#$BG" -format "%[fx:int(mean*w*h+0.5)]" info:)
corner=$(convert "$WORK/win.png" -format "%[hex:p{2,766}]" info:)
outside=$(convert "$WORK/shot1.png" -format "%[hex:p{1100,900}]" info:)
echo "window: $colours colours, $bg background pixels, corner #$corner, outside #$outside"
((colours >= 5)) || fail "only $colours colours in the window: no desktop drawn"
((bg >= 1024 * 768 / 20)) || fail "only $bg pixels of the background colour #$BG"
[[ ${corner:0:6} == "$BG" ]] || fail "bottom-left corner is #$corner, want #$BG"
[[ ${outside:0:6} == 000000 ]] || fail "the X screen outside the window is #$outside: is the window where the test expects it?"
diff_px=$(compare -metric AE "$WORK/shot1.png" "$WORK/shot2.png" null: 2>&1 || true)
[[ $diff_px =~ ^[0-9]+$ ]] || fail "compare failed: $diff_px"
((diff_px > 0)) || fail "the desktop did not change in 1.5 s: the clock is not updating"
echo "clock: $diff_px pixels changed between screenshots"
grep -q 'desktop of "alice" is up (1024x768)' "$WORK/server.log" || fail "server did not log the desktop"

# --- logoff: closing the client ends the session and empties the users file
kill "$CLIENT_PID"
wait "$CLIENT_PID" 2>/dev/null || true
CLIENT_PID=
for _ in $(seq 100); do
    [[ ! -s $USERS ]] && break
    sleep 0.1
done
[[ ! -s $USERS ]] || fail "users file still lists $(cat "$USERS") after xfreerdp exited"
grep -q 'user "alice" logged off' "$WORK/server.log" || fail "server did not log the logoff"
echo "users file empty after logoff"

# --- a clean stop
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=
[[ $rc -eq 0 ]] || fail "server exited $rc on SIGTERM"
! grep -qi "secret" "$WORK/server.log" || fail "the server log mentions the password"
echo "PASS"
