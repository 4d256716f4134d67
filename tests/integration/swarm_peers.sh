#!/usr/bin/env bash
# rackboot-swarm through net_af_packet on a veth to kernel servers in a network namespace (issue
# 11): rackbootd's socket backend (DHCP server and TFTP) boots a rack of 200 with every byte
# right; dnsmasq (DHCP with pxe-service, --enable-tftp) at its default tftp-max of 50 loses Pis
# the way users report (coinboot#67), the swarm says why, and a --require on it exits 99.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
command -v dnsmasq >/dev/null || skip "dnsmasq missing (tools/install-deps)"
netns_setup
PREFIX=rbswp$$
test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
mixed_pi_tree "$WORK/tree"

swarm() { swarm_over_veth "${PREFIX}c" "$@"; }

# 1. rackbootd's socket backend, a DHCP server and TFTP on the kernel's UDP.
RB_NETNS=$NS_SRV
ulimit -n 16384
# Port 69, as a Pi asks (start_rackbootd would take an ephemeral one).
rackbootd_start "$WORK/rackbootd.log" --tftp-port 69 --api 127.0.0.1:0 --listen "$SRV_IP" --dhcp-interface "$IF_SRV" --tftp-root "$WORK/tree" --state "$WORK/state" \
    --dhcp server --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.200.0" || fail "rackbootd did not start"
RACK=200  # 60 under ASan: several times slower, its files would outlast the firmware's 30 s
[ -n "${RB_SANITIZED:-}" ] && RACK=60
swarm --pis $RACK --mix pi3=1,pi4=8,pi5=1 --tree "$WORK/tree" --json "$WORK/rb.json" \
    --require "failed=0,booted=$RACK" > "$WORK/rb.out" || fail "rackbootd (sockets): $(cat "$WORK/rb.out")"
cat "$WORK/rb.out"
kill "$RB_PID"
wait "$RB_PID" || fail "rackbootd did not stop cleanly"
RB_PID=""
pass "$RACK Pis through af_packet to rackbootd's socket backend: all booted, every byte right"

# 2. dnsmasq as the usual Pi netboot setup, at its default tftp-max.
ip netns exec "$NS_SRV" dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="$IF_SRV" --bind-interfaces \
    --no-ping --dhcp-range="$NET.1.0,$NET.200.0,255.255.0.0,1h" --dhcp-leasefile="$WORK/dnsmasq.leases" \
    --dhcp-lease-max=100000 --pxe-service=0,"Raspberry Pi Boot" --enable-tftp --tftp-root="$WORK/tree" \
    --log-facility="$WORK/dnsmasq.log" > /dev/null 2>&1 &
PIDS+=($!)
sleep 1
rc=0
swarm --pis 200 --mix pi4=1 --tree "$WORK/tree" --json "$WORK/dm.json" --duration 100 --require 'failed=0' \
    > "$WORK/dm.out" || rc=$?
cat "$WORK/dm.out"
[ $rc -eq 99 ] || fail "a failed --require must exit 99, not $rc"
[ "$(json_get "$WORK/dm.json" 'd["boots"]["failed"] > 0 and d["boots"]["failed_by_reason"].get("file_timeout", 0) > 0')" = True ] ||
    fail "dnsmasq at tftp-max 50 lost no Pi to a file timeout"
[ "$(json_get "$WORK/dm.json" 'd["boots"]["failure_samples"][0]["file"] != ""')" = True ] || fail "no failed file named"
[ "$(json_get "$WORK/dm.json" 'd["passed"]')" = False ] || fail "the report says the run passed"
pass "dnsmasq at its default tftp-max: $(json_get "$WORK/dm.json" 'd["boots"]["failed"]') of 200 failed, by reason $(json_get "$WORK/dm.json" 'd["boots"]["failed_by_reason"]'); exit 99"
