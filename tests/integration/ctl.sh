#!/usr/bin/env bash
# rackbootctl for whole racks (issue 23), against a real rackbootd on loopback: global options
# after the command; a rack moved to another image and netbooted off by one label selector, in one
# transaction (a dry run first; a refused change leaves every board as it was); labels added and
# removed one at a time; boards ls with labels and the last boot's age, paged by --limit and
# --after; boards get as text; an import's warnings and skipped lines printed (--strict fails).
source "$(dirname "$0")/lib.sh"
: "${RACKBOOTCTL:?RACKBOOTCTL must point at rackbootctl}"
mkdir -p "$WORK/images/a" "$WORK/images/b" "$WORK/root"
echo a > "$WORK/images/a/start4.elf"
echo b > "$WORK/images/b/start4.elf"
start_rackbootd --tftp-root "$WORK/root" --state "$WORK/state" --images-root "$WORK/images"
export RACKBOOT_API=$API
RACKBOOT_TOKEN=$(cat "$WORK/state/api-token")
export RACKBOOT_TOKEN
ctl() { "$RACKBOOTCTL" "$@"; }

ctl images add a "$WORK/images/a" && ctl images add b "$WORK/images/b" || fail "images add"
for i in 0 1 2 3 4 5; do
    rack=r12
    [ $i -ge 4 ] && rack=r13
    ctl boards add 5a5a000$i --image a --label rack=$rack --label row=x > /dev/null || fail "boards add 5a5a000$i"
done
# Global options after the command.
ctl boards ls --json --label rack=r13 > "$WORK/ls.json" || fail "boards ls --json after the command"
[ "$(json_get "$WORK/ls.json" '[b["serial"] for b in d]')" = "['5a5a0004', '5a5a0005']" ] || fail "$(cat "$WORK/ls.json")"
pass "global options after the command: boards ls --json --label rack=r13"

# A dry run says what would change and changes nothing.
ctl boards set --selector rack=r12,row=x --image b --netboot off --dry-run > "$WORK/dry" || fail "dry run"
grep -q '^4 boards match rack=r12,row=x: 4 would change, 0 already so' "$WORK/dry" || fail "dry run: $(cat "$WORK/dry")"
[ "$(ctl --json boards get 5a5a0000 | json_get - 'd["image"]')" = a ] || fail "a dry run changed a board"
# The rack moves, in one call.
ctl boards set --selector rack=r12 --image b --netboot off --label moved=yes --unlabel row > "$WORK/set" || fail "bulk set"
grep -q '^4 boards match rack=r12: 4 changed, 0 already so' "$WORK/set" || fail "bulk set: $(cat "$WORK/set")"
ctl --json boards ls > "$WORK/all.json"
python3 - "$WORK/all.json" <<'PY' || fail "the rack after the bulk set: $(cat "$WORK/all.json")"
import json, sys
b = {x["serial"]: x for x in json.load(open(sys.argv[1]))}
for s in ("5a5a0000", "5a5a0001", "5a5a0002", "5a5a0003"):
    assert b[s]["image"] == "b" and b[s]["netboot"] is False, b[s]
    assert b[s]["labels"] == {"rack": "r12", "moved": "yes"}, b[s]["labels"]
for s in ("5a5a0004", "5a5a0005"):
    assert b[s]["image"] == "a" and b[s]["netboot"] is True and b[s]["labels"] == {"rack": "r13", "row": "x"}, b[s]
PY
wait_log 'method=bulk resource=/api/v1/boards/5a5a0003 generation_before=1 generation_after=2' ||
    fail "no audit line for each board: $(grep method=bulk "$WORK/rackbootd.log")"
[ "$(grep -c 'method=bulk' "$WORK/rackbootd.log")" = 4 ] || fail "audit lines: $(grep method=bulk "$WORK/rackbootd.log")"
# A change one board refuses changes none (an image that does not exist).
rc=0
ctl boards set --selector rack=r13 --image nope 2> "$WORK/err" || rc=$?
[ $rc = 1 ] || fail "a refused bulk set exited $rc"
[ "$(ctl --json boards get 5a5a0004 | json_get - 'd["image"]')" = a ] || fail "a refused bulk set changed a board"
pass "boards set --selector rack=r12: a dry run, then 4 boards moved to image b, netboot off, labels merged; r13 untouched; one audit line a board; a refused one changes none ($(head -c 120 "$WORK/err"))"

