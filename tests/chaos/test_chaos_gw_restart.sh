#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Chaos: the gateway restarts while two users' sessions run through it.
#   broker + deskpool-gw + a pooled tiny-template pool (disconnect timeout 2 min); alice and
#   bob logged in through the gateway with long-lived clients (deskpool-probe waiting for a
#   desktop that never stops drawing its clock). Then, once with SIGTERM and once with
#   SIGKILL:
#   - the relayed sessions drop (they are TCP through the gateway);
#   - the broker records them disconnected: after SIGTERM the gateway reports it on its way
#     out; after SIGKILL it cannot, and the restarted gateway reports what its session
#     journal (STATE_DIR/sessions-HOST-PORT/) says was running;
#   - each user's reconnect lands on their own VM, in the same session, within the pool's
#     disconnect timeout;
#   - then deskpoold is stopped while the sessions end (clients gone): the gateway keeps the
#     unacknowledged ends and sends them again until the restarted broker records them;
#   - nothing in the store is lost or doubled: one session per user, the same VMs, no VM
#     with two users, sqlite's integrity_check ok.
# Prints a table of what was tried and what held; exits 1 if a row did not hold.
# Usage: test_chaos_gw_restart.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/../integration/lib.sh" "$@"
source "$SRC/tests/chaos/chaos_gw_stack.sh"
trap stack_cleanup EXIT
T0=$SECONDS

ensure_tiny
stack_broker
stack_gw_config
stack_gw
stack_pool gwr --max 3 --spare 2 --disconnect-timeout 2m --wait --wait-timeout 180
stack_user alice Alice-pw-1 gwr
stack_user bob Bob-pw-1 gwr
echo "stack up in $((SECONDS - T0)) s (gateway 127.0.0.1:$GW_PORT)"

# A client that stays: the tiny desktop redraws its clock every second, so "settle" never
# comes and the probe holds the session until the gateway drops it (or 200 s pass).
declare -A CLIENT
hold() {
    PW=$2 timeout 230 "$PROBE" --user "$1" --password-env PW --json --timeout 200 \
        --settle-ms 600000 "127.0.0.1:$GW_PORT" >"$B/hold-$1.out" 2>&1 &
    CLIENT[$1]=$!
    STACK_PIDS+=($!)
}
both_state() { [ "$(session_state alice)" = "$1" ] && [ "$(session_state bob)" = "$1" ]; }
relayed() { [ "$(grep -c "relayed to vm" "$B/gw.log")" -ge "$1" ]; }
clients_gone() { ! alive "${CLIENT[alice]}" && ! alive "${CLIENT[bob]}"; }

hold alice Alice-pw-1
hold bob Bob-pw-1
wait_for 150 relayed 2 && wait_for 20 both_state connected ||
    { dp session list >&2; die "alice and bob did not both get a relayed session"; }
