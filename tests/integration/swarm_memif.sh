#!/usr/bin/env bash
# rackboot-swarm against rackbootd's DPDK backend over net_memif, no kernel in the path (issue 11):
#  1. each model's request sequence, step by step, as PI-BOOT.md's table has it;
#  2. 1,000 Pis powering on at once: every one boots, every file's sha256 right;
#  3. the same with 2% loss and 1% duplication in both directions;
#  4. each firmware-bug knob seen by the server as its quirk counter;
#  5. a board moved to another image through the API while the rack powers on boots the new
#     image on its next boot, and only that board does.
source "$(dirname "$0")/lib.sh"
need_root "the DPDK EAL"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
SOCK=$WORK/memif.sock
PREFIX=rbswarm$$

# A small tree with a realistic shape (the benchmark's is ~20 MB): config.txt names an initramfs
# and an overlay, so the file list comes from it as the firmware reads it.
tree() {  # DIR SEED
    mkdir -p "$1/overlays"
    for f in start4.elf:300000 fixup4.dat:5400 kernel8.img:400000 kernel_2712.img:350000 initramfs8:120000 \
        bcm2711-rpi-4-b.dtb:50000 bcm2712-rpi-5-b.dtb:50000 overlays/vc4-kms-v3d.dtbo:3000 \
        bootcode.bin:52000 start.elf:290000 fixup.dat:7000 bcm2710-rpi-3-b.dtb:30000; do
        make_file "$1/${f%%:*}" "${f##*:}"
    done
    echo "console=serial0,115200 ip=dhcp root=/dev/nbd0p2 image=$2" > "$1/cmdline.txt"
    printf '[pi4]\ndtoverlay=vc4-kms-v3d\n[all]\narm_64bit=1\ninitramfs initramfs8 followkernel\n' > "$1/config.txt"
}
# The rack: 1,000 Pis (300 under ASan, several times slower; see CMakeLists).
RACK=1000 P99='p99_boot_s<30'
[ -n "${RB_SANITIZED:-}" ] && RACK=300 P99='failed=0'
tree "$WORK/images/a" a
tree "$WORK/images/b" b

test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
ulimit -n 16384
start_rackbootd --backend dpdk --ip 10.9.0.1/20 --workers 1 --cpus 1 --tftp-root "$WORK/images/a" \
    --images-root "$WORK/images" --state "$WORK/state" --auto-discover \
    --dhcp server --subnet 10.9.0.0/20 --pool 10.9.1.0-10.9.15.250 \
    --eal "$(EAL_CORES=1 eal_args "${PREFIX}s" --vdev=net_memif0,role=server,socket="$SOCK",socket-abstract=no)"
TOKEN=$(cat "$WORK/state/api-token")
api() {  # api METHOD PATH BODY: prints the status code
    curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$3" "http://$API$2"
}
q() { metric "rackboot_tftp_quirks_total{quirk=\"$1\"}"; }

swarm() {  # ARGS...: runs the swarm on the client side of the memif; its exit status is returned
    EAL_MB=1024 timeout 240 "$RACKBOOT_SWARM" \
        --eal "$(EAL_CORES=0 eal_args "${PREFIX}c" --vdev=net_memif0,role=client,socket="$SOCK",socket-abstract=no)" \
        --progress off "$@"
}

# 1. Each model's sequence, against the table in PI-BOOT.md.
swarm --pis 3 --mix pi3=1,pi4=1,pi5=1 --tree "$WORK/images/a" --trace "$WORK/trace" --json "$WORK/seq.json" \
    --require 'failed=0,booted=3' > "$WORK/seq.out" || fail "3 models: $(cat "$WORK/seq.out")"
