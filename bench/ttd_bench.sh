#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Time to desktop (issue 8, benchmark 2): how long a user waits from "I ask for my desktop"
# to the first desktop frame, side by side in one run, with nothing faked: the real broker
# (deskpoold, HTTPS), the real gateway (deskpool-gw), QEMU (TCG) desktops of the tiny
# template and deskpool-probe as the client. Three ways to have a desktop ready:
#   warm     pool "warm", spare 1, max 1: a ready spare is waiting before the clock starts;
#   cold     pool "cold", spare 0, max 1, clone-mode boot: the request makes an overlay on
#            the template base and boots it;
#   instant  pool "inst", spare 0, max 1, clone-mode instant: the request makes an overlay on
#            the parent's disk and restores the parent's saved state (the parent is built
#            before the clock, its build time is reported apart);
# each reached two ways:
#   gateway  deskpool-probe logs into deskpool-gw with the user's own password: NLA at the
#            gateway, POST /desktops/request (202 answers are asked again after the
#            broker's retry_after_s), one-time credential set in the VM over the guest agent,
#            the gateway's NLA login into the VM, relay. The clock: the probe's connect to its
#            first frame.
#   direct   the same assignment without the gateway in the path: `deskpool desktop request
#            USER --show-credentials` (the admin API the gateway also calls, same 202 retry
#            loop, same one-time credential), then deskpool-probe straight to the VM's RDP
#            port (the slirp hostfwd on 127.0.0.1) with that credential. The clock: from the
#            request to the probe's first frame. This is the only way in this product to
#            reach a VM without deskpool-gw in the byte path: users' own "direct" path, the
#            routing token of .rdp files and deskpool-connect, is still relayed (spliced) by
#            the gateway, and VMs listen only on the host's loopback.
# Every run is followed by a logoff and a wait until the pool is back at rest (warm: one
# ready spare; cold and instant: no VM), so each run starts from the same state. Cases are
# interleaved in rounds (the order of gateway and direct alternates) so that a change of
# background load hits every case; ratios are medians of per-round ratios.
# Results: bench/results/ttd.json (printed). ~4 minutes on a quiet 2-core machine.
# Usage: bench/ttd_bench.sh BUILD_DIR [OUT_JSON]
# Env: TTD_RUNS (3) runs per case (5 adds ~2 minutes); TTD_SETTLE_S (1) idle seconds before each run;
#      TTD_WARM_CLONE (instant) the warm pool's clone mode (instant|boot): how its spare was
#      made does not change what the user waits for, instant refills it faster;
#      TTD_NETNS (1): 0 runs on the host's loopback instead of a network namespace of its
#      own; KEEP=1 keeps the work folder (logs) after the run.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$here/build}" && pwd)"
OUT="${2:-$here/bench/results/ttd.json}"
RUNS=${TTD_RUNS:-3}
SETTLE=${TTD_SETTLE_S:-1}
WARM_CLONE=${TTD_WARM_CLONE:-instant}
DAEMON=$BUILD/broker/daemon/deskpoold
CLI=$BUILD/clients/deskpool/deskpool
GW=$BUILD/rdp-gw/deskpool-gw
PROBE=$BUILD/clients/deskpool-probe/deskpool-probe
HV=$BUILD/clients/deskpool-hv/deskpool-hv

log() { echo "ttd_bench: $*" >&2; }
case $WARM_CLONE in instant | boot) ;; *)
    log "TTD_WARM_CLONE is '$WARM_CLONE'; it must be instant or boot"
    exit 2
    ;;
esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { log "TTD_RUNS is '$RUNS'; give a whole number >= 1"; exit 2; }
for t in python3 qemu-system-x86_64 qemu-img; do
    command -v "$t" >/dev/null || { log "$t missing (scripts/packages.txt; scripts/deps)"; exit 1; }
done
for b in "$DAEMON" "$CLI" "$GW" "$PROBE" "$HV"; do
    [ -x "$b" ] || { log "$b not built: cmake --build $BUILD"; exit 1; }
done

# The tiny template from the shared cache (built once by deskpool-hv, like the other
# benchmarks), before entering the namespace below: a first build downloads packages.
if [ -z "${TTD_IN_NETNS:-}" ]; then
    tlog=$(mktemp /tmp/ttd-template.XXXXXX)
    if ! "$HV" --state "$BUILD/bench-state" template build tiny >"$tlog" 2>&1; then
        tail -n 20 "$tlog" >&2
        rm -f "$tlog"
        log "tiny template build failed (log above); run: $HV --state $BUILD/bench-state template build tiny"
        exit 1
    fi
    rm -f "$tlog"
