#!/usr/bin/env bash
# Every Pi its own root over NFS (issue 21), with Debian's NFS-Ganesha and libnfs's userspace
# client (no kernel NFS needed on either side): rackbootd in a server namespace, the board's "Pi"
# in a client namespace at the board's address. POST .../root {"kind":"nfs","path":DIR} records the
# directory the host made for the board (beneath --roots; refused elsewhere, or not a directory),
# {root} renders its path (nfsroot={server}:{root}), and rackbootd starts Ganesha with one export
# for it, reached from the board's address alone: the Pi reads and writes its tree, another address
# and a board with no address reach nothing. DELETE .../root withdraws the export (Ganesha
# reloaded in place) and leaves the directory: rackboot never builds or removes a tree.
source "$(dirname "$0")/lib.sh"
for tool in ganesha.nfsd nfs-cat nfs-cp nfs-ls; do
    command -v "$tool" >/dev/null || skip "needs $tool (tools/install-deps)"
done
netns_setup
PI_IP=$NET.0.7
ip -n "$NS_CLI" addr add "$PI_IP/16" dev "$IF_CLI"
mkdir -p "$WORK/root" "$WORK/roots/5a5a0001/etc" "$WORK/roots/5a5a0002" "$WORK/elsewhere"
echo "default" > "$WORK/root/start4.elf"
echo "pi-5a5a0001" > "$WORK/roots/5a5a0001/etc/hostname"
echo "pi-5a5a0002" > "$WORK/roots/5a5a0002/hostname"
ROOTS=$(realpath "$WORK/roots")

export RB_NETNS=$NS_SRV
# A descriptor rackbootd inherits (as from a supervisor): the servers it starts must not keep it.
exec 9> "$WORK/held"
start_rackbootd --listen 0.0.0.0 --tftp-root "$WORK/root" --state "$WORK/state" --roots "$WORK/roots"
TOKEN=$(cat "$WORK/state/api-token")
api() {  # api METHOD PATH [BODY]: prints the status code, the body in $WORK/body
    in_srv curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "http://$API$2"
}
field() { json_get "$WORK/body" "' '.join(map(str, ($1,)))"; }
nfs_url() { echo "nfs://$SRV_IP$1?version=4"; }

CMDLINE='console=serial0,115200 root=/dev/nfs nfsroot={server}:{root},vers=4.1,tcp rw ip=dhcp rootwait'
[ "$(api POST /api/v1/boards "{\"serial\":\"5a5a0001\",\"ip\":\"$PI_IP\",\"files\":{\"cmdline.txt\":\"$CMDLINE\"}}")" = 201 ] \
    || fail "board: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards '{"serial":"5a5a0002"}')" = 201 ] || fail "board 2"

[ "$(api POST /api/v1/boards/5a5a0001/root "{\"kind\":\"nfs\",\"path\":\"$WORK/elsewhere\"}")" = 400 ] \
    && grep -q "not beneath --roots" "$WORK/body" || fail "a directory outside --roots: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards/5a5a0001/root "{\"kind\":\"nfs\",\"path\":\"$ROOTS/5a5a0001/etc/hostname\"}")" = 400 ] \
    && grep -q "not a directory" "$WORK/body" || fail "a file: $(cat "$WORK/body")"
ln -s "$WORK/elsewhere" "$WORK/roots/escape"
[ "$(api POST /api/v1/boards/5a5a0001/root "{\"kind\":\"nfs\",\"path\":\"$ROOTS/escape\"}")" = 400 ] \
    && grep -q "not beneath --roots" "$WORK/body" || fail "a symlink out of --roots: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards/5a5a0001/root '{"kind":"nfs"}')" = 400 ] || fail "no path"
[ ! -e "$WORK/roots/.nfs/ganesha.pid" ] || fail "Ganesha started with no NFS root"
pass "refused with the reason: a directory outside --roots, a file, a symlink out, no path; Ganesha not started"

