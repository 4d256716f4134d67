#!/usr/bin/env bash
# The block cache's memory against the number of workers (issue 21): a rack of Pi 4s (rackboot-swarm
# over net_af_packet on a veth, all powered on at once) boots one boot set from rackbootd's socket
# backend at 1, 2 and 4 workers, in the same run. Each worker serves its own share of the Pis
# (steered by client address), so a cache per worker reads and holds the boot set once per worker;
# one shared cache holds it once. Reported per run: rackbootd's resident memory before the boot
# and at its peak (VmHWM), their difference (what the boot added: the boot set's working set,
# transfer tables, buffers), the cache's disk reads (rackboot_cache_chunk_reads_total) and both as ratios
# against 1 worker. Every Pi's files are checked (crc32) by the swarm; Pis that did not boot in
# time (the host's two CPUs shared by the fleet and the server) are counted, not hidden.
# Usage: shared_cache.sh BUILD_DIR [--smoke] [RESULTS_MD]
#   PIS (default 1000), SET_MB (the boot set, default 8), WORKERS ("1 2 4")
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PIS=${PIS:-1000} SET_MB=${SET_MB:-8} WORKERS=${WORKERS:-"1 2 4"}
[ "${2:-}" = "--smoke" ] && { PIS=40; SET_MB=2; WORKERS="1 2"; }
OUT=${3:-}
source "$HERE/netns_bench.sh" sharedcache
SWARM=$BUILD/tools/rackboot-swarm/rackboot-swarm
RACKBOOTD=$BUILD/src/rackbootd/rackbootd
[ -x "$SWARM" ] || skip "needs rackboot-swarm (a build with DPDK)"
PREFIX=rbcache$$
ip -n "$NS_CLI" addr flush dev "$IF_CLI"  # the swarm's Pis hold the addresses

# A Pi 4's boot set, SET_MB in all: start4.elf, fixup4.dat, the kernel, an initramfs, the dtb.
TREE=$WORK/tree
mkdir -p "$TREE"
big=$((SET_MB * 1000000 * 2 / 5))
for f in start4.elf:$((SET_MB * 1000000 / 10)) fixup4.dat:5400 kernel8.img:$big initramfs8:$((big - 300000)) \
    bcm2711-rpi-4-b.dtb:52000; do
    head -c "${f##*:}" /dev/urandom > "$TREE/${f%%:*}"
done
echo "console=serial0,115200 ip=dhcp root=/dev/nbd0p2 rootwait" > "$TREE/cmdline.txt"
printf '[all]\narm_64bit=1\ninitramfs initramfs8 followkernel\n' > "$TREE/config.txt"
SET_BYTES=$(du -sb "$TREE" | cut -f1)

kib() { sed -nE "s/^$1:[[:space:]]+([0-9]+) kB/\1/p" "/proc/$2/status"; }
RESULTS=$WORK/results.tsv
: > "$RESULTS"
for w in $WORKERS; do
    rm -rf "$WORK/state" /run/dpdk/"$PREFIX"*
    ip netns exec "$NS_SRV" "$RACKBOOTD" --listen "$SRV_IP" --dhcp-interface "$IF_SRV" --workers "$w" \
        --tftp-root "$TREE" --api 127.0.0.1:18070 --state "$WORK/state" --dhcp server --subnet "$NET.0.0/16" \
        --pool "$NET.1.0-$NET.200.0" --cache-mb 512 > "$WORK/rackbootd-$w.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do
        grep -q 'event=start' "$WORK/rackbootd-$w.log" 2>/dev/null && break
        sleep 0.1
    done
    kill -0 "$pid" || { echo "rackbootd did not start: $(tail -3 "$WORK/rackbootd-$w.log")" >&2; exit 1; }
    sleep 1
    idle=$(kib VmRSS "$pid")
    ip netns exec "$NS_CLI" timeout 600 "$SWARM" \
        --eal "$(EAL_MB=2048 eal_args "$PREFIX" --vdev=net_af_packet0,iface="$IF_CLI",framecnt=4096)" \
        --pis "$PIS" --mix pi4=1 --ramp 0 --tree "$TREE" --verify crc32 --duration 300 --json "$WORK/swarm-$w.json" \
        --progress off > "$WORK/swarm-$w.out" 2>&1 ||
        { echo "the swarm at $w workers did not run: $(tail -5 "$WORK/swarm-$w.out")" >&2; exit 1; }
    grep -E '^  (boots|failed|rack) ' "$WORK/swarm-$w.out" | sed "s/^/  $w workers: /" >&2 || true
    peak=$(kib VmHWM "$pid")
    reads=$(ip netns exec "$NS_SRV" curl -s http://127.0.0.1:18070/metrics |
        awk '/^rackboot_cache_chunk_reads_total/ {s += $2} END {print s + 0}')
    booted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["boots"]["booted"])' "$WORK/swarm-$w.json")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    printf '%s\t%s\t%s\t%s\t%s\n' "$w" "$idle" "$peak" "$reads" "$booted" >> "$RESULTS"
done

python3 - "$RESULTS" "$PIS" "$SET_BYTES" "$OUT" "$(nproc)" "$(uname -r)" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
pis, set_bytes, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base_added = base_reads = None
lines = [f"{pis} Pi 4s at once, one boot set of {set_bytes / 1e6:.1f} MB, socket backend, "
         f"{sys.argv[5]} CPUs, Linux {sys.argv[6]}", "",
         "| workers | Pis booted | RSS idle (MiB) | RSS peak (MiB) | added (MiB) | added / 1 worker | cache reads | reads / 1 worker | cache (MiB) |",
         "|---|---|---|---|---|---|---|---|---|"]
for w, idle, peak, reads, booted in rows:
    added = (int(peak) - int(idle)) / 1024
    reads = int(reads)
    if base_added is None:
        base_added, base_reads = added, max(reads, 1)
    lines.append(f"| {w} | {booted} | {int(idle) / 1024:.1f} | {int(peak) / 1024:.1f} | {added:.1f} | "
                 f"{added / base_added:.2f} | {reads} | {reads / base_reads:.2f} | {reads * 65536 / 2**20:.1f} |")
text = "\n".join(lines)
print(text)
if out:
    open(out, "w").write(text + "\n")
PY
