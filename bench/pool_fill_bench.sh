#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Time for a pool of 4 to reach its spare target from empty on this machine (real deskpoold,
# real QEMU under TCG, tiny template), side by side in one run: preparing 1 VM at a time
# (max-provisioning 1) vs 2 at a time (this host has 2 cores) vs 4 at a time.
# Usage: bench/pool_fill_bench.sh BUILD_DIR [OUT_JSON]   (default bench/results/pool_fill.json)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$here/build}" && pwd)"
OUT="${2:-$here/bench/results/pool_fill.json}"
DAEMON="$BUILD/broker/daemon/deskpoold"
CLI="$BUILD/clients/deskpool/deskpool"
HV="$BUILD/clients/deskpool-hv/deskpool-hv"
B=$(mktemp -d /tmp/dpf-XXXXXX)
SOCK="$B/d.sock"
DPID=""
dp() { "$CLI" --socket "$SOCK" "$@"; }
cleanup() {
    [ -n "$DPID" ] && { dp pool delete fill --force --wait >/dev/null 2>&1 || true; kill "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true; }
    for pf in "$B"/st/vms/*/qemu.pid; do [ -f "$pf" ] && kill -9 "$(cat "$pf")" 2>/dev/null || true; done
    rm -rf "$B"
}
trap cleanup EXIT
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The tiny template from the shared cache (built once by deskpool-hv).
"$HV" --state "$BUILD/bench-state" template build tiny >/dev/null 2>&1
mkdir -p "$B/st/cache" && cp -a "$BUILD/bench-state/cache/tiny" "$B/st/cache/"
cat >"$B/deskpool.conf" <<CONF
[broker]
state_dir = $B/st
socket = $SOCK
pidfile = $B/deskpoold.pid
log_level = warn
[https]
listen = off
CONF
"$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do dp status >/dev/null 2>&1 && break; sleep 0.2; done
dp template build tiny >/dev/null

results=()
for par in 1 2 4; do
    t0=$(now_ms)
    dp pool create fill --template tiny --type pooled --max 4 --spare 4 --max-provisioning "$par" \
        --wait --wait-timeout 300 >/dev/null
    ms=$(($(now_ms) - t0))
    echo "bench: pool of 4 from empty, max-provisioning $par: $ms ms" >&2
    results+=("{\"max_provisioning\": $par, \"fill_ms\": $ms}")
    dp pool delete fill --force --wait >/dev/null
done
mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<JSON
{
  "benchmark": "pool fill: a pool of 4 (spare 4) from empty to ready",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "host": {"cores": $(nproc), "accel": "tcg"},
  "runs": [$(IFS=,; echo "${results[*]}")],
  "note": "ready = guest agent + RDP X.224 answer, through deskpoold's pool manager; cold boot (clone-mode boot)"
}
JSON
cat "$OUT"
