#!/usr/bin/env bash
# 200 concurrent curl fetches (two files, both block sizes) all complete correctly: half from
# one address (clients behind one address must not disturb each other), half from eight others
# (spread over both workers by the client-address steering). A site with that many clients behind
# one address (NAT) raises --max-transfers-per-client, as here.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
make_file "$ROOT/start4.elf" 2253088
make_file "$ROOT/fixup4.dat" 5456
start_rackbootd --tftp-root "$ROOT" --workers 2 --max-transfers-per-client 128
mkdir -p "$WORK/out"
pids=()
for i in $(seq 1 200); do
    f=start4.elf; [ $((i % 4)) = 0 ] && f=fixup4.dat
    bs=512; [ $((i % 2)) = 0 ] && bs=1468
    src=127.0.0.1; [ $((i % 2)) = 1 ] && src=127.0.0.$(( (i % 16) / 2 + 2 ))
    timeout 120 curl -sf --interface "$src" --tftp-blksize $bs -o "$WORK/out/$i" "tftp://127.0.0.1:$PORT/$f" &
    pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
[ $failed = 0 ] || fail "$failed of 200 fetches failed"
for i in $(seq 1 200); do
    f=start4.elf; [ $((i % 4)) = 0 ] && f=fixup4.dat
    same_sha "$ROOT/$f" "$WORK/out/$i" "fetch $i"
done
sleep 0.3
expect_metric 'rackboot_tftp_transfers_total{result="complete"}' 200
expect_metric 'rackboot_tftp_active_transfers' 0
expect_metric 'rackboot_tftp_transfers_total{result="aborted"}' 0
expect_metric 'rackboot_tftp_quirks_total{quirk="rrq_race"}' 0
for _ in $(seq 1 60); do [ "$(grep -c 'event=tftp_transfer' "$WORK/rackbootd.log")" -ge 200 ] && break; sleep 0.05; done
# Steering: every transfer of one client address on one worker, and both workers in use.
pairs=$(grep -o 'client=[0-9.]*:[0-9]* .* worker=[0-9]*' "$WORK/rackbootd.log" | sed -E 's/client=([0-9.]*):.* worker=([0-9]*)/\1 \2/' | sort -u)
[ "$(cut -d' ' -f1 <<<"$pairs" | sort | uniq -d)" = "" ] || fail "one client address served by two workers: $pairs"
[ "$(cut -d' ' -f2 <<<"$pairs" | sort -u | wc -l)" = 2 ] || fail "transfers did not spread over both workers: $pairs"
pass "200 concurrent fetches, all correct"
