#!/usr/bin/env bash
# Proxy DHCP in network namespaces: scapy plays Pis and a non-Pi; tshark decodes every OFFER.
# RB_BACKEND=dpdk runs the same test against the DPDK backend.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
dhcp_test_setup
# DHCP alone is measured here: boots are not admitted by the path (--admission off; its test is
# integration.swarm_link), so every Pi of the burst must be answered at once.
RB_NETNS=$NS_SRV start_rackbootd --tftp-root "$WORK/root" --dhcp proxy --admission off "${BACKEND_ARGS[@]}"
RB_NETNS=$NS_SRV
ip netns exec "$NS_CLI" /usr/bin/python3 "$(dirname "$0")/dhcp_proxy.py" "$IF_CLI" "$SRV_IP" \
    "$DATA/pi3b-discover.hex" "$WORK/offers.pcap"

# tshark's DHCP dissector: every reply decodes as a DHCP Offer with the PXE options, no expert
# errors or warnings (malformed packets show up there).
decoded=$(tshark -r "$WORK/offers.pcap" -V 2>/dev/null)
[ "$(grep -c 'DHCP: Offer (2)' <<<"$decoded")" -ge 2 ] || fail "tshark did not decode the OFFERs"
grep -q 'Option: (43) Vendor-Specific Information' <<<"$decoded" || fail "tshark sees no option 43"
grep -q 'Raspberry Pi Boot' <<<"$decoded" || fail "tshark sees no boot menu text"
expert=$(tshark -r "$WORK/offers.pcap" -q -z expert 2>/dev/null)
if grep -Eiq 'malformed|^ *(Errors|Warns) ' <<<"$expert"; then
    echo "$expert"
    fail "tshark reports problems in the OFFERs"
fi
pass "tshark decodes every OFFER cleanly"
sleep 0.2
expect_metric 'rackboot_dhcp_packets_total{type="discover",result="replied"}' 1001
expect_metric 'rackboot_dhcp_packets_total{type="discover",result="not_a_pi"}' 1
wait_log 'event=dhcp type=discover mac=b8:27:eb:28:f6:6d .*pi=1 result=replied' || fail "no DHCP log line"
pass "counters and log lines"
