#!/usr/bin/env bash
# A mixed rack (30% Pi 3 with 512-byte blocks, 40% Pi 4, 30% Pi 5) at 2% loss each way boots
# whole (issue 19, "Loss recovery"): rackboot-swarm over memif to rackbootd's DPDK backend. Time is
# scaled down as in swarm_link: a 10 s file timeout (the firmware's 30 s) and files sized so that
# paying a 50 ms floor for every loss passes it (a Pi 3's 2.5 MB kernel is 5,000 lock-step
# blocks, ~200 of them lost each way: 10 s of waiting), while a few round trips per loss end it
# in 1-3 s. With --loss-rto-ms 0 (the 50 ms floor throughout) about half of the rack fails here.
# Checked: every Pi boots with the right bytes, and the server resent (the loss was real) with
# few resends answered sooner than a round trip. The same script measures the full rack (RACK,
# TIMEOUT, KERNEL_KB, INITRAMFS_KB, LOSS, LOSS_RTO, EXTRA for rackbootd, SWARM_EXTRA, KEEP_JSON).
source "$(dirname "$0")/lib.sh"
need_root "the DPDK EAL"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
SOCK=$WORK/memif.sock
PREFIX=rbsloss$$
test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
RACK=${RACK:-30} TIMEOUT=${TIMEOUT:-10} KERNEL_KB=${KERNEL_KB:-2500} INITRAMFS_KB=${INITRAMFS_KB:-5000} LOSS=${LOSS:-0.02}
[ -n "${RB_SANITIZED:-}" ] && RACK=10
mkdir -p "$WORK/tree/overlays"
# Every model's files; the initramfs only for the Pi 4 and 5 ([pi4], [pi5] as the firmware reads).
for f in start4.elf:300000 fixup4.dat:5400 bcm2711-rpi-4-b.dtb:50000 bcm2712-rpi-5-b.dtb:50000 \
    overlays/vc4-kms-v3d.dtbo:3000 bootcode.bin:52000 start.elf:290000 fixup.dat:7000 bcm2710-rpi-3-b.dtb:30000 \
    kernel8.img:$((KERNEL_KB * 1000)) kernel_2712.img:$((KERNEL_KB * 1000)) initramfs8:$((INITRAMFS_KB * 1000)); do
    make_file "$WORK/tree/${f%%:*}" "${f##*:}"
done
echo "console=serial0,115200 ip=dhcp root=/dev/nbd0p2" > "$WORK/tree/cmdline.txt"
printf '[pi4]\ndtoverlay=vc4-kms-v3d\ninitramfs initramfs8 followkernel\n[pi5]\ninitramfs initramfs8 followkernel\n[all]\narm_64bit=1\n' \
    > "$WORK/tree/config.txt"
ulimit -n 16384
RTO=()
[ -n "${LOSS_RTO:-}" ] && RTO=(--loss-rto-ms "$LOSS_RTO")
start_rackbootd --backend dpdk --ip 10.9.0.1/20 --workers 1 --cpus 1 --tftp-root "$WORK/tree" --state "$WORK/state" \
    --dhcp server --subnet 10.9.0.0/20 --pool 10.9.1.0-10.9.15.250 --file-timeout "$TIMEOUT" \
    --admission-target "$(python3 -c "print(max(1, round($TIMEOUT * 2 / 3)))")" "${RTO[@]}" ${EXTRA:-} \
    --eal "$(EAL_CORES=1 eal_args "${PREFIX}s" --vdev=net_memif0,role=server,socket="$SOCK",socket-abstract=no)"

r0=$(metric rackboot_tftp_retransmits_total) s0=$(metric rackboot_tftp_spurious_retransmits_total)
EAL_MB=1024 timeout 400 "$RACKBOOT_SWARM" \
    --eal "$(EAL_CORES=0 eal_args "${PREFIX}c" --vdev=net_memif0,role=client,socket="$SOCK",socket-abstract=no)" \
    --progress off --pis "$RACK" --mix pi3=3,pi4=4,pi5=3 --ramp 0 --tree "$WORK/tree" --fault loss="$LOSS" \
    --file-timeout "$TIMEOUT" --attempts 1 --duration 300 --json "$WORK/loss.json" ${SWARM_EXTRA:-} > "$WORK/loss.out" 2>&1 ||
    { cat "$WORK/loss.out"; fail "the swarm exited $?"; }
cat "$WORK/loss.out"
[ -n "${KEEP_JSON:-}" ] && cp "$WORK/loss.json" "$KEEP_JSON"
resent=$(($(metric rackboot_tftp_retransmits_total) - r0))
spurious=$(($(metric rackboot_tftp_spurious_retransmits_total) - s0))
echo "rackbootd resent $resent DATA, $spurious of them spurious"
python3 - "$WORK/loss.json" "$RACK" "$TIMEOUT" <<'PY' || fail "the mixed rack at ${LOSS} loss (above)"
import json, sys
d = json.load(open(sys.argv[1])); rack, timeout = int(sys.argv[2]), float(sys.argv[3])
b, r = d["boots"], d["rack"]
print(f"booted {b['booted']}/{rack}, failed {b['failed']}; all up in {r['time_to_all_up_s']:.1f} s; slowest file "
      f"{r['slowest_file_s']:.2f} s of {timeout:.0f}; lost each way {d['faults_injected']['lost']}")
sys.exit(0 if b["booted"] == rack and b["failed"] == 0 and min(d["faults_injected"]["lost"]) > 0 else 1)
PY
[ "$resent" -gt 0 ] && [ "$spurious" -lt $((resent / 10 + 1)) ] || fail "$resent resent, $spurious spurious"
pass "$RACK Pis (pi3, pi4, pi5) at $LOSS loss each way: all booted inside a ${TIMEOUT} s file timeout"
