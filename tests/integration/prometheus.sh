#!/usr/bin/env bash
# Debian's Prometheus scraping a live rackbootd while rackboot-swarm boots a rack through
# net_af_packet (issue 22): /metrics passes `promtool check metrics`, a Pi's normal steps are not
# counted as failures, every PromQL expression of deploy/grafana/rackboot.json and of
# deploy/prometheus/rackboot-rules.yml returns data through Prometheus's HTTP API, and
# RackbootBootsFailing fires when the swarm's boots fail (their kernels refused).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
: "${RACKBOOT_SWARM:?RACKBOOT_SWARM must point at rackboot-swarm}"
command -v prometheus >/dev/null && command -v promtool >/dev/null || skip "prometheus missing (tools/install-deps)"
DEPLOY=$(cd "$(dirname "$0")/../../deploy" && pwd)
netns_setup
PREFIX=rbprom$$
test_cleanup() { rm -rf /run/dpdk/"$PREFIX"*; }
mixed_pi_tree "$WORK/tree"
RACK=100

RB_NETNS=$NS_SRV
ulimit -n 16384
rackbootd_start "$WORK/rackbootd.log" --tftp-port 69 --api 127.0.0.1:0 --listen "$SRV_IP" --dhcp-interface "$IF_SRV" \
    --tftp-root "$WORK/tree" --state "$WORK/state" --dhcp server --subnet "$NET.0.0/16" --pool "$NET.1.0-$NET.200.0" ||
    fail "rackbootd did not start"
API=$RB_API

# Prometheus in the server's namespace: one scrape a second, the shipped rules evaluated as often.
cat > "$WORK/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$DEPLOY/prometheus/rackboot-rules.yml"]
scrape_configs:
  - job_name: rackboot
    static_configs: [{targets: ["$API"]}]
YML
PROM=127.0.0.1:19$((RANDOM % 900 + 100))
ip netns exec "$NS_SRV" prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" \
    --web.listen-address="$PROM" --log.level=warn > "$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
# promql EXPR: Prometheus's answer to an instant query, as JSON.
promql() { ip netns exec "$NS_SRV" curl -sf --max-time 10 --data-urlencode "query=$1" "http://$PROM/api/v1/query"; }
for _ in $(seq 1 100); do
    [ "$(promql 'up{job="rackboot"}' | json_get - 'd["data"]["result"][0]["value"][1]' 2>/dev/null)" = 1 ] && break
    sleep 0.2
done
[ "$(promql 'up{job="rackboot"}' | json_get - 'd["data"]["result"][0]["value"][1]')" = 1 ] ||
    fail "Prometheus does not scrape rackbootd: $(cat "$WORK/prometheus.log")"
pass "Prometheus scrapes rackbootd's /metrics"

# The rack's boards, MACs included, so that a Pi 3 (no serial in its DHCP) joins its board's timeline.
"$RACKBOOT_SWARM" --list-fleet --pis $RACK --mix pi3=1,pi4=8,pi5=1 > "$WORK/fleet" || fail "--list-fleet"
while read -r serial mac _; do
    ip netns exec "$NS_SRV" "$RACKBOOTCTL" --api "$API" --token-file "$WORK/state/api-token" boards add "$serial" \
        --mac "$mac" > /dev/null || fail "boards add $serial"
done < "$WORK/fleet"

swarm() { swarm_over_veth "${PREFIX}c" "$@"; }
swarm --pis $RACK --mix pi3=1,pi4=8,pi5=1 --tree "$WORK/tree" --json "$WORK/boot.json" \
    --require "failed=0,booted=$RACK" > "$WORK/boot.out" || fail "the rack did not boot: $(cat "$WORK/boot.out")"
booted() { promql 'sum(rackboot_boots_total{result="booted"})' | json_get - 'd["data"]["result"][0]["value"][1]'; }
for _ in $(seq 1 50); do [ "$(booted)" = $RACK ] && break; sleep 0.2; done
[ "$(booted)" = $RACK ] || fail "Prometheus sees $(booted) boots booted, not $RACK"
pass "$RACK Pis booted, and Prometheus counts $RACK boots booted"

