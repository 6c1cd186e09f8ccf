#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hypervisor benchmark, side by side in one run:
#  1. creating a qcow2 differencing disk on 64 MiB, 1 GiB, 2 GiB and 4 GiB bases (the ratio
#     should be ~1: an overlay costs the same whatever the base), beside a full copy of each;
#  2. cold boot of a tiny-template clone to ready (guest agent + RDP answer), median of 5,
#     and the RSS of the QEMU process of a ready desktop.
# Usage: bench/hv_bench.sh BUILD_DIR [OUT_JSON]   (default out: bench/results/hv.json)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$here/build}" && pwd)"
OUT="${2:-$here/bench/results/hv.json}"
HV="$BUILD/clients/deskpool-hv/deskpool-hv"
STATE="${DESKPOOL_BENCH_STATE:-$BUILD/bench-state}"
work=$(mktemp -d /tmp/dp-bench-XXXXXX)
trap 'for v in $("$HV" --state "$STATE" vm list 2>/dev/null | awk "/^bench-/{print \$1}"); do
        "$HV" --state "$STATE" vm destroy "$v" >/dev/null 2>&1; done; rm -rf "$work"' EXIT

now_ns() { date +%s%N; }
# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ms_since() { awk -v a="$(now_ns)" -v b="$1" 'BEGIN{printf "%.2f\n", (a-b)/1000000}'; }

SIZES="64 1024 2048 4096"
echo "bench: preparing bases ($SIZES MiB of random data)" >&2
for size in $SIZES; do
    # Random data, so neither qcow2 nor the copy can skip zero clusters.
    head -c "$((size * 1024 * 1024))" /dev/urandom >"$work/base-$size.raw"
    qemu-img convert -O qcow2 "$work/base-$size.raw" "$work/base-$size.qcow2"
    rm -f "$work/base-$size.raw"
done
sync

overlay_ms() { # base -> median ms over 21 overlay creations
    for i in $(seq 21); do
        local t=$(now_ns)
        qemu-img create -q -f qcow2 -b "$1" -F qcow2 "$work/ovl-$i.qcow2"
        ms_since "$t"
        rm -f "$work/ovl-$i.qcow2"
    done | median
}
copy_ms() { # base -> median ms over 3 full copies (what a full clone costs)
    for i in 1 2 3; do
        local t=$(now_ns)
        qemu-img convert -O qcow2 "$1" "$work/copy.qcow2"
        sync "$work/copy.qcow2"
        ms_since "$t"
        rm -f "$work/copy.qcow2"
    done | median
}
rows=()
for size in $SIZES; do
    o=$(overlay_ms "$work/base-$size.qcow2")
    c=$(copy_ms "$work/base-$size.qcow2")
    eval "ovl_$size=$o; copy_$size=$c"
    rows+=("{\"base_mib\": $size, \"overlay_ms\": $o, \"full_copy_ms\": $c, \"copy_over_overlay\": $(awk -v a="$c" -v b="$o" 'BEGIN{printf "%.1f", a/b}')}")
    echo "bench: base $size MiB: overlay $o ms, full copy $c ms" >&2
    rm -f "$work/base-$size.qcow2"
done
ovl64=$ovl_64
ovl2g=$ovl_2048
copy2g=$copy_2048

echo "bench: tiny template" >&2
"$HV" --state "$STATE" template build tiny >/dev/null
boots=()
rss_kb=0
for i in 1 2 3 4 5; do
    "$HV" --state "$STATE" vm destroy "bench-$i" >/dev/null 2>&1 || true
    "$HV" --state "$STATE" vm create "bench-$i" --template tiny >/dev/null
    t=$(now_ns)
    "$HV" --state "$STATE" vm start "bench-$i" --wait 120 >/dev/null
    boots+=("$(ms_since "$t")")
    r=$("$HV" --state "$STATE" --json vm status "bench-$i" | sed -n 's/.*"rss_kb": \([0-9]*\).*/\1/p')
    rss_kb=$((rss_kb > r ? rss_kb : r))
    "$HV" --state "$STATE" vm destroy "bench-$i" >/dev/null
done
boot=$(printf '%s\n' "${boots[@]}" | median)
rdp=$("$HV" --state "$STATE" --json template list | grep -c '"has_rdp": true' || true)
echo "bench: cold boot to ready median ${boot} ms (runs: ${boots[*]}), RSS ${rss_kb} KiB" >&2

mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<JSON
{
  "benchmark": "hv",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "host": {"cores": $(nproc), "qemu": "$(qemu-system-x86_64 --version | head -1 | awk '{print $4}')", "accel": "tcg"},
  "overlay_create_ms": {"base_64MiB": $ovl64, "base_2GiB": $ovl2g,
                        "ratio_2GiB_over_64MiB": $(awk -v a="$ovl2g" -v b="$ovl64" 'BEGIN{printf "%.2f", a/b}')},
  "full_copy_2GiB_ms": $copy2g,
  "by_base_size": [$(IFS=,; echo "${rows[*]}")],
  "ratio_full_copy_over_overlay_2GiB": $(awk -v a="$copy2g" -v b="$ovl2g" 'BEGIN{printf "%.1f", a/b}'),
  "cold_boot_to_ready_ms": {"median": $boot, "runs": [$(IFS=,; echo "${boots[*]}")],
                            "ready_means": "$([ "$rdp" -gt 0 ] && echo "guest-ping + X.224 Connection Confirm" || echo "guest-ping")"},
  "ready_desktop_rss_kib": $rss_kb
}
JSON
cat "$OUT"
