#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Desktop benchmark: for 5 fresh clones of the tiny template, the time from `vm start` to the
# first desktop frame seen by deskpool-probe (start → ready → one-time password over QGA →
# NLA login → frame), and from the probe's connect to its first frame. Medians and runs are
# printed and saved. Note: libfreerdp 2.11's client connect loop sleeps in 100 ms steps, so
# connect→frame has a floor of ~1.2 s whatever the server does (xfreerdp has the same).
# Usage: bench/desktop_bench.sh BUILD_DIR [OUT_JSON]   (default bench/results/desktop.json)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$here/build}" && pwd)"
OUT="${2:-$here/bench/results/desktop.json}"
HV="$BUILD/clients/deskpool-hv/deskpool-hv"
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
STATE="${DESKPOOL_BENCH_STATE:-$BUILD/bench-state}"
hv() { "$HV" --state "$STATE" "$@"; }
trap 'for i in 1 2 3 4 5; do hv vm destroy "dbench-$i" >/dev/null 2>&1 || true; done' EXIT
now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

hv template build tiny >/dev/null
export PW="Bench-$RANDOM-pass"
start_to_frame=()
connect_to_frame=()
for i in 1 2 3 4 5; do
    hv vm destroy "dbench-$i" >/dev/null 2>&1 || true
    hv vm create "dbench-$i" --template tiny >/dev/null
    port=$(hv --json vm status "dbench-$i" | sed -n 's/.*"rdp_port": \([0-9]*\).*/\1/p')
    t0=$(now_ns)
    hv vm start "dbench-$i" --wait 120 >/dev/null
    printf '%s\n' "$PW" | hv qga "dbench-$i" set-password bench >/dev/null
    json=$("$PROBE" --user bench --password-env PW --timeout 30 --json "127.0.0.1:$port")
    t1=$(now_ns)
    ff=$(echo "$json" | sed -n 's/.*"first_frame_ms": *\([0-9]*\).*/\1/p')
    [ -n "$ff" ] || { echo "bench: no frame from dbench-$i: $json" >&2; exit 1; }
    start_to_frame+=("$(((t1 - t0) / 1000000))")
    connect_to_frame+=("$ff")
    hv vm destroy "dbench-$i" >/dev/null
    echo "bench: run $i: start→frame ${start_to_frame[-1]} ms, connect→frame $ff ms" >&2
done
m1=$(printf '%s\n' "${start_to_frame[@]}" | median)
m2=$(printf '%s\n' "${connect_to_frame[@]}" | median)
mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<JSON
{
  "benchmark": "desktop",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "host": {"cores": $(nproc), "accel": "tcg"},
  "vm_start_to_first_frame_ms": {"median": $m1, "runs": [$(IFS=,; echo "${start_to_frame[*]}")]},
  "connect_to_first_frame_ms": {"median": $m2, "runs": [$(IFS=,; echo "${connect_to_frame[*]}")]},
  "note": "cold boot (TCG); connect→frame includes TLS + NLA and libfreerdp 2.11's ~1.2 s connect-loop floor"
}
JSON
cat "$OUT"
