#!/usr/bin/env bash
# Every Pi its own root over NBD (issue 21), with Debian's nbd-server and libnbd's clients:
# rackbootd in a server namespace, the board's "Pi" in a client namespace at the board's address.
# A board's cmdline.txt naming {root} is refused until it has one; POST .../root makes its disk
# from the img image (reflinked or a sparse copy, beneath --roots), and nbd-server (started by
# rackbootd) exports it as "root", the disk picked by the connecting address: nbdinfo sees the
# image's size, nbdcopy reads back the image, and a write through NBD changes the board's disk,
# never the image (TFTP still serves the image's boot files). Another address reaches nothing, no
# export is named by serial, nothing is listed; the address moved to another board reaches that
# board's disk. rackbootd killed with -9 and started again: the root is kept and nbd-server, the
# same process, still serves it. The board cannot be deleted while it has a root; DELETE .../root
# removes the disk and its export.
source "$(dirname "$0")/lib.sh"
for tool in nbd-server nbdinfo nbdcopy sfdisk mkfs.vfat mcopy; do
    command -v "$tool" >/dev/null || skip "needs $tool (tools/install-deps)"
done
netns_setup
PI_IP=$NET.0.7
ip -n "$NS_CLI" addr add "$PI_IP/16" dev "$IF_CLI"
OFF=1048576
mkdir -p "$WORK/root" "$WORK/images" "$WORK/roots"
echo "default" > "$WORK/root/start4.elf"
# A 64 MiB Pi disk: a 16 MiB FAT boot partition and a 40 MiB root partition with 4 MiB of data
# (the rest a hole, so a sparse copy has something to skip).
IMG=$WORK/images/raspios.img
truncate -s 64M "$IMG"
printf 'label: dos\n2048,16M,c\n,40M,83\n' | sfdisk -q "$IMG"
mkfs.vfat -F 16 --offset 2048 "$IMG" 16384 > /dev/null 2>&1
make_file "$WORK/start4.elf" 50000
mcopy -i "$IMG@@$OFF" "$WORK/start4.elf" ::/start4.elf
echo "console=serial0,115200 root=/dev/mmcblk0p2" > "$WORK/cmdline.txt"
mcopy -i "$IMG@@$OFF" "$WORK/cmdline.txt" ::/cmdline.txt
ROOTPART=$(( $(sfdisk --dump "$IMG" | awk '/raspios.img2/ {gsub(",", "", $4); print $4}') * 512 ))
head -c 4M /dev/urandom | dd of="$IMG" bs=1M seek=$((ROOTPART / 1048576)) conv=notrunc 2> /dev/null
cp --sparse=always "$IMG" "$WORK/original.img"

# A bad --roots refuses to start, saying why.
expect_refusal "overlap: TFTP could serve a Pi's writable disk" --tftp-root "$WORK/root" --state "$WORK/s0" \
    --images-root "$WORK/images" --roots "$WORK/images"
expect_refusal "overlap: TFTP could serve a Pi's writable disk" --tftp-root "$WORK/root" --state "$WORK/s0" \
    --roots "$WORK/root"
expect_refusal "--roots needs --state" --tftp-root "$WORK/root" --roots "$WORK/roots"
expect_refusal "--nbd-server /nonexistent/nbd-server: no such program" --tftp-root "$WORK/root" --state "$WORK/s0" \
    --roots "$WORK/roots" --nbd-server /nonexistent/nbd-server
expect_refusal "--roots $WORK/nowhere" --tftp-root "$WORK/root" --state "$WORK/s0" --roots "$WORK/nowhere"
for bad in 10.0.0.1:0 10.0.0.1:x nowhere:10809; do
    expect_refusal "--nbd-listen: '$bad' is not ADDR or ADDR:PORT" --tftp-root "$WORK/root" --nbd-listen "$bad"
    expect_refusal "--nfs-listen: '$bad' is not ADDR or ADDR:PORT" --tftp-root "$WORK/root" --nfs-listen "$bad"
