#!/usr/bin/env bash
# DHCP answers per second from one rackbootd DPDK worker over net_memif (no kernel in the path),
# where perfdhcp cannot go, rackboot-swarm --mode dhcp as the fleet, paced at each offered rate:
#   proxy   --dhcp proxy; each simulated Pi holds its address (--static-pool) and sends one
#           DISCOVER: proxy OFFERs/s.
#   server  --dhcp server with the lease store (every lease fsynced before its ACK); each Pi does
#           one whole DORA: leases/s.
# For each mode and rate: Pis answered the first time (a Pi that had to resend was not), the
# answer's p50/p99, the swarm's idle-poll share (it was not the bound) and rackbootd's CPU (its
# worker polls a whole core at any rate). Needs root (the EAL).
# Usage: dhcp_memif.sh BUILD_DIR [--smoke] [--out FILE.tsv]
#   MODES ("proxy server"), RATES (DISCOVERs/s, space-separated), SECS per rate override.
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
shift
OUT=""
RATES=${RATES:-50000 100000 150000 200000 250000}
MODES=${MODES:-proxy server}
SECS=${SECS:-4}
while [ $# -gt 0 ]; do
    case $1 in
    # The smoke keeps the script and its checks running on a small machine: at 20,000/s two
    # shared cores (worker, swarm, the rest) now and then lose ~1% of the first answers.
    --smoke) RATES=10000; SECS=1 ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    *) echo "dhcp_memif.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
source "$(dirname "$0")/../tests/support/skip.sh"
source "$(dirname "$0")/../tests/support/rackbootd.sh"
need_root "the DPDK EAL"
[ "$(nproc)" -ge 2 ] || skip "two cores needed: the swarm polls one, rackbootd's worker another"
WORK=$(mktemp -d /tmp/rackboot-dhcp-memif-bench.XXXXXX)
PREFIX=rbprx$$
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK" /run/dpdk/"$PREFIX"*
}
trap cleanup EXIT
mkdir -p "$WORK/root"
SOCK=$WORK/memif.sock
HZ=$(getconf CLK_TCK)
TSV=$WORK/results.tsv
printf 'mode\toffered_per_s\tboots\tanswered_first_pct\tanswers_per_s\tp50_ms\tp99_ms\tswarm_idle_pct\trackbootd_cpu_s\n' > "$TSV"
cpu() { awk '{ print $14 + $15 }' "/proc/$RB_PID/stat"; }
for mode in $MODES; do
    rm -rf "$WORK/state" "$SOCK"
    dhcp=(--dhcp proxy)
    pool=(--static-pool 10.64.0.1-10.127.255.250)  # the Pis' own addresses, one each
    ip=10.64.0.1/10
    if [ "$mode" = server ]; then
        # A /16 (the most a subnet may be): 50,000 Pis at most, then the same Pis reboot at the
        # offered rate until SECS are up, each boot a whole DORA and a lease write (like perfdhcp -R).
        dhcp=(--dhcp server --subnet 10.64.0.0/16 --pool 10.64.1.0-10.64.255.250 --lease-time 3600)
        pool=()
        ip=10.64.0.1/16
    fi
    RACKBOOTD=$BUILD/src/rackbootd/rackbootd rackbootd_start "$WORK/rackbootd-$mode.log" --backend dpdk \
        --ip "$ip" --workers 1 --cpus 1 --tftp-root "$WORK/root" --state "$WORK/state" --api off "${dhcp[@]}" \
        --admission off \
        --eal "$(EAL_CORES=1 eal_args "${PREFIX}s" --vdev=net_memif0,role=server,socket="$SOCK",socket-abstract=no)" ||
        exit 1
    offset=0
    for rate in $RATES; do
        pis=$((rate * SECS))
        shape=(--pis "$pis" --mac-offset "$offset" --duration $((SECS + 10)))
        if [ "$mode" = server ]; then
            # The same 50,000 MACs at every rate: a /16 holds them all (new ones at each rate would
            # empty the pool); a Pi back with its MAC is offered its lease again, and written again.
            [ "$pis" -gt 50000 ] && pis=50000
            shape=(--pis "$pis" --churn "$rate" --duration "$SECS")
        fi
        c0=$(cpu)
        # Each rate's Pis are new MACs and serials to the server (--mac-offset). A proxy run ends when
        # every Pi has its answer, or SECS + 10 s (a resent DISCOVER waits the firmware's 4 s).
        EAL_MB=2048 "$BUILD/tools/rackboot-swarm/rackboot-swarm" --progress off --mode dhcp --dhcp-rate "$rate" \
            "${shape[@]}" "${pool[@]}" --json "$WORK/swarm.json" \
            --eal "$(EAL_CORES=0 EAL_MB=2048 eal_args "${PREFIX}c" --vdev=net_memif0,role=client,socket="$SOCK",socket-abstract=no)" \
            > "$WORK/swarm.out" 2>&1 || { cat "$WORK/swarm.out" >&2; exit 1; }
        c1=$(cpu)
        offset=$((offset + pis))
        python3 - "$WORK/swarm.json" "$mode" "$rate" "$SECS" $((c1 - c0)) "$HZ" >> "$TSV" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
mode, rate, secs, ticks, hz = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
boots = d["boots"]["started"]                          # power-ons and, in server mode, reboots
sent_each = 1 if mode == "proxy" else 2                # DISCOVER, or DISCOVER and REQUEST
resent = max(0, d["traffic"]["frames_tx"] - sent_each * boots)
first = max(0, d["boots"]["booted"] - resent)         # answered without a resend (a lower bound)
# Boots still in their DORA when --duration ended (server mode) are left out, not counted unanswered.
ended = max(1, d["boots"]["booted"] + d["boots"]["failed"] - d["boots"]["failed_by_reason"].get("stopped", 0))
lat = d["latency_s"]["dhcp"]
# Answers/s: boots answered the first time, over the window their DISCOVERs were offered in.
print(f"{mode}\t{rate}\t{boots}\t{100.0 * first / ended:.2f}\t{first / secs:.0f}\t{lat['p50'] * 1e3:.2f}\t"
      f"{lat['p99'] * 1e3:.2f}\t{d['swarm']['idle_pct']:.1f}\t{ticks / hz:.2f}")
PY
    done
    kill "$RB_PID"
    wait "$RB_PID" 2>/dev/null || true
    sleep 0.5
done
# The table, aligned (python3: util-linux's column is not on a bare Debian root).
python3 -c 'import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for r in rows: print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())' "$TSV"
[ -n "$OUT" ] && cp "$TSV" "$OUT"
# At the lowest rate every Pi was answered the first time, in every mode, or the run says which not.
awk -F'\t' -v low="${RATES%% *}" 'NR > 1 && $2 == low && $4 < 100 { print $1 " at " $2 "/s: only " $4 "% answered the first time"; bad = 1 }
    END { exit bad }' "$TSV"
