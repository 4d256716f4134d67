#!/usr/bin/env bash
# --check-config is the units' gate (deploy/: ExecStartPre): every start it passes must start,
# so every start refusal is also a --check-config refusal, with the same message (issue 18 #5).
# Each case runs both ways; the start must exit (not serve) and both must say the same line.
# --check-config must also count the boards the store holds, and write nothing while checking.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
mkdir -p "$ROOT" "$WORK/images"
echo x > "$WORK/afile"

# same_refusal WANT ARGS...: a start and a check with ARGS both refuse, with one line holding WANT.
same_refusal() {
    local want=$1; shift
    local started checked rc=0
    started=$(timeout 10 "$RACKBOOTD" --tftp-root "$ROOT" --tftp-port 0 --api 127.0.0.1:0 "$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "the start with $* did not refuse (rc $rc): $started"
    rc=0
    checked=$(timeout 10 "$RACKBOOTD" --check-config --tftp-root "$ROOT" --tftp-port 0 --api 127.0.0.1:0 "$@" 2>&1) || rc=$?
    [ $rc -ne 0 ] || fail "--check-config passed what the start refused ($*): $started"
    started=$(grep -m1 '^rackbootd: ' <<<"$started" || true)
    checked=$(grep -m1 '^rackbootd: ' <<<"$checked" || true)
    grep -qF -- "$want" <<<"$started" || fail "the start's refusal lacks '$want': $started"
    [ "$started" = "$checked" ] || fail "start and check differ for $*: '$started' vs '$checked'"
    pass "both refuse: $started"
}

state() { rm -rf "$WORK/state"; mkdir -p "$WORK/state"; chmod 0750 "$WORK/state"; }
sqlite() { /usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()" "$@"; }

state; install -m 0644 /dev/null "$WORK/token"; echo 0123456789abcdef0123 > "$WORK/token"
same_refusal "must be a regular file only its owner can read" --state "$WORK/state" --api-token-file "$WORK/token"
state; same_refusal "cannot read '$WORK/no-token'" --state "$WORK/state" --api-token-file "$WORK/no-token"
state; mkdir "$WORK/token-dir"
same_refusal "must be a regular file only its owner can read" --state "$WORK/state" --api-token-file "$WORK/token-dir"
same_refusal "--api-tls-cert: cannot read '$WORK/no-cert'" --api-tls-cert "$WORK/no-cert" --api-tls-key "$WORK/no-key"
same_refusal "--listen: 0.0.0.1 is not an address of this machine" --listen 0.0.0.1
state; head -c 8192 /dev/urandom > "$WORK/state/inventory.sqlite"
same_refusal "cannot be read as an inventory" --state "$WORK/state"
state; sqlite "$WORK/state/inventory.sqlite" "PRAGMA user_version=99"
same_refusal "has schema version 99, newer than" --state "$WORK/state"
state; sqlite "$WORK/state/inventory.sqlite" "CREATE TABLE other (x); PRAGMA user_version=2"
same_refusal "is not a rackboot inventory (schema version 2, no table images)" --state "$WORK/state"
state; mkdir "$WORK/state/inventory.sqlite"
same_refusal "--state: '$WORK/state/inventory.sqlite' is not a regular file" --state "$WORK/state"
same_refusal "--images-root: cannot open boot tree '$WORK/no-images'" --images-root "$WORK/no-images"
same_refusal "--images-root: cannot open boot tree '$WORK/afile'" --images-root "$WORK/afile"

# The boards a store holds are what the check counts (not only --board's), and checking writes
# nothing: no token, no inventory, no state directory made.
state
mkdir -p "$ROOT/b"
args=()
for i in $(seq 1 249); do args+=(--board "$(printf '%08x' $((0x10000000 + i)))=$ROOT/b"); done
start_rackbootd --tftp-root "$ROOT" --state "$WORK/state" "${args[@]}"
kill "$RB_PID"; wait "$RB_PID"; RB_PID=
out=$("$RACKBOOTD" --check-config --tftp-root "$ROOT" --state "$WORK/state" 2>&1) || fail "check of the store: $out"
grep -q "boards=249 " <<<"$out" || fail "--check-config did not count the store's 249 boards: $out"
pass "--check-config counts the store's boards: $out"
sum_before=$(sha256sum "$WORK/state/inventory.sqlite")
"$RACKBOOTD" --check-config --tftp-root "$ROOT" --state "$WORK/state" >/dev/null 2>&1
[ "$(sha256sum "$WORK/state/inventory.sqlite")" = "$sum_before" ] || fail "--check-config wrote to the inventory"
out=$("$RACKBOOTD" --check-config --tftp-root "$ROOT" --state "$WORK/fresh-state" 2>&1) || fail "a fresh --state: $out"
[ ! -e "$WORK/fresh-state" ] || fail "--check-config made the state directory"
pass "--check-config of a fresh --state makes nothing: $out"
