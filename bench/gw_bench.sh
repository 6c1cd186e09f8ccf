#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Gateway benchmark (issue 5): deskpool-gw side by side with a direct connection and with
# haproxy 2.6 in TCP mode, all on loopback in one run, with the fake broker of
# tests/integration/test_gateway.sh (bench/gw_fake_broker.py) and no QEMU:
#   (a) relay throughput (MB/s, VM → client, 16 KiB TPKT frames) and round trip of 64-byte
#       messages (p50/p99) for: plain TCP direct / through haproxy / through the gateway's
#       routing-token splice; TLS + CredSSP end to end direct / through haproxy / through
#       the splice; and the gateway's NLA path, where the gateway terminates TLS on both
#       sides and frames every PDU from the VM (bench/gw_load.c plays client and "VM");
#       iperf3 direct and through haproxy as anchors for docs/FACTS-style numbers;
#   (b) RSS per idle relayed connection at 1,000 and ~10,000 connections (a fresh gateway
#       and a fresh haproxy; clients spread over several processes; see MEM_HIGH);
#   (c) login to first frame (deskpool-probe --json first_frame_ms, median of 5) directly to
#       deskpool-desktop as the VM and through the gateway (NLA, broker calls, VM login).
# Results: bench/results/gw.json (printed). Everything stops by itself; ~4-6 minutes.
# Usage: bench/gw_bench.sh BUILD_DIR [OUT_JSON]
# Env: ROUNDS (5), SECONDS_PER_RUN (1.5), ECHOES (5000), MEM_LOW (1000), MEM_HIGH (9900),
#      LOGINS (5).
# MEM_HIGH is 9,900, not 10,000: a relay holds two descriptors per connection and the
# open-file hard limit here is 20,000 per process (docs: /work/shared/notes/FACTS.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$here/build}" && pwd)"
OUT="${2:-$here/bench/results/gw.json}"
ROUNDS=${ROUNDS:-5}
SECS=${SECONDS_PER_RUN:-1.5}
ECHOES=${ECHOES:-5000}
MEM_LOW=${MEM_LOW:-1000}
MEM_HIGH=${MEM_HIGH:-9900}
LOGINS=${LOGINS:-5}
ISECS=$(python3 -c "import sys; print(max(1, round(float(sys.argv[1]))))" "$SECS") # iperf3 -t: whole seconds
GW=$BUILD/rdp-gw/deskpool-gw
PROBE=$BUILD/clients/deskpool-probe/deskpool-probe
DESKTOP=$BUILD/templates/guest/desktop/deskpool-desktop
LOAD=$BUILD/bench/gw_load

for t in haproxy iperf3 winpr-hash openssl python3 curl; do
    command -v "$t" >/dev/null || { echo "gw_bench: $t missing (scripts/packages.txt; scripts/deps)" >&2; exit 1; }
done
for b in deskpool-gw deskpool-probe deskpool-desktop gw_load; do
    case $b in
    deskpool-gw) f=$GW ;; deskpool-probe) f=$PROBE ;; deskpool-desktop) f=$DESKTOP ;; *) f=$LOAD ;;
    esac
    [ -x "$f" ] || cmake --build "$BUILD" --target "$b" >&2
done

