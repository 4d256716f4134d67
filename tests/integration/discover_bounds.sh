#!/usr/bin/env bash
# --auto-discover cannot be flooded (issue 18 #6): made-up serials make at most --discover-max
# boards in state "discovered" (counted from the store, so a restart keeps the bound) and at most
# --discover-rate a second past a burst; the rest are counted by the bound that held; and the
# discoveries of a burst are published as a few boot maps, not one each.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
dhcp_test_setup
RB_NETNS=$NS_SRV
# Discovery is measured here, not admission (--admission off: every DISCOVER of the flood is answered).
COMMON=(--tftp-root "$WORK/root" "${BACKEND_ARGS[@]}" --state "$WORK/state" --dhcp proxy --auto-discover --admission off)
flood() { ip netns exec "$NS_CLI" /usr/bin/python3 "$HERE/pi4_flood.py" "$IF_CLI" "$@"; }
discovered() {
    in_srv curl -sf -H "Authorization: Bearer $(cat "$WORK/state/api-token")" \
        "http://$API/api/v1/boards?state=discovered&limit=1000" |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))'
}
settle() {  # waits until the learner has seen COUNT requests more than before
    local want=$1
    for _ in $(seq 1 100); do
        local seen
        seen=$(metric 'rackboot_dhcp_packets_total{type="discover",result="replied"}')
        [ "${seen:-0}" -ge "$want" ] && break
        sleep 0.05
    done
    sleep 0.5  # the control thread drains the records every few ms; the publisher's batch is due in 250
}
stop_rb() { kill "$RB_PID"; wait "$RB_PID"; RB_PID=; }

start_rackbootd "${COMMON[@]}" --discover-max 30 --discover-rate 1000
maps0=$(metric rackboot_boot_maps_published_total)
flood 200 10000000
settle 200
n=$(discovered)
[ "$n" = 30 ] || fail "--discover-max 30: $n boards discovered from 200 serials"
expect_metric 'rackboot_discover_refused_total{reason="limit"}' 170
maps=$(( $(metric rackboot_boot_maps_published_total) - maps0 ))
[ "$maps" -le 8 ] || fail "30 discoveries in a burst published $maps boot maps, expected a few"
stop_rb
pass "--discover-max 30: 30 of 200 serials became boards, 170 refused and counted; $maps boot maps for the burst"

start_rackbootd "${COMMON[@]}" --discover-max 40 --discover-rate 1000
flood 200 20000000
settle 200
n=$(discovered)
[ "$n" = 40 ] || fail "after a restart with --discover-max 40: $n discovered (the store's 30 count)"
stop_rb
pass "after a restart the store's 30 count: 10 more discovered, 40 in all"

start_rackbootd "${COMMON[@]}" --discover-max 100000 --discover-rate 2
t0=$(date +%s%N)
flood 300 30000000
settle 300
secs=$(( ($(date +%s%N) - t0) / 1000000000 + 1 ))
made=$(metric rackboot_boards_discovered_total)
rate=$(metric 'rackboot_discover_refused_total{reason="rate"}')
[ "$made" -ge 20 ] && [ "$made" -le $((20 + 2 * secs + 2)) ] ||
    fail "--discover-rate 2 (a burst of 20): $made discovered in ${secs} s"
[ "$rate" = $((300 - made)) ] || fail "rate refusals $rate, expected $((300 - made))"
pass "--discover-rate 2: $made of 300 discovered in ${secs} s (a burst of 20), $rate refused by the rate"
