#!/usr/bin/env bash
# A rack three times what its link carries within a file timeout boots whole, in waves (issue 19).
# rackboot-swarm puts a 100 Mb/s switch port with a 512 KiB queue between its Pi 4s and rackbootd
# (--link-rate), and every Pi runs its firmware's retry loop (--attempts 0). Time is scaled down
# so the run is short: a 6 s file timeout (the firmware's is 30 s) and a 4 s plan. Checked: every
# Pi boots, no spurious retransmit, the last Pi within 1.2x the floor (the rack's bytes over the
# path rate rackbootd measured), the goodput while Pis wait at least 90% of that rate, the slowest
# file at least 1 s (a sixth of the timeout, as 5 s of 30) inside its timeout, no DATA seen twice
# (a run that misses only these timing figures gets one more try: run_rack). Then (socket backend)
# the same rack is powered on again on the same rackbootd, with the same figures. Without admission
# the same rack shares the link until every file outlasts the timeout.
# RB_BACKEND=dpdk: rackbootd's DPDK backend over memif; else its socket backend on a veth, the
# swarm on the other end through af_packet.
source "$(dirname "$0")/lib.sh"
need_root "the DPDK EAL and network namespaces"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
PREFIX=rbslink$$
test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
mkdir -p "$WORK/tree/overlays"
# A 2 MB boot set of the benchmark's shape: config.txt names the initramfs and an overlay.
for f in start4.elf:300000 fixup4.dat:5400 kernel8.img:1000000 initramfs8:700000 bcm2711-rpi-4-b.dtb:50000 \
    overlays/vc4-kms-v3d.dtbo:3000; do
    make_file "$WORK/tree/${f%%:*}" "${f##*:}"
done
echo "console=serial0,115200 ip=dhcp root=/dev/nbd0p2" > "$WORK/tree/cmdline.txt"
printf '[pi4]\ndtoverlay=vc4-kms-v3d\n[all]\narm_64bit=1\ninitramfs initramfs8 followkernel\n' > "$WORK/tree/config.txt"
SET=$(du -sb "$WORK/tree" | cut -f1)
# 100 Mb/s carries ~11.7 MB/s of 1024-byte blocks: ~70 MB, 35 boots, in a 6 s file timeout.
RACK=105 TIMEOUT=6
[ -n "${RB_SANITIZED:-}" ] && RACK=60
ulimit -n 16384
TIMES=(--file-timeout $TIMEOUT --admission-target 4)
# rackbootd, fresh for run N (its own state; the last one stopped first, cleanly).
start_server() {
    local n=$1
    if [ -n "${RB_PID:-}" ]; then
        kill "$RB_PID" && wait "$RB_PID" || fail "rackbootd did not stop cleanly before run $n"
        grep -q '^event=stop' "$WORK/rackbootd.log" || fail "no clean stop in the log before run $n"
        mv "$WORK/rackbootd.log" "$WORK/rackbootd.$((n - 1)).log"
        RB_PID=""
    fi
    if [ "${RB_BACKEND:-socket}" = dpdk ]; then
        SOCK=$WORK/memif$n.sock
        start_rackbootd --backend dpdk --ip 10.9.0.1/20 --workers 1 --cpus 1 --tftp-root "$WORK/tree" \
            --state "$WORK/state$n" --dhcp server --subnet 10.9.0.0/20 --pool 10.9.1.0-10.9.15.250 "${TIMES[@]}" \
            --eal "$(EAL_CORES=1 eal_args "${PREFIX}s$n" --vdev=net_memif0,role=server,socket="$SOCK",socket-abstract=no)"
    else
        # Port 69, as a Pi asks (start_rackbootd would take an ephemeral one).
        rackbootd_start "$WORK/rackbootd.log" --tftp-port 69 --api 127.0.0.1:0 --listen "$SRV_IP" \
            --dhcp-interface "$IF_SRV" --tftp-root "$WORK/tree" --state "$WORK/state$n" --dhcp server \
            --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.200.0" "${TIMES[@]}" || fail "rackbootd did not start"
        API=$RB_API
    fi
}
if [ "${RB_BACKEND:-socket}" = dpdk ]; then
    swarm() {
        EAL_MB=1024 timeout 240 "$RACKBOOT_SWARM" \
            --eal "$(EAL_CORES=0 EAL_MB=1024 eal_args "${PREFIX}c" --vdev=net_memif0,role=client,socket="$SOCK",socket-abstract=no)" \
            --progress off "$@"
    }
