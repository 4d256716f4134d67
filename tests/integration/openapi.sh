#!/usr/bin/env bash
# The OpenAPI document against outside tools and a live rackbootd (issue 23): Spectral's
# spectral:oas ruleset finds nothing (0 errors, 0 warnings); dredd runs every operation's example
# against rackbootd (a DHCP server with a Pi's lease and timeline, images, an NBD root) and every
# 2xx response matches the document (the endless event stream excluded by the documented hook,
# dredd_hooks.js); and openapi_check.py provokes the documented statuses of every operation and
# validates each response body against its schema (python3-jsonschema).
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
NPM_BIN=$(cd "$HERE/../../tools/npm" && pwd)/node_modules/.bin
DOC=$(cd "$HERE/../../src/control/api" && pwd)/openapi.json
for tool in "$NPM_BIN/spectral" "$NPM_BIN/dredd"; do
    [ -x "$tool" ] || skip "needs $tool (tools/install-deps runs npm ci in tools/npm)"
done
for tool in nbd-server sfdisk mkfs.vfat mcopy; do
    command -v "$tool" >/dev/null || skip "needs $tool (tools/install-deps)"
done
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip "needs python3-jsonschema (tools/install-deps)"

# Spectral first: it needs no server.
(cd "$HERE" && "$NPM_BIN/spectral" lint --ruleset spectral.yaml --fail-severity=hint "$DOC") > "$WORK/spectral.out" 2>&1 ||
    fail "Spectral: $(cat "$WORK/spectral.out")"
grep -q "No results with a severity of 'hint' or higher found" "$WORK/spectral.out" || fail "Spectral: $(cat "$WORK/spectral.out")"
pass "Spectral's spectral:oas ruleset: 0 errors, 0 warnings"

netns_setup
mkdir -p "$WORK/root" "$WORK/images/raspios-2026-11" "$WORK/images/raspios-2026-12" "$WORK/roots"
for d in root images/raspios-2026-11 images/raspios-2026-12; do echo "$d" > "$WORK/$d/start4.elf"; done
# A small Pi disk for the root the document's example makes.
IMG=$WORK/images/disk.img
truncate -s 32M "$IMG"
printf 'label: dos\n2048,16M,c\n,,83\n' | sfdisk -q "$IMG"
mkfs.vfat -F 16 --offset 2048 "$IMG" 16384 > /dev/null 2>&1
mcopy -i "$IMG@@1048576" "$WORK/root/start4.elf" ::/start4.elf
RB_NETNS=$NS_SRV
start_rackbootd --tftp-root "$WORK/root" --listen "$SRV_IP" --dhcp-interface "$IF_SRV" --dhcp server \
    --subnet "$NET.0.0/16" --pool "$NET.0.51-$NET.0.60" --router "$SRV_IP" --state "$WORK/state" \
    --images-root "$WORK/images" --roots "$WORK/roots"
TOKEN=$(cat "$WORK/state/api-token")
ip netns exec "$NS_SRV" curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\": \"disk\", \"path\": \"$IMG\", \"kind\": \"img\"}" "http://$API/api/v1/images" > /dev/null ||
    fail "the disk image"
# The Pi of the examples (serial 8f3a21c0) takes the first lease, $NET.0.51, and so has a timeline.
GOT=$(in_cli /usr/bin/python3 "$HERE/pi4_dhcp.py" "$IF_CLI" dc:a6:32:01:02:03 8f3a21c0) || fail "DHCP: $GOT"
[ "$GOT" = "$NET.0.51" ] || fail "the Pi got $GOT, not $NET.0.51"

# dredd, from the server's namespace.
ip netns exec "$NS_SRV" env RB_API="$API" RB_DOC="$DOC" RB_TOKEN="$TOKEN" RB_NET="$NET" RB_IMAGES="$WORK/images" \
    timeout 240 "$NPM_BIN/dredd" "$DOC" "http://$API" --hookfiles "$HERE/dredd_hooks.js" --loglevel warning \
    > "$WORK/dredd.out" 2>&1 || fail "dredd: $(grep -v 'parser warning' "$WORK/dredd.out" | tail -60)"
SUMMARY=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/dredd.out" | grep -o 'complete: [0-9].*' | tail -1)
grep -q 'complete: [1-9][0-9]* passing, 0 failing, 0 errors' <<<"$SUMMARY" || fail "dredd: $SUMMARY"
pass "dredd: $SUMMARY (the event stream and the error statuses skipped by the documented hook)"

# Every status the document lists for an operation, provoked where a request can, and each body
# validated against its schema.
ip netns exec "$NS_SRV" /usr/bin/python3 "$HERE/openapi_check.py" "$DOC" "$API" "$TOKEN" "$NET" "$WORK/images" \
    > "$WORK/check.out" 2>&1 || fail "the document does not describe rackbootd's answers: $(cat "$WORK/check.out")"
pass "$(head -1 "$WORK/check.out")"

# The same against a rackbootd with no inventory and no DHCP server: the 503s those routes document.
MAIN_PID=$RB_PID
RB_NETNS=
rackbootd_start "$WORK/bare.log" --tftp-port 0 --api 127.0.0.1:0 --tftp-root "$WORK/root" || fail "a bare rackbootd"
/usr/bin/python3 "$HERE/openapi_check.py" "$DOC" "$RB_API" "$TOKEN" 127.0 "$WORK/images" > "$WORK/bare.out" 2>&1 ||
    fail "the document does not describe a bare rackbootd's answers: $(cat "$WORK/bare.out")"
pass "without --state or a DHCP server: $(head -1 "$WORK/bare.out" | sed 's/; not provoked here.*//')"
kill "$RB_PID" && wait "$RB_PID" || fail "the bare rackbootd did not stop cleanly"
RB_PID=$MAIN_PID
