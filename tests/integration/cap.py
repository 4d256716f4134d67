"""--max-transfers: requests past the cap get an ERROR at once; capacity returns when transfers end."""
import sys

from tftpwire import DATA, ERROR, Client, error, metrics, rrq

host, port, api = sys.argv[1], int(sys.argv[2]), sys.argv[3]
held = []
for i in range(3):
    c = Client(host, port)
    c.send_request(rrq("f.bin"))
    reply = c.recv()
    assert reply is not None and reply[0] == DATA, f"transfer {i} did not start: {reply}"
    held.append(c)
print("ok: three transfers run up to the cap")
over = Client(host, port)
over.send_request(rrq("f.bin"))
reply = over.recv()
assert reply is not None and reply[0] == ERROR and "limit" in reply[2], f"over the cap: {reply}"
print(f"ok: the fourth gets ERROR {reply[1]} {reply[2]!r}")
m = metrics(api)
assert m['rackboot_drops_total{reason="transfer_cap"}'] == 1, m
assert m["rackboot_tftp_active_transfers"] == 3, m
for c in held:
    c.send(error(0, "bye"))
import time
time.sleep(0.2)
again = Client(host, port)
again.send_request(rrq("f.bin"))
data = again.finish(again.recv())
assert len(data) == 100_000
print("ok: capacity returns when transfers end")
