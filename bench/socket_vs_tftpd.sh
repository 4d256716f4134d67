#!/usr/bin/env bash
# Transfers/s of rackbootd's socket backend against tftpd-hpa serving the same tree, measured in
# the same run with the same load generator (bench/tftp_load.cpp) on loopback.
# Usage: socket_vs_tftpd.sh BUILD_DIR [--smoke]   (--smoke: short runs, only checks it all works)
set -euo pipefail
BUILD=${1:?build dir}
SECONDS_EACH=5
CLIENTS=${CLIENTS:-32}
# --smoke: a few clients for 2 s, so even a loaded CI host completes a 2.25 MB transfer (32 lock-step
# clients for 1 s completed none of them there).
[ "${2:-}" = "--smoke" ] && { SECONDS_EACH=2; CLIENTS=4; }
LOAD=$BUILD/bench/tftp_load
RACKBOOTD=$BUILD/src/rackbootd/rackbootd
source "$(dirname "$0")/../tests/support/skip.sh"
source "$(dirname "$0")/../tests/support/rackbootd.sh"
WORK=$(mktemp -d /tmp/rackboot-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

chmod 755 "$WORK"
mkdir -p "$WORK/root"
head -c 5456 /dev/urandom > "$WORK/root/fixup4.dat"
head -c 2253088 /dev/urandom > "$WORK/root/start4.elf"
chmod -R a+rX "$WORK/root"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The load generator's one address stands for many clients: no per-client cap.
rackbootd_start "$WORK/rackbootd.log" --tftp-root "$WORK/root" --tftp-port 0 --workers 1 --api off \
    --max-transfers-per-client 1000000 || exit 1

TFTPD_PORT=$(free_port)
if [ "$(id -u)" = 0 ]; then
    in.tftpd -L -s "$WORK/root" -a "127.0.0.1:$TFTPD_PORT" &
    TFTPD_PREFIX=""
else
    in.tftpd -L -a "127.0.0.1:$TFTPD_PORT" &
    TFTPD_PREFIX="$WORK/root/"
fi
PIDS+=($!)
sleep 0.3

SOURCES=127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5
run() {  # run NAME PORT FILE SIZE PREFIX
    "$LOAD" --server "127.0.0.1:$2" --file "$5$3" --size "$4" --clients "$CLIENTS" --seconds "$SECONDS_EACH" \
        --blksize 1468 --sources "$SOURCES"
}
rate() { sed -nE 's/.*transfers_per_s=([0-9.]+).*/\1/p' <<<"$1"; }

status=0
for spec in "fixup4.dat 5456" "start4.elf 2253088"; do
    set -- $spec
    rb=$(run rackbootd "$RB_PORT" "$1" "$2" "") || status=1
    td=$(run tftpd-hpa "$TFTPD_PORT" "$1" "$2" "$TFTPD_PREFIX") || status=1
    echo "file=$1 server=rackbootd $rb"
    echo "file=$1 server=tftpd-hpa $td"
    awk -v a="$(rate "$rb")" -v b="$(rate "$td")" -v f="$1" \
        'BEGIN { if (b > 0) printf "file=%s ratio_rackbootd_over_tftpd_hpa=%.2f\n", f, a / b; else print "file=" f " tftpd-hpa made no transfers" }'
    [ "$(rate "$rb")" != "" ] && awk -v a="$(rate "$rb")" 'BEGIN { exit !(a > 0) }' || status=1
done
exit $status