fi
# The rest runs in a network namespace of its own (a private loopback, as fast as the
# host's): on a shared machine other programs hold ports in the range deskpoold gives its
# VMs (41000-42999), and a port taken between deskpoold's check and QEMU's bind fails the
# VM's start, which the pool retries only 30 s later (three such failures pause the pool).
# TTD_NETNS=0 runs on the host's loopback instead.
if [ -z "${TTD_IN_NETNS:-}" ] && [ "${TTD_NETNS:-1}" != 0 ]; then
    command -v ip >/dev/null || { log "ip missing (package iproute2), or set TTD_NETNS=0"; exit 1; }
    for how in -n -rn; do # as root; else as root of a user namespace of our own
        if unshare "$how" true 2>/dev/null; then
            TTD_IN_NETNS=1 exec unshare "$how" -- "$0" "$@"
        fi
    done
    log "warning: cannot make a network namespace (unshare -n, unshare -rn); on the host's loopback"
fi
if [ "${TTD_IN_NETNS:-}" = 1 ]; then
    ip link set lo up || { log "cannot bring up lo in the network namespace; set TTD_NETNS=0"; exit 1; }
fi

# Short: the admin socket and the VMs' QMP sockets live here (unix paths <= 107 bytes).
B=$(mktemp -d /tmp/dpt-XXXXXX)
SOCK=$B/d.sock
DPID=""
GWPID=""
dp() { "$CLI" --socket "$SOCK" "$@"; }
cleanup() {
    set +e
    [ -n "$GWPID" ] && kill "$GWPID" 2>/dev/null
    if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
        for p in warm cold inst; do
            timeout 60 "$CLI" --socket "$SOCK" pool delete "$p" --force --wait >/dev/null 2>&1
        done
        kill "$DPID" 2>/dev/null
    fi
    wait 2>/dev/null
    # Whatever QEMU is left (a run that failed half-way, a parent build cut short): ours are
    # exactly those with a pidfile under this run's state folder.
    find "$B/st" -name qemu.pid 2>/dev/null | while read -r pf; do kill -9 "$(cat "$pf")" 2>/dev/null; done
    if [ -n "${KEEP:-}" ]; then log "kept $B"; else rm -rf "$B"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
show_logs() {
    for f in deskpoold.log gw.log probe.out request.out; do
        [ -f "$B/$f" ] || continue
        echo "--- $f (last 20 lines) ---" >&2
        tail -n 20 "$B/$f" >&2
    done
}
die() {
    log "$*"
    show_logs
    exit 1
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
T_START=$SECONDS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- broker (with the tiny template of the shared cache) and gateway
mkdir -p "$B/st/cache" && cp -a "$BUILD/bench-state/cache/tiny" "$B/st/cache/"
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
CONF
"$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
DPID=$!
deadline=$((SECONDS + 30))
until dp status >/dev/null 2>&1 && [ -s "$B/st/tls/cert.pem" ] && [ -s "$B/st/gateway.key" ]; do
    kill -0 "$DPID" 2>/dev/null || die "deskpoold exited at start"
    [ $SECONDS -lt $deadline ] || die "deskpoold did not answer within 30 s"
    sleep 0.2
done
cat >"$B/gw.ini" <<INI
[gateway]
listen = 127.0.0.1:$GW_PORT
state_dir = $B/gw
log_level = info
[broker]
url = https://127.0.0.1:$HTTPS_PORT
ca = $B/st/tls/cert.pem
key_file = $B/st/gateway.key
timeout = 30
[limits]
desktop_wait = 120
[metrics]
listen =
INI
"$GW" --config "$B/gw.ini" --foreground >"$B/gw.out" 2>"$B/gw.log" &
GWPID=$!
deadline=$((SECONDS + 20))
until grep -q "listening on" "$B/gw.log" 2>/dev/null; do
    kill -0 "$GWPID" 2>/dev/null || die "deskpool-gw exited at start"
    [ $SECONDS -lt $deadline ] || die "deskpool-gw did not listen within 20 s"
    sleep 0.1
done
out=$(dp template build tiny 2>&1) || die "deskpool template build tiny: $out"
log "broker and gateway up after $((SECONDS - T_START)) s"

# pool_state POOL -> "TOTAL SPARE_READY": the pool's VM count and its ready unowned VMs
pool_state() {
    dp --json pool show "$1" | python3 -c '
import json, sys
c = json.load(sys.stdin).get("counts", {})
print(c.get("total", 0), c.get("spare_ready", 0))'
}
# wait_rest POOL: until the pool is back where every run starts (warm: exactly one ready
# spare; cold, inst: no VM at all, so the next request provisions a fresh one)
wait_rest() {
    local want="0 0" s="" end=$((SECONDS + 240))
    [ "$1" = warm ] && want="1 1"
    while :; do
        s=$(pool_state "$1") || die "deskpool pool show $1 failed"
        [ "$s" = "$want" ] && return 0
        [ $SECONDS -lt $end ] || { dp pool show "$1" >&2; die "pool $1 not back at rest ($want) within 240 s: $s"; }
        sleep 0.3
    done
}

# --- the instant-clone parent, before any clock: the inst pool fills one spare (which
# builds the parent of tiny's version on first use), then goes back to spare 0
t0=$(now_ms)
out=$(dp pool create inst --template tiny --type pooled --max 1 --spare 1 --clone-mode instant \
    --wait --wait-timeout 300 2>&1) || { dp pool show inst >&2; die "pool create inst: $out"; }
PARENT_FILL_MS=$(($(now_ms) - t0))
meta=$(find "$B/st/parents" -mindepth 2 -maxdepth 2 -name meta.json 2>/dev/null | head -1)
[ -n "$meta" ] || die "the inst pool filled but no instant-clone parent is in $B/st/parents"
dp pool resize inst --spare 0 >/dev/null || die "pool resize inst --spare 0"
wait_rest inst
log "parent built and first clone ready in $PARENT_FILL_MS ms"

t0=$(now_ms)
out=$(dp pool create warm --template tiny --type pooled --max 1 --spare 1 \
    --clone-mode "$WARM_CLONE" --wait --wait-timeout 300 2>&1) || { dp pool show warm >&2; die "pool create warm: $out"; }
WARM_FILL_MS=$(($(now_ms) - t0))
out=$(dp pool create cold --template tiny --type pooled --max 1 --spare 0 --clone-mode boot 2>&1) ||
    die "pool create cold: $out"
declare -A USER_OF PW_OF
for p in warm cold inst; do
    USER_OF[$p]=ttd-$p
    PW_OF[$p]="Ttd-$p-$RANDOM$RANDOM"
    printf '%s\n' "${PW_OF[$p]}" | dp user add "${USER_OF[$p]}" >/dev/null || die "user add ${USER_OF[$p]}"
    # one pool each: the gateway picks the only pool the user is entitled to
    dp entitle "$p" --user "${USER_OF[$p]}" >/dev/null || die "entitle ${USER_OF[$p]} to $p"
done
log "pools up after $((SECONDS - T_START)) s (warm filled in $WARM_FILL_MS ms)"

json_get() { # json_get KEY < JSON
    python3 -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"
}
# broker_facts VM POOL USER < deskpoold log lines of one run -> JSON: desktop requests asked
# (the first, then one per retry_after_s while the VM starts), the new VM's start -> ready,
# restored from the parent or not, and ready -> handed to the user (the wait for the next ask)
broker_facts() {
    python3 -c '
import datetime, json, re, sys
vm, pool, user = sys.argv[1:4]
def ts(line):
    return datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").timestamp() * 1000
asks, ready, ready_at, given_at, started, restored = 0, None, None, None, False, False
disturbed = None
for line in sys.stdin:
    if disturbed is None and "VM %s" % vm in line and any(
            w in line for w in ("start failed", "boots cold instead", "booted cold", "not ready")):
        disturbed = line[24:].strip()
    if "POST /api/v1/desktops/request ->" in line:
        asks += 1
    elif "VM %s started (" % vm in line:
        started = True
    elif "VM %s restored from its parent" % vm in line:
        restored = True
    elif "VM %s (pool %s) ready in " % (vm, pool) in line:
        ready = int(re.search(r"ready in (\d+) ms", line).group(1))
        ready_at = ts(line)
    elif "desktop %s for %s in pool %s" % (vm, user, pool) in line and given_at is None:
        given_at = ts(line)
print(json.dumps({"desktop_requests": asks, "vm_started": started, "restored": restored,
                  "vm_start_to_ready_ms": ready,
                  "ready_to_handed_out_ms": round(given_at - ready_at) if ready_at and given_at else None,
                  "disturbed": disturbed}))
' "$@"
}

# one_run CASE PATH ROUND: one measured desktop request (measure), again if the run was
# disturbed: on a shared machine another program may take the VM's RDP port between the
# broker's check and QEMU's bind (the start fails and is retried 30 s later), or an instant
# clone may fall back to a boot; on an overloaded host a starved guest may drop a login
# (its TLS handshake times out). Such runs are kept apart in the JSON ("discarded").
: >"$B/res.jsonl"
: >"$B/discarded.jsonl"
one_run() {
    local attempt
    for attempt in 1 2 3; do
        measure "$@"
        grep -q '"disturbed": null' <<<"$RUN_JSON" && break
        if [ $attempt = 3 ]; then
            grep -q '"ttd_ms"' <<<"$RUN_JSON" || die "$1 $2 round $3: failed three times: $RUN_JSON"
            log "$1 $2 round $3: disturbed three times; keeping the last run, marked"
            break
        fi
        echo "$RUN_JSON" >>"$B/discarded.jsonl"
        log "$1 $2 round $3: disturbed, measured again"
    done
    echo "$RUN_JSON" >>"$B/res.jsonl"
}
# end_session USER POOL [SESSION_ID]: log the user's session off (the pooled VM is
# refreshed, then kept as the spare or removed) and wait until the pool is at rest. After a
# failed login there may be no session left to end.
end_session() {
    local out rc=0
    if [ -n "${3:-}" ]; then
        out=$(dp session logoff "$3" 2>&1) || rc=$?
    else
        out=$(dp session logoff "$1" --pool "$2" 2>&1) || rc=$?
    fi
    [ $rc = 0 ] || [ -n "${4:-}" ] || die "session logoff of $1 in pool $2: $out"
    wait_rest "$2"
}
# failed_run CASE PATH ROUND VM RC PROBE_JSON: RUN_JSON for a login that got no frame
failed_run() {
    RUN_JSON=$(python3 -c '
import json, sys
c, p, r, vm, rc, out = sys.argv[1:7]
try:
    why = json.loads(out).get("error") or out
except ValueError:
    why = out
print(json.dumps({"case": c, "path": p, "round": int(r), "vm": vm,
                  "disturbed": "deskpool-probe exit %s: %s" % (rc, why)}))' "$@")
    log "$1 $2 round $3: no frame (probe exit $5): $6"
}
# measure CASE PATH ROUND: sets RUN_JSON; ends with a logoff and the pool back at rest
measure() {
    local c=$1 path=$2 round=$3 pool=$1 user=${USER_OF[$1]} rc=0 t0 t1 t2 ff conn req_ms=null
    local vm="" sid="" gw_ms=null probe_json gwl dpl broker
    wait_rest "$pool"
    sleep "$SETTLE"
    gwl=$(wc -l <"$B/gw.log")
    dpl=$(wc -l <"$B/deskpoold.log")
    if [ "$path" = gateway ]; then
        t0=$(now_ms)
        t1=$t0
        probe_json=$(PW=${PW_OF[$pool]} timeout 150 "$PROBE" --user "$user" --password-env PW --json \
            --timeout 130 "127.0.0.1:$GW_PORT" 2>"$B/probe.out") || rc=$?
        t2=$(now_ms)
        if [ $rc != 0 ]; then
            failed_run "$c" "$path" "$round" "" "$rc" "$probe_json"
            end_session "$user" "$pool" "" may-be-gone
            return 0
        fi
        # the gateway's own log of this login: VM name and accept -> relay started
        vm=$(tail -n +"$((gwl + 1))" "$B/gw.log" | sed -n "s/.*user \"$user\" relayed to vm \([^ ]*\) .*/\1/p" | tail -1)
        gw_ms=$(tail -n +"$((gwl + 1))" "$B/gw.log" | sed -n "s/.*user \"$user\" relayed to vm .*, \([0-9]*\) ms after connect.*/\1/p" | tail -1)
        [ -n "$gw_ms" ] || gw_ms=null
    else
        t0=$(now_ms)
        dp --json desktop request "$user" --pool "$pool" --show-credentials --wait-timeout 130 \
            >"$B/request.out" 2>&1 || die "$c direct, round $round: deskpool desktop request failed"
        t1=$(now_ms)
        req_ms=$((t1 - t0))
        local host port vuser
        host=$(json_get host <"$B/request.out")
        port=$(json_get port <"$B/request.out")
        vuser=$(json_get username <"$B/request.out")
        vm=$(json_get vm <"$B/request.out")
        sid=$(json_get session_id <"$B/request.out")
        { [ -n "$host" ] && [ -n "$port" ] && [ -n "$vuser" ]; } || die "$c direct: the answer lacks host, port or username"
        probe_json=$(PW=$(json_get password <"$B/request.out") timeout 150 "$PROBE" --user "$vuser" \
            --password-env PW --json --timeout 130 "$host:$port" 2>"$B/probe.out") || rc=$?
        t2=$(now_ms)
        rm -f "$B/request.out" # it holds the one-time password
        if [ $rc != 0 ]; then
            failed_run "$c" "$path" "$round" "$vm" "$rc" "$probe_json"
            end_session "$user" "$pool" "$sid" may-be-gone
            return 0
        fi
    fi
    ff=$(json_get first_frame_ms <<<"$probe_json")
    conn=$(json_get connect_ms <<<"$probe_json")
    { [ -n "$ff" ] && [ "$ff" -ge 0 ]; } || die "$c $path: no first_frame_ms in $probe_json"
    # what the broker logged during this run: the new VM's start -> ready, whether it was
    # restored, and how long it sat ready before the user's next ask found it
    broker=$(tail -n +"$((dpl + 1))" "$B/deskpoold.log" | broker_facts "$vm" "$pool" "$user")
    if [ "$c" = inst ] && ! grep -q '"restored": true' <<<"$broker"; then
        log "warning: $vm of pool inst was not restored from its parent (it booted): $(grep "VM $vm" "$B/deskpoold.log" | tail -2)"
    fi
    # The user's wait: request -> probe launched, then the probe's connect -> first frame.
    local ttd=$((t1 - t0 + ff))
    RUN_JSON="{\"case\": \"$c\", \"path\": \"$path\", \"round\": $round, \"ttd_ms\": $ttd, \"wall_ms\": $((t2 - t0)), \"request_ms\": $req_ms, \"probe_first_frame_ms\": $ff, \"probe_connect_ms\": ${conn:-null}, \"gw_accept_to_relay_ms\": $gw_ms, \"vm\": \"$vm\", \"broker\": $broker}"
    log "round $round $c $path: $ttd ms to the first frame ($vm; broker: $broker)"
    end_session "$user" "$pool" "$sid"
}

for r in $(seq "$RUNS"); do
    for c in warm cold inst; do
        if [ $((r % 2)) = 1 ]; then
            one_run "$c" gateway "$r"
            one_run "$c" direct "$r"
        else
            one_run "$c" direct "$r"
            one_run "$c" gateway "$r"
        fi
    done
    log "round $r done after $((SECONDS - T_START)) s"
done

# --- the result
pdir=$(dirname "$meta")
mkdir -p "$(dirname "$OUT")"
python3 - "$B/res.jsonl" "$B/discarded.jsonl" "$OUT" "$meta" "$(stat -c %s "$pdir/state")" "$PARENT_FILL_MS" "$WARM_FILL_MS" \
    "$WARM_CLONE" "$((SECONDS - T_START))" "$RUNS" "$LOAD_START" <<'EOF'
import datetime, json, os, statistics, subprocess, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
discarded = [json.loads(l) for l in open(sys.argv[2])]
out, meta_path = sys.argv[3], sys.argv[4]
state_bytes, parent_fill, warm_fill = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
warm_clone, took, runs, load_start = sys.argv[8], int(sys.argv[9]), int(sys.argv[10]), sys.argv[11]
meta = json.load(open(meta_path))
names = {"warm": "warm", "cold": "cold", "inst": "instant"}

def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": xs}

cases = {}
for c, name in names.items():
    cases[name] = {}
    for p in ("gateway", "direct"):
        rs = sorted((r for r in rows if r["case"] == c and r["path"] == p), key=lambda r: r["round"])
        e = {"ttd_ms": stats([r["ttd_ms"] for r in rs]),
             "probe_connect_to_frame_ms": stats([r["probe_first_frame_ms"] for r in rs]),
             "vms": [r["vm"] for r in rs]}
        if p == "direct":
            e["request_ms"] = stats([r["request_ms"] for r in rs])
        else:
            e["gw_accept_to_relay_ms"] = stats([r["gw_accept_to_relay_ms"] for r in rs])
        e["desktop_requests"] = stats([r["broker"]["desktop_requests"] for r in rs])
        if c != "warm":
            e["vm_start_to_ready_ms"] = stats([r["broker"]["vm_start_to_ready_ms"] for r in rs])
            e["ready_to_handed_out_ms"] = stats([r["broker"]["ready_to_handed_out_ms"] for r in rs])
        if c == "inst":
            e["restored"] = sum(1 for r in rs if r["broker"]["restored"])
        cases[name][p] = e

def per_round(a, b):
    """Median over rounds of a/b, where a and b are (case, path) pairs measured in the same
    round, so both saw the same background load."""
    xs = []
    for r in range(1, runs + 1):
        va = [x["ttd_ms"] for x in rows if (x["case"], x["path"], x["round"]) == a + (r,)]
        vb = [x["ttd_ms"] for x in rows if (x["case"], x["path"], x["round"]) == b + (r,)]
        if va and vb and vb[0]:
            xs.append(va[0] / vb[0])
    return round(statistics.median(xs), 2) if xs else None

ratios = {
    "instant_over_cold": {p: per_round(("inst", p), ("cold", p)) for p in ("gateway", "direct")},
    "warm_over_cold": {p: per_round(("warm", p), ("cold", p)) for p in ("gateway", "direct")},
    "warm_over_instant": {p: per_round(("warm", p), ("inst", p)) for p in ("gateway", "direct")},
    "gateway_over_direct": {names[c]: per_round((c, "gateway"), (c, "direct")) for c in names},
}
qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.split()
res = {
    "benchmark": "ttd",
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    "host": {"cores": os.cpu_count(), "accel": "tcg", "qemu": qemu[3] if len(qemu) > 3 else "?",
             "own_network_namespace": os.environ.get("TTD_IN_NETNS") == "1",
             "loadavg_at_start": load_start.split(), "loadavg_at_end": open("/proc/loadavg").read().split()[:3]},
    "seconds": took,
    "runs_per_case": runs,
    "cases": cases,
    "ratios": ratios,
    "runs": rows,
    "discarded": discarded,
    "setup": {
        "parent": {"pool_fill_ms": parent_fill, "boot_ms": meta.get("boot_ms"),
                   "save_ms": meta.get("save_ms"), "state_bytes": state_bytes,
                   "what": "inst pool from empty to one ready clone: template parent booted, "
                           "saved (once per template version), first clone restored"},
        "warm_pool": {"clone_mode": warm_clone, "fill_ms": warm_fill},
    },
    "note": ("ttd_ms: the user's wait from asking for a desktop to deskpool-probe's first desktop "
             "frame (1024x768, NLA). gateway: the probe logs into deskpool-gw with the user's own "
             "password; the clock is the probe's connect -> first frame, which holds the gateway's "
             "NLA, POST /desktops/request (a 202 'starting' is asked again after the broker's "
             "retry_after_s), the one-time credential set in the VM over the guest agent, the "
             "gateway's NLA login into the VM and the relay. direct: deskpool desktop request "
             "USER --show-credentials over the admin socket (the call the gateway makes, same "
             "202 retry loop and one-time credential), then the probe straight to the VM's "
             "forwarded RDP port with that credential; ttd = request time + the probe's connect "
             "-> first frame. VMs listen only on the host's loopback (slirp hostfwd), so this "
             "admin path is the only one without deskpool-gw in the byte path; users' routing-"
             "token path (.rdp files, deskpool-connect) is spliced by the gateway. Pools: "
             "pooled, max 1; warm spare 1 (clone mode %s), cold spare 0 clone-mode boot, "
             "instant spare 0 clone-mode instant with the parent built before the clock. Each "
             "run ends with a logoff and a wait until the pool is at rest again (warm: one "
             "ready spare; cold, instant: no VM) plus %s s idle. Cases interleaved in rounds, "
             "gateway/direct order alternating; ratios are medians of per-round ratios of "
             "ttd_ms. vm_start_to_ready_ms: the broker's log of the new VM's start (restore) -> "
             "ready (guest agent + X.224 answer); ready_to_handed_out_ms: how long that VM sat ready "
             "until the user's next ask (every retry_after_s) found it; desktop_requests: POST "
             "/desktops/request calls in the run. libfreerdp 2.11's client connect loop sleeps "
             "in 100 ms steps (~1.2 s floor per login). TCG on 2 cores shared with other work: "
             "read ratios. runs: every kept run; discarded: runs measured again because the broker "
             "logged a failed VM start (another program took its port) or an instant clone "
             "that booted instead of restoring.") % (warm_clone, os.environ.get("TTD_SETTLE_S", "1")),
}
with open(out, "w") as f:
    json.dump(res, f, indent=2)
    f.write("\n")
EOF
cat "$OUT"
log "results in $OUT ($((SECONDS - T_START)) s)"
