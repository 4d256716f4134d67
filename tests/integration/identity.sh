#!/usr/bin/env bash
# A tenant's Pi cannot take another board (issue 18 #1), as a full DHCP server and as a proxy, in
# network namespaces; RB_BACKEND=dpdk runs it on the DPDK backend. Board 1234abcd lists
# dc:a6:32:00:00:01 and is pinned to .0.50:
# - a client with MAC 02:66:66:00:00:01 claiming serial 1234abcd in option 97 gets no answer, the
#   conflict is counted (identity_conflict), logged with both MACs, on the board's timeline and on
#   the event stream, and nothing is written onto the board;
# - the board's own DORA gets .0.50; a client that held an address before it was pinned to the
#   board loses it to the board's MAC, and its unprefixed requests do not resolve through it;
# - a board ip the subnet cannot give out (outside it, its broadcast) is refused with the reason;
# - as a proxy: the claim gets no OFFER, the board's MAC does; a board listing no MACs learns the
#   claimant as learnt (with where it came from), never as configured; a locked board (learn off)
#   learns nothing; after kill -9 and a restart nothing was written onto board 1234abcd.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
dhcp_test_setup
mkdir -p "$WORK/images/victim"
for f in start4.elf config.txt; do echo "$f of the victim" > "$WORK/images/victim/$f"; done
echo "start4.elf of the default tree" > "$WORK/root/start4.elf"
RB_NETNS=$NS_SRV
COMMON=(--tftp-root "$WORK/root" "${BACKEND_ARGS[@]}" --state "$WORK/state" --images-root "$WORK/images"
    --api 127.0.0.1:0)
