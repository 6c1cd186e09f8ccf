# SPDX-License-Identifier: Apache-2.0
# Shared by test_chaos_gw_restart.sh, test_chaos_disk_full.sh, test_chaos_slow_conns.sh and
# tests/integration/test_gateway_limits.sh: a real deskpoold (HTTPS, its self-signed
# certificate and gateway key) and a real deskpool-gw in one short folder under /tmp, the
# deskpool CLI and deskpool-probe aimed at them, and the "what was tried / what held" table
# each chaos test prints.
# Usage: source "$SRC/tests/chaos/chaos_gw_stack.sh" after tests/integration/lib.sh
# (which gives BUILD, SRC, STATE, fail, pass, alive, ensure_tiny).

DAEMON="$BUILD/broker/daemon/deskpoold"
CLI="$BUILD/clients/deskpool/deskpool"
GW="${CHAOS_GW_BIN:-$BUILD/rdp-gw/deskpool-gw}" # CHAOS_GW_BIN: try another build
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
for b in "$DAEMON" "$CLI" "$GW" "$PROBE"; do
    [ -x "$b" ] || fail "$b not built: cmake --build $BUILD"
done
command -v python3 >/dev/null || fail "python3 is missing: apt-get install python3"

# Short: the admin socket lives here and unix socket paths are limited to 108 bytes.
B=$(mktemp -d /tmp/dpg-XXXXXX)
SOCK="$B/d.sock"
DPID=""
GWPID=""
GW_PORT=""
HTTPS_PORT=""
METRICS_PORT=""
STACK_POOLS=()
STACK_PIDS=() # clients and helpers to kill at exit
STACK_CLEANUP=() # extra commands to run at exit (unmounts ...)
ROWS=()
FAILED=0

dp() { "$CLI" --socket "$SOCK" "$@"; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
json_field() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -1; }
vm_field() { dp --json vm show "$1" | json_field "$2"; }
# The VM / state of USER's live session, from deskpool session list (ID USER POOL VM STATE ...).
session_vm() { dp session list | awk -v u="$1" '$2 == u {print $4; exit}'; }
session_state() { dp session list | awk -v u="$1" '$2 == u {print $5; exit}'; }
session_id() { dp session list | awk -v u="$1" '$2 == u {print $1; exit}'; }

