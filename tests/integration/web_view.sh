#!/usr/bin/env bash
# The web view (issue 23) in a real browser while rackboot-swarm boots two racks through
# net_af_packet: Debian's chromium, headless, loads / from rackbootd before the power-on and,
# live from the event stream, shows every board booted but one, whose kernel is refused (a
# symlink out of its image) and whose tile names the file and why; a click shows its timeline;
# read-only without the token, with it the failed board is moved to a good image and a rack is
# turned netboot off from the page. A screenshot
# of the booted racks is kept at BUILD/test-artifacts/web_view.png. RB_WEB_PIS sets the size (default 120).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
: "${RACKBOOTCTL:?RACKBOOTCTL must point at rackbootctl}"
for tool in chromium chromedriver; do command -v $tool >/dev/null || skip "needs $tool (tools/install-deps)"; done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || skip "needs python3-selenium (tools/install-deps)"
HERE=$(cd "$(dirname "$0")" && pwd)
ARTIFACTS=${RACKBOOT_BUILD_DIR:-$WORK}/test-artifacts
mkdir -p "$ARTIFACTS"
netns_setup
PREFIX=rbweb$$
test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
mixed_pi_tree "$WORK/tree"
# The image of the board that fails: the same files, its kernel a symlink out of the image.
mkdir -p "$WORK/images/broken"
cp -a "$WORK/tree/." "$WORK/images/broken/"
echo secret > "$WORK/outside"
ln -sf "$WORK/outside" "$WORK/images/broken/kernel8.img"
RACK=${RB_WEB_PIS:-120}
# Under ASan (several times slower) a smaller rack, so that no file outlasts the firmware's 30 s.
[ -n "${RB_SANITIZED:-}" ] && [ -z "${RB_WEB_PIS:-}" ] && RACK=40
RB_NETNS=$NS_SRV
rackbootd_start "$WORK/rackbootd.log" --tftp-port 69 --api 127.0.0.1:0 --listen "$SRV_IP" --dhcp-interface "$IF_SRV" \
    --tftp-root "$WORK/tree" --images-root "$WORK/images" --state "$WORK/state" --dhcp server \
    --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.200.0" || fail "rackbootd did not start"
API=$RB_API
TOKEN=$(cat "$WORK/state/api-token")
ctl() { ip netns exec "$NS_SRV" "$RACKBOOTCTL" --api "$API" --token-file "$WORK/state/api-token" "$@"; }
mkdir -p "$WORK/images/good"
cp -a "$WORK/tree/." "$WORK/images/good/"
ctl images add broken "$WORK/images/broken" && ctl images add good "$WORK/images/good" || fail "images add"
"$RACKBOOT_SWARM" --list-fleet --pis $RACK --mix pi4=9,pi5=1 > "$WORK/fleet" || fail "--list-fleet"
n=0
while read -r serial mac _; do
    rack=r1
    [ $n -ge $((RACK / 2)) ] && rack=r2
    ctl boards add "$serial" --mac "$mac" --name "$rack-u$(printf %02d $((n % (RACK / 2) + 1)))" --label rack=$rack \
        > /dev/null || fail "boards add $serial"
    n=$((n + 1))
done < "$WORK/fleet"
BROKEN=$(sed -n 7p "$WORK/fleet" | cut -d' ' -f1)
ctl boards set "$BROKEN" --image broken > /dev/null || fail "the broken board"
ctl --json boards ls > "$WORK/boards.json" || fail "boards ls"

ip netns exec "$NS_SRV" /usr/bin/python3 "$HERE/web_view.py" "http://$API/" "$TOKEN" "$WORK" $RACK "$BROKEN" \
    "$ARTIFACTS/web_view.png" > "$WORK/browser.out" 2>&1 &
BROWSER=$!
PIDS+=($BROWSER)
for _ in $(seq 1 300); do [ -f "$WORK/ready" ] && break; kill -0 $BROWSER 2>/dev/null || break; sleep 0.1; done
[ -f "$WORK/ready" ] || fail "the page did not load: $(cat "$WORK/browser.out")"
swarm_over_veth "${PREFIX}c" --boards "$WORK/boards.json" --tree "$WORK/tree" --attempts 1 \
    --require "booted=$((RACK - 1)),failed=1" > "$WORK/boot.out" 2>&1 &
SWARM=$!
PIDS+=($SWARM)
wait $BROWSER || fail "the browser: $(cat "$WORK/browser.out")"
wait $SWARM || fail "the rack: $(tail -5 "$WORK/boot.out")"
[ -s "$ARTIFACTS/web_view.png" ] || fail "no screenshot"
pass "$(tail -1 "$WORK/browser.out")"
pass "screenshot: $ARTIFACTS/web_view.png"
