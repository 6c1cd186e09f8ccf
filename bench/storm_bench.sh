#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Logon storm (issue 8, benchmark 3): N users log in at once through deskpool-gw against a
# pooled pool of instant clones whose spares are all ready before the storm. Real deskpoold
# (HTTPS, its own certificate and gateway key), real deskpool-gw, real QEMU under TCG (tiny
# template), deskpool-probe's load mode as the clients.
#   fill: time from "pool create --spare N --max N" to N ready spares (reported apart);
#   storm: every user's login to first frame (p50/p95/p99 over all logins), and the broker's
#   own decision time per login from its log ("decided in X ms, password set in Y ms",
#   pool/assign.c): the pick/claim under the pool's lock, then the one-time password over
#   the guest agent.
# One deskpool-probe runs at most 64 logins at once, so N users are split over ceil(N/50)
# probe processes started together. Everything it starts is stopped at the end.
# Usage: bench/storm_bench.sh BUILD_DIR [OUT_JSON]   (default bench/results/storm.json)
# Env: SIZES ("10 25 50", ~6 min here): storm sizes, each with its own fresh pool;
#      FILL_TIMEOUT (240 s); MERGE (1): keep the runs of other sizes already in OUT_JSON (each
#      run has its date), so the larger storms, run once by hand with SIZES="90 200"
#      FILL_TIMEOUT=420 (~10 min, host load 100+), stay beside what scripts/bench re-runs;
#      MERGE=0 starts OUT_JSON afresh.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$here/build}" && pwd)"
OUT="${2:-$here/bench/results/storm.json}"
SIZES=${SIZES:-"10 25 50"}
FILL_TIMEOUT=${FILL_TIMEOUT:-240}
DAEMON="$BUILD/broker/daemon/deskpoold"
CLI="$BUILD/clients/deskpool/deskpool"
GW="$BUILD/rdp-gw/deskpool-gw"
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
HV="$BUILD/clients/deskpool-hv/deskpool-hv"
for f in "$DAEMON" "$CLI" "$GW" "$PROBE" "$HV"; do
    [ -x "$f" ] || { echo "storm_bench: $f not built: cmake --build $BUILD" >&2; exit 1; }