# Let both desktops finish drawing their first frames: a client gone within a moment of its
# login may find no guest session to keep yet (the guest then reports the user gone).
sleep 3
VM_A=$(session_vm alice)
VM_B=$(session_vm bob)
SID_A=$(session_id alice)
SID_B=$(session_id bob)
[ -n "$VM_A" ] && [ -n "$VM_B" ] && [ "$VM_A" != "$VM_B" ] || die "alice on '$VM_A', bob on '$VM_B'"
VMS_BEFORE=$(dp vm list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')
echo "alice on $VM_A (session $SID_A), bob on $VM_B (session $SID_B); VMs: $VMS_BEFORE"

# reconnect ROUND: both users log in again with long-lived clients; rows for where they land.
reconnect() {
    local n
    n=$(grep -c "relayed to vm" "$B/gw.log")
    hold alice Alice-pw-1
    hold bob Bob-pw-1
    if wait_for 150 relayed $((n + 2)) && wait_for 20 both_state connected; then
        sleep 3 # as above: first frames drawn before the next fault
        check "$1: alice's reconnect lands on her VM $VM_A, session $SID_A" \
            test "$(session_vm alice)/$(session_id alice)" = "$VM_A/$SID_A"
        check "$1: bob's reconnect lands on his VM $VM_B, session $SID_B" \
            test "$(session_vm bob)/$(session_id bob)" = "$VM_B/$SID_B"
    else
        row "$1: both users reconnect through the restarted gateway" "DID NOT HOLD (see $B)"
    fi
}

# --- SIGTERM
kill -TERM "$GWPID"
t=$SECONDS
check "SIGTERM: the gateway exits within 15 s" wait_for 15 eval '! alive $GWPID'
check "SIGTERM: both relayed sessions drop (the clients see the end)" wait_for 15 clients_gone
check "SIGTERM: the broker records both sessions disconnected (reported on the way out)" \
    wait_for 10 both_state disconnected
echo "  (sessions disconnected $((SECONDS - t)) s after SIGTERM)"
stack_gw
reconnect "SIGTERM"

# --- SIGKILL
kill -KILL "$GWPID"
check "SIGKILL: both relayed sessions drop" wait_for 15 clients_gone
# Nobody told the broker: it still believes both users are connected.
st_a=$(session_state alice)
check "SIGKILL: the broker cannot know yet (sessions still '$st_a' until a gateway says)" \
    test "$st_a" = connected
ls "$B/gw"/sessions-*/ >"$B/journal.txt" 2>&1 || true
check "SIGKILL: the killed gateway's journal names both sessions" \
    eval "grep -qx $SID_A $B/journal.txt && grep -qx $SID_B $B/journal.txt"
t=$SECONDS
stack_gw
check "SIGKILL: the restarted gateway reports both disconnected before it accepts clients" \
    wait_for 10 both_state disconnected
grep -q "session(s) of a previous gateway" "$B/gw.log" ||
    row "SIGKILL: the restarted gateway says it reported the previous one's sessions" "DID NOT HOLD"
echo "  (sessions disconnected $((SECONDS - t)) s after the restart)"
reconnect "SIGKILL"

# --- the broker is down when the sessions end: the gateway keeps the ends and retries
kill -TERM "$DPID"
wait_for 30 eval '! alive $DPID' || die "deskpoold did not stop"
kill "${CLIENT[alice]}" "${CLIENT[bob]}" 2>/dev/null || true
check "broker down: the gateway cannot report the ends and says it will retry" \
    wait_for 15 grep -q "did not record its end" "$B/gw.log"
stack_broker_again
t=$SECONDS
check "broker back: both ends recorded (sessions disconnected) without a client or gateway restart" \
    wait_for 20 both_state disconnected
echo "  (recorded $((SECONDS - t)) s after the broker was back)"
reconnect "broker restart"

# --- the store: nothing lost, nothing doubled
live=$(dp session list | awk 'NR > 1' | wc -l)
all=$(dp session list --all | awk 'NR > 1' | wc -l)
check "store: 2 live sessions, 2 in all (reconnects reused them; got $live live, $all all)" \
    test "$live/$all" = 2/2
VMS_AFTER=$(dp vm list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')
check "store: the same VMs as before the restarts ($VMS_AFTER)" test "$VMS_AFTER" = "$VMS_BEFORE"
check "store: $VM_A is alice's and $VM_B is bob's" \
    test "$(vm_field "$VM_A" user)/$(vm_field "$VM_B" user)" = alice/bob
ic=$(python3 -c "import sqlite3,sys; c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True); print(c.execute('PRAGMA integrity_check').fetchone()[0])" "$B/st/deskpool.db" 2>&1)
check "store: sqlite PRAGMA integrity_check says ok ($ic)" test "$ic" = ok
for s in Alice-pw-1 Bob-pw-1; do
    ! grep -qF -- "$s" "$B/gw.log" "$B/deskpoold.log" || row "no password in the logs" "DID NOT HOLD"
done

kill "${CLIENT[alice]}" "${CLIENT[bob]}" 2>/dev/null || true
print_table "gateway restart with sessions up ($((SECONDS - T0)) s)"
[ "$FAILED" = 0 ] || { show_logs; exit 1; }