done

NBD_PORT=10809
export RB_NETNS=$NS_SRV
# A descriptor rackbootd inherits (as from a supervisor): the servers it starts must not keep it.
exec 9> "$WORK/held"
start_rackbootd --listen 0.0.0.0 --tftp-root "$WORK/root" --state "$WORK/state" --images-root "$WORK/images" \
    --roots "$WORK/roots" --nbd-listen "0.0.0.0:$NBD_PORT"
TOKEN=$(cat "$WORK/state/api-token")
api() {  # api METHOD PATH [BODY]: prints the status code, the body in $WORK/body
    in_srv curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://$API$2"
}
field() { json_get "$WORK/body" "' '.join(map(str, ($1,)))"; }
pi_fetch() { in_cli curl -s --max-time 10 -o "$2" "tftp://$SRV_IP:$PORT/$1"; }
URI=nbd://$SRV_IP:$NBD_PORT

[ "$(api POST /api/v1/images "{\"name\":\"raspios\",\"kind\":\"img\",\"path\":\"$IMG\"}")" = 201 ] \
    || fail "image: $(cat "$WORK/body")"
CMDLINE='console=serial0,115200 root=/dev/nbd0p2 nbdroot={server}/{root} ip=dhcp rootwait'
[ "$(api POST /api/v1/boards "{\"serial\":\"5a5a0001\",\"image\":\"raspios\",\"ip\":\"$PI_IP\",\"files\":{\"cmdline.txt\":\"$CMDLINE\"}}")" = 201 ] \
    || fail "board: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0002","image":"raspios"}')" = 201 ] || fail "board 2"

pi_fetch 5a5a0001/cmdline.txt "$WORK/got" && fail "cmdline.txt naming {root} was served to a board with no root"
wait_metric 'rackboot_drops_total{reason="no_root"}' 1 || fail "no_root not counted: $(metric 'rackboot_drops_total{reason="no_root"}')"
pass "a cmdline.txt naming {root} is not served to a board without a root (counted no_root)"

# Refusals first: nothing is made.
[ "$(api POST /api/v1/boards/5a5a0001/root '{"size":"1M"}')" = 400 ] && grep -q "smaller than the image" "$WORK/body" \
    || fail "a size below the image's: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards/5a5a0009/root)" = 404 ] || fail "no such board"
mkdir -p "$WORK/images/adir" && echo x > "$WORK/images/adir/start4.elf"
[ "$(api POST /api/v1/images "{\"name\":\"adir\",\"path\":\"$WORK/images/adir\"}")" = 201 ] || fail "dir image"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0003","image":"adir"}')" = 201 ] || fail "board 3"
[ "$(api POST /api/v1/boards/5a5a0003/root)" = 409 ] && grep -q "kind img" "$WORK/body" \
    || fail "a root from a directory image: $(cat "$WORK/body")"
left=$(find "$WORK/roots" -maxdepth 1 -name '*.img*')
[ -z "$left" ] || fail "a refused root left files: $left"
pass "refused with the reason, nothing made: a size below the image's, no such board, a directory image"

[ "$(api POST /api/v1/boards/5a5a0001/root)" = 201 ] || fail "root: $(cat "$WORK/body")"
[ "$(field 'd["root"]["export"], d["root"]["kind"], d["root"]["size"]')" = "root nbd $((64 << 20))" ] \
    || fail "root: $(cat "$WORK/body")"
