#!/usr/bin/env bash
# CPU an idle rackbootd uses: utime+stime over a quiet interval, as a percentage of one core.
# Usage: idle_cpu.sh BUILD_DIR [SECONDS] [WORKERS] [socket|dpdk]
#   dpdk: rackbootd owns a veth through net_af_packet in a network namespace (needs root).
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
SECS=${2:-10}
WORKERS=${3:-2}
BACKEND=${4:-socket}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(mktemp -d /tmp/rackboot-idle.XXXXXX)
prefix=()
args=(--tftp-root "$ROOT" --tftp-port 0 --api off --workers "$WORKERS")
if [ "$BACKEND" = dpdk ]; then
    source "$HERE/../tests/integration/netns.sh"
    netns_setup
    ip -n "$NS_SRV" addr flush dev "$IF_SRV"
    prefix=(ip netns exec "$NS_SRV")
    args+=(--backend dpdk --ip "$SRV_IP/16"
        --eal "--no-huge -m 512 --no-pci --no-shconf --no-telemetry --log-level=error -l 0 --file-prefix rbidle$$ --vdev=net_af_packet0,iface=$IF_SRV")
fi
"${prefix[@]}" "$BUILD/src/rackbootd/rackbootd" "${args[@]}" > "$ROOT.log" 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if declare -F netns_cleanup >/dev/null; then netns_cleanup; fi
    rm -rf "$ROOT" "$ROOT.log"
}
trap cleanup EXIT
sleep 1
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
t0=$(ticks)
sleep "$SECS"
t1=$(ticks)
hz=$(getconf CLK_TCK)
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$SECS" -v w="$WORKERS" -v b="$BACKEND" \
    'BEGIN { printf "idle_cpu_percent_of_one_core=%.2f backend=%s workers=%d seconds=%d\n", 100 * d / hz / s, b, w, s }'
