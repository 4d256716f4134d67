#!/usr/bin/env bash
# The mixed rack at 2% loss each way, full size (issue 19, "Loss recovery"): 300 Pis (30% Pi 3
# with its 512-byte blocks, 40% Pi 4, 30% Pi 5), an 8 MB kernel, a 20 MB initramfs for the Pi 4
# and 5, the firmware's 30 s file timeout, rackboot-swarm over memif to rackbootd's DPDK backend
# (tests/integration/swarm_loss.sh at full size). Three rows in one run: the loss recovery as
# built, the baseline (--loss-rto-ms 0: the 50 ms floor for every loss, as before issue 19), and a
# clean link (0 duplicate DATA expected). Writes RESULTS (default bench/results/loss_mix).{tsv,md}.
# Usage: loss_mix.sh BUILD_DIR [--report]   (root; RACK=300 LOSS=0.02 override the rack; --report
# redraws the .md from the .tsv)
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=${RESULTS:-$HERE/results/loss_mix}
RACK=${RACK:-300} LOSS=${LOSS:-0.02}
export RACKBOOTD=$BUILD/src/rackbootd/rackbootd RACKBOOT_SWARM=$BUILD/tools/rackboot-swarm/rackboot-swarm
TMP=$(mktemp -d /tmp/rackboot-loss-mix.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
[ "${2:-}" = --report ] && RUN=0 || RUN=1
[ $RUN = 1 ] && printf 'row\tloss\tloss_rto_ms\tpis\tbooted\tfailed\tall_up_s\tp99_boot_s\tslowest_file_s\tmargin_s\tduplicates_seen\tlost_to_pis\tlost_to_server\tresent\tspurious\n' \
    > "$RESULTS.tsv"
rows=("built:$LOSS:" "baseline:$LOSS:0" "clean:0:")
[ $RUN = 1 ] || rows=()
for row in "${rows[@]}"; do
    IFS=: read -r name loss rto <<< "$row"
    echo "== $name (loss $loss${rto:+, --loss-rto-ms $rto})" >&2
    # The test's own verdict is not the row's: the baseline is expected to fail, the clean row has
    # nothing to resend. The figures come from the swarm's report and rackbootd's counters.
    env RACK="$RACK" TIMEOUT=30 KERNEL_KB=8000 INITRAMFS_KB=20000 LOSS="$loss" ${rto:+LOSS_RTO=$rto} \
        KEEP_JSON="$TMP/$name.json" bash "$HERE/../tests/integration/swarm_loss.sh" > "$TMP/$name.log" 2>&1 || true
    [ -s "$TMP/$name.json" ] || { echo "  no report: $(tail -3 "$TMP/$name.log")" >&2; continue; }
    resent=$(sed -n 's/^rackbootd resent \([0-9]*\) DATA, \([0-9]*\) of them spurious$/\1\t\2/p' "$TMP/$name.log")
    python3 - "$TMP/$name.json" "$name" "$loss" "${rto:-5}" "${resent:-?	?}" >> "$RESULTS.tsv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); b, r = d["boots"], d["rack"]
lost = d["faults_injected"]["lost"]
print("\t".join(str(x) for x in [sys.argv[2], sys.argv[3], sys.argv[4], b["booted"] + b["failed"], b["booted"],
      b["failed"], round(r["time_to_all_up_s"], 1), round(d["latency_s"]["boot"]["p99"], 2),
      round(r["slowest_file_s"], 2), round(30 - r["slowest_file_s"], 2), d["traffic"]["duplicates_seen"],
      lost[0], lost[1], sys.argv[5]]))
PY
    tail -1 "$RESULTS.tsv" >&2
done
python3 - "$RESULTS.tsv" "$RESULTS.md" "$RACK" <<'PY'
import csv, os, platform, sys, time
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
md = [f"# A mixed rack at 2% loss each way, full size ({sys.argv[3]} Pis: 30% Pi 3, 40% Pi 4, 30% Pi 5)", "",
      f"- Machine: {os.cpu_count()} vCPU ({cpu}), Linux {platform.release()}",
      f"- Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(sys.argv[1])))}, `bench/loss_mix.sh build`",
      "- 8 MB kernel, 20 MB initramfs (Pi 4 and 5), 30 s file timeout, one attempt per Pi; rackbootd's DPDK backend",
      "  over memif, one worker.", "",
      "| row | loss each way | loss RTO | booted | all up s | p99 boot s | slowest file s (margin) | DATA seen twice | resent (spurious) |",
      "|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    rto = "off (50 ms floor)" if r["loss_rto_ms"] == "0" else f"{r['loss_rto_ms']} ms"
    up = "not all up" if float(r["all_up_s"]) < 0 else r["all_up_s"]
    md.append(f"| {r['row']} | {float(r['loss']) * 100:.0f}% | {rto} | {r['booted']}/{r['pis']} | "
              f"{up} | {r['p99_boot_s']} | {r['slowest_file_s']} ({r['margin_s']}) | {r['duplicates_seen']} | "
              f"{r['resent']} ({r['spurious']}) |")
md += ["", "On a lossy link a lost ACK makes the resend the Pi needs a DATA it has seen (`DATA seen twice`);",
       "on a clean link there is none. `spurious`: resends whose original was acknowledged sooner than a",
       "round trip after the resend (a duplicate the client did not need).", ""]
open(sys.argv[2], "w").write("\n".join(md))
PY
echo "wrote $RESULTS.tsv $RESULTS.md" >&2
