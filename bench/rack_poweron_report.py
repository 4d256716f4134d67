#!/usr/bin/env python3
"""Turns rack_poweron.sh's .tsv into Markdown tables (with the machine and the command) and a PNG
of p99 boot time and success rate against fleet size, drawn by gnuplot. One section per loss and
link rate; each has the success table, the rack's time to all up (against the floor where a link
bounds it, with the goodput and the slowest file), and rackbootd's ratios to each peer.
Usage: rack_poweron_report.py RESULTS.tsv OUT_PREFIX SET_BYTES DURATION COMMAND SETTINGS"""
import csv
import os
import platform
import subprocess
import sys
import time

tsv, out, set_bytes, duration, command, settings = sys.argv[1:7]
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
for r in rows:
    r.setdefault("link", "0")  # a .tsv from before the link rows
    r["cond"] = (r["loss"], r["link"] or "0")
targets = list(dict.fromkeys(r["target"] for r in rows))
conds = sorted({r["cond"] for r in rows}, key=lambda c: (float(c[0]), c[1] != "0", c[1]))
sizes_of = {c: sorted({int(r["pis"]) for r in rows if r["cond"] == c}) for c in conds}
sizes = sorted({int(r["pis"]) for r in rows})
by = {(r["target"], int(r["pis"]), r["cond"]): r for r in rows}


def title(c):
    loss, link = c
    name = "clean" if float(loss) == 0 else f"{float(loss) * 100:g}% loss each way"
    return name if link == "0" else f"{name}, behind a {rate(link)} link (the firmware's retry loop)"


def rate(link):  # 1g -> 1 Gb/s
    return f"{link[:-1]} {link[-1].upper()}b/s" if link[-1:].isalpha() else f"{link} b/s"


