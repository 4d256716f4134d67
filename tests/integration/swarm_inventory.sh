#!/usr/bin/env bash
# rackboot-swarm boots the boards an inventory holds (issue 23): their serials, MACs and models,
# read from rackbootd's API (--from-api, with a label selector) or from a file (--boards: what
# rackbootctl --json boards ls prints), and reports every board. A board with no MAC is booted
# with a made-up one, which rackbootd learns; a board outside the selector is left alone; the
# server's view of each board's last boot agrees with the swarm's report.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
: "${RACKBOOTCTL:?RACKBOOTCTL must point at rackbootctl}"
netns_setup
PREFIX=rbinv$$
test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
mixed_pi_tree "$WORK/tree"
# The API on the server's veth address, so that the swarm's side reaches it (a token is then required).
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/token"
chmod 600 "$WORK/token"
ip -n "$NS_CLI" addr add "$NET.250.250/16" dev "$IF_CLI"
RB_NETNS=$NS_SRV
rackbootd_start "$WORK/rackbootd.log" --tftp-port 69 --api "$SRV_IP:0" --api-token-file "$WORK/token" --listen "$SRV_IP" \
    --dhcp-interface "$IF_SRV" --tftp-root "$WORK/tree" --state "$WORK/state" --dhcp server --subnet "$NET.0.0/16" \
    --pool "$NET.1.0-$NET.200.0" || fail "rackbootd did not start"
API=$RB_API
ctl() { ip netns exec "$NS_SRV" "$RACKBOOTCTL" --api "$API" --token-file "$WORK/token" "$@"; }

# Rack r1: Pi 4s and a Pi 5 with their MACs, a Pi 3 known by its MAC alone, two Pi 4s whose MACs
# nobody wrote down; and a board of rack r2.
add() { ctl boards add "$1" --label "rack=$2" "${@:3}" > /dev/null || fail "boards add $1"; }
for i in 1 2 3 4 5; do add 5a5a000$i r1 --mac dc:a6:32:00:10:0$i; done
add 5a5a0006 r1 --mac 2c:cf:67:00:10:06
add 5a5a0007 r1 --mac b8:27:eb:00:10:07
add 5a5a0008 r1
add 5a5a0009 r1
add 6b6b0001 r2 --mac dc:a6:32:00:20:01
R1=9

swarm() { swarm_over_veth "${PREFIX}c" "$@"; }
swarm --from-api "http://$API/api/v1/boards?label=rack=r1" --tree "$WORK/tree" --json "$WORK/api.json" \
    --require "failed=0,booted=$R1" > "$WORK/api.out" 2> "$WORK/api.err" || fail "the rack did not boot: $(cat "$WORK/api.out" "$WORK/api.err")"
[ "$(grep -c '^board .* booted in [0-9.]* s, 1 attempt, address ' "$WORK/api.out")" = $R1 ] ||
    fail "the per-board report: $(cat "$WORK/api.out")"
grep -q '^board 5a5a0006 2c:cf:67:00:10:06 pi5 booted' "$WORK/api.out" && grep -q '^board 5a5a0007 b8:27:eb:00:10:07 pi3 booted' "$WORK/api.out" ||
    fail "models from the inventory: $(cat "$WORK/api.out")"
grep -q '^board 6b6b0001' "$WORK/api.out" && fail "a board of rack r2 was booted"
[ "$(grep -c 'no MAC listed, booted as dc:a6:32:f0:00:0' "$WORK/api.err")" = 2 ] || fail "notes: $(cat "$WORK/api.err")"
pass "--from-api ...?label=rack=r1: $R1 boards booted, each reported (a Pi 5, a Pi 3 by its MAC, two with made-up MACs); rack r2 left alone"

# The server saw the same boots: every r1 board's last boot is booted, and the made-up MACs were learnt.
ctl --json boards ls --label rack=r1 > "$WORK/r1.json"
python3 - "$WORK/r1.json" "$WORK/api.json" <<'PY' || fail "the server's view: $(cat "$WORK/r1.json")"
import json, sys
boards = {b["serial"]: b for b in json.load(open(sys.argv[1]))}
report = {p["serial"]: p for p in json.load(open(sys.argv[2]))["pis"]}
assert set(boards) == set(report), (sorted(boards), sorted(report))
for s, b in boards.items():
    assert b["last_boot"] and b["last_boot"]["result"] == "booted", (s, b["last_boot"])
    assert report[s]["phase"] == "booted", (s, report[s])
    macs = b["macs"] or [l["mac"] for l in b["learnt_macs"]]
    assert report[s]["mac"] in macs, (s, report[s]["mac"], macs)
PY
pass "rackbootd's boards agree: each r1 board's last boot is booted, and the made-up MACs were learnt onto theirs"

# --boards FILE: the same rack from rackbootctl's listing; --list-fleet prints it.
ip netns exec "$NS_CLI" "$RACKBOOT_SWARM" --boards "$WORK/r1.json" --list-fleet > "$WORK/fleet" || fail "--list-fleet"
[ "$(wc -l < "$WORK/fleet")" = $R1 ] && grep -q '^5a5a0008 dc:a6:32:' "$WORK/fleet" || fail "--list-fleet --boards: $(cat "$WORK/fleet")"
swarm --boards "$WORK/fleet" --tree "$WORK/tree" --require "failed=0,booted=$R1" > "$WORK/file.out" 2>&1 ||
    fail "--boards: $(cat "$WORK/file.out")"
[ "$(grep -c '^board .* booted in' "$WORK/file.out")" = $R1 ] || fail "--boards report: $(cat "$WORK/file.out")"
rc=0
ip netns exec "$NS_CLI" "$RACKBOOT_SWARM" --boards "$WORK/fleet" --pis 3 --list-fleet > /dev/null 2> "$WORK/err" || rc=$?
[ $rc = 2 ] && grep -q 'leave out --pis' "$WORK/err" || fail "--boards with --pis exited $rc: $(cat "$WORK/err")"
pass "--boards FILE (the lines --list-fleet prints from rackbootctl's JSON) boots the same $R1 boards; with --pis it is refused"
