#!/usr/bin/env bash
# DHCP leases per second: perfdhcp (kea-admin) against rackbootd in full server mode and against
# dnsmasq, same veth pair, same offered rate, same run. Needs root (network namespaces).
# Usage: dhcp_vs_dnsmasq.sh BUILD_DIR [--smoke]   (RATE, SECS, CLIENTS, RB_EXTRA override)
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
RATE=${RATE:-20000}
SECS=${SECS:-10}
CLIENTS=${CLIENTS:-50000}  # distinct client MACs perfdhcp cycles through
[ "${2:-}" = "--smoke" ] && { RATE=2000; SECS=2; }
source "$(dirname "$0")/netns_bench.sh" dhcp
mkdir -p "$WORK/root" "$WORK/state"

run_perfdhcp() {
    # perfdhcp exits non-zero when packets were dropped; the figures are what matter here.
    ip netns exec "$NS_CLI" timeout $((SECS + 20)) perfdhcp -4 -l "$IF_CLI" -r "$RATE" -R "$CLIENTS" -p "$SECS" "$SRV_IP" 2>&1 || true
}
summary() {  # NAME OUTPUT
    local rate offers acks
    rate=$(sed -nE 's/^Rate: ([0-9.]+) 4-way.*/\1/p' <<<"$2")
    offers=$(awk '/DISCOVER-OFFER/ { f = 1 } f && /^received packets/ { print $3; exit }' <<<"$2")
    acks=$(awk '/REQUEST-ACK/ { f = 1 } f && /^received packets/ { print $3; exit }' <<<"$2")
    echo "server=$1 leases_per_s=${rate:-0} offers=${offers:-0} acks=${acks:-0} offered_rate=$RATE seconds=$SECS"
}

# shellcheck disable=SC2086  # RB_EXTRA is words
RACKBOOTD=$BUILD/src/rackbootd/rackbootd RB_NETNS=$NS_SRV rackbootd_start "$WORK/rackbootd.log" \
    --tftp-root "$WORK/root" --listen "$SRV_IP" --tftp-port 0 --api off --workers 1 --dhcp server \
    --dhcp-interface "$IF_SRV" --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.254.255" --lease-time 3600 \
    --state "$WORK/state" ${RB_EXTRA:-} || exit 1
rb=$(run_perfdhcp)
kill "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null || true
summary rackbootd "$rb"

# dnsmasq as a DHCP server only (port=0: no DNS), without its pre-offer ping and lease cap,
# writing its lease file as it does by default.
ip netns exec "$NS_SRV" dnsmasq --no-daemon --port=0 --interface="$IF_SRV" --bind-interfaces --no-ping \
    --dhcp-range="$NET.1.0,$NET.254.255,1h" --dhcp-lease-max=1000000 --dhcp-authoritative \
    --dhcp-leasefile="$WORK/dnsmasq.leases" --pid-file="$WORK/dnsmasq.pid" --quiet-dhcp > "$WORK/dnsmasq.log" 2>&1 &
PIDS+=($!)
sleep 1
dm=$(run_perfdhcp)
summary dnsmasq "$dm"
awk -v a="$(sed -nE 's/^Rate: ([0-9.]+) 4-way.*/\1/p' <<<"$rb")" -v b="$(sed -nE 's/^Rate: ([0-9.]+) 4-way.*/\1/p' <<<"$dm")" \
    'BEGIN { if (b > 0) printf "ratio_rackbootd_over_dnsmasq=%.2f kea_memfile_published=11686 ratio_rackbootd_over_kea_published=%.2f\n", a / b, a / 11686; else print "dnsmasq made no leases" }'
awk -v a="$(sed -nE 's/^Rate: ([0-9.]+) 4-way.*/\1/p' <<<"$rb")" 'BEGIN { exit !(a > 0) }'
