#!/usr/bin/env bash
# --gateway with a real kernel as the router: rackbootd (DPDK over net_af_packet) ARPs for the
# gateway, a macvlan with its own MAC in the client namespace, which the kernel answers. A client
# address outside the subnet (192.168.77.2, as a relayed Pi would have) fetches a file; the
# replies must arrive at the gateway's MAC (captured on the macvlan: most of the 682 DATA frames,
# dumpcap may start late), not the sender's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
netns_setup
RB_BACKEND=dpdk backend_args
GW=$NET.0.3
GW_IF=rbg${IF_CLI#rbc}
FAR=192.168.77.2
in_cli sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip -n "$NS_CLI" link add "$GW_IF" link "$IF_CLI" address 02:00:00:00:77:03 type macvlan mode bridge
in_cli sysctl -qw "net.ipv4.conf.$GW_IF.rp_filter=0" "net.ipv4.conf.$IF_CLI.rp_filter=0"
ip -n "$NS_CLI" addr add "$NET.0.2/16" dev "$IF_CLI"
ip -n "$NS_CLI" addr add "$GW/32" dev "$GW_IF"  # no route via it: requests leave by $IF_CLI
ip -n "$NS_CLI" addr add "$FAR/32" dev lo
ip -n "$NS_CLI" link set "$GW_IF" up
ROOT=$WORK/root
make_file "$ROOT/file.bin" 1000000
RB_NETNS=$NS_SRV
start_rackbootd --tftp-root "$ROOT" "${BACKEND_ARGS[@]}" --gateway "$GW"
for _ in $(seq 1 50); do [ "$(metric rackboot_arp_requests_total)" -ge 1 ] && break; sleep 0.1; done
[ "$(metric rackboot_arp_requests_total)" -ge 1 ] || fail "no ARP request for the gateway"

in_cli dumpcap -i "$GW_IF" -w "$WORK/gw.pcap" -f "udp and src host $SRV_IP" > "$WORK/dumpcap.log" 2>&1 &
DUMPCAP=$!
for _ in $(seq 100); do grep -q Capturing "$WORK/dumpcap.log" && break; sleep 0.1; done
in_cli timeout 30 curl -sf --interface "$FAR" --tftp-blksize 1468 -o "$WORK/far.bin" "tftp://$SRV_IP/file.bin" ||
    fail "the far client could not fetch"
same_sha "$ROOT/file.bin" "$WORK/far.bin" "file.bin to $FAR"
sleep 0.3
kill -TERM "$DUMPCAP"; wait "$DUMPCAP" 2>/dev/null || true  # (background jobs ignore SIGINT)
# (tshark exits 2 on a capture whose last packet was cut short by the stop: count what it read)
frames=$( (tshark -r "$WORK/gw.pcap" -Y "eth.dst == 02:00:00:00:77:03 && ip.dst == $FAR" 2>/dev/null || true) | wc -l)
[ "$frames" -ge 300 ] || fail "replies to $FAR did not go to the gateway's MAC ($frames frames on $GW_IF)"
pass "ARP found the gateway; $frames replies to $FAR went through it"
# A client on the subnet is still answered directly.
in_cli timeout 30 curl -sf --interface "$NET.0.2" -o "$WORK/near.bin" "tftp://$SRV_IP/file.bin" || fail "near client failed"
same_sha "$ROOT/file.bin" "$WORK/near.bin" "file.bin on the subnet"
pass "on-subnet clients answered at their own MAC"