else
    source "$(dirname "$0")/netns.sh"
    netns_setup
    RB_NETNS=$NS_SRV
    swarm() {
        ip netns exec "$NS_CLI" timeout 240 "$RACKBOOT_SWARM" \
            --eal "$(EAL_MB=1024 eal_args "${PREFIX}c" --vdev=net_af_packet0,iface="$IF_CLI")" --progress off "$@"
    }
fi

# One run of the rack, and its verdict: 0 every figure met; 1 a Pi did not boot, or a DATA was
# resent that nothing had lost (rackbootd counted a spurious retransmit); 2 only a figure the host's
# timing moves was missed: the time to all up, the goodput, the slowest file's margin, or a DATA
# seen twice after an ACK was lost on the host (no spurious retransmit: the resend was owed). On
# this two-core machine a stall of the kernel's network stack or of a build beside the test can
# do that, so such a run gets one more try, with a fresh rackbootd, and that one must meet every
# figure.
run_rack() {
    local n=$1 spurious_before spurious
    [ "${2:-}" = again ] || start_server "$n"  # powered on again: the same rackbootd
    spurious_before=$(metric rackboot_tftp_spurious_retransmits_total)
    swarm --pis $RACK --mix pi4=1 --ramp 0 --tree "$WORK/tree" --verify crc32 --link-rate 100m --link-buffer 512k \
        --attempts 0 --retry-delay 2 --file-timeout $TIMEOUT --duration 150 --json "$WORK/link$n.json" \
        > "$WORK/link$n.out" 2>&1 || fail "the swarm: $(cat "$WORK/link$n.out")"
    cat "$WORK/link$n.out"
    RATE=$(metric rackboot_path_rate_bytes_per_second)
    spurious=$(( $(metric rackboot_tftp_spurious_retransmits_total) - spurious_before ))
    echo "rackbootd measured the path at $RATE bytes/s; held $(metric 'rackboot_tftp_admission_total{outcome="held"}') transfers, $(metric 'rackboot_dhcp_packets_total{type="discover",result="held_for_room"}') DISCOVERs; $spurious spurious retransmits"
    [ "${RATE:-0}" -gt 0 ] || fail "no path rate measured"
    python3 - "$WORK/link$n.json" "$RACK" "$SET" "$RATE" "$TIMEOUT" "$spurious" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); rack, set_bytes, rate, timeout = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
spurious = int(sys.argv[6])
b, r = d["boots"], d["rack"]
floor = rack * set_bytes / rate
up = r["time_to_all_up_s"]
goodput = d["traffic"]["file_bytes"] / up if up > 0 else 0
dups = d["traffic"]["duplicates_seen"]
print(f"booted {b['booted']}/{rack}; all up in {up:.1f} s, floor {floor:.1f} s ({up / floor:.2f}x); goodput "
      f"{goodput / 1e6:.2f} MB/s, {100 * goodput / rate:.0f}% of the path; slowest file {r['slowest_file_s']:.2f} s of "
      f"{timeout:.0f}; attempts max {r['attempts_max']:.0f}; duplicates {dups}")
if b["booted"] != rack or b["failed"] != 0 or spurious != 0:
    sys.exit(1)
timed = 0 < up <= 1.2 * floor and goodput >= 0.9 * rate and r["slowest_file_s"] <= timeout - timeout / 6
sys.exit(0 if timed and dups == 0 else 2)
PY
}

verdict=0
run_rack 1 || verdict=$?
if [ "$verdict" = 2 ]; then
    echo "a figure the host's timing moves was missed: the rack once more"
    verdict=0
    run_rack 2 || verdict=$?
fi
[ "$verdict" = 0 ] || fail "the rack's figures (above)"
# The same rack powered on again right after its boot, on the same rackbootd: every Pi was
# admitted seconds ago, and its DISCOVER now is a new boot that waits for room like the first
# (answered at once as DHCP retries, the rack came back past the room: 2.01x the floor, or, the
# first boot's leftover transfers no longer holding new ones, 1.07-1.13x with files 5.9 s into
# their 6 s and boots failed once).
# Checked on the socket backend (the admission at DHCP is the same engine on worker 0 of either).
if [ "${RB_BACKEND:-socket}" = dpdk ]; then
    pass "$RACK Pis through a link that carries $((RACK / 3)) in a file timeout: all booted, in waves"
    exit 0
fi
echo "the same rack once more, on the same rackbootd"
run_rack 3 again || verdict=$?
if [ "$verdict" = 2 ]; then
    echo "a figure the host's timing moves was missed: the rack once more, again on the same rackbootd"
    verdict=0
    run_rack 4 again || verdict=$?
fi
[ "$verdict" = 0 ] || fail "the rack's figures when powered on again (above)"
pass "$RACK Pis through a link that carries $((RACK / 3)) in a file timeout: all booted, in waves, twice"
