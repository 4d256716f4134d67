#!/usr/bin/env bash
# The event stream loses nothing it can keep (issue 23), while rackboot-swarm boots a rack through
# net_af_packet: a subscriber that reads gets every event, ids in order with no gap; one that
# stops reading while the history (--event-history) rolls over is told in-band how many it lost
# and which ids, exactly, and the rest matches; Last-Event-ID replays what is kept (and reports
# what is not); ids only grow across a clean restart and a kill -9; rackbootctl events --follow
# reconnects with back-off and resumes after its last id; the history's JSON pages.
# RB_EVENT_PIS sets the rack's size (default 300).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
: "${RACKBOOTCTL:?RACKBOOTCTL must point at rackbootctl}"
HERE=$(cd "$(dirname "$0")" && pwd)
netns_setup
PREFIX=rbev$$
test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
mixed_pi_tree "$WORK/tree"
RACK=${RB_EVENT_PIS:-300}
APIPORT=$((18000 + RANDOM % 1000))
RB_NETNS=$NS_SRV
ulimit -n 16384
# start [ARGS...]: rackbootd on the server's end of the veth, its API on the same port each time.
start() {
    rackbootd_start "$WORK/rackbootd.log" --tftp-port 69 --api "127.0.0.1:$APIPORT" --listen "$SRV_IP" \
        --dhcp-interface "$IF_SRV" --tftp-root "$WORK/tree" --state "$WORK/state" --dhcp server \
        --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.200.0" --api-heartbeat 60 "$@" || fail "rackbootd did not start"
    API=$RB_API
}
reader() { ip netns exec "$NS_SRV" python3 "$HERE/sse_reader.py" "$API" "$@"; }
ctl() { ip netns exec "$NS_SRV" "$RACKBOOTCTL" --api "$API" "$@"; }
# not_found N: N read requests for files that do not exist (N events), one after the other.
not_found() {
    ip netns exec "$NS_SRV" python3 - "$SRV_IP" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(int(sys.argv[2])):
    s.sendto(b"\x00\x01nope-%d\x00octet\x00" % i, (sys.argv[1], 69))
    s.recvfrom(600)
PY
}
# await_id FILE ID: waits up to 15 s for rackbootctl's JSON lines in FILE to hold event ID.
await_id() {
    for _ in $(seq 1 150); do grep -q "\"id\":$2," "$1" && return 0; sleep 0.1; done
    return 1
}

# The rack boots with the default history: a subscriber that reads gets every event, and so does
# rackbootctl following.
start
reader /api/v1/events "$WORK/fast.json" --until "$WORK/go" --idle 2 --max 200 &
FAST=$!
ctl --json events --follow > "$WORK/ctl.out" 2> "$WORK/ctl.err" &
CTL=$!
PIDS+=($FAST $CTL)
for _ in $(seq 1 50); do [ "$(metric rackboot_api_event_streams)" = 2 ] && break; sleep 0.1; done
[ "$(metric rackboot_api_event_streams)" = 2 ] || fail "the subscribers did not connect"
swarm_over_veth "${PREFIX}c" --pis "$RACK" --mix pi4=9,pi5=1 --tree "$WORK/tree" --require "failed=0,booted=$RACK" \
    > "$WORK/boot.out" || fail "the rack did not boot: $(cat "$WORK/boot.out")"
sleep 1
touch "$WORK/go"
wait $FAST || fail "the reading subscriber failed"
PUBLISHED=$(metric rackboot_events_published_total)
LAST=$(metric rackboot_event_last_id)
await_id "$WORK/ctl.out" "$LAST" || fail "rackbootctl did not get event $LAST: $(cat "$WORK/ctl.err")"
python3 - "$WORK/fast.json" "$WORK/ctl.out" "$PUBLISHED" "$(metric rackboot_events_lost_total)" <<'PY' ||
import json, sys
fast = json.load(open(sys.argv[1]))
ctl = [json.loads(l) for l in open(sys.argv[2])]
published, lost = int(sys.argv[3]), int(sys.argv[4])
assert fast["status"] == 200 and fast["retry"] == 2000, (fast["status"], fast["retry"])
f = fast["frames"]
assert not [x for x in f if x["event"] == "lost"] and lost == 0, "a reading subscriber lost events"
ids = [x["id"] for x in f]
assert ids == list(range(1, published + 1)), (ids[:3], len(ids), published)
assert [(c["id"], c["kind"], c["data"]) for c in ctl] == [(x["id"], x["event"], x["data"]) for x in f], "rackbootctl differs"
PY
    fail "the reading subscribers do not have every event"
