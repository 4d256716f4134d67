# Shared helpers for integration tests: a private rackbootd on loopback with ephemeral ports, a
# scratch directory removed on exit, and checks that fail loudly.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../support/skip.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../support/rackbootd.sh"
# Network namespaces (netns_setup) and in_cli / in_srv, which run here when a test makes none.
source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

: "${RACKBOOTD:?RACKBOOTD must point at the rackbootd binary}"
WORK=$(mktemp -d /tmp/rackboot-it.XXXXXX)
PIDS=()

cleanup() {
    local rc=$?
    # rackbootd must stop cleanly on SIGTERM (exit 0; under ASan, no leak or error report).
    if [ -n "${RB_PID:-}" ] && kill "$RB_PID" 2>/dev/null; then
        local rb_rc=0
        wait "$RB_PID" || rb_rc=$?
        if [ $rb_rc -ne 0 ] && [ $rc -eq 0 ]; then
            echo "FAIL: rackbootd exited with status $rb_rc on SIGTERM"
            rc=1
        fi
        grep -q '^event=stop' "$WORK/rackbootd.log" || { echo "FAIL: no clean stop in the log"; rc=1; }
    fi
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if declare -F netns_cleanup >/dev/null; then netns_cleanup; fi
    if declare -F test_cleanup >/dev/null; then test_cleanup; fi
    if [ $rc -ne 0 ] && [ -f "$WORK/rackbootd.log" ]; then
        echo "--- rackbootd log (last 40 lines) ---"
        tail -n 40 "$WORK/rackbootd.log"
    fi
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# expect_refusal "MESSAGE PART" ARGS...: rackbootd with ARGS exits non-zero saying MESSAGE PART.
expect_refusal() {
    local want=$1; shift
    local out rc=0
    out=$(timeout 10 "$RACKBOOTD" --tftp-port 0 --api off "$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "rackbootd $* started"
    grep -qF -- "$want" <<<"$out" || fail "rackbootd $*: message lacks '$want': $out"
    pass "refused: $* -> $out"
}
# started_clean PID NAME: a server rackbootd started holds none of its descriptors (the test gave
# rackbootd $WORK/held on a descriptor) and stops on SIGTERM within 5 s.
started_clean() {
    ls -l /proc/"$RB_PID"/fd | grep -q "$WORK/held" || fail "rackbootd did not inherit the descriptor this test checks with"
    [ "$(ls -l /proc/"$1"/fd | grep -c "$WORK/held")" = 0 ] || fail "$2 holds a descriptor of rackbootd's"
    kill "$1"
    for _ in $(seq 1 100); do kill -0 "$1" 2> /dev/null || break; sleep 0.05; done
    kill -0 "$1" 2> /dev/null && fail "$2 (pid $1) ignored SIGTERM"
    pass "$2, started by rackbootd, holds none of its descriptors and stops on SIGTERM"
}
# json_get FILE EXPR: prints EXPR (Python, over the JSON document in FILE as `d`; FILE - reads
# standard input), e.g. json_get report.json 'd["boots"]["booted"]'.
json_get() {
    python3 -c 'import json, sys; d = json.load(sys.stdin if sys.argv[1] == "-" else open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
# mixed_pi_tree DIR: a boot tree for Pi 3, 4 and 5 (each model's firmware, device tree and
# kernel at realistic sizes, an overlay, cmdline.txt and a config.txt with a [pi4] section).
mixed_pi_tree() {
    mkdir -p "$1/overlays"
    for f in start4.elf:2300000 fixup4.dat:5400 kernel8.img:3000000 kernel_2712.img:3000000 bcm2711-rpi-4-b.dtb:50000 \
        bcm2712-rpi-5-b.dtb:50000 overlays/vc4-kms-v3d.dtbo:3000 bootcode.bin:52000 start.elf:290000 fixup.dat:7000 \
        bcm2710-rpi-3-b.dtb:30000; do
        make_file "$1/${f%%:*}" "${f##*:}"
    done
    echo "console=serial0,115200 ip=dhcp root=/dev/nbd0p2" > "$1/cmdline.txt"
    printf '[pi4]\ndtoverlay=vc4-kms-v3d\n[all]\narm_64bit=1\n' > "$1/config.txt"
}

# make_file PATH SIZE: random content of exactly SIZE bytes.
make_file() {
    mkdir -p "$(dirname "$1")"
    head -c "$2" /dev/urandom > "$1"
}

# start_rackbootd ARGS...: rackbootd_start on loopback with ephemeral ports; sets PORT and API.
# With RB_NETNS set, it runs inside that network namespace (and API is reached there too).
start_rackbootd() {
    rackbootd_start "$WORK/rackbootd.log" --tftp-port 0 --api 127.0.0.1:0 "$@" || fail "rackbootd did not start"
    PORT=$RB_PORT
    API=$RB_API
}

# metric NAME{labels}: the current value of one series.
metric() {
    local prefix=()
    [ -n "${RB_NETNS:-}" ] && prefix=(ip netns exec "$RB_NETNS")
    "${prefix[@]}" curl -sf "http://$API/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}

# wait_log ERE: waits up to 3 s for a matching line in rackbootd's log (lines are flushed every 50 ms).
wait_log() {
    for _ in $(seq 1 60); do
        grep -Eq "$1" "$WORK/rackbootd.log" && return 0
        sleep 0.05
    done
    return 1
}

# wait_metric NAME{labels} VALUE [SECONDS]: waits (up to SECONDS, 5 by default) for a series to read VALUE.
wait_metric() {
    local end=$((SECONDS + ${3:-5}))
    while [ "$(metric "$1")" != "$2" ]; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.1
    done
}

expect_metric() {
    local got
    got=$(metric "$1")
    [ "$got" = "$2" ] || fail "metric $1 is '$got', expected $2"
}

same_sha() {
    local a b
    a=$(sha256sum < "$1" | cut -d' ' -f1)
    b=$(sha256sum < "$2" | cut -d' ' -f1)
    [ "$a" = "$b" ] || fail "$3: sha256 differs ($1 vs $2)"
}
