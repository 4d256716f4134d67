#!/usr/bin/env bash
# The live side of the API and rackbootctl (issue 10), against rackbootd as a full DHCP server in
# network namespaces: a Pi 4 (its EEPROM's DISCOVER and REQUEST, option 97 carrying its serial)
# boots through its board; the MAC it used is learnt onto the board; its boot shows in the
# board's timeline (DHCP time, each file, booted) and in `rackbootctl timeline`, and streams to an
# SSE client (curl -N) as it happens; an unprefixed request from the address it was given
# resolves through the board; its lease is listed and released; a slow transfer shows in
# /api/v1/transfers and `rackbootctl transfers`; --auto-discover makes a board of an unknown
# serial; boards:import takes nobodd and dnsmasq files; rackbootctl's exit codes.
# RB_BACKEND=dpdk runs it on the DPDK backend.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
dhcp_test_setup
CTL=$RACKBOOTCTL
[ -x "$CTL" ] || fail "no rackbootctl at $CTL"
mkdir -p "$WORK/images/pi4"
for f in start4.elf fixup4.dat config.txt cmdline.txt; do echo "$f of pi4" > "$WORK/images/pi4/$f"; done
make_file "$WORK/images/pi4/kernel8.img" 3000000
RB_NETNS=$NS_SRV
start_rackbootd --tftp-root "$WORK/root" "${BACKEND_ARGS[@]}" --dhcp server --subnet "$NET.0.0/16" \
    --pool "$NET.1.0-$NET.1.200" --router "$SRV_IP" --state "$WORK/state" --images-root "$WORK/images" \
    --auto-discover --api 127.0.0.1:0
TPORT=$PORT
[ "${RB_BACKEND:-socket}" = dpdk ] && TPORT=69
export RACKBOOT_API=$API RACKBOOT_TOKEN
RACKBOOT_TOKEN=$(cat "$WORK/state/api-token")
ctl() { in_srv env RACKBOOT_API="$API" RACKBOOT_TOKEN="$RACKBOOT_TOKEN" "$CTL" "$@"; }

ctl images add pi4 "$WORK/images/pi4" || fail "rackbootctl images add"
ctl boards add 1a2b3c4d --name r1-u01 --image pi4 --label rack=r1 || fail "rackbootctl boards add"
ctl boards ls --label rack=r1 | grep -q '^1a2b3c4d  *r1-u01  *pi4  *configured  *on' \
    || fail "boards ls: $(ctl boards ls)"
pass "rackbootctl: images add, boards add, boards ls --label"

# An SSE client follows the board's events while it boots.
in_srv timeout 20 curl -sN "http://$API/api/v1/events?serial=1a2b3c4d" > "$WORK/sse.out" 2>&1 &
SSE=$!
PIDS+=($SSE)
sleep 0.5
ADDR=$(in_cli /usr/bin/python3 "$HERE/pi4_dhcp.py" "$IF_CLI" dc:a6:32:12:34:56 1a2b3c4d) || fail "pi4 DHCP: $ADDR"
case $ADDR in "$NET".1.*) ;; *) fail "the Pi got '$ADDR', not a pool address" ;; esac
in_cli ip addr add "$ADDR/16" dev "$IF_CLI"
for f in 1a2b3c4d/start4.elf 1a2b3c4d/config.txt 1a2b3c4d/fixup4.dat 1a2b3c4d/kernel8.img cmdline.txt; do
    in_cli curl -sf --interface "$ADDR" --tftp-blksize 1468 -o "$WORK/got" "tftp://$SRV_IP:$TPORT/$f" \
        || fail "fetch $f from $ADDR"
done
same_sha "$WORK/images/pi4/cmdline.txt" "$WORK/got" "unprefixed cmdline.txt from the board's address"
pass "a Pi 4 got $ADDR by DHCP and fetched its boot files (cmdline.txt unprefixed, from its address)"
for _ in $(seq 1 40); do
    tl=$(in_srv curl -sf "http://$API/api/v1/boards/1a2b3c4d/timeline") && grep -q '"result":"booted"' <<<"$tl" && break
    sleep 0.1