method=$(field 'd["root"]["method"]')
DISK=$WORK/roots/5a5a0001.img
[ "$(stat -c %s "$DISK")" = $((64 << 20)) ] || fail "the disk is $(stat -c %s "$DISK") bytes"
used=$(( $(stat -c %b "$DISK") * 512 ))
[ "$method" = reflink ] || [ "$used" -lt $((16 << 20)) ] || fail "a sparse copy takes $used bytes of a 64 MiB image with ~5 MiB of data"
[ "$(api POST /api/v1/boards/5a5a0001/root)" = 409 ] || fail "a second root"
ctl() { in_srv env RACKBOOT_TOKEN="$TOKEN" "$RACKBOOTCTL" --api "$API" "$@"; }
out=$(ctl boards root 5a5a0002 --size 128M) || fail "rackbootctl boards root: $out"
grep -q "5a5a0002.img (.*, 134217728 bytes), export root" <<<"$out" || fail "rackbootctl boards root said: $out"
[ "$(stat -c %s "$WORK/roots/5a5a0002.img")" = $((128 << 20)) ] || fail "root 2 not grown to 128M"
pass "roots made: $method, $((used >> 20)) MiB on disk for a 64 MiB image; a second one (rackbootctl) grown to 128 MiB"

pi_fetch 5a5a0001/cmdline.txt "$WORK/got" || fail "cmdline.txt once the board has a root"
grep -qx "console=serial0,115200 root=/dev/nbd0p2 nbdroot=$SRV_IP/root ip=dhcp rootwait" "$WORK/got" \
    || fail "cmdline.txt: $(cat "$WORK/got")"
pass "cmdline.txt renders nbdroot=$SRV_IP/root"

wait_log '^event=nbd_server pid=[0-9]+' || fail "nbd-server was not started"
wait_metric 'rackboot_roots{kind="nbd"}' 2 || fail "rackboot_roots{kind=nbd} is $(metric 'rackboot_roots{kind="nbd"}')"
wait_metric 'rackboot_root_server_up{server="nbd-server"}' 1 || fail "nbd-server not up in the metrics"
expect_metric 'rackboot_root_server_up{server="ganesha.nfsd"}' 0
NBD_PID=$(cat "$WORK/roots/.nbd/nbd-server.pid")
size=$(in_cli nbdinfo --size "$URI/root") || fail "nbdinfo from the board's address"
[ "$size" = $((64 << 20)) ] || fail "nbdinfo says $size bytes"
in_cli nbdcopy "$URI/root" "$WORK/readback.img" || fail "nbdcopy read"
cmp -s "$WORK/readback.img" "$WORK/original.img" || fail "the export does not read back as the image"
pass "nbd-server (pid $NBD_PID) exports the root: nbdinfo sees 64 MiB, nbdcopy reads back the image"

# The Pi writes its disk: its boot partition's start4.elf and its root partition.
make_file "$WORK/upgraded.elf" 60000
mcopy -o -i "$WORK/readback.img@@$OFF" "$WORK/upgraded.elf" ::/start4.elf
head -c 1M /dev/urandom | dd of="$WORK/readback.img" bs=1M seek=$((ROOTPART / 1048576 + 10)) conv=notrunc 2> /dev/null
in_cli nbdcopy "$WORK/readback.img" "$URI/root" || fail "nbdcopy write"
cmp -s "$DISK" "$WORK/readback.img" || fail "the write did not reach the board's disk"
cmp -s "$IMG" "$WORK/original.img" || fail "a write through NBD changed the image"
pi_fetch 5a5a0001/start4.elf "$WORK/got" && cmp -s "$WORK/got" "$WORK/start4.elf" \
    || fail "TFTP served something other than the image's start4.elf"
pass "a write through NBD changes the board's disk only: the image, and what TFTP serves, stay as they were"

in_srv nbdinfo --size "nbd://127.0.0.1:$NBD_PORT/root" > /dev/null 2>&1 && fail "an address with no board connected"
in_cli nbdinfo --size "$URI/5a5a0002" > /dev/null 2>&1 && fail "an export named by serial"
in_cli nbdinfo --list "$URI" > /dev/null 2>&1 && fail "the exports could be listed"
pass "only a board's own address reaches a disk: not another address, no export by serial, no listing"

