#!/usr/bin/env bash
# A real netboot firmware against the DPDK backend: u-boot in qemu-system-aarch64 on a tap,
# rackbootd owning the tap through net_af_packet (or, RB_UBOOT_NET=vhost, the guest's virtio-net
# through vhost-user) in full DHCP mode (u-boot is not a Pi, so proxy mode rightly ignores it).
# Bounded in time.
source "$(dirname "$0")/lib.sh"
command -v qemu-system-aarch64 >/dev/null && [ -f /usr/lib/u-boot/qemu_arm64/u-boot.bin ] \
    || fail "qemu-system-aarch64 and u-boot-qemu are needed (tools/install-deps installs them)"
need_root "network namespaces"
NS=rbu-$(printf '%x' $(( ($$ + RANDOM) % 65536 )))
TAP=rbtap$(printf '%x' $(( RANDOM % 4096 )))
NET=10.$(( ($$ + RANDOM) % 200 + 20 ))
ip netns add "$NS"
netns_cleanup() {
    ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null || true
    sleep 0.2
    ip netns del "$NS" 2>/dev/null || true
}
ip -n "$NS" link set lo up
ip netns exec "$NS" ip tuntap add dev "$TAP" mode tap
ip -n "$NS" link set "$TAP" up
ROOT=$WORK/root
make_file "$ROOT/kernel8.img" $((8 * 1024 * 1024))
RB_NETNS=$NS
# RB_UBOOT_NET=vhost: the guest's virtio-net is served by DPDK's vhost-user backend (net_vhost)
# straight from the guest's shared memory, no kernel in the path; otherwise a tap that rackbootd
# owns through net_af_packet.
if [ "${RB_UBOOT_NET:-tap}" = vhost ]; then
    PORT_NAME=net_vhost0
    PORT="--vdev=$PORT_NAME,iface=$WORK/vhost.sock,queues=1"
    GUEST_NET="vhost:$WORK/vhost.sock"
else
    PORT_NAME=net_af_packet0
    PORT="--vdev=$PORT_NAME,iface=$TAP"
    GUEST_NET=$TAP
fi
start_rackbootd --tftp-root "$ROOT" --backend dpdk --ip "$NET.0.1/16" --workers 1 \
    --eal "$(eal_args rb$TAP $PORT)" \
    --dhcp server --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.1.255" --state "$WORK/state"
grep -q "backend=dpdk port=$PORT_NAME " "$WORK/rackbootd.log" ||
    fail "not on the expected port: $(grep event=start "$WORK/rackbootd.log")"
timeout 600 /usr/bin/python3 "$(dirname "$0")/uboot_boot.py" "$NS" "$GUEST_NET" "$NET.0.1" "$ROOT/kernel8.img" kernel8.img \
    "$WORK/uboot.log" || fail "u-boot did not boot from rackbootd"
wait_log 'event=dhcp type=request .*result=replied' || fail "no DHCP ACK logged"
wait_log 'file="kernel8.img" result=complete .*windowsize=8' || fail "no windowed transfer logged"
pass "u-boot (${RB_UBOOT_NET:-tap}): dhcp and tftpboot over DPDK, CRC32 matches"
