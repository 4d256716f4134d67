#!/usr/bin/env bash
# Path traversal, symlinks out of the tree, WRQ, bad options, malformed datagrams; and tftp-hpa
# (which sends names as typed) gets access violation for '..'.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
mkdir -p "$ROOT/sub" "$WORK/elsewhere"
echo "secret" > "$WORK/outside.txt"
echo "secret" > "$WORK/elsewhere/outside.txt"
echo "fine" > "$ROOT/ok.txt"
ln -s ../outside.txt "$ROOT/escape-link"
ln -s "$WORK/elsewhere" "$ROOT/sub/escape-dir"
ln -s /etc/passwd "$ROOT/abs-link"
ln -s /proc/self/root/etc/passwd "$ROOT/proc-link"
start_rackbootd --tftp-root "$ROOT"
/usr/bin/python3 "$(dirname "$0")/security.py" 127.0.0.1 "$PORT" "$API"

out=$(cd "$WORK" && tftp -m binary 127.0.0.1 "$PORT" -c get ../outside.txt got.txt 2>&1 || true)
grep -q 'Error code 2' <<<"$out" || fail "tftp-hpa '..' not refused: $out"
[ ! -s "$WORK/got.txt" ] || fail "tftp-hpa received data for ../outside.txt"
echo "hello" > "$WORK/up.txt"
out=$(cd "$WORK" && tftp -m binary 127.0.0.1 "$PORT" -c put up.txt up.txt 2>&1 || true)
grep -q 'Error code 2' <<<"$out" || fail "WRQ not refused: $out"
[ ! -e "$ROOT/up.txt" ] || fail "a WRQ wrote a file"
pass "tftp-hpa: traversal and WRQ refused"
