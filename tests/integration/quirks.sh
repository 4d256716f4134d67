#!/usr/bin/env bash
# Pi bootloader quirks over real UDP (quirks.py), each with its counter.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
make_file "$ROOT/start4.elf" 2253088
printf 'arm_64bit=1\n' > "$ROOT/config.txt"
# The fixed 1 s retransmit timeout (--min-rto-ms 0): the checks that nothing answers a duplicate
# ACK or a superseded transfer wait half a second, longer than an adaptive timeout would.
start_rackbootd --tftp-root "$ROOT" --workers 2 --min-rto-ms 0
/usr/bin/python3 "$(dirname "$0")/quirks.py" 127.0.0.1 "$PORT" "$API" "$ROOT"
