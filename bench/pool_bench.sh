#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Pool manager benchmark: 1,000 users ask for a desktop at the same moment, on the fake
# hypervisor with every spare ready, so the assignment path itself is measured (entitlement,
# per-pool lock, atomic claim, session row, one-time password; real sqlite in WAL mode).
# Side by side in one run: all users in one pool, and spread over four pools.
# Usage: bench/pool_bench.sh BUILD_DIR [OUT_JSON] [USERS]   (default out: bench/results/pool.json)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$here/build}" && pwd)"
OUT="${2:-$here/bench/results/pool.json}"
USERS="${3:-1000}"
if [ ! -x "$BUILD/bench/pool_bench" ]; then
    cmake --build "$BUILD" --target pool_bench >&2
fi
mkdir -p "$(dirname "$OUT")"
"$BUILD/bench/pool_bench" "$OUT" "$USERS"
echo "bench: results in $OUT" >&2
