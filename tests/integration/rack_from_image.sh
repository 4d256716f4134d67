#!/usr/bin/env bash
# A rack from one disk image (issue 21): 500 Pi 4s (rackboot-swarm through net_af_packet on a
# veth) boot from one Raspberry Pi OS-like .img served in place by rackbootd's socket backend on
# two workers sharing one block cache. The image's cmdline.txt is overlaid by a template on the
# image, so every Pi gets its own, naming its own root; everything else is the image's. The
# expected bytes come from outside rackbootd: mtools copies every file out of the image, and each
# Pi's cmdline.txt is the template rendered here (python) for its serial, which the swarm lists
# before the run (--list-fleet). The swarm checks every file of every Pi against them (sha256),
# and the rack's files are read from the image once for both workers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
for tool in sfdisk mkfs.vfat mcopy mmd; do command -v "$tool" >/dev/null || skip "needs $tool (tools/install-deps)"; done
netns_setup
PREFIX=rbrimg$$
test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
export MTOOLS_SKIP_CHECK=1
RACK=500  # 100 under ASan: several times slower, its files would outlast the firmware's 30 s
[ -n "${RB_SANITIZED:-}" ] && RACK=100

# The image: an MBR with a FAT32 boot partition at 1 MiB holding a Pi 4's boot files, with
# mixed-case names and overlays/ as Raspberry Pi OS has them, and a Linux partition after it.
IMG=$WORK/images/rack.img
mkdir -p "$WORK/images" "$WORK/parts"
truncate -s 72M "$IMG"
printf 'label: dos\n2048,64M,c\n,,83\n' | sfdisk -q "$IMG"
mkfs.vfat -F 32 --offset 2048 "$IMG" 65536 > /dev/null 2>&1
I="$IMG@@1048576"
for f in start4.elf:900000 fixup4.dat:5400 kernel8.img:1500000 initramfs8:700000 bcm2711-rpi-4-b.dtb:52000 \
    vc4-kms-v3d.dtbo:3000; do
    make_file "$WORK/parts/${f%%:*}" "${f##*:}"
done
echo "console=serial0,115200 root=PARTUUID=00000000-02 rootwait the-image-s-own" > "$WORK/parts/cmdline.txt"
printf '[pi4]\ndtoverlay=vc4-kms-v3d\n[all]\narm_64bit=1\ninitramfs initramfs8 followkernel\n' > "$WORK/parts/config.txt"
mmd -i "$I" ::/overlays
mcopy -i "$I" "$WORK/parts/start4.elf" ::/Start4.elf
for f in fixup4.dat kernel8.img initramfs8 bcm2711-rpi-4-b.dtb cmdline.txt config.txt; do
    mcopy -i "$I" "$WORK/parts/$f" "::/$f"
done
mcopy -i "$I" "$WORK/parts/vc4-kms-v3d.dtbo" ::/overlays/vc4-kms-v3d.dtbo

# What each Pi must receive: the image's files as mtools reads them, under the names the
# firmware asks for, and its own cmdline.txt.
EXPECT=$WORK/expect
mkdir -p "$EXPECT"
mcopy -s -n -i "$I" '::/*' "$EXPECT/"
mv "$EXPECT/Start4.elf" "$EXPECT/start4.elf"
cmp -s "$EXPECT/kernel8.img" "$WORK/parts/kernel8.img" || fail "mtools does not read back the kernel"
TEMPLATE='console=serial0,115200 console=tty1 root=/dev/nfs nfsroot={server}:/srv/rackboot/roots/{serial},vers=4.1 rw ip=dhcp rootwait'
"$RACKBOOT_SWARM" --list-fleet --pis "$RACK" --mix pi4=1 > "$WORK/fleet" || fail "--list-fleet"
[ "$(wc -l < "$WORK/fleet")" = "$RACK" ] || fail "--list-fleet listed $(wc -l < "$WORK/fleet") Pis, not $RACK"
python3 - "$WORK/fleet" "$EXPECT" "$TEMPLATE" "$SRV_IP" "$WORK/boards.ini" "$IMG" <<'EOF' || fail "the expected files"
import os, sys
fleet, expect, template, server, ini, img = sys.argv[1:]
with open(ini, "w") as boards:
    for line in open(fleet):
        serial = line.split()[0]
        os.makedirs(f"{expect}/{serial}")
        open(f"{expect}/{serial}/cmdline.txt", "w").write(
            template.replace("{server}", server).replace("{serial}", serial) + "\n")
        boards.write(f"[board:{serial}]\nimage = {img}\n\n")