SERVER=(--dhcp server --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.1.200" --router "$SRV_IP")
start_rackbootd "${COMMON[@]}" "${SERVER[@]}"
TPORT=$PORT
[ "${RB_BACKEND:-socket}" = dpdk ] && TPORT=69
TOKEN=$(cat "$WORK/state/api-token")
api() {  # api METHOD PATH [BODY]: prints the status code, the body in $WORK/body
    in_srv curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://$API$2"
}
field() {  # field PYTHON-EXPRESSION-ON-b: of the last body
    python3 -c "import json,sys; b=json.load(open(sys.argv[1])); print($1)" "$WORK/body"
}
dhcp() { in_cli /usr/bin/python3 "$HERE/pi4_dhcp.py" "$IF_CLI" "$@"; }
BOARD_MAC=dc:a6:32:00:00:01
THIEF=02:66:66:00:00:01

[ "$(api POST /api/v1/images "{\"name\":\"victim\",\"path\":\"$WORK/images/victim\"}")" = 201 ] || fail "image: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards "{\"serial\":\"1234abcd\",\"image\":\"victim\",\"ip\":\"$NET.0.50\",\"macs\":[\"$BOARD_MAC\"]}")" = 201 ] \
    || fail "board: $(cat "$WORK/body")"
# A board address these leases can never give out is refused with the reason, and nothing changes.
[ "$(api POST /api/v1/boards '{"serial":"5eed0001","ip":"192.0.2.5"}')" = 400 ] \
    && grep -q "outside the served subnet $NET.0.0/16" "$WORK/body" || fail "an ip outside the subnet: $(cat "$WORK/body")"
[ "$(api PATCH /api/v1/boards/1234abcd "{\"ip\":\"$NET.255.255\"}")" = 400 ] \
    && grep -q "broadcast address" "$WORK/body" || fail "the subnet's broadcast as a board ip: $(cat "$WORK/body")"
[ "$(api GET /api/v1/boards/5eed0001)" = 404 ] || fail "the refused board was made"
[ "$(api GET /api/v1/boards/1234abcd)" = 200 ] && [ "$(field 'b["ip"]')" = "$NET.0.50" ] || fail "the ip changed"

in_srv timeout 30 curl -sN "http://$API/api/v1/events?serial=1234abcd" > "$WORK/sse.out" 2>&1 &
SSE=$!
PIDS+=($SSE)
sleep 0.5
out=$(dhcp "$THIEF" 1234abcd) && fail "a claim of board 1234abcd from $THIEF was answered: $out"
conflicts=$(metric 'rackboot_dhcp_packets_total{type="discover",result="identity_conflict"}')
[ "${conflicts:-0}" -ge 1 ] || fail "the conflict was not counted: '${conflicts}'"
wait_log "event=dhcp type=discover mac=$THIEF .*result=identity_conflict.* serial=1234abcd.* board_macs=$BOARD_MAC" \
    || fail "no conflict log line with both MACs: $(grep identity_conflict "$WORK/rackbootd.log" | head -2)"
[ "$(api GET /api/v1/boards/1234abcd)" = 200 ] || fail "get board"
[ "$(field 'b["macs"], b["learnt_macs"]')" = "['$BOARD_MAC'] []" ] || fail "the claim changed the board: $(cat "$WORK/body")"
[ "$(api GET /api/v1/boards/1234abcd/timeline)" = 200 ] || fail "timeline"
python3 - "$WORK/body" "$THIEF" "$BOARD_MAC" <<'PY' || fail "timeline: $(cat "$WORK/body")"
import json, sys
t = json.load(open(sys.argv[1]))
c = [e for e in t["events"] if e.get("result") == "identity_conflict"]
assert c, t["events"]
assert c[0]["mac"] == sys.argv[2] and c[0]["board_macs"] == [sys.argv[3]], c[0]
assert t["boot"] is None, t["boot"]  # a refused claim starts no boot
PY
pass "a claim of board 1234abcd from $THIEF: no answer, counted, logged with both MACs, on the timeline; the board unchanged"

GOT=$(dhcp "$BOARD_MAC" 1234abcd) || fail "the board's own DORA: $GOT"
[ "$GOT" = "$NET.0.50" ] || fail "the board got $GOT, not its reservation $NET.0.50"
pass "the board's own DORA got its reservation $GOT"
kill "$SSE" 2>/dev/null; wait "$SSE" 2>/dev/null || true
grep -q '"result":"identity_conflict"' "$WORK/sse.out" && grep -q "\"board_macs\":\[\"$BOARD_MAC\"\]" "$WORK/sse.out" \
    || fail "the event stream missed the conflict: $(head -c 1500 "$WORK/sse.out")"
pass "the conflict was on the event stream with both MACs"

# A client that holds a pool address before the board is pinned to it loses it to the board's MAC.
HOLDER=02:77:77:00:00:02
A=$(dhcp "$HOLDER" 0f0f0f0f) || fail "the holder's DORA: $A"
case $A in "$NET".1.*) ;; *) fail "the holder got '$A', not a pool address" ;; esac
[ "$(api PATCH /api/v1/boards/1234abcd "{\"ip\":\"$A\"}")" = 200 ] || fail "pin: $(cat "$WORK/body")"
GOT=$(dhcp "$BOARD_MAC" 1234abcd) || fail "the board's DORA after the pin: $GOT"
[ "$GOT" = "$A" ] || fail "the board got $GOT, not $A which it is pinned to (held by $HOLDER)"
B=$(dhcp "$HOLDER" 0f0f0f0f) || fail "the holder's next DORA: $B"
[ "$B" != "$A" ] || fail "the holder kept $A against the board's MAC"
pass "the board's MAC took $A back from $HOLDER, which was given $B"
in_cli ip addr add "$A/16" dev "$IF_CLI"
in_cli ip addr add "$B/16" dev "$IF_CLI"
in_cli curl -sf --interface "$A" -o "$WORK/from-board" "tftp://$SRV_IP:$TPORT/start4.elf" || fail "fetch from $A"
grep -q "of the victim" "$WORK/from-board" || fail "from the board's address: $(cat "$WORK/from-board")"
in_cli curl -sf --interface "$B" -o "$WORK/from-holder" "tftp://$SRV_IP:$TPORT/start4.elf" || fail "fetch from $B"
grep -q "of the default tree" "$WORK/from-holder" || fail "from the holder's address: $(cat "$WORK/from-holder")"
pass "unprefixed: from the board's address its image, from the other client's the default tree"
in_cli ip addr flush dev "$IF_CLI"

# As a proxy, on the same state.
kill "$RB_PID"; wait "$RB_PID" 2>/dev/null || true
start_rackbootd "${COMMON[@]}" --dhcp proxy
TOKEN=$(cat "$WORK/state/api-token")
out=$(dhcp "$THIEF" 1234abcd offer) && fail "proxy: a claim of 1234abcd from $THIEF got an OFFER: $out"
dhcp "$BOARD_MAC" 1234abcd offer >/dev/null || fail "proxy: the board's own MAC got no OFFER"
conflicts=$(metric 'rackboot_dhcp_packets_total{type="discover",result="identity_conflict"}')
[ "${conflicts:-0}" -ge 1 ] || fail "the conflict was not counted: '${conflicts}'"
[ "$(api POST /api/v1/boards '{"serial":"0badc0de"}')" = 201 ] || fail "open board: $(cat "$WORK/body")"
dhcp "$THIEF" 0badc0de offer >/dev/null || fail "proxy: a board listing no MACs is named by its serial"
for _ in $(seq 1 30); do
    [ "$(api GET /api/v1/boards/0badc0de)" = 200 ] && [ "$(field 'len(b["learnt_macs"])')" = 1 ] && break
    sleep 0.1
done
[ "$(field 'b["macs"], b["learnt_macs"][0]["mac"]')" = "[] $THIEF" ] || fail "not learnt as learnt: $(cat "$WORK/body")"
[ -n "$(field 'b["learnt_macs"][0]["from"]')" ] || fail "no origin: $(cat "$WORK/body")"
[ "$(api PATCH /api/v1/boards/0badc0de '{"learn":false}')" = 200 ] || fail "lock: $(cat "$WORK/body")"
dhcp 02:88:88:00:00:03 0badc0de offer >/dev/null || fail "proxy: the locked board's serial got no OFFER"
sleep 0.5
[ "$(api GET /api/v1/boards/0badc0de)" = 200 ] || fail "get locked"
[ "$(field 'len(b["learnt_macs"]), b["learn"]')" = "1 False" ] || fail "a locked board learnt: $(cat "$WORK/body")"
pass "proxy: the claim got no OFFER, the board's MAC did; a board listing none learnt $THIEF as learnt; locked, it learnt nothing"

kill -9 "$RB_PID"; wait "$RB_PID" 2>/dev/null || true
start_rackbootd "${COMMON[@]}" --dhcp proxy
TOKEN=$(cat "$WORK/state/api-token")
[ "$(api GET /api/v1/boards/1234abcd)" = 200 ] || fail "get board after restart"
[ "$(field 'b["macs"], b["learnt_macs"]')" = "['$BOARD_MAC'] []" ] || fail "after a restart: $(cat "$WORK/body")"
pass "after kill -9 and a restart board 1234abcd lists only its own MAC, and learnt nothing"
