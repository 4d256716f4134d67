#!/usr/bin/env bash
# The rack power-on benchmark (issue 11): one fleet of Pi 4s powered on at once (rackboot-swarm,
# --ramp 0) boots a realistic ~20 MB boot set from each server in turn, in the same run, at each
# fleet size, clean and with 2% loss each way:
#   rb-memif     rackbootd, DPDK backend over net_memif (no kernel in the path), DHCP server
#   rb-afpacket  rackbootd, DPDK backend over net_af_packet on a veth, DHCP server
#   rb-socket    rackbootd, kernel sockets on a veth, DHCP server
#   dnsmasq      dnsmasq: DHCP with pxe-service "Raspberry Pi Boot" and --enable-tftp, default tftp-max (50)
#   dnsmasq-max  the same with --tftp-max=10000
#   tftpd-hpa    in.tftpd at its defaults, rackbootd giving the addresses (--dhcp server, its TFTP elsewhere)
#   atftpd       atftpd at its defaults (--maxthread 100), the same DHCP
# Each kernel server runs in its own network namespace; the swarm reaches it through net_af_packet
# on the other end of a veth. rackbootd gets CPU 1 (one worker); the swarm polls on CPU 0 and
# reports its idle share (it was not the bound when that stays high).
# Writes RESULTS (default bench/results/rack_poweron): a .tsv of every run, a .md table with the
# machine and the command, and a .png of p99 boot time and success against fleet size.
# LINKS adds link-limited rows (issue 19): the swarm puts a switch port of that rate (1g, 400m:
# --link-rate, a LINK_BUFFER queue, tail drop) between its Pis and the server, and every Pi runs its
# firmware's retry loop (LINK_ATTEMPTS, default 0: until the run's bound). Each row also reports
# the rack's time to all up (first power-on to the last Pi booted), against the floor (the rack's
# bytes over the link's rate), the goodput while Pis wait, the slowest file and the DATA the Pis
# saw twice.
# Usage: rack_poweron.sh BUILD_DIR [--smoke]
#   SIZES="100 250 500 1000 2000" TARGETS="rb-memif ..." LOSSES="0 0.02" DURATION=120 (a run's bound, s)
#   LINKS="0 1g" (0: no link, the host is the bound) LINK_SIZES="250 500 1008 2000" (sizes for link rows)
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SMOKE=0
[[ ${2:-} == --smoke ]] && SMOKE=1
if [ $SMOKE = 1 ]; then
    SIZES=${SIZES:-20} TARGETS=${TARGETS:-"rb-memif rb-socket dnsmasq"} LOSSES=${LOSSES:-"0"} DURATION=${DURATION:-60}
    SET_MB=2