pass "$RACK Pis booted: $PUBLISHED events, every one to the reading subscriber and to rackbootctl, in order; none lost"

# Last-Event-ID: what is kept after it is replayed.
reader /api/v1/events "$WORK/resume.json" --last-event-id $((LAST - 50)) --idle 1 --max 10
python3 - "$WORK/fast.json" "$WORK/resume.json" <<'PY' || fail "Last-Event-ID did not replay the last 50"
import json, sys
f, r = json.load(open(sys.argv[1]))["frames"], json.load(open(sys.argv[2]))["frames"]
assert r == f[-50:], (len(r), r[:2])
PY
pass "Last-Event-ID $((LAST - 50)) replays the 50 events after it, as they were"

# The history as JSON pages.
ip netns exec "$NS_SRV" curl -sf "http://$API/api/v1/events/history?limit=3" > "$WORK/tail.json" || fail "history"
[ "$(json_get "$WORK/tail.json" '[i["id"] for i in d["items"]]')" = "[$((LAST - 2)), $((LAST - 1)), $LAST]" ] ||
    fail "the last 3: $(cat "$WORK/tail.json")"
ip netns exec "$NS_SRV" curl -sf "http://$API/api/v1/events/history?after=$((LAST - 5))&limit=2" > "$WORK/page.json"
[ "$(json_get "$WORK/page.json" '([i["id"] for i in d["items"]], d["next"], d["lost"])')" = "([$((LAST - 4)), $((LAST - 3))], $((LAST - 3)), None)" ] ||
    fail "a page after an id: $(cat "$WORK/page.json")"
for q in "limit=0" "limit=1001" "after=x" "kind=nope" "colour=red"; do
    code=$(ip netns exec "$NS_SRV" curl -s -o /dev/null -w '%{http_code}' "http://$API/api/v1/events/history?$q")
    [ "$code" = 400 ] || fail "history?$q answered $code"
done
code=$(ip netns exec "$NS_SRV" curl -s -o /dev/null -w '%{http_code}' -H 'Last-Event-ID: 12x' "http://$API/api/v1/events")
[ "$code" = 400 ] || fail "a malformed Last-Event-ID answered $code"
ctl events --count 2 > "$WORK/ctl-tail" || fail "rackbootctl events --count 2"
[ "$(wc -l < "$WORK/ctl-tail")" = 2 ] && grep -q "#$LAST\$" "$WORK/ctl-tail" || fail "events --count 2: $(cat "$WORK/ctl-tail")"
pass "events/history pages (the last N, N after an id); bad queries and Last-Event-ID get 400; rackbootctl events --count 2 prints at once"

# A clean restart, with a small history: the ids go on; rackbootctl, still following, resumes.
HISTORY=500
kill "$RB_PID"
wait "$RB_PID" || fail "rackbootd did not stop cleanly"
[ "$(cat "$WORK/state/event-ids")" = "$LAST" ] || fail "event-ids holds $(cat "$WORK/state/event-ids"), not $LAST"
start --event-history $HISTORY
not_found 1
await_id "$WORK/ctl.out" $((LAST + 1)) || fail "rackbootctl did not resume: $(tail -3 "$WORK/ctl.out"; cat "$WORK/ctl.err")"
grep -q "reconnecting in .* after event $LAST" "$WORK/ctl.err" || fail "rackbootctl said: $(cat "$WORK/ctl.err")"
grep -q '"kind":"lost"' "$WORK/ctl.out" && fail "a clean restart lost events: $(grep '"kind":"lost"' "$WORK/ctl.out")"
pass "after a clean restart the next id is $((LAST + 1)); rackbootctl reconnected ($(grep -c reconnecting "$WORK/ctl.err") tries) and resumed, nothing lost"

