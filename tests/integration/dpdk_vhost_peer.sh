#!/usr/bin/env bash
# rackbootd's DPDK backend as a vhost-user backend (net_vhost) with a DPDK virtio-user guest on
# the other side (bench/dpdk_tftp_peer): 16 clients fetch a 4 MiB file over and over, every UDP
# checksum verified (the port takes the checksum offload: vhost finishes it for a guest that
# does not), every transfer's size checked. RB_PEER names the peer binary.
source "$(dirname "$0")/lib.sh"
need_root "the DPDK EAL"
[ -x "${RB_PEER:-}" ] || fail "RB_PEER must point at dpdk_tftp_peer"
ROOT=$WORK/root
make_file "$ROOT/big.bin" $((4 * 1024 * 1024))
SOCK=$WORK/vhost.sock
start_rackbootd --tftp-root "$ROOT" --backend dpdk --ip 10.9.0.1/24 --workers 1 \
    --eal "$(eal_args rbvh$$ --vdev=net_vhost0,iface=$SOCK,queues=1)"
grep -q "port=net_vhost0 .*tx_checksum=port" "$WORK/rackbootd.log" || fail "not on net_vhost with offload: $(grep event=start "$WORK/rackbootd.log")"
timeout 60 "$RB_PEER" --eal "$(eal_args rbvp$$ --vdev=virtio_user0,path=$SOCK,queues=1)" \
    --mode tftp --file big.bin --size $((4 * 1024 * 1024)) --clients 16 --seconds 1 --warmup 0.5 --verify on --linger 1 \
    > "$WORK/peer.out" 2>&1 &
PEER=$!
for _ in $(seq 1 300); do grep -q rx_pps= "$WORK/peer.out" && break; kill -0 "$PEER" 2>/dev/null || break; sleep 0.1; done
out=$(grep rx_pps= "$WORK/peer.out") || fail "the virtio-user peer gave no figure: $(cat "$WORK/peer.out")"
# Stop rackbootd while the peer leaves the port alone (see bench/dpdk_vs_testpmd.sh).
kill -TERM "$RB_PID"
wait "$RB_PID" || fail "rackbootd did not stop cleanly: $(tail -3 "$WORK/rackbootd.log")"
RB_PID=""
wait "$PEER" || fail "the peer failed: $out"
grep -q "bad_checksums=0 " <<<"$out" && grep -q "wrong_size=0 " <<<"$out" && ! grep -q "transfers_per_s=0.0" <<<"$out" ||
    fail "bad transfers over vhost: $out"
pass "virtio-user guest over vhost-user: checksums good, sizes right ($out)"
