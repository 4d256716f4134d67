"""Opens COUNT transfers from COUNT distinct loopback addresses (127.1.x.y, one each, so that no
per-client cap applies), each left unacknowledged so it stays open, and says how each was
answered. Then closes them all.

usage: fd_limit.py HOST PORT COUNT FILE"""
import sys
from collections import Counter

from tftpwire import DATA, ERROR, Client, rrq

host, port, count, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
clients = []
outcomes = Counter()
for i in range(count):
    c = Client(host, port, f"127.1.{i // 250}.{i % 250 + 1}")
    c.send_request(rrq(name))
    reply = c.recv(timeout=2.0)
    if reply is None:
        outcomes["silence"] += 1
    elif reply[0] == DATA:
        outcomes["started"] += 1
    elif reply[0] == ERROR:
        outcomes[reply[2]] += 1
    clients.append(c)
print("outcomes:", " ".join(f"{k.replace(' ', '_').replace(',', '')}={v}" for k, v in sorted(outcomes.items())))
