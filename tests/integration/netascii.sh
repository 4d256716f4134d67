#!/usr/bin/env bash
# Netascii mode with tftp-hpa, which decodes CR LF and CR NUL back: the copy must equal the file.
source "$(dirname "$0")/lib.sh"
ROOT=$WORK/root
mkdir -p "$ROOT"
printf 'arm_64bit=1\nkernel=kernel8.img\r\nbare\rcr\n' > "$ROOT/config.txt"
# A text file over many blocks whose line ends fall across block boundaries.
/usr/bin/python3 -c '
import random
random.seed(7)
lines = ["".join(random.choice("abcdefgh ") for _ in range(random.randint(0, 90))) for _ in range(3000)]
open("'"$ROOT"'/cmdline-long.txt", "w", newline="").write("\n".join(lines) + "\n")'
start_rackbootd --tftp-root "$ROOT"
for f in config.txt cmdline-long.txt; do
    (cd "$WORK" && tftp -m netascii 127.0.0.1 "$PORT" -c get "$f" "got-$f") || fail "netascii get $f"
    same_sha "$ROOT/$f" "$WORK/got-$f" "netascii $f"
    pass "netascii $f"
done
sleep 0.2
expect_metric 'rackboot_tftp_transfers_total{result="complete"}' 2