fi
SIZES=${SIZES:-"100 250 500 1000 2000"}
LINKS=${LINKS:-0}
LINK_SIZES=${LINK_SIZES:-"250 500 1008 2000"}
LINK_BUFFER=${LINK_BUFFER:-512k}
TARGETS=${TARGETS:-"rb-memif rb-afpacket rb-socket dnsmasq dnsmasq-max tftpd-hpa atftpd"}
LOSSES=${LOSSES:-"0 0.02"}
DURATION=${DURATION:-120}
SET_MB=${SET_MB:-20}
RESULTS=${RESULTS:-$HERE/results/rack_poweron}
[ $SMOKE = 1 ] && RESULTS=${RESULTS_SMOKE:-/tmp/rack_poweron_smoke.$$}
source "$HERE/netns_bench.sh" rackpoweron
# The kernel servers need room in the neighbour (ARP) table for the whole fleet, as
# deploy/99-rackboot.conf gives it: at the default 1,024 entries for the host, a 2,000-Pi run
# overflows it and the kernel drops what the servers send to the Pis it cannot hold. Raised for
# the run (never lowered), put back on exit.
NEIGH=net.ipv4.neigh.default
NEIGH_WAS=()
for i in 1 2 3; do NEIGH_WAS+=("$(sysctl -n "$NEIGH.gc_thresh$i")"); done
restore_neigh() { for i in 1 2 3; do sysctl -qw "$NEIGH.gc_thresh$i=${NEIGH_WAS[$((i - 1))]}"; done; }
trap 'restore_neigh; cleanup' EXIT
for spec in 1:4096 2:8192 3:16384; do
    i=${spec%%:*} want=${spec##*:}
    if [ "${NEIGH_WAS[$((i - 1))]}" -lt "$want" ]; then sysctl -qw "$NEIGH.gc_thresh$i=$want"; fi
done
for t in dnsmasq in.tftpd; do command -v "$t" >/dev/null || { echo "rack_poweron.sh: $t missing (tools/install-deps)"; exit 1; }; done
# atftpd's package conflicts with tftpd-hpa's (both provide tftpd): it is fetched from Debian and
# unpacked beside the tree instead of installed (its libraries, libwrap0 and libpcre2, are).
ATFTPD=$(command -v atftpd || true)
if [ -z "$ATFTPD" ] && [[ " $TARGETS " == *" atftpd "* ]]; then
    cache=/var/cache/rackboot-peers
    if [ ! -x "$cache/usr/sbin/atftpd" ]; then
        mkdir -p "$cache"
        (cd "$cache" && chown _apt "$cache" 2>/dev/null; apt-get download atftpd >/dev/null && dpkg-deb -x atftpd_*.deb "$cache")
    fi
    ATFTPD=$cache/usr/sbin/atftpd
fi
ip -n "$NS_CLI" addr flush dev "$IF_CLI"  # the swarm owns this end: its Pis have the addresses
SWARM=$BUILD/tools/rackboot-swarm/rackboot-swarm
RACKBOOTD=$BUILD/src/rackbootd/rackbootd
PREFIX=rbrack$$
SOCK=$WORK/memif.sock
ulimit -n 20000

# The boot set: start4.elf, fixup4.dat, an 8 MB kernel, an initramfs, the dtb, an overlay,
# config.txt naming them, cmdline.txt (SET_MB scales the kernel and initramfs for --smoke).
TREE=$WORK/tree
mkdir -p "$TREE/overlays"
big=$((SET_MB * 1000000 * 2 / 5))
for f in start4.elf:2300000 fixup4.dat:5400 kernel8.img:$big initramfs8:$((big - 300000)) bcm2711-rpi-4-b.dtb:52000 \
    overlays/vc4-kms-v3d.dtbo:3000; do
    head -c "${f##*:}" /dev/urandom > "$TREE/${f%%:*}"
done
echo "console=serial0,115200 console=tty1 ip=dhcp root=/dev/nbd0p2 rootwait" > "$TREE/cmdline.txt"
printf '[pi4]\ndtoverlay=vc4-kms-v3d\nmax_framebuffers=2\n[all]\narm_64bit=1\ninitramfs initramfs8 followkernel\n' \
    > "$TREE/config.txt"
SET_BYTES=$(du -sb "$TREE" | cut -f1)
chmod -R a+rX "$WORK"  # tftpd-hpa and atftpd drop to nobody

server_pid=""
stop_server() {
    [ -n "$server_pid" ] || return 0
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    ip netns pids "$NS_SRV" 2>/dev/null | xargs -r kill 2>/dev/null || true
    for _ in $(seq 1 100); do  # every server in the namespace gone, its ports free
        [ -z "$(ip netns pids "$NS_SRV" 2>/dev/null)" ] && break
        sleep 0.1
    done
    rm -rf /run/dpdk/"$PREFIX"s* "$WORK/state"
}
# KEEP=DIR: rackbootd's metrics are sampled every second through a run (its admission over time).
API=(--api off)
[ -n "${KEEP:-}" ] && API=(--api 127.0.0.1:18069)
POOL=(--dhcp server --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.200.0")
# Rings deep enough that a host's scheduling hiccup is not a frame lost: an af_packet port's ring
# (framecnt; its default 512 frames is 4.6 ms of 1 Gb/s, and DPDK 22.11 counts nothing it drops)
# and a memif ring (log2 of its slots; default 1,024). A NIC's RX ring is sized the same way.
AFP_RING=framecnt=${AF_PACKET_FRAMES:-4096}
MEMIF_RING=rsize=${MEMIF_RING_LOG2:-12}

start_server() {  # TARGET: starts it, sets server_pid and SWARM_EAL
    local t=$1 log=$WORK/$1.log
    mkdir -p "$WORK/state"
    SWARM_EAL="$(EAL_MB=2048 eal_args "${PREFIX}c" --vdev=net_af_packet0,iface="$IF_CLI",$AFP_RING)"
    ip -n "$NS_SRV" addr replace "$SRV_IP/16" dev "$IF_SRV"
    case $t in
    rb-memif)
        rm -f "$SOCK"
        "$RACKBOOTD" --backend dpdk --ip 10.77.0.1/16 --workers 1 --cpus 1 --tftp-root "$TREE" "${API[@]}" \
            --state "$WORK/state" --dhcp server --subnet 10.77.0.0/16 --pool 10.77.1.0-10.77.200.0 \
            --eal "$(EAL_CORES=1 EAL_MB=1024 eal_args "${PREFIX}s" --vdev=net_memif0,role=server,socket="$SOCK",socket-abstract=no,$MEMIF_RING)" \
            > "$log" 2>&1 &
        SWARM_EAL="$(EAL_MB=2048 eal_args "${PREFIX}c" --vdev=net_memif0,role=client,socket="$SOCK",socket-abstract=no,$MEMIF_RING)"
        ;;
    rb-afpacket)
        ip -n "$NS_SRV" addr flush dev "$IF_SRV"
        in_srv taskset -c 1 "$RACKBOOTD" --backend dpdk --ip "$SRV_IP/16" --workers 1 --cpus 1 --tftp-root "$TREE" \
            "${API[@]}" --state "$WORK/state" "${POOL[@]}" \
            --eal "$(EAL_CORES=1 EAL_MB=1024 eal_args "${PREFIX}s" --vdev=net_af_packet0,iface="$IF_SRV",$AFP_RING)" > "$log" 2>&1 &
        ;;
    rb-socket)
        in_srv taskset -c 1 "$RACKBOOTD" --listen "$SRV_IP" --dhcp-interface "$IF_SRV" --workers 1 --cpus 1 \
            --tftp-root "$TREE" "${API[@]}" --state "$WORK/state" "${POOL[@]}" > "$log" 2>&1 &
        ;;
    dnsmasq | dnsmasq-max)
        local max=()
        [ "$t" = dnsmasq-max ] && max=(--tftp-max=10000)
        in_srv dnsmasq --no-daemon --conf-file=/dev/null --port=0 --interface="$IF_SRV" --bind-interfaces --no-ping \
            --dhcp-range="$NET.1.0,$NET.200.0,255.255.0.0,1h" --dhcp-leasefile="$WORK/state/dnsmasq.leases" \
            --dhcp-lease-max=100000 --pxe-service=0,"Raspberry Pi Boot" --enable-tftp --tftp-root="$TREE" \
            "${max[@]}" --log-facility="$WORK/state/dnsmasq.log" > "$log" 2>&1 &
        ;;
    tftpd-hpa | atftpd)
        # rackbootd gives the addresses and names the TFTP server; its own TFTP is on another port.
        # Its admission is off: it sees none of the transfers, and would pace the boots at DHCP.
        in_srv "$RACKBOOTD" --listen "$SRV_IP" --dhcp-interface "$IF_SRV" --workers 1 --tftp-root "$TREE" \
            --tftp-port 6969 --tftp-server "$SRV_IP" --admission off --api off --state "$WORK/state" "${POOL[@]}" > "$WORK/dhcp.log" 2>&1 &
        PIDS+=($!)
        if [ "$t" = tftpd-hpa ]; then
            in_srv in.tftpd -L -l -a "$SRV_IP:69" -s "$TREE" > "$log" 2>&1 &  # --foreground --listen --secure
        else
            in_srv "$ATFTPD" --daemon --no-fork --bind-address "$SRV_IP" --port 69 --logfile "$WORK/state/atftpd.log" \
                "$TREE" > "$log" 2>&1 &
        fi
        ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
    esac
    server_pid=$!
    PIDS+=("$server_pid")
    sleep 1.5
    kill -0 "$server_pid" 2>/dev/null || { echo "$t did not start: $(tail -3 "$log")" >&2; exit 1; }
}

