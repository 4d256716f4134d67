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
source "$HERE/../tests/support/skip.sh"
source "$HERE/../tests/support/rackbootd.sh"
ROOT=$(mktemp -d /tmp/rackboot-idle.XXXXXX)
args=(--tftp-root "$ROOT" --tftp-port 0 --api off --workers "$WORKERS")
if [ "$BACKEND" = dpdk ]; then
    source "$HERE/../tests/integration/netns.sh"
    netns_setup
    ip -n "$NS_SRV" addr flush dev "$IF_SRV"
    RB_NETNS=$NS_SRV
    args+=(--backend dpdk --ip "$SRV_IP/16"
        --eal "$(eal_args rbidle$$ --vdev=net_af_packet0,iface=$IF_SRV)")
fi
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    if declare -F netns_cleanup >/dev/null; then netns_cleanup; fi
    rm -rf "$ROOT" "$ROOT.log"
}
trap cleanup EXIT
RACKBOOTD=$BUILD/src/rackbootd/rackbootd rackbootd_start "$ROOT.log" "${args[@]}" || exit 1
pid=$RB_PID
sleep 1
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
t0=$(ticks)
sleep "$SECS"
t1=$(ticks)
hz=$(getconf CLK_TCK)
awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$SECS" -v w="$WORKERS" -v b="$BACKEND" \
    'BEGIN { printf "idle_cpu_percent_of_one_core=%.2f backend=%s workers=%d seconds=%d\n", 100 * d / hz / s, b, w, s }'
