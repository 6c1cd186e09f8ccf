# SPDX-License-Identifier: Apache-2.0
# Shared by the chaos tests (tests/chaos/test_chaos_*.sh): a real deskpoold and deskpool-gw
# in a private state folder, a pool on the tiny template, the store's view through the
# `deskpool` CLI, what really runs (QEMU processes, overlays on disk), and the table every
# chaos test prints: what was tried and what held. See docs/CHAOS.md.
#
# Usage in a test:
#   source "$(dirname "$0")/lib.sh" "$@"      # args: BUILD_DIR SOURCE_DIR
#   chaos_init                                # state folder, config; template cache copied
#   broker_start; gw_start                    # deskpoold (HTTPS + unix socket), deskpool-gw
#   ...  chaos_check FAULT CHECK "detail if it broke" CONDITION-COMMAND...
#   chaos_report                              # prints the table; exits 1 if anything broke
#
# Everything started here is stopped at exit (QEMU processes by their pidfiles and by the
# state folder in their command line); KEEP_FAILED=1 keeps the folder for a look.
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh" "$@"
# set -e ends a test at the first failing command: say which, or the end is a mystery.
set -E
trap '[ "$BASHPID" != "$$" ] || echo "chaos: line $LINENO: \"$BASH_COMMAND\" failed (exit $?); the test ends here" >&2' ERR

DAEMON="$BUILD/broker/daemon/deskpoold"
CLI="$BUILD/clients/deskpool/deskpool"
GW="$BUILD/rdp-gw/deskpool-gw"
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
for b in "$DAEMON" "$CLI" "$GW" "$PROBE"; do
    [ -x "$b" ] || fail "$b not built: cmake --build $BUILD"
done
command -v python3 >/dev/null || fail "python3 is missing: apt-get install python3"

B=""       # the test's folder (short: unix socket paths are limited to 108 bytes)
SOCK=""    # deskpoold's admin socket
DPID=""    # deskpoold
GWPID=""   # deskpool-gw
GW_PORT="" # where clients connect
HTTPS_PORT=""
CHAOS_PIDS=() # other processes a test started (probes): killed at exit

dp() { "$CLI" --socket "$SOCK" "$@"; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
json_field() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -1; }
vm_field() { dp --json vm show "$1" | json_field "$2"; }
now_ms() { date +%s%3N; }

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

# chaos_init: the test's folder, deskpoold's config and the tiny template cache (built once
# for all integration tests, copied so `deskpool template build tiny` is the cached path).
chaos_init() {
    B=$(mktemp -d /tmp/dpc-XXXXXX)
    SOCK="$B/d.sock"
    ensure_tiny
    mkdir -p "$B/st/cache" "$B/gw"
    cp -a "$STATE/cache/tiny" "$B/st/cache/"
    HTTPS_PORT=$(free_port)
    GW_PORT=$(free_port)
    cat >"$B/deskpool.conf" <<CONF
[broker]
state_dir = $B/st
socket = $SOCK
pidfile = $B/deskpoold.pid
log_level = info
[https]
listen = 127.0.0.1:$HTTPS_PORT
[pool]
memory_reserve_mb = 256
CONF
}

# broker_start [SECONDS]: deskpoold in the background (log: $B/deskpoold.log), until its
# socket answers and its HTTPS certificate and gateway key exist.
broker_start() {
    "$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
    DPID=$!
    local deadline=$((SECONDS + ${1:-30}))
    until dp status >/dev/null 2>&1 && [ -s "$B/st/tls/cert.pem" ] && [ -s "$B/st/gateway.key" ]; do
        alive "$DPID" || die "deskpoold exited at start"
        [ $SECONDS -lt $deadline ] || die "deskpoold did not answer within ${1:-30} s"
        sleep 0.1
    done
}

# broker_kill9: SIGKILL, no chance to finish anything; reaped so its pid is not reused.
broker_kill9() {
    [ -n "$DPID" ] || return 0
    kill -9 "$DPID" 2>/dev/null || true
    wait "$DPID" 2>/dev/null || true
    DPID=""
}

broker_stop() {
    [ -n "$DPID" ] || return 0
    kill "$DPID" 2>/dev/null || true
    wait "$DPID" 2>/dev/null || true
    DPID=""
}

# gw_start: deskpool-gw on $GW_PORT, trusting exactly the broker's certificate; metrics off
# (its default port may be taken by another test). Log: $B/gw.log.
gw_start() {
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
listen =
INI
    "$GW" --config "$B/gw.ini" --foreground >>"$B/gw.out" 2>>"$B/gw.log" &
    GWPID=$!
    local deadline=$((SECONDS + 20))
    until [ "$(grep -c "listening on" "$B/gw.log" 2>/dev/null || true)" -gt "${GW_STARTS:-0}" ] 2>/dev/null; do
        alive "$GWPID" || die "deskpool-gw exited at start"
        [ $SECONDS -lt $deadline ] || die "deskpool-gw did not listen within 20 s"
        sleep 0.1
    done
    GW_STARTS=$(grep -c "listening on" "$B/gw.log")
}