# The path rate of each link: what rackbootd measured there (the median of its rows' figures, from
# their sampled metrics; KEEP=DIR). The path floor is the rack's bytes over it; without it, over
# the link's bit rate (which counts frame headers as if they were file bytes).
path_rate = {}
for c in conds:
    got = [float(r["path_rate"]) for r in rows if r["cond"] == c and (r.get("path_rate") or "") not in ("", "0")]
    if got:
        path_rate[c] = sorted(got)[len(got) // 2]


def all_up(r):
    if r is None:
        return "–"
    if float(r.get("all_up_s") or -1) <= 0:
        return f"not all up ({r['success_pct']}%)"
    up = float(r["all_up_s"])
    cell = f"{r['all_up_s']} s"
    if r["cond"] in path_rate:
        rate_bps = path_rate[r["cond"]]
        floor = int(r["pis"]) * int(set_bytes) / rate_bps
        goodput = float(r["goodput_pct"]) * floor / float(r["floor_s"]) if float(r.get("floor_s") or 0) > 0 else 0
        cell += (f" ({up / floor:.2f}× the path floor {floor:.1f} s, {up / float(r['floor_s']):.2f}× the link's bits),"
                 f" goodput {goodput:.1f}% of the path rate")
        if (r.get("waiting_goodput_pct") or "") != "":
            cell += f" ({r['waiting_goodput_pct']}% while Pis waited)"
    elif float(r.get("floor_s") or 0) > 0:
        cell += f" ({up / float(r['floor_s']):.2f}× floor {r['floor_s']} s), goodput {r['goodput_pct']}%"
    return cell + f", slowest file {r['slowest_file_s']} s, dup {r.get('duplicates', '?')}"


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(open("/proc/meminfo").readline().split()[1]) // (1024 * 1024)
    debian = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    return f"{os.cpu_count()} vCPU ({cpu}), {mem} GiB, Linux {platform.release()}, Debian {debian}"


md = [f"# Rack power-on: Pi 4s powered on at once, {int(set_bytes) / 1e6:.1f} MB boot set each",
      "", f"- Machine: {machine()}", f"- Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
      f"- Command: `{command}` with {settings}",
      f"- A run is bounded at {duration} s" + (", a link-limited one at 1.5× its floor plus a minute (at least that)"
                                                if any(c[1] != "0" for c in conds) else "") +
      ": Pis still booting then count as failed (`stopped`).",
      "- Each cell: success % / p99 boot s / boots per s. The swarm's idle share is in the .tsv.", ""]
for c in conds:
    cs = sizes_of[c]
    md.append(f"## {title(c)}")
    md.append("")
    md.append("| server | " + " | ".join(f"{n} Pis" for n in cs) + " |")
    md.append("|---|" + "---|" * len(cs))
    for t in targets:
        cells = []
        for n in cs:
            r = by.get((t, n, c))
            cells.append("–" if r is None else f"{r['success_pct']}% / {r['p99_s']} / {r['boots_per_s']}")
        md.append(f"| {t} | " + " | ".join(cells) + " |")
    md.append("")
    if any(r.get("all_up_s") not in (None, "") for r in rows if r["cond"] == c):
        md.append("Time to all up (first power-on to the last Pi booted):")
        md.append("")
        if c in path_rate:
            md.append(f"The path rate rackbootd measured behind this link: {path_rate[c] / 1e6:.1f} MB/s of file bytes "
                      "(the median of its rows; the rest of the link's bits are frame and packet headers). The path "
                      "floor is the rack's bytes over it; every server is held to the same floor.")
            md.append("")
        md.append("| server | " + " | ".join(f"{n} Pis" for n in cs) + " |")
        md.append("|---|" + "---|" * len(cs))
        for t in targets:
            md.append(f"| {t} | " + " | ".join(all_up(by.get((t, n, c))) for n in cs) + " |")
        md.append("")
    for base in ("rb-socket", "rb-memif"):
        if not any((base, n, c) in by for n in cs) or all(t.startswith("rb-") for t in targets):
            continue
        md.append(f"rackbootd ({base}) against each peer, boots/s ratio and p99 ratio (peer p99 / ours), same run:")
        md.append("")
        md.append("| peer | " + " | ".join(f"{n} Pis" for n in cs) + " |")
        md.append("|---|" + "---|" * len(cs))
        for t in targets:
            if t.startswith("rb-"):
                continue
            cells = []
            for n in cs:
                a, b = by.get((base, n, c)), by.get((t, n, c))
                if a is None or b is None:
                    cells.append("–")
                    continue
                if int(a["booted"]) == 0:
                    cells.append("– (rackbootd booted none)")
                    continue
                bps = float(a["boots_per_s"]) / float(b["boots_per_s"]) if float(b["boots_per_s"]) > 0 else float("inf")
                p99 = float(b["p99_s"]) / float(a["p99_s"]) if float(a["p99_s"]) > 0 and int(b["booted"]) > 0 else None
                cells.append(("∞ (peer booted none)" if bps == float("inf") else f"{bps:.2f}×") +
                             (f", p99 {p99:.2f}×" if p99 is not None else ""))
            md.append(f"| {t} | " + " | ".join(cells) + " |")
        md.append("")
open(out + ".md", "w").write("\n".join(md) + "\n")

# The plot: one data block per (target, loss).
data = out + ".dat"  # removed once drawn
with open(data, "w") as f:
    for t in targets:
        for c in conds:
            f.write(f"# {t} {c}\n")
            for n in sizes:
                r = by.get((t, n, c))
                if r:
                    p99 = r["p99_s"] if int(r["booted"]) > 0 else "NaN"
                    f.write(f"{n}\t{p99}\t{r['success_pct']}\n")
            f.write("\n\n")
plots_p99, plots_ok = [], []
index = 0
for ti, t in enumerate(targets):
    for ci, c in enumerate(conds):
        name = t + ("" if float(c[0]) == 0 else f" {float(c[0]) * 100:g}% loss") + ("" if c[1] == "0" else f" {rate(c[1])} link")
        style = f"lc {ti + 1} dt {ci + 1} pt {ti + 4} lw 2"
        plots_p99.append(f"'{data}' index {index} using 1:2 with linespoints {style} title '{name}'")
        plots_ok.append(f"'{data}' index {index} using 1:3 with linespoints {style} title '{name}'")
        index += 1
script = f"""set terminal pngcairo size 1400,600 font ',10'
set output '{out}.png'
set multiplot layout 1,2 title 'Rack power-on, Pi 4s at once ({int(set_bytes) / 1e6:.0f} MB each): {machine()}'
set logscale x
set xlabel 'Pis powered on at once'
set grid
set key top left
set ylabel 'p99 boot time (s), booted Pis'
plot {', '.join(plots_p99)}
set ylabel 'booted (%)'
set yrange [0:105]
set key bottom left
plot {', '.join(plots_ok)}
unset multiplot
"""
try:
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
except (OSError, subprocess.CalledProcessError) as e:
    print(f"rack_poweron_report: no plot: {e}", file=sys.stderr)
os.remove(data)
