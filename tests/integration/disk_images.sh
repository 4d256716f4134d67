#!/usr/bin/env bash
# Disk images served as they are (issue 21): an `img` image is a .img file beneath --images-root,
# indexed when it is added (refused with the reason when it cannot be served: no partition table,
# a dirty FAT, a partition that is not there or not FAT) and its boot partition served in place,
# byte for byte what mtools reads from it (a fragmented file, long and mixed-case names,
# overlays/, lookup case-insensitive), to curl, tftp-hpa and atftp. An image renamed over, and one
# rewritten in place, while 16 fetches run: every fetch that completes is one version, whole (a
# transfer reading an image rewritten under it fails "file changed" instead), later ones get the new
# content, and the API counts the generations. The partition asked for is kept across a restart.
source "$(dirname "$0")/lib.sh"
for tool in sfdisk mkfs.vfat mcopy mmd mdel mshowfat tftp atftp; do
    command -v "$tool" >/dev/null || skip "needs $tool (tools/install-deps)"
done
OFF=1048576  # the partition's first byte (sector 2048), as Raspberry Pi OS and sfdisk place it
mkdir -p "$WORK/root" "$WORK/images" "$WORK/parts"
echo "default" > "$WORK/root/start4.elf"

# make_disk IMG TAG: a 40 MiB FAT32 boot partition (512-byte clusters) as a Pi's, with a 3 MB
# initramfs fragmented into a dozen runs (written after every other small file was deleted).
make_disk() {
    local img=$1 tag=$2 parts=$WORK/parts/$2 I="$1@@$OFF"
    mkdir -p "$parts"
    truncate -s 42M "$img"
    printf 'label: dos\n2048,40M,c\n' | sfdisk -q "$img"
    mkfs.vfat -F 32 -s 1 --offset 2048 "$img" 40960 > /dev/null 2>&1
    make_file "$parts/start4.elf" 70000
    make_file "$parts/overlay" 1500
    make_file "$parts/big" 3000000
    make_file "$parts/small" 3000
    printf 'console=serial0,115200 root=/dev/mmcblk0p2 tag=%s\n' "$tag" > "$parts/cmdline.txt"
    mcopy -i "$I" "$parts/start4.elf" ::/Start4.ELF
    mcopy -i "$I" "$parts/cmdline.txt" ::/cmdline.txt
    mmd -i "$I" ::/overlays
    mcopy -i "$I" "$parts/overlay" ::/overlays/vc4-kms-v3d-pi4.dtbo
    for i in $(seq 1 24); do mcopy -i "$I" "$parts/small" "::/gap$i.bin"; done
    for i in $(seq 1 2 24); do mdel -i "$I" "::/gap$i.bin"; done
    # FAT32 allocates after FSInfo's next-free hint: pointed back at the start, as after a
    # remount, the big file fills the gaps first.
    printf '\x02\x00\x00\x00' | dd of="$img" bs=1 seek=$((OFF + 512 + 492)) conv=notrunc 2> /dev/null
    mcopy -i "$I" "$parts/big" ::/Initramfs-Long-Name.img
}
make_disk "$WORK/images/raspios.img" v1
# mtools itself says the big file is in pieces (else this test proves nothing about extents):
# mshowfat prints its cluster runs, <first-last> each.
runs=$(mshowfat -i "$WORK/images/raspios.img@@$OFF" ::/Initramfs-Long-Name.img | grep -o '<[0-9-]*>' | wc -l)
[ "$runs" -ge 5 ] || fail "the initramfs is in $runs runs: not fragmented"

ARGS=(--tftp-root "$WORK/root" --state "$WORK/state" --images-root "$WORK/images")
start_rackbootd "${ARGS[@]}"
TOKEN=$(cat "$WORK/state/api-token")
api() {  # api METHOD PATH [BODY]: prints the status code, the body in $WORK/body
    curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://$API$2"
}
field() { json_get "$WORK/body" "' '.join(map(str, ($1,)))"; }  # field 'd["a"], d["b"]': "A B"
fetch() { curl -s --max-time 20 ${3:+--tftp-blksize $3} -o "$2" "tftp://127.0.0.1:$PORT/$1"; }

