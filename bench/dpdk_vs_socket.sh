#!/usr/bin/env bash
# Transfers/s of the DPDK backend (net_af_packet) and the socket backend on the same veth path,
# same load generator (bench/tftp_load) in the client namespace, same run. Needs root.
# Usage: dpdk_vs_socket.sh BUILD_DIR [--smoke]
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
SECS=${SECS:-5}
CLIENTS=${CLIENTS:-32}
[ "${2:-}" = "--smoke" ] && { SECS=2; CLIENTS=4; }  # enough for a loaded host to finish a 2.25 MB transfer
source "$(dirname "$0")/netns_bench.sh" dpdk
mkdir -p "$WORK/root"
head -c 5456 /dev/urandom > "$WORK/root/fixup4.dat"
head -c 2253088 /dev/urandom > "$WORK/root/start4.elf"

run_load() {  # FILE SIZE
    ip netns exec "$NS_CLI" "$BUILD/bench/tftp_load" --server "$SRV_IP:69" --file "$1" --size "$2" \
        --clients "$CLIENTS" --seconds "$SECS" --blksize 1468
}
start() {  # LOG ARGS... (the load generator's one address stands for many clients: no per-client cap)
    local log=$1; shift
    RACKBOOTD=$BUILD/src/rackbootd/rackbootd RB_NETNS=$NS_SRV \
        rackbootd_start "$log" --tftp-root "$WORK/root" --tftp-port 69 --api off --workers 1 \
        --max-transfers-per-client 1000000 "$@" || exit 1
}
stop_last() { kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }
rate() { sed -nE 's/.*transfers_per_s=([0-9.]+).*/\1/p' <<<"$1"; }

declare -A RESULT
measure() {  # BACKEND: both files against the server just started, then stop it
    for spec in "fixup4.dat 5456" "start4.elf 2253088"; do
        set -- $spec
        RESULT[$BACKEND-$1]=$(run_load "$1" "$2")
        echo "backend=$BACKEND file=$1 ${RESULT[$BACKEND-$1]}"
    done
    stop_last
}
start "$WORK/socket.log" --listen "$SRV_IP"
BACKEND=socket measure
ip -n "$NS_SRV" addr flush dev "$IF_SRV"
start "$WORK/dpdk.log" --backend dpdk --ip "$SRV_IP/16" \
    --eal "$(eal_args rbbench$$ --vdev=net_af_packet0,iface=$IF_SRV)"
BACKEND=dpdk measure
status=0
for f in fixup4.dat start4.elf; do
    awk -v a="$(rate "${RESULT[dpdk-$f]}")" -v b="$(rate "${RESULT[socket-$f]}")" -v f="$f" \
        'BEGIN { if (b > 0) printf "file=%s ratio_dpdk_over_socket=%.2f\n", f, a / b; else print "file=" f " socket made no transfers" }'
    grep -q 'wrong_size=0 ' <<<"${RESULT[dpdk-$f]}" || status=1
    awk -v a="$(rate "${RESULT[dpdk-$f]}")" 'BEGIN { exit !(a > 0) }' || status=1
done
exit $status