seq_of() { awk -v m="$1" '$3 == m && $4 == "RRQ" { line = $5; for (i = 6; i <= NF; i++) line = line " " $i; print line }' "$WORK/trace"; }
serial_of() { awk -v m="$1" '$3 == m { print $2; exit }' "$WORK/trace"; }
s4=$(serial_of pi4) s5=$(serial_of pi5)
want4="$s4/start4.elf tsize=0 blksize=1024
config.txt tsize=0 blksize=1024
recover4.elf tsize=0 blksize=1024
recovery.elf tsize=0 blksize=1024
start4.elf tsize=0 blksize=1024
start4.elf tsize=0 blksize=1024
fixup4.dat tsize=0 blksize=1024
fixup4.dat tsize=0 blksize=1024
config.txt tsize=0 blksize=1024
config.txt tsize=0 blksize=1024
config.txt tsize=0 blksize=1024
initramfs8 tsize=0 blksize=1024
initramfs8 tsize=0 blksize=1024
bcm2711-rpi-4-b.dtb tsize=0 blksize=1024
bcm2711-rpi-4-b.dtb tsize=0 blksize=1024
overlays/vc4-kms-v3d.dtbo tsize=0 blksize=1024
overlays/vc4-kms-v3d.dtbo tsize=0 blksize=1024
cmdline.txt tsize=0 blksize=1024
cmdline.txt tsize=0 blksize=1024
kernel8.img tsize=0 blksize=1024
kernel8.img tsize=0 blksize=1024"
[ "$(seq_of pi4)" = "$want4" ] || fail "Pi 4 sequence:
$(seq_of pi4)"
want3="bootcode.bin
bootsig.bin tsize=0
$(serial_of pi3)/start.elf tsize=0
autoboot.txt tsize=0
config.txt tsize=0
recovery.elf tsize=0
start.elf tsize=0
fixup.dat tsize=0
config.txt tsize=0
dt-blob.bin tsize=0
cmdline.txt tsize=0
kernel8.img tsize=0
initramfs8 tsize=0
bcm2710-rpi-3-b.dtb tsize=0"
[ "$(seq_of pi3)" = "$want3" ] || fail "Pi 3 sequence:
$(seq_of pi3)"
want5="$s5/config.txt tsize=0 blksize=1468
config.txt tsize=0 blksize=1468
pieeprom.sig tsize=0 blksize=1468
cmdline.txt tsize=0 blksize=1468
kernel_2712.img tsize=0 blksize=1468
kernel_2712.img tsize=0 blksize=1468
bcm2712-rpi-5-b.dtb tsize=0 blksize=1468
initramfs8 tsize=0 blksize=1468"
[ "$(seq_of pi5)" = "$want5" ] || fail "Pi 5 sequence:
$(seq_of pi5)"
grep -q "pi3 dhcp DISCOVER" "$WORK/trace" && ! grep -q "pi3 dhcp REQUEST" "$WORK/trace" ||
    fail "the Pi 3 ROM sends DISCOVER and no REQUEST"
[ "$(json_get "$WORK/seq.json" 'd["scenario"]["verify"]')" = sha256 ] || fail "bytes not checked by sha256"
pass "each model's sequence is PI-BOOT.md's, served by rackbootd over memif"

# 2. A rack of 1,000 powering on at once.
swarm --pis $RACK --mix pi4=8,pi5=1,pi3=1 --ramp 0 --tree "$WORK/images/a" --json "$WORK/rack.json" \
    --require "failed=0,booted=$RACK,$P99" > "$WORK/rack.out" || fail "$RACK Pis: $(cat "$WORK/rack.out")"
cat "$WORK/rack.out"
[ "$(json_get "$WORK/rack.json" 'd["boots"]["booted"]')" = $RACK ] || fail "not $RACK booted"
pass "$RACK Pis powered on at once, all booted with the right bytes"

# Steady reboots: 50 Pis, 40 reboots a second for 5 s, bounded by --duration: more boots than Pis,
# and the only failures the boots the bound cut short.
swarm --pis 50 --mix pi4=1 --churn 40 --duration 5 --tree "$WORK/images/a" --json "$WORK/churn.json" \
    --require 'booted>50,failed_wrong_bytes=0,failed_file_timeout=0,failed_dhcp_timeout=0' > "$WORK/churn.out" ||
    fail "churn: $(cat "$WORK/churn.out")"
