#!/usr/bin/env bash
# A block cache smaller than the files in flight: chunks are evicted and read again while
# transfers wait for them, and every copy is still exact.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
for i in 1 2 3; do make_file "$ROOT/kernel$i.img" $((8 * 1024 * 1024 + i * 1000)); done
start_rackbootd --tftp-root "$ROOT" --workers 1 --cache-mb 16
pids=()
for c in 1 2 3 4; do
    for i in 1 2 3; do
        timeout 120 curl -sf --tftp-blksize 1468 -o "$WORK/out-$c-$i" "tftp://127.0.0.1:$PORT/kernel$i.img" &
        pids+=($!)
    done
done
for p in "${pids[@]}"; do wait "$p" || fail "a fetch failed"; done
for c in 1 2 3 4; do for i in 1 2 3; do same_sha "$ROOT/kernel$i.img" "$WORK/out-$c-$i" "kernel$i.img copy $c"; done; done
sleep 0.2
expect_metric 'rackboot_tftp_transfers_total{result="complete"}' 12
reads=$(metric rackboot_cache_chunk_reads_total)
# 3 files of 129 chunks each: reading more than that means chunks were evicted and read again.
[ "$reads" -gt 387 ] || fail "expected eviction and re-reads, cache read $reads chunks"
pass "12 fetches of 24 MB of files through a 16 MB cache"
