#!/usr/bin/env bash
# Making a board's NBD root (issue 21): rackbootd's POST /api/v1/boards/SERIAL/root against cp on
# the same image, in the same run, on the same file system. The image is a Pi disk of IMG_MB with a
# 64 MiB FAT boot partition and DATA_MB of data in 12 runs in its root partition (the rest holes,
# as a freshly written Raspberry Pi OS image mostly is). Each round makes one board's root through
# the API (durable when answered: fsynced and renamed), then copies the image with
# `cp --sparse=never` (a full copy) and `cp --sparse=always` (GNU cp's own hole walk), each
# followed by sync. Reported: medians of the wall times and the bytes each product takes on disk,
# as ratios against the full copy. The root's bytes are compared with the image once.
# Usage: root_disk.sh BUILD_DIR [--smoke] [RESULTS_MD]   (--smoke: 96 MiB image, 8 MiB data, 1 round)
set -euo pipefail
BUILD=${1:?build dir}
IMG_MB=2048 DATA_MB=384 ROUNDS=${ROUNDS:-5}
[ "${2:-}" = "--smoke" ] && { IMG_MB=96; DATA_MB=8; ROUNDS=1; }
OUT=${3:-}
RACKBOOTD=$BUILD/src/rackbootd/rackbootd
source "$(dirname "$0")/../tests/support/skip.sh"
source "$(dirname "$0")/../tests/support/rackbootd.sh"
for tool in sfdisk mkfs.vfat curl nbd-server; do command -v "$tool" >/dev/null || skip "needs $tool"; done
WORK=$(mktemp -d /var/tmp/rackboot-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$WORK/roots/.nbd/nbd-server.pid" ] && kill "$(cat "$WORK/roots/.nbd/nbd-server.pid")" 2>/dev/null
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/root" "$WORK/images" "$WORK/roots" "$WORK/copies"
IMG=$WORK/images/raspios.img
truncate -s "${IMG_MB}M" "$IMG"
printf 'label: dos\n2048,64M,c\n,,83\n' | sfdisk -q "$IMG"
mkfs.vfat -F 32 -s 1 --offset 2048 "$IMG" 65536 > /dev/null 2>&1
ROOT_MB=$((1 + 64))
RUN_MB=$((DATA_MB / 12 > 0 ? DATA_MB / 12 : 1))
GAP_MB=$(((IMG_MB - ROOT_MB - 1) / 12))
for i in $(seq 0 11); do
    head -c "${RUN_MB}M" /dev/urandom | dd of="$IMG" bs=1M seek=$((ROOT_MB + i * GAP_MB)) conv=notrunc 2> /dev/null
done
sync
echo "start4.elf" > "$WORK/root/start4.elf"

NBD_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rackbootd_start "$WORK/rackbootd.log" --tftp-root "$WORK/root" --tftp-port 0 --api 127.0.0.1:0 \
    --state "$WORK/state" --images-root "$WORK/images" --roots "$WORK/roots" --nbd-listen "127.0.0.1:$NBD_PORT" || exit 1
TOKEN=$(cat "$WORK/state/api-token")
post() {  # post PATH BODY: prints curl's total seconds
    local out
    out=$(curl -s -o "$WORK/body" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${2:+--data-binary "$2"} "http://$RB_API$1")
    [ "${out%% *}" = 201 ] || { echo "POST $1: $out $(cat "$WORK/body")" >&2; exit 1; }
    echo "${out#* }"
}
post /api/v1/images "{\"name\":\"raspios\",\"kind\":\"img\",\"path\":\"$IMG\"}" > /dev/null
timed() {  # timed CMD...: runs it, then sync; prints the wall seconds
    local start end
    start=$(date +%s.%N)
    "$@"
    sync
    end=$(date +%s.%N)
    python3 -c "print(f'{$end - $start:.3f}')"
}
used() { echo $(($(stat -c %b "$1") * 512)); }

declare -a API_T FULL_T SPARSE_T
for r in $(seq 1 "$ROUNDS"); do
    serial=$(printf '5a5b%04x' "$r")
    post /api/v1/boards "{\"serial\":\"$serial\",\"image\":\"raspios\"}" > /dev/null
    API_T+=("$(post "/api/v1/boards/$serial/root")")
    FULL_T+=("$(timed cp --sparse=never "$IMG" "$WORK/copies/full")")
    SPARSE_T+=("$(timed cp --sparse=always "$IMG" "$WORK/copies/sparse")")
    disk=$WORK/roots/$serial.img
    if [ "$r" = 1 ]; then
        cmp -s "$disk" "$IMG" || { echo "the root differs from the image" >&2; exit 1; }
        METHOD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"]["method"])' "$WORK/body")
        API_USED=$(used "$disk") FULL_USED=$(used "$WORK/copies/full") SPARSE_USED=$(used "$WORK/copies/sparse")
    fi
    rm -f "$WORK/copies/full" "$WORK/copies/sparse"
    echo "round $r: rackbootd ${API_T[-1]} s ($METHOD), cp --sparse=never ${FULL_T[-1]} s, cp --sparse=always ${SPARSE_T[-1]} s"
done
summary=$(python3 - "${API_T[*]}" "${FULL_T[*]}" "${SPARSE_T[*]}" "$API_USED" "$FULL_USED" "$SPARSE_USED" <<'EOF'
import statistics, sys
a, f, s = ([float(x) for x in sys.argv[i].split()] for i in (1, 2, 3))
ua, uf, us = (int(sys.argv[i]) for i in (4, 5, 6))
ma, mf, ms = statistics.median(a), statistics.median(f), statistics.median(s)
print(f"medians: rackbootd {ma:.3f} s, cp --sparse=never {mf:.3f} s, cp --sparse=always {ms:.3f} s; "
      f"rackbootd/full {ma / mf:.2f}, rackbootd/cp-sparse {ma / ms:.2f}; on disk: rackbootd {ua >> 20} MiB, "
      f"full {uf >> 20} MiB, cp-sparse {us >> 20} MiB (rackbootd/full {ua / uf:.2f})")
EOF
)
echo "image=${IMG_MB}MiB data=${DATA_MB}MiB method=$METHOD $summary"
if [ -n "$OUT" ]; then
    {
        echo "# Making a board's NBD root against copying the image (issue 21)"
        echo
        echo "\`bench/root_disk.sh build-dev\` on $(date -u +%Y-%m-%d), this 2-vCPU host, $(stat -f -c %T "$WORK") under /var/tmp:"
        echo "a ${IMG_MB} MiB Pi disk image (64 MiB FAT boot partition, ${DATA_MB} MiB of data in 12 runs, the rest"
        echo "holes). Each round: POST /api/v1/boards/SERIAL/root (answered once the disk is fsynced and"
        echo "renamed), then \`cp --sparse=never\` and \`cp --sparse=always\` of the image, each followed by sync."
        echo "rackbootd's method here: $METHOD."
        echo
        echo "| round | rackbootd (s) | cp --sparse=never (s) | cp --sparse=always (s) |"
        echo "|---|---|---|---|"
        for r in $(seq 1 "$ROUNDS"); do
            echo "| $r | ${API_T[$((r - 1))]} | ${FULL_T[$((r - 1))]} | ${SPARSE_T[$((r - 1))]} |"
        done
        echo
        echo "${summary^}."
    } > "$OUT"
fi
