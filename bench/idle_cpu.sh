#!/usr/bin/env bash
# CPU an idle rackbootd uses: utime+stime over a quiet interval, as a percentage of one core.
# Usage: idle_cpu.sh BUILD_DIR [SECONDS] [WORKERS]
set -euo pipefail
BUILD=${1:?build dir}
SECS=${2:-10}
WORKERS=${3:-2}
"$BUILD/src/rackbootd/rackbootd" --tftp-port 0 --api off --workers "$WORKERS" > /dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
sleep 1
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
t0=$(ticks)
sleep "$SECS"
t1=$(ticks)
hz=$(getconf CLK_TCK)
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$SECS" -v w="$WORKERS" \
    'BEGIN { printf "idle_cpu_percent_of_one_core=%.2f workers=%d seconds=%d\n", 100 * d / hz / s, w, s }'