EOF

mkdir -p "$WORK/empty"
RB_NETNS=$NS_SRV
ulimit -n 16384
rackbootd_start "$WORK/rackbootd.log" --tftp-port 69 --api 127.0.0.1:0 --listen "$SRV_IP" --dhcp-interface "$IF_SRV" \
    --tftp-root "$WORK/empty" --images-root "$WORK/images" --state "$WORK/state" --workers 2 \
    --dhcp server --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.200.0" || fail "rackbootd did not start"
TOKEN=$(cat "$WORK/state/api-token")
api() {  # METHOD PATH TYPE BODY: prints the status code; the body in $WORK/body
    ip netns exec "$NS_SRV" curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H "Content-Type: $3" --data-binary "$4" "http://$RB_API$2"
}
body=$(python3 -c 'import json,sys; print(json.dumps({"name": "rack", "kind": "img", "path": sys.argv[1],
    "files": {"cmdline.txt": sys.argv[2] + "\n"}}))' "$IMG" "$TEMPLATE")
[ "$(api POST /api/v1/images application/json "$body")" = 201 ] || fail "the image: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards:import text/plain "@$WORK/boards.ini")" = 200 ] || fail "the boards: $(cat "$WORK/body")"
[ "$(json_get "$WORK/body" 'd["created"]')" = "$RACK" ] || fail "boards imported: $(cat "$WORK/body")"

ip netns exec "$NS_CLI" env EAL_MB=1024 timeout 240 "$RACKBOOT_SWARM" \
    --eal "$(EAL_MB=1024 eal_args "${PREFIX}c" --vdev=net_af_packet0,iface="$IF_CLI",framecnt=4096)" --progress off \
    --pis "$RACK" --mix pi4=1 --tree "$EXPECT" --verify sha256 --json "$WORK/rack.json" \
    --require "failed=0,booted=$RACK" > "$WORK/rack.out" || fail "the rack: $(cat "$WORK/rack.out")"
cat "$WORK/rack.out"
# Each Pi asked for its own directory (its serial) and got it: every file checked, cmdline.txt
# against its own rendering.
[ "$(json_get "$WORK/rack.json" 'd["traffic"]["files"] >= 7 * '"$RACK")" = True ] ||
    fail "fewer files than 7 a Pi: $(json_get "$WORK/rack.json" 'd["traffic"]')"
reads=$(ip netns exec "$NS_SRV" curl -sf "http://$RB_API/metrics" |
    awk '$1 ~ /^rackboot_cache_chunk_reads_total/ { s += $2 } END { print s + 0 }')
set_chunks=$(python3 -c 'import os,sys; print(sum((os.path.getsize(os.path.join(sys.argv[1], f)) + 65535) // 65536
    for f in ["start4.elf", "fixup4.dat", "kernel8.img", "initramfs8", "bcm2711-rpi-4-b.dtb", "config.txt",
              "overlays/vc4-kms-v3d.dtbo"]))' "$EXPECT")
[ "$reads" -le "$set_chunks" ] || fail "$reads chunks read from the image for a boot set of $set_chunks: read once per worker?"
pass "$RACK Pis from one .img on two workers: every file right, each Pi its own cmdline.txt; $reads chunks read for $set_chunks"
