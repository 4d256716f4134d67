#!/usr/bin/env bash
# Nothing outside --images-root is served (issue 18 #3). Image "swap" is a directory beneath the
# root; it is swapped for a symlink to a directory outside (mv + ln -s): while running, within
# the recheck (5 s), and after a restart, SERIAL/start4.elf is not the outside's bytes, the image
# shows as unavailable with why, and where it resolves when it is served. An image stored under
# an older --images-root is unavailable after a restart with another root. On a loopback socket
# backend: the images are opened by the control plane, the same for both backends.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/root" "$WORK/images/swap" "$WORK/images2/other" "$WORK/outside"
echo "default" > "$WORK/root/start4.elf"
echo "inside the root" > "$WORK/images/swap/start4.elf"
echo "OUTSIDE" > "$WORK/outside/start4.elf"
echo "other root" > "$WORK/images2/other/start4.elf"
ARGS=(--tftp-root "$WORK/root" --state "$WORK/state")
start_rackbootd "${ARGS[@]}" --images-root "$WORK/images"
TOKEN=$(cat "$WORK/state/api-token")
api() {  # api METHOD PATH [BODY]: prints the status code, the body in $WORK/body
    curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://$API$2"
}
field() { python3 -c "import json,sys; b=json.load(open(sys.argv[1])); print($1)" "$WORK/body"; }
fetch() { curl -s -o "$WORK/got" "tftp://127.0.0.1:$PORT/$1"; }
[ "$(api POST /api/v1/images "{\"name\":\"swap\",\"path\":\"$WORK/images/swap\"}")" = 201 ] || fail "image: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0001","image":"swap"}')" = 201 ] || fail "board: $(cat "$WORK/body")"
fetch 5a5a0001/start4.elf || fail "fetch from the image"
grep -q "inside the root" "$WORK/got" || fail "served $(cat "$WORK/got")"
[ "$(api GET /api/v1/images/swap)" = 200 ] || fail "get image"
[ "$(field 'b["available"], b["resolves_to"]')" = "True $(realpath "$WORK/images/swap")" ] || fail "status: $(cat "$WORK/body")"
pass "image swap is served from beneath the root, and says where it resolves"

mv "$WORK/images/swap" "$WORK/images/swap.old"
ln -s "$WORK/outside" "$WORK/images/swap"
for _ in $(seq 1 80); do grep -q "image 'swap' is unavailable: .*symlink" "$WORK/rackbootd.log" && break; sleep 0.1; done
grep -q "image 'swap' is unavailable" "$WORK/rackbootd.log" || fail "no recheck within 8 s: $(tail -3 "$WORK/rackbootd.log")"
fetch 5a5a0001/start4.elf && grep -q OUTSIDE "$WORK/got" && fail "served the outside's bytes while running"
[ "$(api GET /api/v1/images/swap)" = 200 ] || fail "get image"
[ "$(field 'b["available"]')" = False ] || fail "status after the swap: $(cat "$WORK/body")"
grep -q symlink <<<"$(field 'b["reason"]')" || fail "reason: $(cat "$WORK/body")"
pass "swapped for a symlink while running: unavailable within the recheck, nothing outside served"

kill "$RB_PID"; wait "$RB_PID" 2>/dev/null || true
start_rackbootd "${ARGS[@]}" --images-root "$WORK/images"
grep -q "image 'swap' is unavailable" "$WORK/rackbootd.log" || fail "no warning at start: $(head -5 "$WORK/rackbootd.log")"
fetch 5a5a0001/start4.elf && grep -q OUTSIDE "$WORK/got" && fail "served the outside's bytes after a restart"
[ "$(api GET /api/v1/images/swap)" = 200 ] && [ "$(field 'b["available"]')" = False ] || fail "after restart: $(cat "$WORK/body")"
pass "after a restart: unavailable, its board's files not found"

# Another --images-root: what was stored under the old one is not served.
rm "$WORK/images/swap"
mv "$WORK/images/swap.old" "$WORK/images/swap"
kill "$RB_PID"; wait "$RB_PID" 2>/dev/null || true
start_rackbootd "${ARGS[@]}" --images-root "$WORK/images2"
fetch 5a5a0001/start4.elf && grep -q "inside the root" "$WORK/got" && fail "served an image stored under the old root"
[ "$(api GET /api/v1/images/swap)" = 200 ] || fail "get image"
grep -q "not beneath --images-root" <<<"$(field 'b["reason"]')" || fail "reason: $(cat "$WORK/body")"
[ "$(api GET /api/v1/images)" = 200 ] && [ "$(field '[i["available"] for i in b["items"]]')" = "[False]" ] \
    || fail "list: $(cat "$WORK/body")"
pass "an image stored under an older --images-root is unavailable, and says why"
