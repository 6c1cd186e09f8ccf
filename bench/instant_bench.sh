#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Instant clones, side by side in one run. For N = 1, 4 and 8 desktops of the tiny template
# started at once, three ways:
#   instant  overlay on the saved parent's disk + restore of its state (RAM shared COW)
#   boot     overlay on the template base + cold boot
#   full     full qcow2 copy of the base (copy time counted) + cold boot
# it measures the time until every desktop is ready (personalised, guest agent + X.224
# answer) and the memory per desktop: RSS and PSS (/proc/PID/smaps_rollup; PSS splits
# shared pages between the processes that share them, so it is what a desktop really
# costs). The headline is instant/boot. The parent's one-time build is reported apart.
# Usage: bench/instant_bench.sh BUILD_DIR [OUT_JSON]   (default out: bench/results/instant.json)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$here/build}" && pwd)"
OUT="${2:-$here/bench/results/instant.json}"
HV="$BUILD/clients/deskpool-hv/deskpool-hv"
STATE="${DESKPOOL_BENCH_STATE:-/tmp/dp-ibench}"
hv() { "$HV" --state "$STATE" "$@"; }
work=$(mktemp -d /tmp/dp-ibench-XXXXXX)
cleanup() {
    for v in $(hv vm list 2>/dev/null | awk '/^ib-/{print $1}'); do hv vm destroy "$v" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
now_ms() { echo $(($(date +%s%N) / 1000000)); }
smaps() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }

echo "bench: tiny template and its parent" >&2
hv template build tiny >/dev/null
base=$(hv --json template list | sed -n 's/.*"base": "\(.*\)".*/\1/p' | tail -1)
t=$(now_ms)
hv parent build tiny >/dev/null
parent_ms=$(($(now_ms) - t))
pdir=$(hv --json parent list | sed -n 's/.*"dir": "\(.*\)".*/\1/p' | head -1)
pboot=$(sed -n 's/.*"boot_ms": \([0-9]*\).*/\1/p' "$pdir/meta.json")
psave=$(sed -n 's/.*"save_ms": \([0-9]*\).*/\1/p' "$pdir/meta.json")
pstate=$(stat -c %s "$pdir/state")

# run MODE N -> JSON object; every VM is destroyed afterwards
run() {
    local mode=$1 n=$2 names=() i
    for i in $(seq "$n"); do names+=("ib-$mode-$i"); done
    for v in "${names[@]}"; do
        hv vm destroy "$v" >/dev/null 2>&1 || true
        case $mode in
        instant) hv vm create "$v" --template tiny --clone instant >/dev/null ;;
        *) hv vm create "$v" --template tiny >/dev/null ;;
        esac
    done
    sync
    local t0
    t0=$(now_ms)
    for v in "${names[@]}"; do
        (
            if [ "$mode" = full ]; then # the copy is part of what a full clone costs
                rm -f "$STATE/vms/$v/disk.qcow2"
                qemu-img convert -O qcow2 "$base" "$STATE/vms/$v/disk.qcow2"
            fi
            hv vm start "$v" --wait 300 --personalise >"$work/$v.out" 2>&1 && echo $(($(now_ms) - t0)) >"$work/$v.ms"
        ) &
    done
    wait
    local all=0 sum=0 rss=0 pss=0 restored=0
    for v in "${names[@]}"; do
        [ -f "$work/$v.ms" ] || { cat "$work/$v.out" >&2; echo "bench: $v failed" >&2; exit 1; }
        local ms pid
        ms=$(cat "$work/$v.ms")
        sum=$((sum + ms))
        all=$((ms > all ? ms : all))
        grep -q "restored from its parent" "$work/$v.out" && restored=$((restored + 1))
        pid=$(hv --json vm status "$v" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
        rss=$((rss + $(smaps "$pid" Rss)))
        pss=$((pss + $(smaps "$pid" Pss)))
    done
    for v in "${names[@]}"; do hv vm destroy "$v" >/dev/null; rm -f "$work/$v.ms"; done
    echo "bench: $mode N=$n: all ready in $all ms (mean $((sum / n)) ms), RSS $((rss / n / 1024)) MiB, PSS $((pss / n / 1024)) MiB per desktop, restored $restored/$n" >&2
    printf '{"all_ready_ms": %d, "mean_ready_ms": %d, "rss_kib_per_vm": %d, "pss_kib_per_vm": %d, "restored": %d}' \
        "$all" "$((sum / n))" "$((rss / n))" "$((pss / n))" "$restored"
}

declare -A R
for n in 1 4 8; do
    for mode in instant boot full; do
        R[$mode,$n]=$(run "$mode" "$n")
    done
done
field() { echo "${R[$1,$2]}" | sed -n "s/.*\"$3\": \([0-9]*\).*/\1/p"; }
ratio() { echo "scale=3; $1 / $2" | bc | sed 's/^\./0./'; }

mkdir -p "$(dirname "$OUT")"
{
    echo "{"
    echo "  \"benchmark\": \"instant\","
    echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
    echo "  \"host\": {\"cores\": $(nproc), \"qemu\": \"$(qemu-system-x86_64 --version | head -1 | awk '{print $4}')\", \"accel\": \"tcg\", \"loadavg_at_end\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"},"
    echo "  \"ready_means\": \"restored or booted, clock and host name set over QGA, guest agent and X.224 answer\","
    echo "  \"parent\": {\"ensure_ms_this_run\": $parent_ms, \"boot_ms\": $pboot, \"save_ms\": $psave, \"state_bytes\": $pstate},"
    for n in 1 4 8; do
        echo "  \"n$n\": {\"instant\": ${R[instant,$n]}, \"boot\": ${R[boot,$n]}, \"full_copy\": ${R[full,$n]},"
        echo "         \"ratio_instant_over_boot\": {\"all_ready\": $(ratio "$(field instant $n all_ready_ms)" "$(field boot $n all_ready_ms)"), \"pss\": $(ratio "$(field instant $n pss_kib_per_vm)" "$(field boot $n pss_kib_per_vm)"), \"rss\": $(ratio "$(field instant $n rss_kib_per_vm)" "$(field boot $n rss_kib_per_vm)")}}$([ $n = 8 ] || echo ,)"
    done
    echo "}"
} >"$OUT"
cat "$OUT"
