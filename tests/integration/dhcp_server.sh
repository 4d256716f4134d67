#!/usr/bin/env bash
# Full DHCP server in network namespaces: udhcpc and dhclient obtain and renew leases, a rack
# of Pis gets distinct addresses, leases survive kill -9, tshark decodes the replies cleanly.
# RB_BACKEND=dpdk runs the same test against the DPDK backend.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
dhcp_test_setup
# DHCP alone is measured here: boots are not admitted by the path (--admission off; its test is
# integration.swarm_link), so every Pi of the burst must be answered at once.
ARGS=(--tftp-root "$WORK/root" "${BACKEND_ARGS[@]}" --dhcp server --admission off
      --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.8.255" --router "$SRV_IP" --dns "$SRV_IP"
      --lease-time 600 --state "$WORK/state" --reserve "02:00:00:00:00:99=$NET.0.99")
RB_NETNS=$NS_SRV
start_rackbootd "${ARGS[@]}"
if [ "${RB_BACKEND:-socket}" = socket ]; then
    # A group commit releases a rack's OFFERs together: the send buffer must hold them (with the
    # default 208 KiB, non-blocking sends were refused on a loaded host).
    tb=$(ip netns exec "$NS_SRV" ss -uanm 'sport = :67' | sed -nE 's/.*,tb([0-9]+),.*/\1/p' | head -1)
    [ "${tb:-0}" -ge $((8 << 20)) ] || fail "the DHCP socket's send buffer is ${tb:-?} bytes, expected >= 8 MiB"
    pass "the DHCP socket's send buffer is $tb bytes"
fi

# udhcpc: obtain, then renew (SIGUSR1) with a unicast REQUEST.
cat > "$WORK/udhcpc.sh" <<EOS
#!/bin/sh
echo "\$1 ip=\$ip router=\$router dns=\$dns lease=\$lease" >> "$WORK/udhcpc.events"
[ "\$1" = bound ] || [ "\$1" = renew ] && ip addr replace "\$ip/\$mask" dev "\$interface"
exit 0
EOS
chmod +x "$WORK/udhcpc.sh"
in_cli ip link set "$IF_CLI" address 02:00:00:00:00:01
ip netns exec "$NS_CLI" udhcpc -f -i "$IF_CLI" -s "$WORK/udhcpc.sh" -t 5 -T 1 -A 1 > "$WORK/udhcpc.log" 2>&1 &
PIDS+=($!)
UDHCPC=$!
for _ in $(seq 1 50); do grep -q '^bound' "$WORK/udhcpc.events" 2>/dev/null && break; sleep 0.1; done
grep -q "^bound ip=$NET\.[1-8]\.[0-9]* router=$SRV_IP dns=$SRV_IP lease=600" "$WORK/udhcpc.events" \
    || fail "udhcpc got no lease: $(cat "$WORK/udhcpc.events" "$WORK/udhcpc.log" 2>/dev/null)"
U_IP=$(sed -nE 's/^bound ip=([0-9.]+) .*/\1/p' "$WORK/udhcpc.events" | head -1)
kill -USR1 "$UDHCPC"
for _ in $(seq 1 50); do grep -q '^renew' "$WORK/udhcpc.events" && break; sleep 0.1; done
grep -q "^renew ip=$U_IP " "$WORK/udhcpc.events" || fail "udhcpc renewal failed: $(cat "$WORK/udhcpc.events")"
kill "$UDHCPC"
pass "udhcpc bound $U_IP and renewed it"

# dhclient: obtain, then come back from INIT-REBOOT with the same address.
cat > "$WORK/dhclient.sh" <<EOS
#!/bin/sh
echo "\$reason ip=\$new_ip_address mask=\$new_subnet_mask routers=\$new_routers" >> "$WORK/dhclient.events"
exit 0
EOS
chmod +x "$WORK/dhclient.sh"
in_cli ip addr flush dev "$IF_CLI"
in_cli ip link set "$IF_CLI" address 02:00:00:00:00:02
timeout 20 ip netns exec "$NS_CLI" dhclient -1 -d -sf "$WORK/dhclient.sh" -lf "$WORK/dhclient.leases" \
    -pf "$WORK/dhclient.pid" "$IF_CLI" > "$WORK/dhclient.log" 2>&1 &