[ "$(json_get "$WORK/churn.json" 'd["boots"]["started"] > 60 and d["elapsed_s"] < 6')" = True ] ||
    fail "churn: $(json_get "$WORK/churn.json" 'd["boots"]')"
pass "churn: $(json_get "$WORK/churn.json" 'd["boots"]["started"]') boots of 50 Pis in 5 s"

# 3. The same with 2% loss and 1% duplication each way.
r0=$(metric 'rackboot_tftp_retransmits_total')
d0=$(q duplicate_ack)
swarm --pis $RACK --mix pi4=8,pi5=1,pi3=1 --ramp 0 --tree "$WORK/images/a" --fault loss=0.02 --fault dup=0.01 \
    --json "$WORK/lossy.json" --require "failed=0,booted=$RACK" > "$WORK/lossy.out" ||
    fail "$RACK Pis, 2% loss: $(cat "$WORK/lossy.out")"
cat "$WORK/lossy.out"
[ "$(json_get "$WORK/lossy.json" 'd["faults_injected"]["lost"][0] > 0 and d["faults_injected"]["lost"][1] > 0 and d["faults_injected"]["duplicated"][1] > 0')" = True ] ||
    fail "faults not injected both ways"
[ "$(metric 'rackboot_tftp_retransmits_total')" -gt "$r0" ] || fail "the server never retransmitted"
[ "$(q duplicate_ack)" -gt "$d0" ] || fail "duplicated ACKs not seen by the server"
pass "$RACK Pis with 2% loss and 1% duplication: all booted"

# 4. Each firmware bug, seen by the server.
before() { echo "$(q rrq_race) $(q probe_abort) $(q probe_restart) $(q padded_ack) $(metric 'rackboot_dhcp_quirks_total{quirk="offer_without_request"}') $(metric 'rackboot_tftp_transfers_total{result="timeout"}')"; }
read -r race0 abort0 restart0 pad0 owr0 hung0 <<<"$(before)"
# The server counts a used OFFER when the Pi comes back for another (2 s on): boot twice, with
# MACs no earlier run used.
for run in 1 2; do
    [ $run = 1 ] || sleep 2.1
    swarm --pis 40 --mac-offset 100000 --mix pi4=1,pi5=1 --tree "$WORK/images/a" --fault rrq-race=0.3 --fault no-request=1 \
        --fault zero-pad-ack=1 --json "$WORK/quirks.json" --require 'failed=0' > "$WORK/quirks.out" ||
        fail "quirks run $run: $(cat "$WORK/quirks.out")"
done
[ "$(json_get "$WORK/quirks.json" 'd["quirks"]["rrq_races"] > 0 and d["quirks"]["offers_without_request"] == 40 and d["quirks"]["padded_ack_boots"] == 40')" = True ] ||
    fail "the swarm's own quirk counts: $(json_get "$WORK/quirks.json" 'd["quirks"]')"
# The duplicated-DATA trap: a duplicated DATA makes the Pi ACK a block never sent, then hang.
# Its Pis get MACs (so addresses and ports) of their own: the server's hung transfers outlive this
# run, and a later power-on's Pi on the same address and port would meet them (fresh-check once
# lost 7 of 1,000 Pis to that in step 5).
rc=0
swarm --pis 20 --mix pi4=1 --mac-offset 500000 --tree "$WORK/images/a" --fault dup-trap=1 --fault dup-rx=0.01 --file-timeout 3 \
    --json "$WORK/trap.json" > "$WORK/trap.out" || rc=$?
