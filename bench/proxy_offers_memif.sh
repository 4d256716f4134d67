#!/usr/bin/env bash
# Proxy DHCP OFFERs per second from one rackbootd DPDK worker over net_memif (no kernel in the
# path): rackboot-swarm --mode dhcp --static-pool, each simulated Pi holding its address and
# sending one DISCOVER, paced at each offered rate in turn. For each rate: OFFERs answered the
# first time (a DISCOVER the Pi had to resend was not), the answer's p50/p99, the swarm's idle-poll
# share (it was not the bound) and rackbootd's CPU (its worker polls a whole core at any rate).
# Needs root (the EAL). Usage: proxy_offers_memif.sh BUILD_DIR [--smoke] [--out FILE.tsv]
#   RATES (DISCOVERs/s, space-separated), SECS per rate override.
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
shift
OUT=""
RATES=${RATES:-50000 100000 150000 200000 250000}
SECS=${SECS:-4}
while [ $# -gt 0 ]; do
    case $1 in
    --smoke) RATES=20000; SECS=1 ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    *) echo "proxy_offers_memif.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
source "$(dirname "$0")/../tests/support/skip.sh"
source "$(dirname "$0")/../tests/support/rackbootd.sh"
need_root "the DPDK EAL"
[ "$(nproc)" -ge 2 ] || skip "two cores needed: the swarm polls one, rackbootd's worker another"
WORK=$(mktemp -d /tmp/rackboot-proxy-bench.XXXXXX)
PREFIX=rbprx$$
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK" /run/dpdk/"$PREFIX"*
}
trap cleanup EXIT
mkdir -p "$WORK/root" "$WORK/state"
SOCK=$WORK/memif.sock
RACKBOOTD=$BUILD/src/rackbootd/rackbootd rackbootd_start "$WORK/rackbootd.log" --backend dpdk --ip 10.9.0.1/16 \
    --workers 1 --cpus 1 --tftp-root "$WORK/root" --state "$WORK/state" --api off --dhcp proxy \
    --eal "$(EAL_CORES=1 eal_args "${PREFIX}s" --vdev=net_memif0,role=server,socket="$SOCK",socket-abstract=no)" ||
    exit 1
cpu() { awk '{ print $14 + $15 }' "/proc/$RB_PID/stat"; }
HZ=$(getconf CLK_TCK)
TSV=$WORK/results.tsv
printf 'offered_per_s\tdiscovers\tanswered_first_pct\toffers_per_s\tp50_ms\tp99_ms\tswarm_idle_pct\trackbootd_cpu_s\n' > "$TSV"
offset=0
for rate in $RATES; do
    pis=$((rate * SECS))
    c0=$(cpu)
    # Each rate's Pis are new MACs and serials to the server (--mac-offset). The run ends when every
    # Pi has its OFFER, or SECS + 10 s (a resent DISCOVER waits the firmware's 4 s).
    EAL_MB=2048 "$BUILD/tools/rackboot-swarm/rackboot-swarm" --progress off --mode dhcp --dhcp-rate "$rate" \
        --pis "$pis" --mac-offset "$offset" --duration $((SECS + 10)) --static-pool 10.64.0.1-10.127.255.250 \
        --json "$WORK/swarm.json" \
        --eal "$(EAL_CORES=0 EAL_MB=2048 eal_args "${PREFIX}c" --vdev=net_memif0,role=client,socket="$SOCK",socket-abstract=no)" \
        > "$WORK/swarm.out" 2>&1 || { cat "$WORK/swarm.out" >&2; exit 1; }
    c1=$(cpu)
    offset=$((offset + pis))
    python3 - "$WORK/swarm.json" "$rate" "$SECS" $((c1 - c0)) "$HZ" >> "$TSV" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rate, secs, ticks, hz = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
pis = d["scenario"]["pis"]
resent = d["traffic"]["frames_tx"] - pis           # every DISCOVER past each Pi's first
first = max(0, d["boots"]["booted"] - resent)       # answered without a resend
lat = d["latency_s"]["dhcp"]
# OFFERs/s: answered the first time over the window the DISCOVERs were offered in.
print(f"{rate}\t{pis}\t{100.0 * first / pis:.2f}\t{first / secs:.0f}\t{lat['p50'] * 1e3:.2f}\t"
      f"{lat['p99'] * 1e3:.2f}\t{d['swarm']['idle_pct']:.1f}\t{ticks / hz:.2f}")
PY
done
column -t -s $'\t' "$TSV"
[ -n "$OUT" ] && cp "$TSV" "$OUT"
# The server answered at the lowest rate, every Pi the first time, or the run says it did not.
awk -F'\t' 'NR == 2 && $3 < 100 { print "at " $1 "/s only " $3 "% answered the first time"; bad = 1 } END { exit bad }' "$TSV"
