#!/usr/bin/env bash
# DHCP leases against peers, same veth, same offered load, same run: rackbootd's full server
# (leases fsynced before each reply, and with --lease-fsync off), Kea (kea-dhcp4, memfile with
# persist on) and dnsmasq, each in turn in the server namespace. Two generators: perfdhcp
# (kea-admin; a whole core of this machine's two) and rackboot-swarm --mode dhcp (DORAs from a
# DPDK af_packet port, many MACs). For every pair: leases/s, and leases per server CPU-second
# (utime+stime of the server process, all threads, over the run), the figure the generator does
# not bound. Needs root (network namespaces).
# Usage: dhcp_servers.sh BUILD_DIR [--smoke] [--out FILE.tsv]
#   RATE (offered DORAs/s), SECS, CLIENTS (perfdhcp's MAC range), SERVERS, GENERATORS override;
#   RACKBOOTD_BASE=PATH adds "rackbootd-base", another rackbootd build (a baseline commit), to SERVERS.
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
shift
OUT=""
SMOKE=""
while [ $# -gt 0 ]; do
    case $1 in
    --smoke) SMOKE=1 ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    *) echo "dhcp_servers.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
RATE=${RATE:-20000}
SECS=${SECS:-10}
CLIENTS=${CLIENTS:-50000}
SERVERS=${SERVERS:-rackbootd rackbootd-nofsync kea dnsmasq}
GENERATORS=${GENERATORS:-perfdhcp swarm}
[ -n "$SMOKE" ] && { RATE=2000; SECS=2; }
[ -n "${RACKBOOTD_BASE:-}" ] && SERVERS="$SERVERS rackbootd-base"
SWARM=$BUILD/tools/rackboot-swarm/rackboot-swarm
[ -x "$SWARM" ] || GENERATORS=${GENERATORS//swarm/}  # a build without DPDK has no swarm
source "$(dirname "$0")/netns_bench.sh" dhcp
mkdir -p "$WORK/root"
command -v kea-dhcp4 >/dev/null || SERVERS=${SERVERS//kea/}  # kea-dhcp4-server: tools/install-deps
PREFIX=rbdhcp$$

cpu_ticks() {  # PID: utime+stime of the process, every thread, in clock ticks
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

start_server() {  # NAME: starts it in the server namespace, sets SRV_PID
    local name=$1
    rm -rf "$WORK/state" && mkdir -p "$WORK/state"
    case $name in
    rackbootd | rackbootd-nofsync | rackbootd-base)
        local fsync=on bin=$BUILD/src/rackbootd/rackbootd
        [ "$name" = rackbootd-nofsync ] && fsync=off
        # DHCP alone is measured: every DISCOVER answered at once (a baseline build may predate the flag).
        local adm=(--admission off)
        [ "$name" = rackbootd-base ] && bin=$RACKBOOTD_BASE && adm=()
        RACKBOOTD=$bin RB_NETNS=$NS_SRV rackbootd_start "$WORK/$name.log" "${adm[@]}" \
            --tftp-root "$WORK/root" --listen "$SRV_IP" --tftp-port 0 --api off --workers 1 --dhcp server \
            --dhcp-interface "$IF_SRV" --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.254.255" --lease-time 3600 \
            --state "$WORK/state" --lease-fsync $fsync
        SRV_PID=$RB_PID
        ;;
    kea)
        # Kea's memfile backend with persist on (leases written to its CSV as they are made) and no
        # lease-file cleanup during the run; one subnet over the same pool as the others.
        cat > "$WORK/kea.json" <<KEA
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$IF_SRV" ], "dhcp-socket-type": "raw" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$WORK/state/kea-leases4.csv", "lfc-interval": 0 },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "$NET.0.0/16", "pools": [ { "pool": "$NET.1.0 - $NET.254.255" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "WARN", "output_options": [ { "output": "$WORK/kea.log" } ] } ]
} }
KEA
        KEA_PIDFILE_DIR=$WORK/state KEA_LOCKFILE_DIR=$WORK/state ip netns exec "$NS_SRV" \
            kea-dhcp4 -c "$WORK/kea.json" > "$WORK/kea.out" 2>&1 &
        SRV_PID=$!
        sleep 1.5
        ;;
    dnsmasq)
        # A DHCP server only (port=0: no DNS), without its pre-offer ping and lease cap, writing
        # its lease file as it does by default.
        ip netns exec "$NS_SRV" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="$IF_SRV" \
            --bind-interfaces --no-ping --dhcp-range="$NET.1.0,$NET.254.255,1h" --dhcp-lease-max=1000000 \
            --dhcp-authoritative --dhcp-leasefile="$WORK/state/dnsmasq.leases" --quiet-dhcp \
            > "$WORK/dnsmasq.log" 2>&1 &
        SRV_PID=$!
        sleep 1
        ;;
    esac
    PIDS+=("$SRV_PID")
    kill -0 "$SRV_PID" 2>/dev/null || { echo "$name did not start" >&2; cat "$WORK/$name"*.log "$WORK/kea.out" 2>/dev/null >&2; exit 1; }
}