# A subscriber that stops reading while the history rolls over is told, in-band and exactly, how
# many it lost and which; what it gets is whole.
reader /api/v1/events "$WORK/slow.json" --hold "$WORK/go2" --rcvbuf 4096 --idle 2 --max 120 &
SLOW=$!
PIDS+=($SLOW)
for _ in $(seq 1 50); do [ "$(metric rackboot_api_event_streams)" = 2 ] && break; sleep 0.1; done
not_found 1
sleep 0.5
not_found 1500
touch "$WORK/go2"
wait $SLOW || fail "the held subscriber failed"
NOW=$(metric rackboot_event_last_id)
# rackbootctl, following all the while, may have fallen behind too: its notices count as well.
await_id "$WORK/ctl.out" "$NOW" || fail "rackbootctl did not get event $NOW"
python3 - "$WORK/slow.json" "$(metric rackboot_events_lost_total)" "$NOW" "$HISTORY" "$WORK/ctl.out" <<'PY' ||
import json, sys
slow = json.load(open(sys.argv[1]))["frames"]
lost_metric, last, history = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ctl_lost = sum(e["data"]["lost"] for e in map(json.loads, open(sys.argv[5])) if e["kind"] == "lost")
covered, told = [], 0
for x in slow:
    if x["event"] == "lost":
        d = x["data"]
        assert d["reason"] == "behind" and d["exact"] is True, d
        assert d["lost"] == d["last_id"] - d["first_id"] + 1 and x["id"] == d["last_id"], x
        covered += range(d["first_id"], d["last_id"] + 1)
        told += d["lost"]
    else:
        assert x["event"] == "tftp" and x["data"]["result"] == "not_found", x
        covered.append(x["id"])
assert covered == list(range(covered[0], last + 1)), "its events and lost notices do not tile the stream"
assert told > 0 and told + ctl_lost == lost_metric, (told, ctl_lost, lost_metric)
got = len(slow) - len([x for x in slow if x["event"] == "lost"])
assert got >= history, (got, history)
PY
    fail "the held subscriber"
pass "a subscriber held while 1501 events passed a history of $HISTORY: $(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["frames"]; print(sum(x["data"]["lost"] for x in s if x["event"] == "lost"), "lost, reported in-band, exactly;", sum(x["event"] != "lost" for x in s), "received")' "$WORK/slow.json")"

# Resuming past the history: before this run (restart), or dropped in it (history).
reader "/api/v1/events?kind=tftp" "$WORK/old.json" --last-event-id 1 --idle 1 --max 10
reader /api/v1/events "$WORK/gone.json" --last-event-id $((LAST + 2)) --idle 1 --max 10
python3 - "$WORK/old.json" "$WORK/gone.json" "$LAST" "$NOW" "$HISTORY" <<'PY' || fail "a resume older than the history"
import json, sys
old, gone = json.load(open(sys.argv[1]))["frames"], json.load(open(sys.argv[2]))["frames"]
last, now, history = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
n = old[0]["data"]
assert old[0]["event"] == "lost" and n["reason"] == "restart" and n["exact"] is False, old[0]
assert n["first_id"] == 2 and n["last_id"] == now - history, n
assert len(old) == history + 1 and old[1]["id"] == now - history + 1, (len(old), old[1])
n = gone[0]["data"]
assert gone[0]["event"] == "lost" and n["reason"] == "history" and n["exact"] is True, gone[0]
assert (n["first_id"], n["last_id"], n["lost"]) == (last + 3, now - history, now - history - last - 2), n
PY
pass "Last-Event-ID 1 is told ids 2..$((NOW - HISTORY)) went with a restart; Last-Event-ID $((LAST + 2)) that ids $((LAST + 3))..$((NOW - HISTORY)) are no longer kept"

# kill -9: the next run starts past the block it had recorded, never below.
kill -9 "$RB_PID"
wait "$RB_PID" 2>/dev/null || true
RECORDED=$(cat "$WORK/state/event-ids")
[ "$RECORDED" -gt "$NOW" ] || fail "event-ids after kill -9: $RECORDED"
start
not_found 1
wait_metric rackboot_event_last_id $((RECORDED + 1)) || fail "the next id after kill -9 is $(metric rackboot_event_last_id), not $((RECORDED + 1))"
await_id "$WORK/ctl.out" $((RECORDED + 1)) || fail "rackbootctl did not resume after kill -9: $(cat "$WORK/ctl.err")"
python3 - "$WORK/ctl.out" "$NOW" "$RECORDED" <<'PY' || fail "rackbootctl after kill -9"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
now, recorded = int(sys.argv[2]), int(sys.argv[3])
ids = [e["id"] for e in ev if e["kind"] != "lost"]
assert ids == sorted(set(ids)), "duplicates or out of order"
gap = [e["data"] for e in ev if e["kind"] == "lost" and e["data"]["reason"] == "restart"]
assert gap and gap[-1]["first_id"] == now + 1 and gap[-1]["last_id"] == recorded, gap
PY
pass "after kill -9 the next id is $((RECORDED + 1)), past the recorded block; rackbootctl was told ids $((NOW + 1))..$RECORDED are gone"
