#!/usr/bin/env bash
# The configurable transfer cap answers ERROR when reached.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
make_file "$ROOT/f.bin" 100000
start_rackbootd --tftp-root "$ROOT" --max-transfers 3 --workers 2
/usr/bin/python3 "$(dirname "$0")/cap.py" 127.0.0.1 "$PORT" "$API"