gw_stop() {
    [ -n "$GWPID" ] || return 0
    kill "$GWPID" 2>/dev/null || true
    wait "$GWPID" 2>/dev/null || true
    GWPID=""
}

# add_user NAME PASSWORD POOL: a user entitled to POOL.
add_user() {
    printf '%s\n' "$2" | dp user add "$1" >/dev/null || die "user add $1"
    dp entitle "$3" --user "$1" >/dev/null || die "entitle $1 to $3"
}

# ---- the store's view (deskpool CLI) ----

# VM names the store knows (all pools), sorted.
store_vms() { dp vm list | awk 'NR > 1 {print $1}' | sort; }
# "NAME STATE" per VM, sorted by name.
store_vm_states() { dp vm list | awk 'NR > 1 {print $1, $3}' | sort; }
# Live sessions as "ID USER POOL VM STATE", by id.
live_sessions() { dp session list | awk 'NR > 1 && $1 ~ /^[0-9]+$/ {print $1, $2, $3, $4, $5}' | sort -n; }
# The VM of USER's live session (first pool found).
session_vm() { live_sessions | awk -v u="$1" '$2 == u {print $4; exit}'; }
# Newest audit event id (0 if none).
last_event_id() {
    local id
    id=$(dp --json events --limit 1 | json_field id)
    echo "${id:-0}"
}

# ---- what really runs ----

# PIDs of QEMU processes started for this test's state folder (VMs and parent builds).
qemu_pids() { pgrep -f "qemu-system.*$B/st/" | sort -n || true; }
# The VM name (QEMU's -name guest=NAME) of each QEMU process of this test, sorted.
qemu_vms() {
    local p
    for p in $(qemu_pids); do
        alive "$p" || continue
        { tr '\0' '\n' <"/proc/$p/cmdline"; } 2>/dev/null | sed -n 's/^guest=\([^,]*\).*/\1/p'
    done | sort || true
}
# VM folders on disk (each holds an overlay disk.qcow2), sorted.
disk_vms() { ls "$B/st/vms" 2>/dev/null | sort; }

# wait_settled SECONDS: until no VM of any pool is in a state a job is moving it through
# (provisioning, starting, refreshing, stopping, deleting) on every look for 1.5 s: longer
# than the pool manager's tick (1 s), which plans the next moves (spares, recompose).
wait_settled() {
    local deadline=$((SECONDS + $1)) calm=0
    while [ $calm -lt 6 ]; do
        if dp vm list 2>/dev/null | awk 'NR > 1 {print $3}' |
            grep -qE '^(provisioning|starting|refreshing|stopping|deleting)$'; then
            calm=0
        elif dp status >/dev/null 2>&1; then
            calm=$((calm + 1))
        fi
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.3
    done
}

# chaos_seed: seeds bash's RANDOM from CHAOS_SEED (to replay a run) or a fresh value, and
# prints it; CHAOS_SEED holds it afterwards.
chaos_seed() {
    CHAOS_SEED=${CHAOS_SEED:-$(($(date +%s%N) % 1000000))}
    RANDOM=$CHAOS_SEED
    echo "seed: $CHAOS_SEED (replay: CHAOS_SEED=$CHAOS_SEED bash $0 $BUILD $SRC)"
}

# ---- the table: what was tried and what held ----
declare -A CHAOS_TRIED=() CHAOS_HELD=()
CHAOS_ORDER=()
CHAOS_BROKE=()
CHAOS_OK=1

# chaos_check FAULT CHECK DETAIL COMMAND...: runs COMMAND; counts one try of CHECK under
# FAULT, held if COMMAND succeeded. DETAIL (evaluated by the caller) says what was seen
# when it did not hold. Always returns 0 (tests run under set -e and go on to the report);
# CHAOS_OK says whether this one held.
chaos_check() {
    local fault="$1" check="$2" detail="$3"
    shift 3
    local key="$fault|$check"
    if [ -z "${CHAOS_TRIED[$key]+x}" ]; then
        CHAOS_ORDER+=("$key")
        CHAOS_TRIED[$key]=0
        CHAOS_HELD[$key]=0
    fi
    CHAOS_TRIED[$key]=$((CHAOS_TRIED[$key] + 1))
    CHAOS_OK=1
    if "$@"; then
        CHAOS_HELD[$key]=$((CHAOS_HELD[$key] + 1))
        return 0
    fi
    CHAOS_OK=0
    CHAOS_BROKE+=("$fault: $check: $detail")
    echo "BROKE: $fault: $check: $detail" >&2
}

