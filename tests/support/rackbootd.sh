# Sourced by integration tests and benchmarks (after skip.sh): the DPDK EAL arguments that work
# here, starting rackbootd and waiting until it serves, and the matrix of real TFTP clients, each
# written once.

# eal_args FILE_PREFIX [MORE...]: EAL arguments for no NIC and no hugepages (DESIGN.md), then
# MORE (the --vdev ports). EAL_CORES (default 0) and EAL_MB (default 512) override -l and -m.
eal_args() {
    local prefix=$1
    shift
    echo "--no-huge -m ${EAL_MB:-512} --no-pci --no-shconf --no-telemetry --log-level=error -l ${EAL_CORES:-0} --file-prefix $prefix $*"
}

# rackbootd_start LOG ARGS...: starts $RACKBOOTD with ARGS (inside network namespace RB_NETNS when
# set; under the command in RB_WRAP when set, e.g. "prlimit --nofile=600:600", which must exec it),
# output to LOG; adds its pid to PIDS and sets RB_PID; waits up to 10 s for its start line
# and sets RB_API (ADDR:PORT, or "off") from it and RB_PORT (TFTP) from /api/v1/status (from the
# start line where the API is off or TLS). On failure prints the log and returns 1.
rackbootd_start() {
    local log=$1
    shift
    local prefix=()
    [ -n "${RB_NETNS:-}" ] && prefix=(ip netns exec "$RB_NETNS")
    # shellcheck disable=SC2206 # RB_WRAP is a command line, split on purpose
    [ -n "${RB_WRAP:-}" ] && prefix+=($RB_WRAP)
    "${prefix[@]}" "$RACKBOOTD" "$@" > "$log" 2>&1 &
    RB_PID=$!
    PIDS+=("$RB_PID")
    local line=""
    for _ in $(seq 1 200); do
        line=$(grep -m1 '^event=start' "$log" || true)
        [ -n "$line" ] && break
        kill -0 "$RB_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$line" ]; then
        echo "rackbootd did not start:" >&2
        cat "$log" >&2
        return 1
    fi
    # The API's address is on the start line (its port 0 is chosen at start); what else it serves
    # comes from /api/v1/status where the API answers plain HTTP, else from that line too.
    RB_API=$(sed -E 's/.* api=([0-9.]+:[0-9]+|off) .*/\1/' <<<"$line")
    local status=""
    if [ "$RB_API" != off ]; then
        local ns=()
        [ -n "${RB_NETNS:-}" ] && ns=(ip netns exec "$RB_NETNS")
        status=$("${ns[@]}" curl -sf --max-time 5 "http://$RB_API/api/v1/status" || true)
    fi
    if [ -n "$status" ]; then
        RB_PORT=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["listen"]["tftp"].rsplit(":", 1)[1])' <<<"$status")
    else
        RB_PORT=$(sed -E 's/.* tftp=[0-9.]+:([0-9]+) .*/\1/' <<<"$line")
    fi
}

# The real clients every fetch test runs, with the options each is known by.
TFTP_CLIENTS=(curl512 curl1468 tftp-hpa atftp busybox)

# tftp_fetch CLIENT HOST PORT REMOTE OUT: fetches REMOTE into OUT with one client of the matrix,
# bounded in time (FETCH_TIMEOUT, default 120 s), inside network namespace FETCH_NETNS when set.
tftp_fetch() {
    local client=$1 host=$2 port=$3 remote=$4 out=$5
    local run=(timeout "${FETCH_TIMEOUT:-120}")
    [ -n "${FETCH_NETNS:-}" ] && run=(ip netns exec "$FETCH_NETNS" "${run[@]}")
    case "$client" in
    curl512) "${run[@]}" curl -sf --tftp-blksize 512 -o "$out" "tftp://$host:$port/$remote" ;;
    curl1468) "${run[@]}" curl -sf --tftp-blksize 1468 -o "$out" "tftp://$host:$port/$remote" ;;
    tftp-hpa) "${run[@]}" tftp -m binary "$host" "$port" -c get "$remote" "$out" ;;
    atftp) "${run[@]}" atftp --option "windowsize 16" --option "tsize enable" --option "blksize 1468" \
               -g -r "$remote" -l "$out" "$host" "$port" > /dev/null 2>&1 ;;
    busybox) "${run[@]}" busybox tftp -b 1468 -g -r "$remote" -l "$out" "$host" "$port" ;;
    *) echo "tftp_fetch: unknown client $client" >&2; return 2 ;;
    esac
}
