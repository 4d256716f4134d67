#!/usr/bin/env bash
# The same boot files served from a disk image in place and from a directory, in the same run
# (issue 21; the figure nobodd was measured at: 20 x 8 MB from a fragmented FAT32 image). A FAT32
# image holds 20 files of 8 MB, each fragmented (written into the holes left by deleting every
# other 4 MB file); the directory holds the same bytes, copied out by mtools. rackbootd serves
# both (one board on each); each round fetches all 20 at once with curl (blksize 1468) through
# one board, and rounds alternate dir, img, ... Reported: each round's wall time, the median per
# kind and img/dir. Every fetched file of the first round of each kind is compared with the source.
# Usage: img_vs_dir.sh BUILD_DIR [--smoke] [RESULTS_MD]   (--smoke: 4 files of 2 MB, one round each)
set -euo pipefail
BUILD=${1:?build dir}
FILES=20 MB=8 ROUNDS=${ROUNDS:-5}
[ "${2:-}" = "--smoke" ] && { FILES=4; MB=2; ROUNDS=1; }
OUT=${3:-}
RACKBOOTD=$BUILD/src/rackbootd/rackbootd
source "$(dirname "$0")/../tests/support/skip.sh"
source "$(dirname "$0")/../tests/support/rackbootd.sh"
for tool in sfdisk mkfs.vfat mcopy mdel curl; do command -v "$tool" >/dev/null || skip "needs $tool"; done
WORK=$(mktemp -d /tmp/rackboot-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
export MTOOLS_SKIP_CHECK=1

mkdir -p "$WORK/root" "$WORK/images/dir" "$WORK/src"
IMG=$WORK/images/boot.img
PART_MB=$((FILES * MB * 2 + 16))
[ "$PART_MB" -ge 64 ] || PART_MB=64  # FAT32's floor of 65,525 clusters (512-byte ones: -s 1)
truncate -s $((PART_MB + 2))M "$IMG"
printf 'label: dos\n2048,%sM,c\n' "$PART_MB" | sfdisk -q "$IMG"
mkfs.vfat -F 32 -s 1 --offset 2048 "$IMG" $((PART_MB * 1024)) > /dev/null 2>&1
I="$IMG@@1048576"
head -c $((MB / 2))M /dev/urandom > "$WORK/half"
for i in $(seq 1 $((FILES * 2))); do mcopy -i "$I" "$WORK/half" "::/fill$i"; done
for i in $(seq 1 2 $((FILES * 2))); do mdel -i "$I" "::/fill$i"; done
# FSInfo's next-free hint back to the start, as after a remount: new files fill the holes.
printf '\x02\x00\x00\x00' | dd of="$IMG" bs=1 seek=$((1048576 + 512 + 492)) conv=notrunc 2> /dev/null
for i in $(seq 1 "$FILES"); do
    head -c "${MB}M" /dev/urandom > "$WORK/src/file$i.bin"
    mcopy -i "$I" "$WORK/src/file$i.bin" "::/file$i.bin"
done
for i in $(seq 1 "$FILES"); do mcopy -n -i "$I" "::/file$i.bin" "$WORK/images/dir/file$i.bin"; done
runs=$(mshowfat -i "$I" ::/file1.bin | grep -o '<[0-9-]*>' | wc -l)
echo "start4.elf" > "$WORK/images/dir/start4.elf"
chmod -R a+rX "$WORK"

rackbootd_start "$WORK/rackbootd.log" --tftp-root "$WORK/root" --tftp-port 0 --api 127.0.0.1:0 \
    --state "$WORK/state" --images-root "$WORK/images" --max-transfers-per-client 1000 || exit 1
TOKEN=$(cat "$WORK/state/api-token")
post() {
    curl -sf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary "$2" "http://$RB_API$1" || { echo "POST $1 $2 failed" >&2; exit 1; }
}
post /api/v1/images "{\"name\":\"dir\",\"path\":\"$WORK/images/dir\"}"
post /api/v1/images "{\"name\":\"img\",\"kind\":\"img\",\"path\":\"$IMG\"}"
post /api/v1/boards '{"serial":"5a5a0001","image":"dir"}'
post /api/v1/boards '{"serial":"5a5a0002","image":"img"}'

round() {  # round SERIAL CHECK: fetches every file at once; prints the wall seconds
    local start end pids=() i
    start=$(date +%s.%N)
    for i in $(seq 1 "$FILES"); do
        curl -s --max-time 120 --tftp-blksize 1468 -o "$WORK/got$i" "tftp://127.0.0.1:$RB_PORT/$1/file$i.bin" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || { echo "a fetch failed" >&2; exit 1; }; done
    end=$(date +%s.%N)
    if [ "$2" = check ]; then
        for i in $(seq 1 "$FILES"); do cmp -s "$WORK/got$i" "$WORK/src/file$i.bin" || { echo "file$i differs" >&2; exit 1; }; done
    fi
    python3 -c "print(f'{$end - $start:.2f}')"
}

declare -a DIR_T IMG_T
for r in $(seq 1 "$ROUNDS"); do
    check=$([ "$r" = 1 ] && echo check || echo no)
    DIR_T+=("$(round 5a5a0001 "$check")")
    IMG_T+=("$(round 5a5a0002 "$check")")
    echo "round $r: dir ${DIR_T[-1]} s, img ${IMG_T[-1]} s"
done
summary=$(python3 - "${DIR_T[*]}" "${IMG_T[*]}" <<'EOF'
import statistics, sys
d = [float(x) for x in sys.argv[1].split()]
i = [float(x) for x in sys.argv[2].split()]
md, mi = statistics.median(d), statistics.median(i)
print(f"dir median {md:.2f} s, img median {mi:.2f} s, img/dir {mi / md:.2f}")
EOF
)
echo "files=$FILES size=${MB}MB runs_of_file1=$runs $summary"
if [ -n "$OUT" ]; then
    {
        echo "# A disk image served in place against a directory (issue 21)"
        echo
        echo "\`bench/img_vs_dir.sh build-dev\` on $(date -u +%Y-%m-%d), this 2-vCPU host, socket backend, loopback:"
        echo "$FILES files of $MB MB in a FAT32 image, each in about $runs runs of clusters (file1: $runs), and the"
        echo "same bytes in a directory; each round fetches all $FILES at once with curl (blksize 1468)."
        echo
        echo "| round | dir (s) | img (s) |"
        echo "|---|---|---|"
        for r in $(seq 1 "$ROUNDS"); do echo "| $r | ${DIR_T[$((r - 1))]} | ${IMG_T[$((r - 1))]} |"; done
        echo
        echo "$summary."
    } > "$OUT"
fi
