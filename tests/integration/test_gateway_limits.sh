#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The gateway's limits with real parts (deskpoold, deskpool-gw, a one-VM tiny-template pool):
#   - idle timeout ([limits] idle_timeout = 6): a relayed session whose client sends nothing
#     is ended after 6 s (the desktop's own redraws do not count), the broker records the
#     session disconnected (audited as session.disconnect), the metric counts it;
#   - no capacity (pool max 1, its VM kept for alice's disconnected session): bob's client is
#     told at once, in NLA (CredSSP errorCode STATUS_ACCESS_DENIED: FreeRDP's
#     ERRCONNECT_ACCESS_DENIED, probe exit 4), no VM consumed, no session for bob, the
#     refusal audited, and the gateway keeps serving: alice reconnects to her VM;
#   - max_connections = 8 and max_per_source = 3: the connection over a limit is closed at
#     once and counted; one address holding its 3 slots cannot keep a user on another
#     address out; an RDP client over its address's cap is refused at once (probe exit 3).
# Prints a table of what was tried and what held; exits 1 if a row did not hold.
# Usage: test_gateway_limits.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$@"
source "$SRC/tests/chaos/chaos_gw_stack.sh"
trap stack_cleanup EXIT
T0=$SECONDS
IDLE=6

ensure_tiny
stack_broker
stack_gw_config "idle_timeout = $IDLE
max_connections = 8
max_per_source = 3
handshake_timeout = 10"
stack_gw
stack_pool lim --max 1 --spare 1 --disconnect-timeout 10m --wait --wait-timeout 180
stack_user alice Alice-pw-1 lim
stack_user bob Bob-pw-1 lim
VM=$(dp vm list | awk 'NR == 2 {print $1}')
echo "stack up in $((SECONDS - T0)) s (gateway 127.0.0.1:$GW_PORT, pool lim: $VM)"

slow() { # slow COUNT SOURCES: silent clients held 2 s; prints the helper's JSON
    python3 "$SRC/tests/chaos/chaos_slow_conns.py" --port "$GW_PORT" --count "$1" --mode silent \
        --sources "$2" --hold 2 | tail -n 1
}
jget() { python3 -c "import json,sys; print(json.loads(sys.argv[1])$2)" "$1"; }
events() { dp events --limit 200; }

# --- idle timeout
PW=Alice-pw-1 timeout 200 "$PROBE" --user alice --password-env PW --json --timeout 180 \
    --settle-ms 600000 "127.0.0.1:$GW_PORT" >"$B/hold-alice.out" 2>&1 &
HOLD=$!
STACK_PIDS+=($HOLD)
wait_for 120 grep -q 'user "alice" relayed to vm' "$B/gw.log" || die "alice's session did not start"
t=$SECONDS
SID=$(session_id alice)
wait_for 60 eval '! alive $HOLD'
took=$((SECONDS - t))
check "idle: alice's client sent nothing: the relay ended after ${took} s (idle_timeout $IDLE s)" \
    test "$took" -ge $((IDLE - 1)) -a "$took" -le $((IDLE + 15))
check "idle: the gateway logs why" grep -q "idle timeout: no input from the client for $IDLE s" "$B/gw.log"
check "idle: the broker records session $SID disconnected" wait_for 10 eval '[ "$(session_state alice)" = disconnected ]'
check "idle: audited (session.disconnect of session $SID)" \
    eval 'events | grep -q "session.disconnect *$SID\b\|session.disconnect .*$SID"'
check "idle: deskpool_gw_idle_timeouts = 1" test "$(metric deskpool_gw_idle_timeouts)" = 1

# --- no capacity
vms_before=$(dp vm list | awk 'NR > 1' | wc -l)
t=$SECONDS
rc=0
probe bob Bob-pw-1 || rc=$?
took=$((SECONDS - t))
msg=$(grep -o 'user "bob".*no desktop: no capacity.*' "$B/gw.log" | head -1)
check "no capacity: bob's client is told at once, as an access-denied login (probe exit $rc after ${took} s)" \
    eval '[ "$rc" = 4 ] && [ "$took" -le 20 ] && grep -q ACCESS_DENIED "$B/probe-bob.out"'
