#!/usr/bin/env bash
# The DPDK backend on net_tap, a port that offers UDP checksum offload: rackbootd flags its
# datagrams for the port (the tap PMD completes the checksum in software before the kernel sees
# the frame), and the kernel in the same namespace fetches files with curl, tftp-hpa and atftp (windowsize 16) by
# sha256; dumpcap and tshark on the tap check every checksum that came out. (The tap PMD recomputes the
# pseudo-header itself; the golden tests check the sum rackbootd leaves for a NIC.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
netns_setup
TAP=rbt${IF_SRV#rbs}
ip -n "$NS_SRV" addr flush dev "$IF_SRV"
ROOT=$WORK/root
declare -A SIZES=([one]=1 [x1468]=$((1468 * 3)) [start4]=2253088)
for name in "${!SIZES[@]}"; do make_file "$ROOT/$name.bin" "${SIZES[$name]}"; done
RB_NETNS=$NS_SRV
start_rackbootd --tftp-root "$ROOT" --backend dpdk --ip "$SRV_IP/16" --workers 1 \
    --eal "$(eal_args rbtap$$ --vdev=net_tap0,iface=$TAP)"
grep -q "backend=dpdk port=net_tap0 .*tx_checksum=port" "$WORK/rackbootd.log" ||
    fail "not on net_tap with checksum offload: $(grep event=start "$WORK/rackbootd.log")"
# The tap's kernel side is the client.
ip -n "$NS_SRV" addr add "$NET.0.2/16" dev "$TAP"
ip -n "$NS_SRV" link set "$TAP" up
in_srv ping -c 2 -i 0.2 -W 2 "$SRV_IP" > "$WORK/ping.log" || fail "ping over the tap: $(cat "$WORK/ping.log")"

in_srv dumpcap -i "$TAP" -w "$WORK/tap.pcap" -f "udp and src host $SRV_IP" > "$WORK/dumpcap.log" 2>&1 &
DUMPCAP=$!
for _ in $(seq 100); do grep -q Capturing "$WORK/dumpcap.log" && break; sleep 0.1; done
for client in curl1468 tftp-hpa atftp; do
    for name in $(printf '%s\n' "${!SIZES[@]}" | sort); do
        out="$WORK/$client-$name"
        FETCH_NETNS=$NS_SRV FETCH_TIMEOUT=60 tftp_fetch "$client" "$SRV_IP" 69 "$name.bin" "$out" ||
            fail "$client could not fetch $name.bin over the tap"
        same_sha "$ROOT/$name.bin" "$out" "$client $name.bin over net_tap"
    done
    pass "$client: every file, checksums completed by the port"
done
sleep 0.3
kill -TERM "$DUMPCAP"; wait "$DUMPCAP" 2>/dev/null || true  # (background jobs ignore SIGINT)
# udp.checksum.status: 1 good; 0 bad; 2 unverified (a zero, unset checksum).
# (tshark exits 2 on a capture whose last packet was cut short by the stop: count what it read)
statuses=$( (tshark -r "$WORK/tap.pcap" -o udp.check_checksum:TRUE -T fields -e udp.checksum.status 2>/dev/null || true) |
    sort | uniq -c)
[ "$(awk '$2 == 1 { print $1 }' <<<"$statuses")" -gt 1500 ] && ! awk '$2 != 1' <<<"$statuses" | grep -q . ||
    fail "checksums on the wire not all good: $statuses"
expect_metric 'rackboot_tftp_transfers_total{result="complete"}' 9
[ "$(metric rackboot_tx_checksum_offloaded_total)" -gt 1500 ] || fail "checksums not left to the port"
[ "$(metric rackboot_tx_payload_sums_reused_total)" = 0 ] || fail "software sums taken though the port offloads"
[ "$(in_srv cat /proc/net/snmp | awk '/^Udp:/ { n++; if (n == 2) print $8 }')" = 0 ] ||
    fail "the kernel saw UDP checksum errors: $(in_srv grep ^Udp: /proc/net/snmp)"
pass "UDP checksums offloaded to the port, none wrong at the kernel"