done
B=$(mktemp -d /tmp/dps-XXXXXX) # short: the admin socket path must stay under 108 bytes
SOCK="$B/d.sock"
DPID="" GWPID=""
log() { echo "storm_bench: $*" >&2; }
dp() { "$CLI" --socket "$SOCK" "$@"; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
cleanup() {
    [ -n "$GWPID" ] && kill "$GWPID" 2>/dev/null || true
    if [ -n "$DPID" ]; then
        for pl in $SIZES; do dp pool delete "storm$pl" --force --wait >/dev/null 2>&1 || true; done
        kill "$DPID" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    for pf in "$B"/st/vms/*/qemu.pid "$B"/st/parents/*/qemu.pid "$B"/st/*/*/qemu.pid; do
        [ -f "$pf" ] && kill -9 "$(cat "$pf")" 2>/dev/null || true
    done
    [ -n "${KEEP:-}" ] || rm -rf "$B"
}
trap cleanup EXIT

# The tiny template from the benchmarks' shared cache (built once by deskpool-hv).
"$HV" --state "$BUILD/bench-state" template build tiny >/dev/null 2>&1
mkdir -p "$B/st/cache" && cp -a "$BUILD/bench-state/cache/tiny" "$B/st/cache/"
HTTPS_PORT=$(free_port) GW_PORT=$(free_port)
cat >"$B/deskpool.conf" <<CONF
[broker]
state_dir = $B/st
socket = $SOCK
pidfile = $B/deskpoold.pid
log_level = info
api_workers = 16
[https]
listen = 127.0.0.1:$HTTPS_PORT
[pool]
workers = 4
memory_reserve_mb = 1024
# Other programs on a shared host may hold ports of the VMs' range; the pool moves a VM to
# another port, but must not pause itself over it in the middle of a fill.
restraint_failures = 1000
CONF
"$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
DPID=$!
for _ in $(seq 150); do
    dp status >/dev/null 2>&1 && [ -s "$B/st/tls/cert.pem" ] && [ -s "$B/st/gateway.key" ] && break
    sleep 0.2
done
# Every login of the storm comes from 127.0.0.1: the per-source limit must let them all in.
cat >"$B/gw.ini" <<INI
[gateway]
listen = 127.0.0.1:$GW_PORT
state_dir = $B/gw
log_level = info
[broker]
url = https://127.0.0.1:$HTTPS_PORT
ca = $B/st/tls/cert.pem
key_file = $B/st/gateway.key
timeout = 120
[limits]
handshake_timeout = 300
max_connections = 2000
max_per_source = 2000
desktop_wait = 300
[metrics]
listen =
INI
"$GW" --config "$B/gw.ini" --foreground >"$B/gw.out" 2>"$B/gw.log" &
GWPID=$!
for _ in $(seq 200); do grep -q "listening on" "$B/gw.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$B/gw.log" || { log "deskpool-gw did not start: $(tail -5 "$B/gw.log")"; exit 1; }
dp template build tiny >/dev/null

# Users u001..uMAX, each with their own password, in one group entitled to the pool.
MAXN=0
for n in $SIZES; do [ "$n" -gt "$MAXN" ] && MAXN=$n; done
dp group add stormers >/dev/null
: >"$B/users.txt"
chmod 600 "$B/users.txt"
t0=$(now_ms)
for i in $(seq 1 "$MAXN"); do
    u=$(printf 'u%03d' "$i")
    pw="St0rm-$RANDOM$RANDOM-$i"
    printf '%s\n' "$pw" | dp user add "$u" >/dev/null
    dp group member stormers "$u" >/dev/null
    printf '%s:%s\n' "$u" "$pw" >>"$B/users.txt"
done
log "$MAXN users added in $(($(now_ms) - t0)) ms"

runs=()
for n in $SIZES; do
    log "storm of $n: filling a pool of $n instant clones (spare $n)"
    avail_before=$(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo)
    t0=$(now_ms)
    fill_ok=true
    dp pool create "storm$n" --template tiny --type pooled --max "$n" --spare "$n" --clone-mode instant \
        --max-provisioning 4 --disconnect-timeout 10m --refresh-on-logoff no --wait --wait-timeout "$FILL_TIMEOUT" \
        >"$B/fill.out" 2>&1 || fill_ok=false
    fill_ms=$(($(now_ms) - t0))
    ready=$(dp vm list --pool "storm$n" 2>/dev/null | grep -cw ready || true)
    avail_after=$(awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo)
    load1=$(cut -d' ' -f1 /proc/loadavg)
    log "fill: $ready of $n ready after $fill_ms ms (ok=$fill_ok); host memory available $avail_before -> $avail_after MiB; load $load1"
    if [ "$ready" = 0 ]; then
        # Refused or nothing came up (e.g. the broker's memory admission): say so, no storm.
        why=$(grep -m1 . "$B/fill.out" || true)
        log "storm of $n not run: $why"
        runs+=("$(python3 -c 'import json, sys, time; print(json.dumps({"users": int(sys.argv[1]), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "fill_ms": int(sys.argv[2]), "spares_ready": 0, "fill_complete": False, "fill_error": sys.argv[3], "ok": 0, "failed": 0}))' "$n" "$fill_ms" "$why")")
        dp pool delete "storm$n" --force --wait >/dev/null 2>&1 || true
        continue
    fi
    dp entitle "storm$n" --group stormers >/dev/null
    head -n "$n" "$B/users.txt" >"$B/storm-users.txt"
    split -l 50 -d "$B/storm-users.txt" "$B/part-"
    lines_before=$(wc -l <"$B/deskpoold.log")
    gw_before=$(wc -l <"$B/gw.log")
    t0=$(now_ms)
    pids=()
    for part in "$B"/part-*; do
        "$PROBE" --users-file "$part" --concurrency 50 --json --timeout 280 \
            "127.0.0.1:$GW_PORT" >"$part.json" 2>"$part.err" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || true; done
    storm_ms=$(($(now_ms) - t0))
    tail -n +"$((lines_before + 1))" "$B/deskpoold.log" | grep -o "decided in [0-9.]* ms, password set in [0-9.]* ms" |
        awk '{print $3, $8}' >"$B/decisions.txt" || true
    tail -n +"$((gw_before + 1))" "$B/gw.log" >"$B/gw-storm.log"
    run=$(python3 - "$n" "$fill_ms" "$ready" "$fill_ok" "$storm_ms" "$avail_before" "$avail_after" \
        "$load1" "$B/decisions.txt" "$B/gw-storm.log" "$B"/part-*.json <<'PY'
import datetime, json, math, re, sys, time
n, fill_ms, ready, fill_ok, storm_ms, mem0, mem1, load1, dec, gwlog = sys.argv[1:11]
logins, failures = [], {}
for path in sys.argv[11:]:
    try:
        j = json.load(open(path))
    except Exception:
        failures["probe_output_unreadable"] = failures.get("probe_output_unreadable", 0) + 1
        continue
    logins += j.get("logins", [])
    for k, v in (j.get("failures") or {}).items():
        failures[k] = failures.get(k, 0) + v
def stats(xs):
    xs = sorted(xs)
    if not xs:
        return None
    rank = lambda p: xs[max(0, math.ceil(p / 100 * len(xs)) - 1)]  # nearest rank
    return {"n": len(xs), "min": xs[0], "p50": rank(50), "p95": rank(95), "p99": rank(99),
            "max": xs[-1], "mean": round(sum(xs) / len(xs), 1)}
ok = [l for l in logins if l.get("result") == "ok"]
# The gateway's log per connection: NLA done ("logged in"), the broker's answer ("gets vm"),
# its own login to the VM done ("relayed"); "VM connection error" ends.
ev = {}
for line in open(gwlog):
    m = re.match(r"(\S+)Z deskpool-gw \w+: conn (\d+)[ :]", line)
    if not m:
        continue
    t = datetime.datetime.fromisoformat(m.group(1)).timestamp() * 1000
    c = ev.setdefault(m.group(2), {})
    for key, pat in (("nla", "logged in"), ("vm", " gets vm "), ("relayed", " relayed to vm "),
                     ("vm_error", "(VM connection error)")):
        if pat in line and key not in c:
            c[key] = t
broker_call = [c["vm"] - c["nla"] for c in ev.values() if "vm" in c and "nla" in c]
vm_login = [c["relayed"] - c["vm"] for c in ev.values() if "relayed" in c and "vm" in c]
vm_errors = sum(1 for c in ev.values() if "vm_error" in c)
pick, pw = [], []
for line in open(dec):
    a, b = line.split()
    pick.append(float(a)); pw.append(float(b))
print(json.dumps({
    "users": int(n), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "fill_ms": int(fill_ms), "spares_ready": int(ready), "fill_complete": fill_ok == "true",
    "storm_wall_ms": int(storm_ms), "ok": len(ok), "failed": len(logins) - len(ok) + (int(n) - len(logins)),
    "failures": failures,
    "first_frame_ms": stats([l["first_frame_ms"] for l in ok if l.get("first_frame_ms") is not None]),
    "connect_ms": stats([l["connect_ms"] for l in ok if l.get("connect_ms") is not None]),
    "broker_decision_ms": stats(pick), "broker_password_ms": stats(pw),
    "gw_broker_call_ms": stats([round(x) for x in broker_call]),
    "gw_vm_login_ms": stats([round(x) for x in vm_login]), "gw_vm_connection_errors": vm_errors,
    "host_mem_available_mib": {"before_fill": int(mem0), "after_fill": int(mem1)},
    "load1_after_fill": float(load1)}))
PY
)
    log "storm of $n: $run"
    for part in "$B"/part-*.json; do # a probe that printed no JSON: its last words
        python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$part" 2>/dev/null ||
            log "probe ${part##*/} gave no JSON: $(tail -c 400 "${part%.json}.err")"
    done
    runs+=("$run")
    rm -f "$B"/part-*
    t0=$(now_ms)
    dp pool delete "storm$n" --force --wait >"$B/delete.out" 2>&1 || log "pool delete: $(cat "$B/delete.out")"
    # The next pool reuses the ports: wait until every QEMU of this one has really exited.
    for _ in $(seq 300); do pgrep -f "$B/st/vms/storm$n-" >/dev/null || break; sleep 0.2; done
    log "pool storm$n deleted in $(($(now_ms) - t0)) ms"
done

mkdir -p "$(dirname "$OUT")"
MERGE=${MERGE:-1} python3 - "$OUT" "${runs[@]}" <<'PY'
import json, os, sys, time
new = [json.loads(r) for r in sys.argv[2:]]
kept = []
if os.environ.get("MERGE") == "1" and os.path.exists(sys.argv[1]):
    sizes = {r["users"] for r in new}
    kept = [r for r in json.load(open(sys.argv[1]))["runs"] if r["users"] not in sizes]
out = {"benchmark": "logon storm: N users at once through deskpool-gw, pool of N instant clones filled first",
       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "host": {"cores": os.cpu_count(), "accel": "tcg",
                "mem_total_mib": int(open("/proc/meminfo").readline().split()[1]) // 1024},
       "runs": sorted(kept + new, key=lambda r: r["users"]),
       "note": "first_frame_ms: deskpool-probe load mode, start of each login to its first painted frame "
               "(nearest-rank percentiles over successful logins); broker_decision_ms: pool/assign.c's pick "
               "and claim of a spare (pool lock, store); broker_password_ms: one-time password set over the "
               "guest agent, both from deskpoold's log"}
json.dump(out, open(sys.argv[1], "w"), indent=2)
print(json.dumps(out, indent=2))
PY