DHCLIENT=$!
for _ in $(seq 1 100); do grep -q '^BOUND' "$WORK/dhclient.events" 2>/dev/null && break; sleep 0.1; done
kill "$DHCLIENT" 2>/dev/null || true
D_IP=$(sed -nE 's/^BOUND ip=([0-9.]+) .*/\1/p' "$WORK/dhclient.events" | head -1)
[ -n "$D_IP" ] && [ "$D_IP" != "$U_IP" ] || fail "dhclient: no distinct lease ($D_IP): $(tail -5 "$WORK/dhclient.log")"
grep -q "^BOUND ip=$D_IP mask=255.255.0.0 routers=$SRV_IP" "$WORK/dhclient.events" || fail "dhclient options"
timeout 20 ip netns exec "$NS_CLI" dhclient -1 -d -sf "$WORK/dhclient.sh" -lf "$WORK/dhclient.leases" \
    -pf "$WORK/dhclient.pid" "$IF_CLI" > "$WORK/dhclient2.log" 2>&1 &
DHCLIENT=$!
for _ in $(seq 1 100); do [ "$(grep -c '^\(BOUND\|REBOOT\)' "$WORK/dhclient.events")" -ge 2 ] && break; sleep 0.1; done
kill "$DHCLIENT" 2>/dev/null || true
[ "$(grep -E '^(BOUND|REBOOT)' "$WORK/dhclient.events" | tail -1 | sed -nE 's/^[A-Z]+ ip=([0-9.]+) .*/\1/p')" = "$D_IP" ] \
    || fail "dhclient did not get $D_IP back: $(cat "$WORK/dhclient.events")"
pass "dhclient bound $D_IP and got it back on restart"

# A reserved MAC gets its address.
in_cli ip addr flush dev "$IF_CLI"
in_cli ip link set "$IF_CLI" address 02:00:00:00:00:99
rm -f "$WORK/udhcpc.events"
in_cli udhcpc -f -q -n -i "$IF_CLI" -s "$WORK/udhcpc.sh" -t 5 -T 1 > /dev/null 2>&1 || fail "udhcpc (reserved)"
grep -q "^bound ip=$NET.0.99 " "$WORK/udhcpc.events" || fail "reservation not honoured: $(cat "$WORK/udhcpc.events")"
pass "the reserved MAC got $NET.0.99"

# A rack of 1,000 Pis within one second: all offered, all distinct.
in_cli /usr/bin/python3 "$HERE/dhcp_server.py" "$IF_CLI" "$SRV_IP" "$DATA/pi3b-discover.hex" "$WORK/server.pcap" \
    first "$WORK/offers.json" 1000 \
    || fail "the rack's DISCOVERs (sends the server saw refused: $(metric 'rackboot_drops_total{reason="tx_failed"}'))"
sleep 1.2  # the in-use gauge is refreshed once a second
in_use=$(metric rackboot_dhcp_leases_in_use)
[ "$in_use" -ge 1003 ] || fail "leases in use: $in_use, expected at least 1003"
expect_metric rackboot_dhcp_pool_size 2048

# kill -9, restart on the same state: every Pi is offered its address again.
kill -9 "$RB_PID"
wait "$RB_PID" 2>/dev/null || true
RB_PID=
start_rackbootd "${ARGS[@]}"
grep -q "event=leases restored=" "$WORK/rackbootd.log" || fail "no restore line"
in_cli /usr/bin/python3 "$HERE/dhcp_server.py" "$IF_CLI" "$SRV_IP" "$DATA/pi3b-discover.hex" "$WORK/server2.pcap" \
    again "$WORK/offers.json" 1000 \
    || fail "the rack after kill -9 (sends the server saw refused: $(metric 'rackboot_drops_total{reason="tx_failed"}'))"
sleep 1.2
[ "$(metric rackboot_dhcp_leases_in_use)" -ge 1003 ] || fail "leases lost across kill -9"
in_cli ip addr flush dev "$IF_CLI"
in_cli ip link set "$IF_CLI" address 02:00:00:00:00:01
rm -f "$WORK/udhcpc.events"
in_cli udhcpc -f -q -n -i "$IF_CLI" -s "$WORK/udhcpc.sh" -t 5 -T 1 > /dev/null 2>&1 || fail "udhcpc after restart"
grep -q "^bound ip=$U_IP " "$WORK/udhcpc.events" || fail "udhcpc did not get $U_IP back after kill -9"
pass "udhcpc got $U_IP back after kill -9"

expert=$(tshark -r "$WORK/server.pcap" -q -z expert 2>/dev/null)
grep -Eiq 'malformed|^ *(Errors|Warns) ' <<<"$expert" && fail "tshark reports problems: $expert"
[ "$(tshark -r "$WORK/server.pcap" -V 2>/dev/null | grep -c 'DHCP: Offer (2)')" -ge 10 ] || fail "tshark decoded no OFFERs"
pass "tshark decodes the server's OFFERs cleanly"
