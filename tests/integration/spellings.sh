#!/usr/bin/env bash
# One host cannot take every TFTP slot (issue 9.3): 2,000 RRQs for one file, spelled 40 ways,
# from one address under --max-transfers 2000. The server normalises the path (one file, one
# key) and gives that address at most --max-transfers-per-client (32) transfers; curl and
# tftp-hpa from another address are served meanwhile. RB_BACKEND=dpdk runs it on the DPDK backend.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$WORK/root
make_file "$ROOT/kernel8.img" 300000
ulimit -n 8192
if [ "${RB_BACKEND:-socket}" = dpdk ]; then
    source "$(dirname "$0")/netns.sh"
    netns_setup
    backend_args
    ip -n "$NS_CLI" addr add "$NET.0.3/16" dev "$IF_CLI"  # the primary: tftp-hpa's source
    ip -n "$NS_CLI" addr add "$NET.0.2/16" dev "$IF_CLI"
    RB_NETNS=$NS_SRV
    start_rackbootd --tftp-root "$ROOT" "${BACKEND_ARGS[@]}" --max-transfers 2000
    HOST=$SRV_IP TPORT=69 ATTACKER=$NET.0.2 OTHER=$NET.0.3
else
    start_rackbootd --tftp-root "$ROOT" --max-transfers 2000
    HOST=127.0.0.1 TPORT=$PORT ATTACKER=127.0.0.2 OTHER=127.0.0.1
fi
in_cli /usr/bin/python3 "$HERE/spellings.py" "$HOST" "$TPORT" "$ATTACKER" kernel8.img 2000 32 15 \
    > "$WORK/spellings.out" 2>&1 &
ATTACK=$!
PIDS+=($ATTACK)
for _ in $(seq 1 300); do grep -q '^spellings:' "$WORK/spellings.out" && break; sleep 0.1; done
grep -q '^spellings:' "$WORK/spellings.out" || fail "the spellings did not finish: $(cat "$WORK/spellings.out")"
! grep -q FAIL "$WORK/spellings.out" || fail "$(cat "$WORK/spellings.out")"
cat "$WORK/spellings.out"
# While the 32 stay open: other clients on another address are served in full.
in_cli curl -sf --interface "$OTHER" -o "$WORK/curl.img" "tftp://$HOST:$TPORT/kernel8.img" \
    || fail "curl from $OTHER was refused while one host spelled one file 2,000 ways"
same_sha "$ROOT/kernel8.img" "$WORK/curl.img" "curl"
(cd "$WORK" && in_cli tftp -4 -m binary "$HOST" "$TPORT" -c get ./kernel8.img hpa.img) \
    || fail "tftp-hpa from $OTHER was refused"
same_sha "$ROOT/kernel8.img" "$WORK/hpa.img" "tftp-hpa"
capped=$(metric 'rackboot_drops_total{reason="client_cap"}')
[ "$capped" -ge 1968 ] || fail "client_cap counted $capped, expected at least 1968"
expect_metric 'rackboot_drops_total{reason="transfer_cap"}' 0
pass "one address held at most 32 transfers ($capped refused as client_cap); curl and tftp-hpa were served"
