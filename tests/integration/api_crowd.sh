#!/usr/bin/env bash
# Clients that only hold slots cannot lock others out of the API (issue 18 #4): event streams are
# bounded per address, a full house makes room for a newcomer, a subscriber that stops reading is
# cut within a few heartbeats; at the connection cap the idlest connection makes room, so a
# scraper on another address is always answered. Each case is counted in /metrics.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK/root"
start_rackbootd --tftp-root "$WORK/root" --api-heartbeat 1
HOST=${API%:*} APORT=${API#*:}
crowd() { timeout 60 /usr/bin/python3 "$HERE/api_crowd.py" "$@"; }

crowd streams "$HOST" "$APORT" "$PORT" || fail "event streams"
[ "$(metric 'rackboot_api_refused_total{reason="streams_per_address"}')" = 2 ] || fail "streams_per_address not 2"
[ "$(metric 'rackboot_api_refused_total{reason="stream_evicted"}')" -ge 1 ] || fail "stream_evicted not counted"
pass "event streams: per-address cap, room for a newcomer, stalled readers cut"

crowd crowd "$HOST" "$APORT" 6 || fail "the crowd"
made=$(metric 'rackboot_api_refused_total{reason="made_room"}')
[ "$made" -ge 20 ] || fail "made_room is $made, expected one per scrape at least"
pass "at the connection cap, $made idle connections made room for a scraper"