stop_server() {
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
}

# run GENERATOR: offers RATE DORAs/s for SECS; sets LEASES (ACKs the generator received).
run_generator() {
    local out
    case $1 in
    perfdhcp)
        # perfdhcp exits non-zero when packets were dropped; the ACK count is what matters here.
        out=$(ip netns exec "$NS_CLI" timeout $((SECS + 20)) perfdhcp -4 -l "$IF_CLI" -r "$RATE" -R "$CLIENTS" \
            -p "$SECS" "$SRV_IP" 2>&1 || true)
        LEASES=$(awk '/REQUEST-ACK/ { f = 1 } f && /^received packets/ { print $3; exit }' <<<"$out")
        ;;
    swarm)
        # Like perfdhcp -R: a fleet of CLIENTS Pis (distinct MACs, powered on at RATE), then the
        # same Pis rebooting at RATE until SECS are up, each boot one whole DORA.
        local pis=$((RATE * SECS < CLIENTS ? RATE * SECS : CLIENTS))
        ip netns exec "$NS_CLI" timeout $((SECS + 60)) "$SWARM" --progress off --mode dhcp --dhcp-rate "$RATE" \
            --churn "$RATE" --pis "$pis" --duration "$SECS" --json "$WORK/swarm.json" \
            --eal "$(EAL_MB=1024 eal_args "${PREFIX}c" --vdev=net_af_packet0,iface="$IF_CLI")" \
            > "$WORK/swarm.out" 2>&1 || true
        [ -n "${VERBOSE:-}" ] && cat "$WORK/swarm.out" >&2
        LEASES=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["boots"]["booted"])' "$WORK/swarm.json" \
            2>/dev/null || echo 0)
        ;;
    esac
    LEASES=${LEASES:-0}
}

HZ=$(getconf CLK_TCK)
TSV=$WORK/results.tsv
printf 'generator\tserver\toffered_per_s\tseconds\tleases\tleases_per_s\tserver_cpu_s\tleases_per_cpu_s\n' > "$TSV"
for gen in $GENERATORS; do
    for srv in $SERVERS; do
        start_server "$srv"
        c0=$(cpu_ticks "$SRV_PID")
        run_generator "$gen"
        c1=$(cpu_ticks "$SRV_PID")
        stop_server
        awk -v g="$gen" -v s="$srv" -v r="$RATE" -v secs="$SECS" -v l="$LEASES" -v c=$((c1 - c0)) -v hz="$HZ" \
            'BEGIN { cpu = c / hz; printf "%s\t%s\t%d\t%d\t%d\t%.0f\t%.2f\t%.0f\n", g, s, r, secs, l, l / secs, cpu,
                     (cpu > 0 ? l / cpu : 0) }' >> "$TSV"
    done
done
# The table, aligned (python3: util-linux's column is not on a bare Debian root).
python3 -c 'import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for r in rows: print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())' "$TSV"
# Ratios against Kea, generator by generator, from this run.
awk -F'\t' 'NR > 1 { k = $1; if ($2 == "kea") { kr[k] = $6; kc[k] = $8 } r[k, $2] = $6; c[k, $2] = $8; s[$2] = 1; g[k] = 1 }
    END { for (k in g) if (kr[k] > 0) for (n in s) if (n != "kea")
        printf "%s: %s/kea leases_per_s %.2fx, leases_per_cpu_s %.2fx\n", k, n, r[k, n] / kr[k], (kc[k] > 0 ? c[k, n] / kc[k] : 0) }' "$TSV"
[ -n "$OUT" ] && cp "$TSV" "$OUT"
# Every server made leases under every generator, or the run says which did not.
awk -F'\t' 'NR > 1 && $5 == 0 { print "no leases: " $1 " against " $2; bad = 1 } END { exit bad }' "$TSV"