# Frames the kernel dropped from its per-CPU input backlogs (net.core.netdev_max_backlog), every CPU.
backlog_drops() { python3 -c 'import sys; print(sum(int(l.split()[1], 16) for l in open("/proc/net/softnet_stat")))'; }

# A link rate as bits/s (1g, 400m, 0).
link_bps() { python3 -c 'import sys; v=sys.argv[1].lower(); m={"k":1e3,"m":1e6,"g":1e9}
print(int(float(v[:-1]) * m[v[-1]]) if v[-1] in m else int(v))' "$1"; }

run_swarm() {  # TARGET PIS LOSS LINK: one power-on; appends a row to the .tsv
    local t=$1 n=$2 loss=$3 link=$4 out=$WORK/$1-$2-$3-$4.json fault=() drops dur=$DURATION attempts=${ATTEMPTS:-1}
    drops=$(backlog_drops)
    [ "$loss" != 0 ] && fault=(--fault "loss=$loss")
    if [ "$link" != 0 ]; then
        fault+=(--link-rate "$link" --link-buffer "$LINK_BUFFER")
        attempts=${LINK_ATTEMPTS:-0}
        # Bounded at 1.5x the floor plus a minute, at least DURATION: room for the waves (the goal
        # is 1.2x), and a server that boots none of the rack stops there.
        dur=$(python3 -c "print(max($DURATION, int(1.5 * $n * $SET_BYTES * 8 / $(link_bps "$link")) + 60))")
    fi
    local ns=(ip netns exec "$NS_CLI") sampler="" rc=0 measured=$'\t' m=""
    [ "$t" = rb-memif ] && ns=()
    if [ -n "${KEEP:-}" ] && [[ $t == rb-* ]]; then
        mkdir -p "$KEEP"
        local at=()
        m=$KEEP/$t-$n-$loss-$link.metrics
        [ "$t" != rb-memif ] && at=(ip netns exec "$NS_SRV")
        : > "$m"
        (while sleep 1; do
            echo "t $(date +%s.%N)"
            "${at[@]}" curl -s --max-time 1 http://127.0.0.1:18069/metrics | grep -E '^rackboot_(path_rate|dhcp_boot|tftp_held|tftp_active|tftp_admission|dhcp_boots|tftp_retransmits|tftp_spurious|tftp_resends_held|tftp_bytes_total|port_)' || true
        done >> "$m") &
        sampler=$!
    fi
    "${ns[@]}" timeout $((dur + 120)) "$SWARM" --eal "$SWARM_EAL" --pis "$n" --mix pi4=1 --ramp 0 \
        --tree "$TREE" --verify crc32 --duration "$dur" "${fault[@]}" --json "$out" --progress off \
        --attempts "$attempts" \
        > "$WORK/swarm.out" 2>&1 || rc=$?
    [ -n "$sampler" ] && { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; }
    [ "$rc" = 0 ] || { echo "  swarm failed: $(tail -3 "$WORK/swarm.out")" >&2; return 0; }
    # rackbootd's own view of the path (KEEP): the rate it measured, the goodput while Pis waited.
    [ -n "$m" ] && measured=$(python3 "$HERE/rack_poweron_metrics.py" "$m")
    python3 - "$out" "$t" "$n" "$loss" "$link" "$(link_bps "$link")" "$SET_BYTES" "$measured" >> "$RESULTS.tsv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); b = d["boots"]; l = d["latency_s"]["boot"]; r = d["rack"]
n, bps, set_bytes = int(sys.argv[3]), int(sys.argv[6]), int(sys.argv[7])
floor = n * set_bytes * 8 / bps if bps > 0 else 0
up = r["time_to_all_up_s"]
goodput = 100.0 * d["traffic"]["file_bytes"] * 8 / (up * bps) if bps > 0 and up > 0 else -1
print("\t".join(str(x) for x in [sys.argv[2], sys.argv[3], sys.argv[4], b["booted"], b["failed"],
      round(100.0 * b["booted"] / max(1, b["booted"] + b["failed"]), 1), round(l["p50"], 2), round(l["p99"], 2),
      round(l["max"], 2), round(b["boots_per_s"], 1), round(d["elapsed_s"], 1), round(d["swarm"]["idle_pct"], 1),
      ";".join(f"{k}={v}" for k, v in b["failed_by_reason"].items()) or "-",
      sys.argv[5], round(up, 1), round(floor, 1), round(goodput, 1), round(r["slowest_file_s"], 2),
      round(r["attempts_max"]), d["traffic"]["duplicates_seen"]] + sys.argv[8].split("\t")))
PY
    tail -1 "$RESULTS.tsv" >&2
    # What the table cannot show: frames lost on the way rather than by the server, and (KEEP=DIR)
    # the swarm's whole report.
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print("  swarm tx dropped", d["traffic"]["frames_tx_dropped"], "rx missed", d["swarm"]["rx_missed"],
      "kernel backlog drops", sys.argv[2])' "$out" $(($(backlog_drops) - drops)) >&2
    [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$out" "$KEEP/"
    return 0
}

mkdir -p "$(dirname "$RESULTS")"
printf 'target\tpis\tloss\tbooted\tfailed\tsuccess_pct\tp50_s\tp99_s\tmax_s\tboots_per_s\telapsed_s\tswarm_idle_pct\tfailures\tlink\tall_up_s\tfloor_s\tgoodput_pct\tslowest_file_s\tattempts_max\tduplicates\tpath_rate\twaiting_goodput_pct\n' > "$RESULTS.tsv"
for t in $TARGETS; do
    echo "== $t" >&2
    start_server "$t"
    for loss in $LOSSES; do
        for link in $LINKS; do
            sizes=$SIZES
            [ "$link" != 0 ] && sizes=$LINK_SIZES
            for n in $sizes; do run_swarm "$t" "$n" "$loss" "$link"; done
        done
    done
    stop_server
done
python3 "$HERE/rack_poweron_report.py" "$RESULTS.tsv" "$RESULTS" "$SET_BYTES" "$DURATION" "$0 $*" \
    "SIZES=\"$SIZES\" LOSSES=\"$LOSSES\" LINKS=\"$LINKS\" LINK_SIZES=\"$LINK_SIZES\" DURATION=$DURATION"
echo "wrote $RESULTS.tsv $RESULTS.md $RESULTS.png" >&2
