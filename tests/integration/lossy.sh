#!/usr/bin/env bash
# Loss, duplicate ACKs and gaps played by a raw-UDP client (lossy.py); short timers keep it quick.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
make_file "$ROOT/file.bin" 150000
start_rackbootd --tftp-root "$ROOT" --timeout-ms 40 --max-backoff-ms 80 --retries 10
/usr/bin/python3 "$(dirname "$0")/lossy.py" 127.0.0.1 "$PORT" "$API" "$ROOT/file.bin"
