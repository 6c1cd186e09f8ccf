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
#   - the users file lists alice's session (id, active) while she is connected;
#   - closing xfreerdp disconnects the session: still listed, same id, "disconnected";
#   - deskpool-probe logs in again and types a line: the same session (id, login time) is
#     resumed and active, and disconnected again when the probe leaves; the next login's
#     desktop shows that line (the session kept its state);
#   - killing the connection process (a crash) leaves the session disconnected, with the
#     line typed just before;
#   - deskpool-probe --logoff ends the session: the users file is empty as soon as the
#     probe exits, and the next login is a new session;
#   - the guest agent's deskpool-logoff-user (deskpool-guestd --stdio) ends a disconnected
#     session and a connected one (xfreerdp is told and exits), returns {"ended": N};
#   - a second login of a connected user takes the session over (same id, the first client
#     is disconnected).
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
PROBE=$BUILD_DIR/clients/deskpool-probe/deskpool-probe
GUESTD=$BUILD_DIR/templates/guest/guestd/deskpool-guestd
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
[[ -x $PROBE ]] || fail "$PROBE not built: cmake --build $BUILD_DIR --target deskpool-probe"
[[ -x $GUESTD ]] || fail "$GUESTD not built: cmake --build $BUILD_DIR --target deskpool-guestd"
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
    [[ -n ${KEEP_WORK:-} ]] || rm -rf "$WORK"
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
sid=$(cut -f4 "$USERS")
state=$(cut -f5 "$USERS")
[[ $t =~ ^[0-9]+$ ]] || fail "login time '$t' in the users file is not epoch seconds"
[[ $u == alice && -z $d ]] || fail "users file has user '$u' domain '$d', want alice and empty"
[[ $sid =~ ^[1-9][0-9]*$ ]] || fail "session id '$sid' in the users file is not a positive number"
[[ $state == active ]] || fail "session state is '$state' while xfreerdp is connected, want active"
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

# --- closing the client disconnects: the session stays, listed as disconnected
# wait_users PATTERN: until the users file matches the extended regex (10 s).
wait_users() {
    for _ in $(seq 100); do
        grep -Eq "$1" "$USERS" && return 0
        sleep 0.1
    done
    return 1
}
line_of() { tr '\t' '|' <"$USERS"; }
T=$'\t'
kill "$CLIENT_PID"
wait "$CLIENT_PID" 2>/dev/null || true
CLIENT_PID=
wait_users "^alice${T}${T}$t${T}$sid${T}disconnected$" ||
    fail "after xfreerdp closed, the users file is '$(line_of)', want alice||$t|$sid|disconnected"
[[ $(wc -l <"$USERS") -eq 1 ]] || fail "users file has more than one line: $(line_of)"
grep -q 'user "alice" disconnected after' "$WORK/server.log" || fail "server did not log the disconnect"
echo "xfreerdp closed: $(line_of)"

# --- log in again: the same session resumes; type a line, leave, come back: it is still there
export PW=secret
probe() { "$PROBE" --user alice --password-env PW --timeout 60 "$@" "127.0.0.1:$PORT"; }
out=$(probe --type-text $'hello resume\n' --png "$WORK/typed.png" 2>&1) || fail "probe login failed: $out"
echo "probe: $out"
grep -q "session $sid of \"alice\" resumed" "$WORK/server.log" || fail "the probe did not resume session $sid"
wait_users "^alice${T}${T}$t${T}$sid${T}disconnected$" ||
    fail "after the probe left, the users file is '$(line_of)', want alice||$t|$sid|disconnected"
