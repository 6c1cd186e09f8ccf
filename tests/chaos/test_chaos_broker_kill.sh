#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Chaos: kill -9 of deskpoold at random moments across CHAOS_CYCLES (default 50) cycles of
# real work on a pooled tiny-template pool with instant clones, behind a real deskpool-gw.
# Each cycle starts some work in the background (a desktop request for a user without one,
# a logoff so the pooled VM refreshes, now and then a recompose to the other template
# version or a pool resize), kills deskpoold with SIGKILL after a random delay, starts it
# again and waits until no VM is in motion. Then, every cycle:
#   - every QEMU process belongs to a VM the store knows, and every VM the store says runs
#     has its QEMU (no orphan, no lost VM);
#   - every VM folder (overlay) on disk belongs to a VM the store knows;
#   - no VM is in two live sessions, no user has two live sessions in the pool;
#   - every live session's VM is held for that user (not ready for someone else);
#   - every session live before the kill (or started by the cycle's request) is still live
#     on the same VM, or was ended with a reason in the audit log (session.end).
# Across all cycles, a session relayed through deskpool-gw (deskpool-probe --hold), started
# before the first kill, stays connected and keeps receiving the desktop's clock frames.
# Random choices come from CHAOS_SEED (printed): CHAOS_SEED=N replays them (docs/CHAOS.md).
# Usage: test_chaos_broker_kill.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$@"

CYCLES=${CHAOS_CYCLES:-50}
FAULT="broker kill -9"
POOL=lab
USERS=(u1 u2 u3)

chaos_seed
chaos_init
broker_start
gw_start
out=$(dp template build tiny) || die "template build: $out"
# A second version of the same image, so a recompose has somewhere to go (and back).
T="$B/st/cache/tiny"
append=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["append"])' "$T/meta.json")
out=$(dp template import tiny "$T/base.qcow2" --kernel "$T/vmlinuz" --initrd "$T/initrd.img" \
    --append "$append" --memory 256 --vcpus 1 --rdp) || die "template import: $out"
out=$(dp pool create $POOL --template tiny --version 1 --type pooled --max 4 --spare 2 \
    --disconnect-timeout 1h --wait --wait-timeout 240) || { dp pool show $POOL >&2; die "pool create: $out"; }
add_user relay Relay-pw-1 $POOL
for u in "${USERS[@]}"; do add_user "$u" "Pw-$u-1" $POOL; done
pass "deskpoold, deskpool-gw and pool $POOL (tiny v1, instant clones, max 4, spare 2) up"

# The long-lived relayed session: NLA through the gateway, then held until told to stop.
PW=Relay-pw-1 "$PROBE" --user relay --password-env PW --json --timeout 120 --hold 3600 \
    "127.0.0.1:$GW_PORT" >"$B/relay.out" 2>&1 &
RELAY=$!
CHAOS_PIDS+=("$RELAY")
deadline=$((SECONDS + 120))
until [ "$(live_sessions | awk '$2 == "relay" {print $5}')" = connected ] &&
    grep -q 'user "relay" relayed to vm' "$B/gw.log"; do
    alive "$RELAY" || die "the relayed session ended before the cycles: $(cat "$B/relay.out")"
    [ $SECONDS -lt $deadline ] || die "relay's login through the gateway did not happen in 120 s"
    sleep 0.5
done
RELAY_VM=$(session_vm relay)
RELAY_T0=$SECONDS
pass "relay's session is up through the gateway on $RELAY_VM"