# chaos_report [NOTE]: the table of every check (fault, tries, held, what was checked),
# then what broke; exit status 1 if anything did not hold, else 0.
chaos_report() {
    local key fault check
    echo
    [ -z "${1:-}" ] || echo "$1"
    printf '| %-22s | %5s | %5s | %s\n' fault tried held "what was checked"
    printf '|%s|%s|%s|%s\n' "------------------------" "-------" "-------" "------------------"
    for key in "${CHAOS_ORDER[@]}"; do
        fault=${key%%|*}
        check=${key#*|}
        printf '| %-22s | %5d | %5d | %s\n' "$fault" "${CHAOS_TRIED[$key]}" "${CHAOS_HELD[$key]}" "$check"
    done
    if [ ${#CHAOS_BROKE[@]} -gt 0 ]; then
        echo
        echo "did not hold (${#CHAOS_BROKE[@]}):"
        printf '  %s\n' "${CHAOS_BROKE[@]}" | head -40
        return 1
    fi
    echo "everything held"
}

# ---- checks every chaos test wants after a fault ----

# check_host FAULT CONTEXT: what runs matches what the store says. Every QEMU process runs a
# VM the store knows (no orphan), every VM the store says runs has its QEMU (none lost),
# every VM folder on disk (an overlay) belongs to a VM the store knows.
check_host() {
    local fault=$1 ctx=$2 states vms q d running orphan_q lost_q orphan_d
    states=$(store_vm_states)
    vms=$(echo "$states" | awk 'NF {print $1}')
    q=$(qemu_vms)
    d=$(disk_vms)
    running=$(echo "$states" | awk '$2 ~ /^(ready|assigned|in_use|disconnected)$/ {print $1}')
    orphan_q=$(comm -23 <(echo "$q") <(echo "$vms") | xargs)
    lost_q=$(comm -23 <(echo "$running") <(echo "$q") | xargs)
    orphan_d=$(comm -23 <(echo "$d") <(echo "$vms") | xargs)
    chaos_check "$fault" "no orphan QEMU process (each runs a VM the store knows)" \
        "$ctx: QEMU runs for [$orphan_q], unknown to the store" test -z "$orphan_q"
    chaos_check "$fault" "no lost VM (each VM the store says runs has its QEMU)" \
        "$ctx: no QEMU for [$lost_q]" test -z "$lost_q"
    chaos_check "$fault" "no orphan overlay (each VM folder on disk is a VM the store knows)" \
        "$ctx: folders [$orphan_d] unknown to the store" test -z "$orphan_d"
}

# check_sessions FAULT CONTEXT: no VM in two live sessions, no user with two in one pool,
# and each live session's VM held for its user (a "ready" VM would go to someone else).
check_sessions() {
    local fault=$1 ctx=$2 sess vms dup bad="" id user pool vm st vstate vuser
    sess=$(live_sessions)
    vms=$(dp vm list | awk 'NR > 1 {print $1, $3, $4}') # NAME STATE USER
    dup=$(echo "$sess" | awk 'NF {print $4}' | sort | uniq -d | xargs)
    chaos_check "$fault" "no VM in two live sessions" "$ctx: VMs [$dup] twice" test -z "$dup"
    dup=$(echo "$sess" | awk 'NF {print $2 "@" $3}' | sort | uniq -d | xargs)
    chaos_check "$fault" "no user with two live sessions in one pool" "$ctx: [$dup]" test -z "$dup"
    while read -r id user pool vm st; do
        [ -n "$id" ] || continue
        vstate=$(echo "$vms" | awk -v v="$vm" '$1 == v {print $2}')
        vuser=$(echo "$vms" | awk -v v="$vm" '$1 == v {print $3}')
        case "$vstate" in assigned | in_use | disconnected) ;; *) bad+=" $vm:$vstate($user)" ;; esac
        [ "$vuser" = "$user" ] || bad+=" $vm:owner=$vuser,session=$user"
    done <<<"$sess"
    chaos_check "$fault" "each live session's VM is held for its user" "$ctx:$bad" test -z "$bad"
    # The other way round: a VM held for a user with no live session is lost to everyone.
    bad=$(echo "$vms" | awk '$2 ~ /^(assigned|in_use|disconnected)$/ {print $1}' |
        while read -r vm; do echo "$sess" | awk -v v="$vm" '$4 == v {f=1} END {exit !f}' || echo "$vm"; done | xargs)
    chaos_check "$fault" "each VM held for a user has a live session (none held for no one)" \
        "$ctx: [$bad] held without a session" test -z "$bad"
}

# ---- cleanup ----
chaos_cleanup() {
    local p pidfile
    for p in "${CHAOS_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    gw_stop
    broker_stop
    wait 2>/dev/null || true
    [ -n "$B" ] || return 0
    for pidfile in "$B"/st/vms/*/qemu.pid; do
        [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    done
    # Whatever has no pidfile any more (a half-destroyed VM, a parent build).
    for p in $(qemu_pids); do kill -9 "$p" 2>/dev/null || true; done
    if [ -n "${KEEP_FAILED:-}" ]; then echo "kept $B" >&2; else rm -rf "$B"; fi
}
trap 'chaos_cleanup; cleanup_vms' EXIT