# Hold a connection open with --hold to see the session active while a client is on it.
# (The probe itself, not the function: a backgrounded function is a subshell, and SIGTERM
# would not reach the probe.)
"$PROBE" --user alice --password-env PW --timeout 60 --hold 30 "127.0.0.1:$PORT" >"$WORK/hold.log" 2>&1 &
CLIENT_PID=$!
wait_users "^alice${T}${T}$t${T}$sid${T}active$" || fail "while the probe is connected the users file is '$(line_of)', want active"
kill -TERM "$CLIENT_PID"
wait "$CLIENT_PID" 2>/dev/null || true
CLIENT_PID=
wait_users "disconnected$" || fail "the session did not become disconnected again: $(line_of)"
out=$(probe --settle-ms 500 --png "$WORK/resumed.png" 2>&1) || fail "probe login failed: $out"
# The "last line" row of the desktop (1024x768): what was entered before the disconnect.
LASTLINE=900x24+47+312
convert "$WORK/typed.png" -crop $LASTLINE +repage "$WORK/typed-line.png"
convert "$WORK/resumed.png" -crop $LASTLINE +repage "$WORK/resumed-line.png"
d_same=$(compare -metric AE "$WORK/typed-line.png" "$WORK/resumed-line.png" null: 2>&1 || true)
[[ $d_same == 0 ]] || fail "the resumed desktop's last line differs from what was typed ($d_same pixels)"
echo "resumed session $sid shows the line typed before the disconnect"

# --- a crashed connection process: the session is disconnected, not lost, and keeps the
# last line its desktop showed (the listener holds a copy)
"$PROBE" --user alice --password-env PW --timeout 60 --type-text $'after crash\n' --hold 30 \
    "127.0.0.1:$PORT" >"$WORK/crash.log" 2>&1 &
CLIENT_PID=$!
wait_users "^alice${T}${T}$t${T}$sid${T}active$" || fail "the crash probe did not resume session $sid: $(line_of)"
sleep 5 # the probe types after its first frame; its connection process passes the line on
child=$(pgrep -P "$SERVER_PID" | head -n 1)
[[ -n $child ]] || fail "no connection process under the server while the probe is connected"
kill -KILL "$child"
wait_users "^alice${T}${T}$t${T}$sid${T}disconnected$" ||
    fail "after its connection process was killed the users file is '$(line_of)', want session $sid disconnected"
wait "$CLIENT_PID" 2>/dev/null || true
CLIENT_PID=
for _ in $(seq 50); do # the listener reaps the process after it saw the socket close
    grep -q "died of signal 9" "$WORK/server.log" && break
    sleep 0.1
done
grep -q "died of signal 9" "$WORK/server.log" || fail "server did not log the crashed connection process"
out=$(probe --settle-ms 500 --png "$WORK/after-crash.png" 2>&1) || fail "probe login after the crash failed: $out"
echo "connection process killed: session $sid disconnected, resumed again"

# --- logoff: the users file is empty as soon as the probe exits; the next login is new
out=$(probe --logoff --json 2>&1) || fail "probe --logoff failed: $out"
[[ ! -s $USERS ]] || fail "users file still lists '$(line_of)' right after the probe logged off"
echo "$out" | grep -q '"logoff_ms"' || fail "probe --logoff did not report logoff_ms: $out"
grep -q 'user "alice" logged off after' "$WORK/server.log" || fail "server did not log the logoff"
echo "logoff: users file empty when the probe exited ($out)"
out=$(probe --type-text $'after crash\n' --settle-ms 500 --png "$WORK/fresh.png" 2>&1) || fail "probe login failed: $out"
wait_users "^alice${T}${T}[0-9]+${T}[0-9]+${T}disconnected$" || fail "users file after a new login: $(line_of)"
sid2=$(cut -f4 "$USERS")
[[ $sid2 != "$sid" ]] || fail "after the logoff the next login got the old session id $sid"
convert "$WORK/fresh.png" -crop $LASTLINE +repage "$WORK/fresh-line.png"
d_fresh=$(compare -metric AE "$WORK/typed-line.png" "$WORK/fresh-line.png" null: 2>&1 || true)
[[ $d_fresh =~ ^[0-9]+$ && $d_fresh -gt 0 ]] || fail "a new session shows the old session's last line"
echo "new session $sid2 after the logoff"
# The line typed just before the crash, as a new session shows it: the resumed one did too.
convert "$WORK/after-crash.png" -crop $LASTLINE +repage "$WORK/after-crash-line.png"
d_crash=$(compare -metric AE "$WORK/fresh-line.png" "$WORK/after-crash-line.png" null: 2>&1 || true)
[[ $d_crash == 0 ]] || fail "after the crash the resumed desktop lost the line typed before it ($d_crash pixels differ)"
echo "the line typed before the crash survived it"