done
python3 - "$tl" <<'PY' || fail "timeline: $tl"
import json, sys
t = json.loads(sys.argv[1])
b = t["last_boot"]
assert b and b["result"] == "booted", b
assert b["dhcp_ms"] is not None and b["dhcp_ms"] >= 0, b
files = [f["file"] for f in b["files"]]
assert files == ["1a2b3c4d/start4.elf", "1a2b3c4d/config.txt", "1a2b3c4d/fixup4.dat", "1a2b3c4d/kernel8.img",
                 "cmdline.txt"], files
assert all(f["result"] == "complete" for f in b["files"]), b["files"]
kinds = [e["kind"] for e in t["events"]]
assert kinds.count("dhcp") >= 2 and "boot_started" in kinds and "boot_finished" in kinds, kinds
PY
ctl timeline 1a2b3c4d > "$WORK/ctl-timeline" || fail "rackbootctl timeline"
grep -q '^last boot: booted in [0-9]* ms (DHCP [0-9]* ms)' "$WORK/ctl-timeline" || fail "$(cat "$WORK/ctl-timeline")"
grep -q '1a2b3c4d/kernel8.img  *[0-9]*  *3000000  *complete' "$WORK/ctl-timeline" || fail "$(cat "$WORK/ctl-timeline")"
pass "the boot is in the board's timeline (DHCP, five files, booted) and in rackbootctl timeline"
board=$(ctl --json boards get 1a2b3c4d)
grep -q '"dc:a6:32:12:34:56"' <<<"$board" || fail "the MAC from option 97 was not learnt: $board"
grep -q '"model": "pi4"' <<<"$board" || fail "the model was not learnt: $board"
grep -q '"result": "booted"' <<<"$board" || fail "the last boot was not kept on the board: $board"
pass "the board learnt its MAC and model from option 97, and keeps its last boot"
sleep 0.5
kill "$SSE" 2>/dev/null; wait "$SSE" 2>/dev/null || true
grep -q '^event: dhcp' "$WORK/sse.out" && grep -q '^event: tftp' "$WORK/sse.out" && grep -q '"kind":"boot_finished"' "$WORK/sse.out" \
    || fail "the SSE stream missed events: $(head -c 2000 "$WORK/sse.out")"
pass "curl -N on /api/v1/events?serial= saw $(grep -c '^event:' "$WORK/sse.out") events as they happened"

# Leases: listed, released through the DHCP worker.
ctl leases ls | grep -q "^$ADDR  *dc:a6:32:12:34:56  *bound .*1a2b3c4d" || fail "leases ls: $(ctl leases ls)"
ctl leases rm "$ADDR" || fail "leases rm"
in_srv curl -sf "http://$API/api/v1/leases" | grep -q "\"$ADDR\"" && fail "the released lease is still listed"
in_srv curl -sf "http://$API/api/v1/leases/$ADDR" | grep -q '"state":"released"' || fail "lease state after release"
rc=0
ctl leases rm "$ADDR" 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || fail "releasing twice exited $rc"
grep -q "not_found" "$WORK/err" || fail "a second release: $(cat "$WORK/err")"
pass "rackbootctl leases ls shows the Pi's lease; leases rm released it (a second rm: not_found, exit 1)"

# A slow transfer (an unacknowledged window keeps it open) shows as live.
in_cli /usr/bin/python3 - "$SRV_IP" "$TPORT" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"\x00\x011a2b3c4d/kernel8.img\x00octet\x00", (sys.argv[1], int(sys.argv[2])))
s.recvfrom(2000)
time.sleep(4)
PY
SLOW=$!
sleep 0.7
ctl transfers > "$WORK/transfers" || fail "rackbootctl transfers"
grep -q '1a2b3c4d  *1a2b3c4d/kernel8.img' "$WORK/transfers" || fail "transfers: $(cat "$WORK/transfers")"
ctl transfers --watch --count 2 > "$WORK/watch" || fail "transfers --watch"
[ "$(grep -c ' transfers$' "$WORK/watch")" = 2 ] || fail "watch: $(cat "$WORK/watch")"
wait $SLOW
pass "a transfer in flight shows in /api/v1/transfers (client, serial, file, bytes, rate, age) and rackbootctl transfers"

# --auto-discover: a Pi 4 whose serial no board has.
in_cli /usr/bin/python3 "$HERE/pi4_dhcp.py" "$IF_CLI" dc:a6:32:00:00:77 0badc0de >/dev/null || fail "second Pi's DHCP"
for _ in $(seq 1 30); do ctl boards get 0badc0de >/dev/null 2>&1 && break; sleep 0.1; done
ctl --json boards ls --state discovered | grep -q '"serial": "0badc0de"' || fail "no discovered board: $(ctl boards ls)"
pass "--auto-discover made board 0badc0de (state discovered) from its DHCP"

