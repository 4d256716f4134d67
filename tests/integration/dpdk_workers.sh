#!/usr/bin/env bash
# Two DPDK workers on net_af_packet with two queue pairs: af_packet spreads frames by flow, not by
# client address, so rackbootd steers in software. Eight client addresses fetch at once with curl
# (and tftp-hpa); every file must arrive whole, each client address must be served by one worker
# only, and both workers must serve some.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
netns_setup
RB_DPDK_WORKERS=2 RB_BACKEND=dpdk backend_args
ROOT=$WORK/root
make_file "$ROOT/start4.elf" 2253088
make_file "$ROOT/small.bin" 5000
for i in $(seq 10 17); do ip -n "$NS_CLI" addr add "$NET.0.$i/16" dev "$IF_CLI"; done
RB_NETNS=$NS_SRV
start_rackbootd --tftp-root "$ROOT" "${BACKEND_ARGS[@]}"
grep -q "workers=2 .*steering=software-client-address" "$WORK/rackbootd.log" ||
    fail "not two software-steered workers: $(grep event=start "$WORK/rackbootd.log")"

pids=()
for i in $(seq 10 17); do
    for f in start4.elf small.bin; do
        in_cli timeout 60 curl -sf --interface "$NET.0.$i" --tftp-blksize 1468 -o "$WORK/$i-$f" "tftp://$SRV_IP/$f" &
        pids+=($!)
    done
done
for p in "${pids[@]}"; do wait "$p" || fail "a curl fetch failed"; done
for i in $(seq 10 17); do
    for f in start4.elf small.bin; do same_sha "$ROOT/$f" "$WORK/$i-$f" "$f to $NET.0.$i"; done
done
pass "16 concurrent fetches from 8 addresses over two workers"
in_cli timeout 60 tftp -m binary "$SRV_IP" -c get small.bin "$WORK/hpa-small" || fail "tftp-hpa failed"
same_sha "$ROOT/small.bin" "$WORK/hpa-small" "tftp-hpa small.bin"

for _ in $(seq 1 60); do
    [ "$(grep -c 'event=tftp_transfer .*result=complete' "$WORK/rackbootd.log")" -ge 17 ] && break
    sleep 0.05
done
# client=ADDR:PORT ... worker=N: one worker per address, both workers used.
pairs=$(sed -nE 's/.*event=tftp_transfer client=([0-9.]+):[0-9]+ .*result=complete.* worker=([0-9]+).*/\1 \2/p' \
    "$WORK/rackbootd.log" | sort -u)
[ "$(awk '{ print $1 }' <<<"$pairs" | sort | uniq -d)" = "" ] || fail "an address was served by both workers: $pairs"
[ "$(awk '{ print $2 }' <<<"$pairs" | sort -u | wc -l)" = 2 ] || fail "one worker served everything: $pairs"
[ "$(metric rackboot_handoff_frames_total)" -gt 0 ] || fail "no frame was handed between workers"
[ "$(metric 'rackboot_drops_total{reason="handoff_full"}')" = 0 ] || fail "hand-off rings overflowed"
[ "$(metric 'rackboot_drops_total{reason="unserved_port"}')" = 0 ] || fail "frames reached a worker without their transfer"
pass "each address on one worker, both workers serving, $(metric rackboot_handoff_frames_total) frames handed over"
