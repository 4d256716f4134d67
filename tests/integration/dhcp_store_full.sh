#!/usr/bin/env bash
# The lease store on a full disk (issue 9.1): --state on a 2 MiB tmpfs, filled mid-run and freed.
# While the store cannot write, no OFFER leaves (a reply goes out only once its lease is durable)
# and DISCOVERs are counted as store_unavailable; once there is room again the store commits the
# batch it kept and the server answers within seconds by itself; after kill -9 and a restart no
# address is ever offered to two clients and every client told an address keeps it. Every OFFER
# of the run is captured and checked. RB_BACKEND=dpdk runs it against the DPDK backend.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
dhcp_test_setup
mkdir -p "$WORK/state"
mount -t tmpfs -o size=2m rackboot-state "$WORK/state"
test_cleanup() { umount -l "$WORK/state" 2>/dev/null || true; }
# DHCP alone is measured here: boots are not admitted by the path (--admission off; its test is
# integration.swarm_link), so every Pi of the burst must be answered at once.
ARGS=(--tftp-root "$WORK/root" "${BACKEND_ARGS[@]}" --dhcp server --admission off
      --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.255.254" --lease-time 600 --state "$WORK/state")
RB_NETNS=$NS_SRV
start_rackbootd "${ARGS[@]}"
abuse() { in_cli /usr/bin/python3 "$HERE/dhcp_abuse.py" "$IF_CLI" "$SRV_IP" "$DATA/pi3b-discover.hex" "$@"; }
result() { metric "rackboot_dhcp_packets_total{type=\"discover\",result=\"$1\"}"; }
in_cli dumpcap -q -i "$IF_CLI" -f "udp dst port 68" -w "$WORK/all.pcap" > /dev/null 2>&1 &
PIDS+=($!)
sleep 1

abuse pis 0 50 5 "$WORK/a.json" || fail "the first 50 Pis"
[ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$WORK/a.json")" = 50 ] \
    || fail "the first 50 Pis were not all offered an address"
pass "50 Pis offered addresses with room on the disk"

# Fill the disk. The store's next commit fails; it keeps the batch and goes down.
dd if=/dev/zero of="$WORK/state/fill" bs=64k > /dev/null 2>&1 || true
replied0=$(result replied)
abuse pis 100 300 4 "$WORK/b.json" || fail "the 300 Pis during the outage"
b_offers=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$WORK/b.json")
wait_log 'event=lease_store state=down' || fail "the store did not say it went down"
expect_metric rackboot_lease_store_up 0
[ "$(metric rackboot_lease_store_failures_total)" -ge 1 ] || fail "no store failure counted"
unavailable=$(result store_unavailable)
[ "${unavailable:-0}" -gt 0 ] || fail "no DISCOVER counted as store_unavailable"
[ "$b_offers" -le 10 ] || fail "$b_offers OFFERs went out while the disk was full"
replied=$(( $(result replied) - replied0 ))
[ "$replied" = "$b_offers" ] || fail "replied moved by $replied while $b_offers OFFERs went out"
pass "disk full: $b_offers OFFERs (only for leases made durable), $unavailable DISCOVERs refused as store_unavailable"

# Free the disk: the server answers again by itself, within seconds.
rm -f "$WORK/state/fill"
abuse pis 500 10 10 "$WORK/c.json" | tee "$WORK/c.out" || fail "the Pis after space returned"
[ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$WORK/c.json")" = 10 ] \
    || fail "after space returned, not every Pi was offered an address: $(cat "$WORK/c.out")"
after=$(sed -nE 's/.*the last after ([0-9.]+) s/\1/p' "$WORK/c.out")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 5 else 1)" "$after" \
    || fail "the server took $after s to answer after space returned"
wait_log 'event=lease_store state=up' || fail "the store did not say it came back"
expect_metric rackboot_lease_store_up 1
pass "space returned: all 10 new Pis answered within $after s"

# kill -9 and restart on the same state: nobody told an address loses it, nobody new gets one.
kill -9 "$RB_PID"
wait "$RB_PID" 2>/dev/null || true
RB_PID=
start_rackbootd "${ARGS[@]}"
abuse pis 1000 400 8 "$WORK/d.json" || fail "400 new Pis after the restart"
abuse pis 0 50 5 "$WORK/a2.json" || fail "the first 50 again"
abuse pis 500 10 5 "$WORK/c2.json" || fail "the 10 again"
sleep 0.5
kill "${PIDS[-1]}" 2>/dev/null || true
wait "${PIDS[-1]}" 2>/dev/null || true
in_cli /usr/bin/python3 "$HERE/dhcp_abuse.py" "$IF_CLI" "$SRV_IP" "$DATA/pi3b-discover.hex" check "$WORK/all.pcap" \
    "$WORK/a.json" "$WORK/b.json" "$WORK/c.json" "$WORK/d.json" "$WORK/a2.json" "$WORK/c2.json" \
    || fail "duplicate addressing"
for f in a2 c2; do
    python3 - "$WORK/${f%2}.json" "$WORK/$f.json" <<'EOF' || fail "a client lost its address across kill -9"
import json, sys
before, after = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert before == after, f"{len(before)} before, {len(after)} after, differing: " + \
    str([m for m in before if before[m] != after.get(m)][:3])
EOF
done
pass "after kill -9: every client told an address kept it, and no address went to two clients"