# The page as a scraper reads it: promtool finds nothing to warn about.
ip netns exec "$NS_SRV" curl -sf "http://$API/metrics" > "$WORK/metrics.txt"
promtool check metrics < "$WORK/metrics.txt" > "$WORK/promtool.out" 2>&1 || fail "promtool: $(cat "$WORK/promtool.out")"
[ -s "$WORK/promtool.out" ] && fail "promtool check metrics warns: $(cat "$WORK/promtool.out")"
grep -q undocumented "$WORK/metrics.txt" && fail "a family is missing from the table: $(grep undocumented "$WORK/metrics.txt")"
pass "/metrics passes promtool check metrics with no warning; every family documented"

# A Pi's normal steps (the Pi 4's probes, its firmware's lookups) are not failures.
for r in refused busy aborted timeout unacknowledged error; do
    expect_metric "rackboot_tftp_transfers_total{result=\"$r\"}" 0
done
[ "$(metric 'rackboot_tftp_transfers_total{result="probe"}')" -gt 0 ] || fail "no probe counted: $(grep transfers_total "$WORK/metrics.txt")"
[ "$(metric 'rackboot_boot_duration_seconds_count{model="pi4"}')" -gt 0 ] || fail "no Pi 4 boot timed"
[ "$(metric 'rackboot_boot_duration_seconds_count{model="pi3"}')" -gt 0 ] || fail "no Pi 3 boot timed"
pass "transfers: $(grep '^rackboot_tftp_transfers_total' "$WORK/metrics.txt" | awk '$2 > 0 {printf "%s ", $0}')"

# Every expression of the dashboard and of the rules, through Prometheus: each must parse and
# return data. A rule's comparison is dropped so that a healthy rack's values come back too; the
# DPDK port's series are absent on the socket backend and are named as the one exception.
python3 - "$DEPLOY" > "$WORK/exprs.txt" <<'PY'
import json, re, sys, yaml
deploy = sys.argv[1]
dash = json.load(open(f"{deploy}/grafana/rackboot.json"))
for p in dash["panels"]:
    for t in p.get("targets", []):
        e = t["expr"].replace("$__rate_interval", "20s").replace("$instance", ".*")
        print(f"panel {p['title']!r}\t{' '.join(e.split())}")
for g in yaml.safe_load(open(f"{deploy}/prometheus/rackboot-rules.yml"))["groups"]:
    for r in g["rules"]:
        e = " ".join(r["expr"].split())
        e = re.sub(r"\s*(>|==|<)\s*[0-9.]+$", "", e)
        print(f"alert {r['alert']}\t{e}")
PY
n=0
while IFS=$'\t' read -r what expr; do
    answer=$(promql "$expr") || fail "$what: Prometheus refused $expr"
    count=$(json_get - 'len(d["data"]["result"])' <<<"$answer")
    if [ "$count" = 0 ]; then
        [[ $what == "alert RackbootPortDropping" ]] && continue
        fail "$what returns no data: $expr"
    fi
    n=$((n + 1))
done < "$WORK/exprs.txt"
[ "$n" -ge 30 ] || fail "only $n expressions checked"
pass "$n dashboard and rule expressions return data through Prometheus's API"

# Boots that fail: the kernels refused (a directory is not a file to serve). The rack powered on
# twice more: the second power-on's DISCOVERs end the first one's boots, failed at the kernel.
for k in kernel8.img kernel_2712.img; do rm "$WORK/tree/$k" && mkdir "$WORK/tree/$k"; done
swarm --pis $RACK --mix pi3=1,pi4=8,pi5=1 --duration 20 > "$WORK/fail1.out" 2>&1 || true
swarm --pis $RACK --mix pi3=1,pi4=8,pi5=1 --duration 5 > "$WORK/fail2.out" 2>&1 || true
failed() { promql 'sum(rackboot_boots_total{result="failed"})' | json_get - 'd["data"]["result"][0]["value"][1]'; }
[ "$(failed)" -ge $RACK ] 2>/dev/null || fail "Prometheus sees $(failed) boots failed: $(tail -5 "$WORK/fail1.out")"
state=""
for _ in $(seq 1 90); do
    state=$(ip netns exec "$NS_SRV" curl -sf "http://$PROM/api/v1/alerts" |
        json_get - '",".join(a["state"] for a in d["data"]["alerts"] if a["labels"]["alertname"] == "RackbootBootsFailing")')
    [ "$state" = firing ] && break
    sleep 1
done
[ "$state" = firing ] || fail "RackbootBootsFailing is '$state', not firing"
pass "$(failed) boots failed at their kernel, and RackbootBootsFailing fires"