[ "$(api POST /api/v1/images "{\"name\":\"raspios\",\"kind\":\"img\",\"path\":\"$WORK/images/raspios.img\"}")" = 201 ] \
    || fail "image: $(cat "$WORK/body")"
[ "$(field 'd["kind"], d["partition"]')" = "img None" ] || fail "created: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0001","image":"raspios"}')" = 201 ] || fail "board: $(cat "$WORK/body")"
[ "$(api GET /api/v1/images/raspios)" = 200 ] || fail "get image"
[ "$(field 'd["available"], d["index"]["table"], d["index"]["fat"], d["index"]["partition"], d["index"]["files"], d["content"]["generation"]')" \
    = "True mbr fat32 1 16 1" ] || fail "status: $(cat "$WORK/body")"
pass "an img image is indexed when added: MBR, FAT32, partition 1, 16 files, generation 1"

P=$WORK/parts/v1
fetch 5a5a0001/start4.elf "$WORK/got" && cmp -s "$WORK/got" "$P/start4.elf" || fail "start4.elf (curl, 512)"
fetch 5a5a0001/START4.elf "$WORK/got" && cmp -s "$WORK/got" "$P/start4.elf" || fail "START4.elf: lookup is not case-insensitive"
fetch 5a5a0001/Overlays/VC4-KMS-V3D-PI4.DTBO "$WORK/got" 1468 && cmp -s "$WORK/got" "$P/overlay" || fail "overlays/"
fetch 5a5a0001/initramfs-long-name.img "$WORK/got" 1468 && cmp -s "$WORK/got" "$P/big" || fail "the fragmented file (curl, 1468)"
mcopy -n -i "$WORK/images/raspios.img@@$OFF" ::/cmdline.txt "$WORK/mtools-cmdline"
fetch 5a5a0001/cmdline.txt "$WORK/got" && cmp -s "$WORK/got" "$WORK/mtools-cmdline" || fail "cmdline.txt is not mtools' bytes"
(cd "$WORK" && tftp -m binary 127.0.0.1 "$PORT" -c get 5a5a0001/Initramfs-Long-Name.img hpa.img) \
    && cmp -s "$WORK/hpa.img" "$P/big" || fail "the fragmented file (tftp-hpa)"
atftp --option "blksize 1024" -g -r 5a5a0001/initramfs-long-name.img -l "$WORK/atftp.img" 127.0.0.1 "$PORT" \
    && cmp -s "$WORK/atftp.img" "$P/big" || fail "the fragmented file (atftp, blksize 1024)"
fetch 5a5a0001/overlays "$WORK/got" && fail "a directory was served"
fetch 5a5a0001/gap1.bin "$WORK/got" && fail "a deleted file was served"
fetch 5a5a0001/gap2.bin "$WORK/got" && cmp -s "$WORK/got" "$P/small" || fail "gap2.bin"
pass "files served from the image in place, as mtools reads them: fragmented, long and mixed-case names, overlays/, any case"

