#!/usr/bin/env python3
"""What rackbootd's metrics, sampled each second through one rack_poweron.sh row (KEEP=DIR),
say of the path: the rate it measured (the median of its samples while transfers ran) and, where
the sent bytes were sampled, the goodput while Pis waited at DHCP (bytes sent while any waited
over that time, against the measured rate). Prints "RATE<TAB>WAITING_GOODPUT_PCT", empty fields
where a figure is not known.
Usage: rack_poweron_metrics.py ROW.metrics"""
import statistics
import sys


def samples(path):
    rows, cur = [], None
    for line in open(path):
        p = line.split()
        if not p:
            continue
        if p[0] == "t":
            cur = {"t": float(p[1])}
            rows.append(cur)
        elif cur is not None:
            cur[p[0]] = cur.get(p[0], 0.0) + float(p[-1])
    return rows


rows = samples(sys.argv[1])
rates = [r["rackboot_path_rate_bytes_per_second"] for r in rows
         if r.get("rackboot_tftp_active_transfers", 0) > 0 and r.get("rackboot_path_rate_bytes_per_second", 0) > 0]
rate = statistics.median(rates) if rates else 0
goodput = ""
waiting = [r for r in rows if r.get("rackboot_dhcp_boots_waiting", 0) > 0 and "rackboot_tftp_bytes_total" in r]
if rate > 0 and len(waiting) >= 2:
    sent = waiting[-1]["rackboot_tftp_bytes_total"] - waiting[0]["rackboot_tftp_bytes_total"]
    span = waiting[-1]["t"] - waiting[0]["t"]
    if span > 0:
        goodput = f"{100.0 * sent / span / rate:.1f}"
print(f"{int(rate) if rate else ''}\t{goodput}")
