#!/usr/bin/env bash
# Serial and MAC prefixes: a mapped board's tree, ROOT/SERIAL/, and "not found" so the Pi falls
# back to unprefixed names.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
mkdir -p "$ROOT/aaaa0001" "$WORK/board1" "$WORK/board2/overlays"
echo "root config" > "$ROOT/config.txt"
echo "serial dir config" > "$ROOT/aaaa0001/config.txt"
echo "board1 config" > "$WORK/board1/config.txt"
echo "board2 overlay" > "$WORK/board2/overlays/x.dtbo"
start_rackbootd --tftp-root "$ROOT" --board "1a2b3c4d=$WORK/board1" --board "dc-a6-32-01-02-03=$WORK/board2"

get() { curl -sf -o "$WORK/out" "tftp://127.0.0.1:$PORT/$1" && cat "$WORK/out"; }
[ "$(get config.txt)" = "root config" ] || fail "unprefixed path"
[ "$(get 1a2b3c4d/config.txt)" = "board1 config" ] || fail "mapped serial"
[ "$(get 1A2B3C4D/config.txt)" = "board1 config" ] || fail "serial in upper case"
[ "$(get aaaa0001/config.txt)" = "serial dir config" ] || fail "ROOT/SERIAL fallback"
[ "$(get dc-a6-32-01-02-03/overlays/x.dtbo)" = "board2 overlay" ] || fail "mapped MAC"
rc=0; curl -sf -o "$WORK/out" "tftp://127.0.0.1:$PORT/bbbb0002/config.txt" || rc=$?
[ $rc = 68 ] || fail "unknown serial should be 'file not found' (curl 68), got $rc"
rc=0; curl -sf -o "$WORK/out" "tftp://127.0.0.1:$PORT/1a2b3c4d/start4.elf" || rc=$?
[ $rc = 68 ] || fail "a mapped board's tree does not fall through to the root (got $rc)"
pass "serial and MAC prefixes resolve"
wait_log 'file="1a2b3c4d/config.txt" result=complete .* serial=1a2b3c4d' || fail "log line lacks serial"
wait_log 'file="dc-a6-32-01-02-03/overlays/x.dtbo" result=complete .* mac=dc:a6:32:01:02:03' || fail "log line lacks MAC"
pass "log lines carry the serial or MAC"