version=1
max=4
# One cycle's work, in the background; what it did goes to $B/work.out (one line a step).
work() {
    local u s
    u=${USERS[RANDOM % ${#USERS[@]}]}
    s=$(session_vm "$u")
    if [ -z "$s" ]; then
        echo "request $u"
        dp desktop request "$u" 2>&1 | sed -n 's/.*(session \([0-9]*\)).*/started \1/p;s/^deskpool: /refused: /p'
    else
        echo "logoff $u"
        dp session logoff "$u" >/dev/null 2>&1 || echo "logoff $u failed"
    fi
    case $((RANDOM % 8)) in
    0)
        echo "recompose $POOL to v$1"
        dp pool recompose $POOL --version "$1" >/dev/null 2>&1 || echo "recompose failed"
        ;;
    1)
        echo "resize $POOL --max $2"
        dp pool resize $POOL --max "$2" >/dev/null 2>&1 || echo "resize failed"
        ;;
    esac
}

# Checks after a restart ($1: the cycle); $before: live sessions before the kill, $mark:
# the last audit event before the work.
check_cycle() {
    local c=$1 sess
    check_host "$FAULT" "cycle $c"
    check_sessions "$FAULT" "cycle $c"
    sess=$(live_sessions)

    # Nothing lost: each session live before the kill (or started by this cycle's request)
    # is still live on the same VM, or its end is in the audit log with a reason.
    local lost="" ev id user pool want_vm st now_vm
    ev=$(dp events --since "$mark" 2>/dev/null || true)
    while read -r id user pool want_vm st; do
        [ -n "$id" ] || continue
        now_vm=$(echo "$sess" | awk -v i="$id" '$1 == i {print $4}')
        if [ -n "$now_vm" ]; then
            [ "$now_vm" = "$want_vm" ] || [ "$want_vm" = "?" ] || lost+=" session $id of $user moved $want_vm->$now_vm"
        elif ! echo "$ev" | grep -q "session.end *session:$id: .*reason=."; then
            lost+=" session $id of $user ($want_vm) gone without an audited end"
        fi
    done < <(
        echo "$before"
        sed -n 's/^started \([0-9]*\)$/\1 ? ? ? ?/p' "$B/work.out"
    )
    chaos_check "$FAULT" "no lost assignment (live before: still live on its VM, or ended and audited)" \
        "cycle $c:$lost" test -z "$lost"
}

# From here on a failing command is a finding for the table, not the end of the test.
set +e +o pipefail
trap - ERR
t_cycles=$SECONDS
for c in $(seq 1 "$CYCLES"); do
    # The other version of the template, and the other max, for this cycle's work.
    next_version=$((3 - version))
    next_max=$((max == 4 ? 5 : 4))
    mark=$(last_event_id)
    before=$(live_sessions)
    delay=$((RANDOM % 1500))
    work "$next_version" "$next_max" >"$B/work.out" 2>&1 &
    WORK=$!
    sleep "$(printf '0.%03d' $((delay % 1000)))"
    [ $delay -lt 1000 ] || sleep $((delay / 1000))
    # What was in motion when the kill landed (VMs in a job's state), for the log.
    moving=$(store_vm_states 2>/dev/null | awk '$2 !~ /^(ready|assigned|in_use|disconnected|stopped)$/' | xargs)
    broker_kill9
    wait "$WORK" 2>/dev/null || true
    grep -q "^recompose .* v$next_version$" "$B/work.out" && version=$next_version
    grep -q "^resize .* $next_max$" "$B/work.out" && max=$next_max
    echo "cycle $c: killed after $delay ms during: $(xargs <"$B/work.out"); in motion: [${moving}]"
    t_restart=$(now_ms)
    broker_start
    settled=1
    wait_settled 120 || settled=0
    chaos_check "$FAULT" "deskpoold restarts and its pool settles (no VM left in motion)" \
        "cycle $c: still moving after 120 s: $(store_vm_states | xargs)" test $settled = 1
    echo "cycle $c: restarted and settled in $(($(now_ms) - t_restart)) ms: $(store_vm_states | awk '{printf "%s:%s ", $1, $2}')"
    t_check=$(now_ms)
    check_cycle "$c"
    echo "cycle $c: checked in $(($(now_ms) - t_check)) ms"
    chaos_check "$FAULT" "the relayed session survives every kill (deskpool-probe --hold still connected)" \
        "cycle $c: the probe ended: $(cat "$B/relay.out")" alive "$RELAY"
    [ ${#CHAOS_BROKE[@]} -lt 20 ] || break # enough to look at
done
t_cycles=$((SECONDS - t_cycles))

# The relayed session: still on the same VM, then ended on purpose (SIGTERM ends the hold
# as ok); it must have kept receiving the desktop's clock (one frame a second).
held_s=$((SECONDS - RELAY_T0))
now_vm=$(session_vm relay)
chaos_check "$FAULT" "the relayed session is on the same VM after all kills" \
    "relay's VM was $RELAY_VM, now '$now_vm'" test "$now_vm" = "$RELAY_VM"
kill -TERM "$RELAY" 2>/dev/null || true
rc=0
wait "$RELAY" || rc=$?
frames=$(sed -n 's/.*"frames":\([0-9]*\).*/\1/p' "$B/relay.out")
chaos_check "$FAULT" "the relayed session kept receiving frames (>= 1 per 3 s held)" \
    "probe exit $rc after ${held_s} s, ${frames:-no} frames: $(cat "$B/relay.out")" \
    test "$rc" = 0 -a "${frames:-0}" -ge $((held_s / 3))

chaos_report "$CYCLES cycles of $FAULT in ${t_cycles} s (seed $CHAOS_SEED); relay held ${held_s} s, ${frames:-0} frames"
