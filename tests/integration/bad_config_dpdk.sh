#!/usr/bin/env bash
# A bad DPDK configuration refuses to start, says why in one line, and leaves no runtime directory.
source "$(dirname "$0")/lib.sh"
need_root "the DPDK EAL"
mkdir -p "$WORK/root"
EAL=$(EAL_MB=256 eal_args rbbad$$)
expect_refusal "no DPDK port" --tftp-root "$WORK/root" --backend dpdk --ip 10.0.0.1/24 --eal "$EAL"
expect_refusal "each worker needs a TX queue and port net_af_packet0 has 1" \
    --tftp-root "$WORK/root" --backend dpdk --ip 10.0.0.1/24 --workers 2 --eal "$EAL --vdev=net_af_packet0,iface=lo"
TWO="$EAL --vdev=net_null0,no-rx=1 --vdev=net_null1,no-rx=1"
expect_refusal "the EAL found 2 ports (net_null0, net_null1); choose the one to serve with --port NAME" \
    --tftp-root "$WORK/root" --backend dpdk --ip 10.0.0.1/24 --eal "$TWO"
expect_refusal "--port net_null7: no such DPDK port (the EAL found net_null0, net_null1)" \
    --tftp-root "$WORK/root" --backend dpdk --ip 10.0.0.1/24 --port net_null7 --eal "$TWO"
[ ! -e "/run/dpdk/rbbad$$" ] || fail "a refused DPDK start left /run/dpdk/rbbad$$ behind"