echo "    (what the client sees: $(cut -c1-200 "$B/probe-bob.out"))"
check "no capacity: the gateway logs the broker's reason (${msg:0:110}...)" \
    eval '[[ "$msg" == *"at its max"* ]]'
check "no capacity: no VM consumed ($(dp vm list | awk 'NR > 1' | wc -l) VMs, was $vms_before), bob has no session" \
    test "$(dp vm list | awk 'NR > 1' | wc -l)" = "$vms_before" -a -z "$(session_vm bob)"
ev=$(events | grep 'desktop.refused *user:bob' | tail -n 1)
check "no capacity: audited (${ev:0:120}...)" eval '[[ "$ev" == *"at its max"* ]]'
# FreeRDP retries once after a dropped connection: one refusal per attempt.
tries=$(grep -c 'user "bob": closed: no desktop: no capacity' "$B/gw.log")
check "no capacity: deskpool_gw_desktops_unavailable counts each of the client's $tries attempts" \
    test "$(metric deskpool_gw_desktops_unavailable)" = "$tries"
rc=0
probe alice Alice-pw-1 || rc=$?
check "no capacity: the gateway keeps serving: alice reconnects to $VM (exit $rc)" \
    test "$rc/$(session_vm alice)" = "0/$VM"

# --- connection limits
limited0=$(metric deskpool_gw_connections_limited)
r=$(slow 4 127.0.0.2)
check "max_per_source 3: 4 clients from 127.0.0.2: 3 held, 1 closed at once ($r)" \
    test "$(jget "$r" '["closed_fast"]')/$(jget "$r" '["still_open"]')" = 1/3
r=$(slow 9 127.0.0.3-127.0.0.5)
check "max_connections 8: 9 clients from 3 addresses: 8 held, 1 closed at once ($r)" \
    test "$(jget "$r" '["closed_fast"]')/$(jget "$r" '["still_open"]')" = 1/8
limited=$(( $(metric deskpool_gw_connections_limited) - limited0 ))
check "the refusals are counted (deskpool_gw_connections_limited +$limited) and logged" \
    eval '[ $limited = 2 ] && grep -q "max_per_source" "$B/gw.log" && grep -q "max_connections reached" "$B/gw.log"'

# One address takes its 3 slots (and tries 17 more): a user elsewhere still logs in.
python3 "$SRC/tests/chaos/chaos_slow_conns.py" --port "$GW_PORT" --count 20 --mode silent \
    --sources 127.0.0.6 --hold 40 >"$B/flood.out" 2>&1 &
FLOOD=$!
STACK_PIDS+=($FLOOD)
wait_for 20 grep -q '^opened' "$B/flood.out" || die "flood helper did not start"
rc=0
probe alice Alice-pw-1 || rc=$?
check "the cap protects others: 20 from 127.0.0.6 hold 3 slots; alice from 127.0.0.1 logs in (exit $rc)" \
    test "$rc" = 0
kill "$FLOOD" 2>/dev/null || true
wait "$FLOOD" 2>/dev/null || true

# An RDP client over its own address's cap.
python3 "$SRC/tests/chaos/chaos_slow_conns.py" --port "$GW_PORT" --count 3 --mode silent \
    --sources 127.0.0.1 --hold 30 >"$B/own.out" 2>&1 &
OWN=$!
STACK_PIDS+=($OWN)
wait_for 20 grep -q '^opened' "$B/own.out" || die "helper did not start"
t=$SECONDS
rc=0
probe alice Alice-pw-1 || rc=$?
took=$((SECONDS - t))
check "an RDP client over max_per_source is refused at once (probe exit $rc after ${took} s; 3 = refused)" \
    test "$rc" = 3 -a "$took" -le 10
kill "$OWN" 2>/dev/null || true
alive "$GWPID" || row "the gateway still runs" "DID NOT HOLD"

print_table "gateway limits ($((SECONDS - T0)) s)"
[ "$FAILED" = 0 ] || { show_logs; exit 1; }
echo PASS