# Refused when added, with the reason, and nothing stored.
refused() {  # refused WANT BODY
    local code
    code=$(api POST /api/v1/images "$2")
    [ "$code" = 400 ] || fail "$2: $code $(cat "$WORK/body")"
    grep -q -- "$1" <<<"$(field 'd["message"]')" || fail "$2: reason lacks '$1': $(cat "$WORK/body")"
    [ "$(api GET /api/v1/images/bad)" = 404 ] || fail "a refused image was stored"
}
head -c 4096 /dev/urandom > "$WORK/images/random.img"
refused "partition table" "{\"name\":\"bad\",\"kind\":\"img\",\"path\":\"$WORK/images/random.img\"}"
cp --sparse=always "$WORK/images/raspios.img" "$WORK/images/dirty.img"
printf '\x01' | dd of="$WORK/images/dirty.img" bs=1 seek=$((OFF + 65)) conv=notrunc 2> /dev/null
refused "dirty" "{\"name\":\"bad\",\"kind\":\"img\",\"path\":\"$WORK/images/dirty.img\"}"
refused "no partition 3" "{\"name\":\"bad\",\"kind\":\"img\",\"path\":\"$WORK/images/raspios.img\",\"partition\":3}"
refused "only an img image" "{\"name\":\"bad\",\"path\":\"$WORK/images\",\"partition\":1}"
mkdir -p "$WORK/images/adir"
refused "not a regular file" "{\"name\":\"bad\",\"kind\":\"img\",\"path\":\"$WORK/images/adir\"}"
refused 'kind is "dir" or "img"' "{\"name\":\"bad\",\"kind\":\"iso\",\"path\":\"$WORK/images/raspios.img\"}"
pass "refused when added, with the reason: no partition table, a dirty FAT, no such partition, a partition on a dir"

# Two FAT partitions: the second one, asked for by number.
truncate -s 40M "$WORK/images/two.img"
printf 'label: dos\n2048,16M,6\n,16M,6\n' | sfdisk -q "$WORK/images/two.img"
second=$(sfdisk --dump "$WORK/images/two.img" | awk '/two.img2/ {gsub(",", "", $4); print $4}')
mkfs.vfat -F 16 --offset 2048 "$WORK/images/two.img" 16384 > /dev/null 2>&1
mkfs.vfat -F 16 --offset "$second" "$WORK/images/two.img" 16384 > /dev/null 2>&1
echo "first" > "$WORK/first.txt" && mcopy -i "$WORK/images/two.img@@$OFF" "$WORK/first.txt" ::/config.txt
echo "second" > "$WORK/second.txt" && mcopy -i "$WORK/images/two.img@@$((second * 512))" "$WORK/second.txt" ::/config.txt
[ "$(api POST /api/v1/images "{\"name\":\"two\",\"kind\":\"img\",\"path\":\"$WORK/images/two.img\",\"partition\":2}")" = 201 ] \
    || fail "partition 2: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0002","image":"two"}')" = 201 ] || fail "board 2"
fetch 5a5a0002/config.txt "$WORK/got" && grep -qx second "$WORK/got" || fail "partition 2 served $(cat "$WORK/got")"
[ "$(api GET /api/v1/images/two)" = 200 ] && [ "$(field 'd["index"]["fat"], d["index"]["partition"]')" = "fat16 2" ] \
    || fail "status: $(cat "$WORK/body")"
pass "the partition asked for (2 of two FAT16 ones) is the one served"
RACKBOOT_TOKEN=$TOKEN "$RACKBOOTCTL" --api "$API" images add two-ctl "$WORK/images/two.img" --partition 2 > /dev/null \
    || fail "rackbootctl images add"
[ "$(api GET /api/v1/images/two-ctl)" = 200 ] && [ "$(field 'd["kind"], d["partition"], d["index"]["partition"]')" = "img 2 2" ] \
    || fail "rackbootctl's image: $(cat "$WORK/body")"
"$RACKBOOTCTL" --api "$API" images ls | grep -q "^two-ctl *img" || fail "images ls: $("$RACKBOOTCTL" --api "$API" images ls)"
pass "rackbootctl images add PATH.img --partition 2: an img image"

# Every Pi its own files: the image's cmdline.txt template, a board's own config.txt over the
# image's, rendered per request (tsize is the rendered length); refused at save when the firmware
# would cut what a board is served.
[ "$(api POST /api/v1/images "{\"name\":\"tmpl\",\"kind\":\"img\",\"path\":\"$WORK/images/raspios.img\",
     \"files\":{\"cmdline.txt\":\"console=serial0,115200 root=/dev/nbd0p2 nbdroot={server}/{serial} ip={address} rb={name}\\n\"}}")" = 201 ] \
    || fail "image with files: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0003","image":"tmpl","name":"r1-u3","ip":"127.0.0.3",
     "files":{"config.txt":"[all]\nkernel=kernel8.img\n# {labels} {mac}\n"},"labels":{"rack":"r1"},
     "macs":["dc:a6:32:00:00:03"]}')" = 201 ] || fail "board with files: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0004","image":"tmpl","name":"r1-u4"}')" = 201 ] || fail "board 4"