WORK=$(mktemp -d /tmp/gw_bench.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
log() { echo "gw_bench: $*" >&2; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
wait_for() { # wait_for FILE PATTERN SECONDS
    local end=$((SECONDS + $3))
    until grep -q "$2" "$1" 2>/dev/null; do
        [ $SECONDS -lt $end ] || { log "timed out waiting for '$2' in $1"; tail -n 20 "$1" >&2; exit 1; }
        sleep 0.1
    done
}
T_START=$SECONDS

# --- credentials, certificates, ports
ONE_TIME="B3nch-$RANDOM-pw"
winpr-hash -u dpuser -p "$ONE_TIME" -f sam >desk.sam
VM_HASH=$(python3 -c '
import hashlib, hmac, subprocess, sys
nt = subprocess.run(["winpr-hash", "-u", "dpuser", "-p", sys.argv[1]], capture_output=True, text=True, check=True).stdout.strip()
print(hmac.new(bytes.fromhex(nt), "DPUSER".encode("utf-16-le"), hashlib.md5).hexdigest())' "$ONE_TIME")
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout broker.key \
    -out broker.crt -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout vm.key -out vm.crt -days 2 -subj /CN=vm 2>/dev/null
openssl rand -hex 32 >gw.key
BROKER_PORT=$(free_port) DESK_PORT=$(free_port) PLAIN_PORT=$(free_port) TLS_PORT=$(free_port)
GW_PORT=$(free_port) HAP_PLAIN=$(free_port) HAP_TLS=$(free_port) HAP_IPERF=$(free_port)
IPERF_PORT=$(free_port) MEM_GW_PORT=$(free_port) MEM_HAP_PORT=$(free_port) MEM_NLA_PORT=$(free_port)

# --- the parts: fake broker, deskpool-desktop as the VM, the two sinks, gateway, haproxy
python3 "$here/bench/gw_fake_broker.py" "$BROKER_PORT" broker.crt broker.key gw.key "$DESK_PORT" \
    "$TLS_PORT" "$PLAIN_PORT" "$ONE_TIME" >broker.log 2>&1 &
PIDS+=($!)
"$DESKTOP" --port "$DESK_PORT" --sam desk.sam --users desk.users --state desk-state \
    --handshake-timeout 10 >desk.out 2>desk.log &
PIDS+=($!)
"$LOAD" sink "$PLAIN_PORT" 2>sink-plain.log &
PIDS+=($!)
"$LOAD" sink "$TLS_PORT" --tls vm.crt vm.key "$VM_HASH" 2>sink-tls.log &
PIDS+=($!)
iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >iperf-server.log 2>&1 &
PIDS+=($!)

gw_config() { # gw_config PORT MAX_CONNECTIONS
    cat <<EOF
[gateway]
listen = 127.0.0.1:$1
state_dir = $WORK/gw-state
log_level = warn
[broker]
url = https://127.0.0.1:$BROKER_PORT
ca = $WORK/broker.crt
key_file = $WORK/gw.key
timeout = 30
[limits]
handshake_timeout = 60
max_connections = $2
max_per_source = $2
[metrics]
listen =
EOF
}
gw_config "$GW_PORT" 100 >gw.ini
"$GW" --config gw.ini --foreground >gw.out 2>gw.log &
PIDS+=($!)
GW_PID=$!

haproxy_config() { # haproxy_config MAXCONN then "PORT TARGET" lines on stdin
    printf 'global\n    maxconn %s\n\ndefaults\n    mode tcp\n    timeout connect 5s\n    timeout client 10m\n    timeout server 10m\n\n' "$1"
    local n=0 p t
    while read -r p t; do
        n=$((n + 1))
        printf 'listen l%s\n    bind 127.0.0.1:%s\n    server s1 127.0.0.1:%s\n\n' "$n" "$p" "$t"
    done
}
printf '%s %s\n' "$HAP_PLAIN" "$PLAIN_PORT" "$HAP_TLS" "$TLS_PORT" "$HAP_IPERF" "$IPERF_PORT" |
    haproxy_config 1000 >haproxy.cfg
haproxy -f haproxy.cfg -db >haproxy.log 2>&1 &
PIDS+=($!)

wait_for broker.log "fake broker listening" 10
wait_for desk.log "listening on" 10
wait_for sink-plain.log "listening" 10
wait_for sink-tls.log "listening" 10
for _ in $(seq 50); do
    [ -f gw-state/tls.crt ] && (exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT") 2>/dev/null && break
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$HAP_PLAIN") 2>/dev/null || { log "haproxy did not start"; cat haproxy.log >&2; exit 1; }
kill -0 "$GW_PID" || { log "gateway did not start"; cat gw.log >&2; exit 1; }
log "parts up after $((SECONDS - T_START)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"

# --- (a) throughput and round trips, interleaved rounds
# name | port | client options
PATHS=(
    "direct|$PLAIN_PORT|"
    "haproxy|$HAP_PLAIN|"
    "gw_splice|$GW_PORT|--token bench-p"
    "direct_tls|$TLS_PORT|--tls dpuser $ONE_TIME"
    "haproxy_tls|$HAP_TLS|--tls dpuser $ONE_TIME"
    "gw_splice_tls|$GW_PORT|--token bench-tls --tls dpuser $ONE_TIME"
    "gw_nla_relay|$GW_PORT|--tls bench secret"
)
: >res.jsonl
for r in $(seq "$ROUNDS"); do
    for p in "${PATHS[@]}"; do
        IFS='|' read -r name port opts <<<"$p"
        # shellcheck disable=SC2086 # opts are words
        s=$(timeout 60 "$LOAD" stream 127.0.0.1 "$port" "$SECS" $opts) || { log "$name: stream failed"; tail -n 5 gw.log >&2; exit 1; }
        # shellcheck disable=SC2086
        e=$(timeout 60 "$LOAD" echo 127.0.0.1 "$port" "$ECHOES" 64 $opts) || { log "$name: echo failed"; tail -n 5 gw.log >&2; exit 1; }
        echo "{\"kind\": \"relay\", \"path\": \"$name\", \"round\": $r, \"stream\": $s, \"echo\": $e}" >>res.jsonl
        log "round $r $name: $s $e"
    done
    ip=$(iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -t "$ISECS" -O 1 -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/8e6,1))')
    ih=$(iperf3 -c 127.0.0.1 -p "$HAP_IPERF" -t "$ISECS" -O 1 -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/8e6,1))')
    echo "{\"kind\": \"iperf3\", \"round\": $r, \"direct_mb_s\": $ip, \"haproxy_mb_s\": $ih}" >>res.jsonl
    log "round $r iperf3: direct $ip MB/s, haproxy $ih MB/s"
done
kill "$GW_PID" 2>/dev/null || true
log "(a) done after $((SECONDS - T_START)) s"

# --- (b) idle relayed connections: a fresh gateway and a fresh haproxy, RSS before and
# after MEM_LOW, then after MEM_HIGH connections (cumulative), clients in several processes
gw_config "$MEM_GW_PORT" "$MEM_HIGH" >gw-mem.ini
"$GW" --config gw-mem.ini --foreground >gw-mem.out 2>gw-mem.log &
PIDS+=($!)
MEM_GW_PID=$!
printf '%s %s\n' "$MEM_HAP_PORT" "$PLAIN_PORT" | haproxy_config "$MEM_HIGH" >haproxy-mem.cfg
haproxy -f haproxy-mem.cfg -db >haproxy-mem.log 2>&1 &
PIDS+=($!)
MEM_HAP_PID=$!
sleep 1
if ! kill -0 "$MEM_GW_PID" || ! kill -0 "$MEM_HAP_PID"; then
    log "memory gateway/haproxy did not start"
    cat gw-mem.log haproxy-mem.log >&2
    exit 1
fi

idle_open() { # idle_open TAG PORT TOTAL PROCS [client options]: starts clients, waits until all are up
    local tag=$1 port=$2 total=$3 procs=$4 i n
    shift 4
    local per=$(((total + procs - 1) / procs)) left=$total
    local files=()
    for i in $(seq "$procs"); do
        n=$((left < per ? left : per))
        left=$((left - n))
        [ "$n" -gt 0 ] || continue
        "$LOAD" idle 127.0.0.1 "$port" "$n" 600 "$@" >"idle-$tag-$i.out" 2>&1 &
        PIDS+=($!)
        IDLE_PIDS+=($!)
        files+=("idle-$tag-$i.out")
    done
    local f ok=0 failed=0 end=$((SECONDS + 300))
    for f in "${files[@]}"; do
        until grep -q '^ready' "$f" 2>/dev/null; do
            [ $SECONDS -lt $end ] || { log "idle clients ($tag) not ready"; cat "$f" >&2; exit 1; }
            sleep 0.2
        done
        ok=$((ok + $(awk '/^ready/ {print $2}' "$f")))
        failed=$((failed + $(awk '/^ready/ {print $4}' "$f")))
    done
    [ "$failed" -eq 0 ] || { log "$failed idle connections ($tag) failed"; tail -n 5 gw-mem.log haproxy-mem.log >&2; exit 1; }
    log "$tag: $ok connections up"
}
idle_close() {
    local pid
    for pid in "${IDLE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${IDLE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    IDLE_PIDS=()
}
mem_series() { # mem_series NAME PID PORT HIGH [client options]  (HIGH 0: only MEM_LOW)
    local name=$1 pid=$2 port=$3 high=$4
    shift 4
    # one connection opened and closed first, so lazily set-up state is in the baseline
    IDLE_PIDS=()
    idle_open "$name-warm" "$port" 10 1 "$@"
    idle_close
    sleep 0.5
    local r0 r1 r2=null t0=$SECONDS
    r0=$(rss_kib "$pid")
    idle_open "$name-low" "$port" "$MEM_LOW" 2 "$@"
    sleep 0.5
    r1=$(rss_kib "$pid")
    log "$name: $MEM_LOW idle connections in $((SECONDS - t0)) s, RSS $r0 -> $r1 KiB"
    if [ "$high" -gt 0 ]; then
        idle_open "$name-high" "$port" $((high - MEM_LOW)) 4 "$@"
        sleep 0.5
        r2=$(rss_kib "$pid")
        log "$name: $high idle connections after $((SECONDS - t0)) s, RSS $r2 KiB"
    fi
    idle_close
    echo "{\"kind\": \"idle\", \"path\": \"$name\", \"rss0_kib\": $r0, \"low\": $MEM_LOW, \"rss_low_kib\": $r1, \"high\": $high, \"rss_high_kib\": $r2, \"seconds\": $((SECONDS - t0))}" >>res.jsonl
}
mem_series gw_splice "$MEM_GW_PID" "$MEM_GW_PORT" "$MEM_HIGH" --token bench-idle
mem_series haproxy "$MEM_HAP_PID" "$MEM_HAP_PORT" "$MEM_HIGH"
kill "$MEM_GW_PID" "$MEM_HAP_PID" 2>/dev/null || true
# The NLA path (two TLS sessions and the relay's framing per connection), on another fresh
# gateway, at MEM_LOW only: every login costs three calls to the Python fake broker and
# two RSA handshakes, so 9,900 of them would take minutes.
gw_config "$MEM_NLA_PORT" "$MEM_HIGH" >gw-nla.ini
"$GW" --config gw-nla.ini --foreground >gw-nla.out 2>gw-nla.log &
PIDS+=($!)
MEM_NLA_PID=$!
sleep 1
mem_series gw_nla_relay "$MEM_NLA_PID" "$MEM_NLA_PORT" 0 --tls bench secret
kill "$MEM_NLA_PID" 2>/dev/null || true
log "(b) done after $((SECONDS - T_START)) s"

# --- (c) login to first frame, directly to the "VM" and through the gateway (interleaved)
sed 's/^log_level = warn/log_level = info/' gw.ini >gw-login.ini
"$GW" --config gw-login.ini --foreground >gw2.out 2>gw2.log &
PIDS+=($!)
sleep 1
for i in $(seq "$LOGINS"); do
    d=$(PW=$ONE_TIME timeout 60 "$PROBE" --user dpuser --password-env PW --json --timeout 30 "127.0.0.1:$DESK_PORT") ||
        { log "probe direct failed: $d"; exit 1; }
    g=$(PW=secret timeout 60 "$PROBE" --user alice --password-env PW --json --timeout 30 "127.0.0.1:$GW_PORT") ||
        { log "probe through the gateway failed: $g"; tail -n 5 gw2.log >&2; exit 1; }
    echo "{\"kind\": \"login\", \"round\": $i, \"direct\": $d, \"gw\": $g}" >>res.jsonl
done
# the gateway's own share: accept -> relay started (TLS, NLA, broker calls, VM login), from its log
sed -n 's/.*NLA with injected credentials, \([0-9]*\) ms after connect.*/\1/p' gw2.log |
    paste -sd, | sed 's/^/{"kind": "gw_handshake", "runs": [/; s/$/]}/' >>res.jsonl
log "(c) done after $((SECONDS - T_START)) s"

# --- the result
mkdir -p "$(dirname "$OUT")"
python3 - res.jsonl "$OUT" "$((SECONDS - T_START))" "$ROUNDS" "$SECS" "$ECHOES" <<'EOF'
import datetime, json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out, took, rounds, secs, echoes = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
med = lambda xs: round(statistics.median(xs), 1)
relay = {}
for r in rows:
    if r["kind"] == "relay":
        p = relay.setdefault(r["path"], {"mb_s": [], "p50_us": [], "p99_us": []})
        p["mb_s"].append(r["stream"]["mb_s"])
        p["p50_us"].append(r["echo"]["p50_us"])
        p["p99_us"].append(r["echo"]["p99_us"])
paths = {}
for name, p in relay.items():
    paths[name] = {"mb_s": med(p["mb_s"]), "rtt_p50_us": med(p["p50_us"]),
                   "rtt_p99_us": med(p["p99_us"]), "runs_mb_s": p["mb_s"],
                   "runs_rtt_p50_us": p["p50_us"], "runs_rtt_p99_us": p["p99_us"]}
def ratio(a, b, k):
    # median of the per-round ratios: rounds interleave the paths, so a ratio within one
    # round sees the same background load on both sides
    xs, ys = relay[a][k], relay[b][k]
    return round(statistics.median(x / y for x, y in zip(xs, ys) if y), 2)
base = {"gw_splice": "direct", "haproxy": "direct", "haproxy_tls": "direct_tls",
        "gw_splice_tls": "direct_tls", "gw_nla_relay": "direct_tls"}
for a, b in base.items():
    paths[a]["throughput_vs_direct"] = ratio(a, b, "mb_s")
    paths[a]["rtt_p50_vs_direct"] = ratio(a, b, "p50_us")
    paths[a]["added_rtt_p50_us"] = round(paths[a]["rtt_p50_us"] - paths[b]["rtt_p50_us"], 1)
    paths[a]["added_rtt_p99_us"] = round(paths[a]["rtt_p99_us"] - paths[b]["rtt_p99_us"], 1)
cmp = {"gw_splice_over_haproxy_throughput": ratio("gw_splice", "haproxy", "mb_s"),
       "gw_splice_tls_over_haproxy_tls_throughput": ratio("gw_splice_tls", "haproxy_tls", "mb_s"),
       "gw_nla_relay_over_haproxy_tls_throughput": ratio("gw_nla_relay", "haproxy_tls", "mb_s"),
       "gw_splice_over_haproxy_rtt_p50": ratio("gw_splice", "haproxy", "p50_us"),
       "gw_nla_relay_over_haproxy_tls_rtt_p50": ratio("gw_nla_relay", "haproxy_tls", "p50_us"),
       "figures": "medians of per-round ratios"}
ip = [r for r in rows if r["kind"] == "iperf3"]
iperf = {"direct_mb_s": med([r["direct_mb_s"] for r in ip]),
         "haproxy_mb_s": med([r["haproxy_mb_s"] for r in ip]),
         "haproxy_over_direct": round(statistics.median(r["haproxy_mb_s"] / r["direct_mb_s"] for r in ip), 2),
         "runs_direct_mb_s": [r["direct_mb_s"] for r in ip],
         "runs_haproxy_mb_s": [r["haproxy_mb_s"] for r in ip]}
idle = {}
for r in rows:
    if r["kind"] == "idle":
        counts = [r["low"]] + ([r["high"]] if r["high"] else [])
        rss = {str(r["low"]): r["rss_low_kib"]}
        if r["high"]:
            rss[str(r["high"])] = r["rss_high_kib"]
        idle[r["path"]] = {
            "connections": counts,
            "rss_kib": dict(before=r["rss0_kib"], **rss),
            "kib_per_connection": {n: round((v - r["rss0_kib"]) / int(n), 2) for n, v in rss.items()},
            "seconds_to_open_all": r["seconds"]}
        if r["high"]:
            # from the low to the high count: what one more connection costs once the heap's
            # high-water mark from concurrent handshakes (50 at a time) is paid
            idle[r["path"]]["marginal_kib_per_connection"] = round(
                (r["rss_high_kib"] - r["rss_low_kib"]) / (r["high"] - r["low"]), 2)
if "gw_splice" in idle and "haproxy" in idle:
    idle["ratio_gw_splice_over_haproxy"] = {
        n: round(v / idle["haproxy"]["kib_per_connection"][n], 2)
        for n, v in idle["gw_splice"]["kib_per_connection"].items()
        if idle["haproxy"]["kib_per_connection"].get(n)}
lg = [r for r in rows if r["kind"] == "login"]
d = [r["direct"]["first_frame_ms"] for r in lg]
g = [r["gw"]["first_frame_ms"] for r in lg]
hs = [r["runs"] for r in rows if r["kind"] == "gw_handshake"]
hs = hs[0] if hs else []
login = {"direct_ms": {"median": statistics.median(d), "runs": d},
         "gateway_accept_to_relay_ms": {"median": statistics.median(hs) if hs else None, "runs": hs},
         "gateway_ms": {"median": statistics.median(g), "runs": g},
         "gateway_added_ms": statistics.median(g) - statistics.median(d),
         "ratio_gateway_over_direct": round(statistics.median(g) / statistics.median(d), 2)}
res = {
    "benchmark": "gw",
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    "host": {"cores": os.cpu_count(), "loadavg_at_end": open("/proc/loadavg").read().split()[:3]},
    "seconds": took,
    "relay": {"paths": paths, "compare": cmp, "iperf3_anchor": iperf,
              "method": {"rounds": rounds, "seconds_per_stream": secs, "echoes_per_round": echoes,
                         "echo_bytes": 64, "frame_bytes": 16384, "figures": "median over rounds"}},
    "idle_memory": idle,
    "login_to_first_frame": login,
    "note": ("(a) bench/gw_load.c is both client and VM: one TCP connection, X.224 request/confirm, "
             "then the VM streams 16 KiB TPKT frames (MB/s after 0.3 s warm-up) or echoes 64-byte "
             "messages (round trip, nearest-rank p50/p99 of %d). direct/haproxy/gw_splice: plain "
             "bytes after X.224 (the splice path via a routing token from the fake broker). *_tls: "
             "TLS + CredSSP (WinPR NTLM) end to end between client and VM; gw_nla_relay: the "
             "client logs into the gateway (TLS + CredSSP, hash from the fake broker), the gateway "
             "logs into the VM with the injected credential, the client sends xfreerdp's MCS "
             "Connect Initial (patched by the gateway) and the stream is RDP-framed, so every PDU "
             "passes the redirection filter and is decrypted and re-encrypted. Not real RDP "
             "graphics traffic: FreeRDP cannot be driven at volume. haproxy 2.6 default threads. "
             "(b) idle relayed connections (fresh gateway and haproxy processes, 10 opened and "
             "closed first), RSS delta / connections, cumulative: the high count includes the low "
             "one; 9,900 instead of 10,000 because a relay needs 2 descriptors per connection and "
             "the hard limit is 20,000 per process. gw_splice and haproxy: plain TCP after X.224; "
             "gw_nla_relay: logged-in NLA sessions (two TLS sessions each) at the low count only. "
             "The gateway's RSS may also hold heap left by the per-connection broker HTTPS calls (a TLS "
             "handshake each, 50 in flight at a time): see marginal_kib_per_connection. (c) deskpool-probe --json "
             "first_frame_ms against deskpool-desktop on the host (no QEMU) as dpuser directly, and "
             "as alice through the gateway (NLA at the gateway, 3 broker calls, VM login); "
             "libfreerdp 2.11's client connect loop sleeps in 100 ms steps, so both include that "
             "floor and the gateway's extra round trips can vanish in it; "
             "gateway_accept_to_relay_ms is the gateway's own log of accept -> relay started "
             "(TLS, NLA, ntlm-hash + desktop request to the broker, X.224 + TLS + CredSSP to the "
             "VM). All on 2 shared cores: client, VM, relay and other sessions' work compete; "
             "read ratios, which are medians of per-round ratios (the paths are interleaved in "
             "every round).") % echoes,
}
with open(out, "w") as f:
    json.dump(res, f, indent=2)
    f.write("\n")
EOF
cat "$OUT"
log "results in $OUT ($((SECONDS - T_START)) s)"
