#!/usr/bin/env bash
# One DPDK worker's ACK -> DATA packets/s over net_ring (bench/dpdk_ack_data_bench) and, in the
# same run, dpdk-testpmd's macswap forwarding ceiling over a net_ring loopback with frames of the
# same size, with the ratio. net_ring passes mbuf pointers, so its ceiling is a memory-bus bound
# far above any path that touches 1.5 KB per packet; see the closing notes for how to read it.
# Usage: dpdk_vs_testpmd.sh BUILD_DIR [SECONDS]
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
SECS=${2:-3}
ours=$("$BUILD/bench/dpdk_ack_data_bench" "$SECS" 32)
echo "rackbootd_worker $ours"
pps=$(sed -nE 's/.*data_pps=([0-9]+).*/\1/p' <<<"$ours")
ceiling=$( (sleep "$SECS"; echo) | timeout $((SECS + 30)) dpdk-testpmd --no-huge -m 1024 --no-pci --no-shconf --no-telemetry \
    --log-level=error -l 0-1 --file-prefix rbtestpmd$$ --vdev=net_ring0 -- --forward-mode=macswap --port-topology=loop \
    --tx-first --txpkts=1510 --total-num-mbufs=16384 --stats-period=1 2>&1 | sed -nE 's/.*Rx-pps: +([0-9]+).*/\1/p' | tail -1 || true)
rm -rf "/run/dpdk/rbtestpmd$$"  # testpmd leaves its runtime directory behind
echo "testpmd_macswap_net_ring rx_pps=${ceiling:-0} frame_bytes=1514"
awk -v a="$pps" -v b="${ceiling:-0}" 'BEGIN { if (b > 0) printf "ratio_worker_over_testpmd=%.3f\n", a / b; else print "testpmd gave no figure" }'