# row WHAT RESULT: one line of the table; RESULT "held" or anything else (a failure).
row() {
    ROWS+=("$1|$2")
    [ "$2" = held ] || FAILED=1
    printf '  %-72s %s\n' "$1" "$2"
}
# check WHAT COMMAND...: a row that holds when COMMAND succeeds.
check() {
    local what=$1
    shift
    if "$@"; then row "$what" held; else row "$what" "DID NOT HOLD"; fi
}
print_table() {
    echo
    echo "== $1: what was tried, what held"
    printf '%-74s %s\n' "tried" "result"
    for r in "${ROWS[@]}"; do printf '%-74s %s\n' "${r%%|*}" "${r#*|}"; done
    if [ "$FAILED" = 0 ]; then echo "PASS"; else
        echo "FAIL: some rows did not hold"
    fi
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

stack_cleanup() {
    set +e
    for p in "${STACK_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$GWPID" ] && kill "$GWPID" 2>/dev/null
    if [ -n "$DPID" ] && alive "$DPID"; then
        if [ -z "${KEEP_FAILED:-}" ]; then
            for p in "${STACK_POOLS[@]}"; do dp pool delete "$p" --force --wait >/dev/null 2>&1; done
        fi
        kill "$DPID" 2>/dev/null
    fi
    wait 2>/dev/null
    for pidfile in "$B"/st/vms/*/qemu.pid; do
        [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
    done
    for c in "${STACK_CLEANUP[@]}"; do eval "$c"; done
    if [ -n "${KEEP_FAILED:-}" ]; then echo "kept $B" >&2; else rm -rf "$B"; fi
}
trap stack_cleanup EXIT

# stack_broker [extra [broker] lines]: deskpoold with HTTPS on a free port, state in $B/st.
stack_broker() {
    mkdir -p "$B/st/cache"
    [ -d "$B/st/cache/tiny" ] || cp -a "$STATE/cache/tiny" "$B/st/cache/"
    HTTPS_PORT=$(free_port)
    cat >"$B/deskpool.conf" <<CONF
[broker]
state_dir = $B/st
socket = $SOCK
pidfile = $B/deskpoold.pid
log_level = info
${1:-}
[https]
listen = 127.0.0.1:$HTTPS_PORT
CONF
    "$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
    DPID=$!
    local deadline=$((SECONDS + 30))
    until dp status >/dev/null 2>&1 && [ -s "$B/st/tls/cert.pem" ] && [ -s "$B/st/gateway.key" ]; do
        alive "$DPID" || die "deskpoold exited at start"
        [ $SECONDS -lt $deadline ] || die "deskpoold did not answer within 30 s"
        sleep 0.2
    done
}

# stack_broker_again: starts deskpoold again on the same config (same ports, same state).
stack_broker_again() {
    "$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
    DPID=$!
    local deadline=$((SECONDS + 30))
    until dp status >/dev/null 2>&1; do
        alive "$DPID" || die "deskpoold exited at its restart"
        [ $SECONDS -lt $deadline ] || die "deskpoold did not answer within 30 s of its restart"
        sleep 0.2
    done
}

# stack_gw_config [extra [limits] lines]: writes $B/gw.ini (a free port the first time).
stack_gw_config() {
    [ -n "$GW_PORT" ] || GW_PORT=$(free_port)
    [ -n "$METRICS_PORT" ] || METRICS_PORT=$(free_port)
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
${1:-}
[metrics]
listen = 127.0.0.1:$METRICS_PORT
INI
}

# stack_gw: starts deskpool-gw on $B/gw.ini, waits until it accepts clients.
stack_gw() {
    local before
    before=$(grep -c "listening on" "$B/gw.log" 2>/dev/null || true)
    "$GW" --config "$B/gw.ini" --foreground >>"$B/gw.out" 2>>"$B/gw.log" &
    GWPID=$!
    local deadline=$((SECONDS + 30))
    until [ "$(grep -c "listening on" "$B/gw.log" 2>/dev/null || true)" -gt "${before:-0}" ]; do
        alive "$GWPID" || die "deskpool-gw exited at start"
        [ $SECONDS -lt $deadline ] || die "deskpool-gw did not listen within 30 s"
        sleep 0.1
    done
}

# stack_pool NAME [pool create options]: a tiny-template pool, deleted at exit.
stack_pool() {
    local name=$1 out
    shift
    if [ -z "${STACK_TEMPLATE:-}" ]; then
        out=$(dp template build tiny) || die "template build: $out"
        STACK_TEMPLATE=1
    fi
    STACK_POOLS+=("$name")
    out=$(dp pool create "$name" --template tiny --type pooled "$@") ||
        { dp pool show "$name" >&2; die "pool create $name: $out"; }
}

# stack_user NAME PASSWORD POOL
stack_user() {
    printf '%s\n' "$2" | dp user add "$1" >/dev/null || die "user add $1"
    dp entitle "$3" --user "$1" >/dev/null || die "entitle $1"
}

# probe USER PASSWORD [options]: exit code of deskpool-probe through the gateway; its output
# in $B/probe-USER.out.
probe() {
    local user=$1 pw=$2
    shift 2
    PW=$pw timeout 150 "$PROBE" --user "$user" --password-env PW --json --timeout 120 "$@" \
        "127.0.0.1:$GW_PORT" >"$B/probe-$user.out" 2>&1
}

# metric NAME: the gateway's current value of a Prometheus counter/gauge.
metric() {
    python3 - "$METRICS_PORT" "$1" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
for line in text.splitlines():
    if line.split(" ")[0] == sys.argv[2]:
        print(line.split(" ")[1]); break
PY
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.5 s; 0 once it succeeds, 1 after SECONDS.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.5
    done
}
