#!/usr/bin/env bash
# Permission mistakes are told apart from attacks (issue 9.6), with rackbootd running as nobody:
# a boot tree its user may not enter, and a --state it may not write, are refused by
# --check-config and at start, naming the path, the mode and the user; a file it may not read
# gets "access violation" counted as permission_denied, not path_escape.
source "$(dirname "$0")/lib.sh"
need_root "running rackbootd as another user"
chmod 755 "$WORK"
# nobody runs a copy in $WORK: the build may lie under a directory only root may enter (a
# checkout in root's home), and where the checkout lies must not decide what this test sees.
cp "$RACKBOOTD" "$WORK/rackbootd"
chmod 755 "$WORK/rackbootd"
RACKBOOTD=$WORK/rackbootd
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
mkdir -p "$WORK/closed" "$WORK/open" "$WORK/state-ro"
echo x > "$WORK/closed/start4.elf"
chmod 000 "$WORK/closed"
make_file "$WORK/open/start4.elf" 5000
make_file "$WORK/open/secret.bin" 100
chmod 644 "$WORK/open/start4.elf"
chmod 000 "$WORK/open/secret.bin"
chmod 755 "$WORK/open" "$WORK/state-ro"

out=$(as_nobody "$RACKBOOTD" --check-config --tftp-root "$WORK/closed" 2>&1) && fail "--check-config accepted a tree nobody may enter"
grep -q "boot tree '$WORK/closed': the daemon's user (uid 65534) may not enter it (mode 0000" <<<"$out" \
    || fail "--check-config did not say why: $out"
pass "--check-config: $out"
out=$(as_nobody "$RACKBOOTD" --check-config --tftp-root "$WORK/open" --board "0badf00d=$WORK/closed" 2>&1) \
    && fail "--check-config accepted a board tree nobody may enter"
grep -q "may not enter it" <<<"$out" || fail "board tree: $out"
out=$(as_nobody timeout 10 "$RACKBOOTD" --tftp-root "$WORK/closed" --tftp-port 0 --api off 2>&1) \
    && fail "rackbootd started on a tree nobody may enter"
grep -q "may not enter it" <<<"$out" || fail "start: $out"
pass "start refused: $out"

SERVER=(--dhcp server --listen 0.0.0.0 --dhcp-port 6767 --subnet 10.77.0.0/16 --pool 10.77.1.0-10.77.1.200)
out=$(as_nobody "$RACKBOOTD" --check-config --tftp-root "$WORK/open" "${SERVER[@]}" --state "$WORK/state-ro" 2>&1) \
    && fail "--check-config accepted a --state nobody may write"
grep -q "^rackbootd: --state: the daemon's user (uid 65534) cannot write in '$WORK/state-ro'" <<<"$out" \
    || fail "--check-config did not say why: $out"
pass "--check-config: $out"
out=$(as_nobody "$RACKBOOTD" --check-config --tftp-root "$WORK/open" "${SERVER[@]}" --state "$WORK/state-ro/new" 2>&1) \
    && fail "--check-config accepted a --state nobody may create"
grep -q "cannot create '$WORK/state-ro/new'" <<<"$out" || fail "$out"
out=$(as_nobody timeout 10 "$RACKBOOTD" --tftp-root "$WORK/open" --tftp-port 0 --api off "${SERVER[@]}" \
    --state "$WORK/state-ro" 2>&1) && fail "rackbootd started with a --state nobody may write"
grep -q "cannot write in" <<<"$out" || fail "start: $out"
pass "start refused: $out"

RB_WRAP="setpriv --reuid=65534 --regid=65534 --clear-groups" start_rackbootd --tftp-root "$WORK/open"
curl -sf -o "$WORK/got" "tftp://127.0.0.1:$PORT/start4.elf" || fail "a readable file was not served to nobody"
same_sha "$WORK/open/start4.elf" "$WORK/got" "start4.elf"
curl -s "tftp://127.0.0.1:$PORT/secret.bin" -o /dev/null 2>"$WORK/curl.err" && fail "an unreadable file was served"
expect_metric 'rackboot_drops_total{reason="permission_denied"}' 1
expect_metric 'rackboot_drops_total{reason="path_escape"}' 0
pass "an unreadable file: access violation, counted as permission_denied (not path_escape)"