[ $rc -eq 0 ] || fail "dup-trap run: exit $rc: $(cat "$WORK/trap.out")"
read -r race1 abort1 restart1 pad1 owr1 hung1 <<<"$(before)"
[ "$race1" -gt "$race0" ] || fail "rrq-race: the server counted no rrq_race"
[ "$abort1" -gt "$abort0" ] && [ "$restart1" -gt "$restart0" ] || fail "probes: no probe_abort/probe_restart"
[ "$pad1" -gt "$pad0" ] || fail "zero-pad-ack: the server counted no padded_ack"
[ "$owr1" -ge $((owr0 + 40)) ] || fail "no-request: offer_without_request $owr0 -> $owr1"
# The Pi acknowledged a block it never had, then went deaf: the server's transfer times out (after
# the silence its retries allow, 19 s here).
for _ in $(seq 1 60); do
    [ "$hung1" -gt "$hung0" ] && break
    sleep 0.5
    hung1=$(metric 'rackboot_tftp_transfers_total{result="timeout"}')
done
[ "$hung1" -gt "$hung0" ] || fail "dup-trap: no transfer timed out on the server"
[ "$(json_get "$WORK/trap.json" 'd["quirks"]["dup_traps_sprung"] > 0 and d["boots"]["failed_by_reason"].get("file_timeout", 0) > 0')" = True ] ||
    fail "dup-trap: no Pi hung: $(cat "$WORK/trap.out")"
pass "rrq-race, probes, zero-pad-ack, no-request and dup-trap each seen by the server"

# 5. A board moved mid-power-on boots the new image next time. The first power-on discovers the
# boards (--auto-discover); one is moved to image b while the rack powers on again. Its Pis have
# MACs of their own (so addresses and ports): step 3's lossy run leaves transfers the server is
# still retrying (its swarm has gone), and a Pi on the same address and port met one (fresh-check
# lost 1 of 1,000 to a file timeout that way).
[ "$(api POST /api/v1/images "{\"name\":\"b\",\"path\":\"$WORK/images/b\"}")" = 201 ] || fail "image b: $(cat "$WORK/body")"
swarm --pis $RACK --mac-offset 200000 --mix pi4=1 --tree "$WORK/images/a" --tree "$WORK/images/b" --json "$WORK/boot1.json" --json-pis \
    --require 'failed=0' > "$WORK/boot1.out" &
SW=$!
PIDS+=($SW)
moved=""
for _ in $(seq 1 200); do
    curl -sf -H "Authorization: Bearer $TOKEN" "http://$API/api/v1/boards?limit=5" > "$WORK/boards" || true
    moved=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])).get("items", []); print(b[0]["serial"] if b else "")' "$WORK/boards" 2>/dev/null || true)
    [ -n "$moved" ] && break
    sleep 0.05
done
[ -n "$moved" ] || fail "no board discovered"
[ "$(api PATCH "/api/v1/boards/$moved" '{"image":"b"}')" = 200 ] || fail "move: $(cat "$WORK/body")"
wait $SW || fail "power-on with a move: $(cat "$WORK/boot1.out"; python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"boots\"][\"failure_samples\"][:3])" "$WORK/boot1.json")"
swarm --pis $RACK --mac-offset 200000 --mix pi4=1 --tree "$WORK/images/a" --tree "$WORK/images/b" --json "$WORK/boot2.json" --json-pis \
    --require 'failed=0' > "$WORK/boot2.out" || fail "next boot: $(cat "$WORK/boot2.out")"
images() { python3 -c 'import json,sys,collections; d=json.load(open(sys.argv[1])); m=sys.argv[2]
print(" ".join(str(p["image"]) for p in d["pis"] if (p["serial"] == m) == (sys.argv[3] == "it")) if sys.argv[3] == "it" else collections.Counter(p["image"] for p in d["pis"] if p["serial"] != m))' "$@"; }
[ "$(images "$WORK/boot2.json" "$moved" it)" = 1 ] || fail "board $moved did not boot image b: $(images "$WORK/boot2.json" "$moved" it)"
[ "$(images "$WORK/boot2.json" "$moved" others)" = "Counter({0: $((RACK - 1))})" ] ||
    fail "other boards: $(images "$WORK/boot2.json" "$moved" others)"
pass "board $moved, moved to image b during the power-on, boots b next time; the $((RACK - 1)) others boot a"
