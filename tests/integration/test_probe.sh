#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# deskpool-probe against a real RDP server on this host (no VM): our deskpool-desktop if it
# is built in BUILD_DIR, else FreeRDP's shadow server under Xvfb. Checks every exit code a
# script or the load mode relies on:
#   0  good login: a PNG of the right size with more than one colour, timings in the JSON;
#      the password may come from a file or from the environment; --type-text changes the
#      picture (the desktop echoes what is typed);
#   2  usage errors (no host, unreadable password file);
#   3  nothing listening; --sec tls against a server that requires NLA; a server that
#      accepts TCP and never answers (must give up within --timeout, not hang);
#   4  wrong password (the server just drops the connection after NTLM).
#
# Usage: test_probe.sh BUILD_DIR SOURCE_DIR
# Needs (Debian 12 packages): winpr-utils (winpr-hash), python3 (the silent server),
# coreutils; and either deskpool-desktop built in BUILD_DIR, or freerdp2-shadow-x11
# (freerdp-shadow-cli) + xvfb (Xvfb) [+ xterm for the typing check]. It installs nothing;
# with no server available it FAILS, naming what to build or install.
set -euo pipefail

BUILD_DIR=${1:?usage: $0 BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: $0 BUILD_DIR SOURCE_DIR}
PROBE=$BUILD_DIR/clients/deskpool-probe/deskpool-probe
DESKTOP=$BUILD_DIR/templates/guest/desktop/deskpool-desktop

fail() {
    echo "FAIL: $*" >&2
    if [[ -n ${WORK:-} && -f $WORK/server.log ]]; then
        echo "--- server log (last 30 lines) ---" >&2
        tail -n 30 "$WORK/server.log" >&2
    fi
    exit 1
}
pass() { echo "ok: $*"; }
need() { # need TOOL PACKAGE
    command -v "$1" >/dev/null 2>&1 || fail "$1 is missing: apt-get install $2"
}

need winpr-hash winpr-utils
need python3 python3
need timeout coreutils
[[ -x $PROBE ]] || fail "$PROBE not built: cmake --build $BUILD_DIR --target deskpool-probe"
[[ -f $SOURCE_DIR/clients/deskpool-probe/probe_session.c ]] ||
    fail "SOURCE_DIR $SOURCE_DIR is not the deskpool tree"