[ "$(api POST /api/v1/boards/5a5a0001/root "{\"kind\":\"nfs\",\"path\":\"$ROOTS/5a5a0001\"}")" = 201 ] \
    || fail "root: $(cat "$WORK/body")"
[ "$(field 'd["root"]["kind"], d["root"]["path"], d["root"]["export"]')" = "nfs $ROOTS/5a5a0001 $ROOTS/5a5a0001" ] \
    || fail "root: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards/5a5a0002/root "{\"kind\":\"nfs\",\"path\":\"$ROOTS/5a5a0001\"}")" = 409 ] \
    || fail "another board's directory: $(cat "$WORK/body")"
[ "$(api POST /api/v1/boards/5a5a0002/root "{\"kind\":\"nfs\",\"path\":\"$ROOTS/5a5a0002\"}")" = 201 ] \
    || fail "root 2: $(cat "$WORK/body")"
in_cli curl -s --max-time 10 -o "$WORK/got" "tftp://$SRV_IP:$PORT/5a5a0001/cmdline.txt" || fail "cmdline.txt"
grep -qx "console=serial0,115200 root=/dev/nfs nfsroot=$SRV_IP:$ROOTS/5a5a0001,vers=4.1,tcp rw ip=dhcp rootwait" \
    "$WORK/got" || fail "cmdline.txt: $(cat "$WORK/got")"
pass "NFS roots recorded (another board's directory refused); cmdline.txt renders nfsroot=$SRV_IP:$ROOTS/5a5a0001"

wait_log '^event=nfs_server pid=[0-9]+' || fail "Ganesha was not started"
wait_metric 'rackboot_roots{kind="nfs"}' 2 || fail "rackboot_roots{kind=nfs} is $(metric 'rackboot_roots{kind="nfs"}')"
wait_metric 'rackboot_root_server_up{server="ganesha.nfsd"}' 1 || fail "Ganesha not up in the metrics"
expect_metric 'rackboot_root_server_up{server="nbd-server"}' 0  # no NBD root: not started
got=""
for _ in $(seq 1 50); do
    got=$(in_cli nfs-cat "$(nfs_url "$ROOTS/5a5a0001/etc/hostname")" 2> /dev/null) && break
    sleep 0.2
done
[ "$got" = pi-5a5a0001 ] || fail "the Pi could not read its root: '$got'"
echo "written by the Pi" > "$WORK/note"
in_cli nfs-cp "$WORK/note" "$(nfs_url "$ROOTS/5a5a0001/note")" > /dev/null || fail "the Pi could not write its root"
cmp -s "$WORK/note" "$WORK/roots/5a5a0001/note" || fail "the write did not land in the board's directory"
pass "the Pi reads and writes its own root over NFSv4 (Ganesha started by rackbootd)"

in_srv nfs-cat "nfs://127.0.0.1$ROOTS/5a5a0001/etc/hostname?version=4" > /dev/null 2>&1 \
    && fail "another address read the board's root"
in_cli nfs-cat "$(nfs_url "$ROOTS/5a5a0002/hostname")" > /dev/null 2>&1 && fail "the Pi read board 5a5a0002's root"
pass "only the board's own address reaches its root: not another address, not a board with no address"

GPID=$(cat "$WORK/roots/.nfs/ganesha.pid")
[ "$(api DELETE /api/v1/boards/5a5a0001/root)" = 204 ] || fail "delete root: $(cat "$WORK/body")"
[ -f "$WORK/roots/5a5a0001/etc/hostname" ] || fail "the board's directory was removed"
for _ in $(seq 1 50); do
    in_cli nfs-cat "$(nfs_url "$ROOTS/5a5a0001/etc/hostname")" > /dev/null 2>&1 || break
    sleep 0.2
done
in_cli nfs-cat "$(nfs_url "$ROOTS/5a5a0001/etc/hostname")" > /dev/null 2>&1 && fail "the export stayed"
[ "$(cat "$WORK/roots/.nfs/ganesha.pid")" = "$GPID" ] && in_srv kill -0 "$GPID" || fail "Ganesha was restarted"
pass "DELETE .../root withdraws the export (Ganesha reloaded in place) and leaves the directory"

# Started by rackbootd, Ganesha keeps none of rackbootd's descriptors and stops on SIGTERM.
started_clean "$GPID" Ganesha

# The kernel's nfsd instead (--nfs-server kernel). This host has no nfsd module, so exportfs is a
# stand-in that records its calls and the file it was run on; what is checked is rackbootd's
# side: the exports(5) file it owns (a line per root naming only its board's addresses, none for
# a board with no address) and exportfs -ra after each change, not otherwise.
kill "$RB_PID"
wait "$RB_PID" 2>/dev/null || true
# A Ganesha rackbootd started again after the SIGTERM above outlives it: stop it, so that kernel
# mode is seen to start none.
if [ -f "$WORK/roots/.nfs/ganesha.pid" ]; then
    in_srv kill "$(cat "$WORK/roots/.nfs/ganesha.pid")" 2>/dev/null || true
    sleep 0.5
    rm -f "$WORK/roots/.nfs/ganesha.pid"
fi
mkdir -p "$WORK/bin"
cat > "$WORK/bin/exportfs" <<SH
#!/bin/sh
echo "\$*" >> "$WORK/exportfs.calls"
cp "$WORK/exports.d/rackboot.exports" "$WORK/exportfs.seen"
SH
chmod +x "$WORK/bin/exportfs"
PATH="$WORK/bin:$PATH" start_rackbootd --listen 0.0.0.0 --tftp-root "$WORK/root" --state "$WORK/state" \
    --roots "$WORK/roots" --nfs-server kernel --nfs-exports "$WORK/exports.d/rackboot.exports"
wait_log '^event=nfs_exports exports=1 ' || fail "the kept root was not exported at start: $(cat "$WORK/rackbootd.log")"
grep -qx "# $ROOTS/5a5a0002: no address known yet, not exported" "$WORK/exportfs.seen" \
    || fail "a board with no address: $(cat "$WORK/exportfs.seen")"
grep -v '^#' "$WORK/exportfs.seen" | grep -q . && fail "an export line for a board with no address: $(cat "$WORK/exportfs.seen")"
[ "$(api PATCH /api/v1/boards/5a5a0002 "{\"ip\":\"$NET.0.8\"}")" = 200 ] || fail "address: $(cat "$WORK/body")"
for _ in $(seq 1 40); do
    grep -q "^\"$ROOTS/5a5a0002\" " "$WORK/exportfs.seen" 2>/dev/null && break
    sleep 0.1
done
grep -qx "\"$ROOTS/5a5a0002\" $NET.0.8(rw,sync,no_subtree_check,no_root_squash,sec=sys,fsid=[0-9]*)" "$WORK/exportfs.seen" \
    || fail "the board's address was not exported: $(cat "$WORK/exportfs.seen")"
calls=$(wc -l < "$WORK/exportfs.calls")
[ "$(sort -u "$WORK/exportfs.calls")" = "-ra" ] && [ "$calls" = 2 ] || fail "exportfs calls: $(cat "$WORK/exportfs.calls")"
sleep 2.2  # two syncs with nothing changed
[ "$(wc -l < "$WORK/exportfs.calls")" = 2 ] || fail "exportfs ran with nothing changed"
expect_metric 'rackboot_roots{kind="nfs"}' 1
[ "$(metric 'rackboot_root_server_up{server="nfsd"}')" != "" ] || fail "no nfsd series in the metrics"
[ -e "$WORK/roots/.nfs/ganesha.pid" ] && fail "Ganesha started in kernel mode"
pass "--nfs-server kernel: the exports file names the board's address alone (none before it had one), exportfs -ra after each change only"

kill "$RB_PID"
wait "$RB_PID" 2>/dev/null || true
# rackbootd alone without exportfs on its PATH (whether or not this host has nfs-kernel-server).
RB_WRAP="env PATH=$WORK/no-such-dir" start_rackbootd --listen 0.0.0.0 --tftp-root "$WORK/root" --state "$WORK/state" \
    --roots "$WORK/roots" --nfs-server kernel --nfs-exports "$WORK/exports.d/rackboot.exports"
[ "$(api POST /api/v1/boards/5a5a0001/root "{\"kind\":\"nfs\",\"path\":\"$ROOTS/5a5a0001\"}")" = 409 ] \
    && grep -q "apt-get install nfs-kernel-server" "$WORK/body" || fail "no exportfs: $(cat "$WORK/body")"
expect_refusal "--nfs-exports: '/etc/exports' must be an absolute path ending in .exports" --tftp-root "$WORK/root" \
    --state "$WORK/s9" --roots "$WORK/roots" --nfs-server kernel --nfs-exports /etc/exports
pass "--nfs-server kernel without exportfs: a root is refused with the package to install; a file exportfs would not read is refused at start"
