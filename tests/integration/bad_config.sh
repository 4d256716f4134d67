#!/usr/bin/env bash
# A bad configuration refuses to start and says where; nothing is left listening. The refusals
# that need a running EAL are in bad_config_dpdk.sh.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/root"
expect_refusal "--workers: 'many'" --workers many
expect_refusal "--listen: '10.0.0.300'" --listen 10.0.0.300
expect_refusal "--board: 'zz=" --board "zz=$WORK/root"
expect_refusal "cannot open boot tree '$WORK/missing'" --tftp-root "$WORK/missing"
expect_refusal "cannot open boot tree '$WORK/missing-board'" --tftp-root "$WORK/root" --board "01020304=$WORK/missing-board"
expect_refusal "--cpus: CPU 4095 does not exist" --cpus 4095
expect_refusal "unknown option '--tftp-rot'" --tftp-rot "$WORK/root"
expect_refusal "--mtu: '100'" --mtu 100
expect_refusal "--gateway must be another address inside --ip's subnet" \
    --backend dpdk --ip 10.0.0.1/24 --gateway 10.9.9.9 --eal "--no-huge"
# A port already taken: a clear bind error, not a crash.
/usr/bin/python3 -c 'import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1], flush=True); time.sleep(30)' > "$WORK/port" &
PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
taken=$(cat "$WORK/port")
out=$("$RACKBOOTD" --tftp-root "$WORK/root" --api off --tftp-port "$taken" 2>&1) && fail "started on a taken port"
grep -q "cannot bind TFTP to 127.0.0.1:$taken" <<<"$out" || fail "bind error unclear: $out"
pass "taken port: $out"
# --check-config: the same refusals, and an accepted configuration binds nothing (the taken port
# does not matter) and starts no service.
expect_refusal "cannot open boot tree '$WORK/missing'" --check-config --tftp-root "$WORK/missing"
expect_refusal "--pool: 10.9.0.1-10.9.0.9 is not an ascending range of host addresses inside the subnet" --check-config \
    --tftp-root "$WORK/root" --listen 0.0.0.0 --dhcp server --subnet 10.1.0.0/16 --pool 10.9.0.1-10.9.0.9 --state "$WORK/state"
# Only the lease table (as the server builds it) knows our own address cannot be reserved.
expect_refusal "--reserve: MAC=10.1.0.50 is not a host address of the subnet we may give out" --check-config \
    --tftp-root "$WORK/root" --listen 10.1.0.50 --dhcp server --subnet 10.1.0.0/16 --pool 10.1.0.10-10.1.0.99 \
    --state "$WORK/state" --reserve 02:00:00:00:00:01=10.1.0.50
echo x > "$WORK/root/file"
expect_refusal "--state: '$WORK/root/file' is not a directory" --check-config --tftp-root "$WORK/root" --listen 0.0.0.0 \
    --dhcp server --subnet 10.1.0.0/16 --pool 10.1.0.10-10.1.0.99 --state "$WORK/root/file"
out=$(timeout 10 "$RACKBOOTD" --tftp-root "$WORK/root" --api off --tftp-port "$taken" --check-config 2>&1) \
    || fail "--check-config refused a good configuration: $out"
grep -q "^rackbootd: configuration ok: backend=socket tftp_root=$WORK/root" <<<"$out" || fail "--check-config: $out"
[ ! -e "$WORK/state" ] || fail "--check-config created the state directory"
pass "--check-config: $out"
