#!/usr/bin/env bash
# The REST API v1 with curl against a running rackbootd (issue 10, first routes): images and
# boards created, read, patched with If-Match, listed by page, deleted; refusals with their
# status, code and field; a body over the API's limit refused 413; writes need the bearer token
# made (mode 0600) in the state directory; a non-loopback API without a token file is refused;
# what was acknowledged is there after kill -9 and a restart.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/root" "$WORK/images/raspios-2026-11" "$WORK/images/raspios-2026-12"
echo x > "$WORK/root/start4.elf"
echo a > "$WORK/images/raspios-2026-11/start4.elf"
echo b > "$WORK/images/raspios-2026-12/start4.elf"
ARGS=(--tftp-root "$WORK/root" --state "$WORK/state" --images-root "$WORK/images")
expect_refusal "give --api-token-file too" --tftp-root "$WORK/root" --state "$WORK/state" --api 0.0.0.0:0
start_rackbootd "${ARGS[@]}"
[ "$(stat -c %a "$WORK/state/api-token")" = 600 ] || fail "the token file is not mode 600"
TOKEN=$(cat "$WORK/state/api-token")
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary '{"serial": "8f3a21c0"}' "http://$API/api/v1/boards")
[ "$code" = 401 ] || fail "a write without the token got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer nope" \
    -H 'Content-Type: application/json' --data-binary '{"serial": "8f3a21c0"}' "http://$API/api/v1/boards")
[ "$code" = 401 ] || fail "a write with a wrong token got $code"
# Two Authorization lines (curl sends both, in order), the right token in either: refused, not
# a guess at which one counts; nothing is written.
for pair in "nope $TOKEN" "$TOKEN nope"; do
    read -r first second <<<"$pair"
    code=$(curl -s -o "$WORK/twice" -w '%{http_code}' -X POST -H "Authorization: Bearer $first" \
        -H "Authorization: Bearer $second" -H 'Content-Type: application/json' \
        --data-binary '{"serial": "8f3a21c0"}' "http://$API/api/v1/boards")
    [ "$code" = 400 ] && grep -q '"error":"repeated_header"' "$WORK/twice" \
        || fail "two Authorization headers got $code: $(cat "$WORK/twice")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://$API/api/v1/boards/8f3a21c0")
[ "$code" = 404 ] || fail "a request with two Authorization headers wrote the board ($code)"
pass "the token was made with mode 600; writes without it, with a wrong one, or with two, are refused"
status=$(curl -sf "http://$API/api/v1/status") || fail "no /api/v1/status"
grep -q "\"tftp\":\"127.0.0.1:$PORT\"" <<<"$status" || fail "status does not name the TFTP address: $status"
grep -q "\"api\":\"$API\"" <<<"$status" || fail "status does not name the API address: $status"
curl -sf "http://$API/healthz" >/dev/null && curl -sf "http://$API/readyz" >/dev/null || fail "healthz/readyz"
curl -sf "http://$API/api/v1/drop-reasons" | grep -q '"name":"client_cap"' || fail "drop-reasons lacks client_cap"
curl -sf "http://$API/api/v1/openapi.json" -o "$WORK/openapi.json" || fail "no /api/v1/openapi.json"
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
    "$WORK/openapi.json" "$(dirname "$0")/../../src/control/api/openapi.json" || fail "the served OpenAPI document is not the repository's"
pass "status names the addresses; healthz, readyz, drop-reasons and openapi.json (the repository's) answer"
# call METHOD PATH [BODY [HEADER...]]: prints "STATUS BODY" (with the token)
call() {
    local method=$1 path=$2 body=${3:-}
    shift 3 2>/dev/null || shift $#
    local args=(-s -o "$WORK/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOKEN" "http://$API$path")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    for h in "$@"; do args+=(-H "$h"); done
    local code
    code=$(curl "${args[@]}")
    echo "$code $(cat "$WORK/body")"
}
expect() {  # expect STATUS [ERROR_CODE] -- METHOD PATH [BODY [HEADER...]]
    local want=$1 code=$2
    shift 3
    local out
    out=$(call "$@")
    [ "${out%% *}" = "$want" ] || fail "$*: got $out, expected $want"
    [ -z "$code" ] || grep -q "\"error\":\"$code\"" <<<"$out" || fail "$*: got $out, expected error $code"
    echo "$out"
}

