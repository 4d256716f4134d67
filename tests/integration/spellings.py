"""One host spelling one file many ways (issue 9.3): COUNT RRQs for FILE from SRC, each from its
own socket and each spelled differently ("./f", ".//./f", ...), all left unacknowledged so that
they stay open. The server must see one file (one key) and give this address at most PER_CLIENT
transfers, refusing the rest with an ERROR.

usage: spellings.py HOST PORT SRC FILE COUNT PER_CLIENT"""
import sys

from tftpwire import DATA, ERROR, Client, rrq

host, port, src, name, count, per_client = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], \
    int(sys.argv[5]), int(sys.argv[6])
clients = []
started = refused = silent = 0
messages = set()
for i in range(count):
    prefix = "".join("./" if k % 2 == 0 else ".//" for k in range(i % 40))
    c = Client(host, port, src)
    c.send_request(rrq(prefix + name))
    reply = c.recv(timeout=1.0)
    if reply is None:
        silent += 1
    elif reply[0] == DATA:
        started += 1
    elif reply[0] == ERROR:
        refused += 1
        messages.add(reply[2])
    clients.append(c)  # kept open: a closed port would end the transfer
print(f"spellings: {count} RRQs from {src}: {started} started, {refused} refused {sorted(messages)}, "
      f"{silent} unanswered")
if started > per_client:
    print(f"FAIL: {started} transfers open for one address, above {per_client}")
    sys.exit(1)
if refused + started != count:
    print("FAIL: some requests got no answer")
    sys.exit(1)
if any("too many transfers from your address" not in m for m in messages):
    print(f"FAIL: refusals should name the per-client cap: {messages}")
    sys.exit(1)
# Hold them a moment longer so the other clients are served while these are still open.
sys.stdout.flush()
import time  # noqa: E402
time.sleep(float(sys.argv[7]) if len(sys.argv) > 7 else 3.0)
