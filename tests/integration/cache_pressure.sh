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

# The three files are 387 chunks of 64 KiB; the cache holds 256, so at least 131 are not
# resident now, and fetching all three again must read at least those again.
for i in 1 2 3; do
    curl -sf --tftp-blksize 1468 -o "$WORK/again-$i" "tftp://127.0.0.1:$PORT/kernel$i.img" || fail "re-fetch kernel$i.img"
    same_sha "$ROOT/kernel$i.img" "$WORK/again-$i" "kernel$i.img re-fetched"
done
reads=$(metric rackboot_cache_chunk_reads_total)
[ "$reads" -ge $((387 + 131)) ] || fail "expected eviction and re-reads, cache read only $reads chunks"
pass "15 fetches of 24 MB of files through a 16 MB cache ($reads chunk reads)"
