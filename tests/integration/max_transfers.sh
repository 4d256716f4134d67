#!/usr/bin/env bash
# --max-transfers means one thing on every backend: the cap in all, any one worker able to hold
# it. Two workers, a cap of 6, six transfers from one client address (one worker owns them all),
# the seventh refused as the cap; on the socket backend over loopback and (RB_BACKEND=dpdk) on two
# DPDK workers over a veth, where each worker's table used to be ceil(cap / workers) and the
# fourth transfer was refused with "server busy".
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$WORK/root
make_file "$ROOT/file.bin" 100000
CAP=6
if [ "${RB_BACKEND:-socket}" = dpdk ]; then
    source "$(dirname "$0")/netns.sh"
    netns_setup
    RB_DPDK_WORKERS=2 backend_args
    ip -n "$NS_CLI" addr add "$NET.0.2/16" dev "$IF_CLI"
    RB_NETNS=$NS_SRV
    start_rackbootd --tftp-root "$ROOT" "${BACKEND_ARGS[@]}" --max-transfers $CAP
    ip netns exec "$NS_CLI" /usr/bin/python3 "$HERE/max_transfers.py" "$SRV_IP" 69 "$NET.0.2" $CAP ||
        fail "the DPDK backend did not hold the cap on one worker"
else
    start_rackbootd --tftp-root "$ROOT" --workers 2 --max-transfers $CAP
    /usr/bin/python3 "$HERE/max_transfers.py" 127.0.0.1 "$PORT" 127.0.0.1 $CAP ||
        fail "the socket backend did not hold the cap on one worker"
fi
grep -q "workers=2 .*max_transfers=$CAP " "$WORK/rackbootd.log" || fail "not two workers with the cap: $(grep event=start "$WORK/rackbootd.log")"
[ "$(metric 'rackboot_drops_total{reason="transfer_cap"}')" = 1 ] || fail "transfer_cap not counted once"
[ "$(metric 'rackboot_drops_total{reason="no_slot"}')" = 0 ] || fail "a worker ran out of slots below the cap"
pass "--max-transfers $CAP on ${RB_BACKEND:-socket} with two workers: $CAP from one address, the next refused at the cap"
