#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Chaos: 1,000 slow and half-open connections to the gateway (chaos_slow_conns.py: silent,
# one byte a second, half a TPKT, stalled mid-TLS; a quarter each) from 40 addresses
# 127.0.0.2-127.0.0.41 (25 each, under [limits] max_per_source = 50), while a real user logs
# in from 127.0.0.1:
#   - the legitimate login (deskpool-probe through the gateway to a tiny-template VM)
#     succeeds while all 1,000 are open;
#   - the handshake deadline ([limits] handshake_timeout = 10) reaps every one of them;
#   - the gateway's open descriptors and RSS return near where they started.
# The per-source cap is not what protects the user here (the slow clients come from other
# addresses, as a botnet would); test_gateway_limits.sh shows the cap itself.
# Prints a table of what was tried and what held; exits 1 if a row did not hold.
# Usage: test_chaos_slow_conns.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/../integration/lib.sh" "$@"
source "$SRC/tests/chaos/chaos_gw_stack.sh"
trap stack_cleanup EXIT
T0=$SECONDS
N=${CHAOS_SLOW_CONNS:-1000}
DEADLINE=10

ensure_tiny
stack_broker
stack_gw_config "handshake_timeout = $DEADLINE"
stack_gw
stack_pool slow --max 1 --spare 1 --disconnect-timeout 1m --wait --wait-timeout 180
stack_user alice Alice-pw-1 slow

fds() { ls "/proc/$GWPID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$GWPID/status"; }

# Warm up (TLS, WinPR, the broker client allocate once), then take the baseline.
rc=0
probe alice Alice-pw-1 || rc=$?
[ $rc = 0 ] || die "warm-up login: exit $rc: $(cat "$B/probe-alice.out")"
# Let the pool settle: the VM kept for alice (disconnected), not restarting or refreshing.
settled() { [ "$(session_state alice)" = disconnected ] && [ "$(vm_field slow-001 state)" = disconnected ]; }
wait_for 60 settled || echo "  (note: after the warm-up alice is '$(session_state alice)', slow-001 is '$(vm_field slow-001 state)')"
FD0=$(fds)
RSS0=$(rss_kb)
echo "stack up in $((SECONDS - T0)) s; gateway baseline: $FD0 descriptors, RSS $RSS0 KiB"

python3 "$SRC/tests/chaos/chaos_slow_conns.py" --port "$GW_PORT" --count "$N" --mode mix \
    --sources 127.0.0.2-127.0.0.41 --hold $((DEADLINE + 30)) >"$B/slow.out" 2>"$B/slow.err" &
SLOW=$!
STACK_PIDS+=($SLOW)
wait_for 60 grep -q '^opened' "$B/slow.out" || die "slow clients did not connect: $(cat "$B/slow.err")"
t_open=$SECONDS
opened=$(awk '/^opened/ {print $2}' "$B/slow.out")
active=$(metric deskpool_gw_connections_active)
FD1=$(fds)
RSS1=$(rss_kb)
check "$N slow clients from 40 addresses: $opened connected, gateway holds $active ($FD1 fds, RSS $RSS1 KiB)" \
    test "$opened" -ge $((N * 95 / 100)) -a "${active:-0}" -ge $((N * 95 / 100))

t=$SECONDS
rc=0
probe alice Alice-pw-1 || rc=$?
took=$((SECONDS - t))
still=$(metric deskpool_gw_connections_active)
check "legitimate login from 127.0.0.1 while they are open: exit $rc in $took s (slow ones still open: $still)" \
    test $rc = 0 -a "${still:-0}" -ge $((N / 2))
[ $rc = 0 ] || cat "$B/probe-alice.out" >&2
ff=$(grep -o '"first_frame_ms":[0-9]*' "$B/probe-alice.out" | cut -d: -f2)
check "the login got a desktop frame (first frame after ${ff:-?} ms)" grep -q '"result":"ok"' "$B/probe-alice.out"

wait "$SLOW" || true
res=$(tail -n 1 "$B/slow.out")
echo "  slow clients: $res"
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(eval('d' + sys.argv[2]))" "$res" "$1"; }
closed=$(field '["closed"] + d["closed_fast"]')
maxs=$(field '["closed_after_s"]["max"]')
p50=$(field '["closed_after_s"]["p50"]')
check "the handshake deadline ($DEADLINE s) reaped all $opened (closed: $closed; p50 ${p50} s, max ${maxs} s)" \
    test "$closed" = "$opened"
check "none was dropped before the deadline or long after it (max ${maxs} s <= $((DEADLINE + 8)) s)" \
    python3 -c "import sys; sys.exit(not (float('$maxs') <= $DEADLINE + 8 and float('$p50') >= $DEADLINE - 1))"
timeouts=$(metric deskpool_gw_handshake_timeouts)
check "the gateway counted them: deskpool_gw_handshake_timeouts = $timeouts" test "${timeouts:-0}" -ge "$opened"

# The gateway trims its heap every 2 s once a wave of connections is gone.
low() { FD2=$(fds) && RSS2=$(rss_kb) && [ "$FD2" -le $((FD0 + 5)) ] && [ "$RSS2" -le $((RSS0 + 4096)) ]; }
wait_for 8 low || true
check "descriptors back near the start: $FD2 (start $FD0, peak $FD1)" test "$FD2" -le $((FD0 + 5))
check "RSS back near the start: $RSS2 KiB (start $RSS0, peak $RSS1; allowed +4096)" \
    test "$RSS2" -le $((RSS0 + 4096))
rc=0
probe alice Alice-pw-1 || rc=$?
check "a login after the storm still works (exit $rc)" test $rc = 0
alive "$GWPID" || row "the gateway is still running" "DID NOT HOLD"

print_table "$N slow/half-open connections ($((SECONDS - T0)) s)"
[ "$FAILED" = 0 ] || { show_logs; exit 1; }
