#!/usr/bin/env bash
# The DPDK backend on a veth through net_af_packet: the kernel's ping and real TFTP clients in
# another namespace talk to rackbootd, which answers ARP, ICMP and TFTP itself; a disk image's file and
# a board's rendered file go out by reference too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
netns_setup
# rackbootd owns the address through DPDK: the kernel side of the veth keeps none.
ip -n "$NS_SRV" addr flush dev "$IF_SRV"
# Clients keep tx checksum offload on, as a kernel peer on a veth does by default: their UDP
# checksums arrive partial, and rackbootd must accept them as the kernel would.
ip netns exec "$NS_CLI" ethtool -K "$IF_CLI" tx on >/dev/null 2>&1 || true
ip -n "$NS_CLI" addr add "$NET.0.2/16" dev "$IF_CLI"
ROOT=$WORK/root
declare -A SIZES=([one]=1 [b512]=512 [x1468]=$((1468 * 3)) [start4]=2253088)
for name in "${!SIZES[@]}"; do make_file "$ROOT/$name.bin" "${SIZES[$name]}"; done
RB_NETNS=$NS_SRV
# A second port comes first (net_null, port 0): --port picks the veth's by name.
start_rackbootd --tftp-root "$ROOT" --backend dpdk --ip "$SRV_IP/16" --workers 1 --port net_af_packet0 \
    --eal "$(eal_args rbaf$$ --vdev=net_null0,no-rx=1 --vdev=net_af_packet0,iface=$IF_SRV)"
grep -q "backend=dpdk port=net_af_packet0" "$WORK/rackbootd.log" || fail "not on the DPDK backend"
grep -q "tx_payload=zero_copy iova=va .*cache_dma=mapped" "$WORK/rackbootd.log" \
    || fail "the block cache is not registered and mapped for the port's DMA: $(grep event=start "$WORK/rackbootd.log")"

in_cli ping -c 3 -i 0.2 -W 2 "$SRV_IP" > "$WORK/ping.log" || fail "ping: $(cat "$WORK/ping.log")"
pass "ARP and ping answered by the DPDK backend"

for client in "${TFTP_CLIENTS[@]}"; do
    for name in $(printf '%s\n' "${!SIZES[@]}" | sort); do
        out="$WORK/$client-$name"
        FETCH_NETNS=$NS_CLI FETCH_TIMEOUT=60 tftp_fetch "$client" "$SRV_IP" 69 "$name.bin" "$out" ||
            fail "$client could not fetch $name.bin over DPDK"
        same_sha "$ROOT/$name.bin" "$out" "$client $name.bin over DPDK"
    done
    pass "$client: every file over DPDK"
done
out=$(in_cli tftp -m binary "$SRV_IP" -c get ../etc/passwd "$WORK/passwd" 2>&1 || true)
grep -q 'Error code 2' <<<"$out" || fail "traversal over DPDK not refused: $out"
sleep 0.3
expect_metric 'rackboot_tftp_transfers_total{result="complete"}' 20
[ "$(metric 'rackboot_arp_replies_total')" -ge 1 ] || fail "no ARP reply counted"
[ "$(metric 'rackboot_icmp_replies_total')" -ge 3 ] || fail "pings not counted"
[ "$(metric 'rackboot_udp_partial_checksums_total')" -gt 0 ] || fail "no partial checksum seen (offload on the client?)"
[ "$(metric 'rackboot_frame_drops_total{reason="udp_bad_checksum"}')" = 0 ] || fail "partial checksums were dropped"
# Zero copy: DATA payloads left as references into the block cache, none copied.
[ "$(metric rackboot_tx_copied_bytes_total)" = 0 ] || fail "payload bytes were copied"
[ "$(metric rackboot_tx_zero_copy_bytes_total)" -ge "$(metric rackboot_tftp_bytes_total)" ] || fail "payload not sent by reference"
# The port's own losses are exported (frames no worker saw: none at this load).
expect_metric rackboot_port_rx_missed_total 0
expect_metric rackboot_port_rx_no_mbuf_total 0
pass "counters, and every DATA payload sent by reference (zero copy)"

# A disk image's files and a board's rendered file over DPDK (issue 21): the image's runs and the
# rendered bytes (a pinned cache chunk) go out by reference as any file does; {server} is the
# address the request came to.
for tool in sfdisk mkfs.vfat mcopy; do command -v "$tool" >/dev/null || skip "needs $tool"; done
kill "$RB_PID"; wait "$RB_PID" 2>/dev/null || true
mkdir -p "$WORK/images"
truncate -s 20M "$WORK/images/pi.img"
printf 'label: dos\n2048,16M,c\n' | sfdisk -q "$WORK/images/pi.img"
mkfs.vfat -F 16 --offset 2048 "$WORK/images/pi.img" 16384 > /dev/null 2>&1
mcopy -i "$WORK/images/pi.img@@1048576" "$ROOT/start4.bin" ::/Start4.ELF
start_rackbootd --tftp-root "$ROOT" --backend dpdk --ip "$SRV_IP/16" --workers 1 --port net_af_packet0 \
    --state "$WORK/state" --images-root "$WORK/images" --api 127.0.0.1:0 \
    --eal "$(eal_args rbaf$$ --vdev=net_null0,no-rx=1 --vdev=net_af_packet0,iface=$IF_SRV)"
TOKEN=$(cat "$WORK/state/api-token")
post() {
    in_srv curl -sf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary "$2" "http://$API$1" || fail "POST $1 $2"
}
post /api/v1/images "{\"name\":\"pi\",\"kind\":\"img\",\"path\":\"$WORK/images/pi.img\"}"
post /api/v1/boards '{"serial":"5a5a0001","image":"pi","files":{"cmdline.txt":"nbdroot={server}/{serial}"}}'
in_cli tftp -m binary "$SRV_IP" -c get 5a5a0001/start4.elf "$WORK/img-start4" || fail "start4.elf from the image over DPDK"
same_sha "$ROOT/start4.bin" "$WORK/img-start4" "start4.elf from the image over DPDK"
in_cli tftp -m binary "$SRV_IP" -c get 5a5a0001/cmdline.txt "$WORK/cmdline" || fail "cmdline.txt over DPDK"
[ "$(cat "$WORK/cmdline")" = "nbdroot=$SRV_IP/5a5a0001" ] || fail "rendered over DPDK: $(cat "$WORK/cmdline")"
sleep 0.3
[ "$(metric rackboot_tx_copied_bytes_total)" = 0 ] || fail "payload bytes were copied"
pass "a disk image's file and a rendered cmdline.txt over DPDK, by reference"
