#!/usr/bin/env bash
# Boards change live (issue 10): 200 concurrent curl fetches of a large file through a board's
# serial prefix while the API moves the board between two images with different contents as fast
# as it takes changes. No fetch fails or is torn (each file is one image's, whole), both images
# are seen, and every request made after a change completes on the new image. Then netboot off
# makes the board's files "not found". RB_BACKEND=dpdk runs it on the DPDK backend.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK/root" "$WORK/images/a" "$WORK/images/b"
echo x > "$WORK/root/start4.elf"
for i in a b; do
    make_file "$WORK/images/$i/kernel.img" 1000000
    echo "$i" > "$WORK/images/$i/start4.elf"
done
SHA_A=$(sha256sum < "$WORK/images/a/kernel.img" | cut -d' ' -f1)
SHA_B=$(sha256sum < "$WORK/images/b/kernel.img" | cut -d' ' -f1)
[ "$SHA_A" != "$SHA_B" ] || fail "the two images' kernels are the same"
ulimit -n 8192
ARGS=(--tftp-root "$WORK/root" --state "$WORK/state" --images-root "$WORK/images" --max-transfers 1000
    --max-transfers-per-client 1000)
if [ "${RB_BACKEND:-socket}" = dpdk ]; then
    source "$HERE/netns.sh"
    netns_setup
    backend_args
    ip -n "$NS_CLI" addr add "$NET.0.2/16" dev "$IF_CLI"
    RB_NETNS=$NS_SRV
    # The API listens inside the server's namespace: reach it from there.
    start_rackbootd "${ARGS[@]}" "${BACKEND_ARGS[@]}" --api 127.0.0.1:0
    HOST=$SRV_IP TPORT=69
else
    start_rackbootd "${ARGS[@]}"
    HOST=127.0.0.1 TPORT=$PORT
fi
TOKEN=$(cat "$WORK/state/api-token")
api() {  # api METHOD PATH BODY: prints the status code
    in_srv curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$3" "http://$API$2"
}
[ "$(api POST /api/v1/images "{\"name\":\"a\",\"path\":\"$WORK/images/a\"}")" = 201 ] || fail "image a: $(cat "$WORK/body")"
[ "$(api POST /api/v1/images "{\"name\":\"b\",\"path\":\"$WORK/images/b\"}")" = 201 ] || fail "image b: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards '{"serial":"8f3a21c0","image":"a"}')" = 201 ] || fail "board: $(cat "$WORK/body")"
gen0=$(in_srv curl -sf "http://$API/api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot_generation"])')

# The mover runs while 200 fetches run at once.
in_srv python3 "$HERE/live_boards.py" "$API" "$TOKEN" 8f3a21c0 a b "$WORK/stop" 4 120 > "$WORK/mover.out" 2>&1 &
MOVER=$!
PIDS+=($MOVER)
generation() {
    in_srv curl -sf "http://$API/api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot_generation"])'
}
# The fetches start once the board is moving (a slow machine starts the mover late).
for _ in $(seq 1 100); do [ "$(generation)" -ge $((gen0 + 20)) ] && break; sleep 0.1; done
[ "$(generation)" -ge $((gen0 + 20)) ] || fail "the mover made no changes: $(cat "$WORK/mover.out")"
FETCHERS=()
for i in $(seq 1 200); do
    in_cli timeout 120 curl -sf --tftp-blksize 1468 -o "$WORK/got.$i" "tftp://$HOST:$TPORT/8f3a21c0/kernel.img" &
    FETCHERS+=($!)
done
failed=0
for p in "${FETCHERS[@]}"; do wait "$p" || failed=$((failed + 1)); done
touch "$WORK/stop"
wait "$MOVER" || fail "the mover failed: $(cat "$WORK/mover.out")"
cat "$WORK/mover.out"
grep -q ", 0 failed" "$WORK/mover.out" || fail "API changes failed: $(cat "$WORK/mover.out")"
changes=$(sed -nE 's/^mover: ([0-9]+) changes.*/\1/p' "$WORK/mover.out")
[ "${changes:-0}" -ge 500 ] || fail "only ${changes:-0} changes were made while the fetches ran"
[ "$failed" = 0 ] || fail "$failed of 200 fetches failed while the board moved"
na=0 nb=0
for i in $(seq 1 200); do
    s=$(sha256sum < "$WORK/got.$i" | cut -d' ' -f1)
    if [ "$s" = "$SHA_A" ]; then na=$((na + 1)); elif [ "$s" = "$SHA_B" ]; then nb=$((nb + 1)); else
        fail "fetch $i is neither image's kernel (torn): $(stat -c %s "$WORK/got.$i") bytes"
    fi
done
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "only one image was served ($na a, $nb b): the moves did not reach the workers"
gen1=$(generation)
pass "200 fetches while the board moved: $na got image a, $nb image b, none failed or torn; snapshot generation $gen0 -> $gen1"

# Every request made after a change completes on the new image.
for round in $(seq 1 20); do
    img=$([ $((round % 2)) = 0 ] && echo a || echo b)
    want=$([ "$img" = a ] && echo "$SHA_A" || echo "$SHA_B")
    [ "$(api PATCH /api/v1/boards/8f3a21c0 "{\"image\":\"$img\"}")" = 200 ] || fail "patch: $(cat "$WORK/body")"
    in_cli curl -sf --tftp-blksize 1468 -o "$WORK/after" "tftp://$HOST:$TPORT/8f3a21c0/kernel.img" || fail "fetch after a change"
    [ "$(sha256sum < "$WORK/after" | cut -d' ' -f1)" = "$want" ] || fail "round $round: a fetch after the move to $img got the old image"
done
pass "20 changes, each followed at once by a fetch: every fetch got the new image"

# netboot off: the board's files are not found; back on: served again.
[ "$(api PATCH /api/v1/boards/8f3a21c0 '{"netboot":false}')" = 200 ] || fail "netboot off: $(cat "$WORK/body")"
in_cli curl -sf -o "$WORK/off" "tftp://$HOST:$TPORT/8f3a21c0/start4.elf" && fail "a board with netboot off was served"
[ "$(api PATCH /api/v1/boards/8f3a21c0 '{"netboot":true}')" = 200 ] || fail "netboot on: $(cat "$WORK/body")"
in_cli curl -sf -o "$WORK/on" "tftp://$HOST:$TPORT/8f3a21c0/start4.elf" || fail "netboot back on: not served"
in_srv curl -sf -o "$WORK/metrics" "http://$API/metrics" || fail "metrics"
grep -q 'rackboot_drops_total{reason="netboot_off"} 1' "$WORK/metrics" \
    || fail "netboot_off not counted: $(grep netboot_off "$WORK/metrics")"
pass "netboot off: not found (counted as netboot_off); on again: served"
grep -c '^event=audit' "$WORK/rackbootd.log" > "$WORK/audits" || true
[ "$(cat "$WORK/audits")" -gt 20 ] || fail "no audit lines: $(cat "$WORK/audits")"
grep -m1 '^event=audit actor=token token=[0-9a-f]\{8\} method=PATCH resource=/api/v1/boards/8f3a21c0 generation_before=[0-9]* generation_after=[0-9]*$' \
    "$WORK/rackbootd.log" >/dev/null || fail "audit line shape: $(grep -m1 '^event=audit' "$WORK/rackbootd.log")"
pass "one audit line per change ($(cat "$WORK/audits"))"
