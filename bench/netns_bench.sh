# Sourced by benchmarks that run a server and a load generator in two network namespaces joined by
# a veth (tests/integration/netns.sh): skips (exit 77) unless root, makes WORK, kills PIDS and removes the
# namespaces and WORK on exit. After it: NS_SRV, NS_CLI, IF_SRV, IF_CLI, SRV_IP, NET, and the client
# side holds $NET.0.2/16.
# Usage: source bench/netns_bench.sh NAME
source "$(dirname "${BASH_SOURCE[0]}")/../tests/support/skip.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../tests/support/rackbootd.sh"
need_root "network namespaces"
source "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/netns.sh"
WORK=$(mktemp -d "/tmp/rackboot-$1-bench.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    netns_cleanup
    rm -rf "$WORK"
}
trap cleanup EXIT
netns_setup
ip -n "$NS_CLI" addr add "$NET.0.2/16" dev "$IF_CLI"
