#!/usr/bin/env bash
# The shipped monitoring files on their own (issue 22): the alert rules pass `promtool check
# rules` and their cases in rackboot-rules.test.yml (`promtool test rules`); the Grafana dashboard
# is one well-formed dashboard (ids unique, panels on the 24-column grid without overlap, every
# query on the dashboard's data source variable); and every metric name the dashboard and the
# rules use is a family `rackbootd --list-metrics` lists. tests/integration/prometheus.sh runs
# the same expressions against a live rackbootd.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || skip "promtool missing (tools/install-deps: prometheus)"
DEPLOY=$(cd "$(dirname "$0")/../../deploy" && pwd)
promtool check rules "$DEPLOY/prometheus/rackboot-rules.yml" > "$WORK/check.out" 2>&1 || fail "$(cat "$WORK/check.out")"
(cd "$DEPLOY/prometheus" && promtool test rules rackboot-rules.test.yml) > "$WORK/test.out" 2>&1 || fail "$(cat "$WORK/test.out")"
pass "promtool: $(grep -o 'SUCCESS: [0-9]* rules found' "$WORK/check.out"), and every case of rackboot-rules.test.yml"
"$RACKBOOTD" --list-metrics > "$WORK/families" || fail "--list-metrics"
python3 - "$DEPLOY" "$WORK/families" <<'PY' || fail "the dashboard or the rules"
import json, re, sys, yaml
deploy, families = sys.argv[1], sys.argv[2]
known = {line.split()[0] for line in open(families) if line[:1].strip()}
known |= {"up"}
dash = json.load(open(f"{deploy}/grafana/rackboot.json"))
assert dash["uid"] == "rackboot" and dash["schemaVersion"] >= 36, "not a dashboard"
names = [v["name"] for v in dash["templating"]["list"]]
assert names[0] == "datasource" and "instance" in names, names
ids, cells, exprs = set(), set(), []
for p in dash["panels"]:
    assert p["id"] not in ids, f"panel id {p['id']} twice"
    ids.add(p["id"])
    g = p["gridPos"]
    assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, f"{p['title']}: off the grid {g}"
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            assert (x, y) not in cells, f"{p['title']} overlaps another panel at {x},{y}"
            cells.add((x, y))
    if p["type"] == "row":
        continue
    assert p["title"] and p.get("description"), f"panel {p['id']} has no title or description"
    assert p["datasource"]["uid"] == "${datasource}", f"{p['title']}: not on the data source variable"
    refs = [t["refId"] for t in p["targets"]]
    assert p["targets"] and len(set(refs)) == len(refs), f"{p['title']}: targets"
    exprs += [(p["title"], t["expr"]) for t in p["targets"]]
for g in yaml.safe_load(open(f"{deploy}/prometheus/rackboot-rules.yml"))["groups"]:
    for r in g["rules"]:
        assert r["labels"]["severity"] in ("warning", "critical"), r["alert"]
        assert r["annotations"]["summary"] and r["annotations"]["description"], r["alert"]
        exprs.append((r["alert"], r["expr"]))
words = {"sum", "by", "rate", "increase", "histogram_quantile", "topk", "min", "clamp_min", "le", "instance", "job",
         "result", "reason", "phase", "role", "model", "quirk", "type", "bool", "and", "or", "on", "without"}
for where, e in exprs:
    e = re.sub(r'"[^"]*"', '""', e)             # label values
    e = re.sub(r"\[[^\]]*\]", "", e)             # ranges
    for name in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        if name in words:
            continue
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in known or base in known, f"{where}: {name} is no family rackbootd lists"
print(f"{len(dash['panels'])} panels, {len(exprs)} expressions, every metric name listed")
PY
pass "the dashboard and the rules are well formed and name only families rackbootd lists"