expect 201 "" -- POST /api/v1/images "{\"name\":\"raspios-2026-11\",\"kind\":\"dir\",\"path\":\"$WORK/images/raspios-2026-11\"}" >/dev/null
expect 201 "" -- POST /api/v1/images "{\"name\":\"raspios-2026-12\",\"path\":\"$WORK/images/raspios-2026-12\"}" >/dev/null
out=$(expect 201 "" -- POST /api/v1/boards '{"serial": "8f3a21c0", "name": "r12-u07", "image": "raspios-2026-11",
    "macs": ["dc:a6:32:01:02:03"], "labels": {"rack": "r12"}, "netboot": true, "ip": "10.0.12.7"}')
grep -q '"generation":1' <<<"$out" || fail "no generation 1: $out"
etag=$(curl -s -D - -o /dev/null "http://$API/api/v1/boards/8f3a21c0" | sed -nE 's/^ETag: (.*)\r$/\1/p')
[ "$etag" = '"1"' ] || fail "ETag is '$etag'"
out=$(expect 200 "" -- PATCH /api/v1/boards/8f3a21c0 '{"image": "raspios-2026-12"}' "If-Match: $etag")
grep -q '"image":"raspios-2026-12"' <<<"$out" || fail "patch: $out"
expect 412 precondition_failed -- PATCH /api/v1/boards/8f3a21c0 '{"name": "x"}' "If-Match: $etag" >/dev/null
pass "images and a board created; PATCH with If-Match moved it; a stale ETag gets 412"

