# Network namespaces for DHCP tests: a server namespace and a client namespace joined by a veth
# pair, created here and removed on exit. Needs root (CI runs as root).
# After netns_setup: NS_SRV, NS_CLI, IF_SRV, IF_CLI, SRV_IP (10.B.0.1 on a /16), NET (10.B).

netns_setup() {
    need_root "network namespaces"
    local tag
    tag=$(printf '%x' $(( ($$ + RANDOM) % 65536 )))
    NS_SRV=rbs-$tag
    NS_CLI=rbc-$tag
    IF_SRV=rbs$tag
    IF_CLI=rbc$tag
    NET=10.$(( ($$ + RANDOM) % 200 + 20 ))
    SRV_IP=$NET.0.1
    ip netns add "$NS_SRV"
    ip netns add "$NS_CLI"
    NETNS_CREATED=1
    ip link add "$IF_SRV" type veth peer name "$IF_CLI"
    ip link set "$IF_SRV" netns "$NS_SRV"
    ip link set "$IF_CLI" netns "$NS_CLI"
    ip -n "$NS_SRV" link set lo up
    ip -n "$NS_CLI" link set lo up
    ip -n "$NS_SRV" addr add "$SRV_IP/16" dev "$IF_SRV"
    ip -n "$NS_SRV" link set "$IF_SRV" up
    ip -n "$NS_CLI" link set "$IF_CLI" up
    # Kernel peers send partial UDP checksums on veth; have them filled in.
    ip netns exec "$NS_SRV" ethtool -K "$IF_SRV" tx off >/dev/null 2>&1 || true
    ip netns exec "$NS_CLI" ethtool -K "$IF_CLI" tx off >/dev/null 2>&1 || true
}

# in_cli / in_srv CMD...: runs CMD on the clients' / the server's side of the veth (in NS_CLI /
# NS_SRV after netns_setup; on this host where a test runs without namespaces).
in_cli() { if [ -n "${NS_CLI:-}" ]; then ip netns exec "$NS_CLI" "$@"; else "$@"; fi; }
in_srv() { if [ -n "${NS_SRV:-}" ]; then ip netns exec "$NS_SRV" "$@"; else "$@"; fi; }

# swarm_over_veth FILE_PREFIX ARGS...: rackboot-swarm in the client namespace, on its end of the
# veth through net_af_packet (its EAL files under FILE_PREFIX), bounded to 240 s.
swarm_over_veth() {
    local prefix=$1
    shift
    ip netns exec "$NS_CLI" env EAL_MB=1024 timeout 240 "$RACKBOOT_SWARM" \
        --eal "$(EAL_MB=1024 eal_args "$prefix" --vdev=net_af_packet0,iface="$IF_CLI")" --progress off "$@"
}

netns_cleanup() {
    [ -n "${NETNS_CREATED:-}" ] || return 0
    ip netns pids "$NS_SRV" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns pids "$NS_CLI" 2>/dev/null | xargs -r kill 2>/dev/null || true
    sleep 0.1
    ip netns del "$NS_SRV" 2>/dev/null || true
    ip netns del "$NS_CLI" 2>/dev/null || true
}

# backend_args: sets BACKEND_ARGS for rackbootd on the server side of the veth: kernel sockets
# bound to the interface, or (RB_BACKEND=dpdk) DPDK owning it through net_af_packet.
backend_args() {
    if [ "${RB_BACKEND:-socket}" = dpdk ]; then
        ip -n "$NS_SRV" addr flush dev "$IF_SRV"
        # RB_DPDK_WORKERS=N: N workers on N af_packet queue pairs, which have no RSS, so frames
        # are steered in software (and DHCP handed to worker 0).
        local n=${RB_DPDK_WORKERS:-1}
        BACKEND_ARGS=(--backend dpdk --ip "$SRV_IP/16" --workers "$n"
            --eal "$(eal_args rb$IF_SRV --vdev=net_af_packet0,iface=$IF_SRV,qpairs=$n)")
    else
        BACKEND_ARGS=(--listen "$SRV_IP" --dhcp-interface "$IF_SRV")
    fi
}

# dhcp_test_setup: what every DHCP test starts with: the namespaces, a one-file boot tree in
# $WORK/root, BACKEND_ARGS, DATA (tests/data) and HERE (this directory).
dhcp_test_setup() {
    netns_setup
    DATA=$(cd "$(dirname "${BASH_SOURCE[0]}")/../data" && pwd)
    HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    mkdir -p "$WORK/root"
    echo "x" > "$WORK/root/start.elf"
    backend_args
}