WORK=$(mktemp -d /tmp/test_probe.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

winpr-hash -u alice -p secret -f sam >"$WORK/sam"
printf 'secret\n' >"$WORK/pw"
printf 'wrong\n' >"$WORK/badpw"
chmod 600 "$WORK/pw" "$WORK/badpw"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
random_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        port_free "$p" && { echo "$p"; return; }
    done
}
wait_listening() { # wait_listening PORT PID
    for _ in $(seq 100); do
        port_free "$1" || return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# --- the server --------------------------------------------------------------------------
PORT=$(random_port)
if [[ -x $DESKTOP ]]; then
    SERVER=deskpool-desktop
    "$DESKTOP" --port "$PORT" --sam "$WORK/sam" --users "$WORK/users" --state "$WORK/state" \
        >"$WORK/server.out" 2>"$WORK/server.log" &
    PIDS+=($!)
    wait_listening "$PORT" "${PIDS[-1]}" || fail "deskpool-desktop did not listen on $PORT"
else
    command -v freerdp-shadow-cli >/dev/null 2>&1 ||
        fail "no RDP server to test against: build deskpool-desktop (cmake --build $BUILD_DIR" \
            "--target deskpool-desktop) or apt-get install freerdp2-shadow-x11 xvfb"
    need Xvfb xvfb
    SERVER=freerdp-shadow-cli
    exec 5>"$WORK/display"
    Xvfb -displayfd 5 -retro -screen 0 1024x768x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do
        [[ -s $WORK/display ]] && break
        sleep 0.1
    done
    [[ -s $WORK/display ]] || fail "Xvfb did not start: $(cat "$WORK/xvfb.log")"
    DISPLAY=:$(head -n1 "$WORK/display")
    export DISPLAY
    # Something that echoes typed text, harmlessly (cat, not a shell). With no window
    # manager, keys go to the window under the pointer, which Xvfb puts mid-screen: the
    # xterm covers the screen.
    if command -v xterm >/dev/null 2>&1; then
        xterm -geometry 170x58+0+0 -bg white -fg black -e cat >/dev/null 2>&1 &
        PIDS+=($!)
        sleep 1
    fi
    # /sec:nla: without it the shadow server picks TLS and never asks for a password.
    freerdp-shadow-cli "/port:$PORT" "/sam-file:$WORK/sam" /sec:nla >"$WORK/server.log" 2>&1 &
    PIDS+=($!)
    wait_listening "$PORT" "${PIDS[-1]}" || fail "freerdp-shadow-cli did not listen on $PORT"
fi
echo "server: $SERVER on 127.0.0.1:$PORT"

# probe EXPECTED_RC NAME ARGS...: runs the probe, checks its exit code, keeps its output.
probe() {
    local want=$1 name=$2 rc=0
    shift 2
    timeout 60 "$PROBE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    if [[ $rc -ne $want ]]; then
        fail "$name: exit $rc, want $want; stdout: $(cat "$WORK/$name.out"); stderr: $(cat "$WORK/$name.err")"
    fi
}
json_field() { # json_field FILE KEY -> value (numbers and strings)
    python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
}
png_size() { # png_size FILE -> "WxH", from the IHDR chunk
    python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n" and d[12:16] == b"IHDR", "not a PNG"
print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"
}

band_differs() { # band_differs A.png B.png Y0 Y1: do rows Y0..Y1 differ? (8-bit RGB PNGs)
    python3 -c '
import struct, sys, zlib
def rows(path):
    d = open(path, "rb").read()
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(d):
        n, t = struct.unpack(">I4s", d[pos:pos + 8])
        if t == b"IHDR":
            w, h = struct.unpack(">II", d[pos + 8:pos + 16])
        elif t == b"IDAT":
            idat += d[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw, bpp, stride, out, prev = zlib.decompress(idat), 3, w * 3, [], bytearray(w * 3)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(bytes(line)); prev = line
    return out
a, b, y0, y1 = rows(sys.argv[1]), rows(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sys.exit(0 if a[y0:y1] != b[y0:y1] else 1)' "$@"
}

# --- 0: good login -----------------------------------------------------------------------
probe 0 good --user alice --password-file "$WORK/pw" --json --png "$WORK/good.png" \
    "127.0.0.1:$PORT"
[[ $(json_field "$WORK/good.out" result) == ok ]] || fail "good: result is not ok: $(cat "$WORK/good.out")"
for key in connect_ms first_frame_ms distinct_colours; do
    v=$(json_field "$WORK/good.out" $key)
    [[ $v =~ ^[0-9]+$ ]] || fail "good: $key is \"$v\", want a number"
done
ff=$(json_field "$WORK/good.out" first_frame_ms)
cm=$(json_field "$WORK/good.out" connect_ms)
((ff >= cm)) || fail "good: first frame ($ff ms) before connect ($cm ms)"
(($(json_field "$WORK/good.out" distinct_colours) > 1)) || fail "good: a single-colour screen"
[[ $(png_size "$WORK/good.png") == 1024x768 ]] || fail "good: PNG is $(png_size "$WORK/good.png"), want 1024x768"
[[ ! -e $WORK/good.png.tmp ]] || fail "good: temporary PNG left behind"
pass "good login: connect $cm ms, first frame $ff ms, PNG 1024x768"

PROBE_TEST_PW=secret probe 0 env --user alice --password-env PROBE_TEST_PW "127.0.0.1:$PORT"
grep -q "^ok: connect [0-9]* ms, first frame [0-9]* ms" "$WORK/env.out" ||
    fail "env: human line is \"$(cat "$WORK/env.out")\""
pass "password from the environment, human output"

# --- typing ------------------------------------------------------------------------------
if [[ $SERVER == deskpool-desktop ]] || command -v xterm >/dev/null 2>&1; then
    probe 0 typed --user alice --password-file "$WORK/pw" --json --png "$WORK/typed.png" \
        --type-text "probe says hi" "127.0.0.1:$PORT"
    [[ $(json_field "$WORK/typed.out" typed_frame_ms) =~ ^[0-9]+$ ]] ||
        fail "typed: no typed_frame_ms: $(cat "$WORK/typed.out")"
    [[ $(png_size "$WORK/typed.png") == 1024x768 ]] || fail "typed: PNG has the wrong size"
    # The echo must be in the picture: the band where typed text appears (deskpool-desktop's
    # "typed:" box, or the xterm's first line) must differ from the untyped picture. Only
    # that band: the clocks elsewhere tick between the two logins.
    if [[ $SERVER == deskpool-desktop ]]; then band=(265 305); else band=(0 30); fi
    band_differs "$WORK/good.png" "$WORK/typed.png" "${band[@]}" ||
        fail "typed: rows ${band[*]} of the picture did not change"
    pass "typed text echoed after $(json_field "$WORK/typed.out" typed_frame_ms) ms"
else
    echo "note: typing not checked (shadow server without xterm: apt-get install xterm)"
fi

# --- 4: wrong password -------------------------------------------------------------------
probe 4 wrongpw --user alice --password-file "$WORK/badpw" --json "127.0.0.1:$PORT"
[[ $(json_field "$WORK/wrongpw.out" result) == auth_failed ]] || fail "wrongpw: $(cat "$WORK/wrongpw.out")"
probe 4 nouser --user mallory --password-file "$WORK/pw" "127.0.0.1:$PORT"
grep -q "password" "$WORK/nouser.err" || fail "nouser: message does not mention the password"
pass "wrong password and unknown user: exit 4"

# --- 3: refused / unreachable / silent ---------------------------------------------------
DEAD=$(random_port)
probe 3 refused --user alice --password-file "$WORK/pw" "127.0.0.1:$DEAD"
grep -q "Connection refused" "$WORK/refused.err" || fail "refused: message: $(cat "$WORK/refused.err")"
pass "nothing listening: exit 3"

probe 3 tlsonly --user alice --password-file "$WORK/pw" --sec tls "127.0.0.1:$PORT"
grep -q -- "--sec nla" "$WORK/tlsonly.err" || fail "tlsonly: no advice: $(cat "$WORK/tlsonly.err")"
pass "--sec tls against an NLA-only server: exit 3"

SILENT=$(random_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
held = []
while True:
    c, _ = s.accept(); held.append(c)' "$SILENT" &
PIDS+=($!)
wait_listening "$SILENT" "${PIDS[-1]}" || fail "the silent server did not start"
start=$(date +%s%N)
rc=0
timeout 30 "$PROBE" --user alice --password-file "$WORK/pw" --timeout 3 --json \
    "127.0.0.1:$SILENT" >"$WORK/silent.out" 2>"$WORK/silent.err" || rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
[[ $rc -eq 3 || $rc -eq 5 ]] || fail "silent: exit $rc, want 3 or 5: $(cat "$WORK/silent.out" "$WORK/silent.err")"
((elapsed < 4500)) || fail "silent: took $elapsed ms with --timeout 3"
pass "silent server: exit $rc after $elapsed ms (--timeout 3)"

# --- 2: usage ----------------------------------------------------------------------------
probe 2 nohost --user alice --password-file "$WORK/pw"
probe 2 nofile --user alice --password-file "$WORK/missing" "127.0.0.1:$PORT"
grep -q "$WORK/missing" "$WORK/nofile.err" || fail "nofile: message does not name the file"
probe 0 help --help
grep -q "Exit codes" "$WORK/help.out" || fail "--help does not document the exit codes"
grep -qi "not verified" "$WORK/help.out" || fail "--help does not say the certificate is not verified"
pass "usage errors: exit 2; --help documents exit codes and the certificate policy"

echo "PASS: deskpool-probe against $SERVER"