rendered() {  # rendered PATH: the file over raw TFTP with tsize; checks tsize is its length
    python3 - "$PORT" "$1" <<'PY'
import os, sys
sys.path.insert(0, os.environ["IT"])
from tftpwire import Client, rrq, OACK
c = Client("127.0.0.1", int(sys.argv[1]))
c.send_request(rrq(sys.argv[2], tsize=0, blksize=1468))
first = c.recv()
assert first is not None and first[0] == OACK, first
data = c.finish(first, 1468)
assert int(first[2]["tsize"]) == len(data), (first[2], len(data))
sys.stdout.write(data.decode())
PY
}
export IT="$(dirname "$0")"
want3="console=serial0,115200 root=/dev/nbd0p2 nbdroot=127.0.0.1/5a5a0003 ip=127.0.0.3 rb=r1-u3"
[ "$(rendered 5a5a0003/cmdline.txt)" = "$want3" ] || fail "cmdline.txt for 5a5a0003: $(rendered 5a5a0003/cmdline.txt)"
[ "$(rendered 5a5a0004/CMDLINE.TXT)" = "console=serial0,115200 root=/dev/nbd0p2 nbdroot=127.0.0.1/5a5a0004 ip= rb=r1-u4" ] \
    || fail "cmdline.txt for 5a5a0004: $(rendered 5a5a0004/CMDLINE.TXT)"
[ "$(rendered 5a5a0003/config.txt)" = "$(printf '[all]\nkernel=kernel8.img\n# rack=r1 dc:a6:32:00:00:03')" ] \
    || fail "config.txt for 5a5a0003: $(rendered 5a5a0003/config.txt)"
(cd "$WORK" && tftp -m binary 127.0.0.1 "$PORT" -c get 5a5a0003/cmdline.txt hpa-cmdline) \
    && [ "$(cat "$WORK/hpa-cmdline")" = "$want3" ] || fail "tftp-hpa: $(cat "$WORK/hpa-cmdline")"
fetch 5a5a0004/config.txt "$WORK/got" && fail "5a5a0004 was served a config.txt (5a5a0003 has one of its own, the image none)"
fetch 5a5a0004/start4.elf "$WORK/got" && cmp -s "$WORK/got" "$P/start4.elf" || fail "the image's own files under templates"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0005","files":{"cmdline.txt":"no image {serial}"}}')" = 201 ] \
    || fail "board without an image: $(cat "$WORK/body")"
[ "$(rendered 5a5a0005/cmdline.txt)" = "no image 5a5a0005" ] || fail "own file of a board without an image"
pass "every Pi its own files: the image's cmdline.txt and a board's config.txt rendered per board, tsize exact (a board with no image too)"

