#!/usr/bin/env bash
# A DHCP flood (issue 9.2): 10,000 DISCOVERs from random MACs in 5 s against a pool of 241
# addresses must not lock Pis out. Unrequested OFFERs to clients that are not Pis are held only
# --offer-hold seconds, the last tenth of the pool is kept for Pis, and one MAC DISCOVERing 5,000
# times in 2 s gets a few OFFERs and one lease write. RB_BACKEND=dpdk runs it on the DPDK backend.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
dhcp_test_setup
RB_NETNS=$NS_SRV
start_rackbootd --tftp-root "$WORK/root" "${BACKEND_ARGS[@]}" --dhcp server --subnet "$NET.0.0/16" \
    --pool "$NET.1.10-$NET.1.250" --lease-time 3600 --offer-hold 20 --state "$WORK/state"
abuse() { in_cli /usr/bin/python3 "$HERE/dhcp_abuse.py" "$IF_CLI" "$SRV_IP" "$DATA/pi3b-discover.hex" "$@"; }
result() { metric "rackboot_dhcp_packets_total{type=\"discover\",result=\"$1\"}"; }

abuse flood 10000 5 | tee "$WORK/flood.out" || fail "the flood"
flood_offers=$(sed -nE 's/.*, ([0-9]+) OFFERs$/\1/p' "$WORK/flood.out")
reserved=$(result reserved_for_pis)
[ "$flood_offers" -le 217 ] || fail "the flood got $flood_offers OFFERs; at most 217 (241 less the Pis' 24)"
[ "${reserved:-0}" -gt 0 ] || fail "no DISCOVER refused as reserved_for_pis"
pass "flood: $flood_offers OFFERs, $reserved DISCOVERs refused as reserved_for_pis"

# A rack of 20 Pis right after: all answered, at once.
abuse pis 0 20 10 "$WORK/pis.json" | tee "$WORK/pis.out" || fail "the Pis after the flood"
got=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$WORK/pis.json")
after=$(sed -nE 's/.*the last after ([0-9.]+) s/\1/p' "$WORK/pis.out")
[ "$got" = 20 ] || fail "$got of 20 Pis got an address after the flood"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 5 else 1)" "$after" \
    || fail "the Pis waited $after s (a Pi 3 ROM tries 5 times 1 s apart)"
pass "20 Pis got addresses $after s after the flood"

# The flood's offers lapse after --offer-hold (long enough that none lapses while a slow machine
# is still flooding); the Pis' stay for the lease time.
sleep 21
in_use=$(metric rackboot_dhcp_leases_in_use)
[ "$in_use" -le 22 ] || fail "$in_use leases still in use once the flood's offers lapsed (the Pis hold 20)"
[ "$in_use" -ge 20 ] || fail "the Pis' offers lapsed too ($in_use in use)"
abuse flood 100 1 | tee "$WORK/flood2.out" || fail "new clients after the flood"
again=$(sed -nE 's/.*, ([0-9]+) OFFERs$/\1/p' "$WORK/flood2.out")
[ "$again" -ge 90 ] || fail "only $again of 100 new clients got an address once the flood's offers lapsed"
pass "the flood's offers lapsed: $in_use in use, and $again of 100 new clients got addresses"

# One MAC, 5,000 DISCOVERs in 2 s: a handful of OFFERs, one lease write.
changes0=$(metric rackboot_dhcp_lease_changes_total)
limited0=$(result rate_limited)
abuse same 5000 2 | tee "$WORK/same.out" || fail "one MAC's DISCOVERs"
offers=$(sed -nE 's/^offers=([0-9]+)/\1/p' "$WORK/same.out")
changes=$(( $(metric rackboot_dhcp_lease_changes_total) - changes0 ))
limited=$(( $(result rate_limited) - limited0 ))
# A burst of 4, then 1 a second: the bound follows how long the sender took (a loaded machine
# stretches the 2 s; 5.74 s made 11 OFFERs, within the rule).
took=$(sed -nE 's/^same: .* in ([0-9]+)\.[0-9]+ s,.*/\1/p' "$WORK/same.out")
most=$((4 + ${took:-2} + 2))
[ "$offers" -ge 1 ] && [ "$offers" -le "$most" ] || fail "one MAC got $offers OFFERs for 5,000 DISCOVERs in ${took} s (at most $most)"
[ "$changes" -le 2 ] || fail "one MAC caused $changes lease writes"
[ "$limited" -ge 4900 ] || fail "only $limited DISCOVERs counted as rate_limited"
pass "one MAC: $offers OFFERs, $changes lease writes, $limited DISCOVERs refused as rate_limited"