expect 400 bad_json -- POST /api/v1/boards '{"serial":' >/dev/null
expect 400 unknown_field -- POST /api/v1/boards '{"serial": "11111111", "colour": "red"}' >/dev/null
expect 400 invalid_field -- POST /api/v1/boards '{"serial": "11111111", "macs": ["nope"]}' >/dev/null
expect 409 conflict -- POST /api/v1/boards '{"serial": "11111111", "macs": ["dc:a6:32:01:02:03"]}' >/dev/null
expect 400 invalid_field -- POST /api/v1/images "{\"name\":\"etc\",\"path\":\"/etc\"}" >/dev/null
expect 409 conflict -- DELETE /api/v1/images/raspios-2026-12 >/dev/null
expect 404 not_found -- GET /api/v1/boards/22222222 >/dev/null
expect 405 method_not_allowed -- POST /api/v1/boards/8f3a21c0 '{}' >/dev/null
head -c $((2 << 20)) /dev/zero | tr '\0' ' ' > "$WORK/big.json"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $TOKEN" --data-binary "@$WORK/big.json" "http://$API/api/v1/boards")
[ "$code" = 413 ] || fail "a 2 MiB body got $code"
[ "$(call GET /api/v1/boards | grep -o '"serial":"' | wc -l)" = 1 ] || fail "a refusal stored something"
pass "refusals: 400 bad_json/unknown_field/invalid_field, 409, 404, 405, 413; nothing stored"

for i in $(seq 1 30); do
    expect 201 "" -- POST /api/v1/boards "{\"serial\": \"$(printf '%08x' "$i")\", \"labels\": {\"rack\": \"r$((i % 3))\"}}" >/dev/null
done
pages=0 seen=0 after=""
while [ $pages -lt 10 ]; do
    out=$(curl -sf "http://$API/api/v1/boards?limit=7${after:+&after=$after}")
    seen=$((seen + $(grep -o '"serial":"' <<<"$out" | wc -l)))
    pages=$((pages + 1))
    after=$(python3 -c 'import json,sys; n=json.loads(sys.argv[1])["next"]; print(n or "")' "$out")
    [ -n "$after" ] || break
done
[ "$seen" = 31 ] || fail "paging saw $seen boards, expected 31"
n=$(curl -sf "http://$API/api/v1/boards?label=rack=r1&limit=100" | grep -o '"serial":"' | wc -l)
[ "$n" = 10 ] || fail "label filter gave $n boards, expected 10"
pass "31 boards in $pages pages of 7; the label filter gives 10"

kill -9 "$RB_PID"
wait "$RB_PID" 2>/dev/null || true
RB_PID=
start_rackbootd "${ARGS[@]}"
[ "$(cat "$WORK/state/api-token")" = "$TOKEN" ] || fail "the token changed across a restart"
out=$(expect 200 "" -- GET /api/v1/boards/8f3a21c0)
grep -q '"image":"raspios-2026-12"' <<<"$out" && grep -q '"generation":2' <<<"$out" || fail "after kill -9: $out"
[ "$(curl -sf "http://$API/api/v1/boards?limit=1000" | grep -o '"serial":"' | wc -l)" = 31 ] || fail "boards lost"
pass "after kill -9 and a restart every acknowledged write is there"

# --board flags are a bootstrap: written to the store at start (once), shown and served like any.
stop_rackbootd() { kill "$RB_PID"; wait "$RB_PID" 2>/dev/null || true; RB_PID=; }
stop_rackbootd
start_rackbootd "${ARGS[@]}" --board "0badf00d=$WORK/images/raspios-2026-11"
out=$(expect 200 "" -- GET /api/v1/boards/0badf00d)
grep -q '"image":"flag-raspios-2026-11-[0-9a-f]\{8\}"' <<<"$out" || fail "the --board flag's board: $out"
curl -sf -o "$WORK/flag.elf" "tftp://127.0.0.1:$PORT/0badf00d/start4.elf" || fail "the --board flag's board is not served"
same_sha "$WORK/images/raspios-2026-11/start4.elf" "$WORK/flag.elf" "the flag board's tree"
stop_rackbootd
start_rackbootd "${ARGS[@]}" --board "0badf00d=$WORK/images/raspios-2026-11"
out2=$(expect 200 "" -- GET /api/v1/boards/0badf00d)
[ "$out" = "$out2" ] || fail "a second start with the same --board changed the board: $out -> $out2"
pass "--board SERIAL=DIR with --state creates the board (and its image) once; the API shows it and TFTP serves it"

# The build and the process, as Prometheus client libraries name the process's series.
version=$("$RACKBOOTD" --version | awk '{print $2}')
[ "$(metric "rackboot_build_info{version=\"$version\",backend=\"socket\"}")" = 1 ] \
    || fail "no rackboot_build_info for version $version"
for m in process_cpu_seconds_total process_open_fds process_max_fds process_resident_memory_bytes \
    process_start_time_seconds; do
    [ -n "$(metric "$m")" ] || fail "no $m"
done
[ "$(metric process_open_fds)" -gt 5 ] || fail "process_open_fds $(metric process_open_fds)"
pass "rackboot_build_info{version=\"$version\",backend=\"socket\"} 1 and the process's series"
[ "$("$RACKBOOTCTL" --version)" = "rackbootctl $version" ] || fail "rackbootctl --version: $("$RACKBOOTCTL" --version 2>&1)"
# Every family on the page is in the table --list-metrics prints (its HELP from there).
"$RACKBOOTD" --list-metrics | awk '/^[a-z]/ {print $1}' | sort > "$WORK/listed"
curl -sf "http://$API/metrics" | awk '$1 == "#" && $2 == "TYPE" {print $3}' | sort -u > "$WORK/exposed"
[ -s "$WORK/exposed" ] || fail "no family on /metrics"
missing=$(comm -13 "$WORK/listed" "$WORK/exposed")
[ -z "$missing" ] || fail "families on /metrics that --list-metrics does not list: $missing"
curl -sf "http://$API/metrics" | grep -q undocumented && fail "a family on /metrics has no HELP of its own"
pass "rackbootctl --version; all $(wc -l < "$WORK/exposed") families on /metrics are among the $(wc -l < "$WORK/listed") --list-metrics lists"