# Labels one at a time; an empty value is refused.
ctl boards set 5a5a0004 --label slot=u07 > /dev/null || fail "add a label"
ctl boards set 5a5a0004 --unlabel row > /dev/null || fail "remove a label"
[ "$(ctl --json boards get 5a5a0004 | json_get - 'sorted(d["labels"].items())')" = "[('rack', 'r13'), ('slot', 'u07')]" ] ||
    fail "labels: $(ctl --json boards get 5a5a0004)"
rc=0
ctl boards set 5a5a0004 --label slot= 2> "$WORK/err" || rc=$?
[ $rc = 2 ] && grep -q -- '--unlabel' "$WORK/err" || fail "--label slot= exited $rc: $(cat "$WORK/err")"
pass "boards set SERIAL --label adds one label and --unlabel removes one; --label k= is refused"

# boards ls: labels and the last boot; paged.
ctl boards ls > "$WORK/ls"
head -1 "$WORK/ls" | grep -q '^SERIAL  *NAME  *IMAGE  *STATE  *NETBOOT  *IP  *MODEL  *LABELS  *LAST BOOT$' || fail "$(head -1 "$WORK/ls")"
grep -q '^5a5a0004  .*  rack=r13,slot=u07  *-$' "$WORK/ls" || fail "boards ls: $(cat "$WORK/ls")"
ctl boards ls --limit 2 > "$WORK/page1" 2> "$WORK/page1.err"
[ "$(tail -n +2 "$WORK/page1" | cut -d' ' -f1 | tr '\n' ' ')" = "5a5a0000 5a5a0001 " ] || fail "--limit 2: $(cat "$WORK/page1")"
grep -q -- '--after 5a5a0001' "$WORK/page1.err" || fail "no next page named: $(cat "$WORK/page1.err")"
ctl boards ls --limit 2 --after 5a5a0001 > "$WORK/page2" 2> /dev/null
[ "$(tail -n +2 "$WORK/page2" | cut -d' ' -f1 | tr '\n' ' ')" = "5a5a0002 5a5a0003 " ] || fail "--after: $(cat "$WORK/page2")"
pass "boards ls shows labels and the last boot; --limit 2 pages and names the next, --after continues"

# boards get as text.
ctl boards get 5a5a0004 > "$WORK/get"
grep -q '^labels: *rack=r13,slot=u07$' "$WORK/get" && grep -q '^image: *a$' "$WORK/get" && grep -q '^netboot: *on$' "$WORK/get" &&
    grep -q '^first seen: *never$' "$WORK/get" && grep -q '^last boot: *-$' "$WORK/get" || fail "boards get: $(cat "$WORK/get")"
pass "boards get prints the board as text"

# An import's warnings and skipped lines are printed; --strict makes them fail it.
cat > "$WORK/nobodd.ini" <<INI
[board:6b6b0001]
ip = 10.9.9.9

[board:6b6b0002]
image = $WORK/images/a
INI
ctl boards import "$WORK/nobodd.ini" > "$WORK/imp" 2> "$WORK/imp.err" || fail "import: $(cat "$WORK/imp.err")"
grep -q 'imported 2 boards, updated 0, 1 warnings' "$WORK/imp" || fail "import: $(cat "$WORK/imp")"
grep -q 'nobodd.ini: line 1: warning: board 6b6b0001 has no image' "$WORK/imp.err" || fail "import: $(cat "$WORK/imp.err")"
echo "dhcp-host=dc:a6:32:99:99:99,10.0.0.78" > "$WORK/dnsmasq.conf"
rc=0
ctl boards import "$WORK/dnsmasq.conf" --strict > /dev/null 2> "$WORK/imp.err" || rc=$?
[ $rc = 1 ] && grep -q 'line 1: skipped: no board lists dc:a6:32:99:99:99' "$WORK/imp.err" ||
    fail "--strict import exited $rc: $(cat "$WORK/imp.err")"
pass "boards import prints its warnings and skipped lines; --strict exits 1 on them"