# --- the guest agent ends sessions: a disconnected one, then a connected one
qga_logoff() {
    printf '{"execute":"deskpool-logoff-user","arguments":{"user":"%s"}}\n' "$1" |
        "$GUESTD" --stdio --users "$USERS" --sam "$WORK/sam" --no-power-button 2>>"$WORK/guestd.log"
}
r=$(qga_logoff alice)
[[ $r == '{"return": {"ended": 1}}' ]] || fail "deskpool-logoff-user alice (disconnected) answered $r"
[[ ! -s $USERS ]] || fail "users file lists '$(line_of)' after deskpool-logoff-user"
r=$(qga_logoff alice)
[[ $r == '{"return": {"ended": 0}}' ]] || fail "deskpool-logoff-user without a session answered $r"
r=$(qga_logoff nobody)
[[ $r == '{"return": {"ended": 0}}' ]] || fail "deskpool-logoff-user of an unknown user answered $r"
"${XF[@]}" /u:alice /p:secret >"$WORK/xf-2.log" 2>&1 &
CLIENT_PID=$!
wait_users "active$" || fail "xfreerdp's second login is not listed: $(line_of)"
r=$(qga_logoff alice)
[[ $r == '{"return": {"ended": 1}}' ]] || fail "deskpool-logoff-user alice (connected) answered $r"
[[ ! -s $USERS ]] || fail "users file lists '$(line_of)' after deskpool-logoff-user"
for _ in $(seq 100); do
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.1
done
! kill -0 "$CLIENT_PID" 2>/dev/null || fail "xfreerdp is still connected 10 s after deskpool-logoff-user"
rc_xf=0
wait "$CLIENT_PID" || rc_xf=$?
CLIENT_PID=
grep -q "ERRINFO_RPC_INITIATED_LOGOFF" "$WORK/xf-2.log" || fail "xfreerdp was not told it was logged off: $(tail -n 3 "$WORK/xf-2.log")"
echo "deskpool-logoff-user: disconnected and connected sessions ended; xfreerdp exit $rc_xf"

# --- a second login of a connected user takes the session over
"${XF[@]}" /u:alice /p:secret >"$WORK/xf-3.log" 2>&1 &
CLIENT_PID=$!
wait_users "active$" || fail "xfreerdp's third login is not listed: $(line_of)"
sid3=$(cut -f4 "$USERS")
out=$(probe 2>&1) || fail "probe login while xfreerdp is connected failed: $out"
for _ in $(seq 100); do
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.1
done
! kill -0 "$CLIENT_PID" 2>/dev/null || fail "xfreerdp still runs after the probe took its session over"
wait "$CLIENT_PID" 2>/dev/null || true
CLIENT_PID=
wait_users "^alice${T}${T}[0-9]+${T}$sid3${T}disconnected$" || fail "after the takeover the users file is '$(line_of)', want session $sid3"
[[ $(wc -l <"$USERS") -eq 1 ]] || fail "two sessions for alice after the takeover: $(line_of)"
grep -q "session $sid3 of \"alice\" moves here" "$WORK/server.log" || fail "server did not log the takeover"
grep -q "ERRINFO_DISCONNECTED_BY_OTHER_CONNECTION" "$WORK/xf-3.log" ||
    fail "xfreerdp was not told another connection took its session: $(tail -n 3 "$WORK/xf-3.log")"
echo "takeover: session $sid3 moved from xfreerdp to the probe"

# --- a clean stop
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=
[[ $rc -eq 0 ]] || fail "server exited $rc on SIGTERM"
! grep -qi "secret" "$WORK/server.log" || fail "the server log mentions the password"
echo "PASS"