# The Pi's address moves to board 5a5a0002: from it, that board's disk (128 MiB) is reached.
nbd_size() {  # nbd_size WANT: waits up to 5 s for the Pi's address to reach a disk of WANT bytes
    for _ in $(seq 1 50); do
        [ "$(in_cli nbdinfo --size "$URI/root" 2> /dev/null)" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
[ "$(api PATCH /api/v1/boards/5a5a0001 "{\"ip\":\"$NET.0.9\"}")" = 200 ] || fail "move 1: $(cat "$WORK/body")"
[ "$(api PATCH /api/v1/boards/5a5a0002 "{\"ip\":\"$PI_IP\"}")" = 200 ] || fail "move 2: $(cat "$WORK/body")"
nbd_size $((128 << 20)) || fail "the address given to 5a5a0002 does not reach its disk"
[ "$(api PATCH /api/v1/boards/5a5a0002 '{"ip":null}')" = 200 ] || fail "move back 2"
[ "$(api PATCH /api/v1/boards/5a5a0001 "{\"ip\":\"$PI_IP\"}")" = 200 ] || fail "move back 1"
nbd_size $((64 << 20)) || fail "the address given back to 5a5a0001 does not reach its disk"
pass "an address moved to another board reaches that board's disk, within a second, without a reload"

kill -9 "$RB_PID"
wait "$RB_PID" 2>/dev/null || true
start_rackbootd --listen 0.0.0.0 --tftp-root "$WORK/root" --state "$WORK/state" --images-root "$WORK/images" \
    --roots "$WORK/roots" --nbd-listen "0.0.0.0:$NBD_PORT"
[ "$(api GET /api/v1/boards/5a5a0001)" = 200 ] && [ "$(field 'd["root"]["path"]')" = "$DISK" ] \
    || fail "root after kill -9: $(cat "$WORK/body")"
[ "$(cat "$WORK/roots/.nbd/nbd-server.pid")" = "$NBD_PID" ] && kill -0 "$NBD_PID" || fail "nbd-server was replaced"
in_cli nbdcopy "$URI/root" "$WORK/again.img" && cmp -s "$WORK/again.img" "$WORK/readback.img" \
    || fail "the root after rackbootd's restart"
pass "after kill -9 and a restart: the root is kept, and the same nbd-server (pid $NBD_PID) serves it"

[ "$(api DELETE /api/v1/boards/5a5a0001)" = 409 ] && grep -q "has a root" "$WORK/body" \
    || fail "a board with a root was deleted: $(cat "$WORK/body")"
[ -f "$DISK" ] || fail "the disk went"
[ "$(api DELETE /api/v1/boards/5a5a0001/root)" = 204 ] || fail "delete root: $(cat "$WORK/body")"
[ ! -e "$DISK" ] || fail "the disk is still there"
[ "$(api GET /api/v1/boards/5a5a0001)" = 200 ] && [ "$(field 'd["root"]')" = None ] || fail "root still shown"
in_cli nbdinfo --size "$URI/root" > /dev/null 2>&1 && fail "a removed root is still served"
pi_fetch 5a5a0001/cmdline.txt "$WORK/got" && fail "cmdline.txt naming {root} served after the root went"
[ "$(api DELETE /api/v1/boards/5a5a0001/root)" = 404 ] || fail "a second delete"
[ "$(api DELETE /api/v1/boards/5a5a0001)" = 204 ] || fail "the board, once its root is gone"
ctl boards root-rm 5a5a0002 || fail "rackbootctl boards root-rm"
[ ! -e "$WORK/roots/5a5a0002.img" ] || fail "rackbootctl boards root-rm left the disk"
pass "a board with a root is not deleted; DELETE .../root (and rackbootctl boards root-rm) removes the disk and its export"

# Started by rackbootd, nbd-server keeps none of its descriptors and still stops on SIGTERM
# (rackbootd's blocked mask is not its).
NBD_PID=$(cat "$WORK/roots/.nbd/nbd-server.pid")
started_clean "$NBD_PID" nbd-server