# boards:import: nobodd INI and dnsmasq dhcp-host lines.
cat > "$WORK/nobodd.ini" <<INI
[board:5a5a0001]
image = $WORK/images/pi4
ip = $NET.0.51

[board:5a5a0002]
image = /srv/disk.img
partition = 1
INI
ctl boards import "$WORK/nobodd.ini" | grep -q 'imported 2 boards, updated 0' || fail "nobodd import"
ctl --json boards get 5a5a0001 | grep -q '"image": "pi4"' || fail "imported board's image"
echo "dhcp-host=dc:a6:32:12:34:56,$NET.0.77,r1-u01-renamed,set:pi" > "$WORK/dnsmasq.conf"
echo "dhcp-host=dc:a6:32:99:99:99,$NET.0.78" >> "$WORK/dnsmasq.conf"
out=$(ctl --json boards import "$WORK/dnsmasq.conf") || fail "dnsmasq import: $out"
grep -q '"updated": 1' <<<"$out" && grep -q '"line": 2' <<<"$out" || fail "dnsmasq import: $out"
ctl --json boards get 1a2b3c4d | grep -q "\"ip\": \"$NET.0.77\"" || fail "dnsmasq import did not pin the address"
printf '[board:zz]\n' > "$WORK/bad.ini"
ctl boards import "$WORK/bad.ini" 2>"$WORK/err" && fail "a bad import was accepted"
grep -q 'line 1' "$WORK/err" || fail "bad import: $(cat "$WORK/err")"
pass "boards import: nobodd INI (2 created), dnsmasq dhcp-host (1 updated by MAC, 1 skipped), a bad file names its line"

# The address the import pinned is the board's DHCP reservation from its next DISCOVER; netboot
# off leaves its boot firmware unanswered (counted), and on again it is answered.
in_cli ip addr flush dev "$IF_CLI"
GOT=$(in_cli /usr/bin/python3 "$HERE/pi4_dhcp.py" "$IF_CLI" dc:a6:32:12:34:56 1a2b3c4d) || fail "pinned DHCP: $GOT"
[ "$GOT" = "$NET.0.77" ] || fail "the board pinned to $NET.0.77 got $GOT"
ctl boards set 1a2b3c4d --netboot off || fail "netboot off"
out=$(in_cli /usr/bin/python3 "$HERE/pi4_dhcp.py" "$IF_CLI" dc:a6:32:12:34:56 1a2b3c4d) && fail "netboot off was answered: $out"
in_srv curl -sf -o "$WORK/metrics" "http://$API/metrics" || fail "metrics"
grep -q 'rackboot_dhcp_packets_total{type="discover",result="netboot_off"} [1-9]' "$WORK/metrics" \
    || fail "netboot_off not counted: $(grep netboot_off "$WORK/metrics")"
ctl boards set 1a2b3c4d --netboot on || fail "netboot on"
GOT=$(in_cli /usr/bin/python3 "$HERE/pi4_dhcp.py" "$IF_CLI" dc:a6:32:12:34:56 1a2b3c4d) || fail "netboot on again: $GOT"
pass "a pinned address is the board's reservation ($GOT); netboot off: no answer (counted), on: answered"

# Exit codes: usage 2, refused 1, unreachable 3.
exit_code() { local rc=0; "$@" >/dev/null 2>"$WORK/err" || rc=$?; echo "$rc"; }
[ "$(exit_code ctl boards frobnicate)" = 2 ] || fail "usage exit code"
[ "$(exit_code ctl boards get ffffffff)" = 1 ] || fail "refused exit code"
[ "$(exit_code in_srv env RACKBOOT_API=127.0.0.1:1 "$CTL" status)" = 3 ] || fail "unreachable exit code"
[ "$(exit_code in_srv env -u RACKBOOT_TOKEN RACKBOOT_API="$API" "$CTL" boards rm 5a5a0002)" = 1 ] || fail "no token"
grep -q unauthorized "$WORK/err" || fail "no token: $(cat "$WORK/err")"
pass "rackbootctl exits 2 on usage, 1 when refused (401 without a token), 3 when it cannot reach the server"
