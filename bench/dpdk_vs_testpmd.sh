#!/usr/bin/env bash
# One DPDK worker's ACK -> DATA packets/s (1468-byte blocks) over net_memif against the same path's
# ceiling, measured in the same run: bench/dpdk_tftp_peer (its own process, shared memory, no
# kernel) plays CLIENTS closed-loop TFTP clients against rackbootd --backend dpdk, then echoes
# frames through dpdk-testpmd --forward-mode=macswap on the same memif path, the peer sending
# back every frame untouched. Two ceilings: 1514-byte frames (what DATA is) and 60-byte frames
# (what ACKs are). Rounds alternate server and testpmd; medians are reported, with the ratios.
# The worker and the forwarder get CPU 1, the peer CPU 0.
# Usage: dpdk_vs_testpmd.sh BUILD_DIR [SECONDS [ROUNDS [CLIENTS]]] | dpdk_vs_testpmd.sh BUILD_DIR --smoke
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
if [[ ${2:-} == --smoke ]]; then SECS=0.5 ROUNDS=1 CLIENTS=16; else SECS=${2:-3} ROUNDS=${3:-3} CLIENTS=${4:-64}; fi
WINDOW=${WINDOW:-1}  # RFC 7440 windowsize the peer asks for (one ACK per WINDOW DATA)
source "$(dirname "$0")/../tests/support/skip.sh"
source "$(dirname "$0")/../tests/support/rackbootd.sh"
need_root "the DPDK EAL"
command -v dpdk-testpmd >/dev/null || { echo "dpdk_vs_testpmd.sh: dpdk-testpmd missing (package dpdk-dev; tools/install-deps)"; exit 1; }

WORK=$(mktemp -d /tmp/rb-memif-XXXXXX)
SOCK=$WORK/memif.sock
PREFIX=rbmemif$$
SIZE=$((16 * 1024 * 1024))
head -c "$SIZE" /dev/urandom >"$WORK/big.bin"
server_pid="" peer_pid=""
cleanup() {
    [[ -n $peer_pid ]] && kill "$peer_pid" 2>/dev/null
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$WORK" /run/dpdk/"$PREFIX"*
}
trap cleanup EXIT

# The peer runs in the background; once it has reported, the server is stopped while the peer
# leaves the port alone (--linger): DPDK 22.11's memif unmaps its rings from the control thread
# when the other side goes, racing a data path still polling (it crashed rackbootd that way).
peer_start() {  # MODE [FRAME]
    rm -f "$WORK/peer.out"
    timeout $((${SECS%.*} + 40)) "$BUILD/bench/dpdk_tftp_peer" \
        --eal "$(eal_args "${PREFIX}p" --vdev=net_memif0,role=client,socket="$SOCK",socket-abstract=no)" \
        --mode "$1" --frame "${2:-60}" --file big.bin --size "$SIZE" --clients "$CLIENTS" --windowsize "$WINDOW" \
        --seconds "$SECS" --warmup 1 --linger 2 >"$WORK/peer.out" 2>&1 &
    peer_pid=$!
    for _ in $(seq $(( (${SECS%.*} + 30) * 10 ))); do
        grep -q "rx_pps=" "$WORK/peer.out" 2>/dev/null && return 0
        kill -0 "$peer_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "  peer gave no figure: $(cat "$WORK/peer.out")" >&2
}

peer_finish() {  # prints the peer's rx_pps
    wait "$peer_pid" || echo "  peer exited with $?" >&2
    echo "  peer: $(grep rx_pps= "$WORK/peer.out")" >&2
    sed -nE 's/.*rx_pps=([0-9]+).*/\1/p' "$WORK/peer.out"
}

wait_ready() {  # LOG PATTERN: the server has started its port (a memif client that connects
    # earlier is not answered)
    for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    echo "the server did not start: $(tail -3 "$1")" >&2
    return 1
}

run_rackbootd() {
    rm -f "$SOCK"
    # The peer's one address stands for CLIENTS clients: no per-client cap.
    "$BUILD/src/rackbootd/rackbootd" --backend dpdk --ip 10.9.0.1/24 --workers 1 --cpus 1 --tftp-root "$WORK" \
        --api off --max-transfers-per-client 1000000 --eal "$(EAL_CORES=1 eal_args "${PREFIX}s" --vdev=net_memif0,role=server,socket="$SOCK",socket-abstract=no)" \
        >"$WORK/rackbootd.log" 2>&1 &
    server_pid=$!
    wait_ready "$WORK/rackbootd.log" event=start
    peer_start tftp
    kill -INT "$server_pid"
    wait "$server_pid" || echo "  rackbootd exited with $?: $(tail -2 "$WORK/rackbootd.log")" >&2
    server_pid=""
    peer_finish
}

run_testpmd() {  # FRAME
    rm -f "$SOCK" "$WORK/stdin"
    mkfifo "$WORK/stdin"
    # Non-interactive testpmd forwards until a line arrives on its stdin.
    # shellcheck disable=SC2046  # the EAL arguments are words
    dpdk-testpmd $(EAL_CORES=0-1 eal_args "${PREFIX}t") --main-lcore 0 \
        --vdev="net_memif0,role=server,socket=$SOCK,socket-abstract=no" -- --forward-mode=macswap \
        --total-num-mbufs=16384 <"$WORK/stdin" >"$WORK/testpmd.log" 2>&1 &
    server_pid=$!
    exec 3>"$WORK/stdin"
    wait_ready "$WORK/testpmd.log" "Checking link statuses"
    sleep 0.2
    peer_start echo "$1"
    echo >&3
    exec 3>&-
    wait "$server_pid" || true
    server_pid=""
    peer_finish
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }

ours=() big=() small=()
for r in $(seq "$ROUNDS"); do
    echo "round $r" >&2
    ours+=("$(run_rackbootd)")
    big+=("$(run_testpmd 1514)")
    small+=("$(run_testpmd 60)")
done
o=$(printf '%s\n' "${ours[@]}" | median)
b=$(printf '%s\n' "${big[@]}" | median)
s=$(printf '%s\n' "${small[@]}" | median)
top() { sort -n | tail -1; }
O=$(printf '%s\n' "${ours[@]}" | top)
B=$(printf '%s\n' "${big[@]}" | top)
S=$(printf '%s\n' "${small[@]}" | top)
echo "rackbootd_worker_data_pps median=$o best=$O windowsize=$WINDOW clients=$CLIENTS (rounds: ${ours[*]})"
echo "testpmd_macswap_1514B_pps median=$b best=$B (rounds: ${big[*]})"
echo "testpmd_macswap_60B_pps median=$s best=$S (rounds: ${small[*]})"
awk -v o="$o" -v b="$b" -v s="$s" -v O="$O" -v B="$B" -v S="$S" 'BEGIN {
    if (b > 0 && s > 0 && B > 0 && S > 0)
        printf "ratio_vs_1514B_ceiling median=%.3f best=%.3f; ratio_vs_60B_ceiling median=%.3f best=%.3f\n", o / b, O / B, o / s, O / S
    else { print "a run gave no figure"; exit 1 } }'
[[ $o -gt 0 ]]
