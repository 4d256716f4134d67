#!/usr/bin/env bash
# Real TFTP clients fetch files of awkward sizes; every copy is compared by sha256.
# Usage: clients.sh CLIENT   (one of TFTP_CLIENTS, tests/support/rackbootd.sh)
source "$(dirname "$0")/lib.sh"
client=$1

ROOT=$WORK/root
# 0, 1, 511/512/513 around the default block, a multiple of 1468, 8 MB, and > 65535 blocks at 512.
declare -A SIZES=([empty]=0 [one]=1 [b511]=511 [b512]=512 [b513]=513 [x1468]=$((1468 * 3)) [eightmb]=$((8 * 1024 * 1024)))
if [ "${RACKBOOT_BIG:-1}" = 1 ]; then SIZES[big]=$((512 * 65536 + 1000)); fi
for name in "${!SIZES[@]}"; do make_file "$ROOT/$name.bin" "${SIZES[$name]}"; done
start_rackbootd --tftp-root "$ROOT" --workers 1

n=0
for name in $(printf '%s\n' "${!SIZES[@]}" | sort); do
    rm -f "$WORK/out"
    tftp_fetch "$client" 127.0.0.1 "$PORT" "$name.bin" "$WORK/out" || fail "$client could not fetch $name.bin (${SIZES[$name]} bytes)"
    same_sha "$ROOT/$name.bin" "$WORK/out" "$client $name.bin"
    n=$((n + 1))
    pass "$client $name.bin (${SIZES[$name]} bytes)"
done
sleep 0.2
expect_metric 'rackboot_tftp_transfers_total{result="complete"}' "$n"
expect_metric 'rackboot_tftp_transfers_total{result="timeout"}' 0
expect_metric 'rackboot_tftp_active_transfers' 0
wait_log 'event=tftp_transfer .*result=complete' || fail "no transfer log line"
pass "$client: $n files"
