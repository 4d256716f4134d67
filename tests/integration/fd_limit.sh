#!/usr/bin/env bash
# The descriptor limit and --max-transfers (issue 9.4): under RLIMIT_NOFILE 600, --max-transfers
# 20000 cannot be met (each socket-backend transfer holds a socket and, while its file opens, a
# second descriptor). --check-config refuses the configuration (when --max-transfers is given;
# the default is "as many as fit", and it says so); a start fits the default cap with a note, not
# a warning (to 138 here: 600 less 233 kept for the daemon and the API (80 connections at 2
# descriptors each), less 91 for the cache's files, over 2), so 700 clients get 138 transfers and
# 562 "transfer limit reached" refusals, and none fails as "cannot open file" (EMFILE counted as
# read_error before).
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$WORK/root
make_file "$ROOT/kernel8.img" 100000
ulimit -n 4096

out=$(prlimit --nofile=600:600 "$RACKBOOTD" --check-config --tftp-root "$ROOT" --workers 1 --max-transfers 20000 2>&1) \
    && fail "--check-config accepted --max-transfers 20000 under a 600-descriptor limit: $out"
grep -q "RLIMIT_NOFILE 600) covers 138 transfers, not --max-transfers 20000" <<<"$out" \
    || fail "--check-config did not say why: $out"
pass "--check-config refuses: $out"
prlimit --nofile=600:600 "$RACKBOOTD" --check-config --tftp-root "$ROOT" --workers 1 --max-transfers 138 >/dev/null \
    || fail "--check-config refused --max-transfers 138, which fits"
out=$(prlimit --nofile=600:600 "$RACKBOOTD" --check-config --tftp-root "$ROOT" --workers 1 2>&1) \
    || fail "--check-config refused the default cap, which means as many as fit: $out"
grep -q "^rackbootd: note: .* covers 138 transfers" <<<"$out" || fail "--check-config did not note the lowered default: $out"

# Every one of the 700 transfers is to start at once and stay unacknowledged: the cap on
# descriptors is measured, not admission to the path (which would hold all but 32 until a rate is
# measured, and none is: nothing is ever acknowledged).
RB_WRAP="prlimit --nofile=600:600" start_rackbootd --tftp-root "$ROOT" --workers 1 --admission off
grep -q "max_transfers=138 " "$WORK/rackbootd.log" || fail "the cap was not lowered: $(grep event=start "$WORK/rackbootd.log")"
grep -q 'event=note what="max_transfers 138: as many as the descriptor limit covers"' "$WORK/rackbootd.log" \
    || fail "no note line: $(cat "$WORK/rackbootd.log")"
grep -q 'warning' "$WORK/rackbootd.log" && fail "the default cap fitted to the limit was a warning: $(cat "$WORK/rackbootd.log")"
/usr/bin/python3 "$HERE/fd_limit.py" 127.0.0.1 "$PORT" 700 kernel8.img > "$WORK/fd.out" || fail "$(cat "$WORK/fd.out")"
cat "$WORK/fd.out"
grep -q "started=138 " "$WORK/fd.out" || fail "not 138 transfers started"
grep -q "transfer_limit_reached_try_again=562" "$WORK/fd.out" || fail "not 562 refusals at the cap"
expect_metric 'rackboot_drops_total{reason="read_error"}' 0
expect_metric 'rackboot_drops_total{reason="descriptors"}' 0
expect_metric 'rackboot_drops_total{reason="socket_error"}' 0
# Once they are gone (each is given up 1.25 s after it started), the service is whole again.
wait_metric rackboot_tftp_active_transfers 0 \
    || fail "transfers still open 5 s after the burst: $(metric rackboot_tftp_active_transfers)"
curl -sf -o "$WORK/k.img" "tftp://127.0.0.1:$PORT/kernel8.img" || fail "curl after the burst"
same_sha "$ROOT/kernel8.img" "$WORK/k.img" "curl after the burst"
pass "under a 600-descriptor limit: 138 transfers, 562 refused at the cap, no EMFILE, then curl served"