long=$(printf 'x%.0s' $(seq 1 95))
[ "$(api PATCH /api/v1/boards/5a5a0004 "{\"files\":{\"config.txt\":\"dtoverlay=$long\\n\"}}")" = 400 ] \
    && grep -q "board 5a5a0004: config.txt (its own): config.txt line 1 .* is 105 characters" <<<"$(field 'd["message"]')" \
    || fail "a long config.txt line: $(cat "$WORK/body")"
name60=$(printf 'n%.0s' $(seq 1 60))
[ "$(api PATCH /api/v1/boards/5a5a0004 "{\"name\":\"$name60\",\"files\":{\"extra.txt\":\"x\"}}")" = 200 ] || fail "name 60"
[ "$(api PATCH /api/v1/boards/5a5a0004 "{\"files\":{\"cmdline.txt\":\"$(printf 'y%.0s' $(seq 1 970)) {name}\"}}")" = 400 ] \
    && grep -q "cmdline.txt is 1031 characters" <<<"$(field 'd["message"]')" || fail "cmdline past 1024: $(cat "$WORK/body")"
[ "$(api PATCH /api/v1/boards/5a5a0004 '{"files":{"cmdline.txt":"{rootfs}"}}')" = 400 ] \
    && grep -q "unknown variable {rootfs}" <<<"$(field 'd["message"]')" || fail "unknown variable: $(cat "$WORK/body")"
[ "$(rendered 5a5a0004/extra.txt)" = x ] || fail "the change that passed is served"
pass "refused at save with the board, file and line: a config.txt line past 98, a cmdline past 1024, an unknown variable"

# The image's files change in place (PATCH), checked for every board on it: 5a5a0004's 60-character
# name makes this cmdline too long for it, so nothing changes; a shorter one is served at once.
[ "$(api PATCH /api/v1/images/tmpl "{\"files\":{\"cmdline.txt\":\"$(printf 'z%.0s' $(seq 1 970)) {name}\"}}")" = 400 ] \
    && grep -q "board 5a5a0004: cmdline.txt (image 'tmpl'): cmdline.txt is 1031" <<<"$(field 'd["message"]')" \
    || fail "image files too long for one board: $(cat "$WORK/body")"
[ "$(rendered 5a5a0003/cmdline.txt)" = "$want3" ] || fail "a refused change was served"
[ "$(api PATCH /api/v1/images/tmpl '{"files":{"cmdline.txt":"root=/dev/nbd0p2 nbdroot={server}/{name}"}}')" = 200 ] \
    && [ "$(field 'd["generation"]')" = 2 ] || fail "image files: $(cat "$WORK/body")"
[ "$(rendered 5a5a0003/cmdline.txt)" = "root=/dev/nbd0p2 nbdroot=127.0.0.1/r1-u3" ] || fail "new image files not served"
pass "an image's files changed in place: refused while one board would be served too much, then served"

# fetch_many N OUT: N concurrent fetches of the initramfs, each three times, into OUT.N.I.
fetch_many() {
    local pids=() n
    for n in $(seq 1 "$1"); do
        (for i in 1 2 3; do fetch 5a5a0001/initramfs-long-name.img "$2.$n.$i" 1468 || rm -f "$2.$n.$i"; done) &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
}
# versions OUT A B: every completed fetch is A or B whole; prints how many of each.
versions() {
    local a=0 b=0 f
    for f in "$1".*; do
        [ -e "$f" ] || continue
        if cmp -s "$f" "$2"; then a=$((a + 1)); elif cmp -s "$f" "$3"; then b=$((b + 1)); else
            fail "$f is neither version whole ($(stat -c %s "$f") bytes)"
        fi
    done
    echo "$a $b"
}
changed_to() {  # changed_to N: waits up to 5 s for generation N in the log
    for _ in $(seq 1 50); do grep -q "image 'raspios' changed: generation $1 " "$WORK/rackbootd.log" && return 0; sleep 0.1; done
    fail "no generation $1 within 5 s: $(tail -3 "$WORK/rackbootd.log")"
}

# Renamed over while 16 fetches run.
make_disk "$WORK/next.img" v2
mkdir -p "$WORK/r"
fetch_many 16 "$WORK/r/got" &
loader=$!
sleep 0.5
mv "$WORK/next.img" "$WORK/images/raspios.img"
wait "$loader"
read -r old new <<<"$(versions "$WORK/r/got" "$P/big" "$WORK/parts/v2/big")"
changed_to 2
fetch 5a5a0001/initramfs-long-name.img "$WORK/got" && cmp -s "$WORK/got" "$WORK/parts/v2/big" || fail "v2 not served after the rename"
[ "$(api GET /api/v1/images/raspios)" = 200 ] && [ "$(field 'd["content"]["generation"]')" = 2 ] || fail "generation: $(cat "$WORK/body")"
pass "renamed over under 16 fetches: $old of v1 and $new of v2, every one whole; then v2, generation 2"

# Rewritten in place (mtools writes the new initramfs into the same file) while 16 fetches run.
make_file "$WORK/v3-big" 3000000
mkdir -p "$WORK/w"
fetch_many 16 "$WORK/w/got" &
loader=$!
sleep 0.5
mcopy -o -i "$WORK/images/raspios.img@@$OFF" "$WORK/v3-big" ::/Initramfs-Long-Name.img
wait "$loader"
read -r old new <<<"$(versions "$WORK/w/got" "$WORK/parts/v2/big" "$WORK/v3-big")"
changed_to 3
fetch 5a5a0001/initramfs-long-name.img "$WORK/got" && cmp -s "$WORK/got" "$WORK/v3-big" || fail "v3 not served after the rewrite"
changed=$(curl -s "http://$API/metrics" | awk '/^rackboot_drops_total\{.*reason="file_changed"/ {s += $2} END {print s + 0}')
pass "rewritten in place under 16 fetches: $old of v2 and $new of v3, every one whole ($changed failed: file changed); then v3"

# nobodd's board file: an image = line naming a disk image already added uses it; one not added
# yet is added as an img image (named after its file, its partition kept); a damaged one or one
# outside --images-root leaves its board without an image, with the reason.
cat > "$WORK/nobodd.ini" <<INI
[board:5a5a0010]
image = $WORK/images/raspios.img

[board:5a5a0011]
image = $WORK/images/two.img
partition = 1
ip = 127.0.0.11

[board:5a5a0012]
image = $WORK/images/dirty.img

[board:5a5a0013]
image = $WORK/elsewhere.img
INI
cp --sparse=always "$WORK/images/two.img" "$WORK/elsewhere.img"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' \
    --data-binary "@$WORK/nobodd.ini" "http://$API/api/v1/boards:import")
[ "$code" = 200 ] || fail "nobodd import: $code $(cat "$WORK/body")"
[ "$(field 'd["created"], d["images_added"]')" = "4 ['two-2']" ] || fail "import: $(cat "$WORK/body")"
grep -q "dirty" <<<"$(field '[w["reason"] for w in d["warnings"] if w["line"] == 9]')" || fail "no dirty warning: $(cat "$WORK/body")"
grep -q "does not lie beneath --images-root" <<<"$(field '[w["reason"] for w in d["warnings"] if w["line"] == 12]')" \
    || fail "no warning for the image elsewhere: $(cat "$WORK/body")"
# (raspios.img is two images here, raspios and tmpl: the line takes one of them)
[ "$(api GET /api/v1/boards/5a5a0010)" = 200 ] && grep -qx "raspios\|tmpl" <<<"$(field 'd["image"]')" \
    || fail "5a5a0010: $(cat "$WORK/body")"
[ "$(api GET /api/v1/boards/5a5a0012)" = 200 ] && [ "$(field 'd["image"]')" = None ] || fail "5a5a0012: $(cat "$WORK/body")"
[ "$(api GET /api/v1/images/two-2)" = 200 ] && [ "$(field 'd["kind"], d["partition"], d["boards"]')" = "img 1 1" ] \
    || fail "two-2: $(cat "$WORK/body")"
fetch 5a5a0011/config.txt "$WORK/got" && grep -qx first "$WORK/got" || fail "5a5a0011 served $(cat "$WORK/got")"
pass "nobodd's image = lines: an added image used, a new one added (two-2, partition 1) and served, a dirty one and one elsewhere warned"

kill "$RB_PID"; wait "$RB_PID" 2>/dev/null || true
start_rackbootd "${ARGS[@]}"
fetch 5a5a0002/config.txt "$WORK/got" && grep -qx second "$WORK/got" || fail "partition 2 after a restart"
fetch 5a5a0001/initramfs-long-name.img "$WORK/got" && cmp -s "$WORK/got" "$WORK/v3-big" || fail "v3 after a restart"
[ "$(rendered 5a5a0003/cmdline.txt)" = "root=/dev/nbd0p2 nbdroot=127.0.0.1/r1-u3" ] || fail "rendered files after a restart"
pass "after a restart: the images, their partitions and the boards' own files as stored"
