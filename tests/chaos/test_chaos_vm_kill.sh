#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Chaos: kill -9 of a desktop VM's QEMU while its user is logged in through deskpool-gw.
# A real deskpoold, deskpool-gw and a pooled tiny-template pool (instant clones). alice logs
# in through the gateway with deskpool-probe --hold; then her VM's QEMU gets SIGKILL.
#   - her client sees the session end (it does not hang);
#   - the broker notices (reconciliation): the VM is marked error with a reason that says
#     its QEMU is gone, her session ends, audited with the reason "the VM died";
#   - her next login through the gateway gets a working desktop (a frame) on a VM that runs;
#   - the dead VM is replaced: it is rebuilt with a fresh QEMU or deleted, and the pool is
#     back at its spare target, with no orphan QEMU or overlay and nothing lost.
# Usage: test_chaos_vm_kill.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$@"

FAULT="VM QEMU kill -9"
POOL=vmk
chaos_seed
chaos_init
broker_start
gw_start
out=$(dp template build tiny) || die "template build: $out"
out=$(dp pool create $POOL --template tiny --type pooled --max 3 --spare 1 \
    --disconnect-timeout 1h --wait --wait-timeout 240) || { dp pool show $POOL >&2; die "pool create: $out"; }
add_user alice Alice-pw-1 $POOL
pass "deskpoold, deskpool-gw and pool $POOL (tiny, instant clones, max 3, spare 1) up"

probe_alice() { # probe_alice OUT [options]: deskpool-probe as alice through the gateway
    local out=$1
    shift
    PW=Alice-pw-1 "$PROBE" --user alice --password-env PW --json --timeout 120 "$@" \
        "127.0.0.1:$GW_PORT" >"$out" 2>&1
}
probe_alice "$B/hold.out" --hold 600 &
HOLD=$!
CHAOS_PIDS+=("$HOLD")
deadline=$((SECONDS + 120))
until [ "$(live_sessions | awk '$2 == "alice" {print $5}')" = connected ] &&
    grep -q 'user "alice" relayed to vm' "$B/gw.log"; do
    alive "$HOLD" || die "alice's session ended before the fault: $(cat "$B/hold.out")"
    [ $SECONDS -lt $deadline ] || die "alice's login through the gateway did not happen in 120 s"
    sleep 0.5
done
sleep 2 # a few clock frames through the relay
vm=$(session_vm alice)
sid=$(live_sessions | awk '$2 == "alice" {print $1}')
qpid=$(cat "$B/st/vms/$vm/qemu.pid")
alive "$qpid" || die "alice's VM $vm: QEMU $qpid does not run"
mark=$(last_event_id)
pass "alice is on $vm (session $sid, QEMU $qpid) through the gateway"

# From here on a failing command is a finding for the table, not the end of the test.
set +e +o pipefail
trap - ERR
kill -9 "$qpid"
t0=$(now_ms)

# The client: its session ends (exit 6, dropped) instead of hanging.
deadline=$((SECONDS + 40))
while alive "$HOLD" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
rc=0
alive "$HOLD" && rc=hung || wait "$HOLD" || rc=$?
chaos_check "$FAULT" "the user's client sees its session end (no hang)" \
    "probe: exit $rc: $(cat "$B/hold.out")" test "$rc" = 6
t_client=$(($(now_ms) - t0))

# The broker: the VM marked error because its QEMU is gone, the session ended and audited.
deadline=$((SECONDS + 60))
until dp events --since "$mark" | grep -q "session.end *session:$sid: .*reason=the VM died" &&
    dp events --since "$mark" | grep -q "vm.state *vm:$vm: .*to=error reason=its QEMU process is gone"; do
    [ $SECONDS -lt $deadline ] || break
    sleep 0.3
done
t_detect=$(($(now_ms) - t0))
ev=$(dp events --since "$mark")
chaos_check "$FAULT" "the broker notices: VM marked error, reason says its QEMU is gone (audited)" \
    "after ${t_detect} ms the audit log says: $(echo "$ev" | grep "vm:$vm" | tail -3 | xargs)" \
    grep -q "vm.state *vm:$vm: .*to=error reason=its QEMU process is gone" <<<"$ev"
chaos_check "$FAULT" "the session ends, audited with the reason \"the VM died\"" \
    "after ${t_detect} ms: $(echo "$ev" | grep "session:$sid" | xargs); live: $(live_sessions | xargs)" \
    grep -q "session.end *session:$sid: .*reason=the VM died" <<<"$ev"
echo "killed QEMU $qpid of $vm: client saw it in ${t_client} ms, the broker in ${t_detect} ms"

# The user's next login: a working desktop (a frame) on a VM whose QEMU runs.
rc=0
probe_alice "$B/again.out" || rc=$?
vm2=$(session_vm alice)
pid2=$(cat "$B/st/vms/$vm2/qemu.pid" 2>/dev/null || echo none)
chaos_check "$FAULT" "the user's next login through the gateway gets a working desktop" \
    "probe exit $rc: $(cat "$B/again.out"); session on '$vm2', QEMU $pid2" \
    eval 'test $rc = 0 && [ -n "$vm2" ] && alive "$pid2" && [ "$pid2" != "$qpid" ]'
echo "alice's next login: $(cat "$B/again.out") on $vm2"

# The dead VM is replaced: rebuilt with a fresh QEMU (ready or in use) or deleted, and the
# pool keeps its spare target. A VM that served is retried at once (a spare that dies right
# after it became ready waits out the broker's 30 s error pause).
deadline=$((SECONDS + 150))
replaced() {
    local st
    st=$(dp --json vm show "$vm" 2>/dev/null | json_field state)
    case "$st" in
    "") ;; # deleted
    ready | assigned | in_use | disconnected | stopped)
        [ "$(cat "$B/st/vms/$vm/qemu.pid" 2>/dev/null)" != "$qpid" ] || return 1
        ;;
    *) return 1 ;;
    esac
    [ "$(dp --json pool show $POOL | json_field spare_ready)" -ge 1 ] 2>/dev/null
}
until replaced; do
    [ $SECONDS -lt $deadline ] || break
    sleep 1
done
t_replace=$(($(now_ms) - t0))
chaos_check "$FAULT" "the dead VM is replaced (fresh QEMU or deleted) and the pool is back at its spare target" \
    "after ${t_replace} ms: $(store_vm_states | xargs); $(dp pool show $POOL | grep -i spare | xargs)" replaced
wait_settled 60 || true
check_host "$FAULT" "after the replacement"
check_sessions "$FAULT" "after the replacement"

chaos_report "$FAULT (seed $CHAOS_SEED): client saw it in ${t_client} ms, broker in ${t_detect} ms, replaced in ${t_replace} ms"
